"""JSON documents as logs: arrays of entries and API list pages, streamed entry by entry,
for every JSON format, with the line where each entry starts."""

from __future__ import annotations

import gzip
import itertools
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats import read_log, sniff_format
from swapkit.ingest.formats.jsonl import first_json_object, is_json_document, iter_entries
from swapkit.ingest.logstats import inspect_stats

TRICKY = 'a "quoted" ] } [ { \\ path, and\ttab é'


def row(i: int, text: str = "hi") -> dict[str, Any]:
    return {"request": {"messages": [{"role": "user", "content": f"{text} {i}"}]},
            "response": {"choices": [{"message": {"content": f"ok {i}"},
                                      "finish_reason": "stop"}]}, "n": [i, {"k": [i]}]}


def entries(path: Path) -> list[tuple[int, Any]]:
    return [(n, e if isinstance(e, LogLineError) else json.loads(e))
            for n, e in iter_entries(path)]


def read(path: Path, **kwargs: Any) -> list[Any]:
    return list(read_log(LogSource(path=path, **kwargs)))


def test_array_spread_over_many_lines_names_each_entry_line(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([row(0), row(1, TRICKY), row(2)], indent=2), encoding="utf-8")
    assert is_json_document(path)
    got = entries(path)
    assert [e for _, e in got] == [row(0), row(1, TRICKY), row(2)]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [lines[n - 1] for n, _ in got] == ["  {"] * 3
    assert sniff_format(path).name == "openai-chat"
    records = read(path)
    assert [r.request["messages"][0]["content"] for r in records] == ["hi 0", f"{TRICKY} 1", "hi 2"]
    assert records[1].metadata["n"] == [1, {"k": [1]}]


def test_one_line_array_and_empty_array(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([row(0), row(1, TRICKY)]), encoding="utf-8")
    assert entries(path) == [(1, row(0)), (1, row(1, TRICKY))]
    assert [r.id for r in read(path)] == ["line-1", "line-1-2"]  # default ids stay unique
    path.write_text("[ ]\n", encoding="utf-8")
    assert entries(path) == []


def test_page_objects_pretty_and_one_per_line(tmp_path: Path) -> None:
    openai_page = {"object": "list", "data": [row(0), row(1)], "first_id": "a",
                   "last_id": "b", "has_more": True}
    langfuse_page = {"data": [row(2)], "meta": {"page": 2, "limit": 50, "totalItems": 3}}
    pretty = tmp_path / "pages.json"
    pretty.write_text(json.dumps(openai_page, indent=2) + "\n" + json.dumps(
        langfuse_page, indent=4), encoding="utf-8")
    assert [e for _, e in entries(pretty)] == [row(0), row(1), row(2)]
    lines = pretty.read_text(encoding="utf-8").splitlines()
    assert all(lines[n - 1].strip() == "{" for n, _ in entries(pretty))
    per_line = tmp_path / "pages.jsonl"
    per_line.write_text(json.dumps(openai_page) + "\n" + json.dumps(langfuse_page) + "\n",
                        encoding="utf-8")
    assert not is_json_document(per_line)
    assert entries(per_line) == [(1, row(0)), (1, row(1)), (2, row(2))]
    assert first_json_object(per_line) == row(0)
    assert len(read(per_line)) == 3


def test_entry_with_a_nested_data_key_is_an_entry_not_a_page(tmp_path: Path) -> None:
    entry = {**row(0), "metadata": {"data": [1, 2]}, "data": "not a list"}
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    assert entries(path) == [(1, entry)]


def test_jsonl_lines_holding_arrays(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(row(0)) + "\n" + json.dumps([row(1), row(2)]) + "\n",
                    encoding="utf-8")
    assert entries(path) == [(1, row(0)), (2, row(1)), (2, row(2))]


def test_truncated_array_names_the_entry_it_ends_in(tmp_path: Path) -> None:
    text = json.dumps([row(0), row(1), row(2)], indent=2)
    path = tmp_path / "cut.json"
    path.write_text(text[: text.rindex('"ok 2"')], encoding="utf-8")
    got = entries(path)
    assert [e for _, e in got[:2]] == [row(0), row(1)]
    error = got[2][1]
    assert isinstance(error, LogLineError) and error.line == got[2][0]
    assert "ends inside this entry" in str(error) and "line 1" in str(error)
    assert str(path) in str(error)
    with pytest.raises(LogLineError, match=r"cut\.json:\d+"):
        read(path)
    assert len(read(path, skip_invalid=True)) == 2


