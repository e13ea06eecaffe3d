"""Broken and hostile input: every reader and the config loader either parse or explain,
with a line number where there is one; never a traceback, never a hang. The log filter reads
any record's fields, whatever their types."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swapkit.config import FieldMapping, LogFilter, LogSource, load_config
from swapkit.errors import ConfigError, LogError, LogLineError
from swapkit.ingest.filtering import RecordFilter
from swapkit.ingest.formats import read_log
from swapkit.records import Record

from .conftest import run_cli

JSONL_FORMATS = ["swapkit", "openai-chat", "messages", "openai-batch"]
VALID = {
    "swapkit": {"id": "a", "request": {"messages": [{"role": "user", "content": "hi"}]}},
    "openai-chat": {"request": {"messages": [{"role": "user", "content": "hi"}]}},
    "messages": {"messages": [{"role": "user", "content": "hi"}]},
    "openai-batch": {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
                     "body": {"messages": [{"role": "user", "content": "hi"}]}},
    "otel": {"spanId": "a", "attributes": [
        {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
        {"key": "gen_ai.input.messages", "value": {"stringValue": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])}}]},
    "litellm": {"id": "a", "call_type": "acompletion", "model_group": "m",
                "messages": [{"role": "user", "content": "hi"}]},
    "langsmith": {"id": "a", "run_type": "llm",
                  "inputs": {"messages": [{"role": "user", "content": "hi"}]}},
    "langfuse": {"id": "a", "type": "GENERATION", "traceId": "t",
                 "input": [{"role": "user", "content": "hi"}], "output": "hello"},
    "helicone": {"request_id": "a", "response_status": 200,
                 "request_body": {"messages": [{"role": "user", "content": "hi"}]}},
    "openai-stored": {"object": "chat.completion", "id": "c", "choices": [],
                      "messages": [{"id": "c-0", "role": "user", "content": "hi"}]},
    "anthropic": {"request": {"max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
                  "response": {"type": "message", "content": [{"type": "text", "text": "hi"}],
                               "stop_reason": "end_turn"}},
    "custom": {"in": {"messages": [{"role": "user", "content": "hi"}]},
               "out": [{"text": "hello"}], "meta": {"route": "a", "ts": 1}},
}
# The custom format reads through a mapping that reaches into nested objects and lists.
FIELDS = {"custom": FieldMapping(messages="in.messages", answer="out.0.text", id="id",
                                 segment="meta.route", timestamp="meta.ts", reference="ref",
                                 conversation="meta.session", metadata=["meta.tags"])}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)
line_strategy = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"\r", b"\xef\xbb\xbf{}", b'{"request":', b"\xff\xfe", b"[" * 3000,
                     b'{"messages": "x"}', b'{"id": 1, "request": {"messages": [{}]}}',
                     b'{"request": {"messages": [{"role": "user", "content": "hi"}]}, '
                     b'"response": {"choices": [{"message": ["x"]}]}}',
                     b'{"custom_id": "a", "response": {"body": {"choices": [{"message": '
                     b'{"tool_calls": [{"function": "f"}]}}]}}}']),
)
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_all(path: Path, fmt: str, skip: bool) -> int:
    source = LogSource(path=path, format=fmt, skip_invalid=skip,
                       fields=FIELDS.get(fmt, FieldMapping()))
    return sum(1 for _ in read_log(source))


@SETTINGS
@given(lines=st.lists(line_strategy, max_size=12),
       fmt=st.sampled_from([*JSONL_FORMATS, "otel", "litellm", "langsmith", "langfuse",
                                    "helicone", "anthropic", "custom", "openai-stored"]),
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


TABLE_VALID = {  # a vendor table's header and one good row (LiteLLM SpendLogs, Helicone, LangSmith)
    "litellm": {"request_id": "a", "call_type": "acompletion", "spend": "0", "startTime": "",
                "metadata": "{}", "messages": json.dumps([{"role": "user", "content": "hi"}]),
                "response": "{}", "proxy_server_request": "{}", "prompt_tokens": "1"},
    "helicone": {"request_id": "a", "response_status": "200", "request_properties": "{}",
                 "request_body": json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
                 "response_body": ""},
    "langsmith": {"id": "a", "run_type": "llm", "extra": "", "start_time": "",
                  "inputs": json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
                  "outputs": ""},
}
cell_strategy = st.one_of(
    st.none(), st.text(max_size=20), json_values.map(json.dumps),
    st.sampled_from(['{"', "[", '""', '{""a"": 1}', '"x', "{}", "[[[", "nan", "1e999", "llm"]),
)


@SETTINGS
@given(fmt=st.sampled_from(sorted(TABLE_VALID)), skip=st.booleans(), parquet=st.booleans(),
       rows=st.lists(st.lists(cell_strategy, min_size=0, max_size=12), max_size=6))
def test_vendor_tables_parse_or_name_the_row(tmp_path: Path, fmt: str, skip: bool,
                                             parquet: bool, rows: list[list[object]]) -> None:
    """Any cells under a vendor's header: records, or errors naming the file and the row."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    valid = TABLE_VALID[fmt]
    columns = list(valid)
    table = [valid, *({c: (None if v is None else str(v)) for c, v in zip(columns, row,
                                                                          strict=False)}
                      for row in rows), valid]
    if parquet:
        path = tmp_path / "log.parquet"
        pq.write_table(pa.Table.from_pylist(table, schema=pa.schema(
            [(c, pa.string()) for c in columns])), path)
    else:
        path = tmp_path / "log.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(table)
    try:
        count = read_all(path, "auto", skip)
    except LogLineError as err:
        assert not skip and err.line >= (2 if parquet else 3) and str(path) in str(err)
    else:
        assert count >= 2


