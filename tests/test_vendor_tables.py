"""Vendor exports that come as tables: LiteLLM's SpendLogs (CSV / JSON / Parquet), LangSmith's
bulk export (Parquet) and Helicone's CSV exports, on fixtures written from the published
schemas (schema.prisma's LiteLLM_SpendLogs, LangSmith's exportable fields, @helicone/export's
CSV writer and the dashboard's export), read through each vendor's own object reader."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats import LogStream, read_log, sniff_format
from swapkit.records import Record

from .conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
SPENDLOGS = FIXTURES / "litellm" / "spendlogs.csv"
KEY_HASH = "5e4a1f9b2c7d08e3a6b1c4d7e0f2a5b8c1d4e7f0a3b6c9d2e5f8a1b4c7d0e3f6"
NOT_STORED = ("messages and response not stored in SpendLogs (turn on "
              "general_settings.store_prompts_in_spend_logs in the proxy)")


def read(path: Path, fmt: str = "auto", skip: bool = False) -> tuple[list[Record], LogStream]:
    stream = read_log(LogSource(path=path, format=fmt, skip_invalid=skip))
    return list(stream), stream


def test_spendlogs_csv_rows_become_records_and_skips() -> None:
    assert sniff_format(SPENDLOGS).name == "litellm"
    (chat, failure, old), stream = read(SPENDLOGS)
    assert stream.skipped == {NOT_STORED: 1, "call_type=aembedding": 1}

    assert chat.id == "chatcmpl-AbC1"
    assert chat.conversation_id == "9f1c2d3e-aaaa-4bbb-8ccc-0123456789ab"  # session_id
    assert chat.request["messages"] == [
        {"role": "system", "content": "You are a weather bot.\nAnswer briefly."},
        {"role": "user", "content": "Weather in Paris?"}]  # from proxy_server_request
    assert chat.request["model"] == "gpt-4o"
    assert (chat.request["temperature"], chat.request["max_tokens"]) == (0.2, 200)
    assert chat.request["tools"][0]["function"]["name"] == "get_weather"
    assert "stream" not in chat.request and "user" not in chat.request
    response = chat.response
    assert response is not None and response.finish_reason == "tool_calls"
    assert json.loads(response.tool_calls[0].arguments) == {"city": "Paris"}
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (61, 17)
    assert response.latency_s == pytest.approx(1.5)
    assert chat.timestamp == datetime.fromisoformat("2025-03-04T10:15:02.120+00:00")
    assert chat.metadata["user_api_key_alias"] == "support-bot"
    assert chat.metadata["tags"] == ["prod", "weather"]
    assert response.cost_usd == pytest.approx(0.000323)  # spend
    assert response.ttft_s == pytest.approx(0.4, abs=1e-6)  # epoch floats: not exact

    assert failure.response is not None and failure.response.status == "rate_limited"
    assert failure.response.http_status == 429
    assert "Rate limit reached" in (failure.response.error or "")
    assert failure.request["temperature"] == 0.7

    assert old.request["messages"] == [{"role": "user", "content": "Say hi"}]  # messages column
    assert old.response is not None and old.response.answer == "Hi!"  # a JSON string
    assert old.conversation_id is None

    for record in (chat, failure, old):  # the hashed key never travels
        assert KEY_HASH not in record.model_dump_json()


def test_spendlogs_json_rows_share_the_reader() -> None:
    path = FIXTURES / "litellm" / "spendlogs.jsonl"
    assert sniff_format(path).name == "litellm"
    (chat, failure), stream = read(path)
    assert stream.skipped == {NOT_STORED: 1}
    assert chat.request["messages"][1] == {"role": "user", "content": "Weather in Paris?"}
    assert chat.response is not None and chat.response.latency_s == pytest.approx(1.5)
    assert failure.response is not None and failure.response.status == "rate_limited"
    assert failure.request["messages"] == [{"role": "user", "content": "Summarise this"}]
    assert KEY_HASH not in chat.model_dump_json() + failure.model_dump_json()


def test_spendlogs_parquet_with_typed_columns(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(SPENDLOGS)  # timestamps, numbers and booleans get their types
    assert str(table.schema.field("startTime").type).startswith("timestamp")
    path = tmp_path / "spendlogs.parquet"
    pq.write_table(table, path)
    assert sniff_format(path).name == "litellm"
    records, stream = read(path)
    assert [r.id for r in records] == ["chatcmpl-AbC1", "6a0d55b2-5e1f-4f5e-9a55-3b8d1c2f7e10",
                                       "chatcmpl-Old5"]
    assert records[0].response is not None
    assert records[0].response.latency_s == pytest.approx(1.5)
    assert stream.skipped == {NOT_STORED: 1, "call_type=aembedding": 1}


def test_inspect_counts_unstored_rows_with_the_setting_to_turn_on() -> None:
    result = run_cli(["inspect", str(SPENDLOGS)])
    assert result.exit_code == 0, result.output
    assert "format     litellm" in result.output
    assert "store_prompts_in_spend_logs" in result.output and "(1)" in result.output


def test_parallel_inspect_never_splits_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from swapkit.ingest import logstats

    monkeypatch.setattr(logstats, "PARALLEL_MIN_BYTES", 1)
    stats = logstats.inspect_stats(LogSource(path=SPENDLOGS))
    assert stats.records == 3 and sum(stats.skipped.values()) == 2


LANGSMITH_ROWS = FIXTURES / "langsmith" / "bulk_export_rows.jsonl"


def write_bulk_export(path: Path, rows: list[dict[str, Any]]) -> Path:
    """A bulk export file: the exportable Run fields, JSON ones as text, UTC timestamps."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamp, cost = pa.timestamp("us", tz="UTC"), pa.decimal128(18, 12)
    text = {"id", "tenant_id", "session_id", "trace_id", "parent_run_id", "reference_example_id",
            "name", "run_type", "status", "dotted_order", "trace_tier", "inputs", "outputs",
            "error", "extra", "events", "feedback_stats"}
    fields = []
    for name in rows[0]:
        kind = (pa.string() if name in text else stamp if name.endswith("_time")
                else cost if name.endswith("_cost") else pa.bool_() if name == "is_root"
                else pa.list_(pa.string()) if name in ("tags", "parent_run_ids") else pa.int64())
        fields.append((name, kind))
    typed = []
    for row in rows:
        typed.append({key: (datetime.fromisoformat(value) if key.endswith("_time") and value
                            else Decimal(value) if key.endswith("_cost") and value else value)
                      for key, value in row.items()})
    pq.write_table(pa.Table.from_pylist(typed, schema=pa.schema(fields)), path)
    return path