def test_broken_entries_are_named_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    good = json.dumps(row(0))
    path.write_text(f'[\n{good},\n{{"request": 5}},\n{{"a": "raw\nbreak"}},\n7,\n{good}\n]\n',
                    encoding="utf-8")
    with pytest.raises(LogLineError, match=r"broken\.json:3: "):
        read(path, format="openai-chat")
    stream = read_log(LogSource(path=path, format="openai-chat", skip_invalid=True))
    assert len(list(stream)) == 2
    # the string cut by a raw line break (line 4) leaves its second half (line 5) as noise
    assert stream.invalid.lines == [3, 4, 5, 5, 6]


def test_stray_text_at_top_level_is_named(tmp_path: Path) -> None:
    path = tmp_path / "stray.json"
    path.write_text(json.dumps([row(0)]) + "\nnot json\n" + json.dumps([row(1)]) + "\n",
                    encoding="utf-8")
    got = entries(path)
    assert got[0] == (1, row(0)) and got[2] == (3, row(1))
    assert isinstance(got[1][1], LogLineError) and got[1][0] == 2


def test_gzip_and_bom(tmp_path: Path) -> None:
    body = json.dumps([row(0), row(1)], indent=1).encode()
    gz = tmp_path / "a.json.gz"
    gz.write_bytes(gzip.compress(b"\xef\xbb\xbf" + body))
    assert is_json_document(gz)
    assert [e for _, e in entries(gz)] == [row(0), row(1)]
    assert len(read(gz)) == 2
    cut = tmp_path / "cut.json.gz"
    whole = gzip.compress(json.dumps([row(i, "z" * 300) for i in range(5000)]).encode())
    cut.write_bytes(whole[: len(whole) // 2])
    assert sniff_format(cut).name == "openai-chat"  # from the first entries
    with pytest.raises(LogError, match="cannot be read to the end"):
        read(cut)
    bom = tmp_path / "b.json"
    bom.write_bytes(b"\xef\xbb\xbf\r\n" + body.replace(b"\n", b"\r\n"))
    assert [e for _, e in entries(bom)] == [row(0), row(1)]


def test_swapkit_native_array(tmp_path: Path) -> None:
    native = [{"id": f"r{i}", "request": {"messages": [{"role": "user", "content": "q"}]}}
              for i in range(3)]
    path = tmp_path / "n.json"
    path.write_text(json.dumps(native, indent=2), encoding="utf-8")
    assert sniff_format(path).name == "swapkit"
    assert [r.id for r in read(path)] == ["r0", "r1", "r2"]


def test_big_document_is_read_by_one_process(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("swapkit.ingest.logstats.PARALLEL_MIN_BYTES", 1)
    path = tmp_path / "many.json"
    path.write_text(json.dumps([row(i) for i in range(50)], indent=1), encoding="utf-8")
    assert inspect_stats(LogSource(path=path)).records == 50


def test_memory_stays_flat_on_a_large_array(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    entry = json.dumps(row(0, "x" * 200))
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for i in range(200_000):
            handle.write(("," if i else "") + entry)
        handle.write("]")
    assert path.stat().st_size > 60_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_entries(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 8_000_000  # a couple of read blocks, not the 60 MB file


def test_broken_tail_of_a_page_larger_than_a_read_block(tmp_path: Path) -> None:
    """The scanner forgets what it has read past a block; a page broken after its entries
    still resumes forward (no entry twice, no loop)."""
    page = json.dumps({"object": "list", "data": [row(i, "y" * 400) for i in range(3000)]})
    path = tmp_path / "p.json"
    path.write_text("{\n" + page[1:-1] + ', "x": "cut\nhere"}\n' + json.dumps(row(7)) + "\n",
                    encoding="utf-8")
    got = list(itertools.islice(iter_entries(path), 4000))
    good = [json.loads(e) for _, e in got if not isinstance(e, LogLineError)]
    assert good == [row(i, "y" * 400) for i in range(3000)] + [row(7)]
    assert [n for n, e in got if isinstance(e, LogLineError)] == [1, 3]
