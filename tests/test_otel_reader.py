"""The OpenTelemetry GenAI span reader, on fixtures written from the semantic conventions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format

FIXTURES = Path(__file__).parent / "fixtures" / "otel"


def test_collector_export_two_chat_spans_and_a_tool_span() -> None:
    path = FIXTURES / "collector.jsonl"
    assert sniff_format(path).name == "otel"
    stream = read_log(LogSource(path=path))
    first, second = list(stream)
    assert stream.skipped == {"gen_ai.operation.name=execute_tool": 1}
    assert first.id == "a1b2c3d4e5f60718"
    assert first.conversation_id == second.conversation_id == "5b8efff798038103d269b633813fc60c"
    assert first.request["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert first.request["temperature"] == 0.2 and first.request["max_tokens"] == 200
    assert first.request["top_p"] == 1.0 and first.request["model"] == "gpt-4o"
    assert first.request["tools"][0]["function"]["name"] == "get_weather"
    assert first.response is not None
    assert first.response.tool_calls[0].name == "get_weather"
    assert json.loads(first.response.tool_calls[0].arguments) == {"city": "Paris"}
    assert first.response.finish_reason == "tool_calls"
    assert first.response.latency_s == pytest.approx(1.25)
    assert first.response.model == "gpt-4o-2024-08-06"
    assert first.response.usage is not None
    assert (first.response.usage.prompt_tokens, first.response.usage.completion_tokens) == (42, 17)
    assert first.metadata["service_name"] == "weather-app"
    assert first.timestamp is not None and first.timestamp.year == 2023
    messages = second.request["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2]["tool_calls"][0]["id"] == "call_1"
    assert messages[3] == {"role": "tool", "tool_call_id": "call_1", "content": "rainy, 57F"}
    assert second.response is not None and second.response.answer == "It is rainy, 57F."
    assert second.response.status == "ok"


def test_jsonl_of_spans_with_structured_attributes() -> None:
    path = FIXTURES / "spans.jsonl"
    assert sniff_format(path).name == "otel"
    stream = read_log(LogSource(path=path))
    (record,) = list(stream)
    assert stream.skipped == {"gen_ai.operation.name=embeddings": 1}
    assert record.request == {"messages": [{"role": "user", "content": "Say hi"}],
                              "model": "llama-3-8b"}
    assert record.response is not None and record.response.answer == "Hi!"
    assert record.response.usage is not None and record.response.usage.completion_tokens == 2
    assert record.response.latency_s == pytest.approx(0.8)


def test_event_based_form() -> None:
    (record,) = list(read_log(LogSource(path=FIXTURES / "events.jsonl", format="otel")))
    assert record.request["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_9", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
        {"role": "tool", "content": "rainy", "tool_call_id": "call_9"},
    ]
    assert record.response is not None and record.response.answer == "Rainy."
    assert record.response.finish_reason == "stop" and record.response.latency_s == 2.0
    assert record.metadata["provider"] == "openai"


def _span(**attributes: object) -> dict[str, object]:
    return {"traceId": "t", "spanId": "s", "attributes": [
        {"key": k.replace("_", ".").replace("gen.ai", "gen_ai"), "value": v}
        for k, v in attributes.items()]}


CHAT = {"stringValue": "chat"}
INPUT = {"stringValue": json.dumps([{"role": "user", "parts": [{"type": "text",
                                                                 "content": "hi"}]}])}


@pytest.mark.parametrize(("span", "words"), [
    (_span(gen_ai_operation_name=CHAT), "no input messages"),
    (_span(gen_ai_operation_name=CHAT, gen_ai_input_messages={"stringValue": "[{"}),
     "not valid JSON"),
    (_span(gen_ai_operation_name=CHAT, gen_ai_input_messages={"stringValue": "[]"}),
     "no input messages"),
    (_span(gen_ai_operation_name=CHAT, gen_ai_input_messages={"intValue": "x1"}), "invalid"),
    (_span(gen_ai_operation_name=CHAT, gen_ai_input_messages={"stringValue": '[{"role": 1}]'}),
     "role"),
    (_span(gen_ai_operation_name=CHAT, gen_ai_input_messages=INPUT,
           gen_ai_request_temperature={"stringValue": "hot"}), "temperature"),
    ({"traceId": "t", "spanId": "s", "attributes": "nope"}, "attributes"),
    ({"resourceSpans": [{"scopeSpans": [{"spans": 3}]}]}, "spans"),
])
def test_malformed_spans_name_the_line(tmp_path: Path, span: object, words: str) -> None:
    good = {"spanId": "g", "attributes": [{"key": "gen_ai.operation.name", "value": CHAT},
                                          {"key": "gen_ai.input.messages", "value": INPUT}]}
    path = tmp_path / "o.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(span) + "\n")
    with pytest.raises(LogLineError) as info:
        list(read_log(LogSource(path=path, format="otel")))
    assert info.value.line == 2 and words in str(info.value)
    stream = read_log(LogSource(path=path, format="otel", skip_invalid=True))
    assert [r.id for r in stream] == ["g"] and stream.invalid.count == 1


def test_one_bad_span_keeps_the_others_of_its_line(tmp_path: Path) -> None:
    line = json.loads((FIXTURES / "collector.jsonl").read_text())
    line["resourceSpans"][0]["scopeSpans"][0]["spans"][1]["attributes"][0]["value"] = CHAT
    path = tmp_path / "o.jsonl"
    path.write_text(json.dumps(line) + "\n")
    stream = read_log(LogSource(path=path, format="otel", skip_invalid=True))
    assert len(list(stream)) == 2 and stream.invalid.count == 1
    assert "00f067aa0ba902b8" in stream.invalid.messages[0]


def test_huge_attribute_is_read(tmp_path: Path) -> None:
    big = {"stringValue": json.dumps([{"role": "user", "parts": [
        {"type": "text", "content": "x" * 3_000_000}]}])}
    path = tmp_path / "o.jsonl"
    path.write_text(json.dumps(_span(gen_ai_operation_name=CHAT, gen_ai_input_messages=big)))
    (record,) = list(read_log(LogSource(path=path)))
    assert len(record.request["messages"][0]["content"]) == 3_000_000


def test_inspect_says_what_it_skipped_and_why(tmp_path: Path) -> None:
    """`swapkit inspect` names the spans it passed over, in text and JSON, also when a large
    log is read by parallel workers (one count per reason over every part)."""
    from swapkit.ingest.logstats import PARALLEL_MIN_BYTES, inspect_stats

    from .conftest import run_cli

    result = run_cli(["inspect", str(FIXTURES / "collector.jsonl")])
    assert result.exit_code == 0, result.output
    assert ("skipped    1 entry passed over: "
            "gen_ai.operation.name=execute_tool (1)") in result.output
    as_json = json.loads(run_cli(["inspect", str(FIXTURES / "collector.jsonl"),
                                  "--json"]).output)
    assert as_json["skipped"] == {"gen_ai.operation.name=execute_tool": 1}

    line = (FIXTURES / "collector.jsonl").read_text(encoding="utf-8").strip() + "\n"
    copies = PARALLEL_MIN_BYTES // len(line.encode()) + 50
    big = tmp_path / "big.jsonl"
    big.write_text(line * copies, encoding="utf-8")
    stats = inspect_stats(LogSource(path=big))
    assert stats.records == 2 * copies
    assert stats.skipped == {"gen_ai.operation.name=execute_tool": copies}