def bulk_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LANGSMITH_ROWS.read_text().splitlines()]


def test_langsmith_bulk_export_parquet(tmp_path: Path) -> None:
    path = write_bulk_export(tmp_path / "runs.parquet", bulk_rows())
    assert sniff_format(path).name == "langsmith"
    (run, failed), stream = read(path)
    assert stream.skipped == {"run_type=chain": 1}
    assert run.id == "0193a1c2-7e00-7000-8000-0000000000c1"
    assert run.request == {"messages": [{"role": "system", "content": "You are terse."},
                                        {"role": "user", "content": "What is 2+2?"}],
                           "model": "gpt-4o-mini", "temperature": 0.0, "max_tokens": 64, "n": 1}
    assert run.conversation_id == "thr-7"
    response = run.response
    assert response is not None and response.answer == "4" and response.finish_reason == "stop"
    assert response.latency_s == pytest.approx(0.8) and response.model == "gpt-4o-mini-2024-07-18"
    assert response.usage is not None and response.usage.prompt_tokens == 20
    assert run.metadata["tags"] == ["prod"] and run.metadata["route"] == "math"
    assert response.cost_usd == pytest.approx(0.0000036)
    assert response.ttft_s == pytest.approx(0.25)
    assert run.timestamp == datetime.fromisoformat("2025-02-03T09:30:00.200+00:00")
    assert failed.response is not None and failed.response.status == "rate_limited"


@pytest.mark.parametrize(("change", "words"), [
    ({"inputs": '{"messages": [[{"lc": 1'}, "column 'inputs' is not valid JSON"),
    ({"inputs": '["a prompt"]'}, "inputs must be an object"),
    ({"inputs": None}, "no prompt"),
    ({"prompt_tokens": -1, "extra": "not json at all"}, "extra must be an object"),
])
def test_langsmith_bad_rows_name_the_row(tmp_path: Path, change: dict[str, Any],
                                         words: str) -> None:
    _, run, failed = bulk_rows()
    path = write_bulk_export(tmp_path / "runs.parquet", [run, {**run, **change}, failed])
    with pytest.raises(LogLineError) as info:
        read(path)
    assert info.value.line == 2 and words in str(info.value) and str(path) in str(info.value)
    records, stream = read(path, skip=True)
    assert len(records) == 2 and stream.invalid.lines == [2]


def test_helicone_export_tool_csv() -> None:
    path = FIXTURES / "helicone" / "export_tool.csv"
    assert sniff_format(path).name == "helicone"
    (chat, limited), stream = read(path)
    assert stream.skipped == {
        "request body not exported (export with --include-body)": 1, "embeddings request": 1}
    assert chat.id == "4c0b5e1a-1111-4a3b-9c8d-000000000001"  # response_id: no request_id column
    assert chat.request["messages"][1] == {"role": "user", "content": 'Say "hello", please'}
    assert (chat.request["temperature"], chat.request["max_tokens"]) == (0.3, 50)
    assert chat.conversation_id == "sess-1"
    assert chat.metadata["properties"]["App"] == "support"
    assert chat.response is None  # the tool's CSV carries no response body (nor its cost)
    assert limited.response is not None and limited.response.status == "rate_limited"


