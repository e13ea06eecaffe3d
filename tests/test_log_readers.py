"""Every reader, on small logs written here, including heterogeneous nested JSON."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from swapkit.config import ColumnMapping, LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats import read_log, sniff_format

USER = {"role": "user", "content": "hi"}


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def records(path: Path, **kwargs: Any) -> list[Any]:
    return list(read_log(LogSource(path=path, **kwargs)))


def test_native_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "n.jsonl", [
        {"id": "a", "request": {"messages": [USER]}, "segment": "s1",
         "response": {"answer": "hello", "latency_s": 1.5}},
        {"id": "b", "request": {"messages": [USER], "temperature": 0}},
    ])
    assert sniff_format(path).name == "swapkit"
    got = records(path)
    assert [r.id for r in got] == ["a", "b"]
    assert got[0].response.answer == "hello"
    assert got[0].response.latency_s == 1.5


def test_openai_chat_heterogeneous_requests(tmp_path: Path) -> None:
    """Nested fields that first appear late (tools, content parts) break Arrow inference."""
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    rows = [{"request": {"messages": [USER]}, "response": {"choices": [
        {"message": {"content": "plain"}, "finish_reason": "stop"}]}}] * 3
    rows.append({"request": {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "part"}, {"type": "image_url", "image_url": {"url": "u"}}]}],
        "tools": [tool], "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
        "x_vendor": [1, {"deep": [None]}]},
        "response": {"choices": [{"message": {"content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 3}},
        "latency_ms": 1200, "route": "search"})
    rows.append({"request": {"messages": [USER, {"role": "assistant", "content": "x"},
                                          {"role": "user", "content": "y"}]},
                 "response": {"choices": [{"message": {
                     "content": "thought</think>answer"}, "finish_reason": "stop"}]}})
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    assert sniff_format(path).name == "openai-chat"
    got = records(path)
    assert len(got) == 5
    special = got[3]
    assert special.request["x_vendor"] == [1, {"deep": [None]}]
    assert special.response.tool_calls[0].name == "f"
    assert special.response.latency_s == 1.2
    assert special.metadata == {"route": "search"}
    assert got[4].response.answer == "answer" and got[4].response.reasoning == "thought"
    assert got[4].is_multi_turn
    assert got[0].id == "line-1"


def test_openai_chat_error_response(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [
        {"request": {"messages": [USER]}, "response": {"error": {"message": "slow down"}},
         "status_code": 429},
    ])
    response = records(path)[0].response
    assert (response.status, response.http_status, response.error) == (
        "rate_limited", 429, "slow down")


def test_segment_from_dotted_path(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [
        {"request": {"messages": [USER], "metadata": {"task": "faq"}}, "tenant": {"id": 7}},
    ])
    assert records(path, segment_field="request.metadata.task")[0].segment == "faq"
    assert records(path, segment_field="tenant.id")[0].segment == "7"
    assert records(path, segment_field="metadata.nothing")[0].segment is None


def test_messages_only(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", [
        {"messages": [{"role": "system", "content": "s"}, USER,
                      {"role": "assistant", "content": "gold"}], "tools": [], "segment": "a"},
        {"messages": [USER], "temperature": 0.3, "source": "eval-set"},
    ])
    assert sniff_format(path).name == "messages"
    first, second = records(path)
    assert first.reference == "gold"
    assert [m["role"] for m in first.messages] == ["system", "user"]
    assert first.request["tools"] == []
    assert second.request["temperature"] == 0.3
    assert second.metadata == {"source": "eval-set"}


def test_batch_input_joined_with_output(tmp_path: Path) -> None:
    inp = write_jsonl(tmp_path / "in.jsonl", [
        {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]}}
        for i in range(4)
    ])
    out = write_jsonl(tmp_path / "out.jsonl", [
        {"custom_id": "r2", "response": {"status_code": 200, "body": {"choices": [
            {"message": {"content": "a2"}, "finish_reason": "stop"}]}}, "error": None},
        {"custom_id": "r0", "response": {"status_code": 200, "body": {"choices": [
            {"message": {"content": "a0"}, "finish_reason": "stop"}]}}, "error": None},
        {"custom_id": "r1", "response": {"status_code": 500, "body": {"error": {
            "message": "boom"}}}, "error": None},
    ])
    assert sniff_format(inp).name == "openai-batch"
    got = {r.id: r for r in records(inp, output=out)}
    assert got["r0"].response.answer == "a0"
    assert got["r2"].response.answer == "a2"
    assert (got["r1"].response.status, got["r1"].response.http_status) == ("error", 500)
    assert got["r3"].response is None
    assert {r.id for r in records(inp)} == {"r0", "r1", "r2", "r3"}


def test_batch_rejects_non_chat_urls(tmp_path: Path) -> None:
    inp = write_jsonl(tmp_path / "in.jsonl", [
        {"custom_id": "e", "method": "POST", "url": "/v1/embeddings", "body": {"input": "x"}}])
    with pytest.raises(LogLineError, match="chat-completions"):
        records(inp)


def test_batch_output_given_as_log_is_explained(tmp_path: Path) -> None:
    out = write_jsonl(tmp_path / "out.jsonl", [{"custom_id": "a", "response": {}}])
    with pytest.raises(LogError, match="output"):
        sniff_format(out)


def test_csv_with_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("qid,question,answer,route,lang\n1,Hello?,\"<think>x</think>Hi\",faq,en\n",
                    encoding="utf-8")
    mapping = ColumnMapping(id="qid", prompt="question", response="answer", segment="route")
    (record,) = records(path, columns=mapping)
    assert record.id == "1" and record.segment == "faq"
    assert record.response.answer == "Hi" and record.response.reasoning == "x"
    assert record.metadata == {"lang": "en"}


def test_csv_missing_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("question\nhello\n", encoding="utf-8")
    with pytest.raises(LogError, match="no prompt column.*question"):
        records(path)
    with pytest.raises(LogError, match="'answer' \\(mapped to response\\) does not exist"):
        records(path, columns=ColumnMapping(prompt="question", response="answer"))


def test_parquet_with_request_json_column(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    requests = [{"messages": [USER]},
                {"messages": [USER], "tools": [{"type": "function", "function": {"name": "f"}}]}]
    table = pa.Table.from_pylist([{"id": str(i), "request": json.dumps(r), "segment": "s"}
                                  for i, r in enumerate(requests)])
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    assert sniff_format(path).name == "parquet"
    got = records(path)
    assert got[1].request["tools"][0]["function"]["name"] == "f"


def test_hf_dataset_from_disk(tmp_path: Path) -> None:
    import datasets

    folder = tmp_path / "ds"
    datasets.DatasetDict({"train": datasets.Dataset.from_list(
        [{"prompt": "p1", "reference": "r1", "segment": "a"},
         {"prompt": "p2", "reference": "r2", "segment": "b"}])}).save_to_disk(str(folder))
    assert sniff_format(folder).name == "hf-dataset"
    got = records(folder)
    assert [r.reference for r in got] == ["r1", "r2"]
    with pytest.raises(LogError, match="split"):
        records(folder, split="test")


def test_gzip_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    body = ("\ufeff" + json.dumps({"messages": [USER]}) + "\r\n\r\n"
            + json.dumps({"messages": [USER], "seed": 1}) + "\r\n")
    path = tmp_path / "m.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(body)
    got = records(path)
    assert [r.id for r in got] == ["line-1", "line-3"]


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"request": {"messages": [{"role": "user", "content": "a"}]}}\n'
                    '{"request": {"messages": [\n'
                    '{"request": {"messages": "oops"}}\n', encoding="utf-8")
    with pytest.raises(LogLineError) as info:
        records(path)
    assert info.value.line == 2 and str(path) in str(info.value)
    stream = read_log(LogSource(path=path, skip_invalid=True))
    assert len(list(stream)) == 1
    assert stream.invalid.count == 2 and stream.invalid.lines == [2, 3]


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{"foo": 1}])
    with pytest.raises(LogError, match="cannot tell the log format.*foo"):
        read_log(LogSource(path=path))
    with pytest.raises(LogError, match="unknown log format 'nope'") as info:
        read_log(LogSource(path=path, format="nope"))
    assert "openai-chat" in str(info.value)
    with pytest.raises(LogError, match="no such file"):
        read_log(LogSource(path=tmp_path / "missing.jsonl"))


def test_numbers_of_observability_exports_parse_exactly_or_name_the_field() -> None:
    """One parser for the readers' numeric fields (they arrive as numbers or strings): an
    int is exact past 2**53 (a seed that moved would change the replay), a float must be
    finite, an int whole."""
    from swapkit.ingest.formats.fields import parse_number

    assert parse_number("12345678901234567891", "seed", int) == 12345678901234567891
    assert parse_number(" 7 ", "n", int) == 7 and parse_number("3.0", "n", int) == 3
    assert parse_number("0.25", "temperature") == 0.25 and parse_number(None, "x") is None
    assert parse_number("", "x") is None
    for value, kind, message in (("2.5", int, "whole"), ("nan", float, "finite"),
                                 (True, float, "must be a number"), ("abc", int, "a number"),
                                 ([1], float, "must be a number"), ("1e999", float, "finite")):
        with pytest.raises(ValueError, match=message):
            parse_number(value, "field", kind)