custom_lines = st.fixed_dictionaries({}, optional={
    "in": json_values | st.fixed_dictionaries({}, optional={"messages": json_values}),
    "out": json_values | st.lists(st.fixed_dictionaries({}, optional={"text": json_values})),
    "meta": json_values | st.fixed_dictionaries({}, optional={
        "route": json_values, "ts": json_values, "session": json_values, "tags": json_values}),
    "id": json_values, "ref": json_values,
})


@SETTINGS
@given(lines=st.lists(custom_lines, max_size=8), skip=st.booleans())
def test_custom_mapping_on_hostile_shapes(tmp_path: Path, lines: list[dict[str, object]],
                                          skip: bool) -> None:
    """Every mapped path meets the wrong types: a record or an error naming the line."""
    path = tmp_path / "log.jsonl"
    valid = json.dumps(VALID["custom"])
    path.write_text("\n".join([valid, *map(json.dumps, lines), valid]) + "\n")
    try:
        count = read_all(path, "custom", skip)
    except LogLineError as err:
        assert not skip and err.line >= 2 and str(path) in str(err)
    else:
        assert count >= 2


@SETTINGS
@given(entries=st.lists(line_strategy, max_size=8), fmt=st.sampled_from(sorted(VALID)),
       skip=st.booleans(), pretty=st.booleans())
def test_json_documents_parse_or_name_the_line(tmp_path: Path, entries: list[bytes], fmt: str,
                                              skip: bool, pretty: bool) -> None:
    """The same hostile entries inside a JSON array (or a list page): read, or a LogError
    naming the file (and a line for a broken entry); never a traceback or a hang."""
    path = tmp_path / "log.json"
    valid = json.dumps(VALID[fmt], indent=1 if pretty else None).encode()
    body = b",\n".join([valid, *entries, valid])
    path.write_bytes(b'{"object": "list", "data": [\n' + body + b"\n]}" if pretty
                     else b"[" + body + b"]")
    try:
        read_all(path, fmt, skip)
    except LogLineError as err:
        assert err.line >= 1 and str(path) in str(err)
    except LogError as err:
        assert str(path) in str(err)


@SETTINGS
@given(data=st.binary(max_size=400))
def test_any_bytes_with_any_format(tmp_path: Path, data: bytes) -> None:
    for suffix, fmt in ((".jsonl", "auto"), (".csv", "csv"), (".parquet", "parquet"),
                        (".csv", "auto"), (".csv", "litellm"), (".csv", "helicone"),
                        (".parquet", "langsmith")):
        path = tmp_path / f"log{suffix}"
        path.write_bytes(data)
        for skip in (False, True):
            with contextlib.suppress(LogError):  # a clear message (LogLineError included)
                read_all(path, fmt, skip)


BATCH_INPUTS = {
    "openai-batch": VALID["openai-batch"],
    "anthropic": {"custom_id": "a", "params": {"max_tokens": 8, "messages": [
        {"role": "user", "content": "hi"}]}},
}
output_line = st.one_of(
    line_strategy,
    st.builds(lambda key, value: json.dumps({"custom_id": "a", key: value}).encode(),
              st.sampled_from(["result", "response", "error"]), json_values),
    st.builds(lambda kind, key, value: json.dumps(
        {"custom_id": "a", "result": {"type": kind, key: value}}).encode(),
        st.sampled_from(["succeeded", "errored", "canceled", "expired", "x"]),
        st.sampled_from(["message", "error"]), json_values),
)


