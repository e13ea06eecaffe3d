"""The Langfuse observation reader, on fixtures written from Langfuse's published schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format

FIXTURES = Path(__file__).parent / "fixtures" / "langfuse"


def test_jsonl_export_generations_span_skipped_error_recorded() -> None:
    path = FIXTURES / "export.jsonl"
    assert sniff_format(path).name == "langfuse"
    stream = read_log(LogSource(path=path))
    tools, prompt, error = list(stream)
    assert stream.skipped == {"type=SPAN": 1}
    assert stream.invalid.count == 0

    assert tools.id == "gen-1" and tools.conversation_id == "trace-a"
    assert tools.request["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert tools.request["tools"][0]["function"]["name"] == "get_weather"
    assert tools.request["temperature"] == 0.2 and tools.request["max_tokens"] == 256
    assert tools.request["top_p"] == 1.0 and tools.request["model"] == "gpt-4o-2024-08-06"
    response = tools.response
    assert response is not None and response.status == "ok"
    assert response.tool_calls[0].name == "get_weather" and response.tool_calls[0].id == "call_1"
    assert json.loads(response.tool_calls[0].arguments) == {"city": "Paris"}
    assert response.finish_reason == "tool_calls"
    assert response.latency_s == pytest.approx(2.5)
    assert response.usage is not None
    assert response.usage.prompt_tokens == 42  # input excludes the 12 cached tokens
    assert response.usage.cached_tokens == 12 and response.usage.completion_tokens == 17
    assert tools.response is not None
    assert tools.response.ttft_s == pytest.approx(0.4)
    assert tools.response.cost_usd == pytest.approx(0.0003)
    assert tools.metadata["metadata"] == {"route": "weather"}
    assert tools.metadata["parent_observation_id"] == "span-1"
    assert tools.timestamp is not None and tools.timestamp.year == 2024

    assert prompt.conversation_id == "session-7"  # sessionId before traceId
    assert prompt.request == {
        "messages": [{"role": "user", "content": "Summarise: the cat sat on the mat."}],
        "temperature": 0.0, "max_tokens": 100, "model": "claude-3-haiku",
    }
    assert prompt.response is not None and prompt.response.answer == "A cat sat on a mat."
    assert prompt.response.usage is not None
    assert (prompt.response.usage.prompt_tokens, prompt.response.usage.completion_tokens) == (11, 7)
    assert prompt.response.latency_s == pytest.approx(1.2)
    assert prompt.response.cost_usd == pytest.approx(0.00002)
    assert prompt.response.ttft_s is None

    assert error.response is not None and error.response.status == "error"
    assert error.response.error == "Rate limit exceeded (429)"
    assert error.response.latency_s == pytest.approx(30.0)


def test_segment_from_observation_metadata() -> None:
    source = LogSource(path=FIXTURES / "export.jsonl", segment_field="metadata.metadata.route")
    assert [r.segment for r in read_log(source)] == ["weather", "summary", None]


def test_api_page_line() -> None:
    path = FIXTURES / "api_page.jsonl"
    assert sniff_format(path).name == "langfuse"
    stream = read_log(LogSource(path=path))
    (record,) = list(stream)
    assert stream.skipped == {"type=EVENT": 1}
    assert record.id == "gen-10" and record.conversation_id == "trace-x"
    assert record.request == {"messages": [{"role": "user", "content": "Say hi"}],
                              "temperature": 0.7, "model": "gpt-4o-mini"}
    assert record.response is not None and record.response.answer == "Hi!"
    assert record.response.usage is not None
    assert (record.response.usage.prompt_tokens, record.response.usage.completion_tokens) == (3, 2)
    assert record.response.latency_s == pytest.approx(0.8)
    assert record.response.cost_usd == pytest.approx(0.000001)


GEN = {"id": "g", "traceId": "t", "type": "GENERATION", "startTime": "2024-01-01T00:00:00Z",
       "input": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(("change", "words"), [
    ({"input": None}, "no input"),
    ({"input": []}, "empty list"),
    ({"input": ""}, "empty prompt"),
    ({"input": 5}, "input must be"),
    ({"input": [{"content": "no role"}]}, "input[0]"),
    ({"modelParameters": {"temperature": "hot"}}, "modelParameters.temperature"),
    ({"modelParameters": {"max_tokens": 1.5}}, "whole number"),
    ({"modelParameters": {"temperature": "nan"}}, "finite"),
    ({"modelParameters": "t=1"}, "modelParameters must be an object"),
    ({"modelParameters": {"stop": 5}}, "modelParameters.stop"),
    ({"startTime": 17}, "startTime"),
    ({"endTime": "yesterday"}, "endTime"),
    ({"usageDetails": {"input": "many"}, "output": "x"}, "usage.input"),
    ({"usage": [1, 2], "output": "x"}, "usage must be an object"),
    ({"output": {"tool_calls": [{"function": {}}]}}, "no function name"),
    ({"type": None}, "no observation 'type'"),
])
def test_hostile_generations_name_the_line(tmp_path: Path, change: dict[str, object],
                                           words: str) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(GEN) + "\n" + json.dumps({**GEN, "id": "bad", **change}) + "\n")
    with pytest.raises(LogLineError) as info:
        list(read_log(LogSource(path=path, format="langfuse")))
    assert info.value.line == 2 and words in str(info.value)
    stream = read_log(LogSource(path=path, format="langfuse", skip_invalid=True))
    assert [r.id for r in stream] == ["g"] and stream.invalid.count == 1


def test_page_with_a_bad_entry_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "page.jsonl"
    page = {"data": [GEN, "junk", {**GEN, "id": "g2"}], "meta": {}}
    path.write_text(json.dumps(page) + "\n")
    stream = read_log(LogSource(path=path, skip_invalid=True))
    assert [r.id for r in stream] == ["g", "g2"] and stream.invalid.count == 1
    path.write_text(json.dumps({"data": "x", "meta": {}}) + "\n")
    with pytest.raises(LogLineError, match="data"):
        list(read_log(LogSource(path=path, format="langfuse")))


def test_trace_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    trace = {"id": "t1", "timestamp": "2024-01-01T00:00:00Z", "name": "chat",
             "observations": ["g"], "sessionId": None, "input": "hi", "output": "yo"}
    path.write_text(json.dumps(trace) + "\n" + json.dumps(GEN) + "\n")
    assert sniff_format(path).name == "langfuse"
    stream = read_log(LogSource(path=path))
    assert [r.id for r in stream] == ["g"]
    assert stream.skipped == {"a trace, not an observation": 1}