def test_helicone_dashboard_csv_units() -> None:
    """delay_ms and time_to_first_token are milliseconds, cost is USD (the API divides the
    stored integer cost by its precision multiplier before returning it)."""
    path = FIXTURES / "helicone" / "dashboard.csv"
    assert sniff_format(path).name == "helicone"
    (ok, failed), _ = read(path)
    assert ok.id == "9a8b7c6d-0000-4000-8000-0000000000q1"
    assert ok.request["messages"] == [{"role": "user", "content": "Where is search,\nin the docs?"}]
    assert ok.response is not None and ok.response.answer == "Use the search bar, top right."
    assert ok.response.latency_s == pytest.approx(0.812)
    assert ok.response.ttft_s == pytest.approx(0.24)
    assert ok.response.cost_usd == pytest.approx(0.0000123)
    assert ok.conversation_id == "s-9"
    assert failed.response is not None and failed.response.status == "error"
    assert failed.response.error == "upstream timeout" and failed.response.http_status == 500
    assert failed.response.latency_s == pytest.approx(30.001)


HEADER = ("request_id,call_type,api_key,spend,prompt_tokens,completion_tokens,startTime,endTime,"
          "model_group,metadata,messages,response,proxy_server_request\n")
GOOD = ('a,acompletion,hash,0.1,3,1,2025-01-01 00:00:00,2025-01-01 00:00:01,m,{},{},"""hi""",'
        '"{""messages"": [{""role"": ""user"", ""content"": ""hi""}]}"\n')


@pytest.mark.parametrize(("row", "words"), [
    (",,,,,,,,,,,,\n", "call_type"),  # every cell empty
    ('b,acompletion,h,0,1,1,,,m,{oops,{},{},{}\n', "column 'metadata' is not valid JSON"),
    ('b,acompletion,h,0,many,1,,,m,{},{},{},"{""messages"": [{""role"": ""user""}]}"\n',
     "prompt_tokens"),
    ('b,acompletion,h,0,1,1,,,m,[],{},{},{}\n', "metadata must be a JSON object"),
    ('b,acompletion,h,0,1,1,,,m,{},"{""a"": 1}",{},{}\n', "without 'role'"),
    ('b,acompletion,h,0,1,1,yesterday,,m,{},[{""role"": ""user""}],{},{}\n', "startTime"),
    ("b,acompletion,h,0,1,1,,,m,{},{},{},{},extra\n", "13 columns"),
])
def test_hostile_spendlogs_rows_name_the_csv_line(tmp_path: Path, row: str, words: str) -> None:
    path = tmp_path / "spend.csv"
    path.write_text(HEADER + GOOD + row + GOOD, encoding="utf-8")
    with pytest.raises(LogLineError) as info:
        read(path)
    assert info.value.line == 3 and words in str(info.value), str(info.value)
    records, stream = read(path, skip=True)
    assert len(records) == 2 and stream.invalid.lines == [3]


def test_csv_line_numbers_are_where_a_row_starts(tmp_path: Path) -> None:
    multi = ('b,acompletion,h,0,1,1,,,m,"{\n  ""user_api_key_alias"": 1\n}",{},{},'
             '"{""messages"": 5}"\n')
    path = tmp_path / "spend.csv"
    path.write_text(HEADER + GOOD + "\n" + multi + GOOD, encoding="utf-8")
    with pytest.raises(LogLineError) as info:
        read(path)
    assert info.value.line == 4  # the blank line 3 is skipped; the bad row spans 4-6
    assert read(path, skip=True)[1].invalid.lines == [4]


def test_vendor_format_named_for_a_table(tmp_path: Path) -> None:
    assert len(read(SPENDLOGS, fmt="litellm")[0]) == 3
    generic = tmp_path / "questions.csv"
    generic.write_text("prompt,segment\nhello,a\n", encoding="utf-8")
    assert sniff_format(generic).name == "csv"
    with pytest.raises(LogError, match="not a litellm table export; columns are: prompt, segment"):
        read(generic, fmt="litellm")
    with pytest.raises(LogError, match="not a helicone table export"):
        read(SPENDLOGS, fmt="helicone")


def test_row_cells_become_json_values() -> None:
    from uuid import UUID

    from swapkit.ingest.formats.table_rows import row_object

    run_id = UUID("0193a1c2-7e00-7000-8000-0000000000c1")
    row = row_object({"id": run_id, "raw": b"\xff\x00", "text": b"hi", "cost": Decimal("0.25"),
                      "tokens": float("nan"), "at": datetime(2025, 1, 2, 3, 4, 5), "empty": "",
                      "nested": {"list": [Decimal("1.5"), ""]}, "body": '{""a"": """"}'},
                     frozenset({"body"}))
    assert row == {"id": str(run_id), "raw": "ff00", "text": "hi", "cost": 0.25, "tokens": None,
                   "at": "2025-01-02T03:04:05", "empty": None,
                   "nested": {"list": [1.5, ""]}, "body": {"a": ""}}