@SETTINGS
@given(lines=st.lists(output_line, max_size=8), fmt=st.sampled_from(sorted(BATCH_INPUTS)),
       skip=st.booleans())
def test_batch_output_joins_or_names_its_line(tmp_path: Path, lines: list[bytes], fmt: str,
                                              skip: bool) -> None:
    """Any output (results) file joined to a valid batch input: the record, or an error
    naming the output file and its line."""
    log = tmp_path / "in.jsonl"
    log.write_text(json.dumps(BATCH_INPUTS[fmt]) + "\n")
    output = tmp_path / "out.jsonl"
    output.write_bytes(b"\n".join(lines) + b"\n")
    source = LogSource(path=log, format=fmt, output=output, skip_invalid=skip)
    try:
        count = sum(1 for _ in read_log(source))
    except LogLineError as err:
        assert str(output) in str(err)
    else:
        assert count == 1


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


def _nested(depth: int) -> dict[str, object]:
    value: object = "x"
    for _ in range(depth):
        value = {"k": [value]}
    return {"messages": [{"role": "user", "content": "hi", "extra": value}]}


@settings(max_examples=40, deadline=None)
@given(depth=st.integers(1, 400), fmt=st.sampled_from(JSONL_FORMATS))
def test_any_nesting_depth_is_read_or_refused_with_its_line(depth: int, fmt: str) -> None:
    """The class of the deep-JSON crash: one depth limit for every reader and the store."""
    import tempfile

    request = _nested(depth)
    record = json.loads(json.dumps(VALID[fmt]))
    (record["body"] if fmt == "openai-batch" else record.get("request", record)).update(request)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.jsonl"
        path.write_text(json.dumps(VALID[fmt]) + "\n" + json.dumps(record) + "\n")
        try:
            records = read_all(path, fmt, False)
        except LogLineError as err:
            assert err.line == 2 and ("nested" in err.message or "recursion" in err.message)
            assert depth * 2 > 60  # only deep lines are refused
            assert read_all(path, fmt, True) == 1  # and --skip-invalid skips just that line
            return
        assert records == 2 and depth * 2 <= 64 + 4


def test_a_deep_request_never_breaks_a_run_directory(tmp_path: Path) -> None:
    from .simhelp import write_config

    log = tmp_path / "log.jsonl"
    good = {"id": "a", "request": {"messages": [{"role": "user", "content": "hi"}]}}
    deep = {"id": "b", "request": _nested(220)}
    log.write_text(json.dumps(good) + "\n" + json.dumps(deep) + "\n")
    config = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log)
    for command in (["inspect", str(log)], ["run", str(config), "--dry-run"]):
        result = run_cli(command)
        assert result.exit_code == 2 and ":2:" in result.output, result.output
        assert "nested more than 64 levels" in result.output or "recursion limit" in (
            result.output)


def test_a_fifo_or_a_link_loop_is_named_not_waited_on(tmp_path: Path) -> None:
    import os
    import time

    fifo = tmp_path / "log.jsonl"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    start = time.monotonic()
    for args in (["inspect", str(fifo)], ["inspect", str(fifo), "--format", "openai-chat"]):
        result = run_cli(args)
        assert result.exit_code == 2 and "a FIFO (named pipe)" in result.output
    result = run_cli(["inspect", str(loop)])
    assert result.exit_code == 2 and "a symbolic link loop" in result.output
    assert time.monotonic() - start < 30  # never hangs


@SETTINGS
@given(model=json_values, metadata=st.dictionaries(
           st.sampled_from(["span_name", "name", "run_name", "locale", "tags"]), json_values),
       wanted=json_values, timestamp=st.none() | st.datetimes())
def test_the_filter_reads_any_record_without_crashing(model: object, metadata: dict[str, object],
                                                      wanted: object,
                                                      timestamp: datetime | None) -> None:
    """``log.filter`` on untrusted fields of any type: kept, or dropped with a reason."""
    record = Record(id="a", request={"model": model, "messages": [{"role": "user",
                                                                   "content": "hi"}]},
                    metadata=metadata, timestamp=timestamp)
    keep = RecordFilter(LogFilter.model_validate({
        "model": "gpt-*", "name": ["chat *", "[a-"], "where": {"locale": wanted, "tags.0": "x*"},
        "since": "2000-01-01T00:00:00+05:00", "until": "2100-01-01"}))
    for spec in (keep, RecordFilter(LogFilter(where={"request.model": wanted}))):
        reason = spec.reason(record)
        assert reason is None or isinstance(reason, str)
