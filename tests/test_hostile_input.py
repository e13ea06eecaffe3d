"""Broken and hostile input: every reader and the config loader either parse or explain,
with a line number where there is one; never a traceback, never a hang."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swapkit.config import LogSource, load_config
from swapkit.errors import ConfigError, LogError, LogLineError
from swapkit.ingest.formats import read_log

from .conftest import run_cli

JSONL_FORMATS = ["swapkit", "openai-chat", "messages", "openai-batch"]
VALID = {
    "swapkit": {"id": "a", "request": {"messages": [{"role": "user", "content": "hi"}]}},
    "openai-chat": {"request": {"messages": [{"role": "user", "content": "hi"}]}},
    "messages": {"messages": [{"role": "user", "content": "hi"}]},
    "openai-batch": {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
                     "body": {"messages": [{"role": "user", "content": "hi"}]}},
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)
line_strategy = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"\r", b"\xef\xbb\xbf{}", b'{"request":', b"\xff\xfe", b"[" * 3000,
                     b'{"messages": "x"}', b'{"id": 1, "request": {"messages": [{}]}}']),
)
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_all(path: Path, fmt: str, skip: bool) -> int:
    return sum(1 for _ in read_log(LogSource(path=path, format=fmt, skip_invalid=skip)))


@SETTINGS
@given(lines=st.lists(line_strategy, max_size=12), fmt=st.sampled_from(JSONL_FORMATS),
       skip=st.booleans(), crlf=st.booleans())
def test_jsonl_readers_parse_or_name_the_line(tmp_path: Path, lines: list[bytes], fmt: str,
                                              skip: bool, crlf: bool) -> None:
    path = tmp_path / "log.jsonl"
    end = b"\r\n" if crlf else b"\n"
    valid = json.dumps(VALID[fmt]).encode()
    path.write_bytes(end.join([valid, *lines, valid]) + end)
    try:
        count = read_all(path, fmt, skip)
    except LogLineError as err:
        assert not skip and err.line >= 2 and str(path) in str(err)
    else:
        assert count >= 2


@SETTINGS
@given(data=st.binary(max_size=400))
def test_any_bytes_with_any_format(tmp_path: Path, data: bytes) -> None:
    for suffix, fmt in ((".jsonl", "auto"), (".csv", "csv"), (".parquet", "parquet")):
        path = tmp_path / f"log{suffix}"
        path.write_bytes(data)
        for skip in (False, True):
            with contextlib.suppress(LogError):  # a clear message (LogLineError included)
                read_all(path, fmt, skip)


def test_huge_fields_and_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    big = {"request": {"messages": [{"role": "user", "content": "x" * 5_000_000}]}}
    deep = b'{"request": {"messages": [{"role": "user", "content": "a", "x": ' + b"[" * 100_000
    path.write_bytes(json.dumps(big).encode() + b"\n" + deep + b"\n")
    with pytest.raises(LogLineError) as info:
        read_all(path, "openai-chat", False)
    assert info.value.line == 2
    assert read_all(path, "openai-chat", True) == 1


yaml_text = st.one_of(
    st.text(max_size=300),
    st.dictionaries(st.sampled_from(["name", "log", "baseline", "candidate", "noise", "suite",
                                     "report", "replay", "bogus"]), json_values,
                    max_size=6).map(json.dumps),
)


@SETTINGS
@given(text=yaml_text)
def test_config_loader_validates_or_explains(tmp_path: Path, text: str) -> None:
    path = tmp_path / "swap.yaml"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    try:
        load_config(path, env={})
    except ConfigError as err:
        assert str(path) in str(err)


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 12):
        lines.append(f"{chr(97 + n)}: &{chr(97 + n)} [" + ", ".join(
            [f"*{chr(96 + n)}"] * 10) + "]")
    path = tmp_path / "swap.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="too many values"):
        load_config(path, env={})


def test_terminal_output_carries_no_escape_sequences(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"segment": "\x1b[2J\x1b[31mevil\x07", "request": {
        "messages": [{"role": "user", "content": "hi"}]}}) + "\n", encoding="utf-8")
    result = run_cli(["inspect", path])
    assert result.exit_code == 0 and "evil" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
