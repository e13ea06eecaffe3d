"""The Helicone request reader, on fixtures written from Helicone's published schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format

FIXTURES = Path(__file__).parent / "fixtures" / "helicone"


def test_export_chat_rows_embeddings_skipped_429_recorded() -> None:
    path = FIXTURES / "export.jsonl"
    assert sniff_format(path).name == "helicone"
    stream = read_log(LogSource(path=path))
    tools, plain, limited = list(stream)
    assert stream.skipped == {"embeddings request": 1}
    assert stream.invalid.count == 0

    assert tools.id == "req-1" and tools.conversation_id == "sess-a"
    assert tools.request["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert tools.request["tools"][0]["function"]["name"] == "get_weather"
    assert tools.request["tool_choice"] == "auto"
    assert tools.request["temperature"] == 0.2 and tools.request["max_tokens"] == 256
    assert tools.request["model"] == "gpt-4o-2024-08-06"
    response = tools.response
    assert response is not None and response.status == "ok"
    assert response.tool_calls[0].name == "get_weather" and response.tool_calls[0].id == "call_1"
    assert json.loads(response.tool_calls[0].arguments) == {"city": "Paris"}
    assert response.finish_reason == "tool_calls"
    assert response.latency_s == pytest.approx(2.5)
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (54, 17)
    assert tools.response is not None
    assert tools.response.ttft_s == pytest.approx(0.4)
    assert tools.response.cost_usd == pytest.approx(0.0003)
    assert tools.metadata["properties"]["App"] == "weather"
    assert tools.metadata["user_id"] == "user-42"
    assert tools.timestamp is not None and tools.timestamp.year == 2024

    # request_body as an object, response_body as JSON text, usage from the row
    assert plain.conversation_id is None
    assert plain.request == {
        "messages": [{"role": "user", "content": "Summarise: the cat sat on the mat."}],
        "temperature": 0.0, "max_tokens": 100, "model": "gpt-4o-mini",
    }
    assert plain.response is not None and plain.response.answer == "A cat sat on a mat."
    assert plain.response.usage is not None
    assert (plain.response.usage.prompt_tokens, plain.response.usage.completion_tokens) == (11, 7)
    assert plain.response.latency_s == pytest.approx(1.2)
    assert plain.response.cost_usd == pytest.approx(0.00002)
    assert plain.response.ttft_s is None

    assert limited.response is not None and limited.response.status == "rate_limited"
    assert limited.response.http_status == 429
    assert "Rate limit reached" in (limited.response.error or "")


def test_api_pages() -> None:
    path = FIXTURES / "api_page.jsonl"
    assert sniff_format(path).name == "helicone"
    stream = read_log(LogSource(path=path))
    first, second = list(stream)
    assert stream.skipped == {"embeddings request": 1}
    assert first.id == "req-10" and first.conversation_id == "sess-b"  # from "properties"
    assert first.response is not None and first.response.answer == "A cat sat on a mat."
    assert second.id == "req-12" and second.response is not None
    assert second.response.tool_calls[0].name == "get_weather"


def test_segment_field_from_custom_property() -> None:
    stream = read_log(LogSource(path=FIXTURES / "export.jsonl",
                                segment_field="properties.App"))
    assert [r.segment for r in stream] == ["weather", "summary", "weather"]


def test_format_by_name_and_row_without_body_skipped(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"request_id": "r", "request_created_at": "2024-01-01T00:00:00Z",
                                "response_status": 200, "delay_ms": 10}) + "\n")
    stream = read_log(LogSource(path=path, format="helicone"))
    assert list(stream) == []
    assert list(stream.skipped) == ["request body not exported (export with --include-body)"]


BAD = [
    ({"request_id": "r", "request_body": "{not json"}, "not valid JSON"),
    ({"request_id": "r", "request_body": {"messages": "hi"}}, "non-empty list"),
    ({"request_id": "r", "request_body": {"messages": [{"role": "user", "content": "x"}],
                                          "temperature": "hot"}}, "temperature"),
    ({"request_id": "r", "request_body": {"messages": [{"role": "user", "content": "x"}],
                                          "tools": "nope"}}, "tools"),
    ({"request_id": "r", "request_body": {"messages": [{"role": "user", "content": "x"}]},
      "response_status": 200, "response_body": {"weird": 1}}, "chat completion"),
    ({"request_id": "r", "request_body": {"messages": [{"role": "user", "content": "x"}]},
      "delay_ms": "soon"}, "delay_ms"),
    ({"request_id": "r", "request_body": {"messages": [{"role": "user", "content": "x"}]},
      "request_created_at": 5}, "request_created_at"),
    ({"data": 3, "error": None}, "list of request rows"),
    ({"data": None, "error": "Unauthorized"}, "API error page"),
    ({"data": [7], "error": None}, "expected a JSON object"),
]


@pytest.mark.parametrize(("row", "words"), BAD)
def test_hostile_rows_are_line_errors(tmp_path: Path, row: dict[str, object],
                                      words: str) -> None:
    path = tmp_path / "log.jsonl"
    good = {"request_id": "ok", "request_body": {"messages": [{"role": "user", "content": "x"}]}}
    path.write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(LogLineError) as info:
        list(read_log(LogSource(path=path, format="helicone")))
    assert info.value.line == 2 and words in str(info.value)
    stream = read_log(LogSource(path=path, format="helicone", skip_invalid=True))
    assert [r.id for r in stream] == ["ok"] and stream.invalid.count == 1
