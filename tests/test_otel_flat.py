"""OpenLLMetry's flat indexed span attributes (``gen_ai.prompt.N.*``, ``gen_ai.completion.N.*``,
``llm.request.functions.K.*``), on an export written from traceloop's instrumentation names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format
from swapkit.records import Record

FIXTURES = Path(__file__).parent / "fixtures" / "otel"


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, dict):
        return value  # already an OTLP AnyValue
    return {"stringValue": value}


def _span(attributes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"traceId": "t1", "spanId": "s1", "name": "openai.chat",
            "attributes": [{"key": k, "value": _value(v)} for k, v in attributes.items()],
            **fields}


def _read(tmp_path: Path, *spans: dict[str, Any], skip: bool = False) -> list[Record]:
    path = tmp_path / "spans.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in spans))
    return list(read_log(LogSource(path=path, format="otel", skip_invalid=skip)))


CHAT = {"llm.request.type": "chat", "gen_ai.system": "openai"}
USER = {"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "hi"}


def test_openllmetry_export() -> None:
    path = FIXTURES / "openllmetry.jsonl"
    assert sniff_format(path).name == "otel"
    stream = read_log(LogSource(path=path))
    chat, tools, completion = list(stream)
    assert stream.skipped == {"not a GenAI span (no gen_ai.operation.name)": 1,
                              "llm.request.type=embedding": 1}

    assert chat.id == "c1a2b3c4d5e6f701"
    assert chat.request["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_abc", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "content": "rainy, 14C", "tool_call_id": "call_abc"},
    ]
    assert chat.request["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]
    assert (chat.request["temperature"], chat.request["top_p"], chat.request["max_tokens"]) == (
        0.3, 0.9, 256)
    assert chat.request["frequency_penalty"] == 0.5 and chat.request["user"] == "u-42"
    assert chat.request["model"] == "gpt-4o-mini"
    assert chat.response is not None and chat.response.answer == "Rainy, 14C."
    assert chat.response.finish_reason == "stop" and chat.response.status == "ok"
    assert chat.response.model == "gpt-4o-mini-2024-07-18"
    assert chat.response.latency_s == pytest.approx(1.0)
    assert chat.response.usage is not None
    assert (chat.response.usage.prompt_tokens, chat.response.usage.completion_tokens) == (88, 7)
    assert chat.metadata["provider"] == "openai" and chat.metadata["operation"] == "chat"
    assert chat.metadata["user_id"] == "u-42" and chat.metadata["route"] == "weather"
    assert chat.metadata["workflow_name"] == "weather_chat"

    assert tools.request["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "What city is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/paris.jpg"}}]}]
    assert tools.request["tools"][0]["function"] == {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    assert tools.response is not None and tools.response.finish_reason == "tool_calls"
    assert [(c.id, c.name, json.loads(c.arguments)) for c in tools.response.tool_calls] == [
        ("call_def", "get_weather", {"city": "Paris"})]
    assert tools.response.usage is not None and tools.response.usage.cached_tokens == 64

    assert completion.request["messages"] == [{"role": "user", "content": "Say this is a test"}]
    assert completion.metadata["operation"] == "text_completion"
    assert completion.response is not None and completion.response.status == "truncated"
    assert completion.response.usage is not None
    assert completion.response.usage.completion_tokens == 12 - 5  # from llm.usage.total_tokens


def test_indices_are_read_in_numeric_order_and_gaps_close(tmp_path: Path) -> None:
    attributes = {**CHAT, "gen_ai.prompt.10.role": "user", "gen_ai.prompt.10.content": "ten",
                  "gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.content": "two",
                  "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "zero",
                  "gen_ai.prompt.2.tool_calls.11.name": "b",
                  "gen_ai.prompt.2.tool_calls.3.name": "a",
                  "gen_ai.prompt.prompt_filter_results": "[]"}
    (record,) = _read(tmp_path, _span(attributes))
    assert [m["content"] for m in record.request["messages"]] == ["zero", "two", "ten"]
    calls = record.request["messages"][1]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["a", "b"]
    assert calls[0] == {"id": None, "type": "function", "function": {"name": "a", "arguments": ""}}
    assert record.response is None


@pytest.mark.parametrize("content", ["[not json", "[1, 2]", "[]", '["a"]', "  [citation] x"])
def test_text_that_looks_like_json_stays_text(tmp_path: Path, content: str) -> None:
    (record,) = _read(tmp_path, _span({**CHAT, "gen_ai.prompt.0.role": "user",
                                       "gen_ai.prompt.0.content": content}))
    assert record.request["messages"] == [{"role": "user", "content": content}]


def test_structured_attributes_then_events_then_flat(tmp_path: Path) -> None:
    """Each side (input, answer) comes from the first form that has it."""
    structured = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "new"}]}])
    both = _span({**CHAT, **USER, "gen_ai.operation.name": "chat",
                  "gen_ai.input.messages": structured,
                  "gen_ai.completion.0.content": "flat answer"})
    (record,) = _read(tmp_path, both)
    assert record.request["messages"] == [{"role": "user", "content": "new"}]
    assert record.response is not None and record.response.answer == "flat answer"

    output = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "out"}],
                          "finish_reason": "stop"}])
    (record,) = _read(tmp_path, _span({**CHAT, **USER, "gen_ai.output.messages": output,
                                       "gen_ai.completion.0.content": "flat"}))
    assert record.request["messages"] == [{"role": "user", "content": "hi"}]
    assert record.response is not None and record.response.answer == "out"

    events = [{"name": "gen_ai.user.message", "attributes": [
                  {"key": "content", "value": {"stringValue": "from event"}}]},
              {"name": "gen_ai.choice", "attributes": [
                  {"key": "message", "value": {"stringValue": '{"content": "event answer"}'}},
                  {"key": "finish_reason", "value": {"stringValue": "stop"}}]}]
    (record,) = _read(tmp_path, _span({**CHAT, **USER, "gen_ai.completion.0.content": "flat"},
                                      events=events))
    assert record.request["messages"] == [{"role": "user", "content": "from event"}]
    assert record.response is not None and record.response.answer == "event answer"


def test_refusals_and_filtered_answers(tmp_path: Path) -> None:
    refused = _span({**CHAT, **USER, "gen_ai.completion.0.role": "assistant",
                     "gen_ai.completion.0.refusal": "I can't help with that.",
                     "gen_ai.completion.0.finish_reason": "stop"})
    filtered = _span({**CHAT, **USER, "gen_ai.completion.0.role": "assistant",
                      "gen_ai.completion.0.content": "FILTERED",
                      "gen_ai.completion.0.finish_reason": "content_filter"}, spanId="s2")
    first, second = _read(tmp_path, refused, filtered)
    assert first.response is not None and first.response.status == "refused"
    assert second.response is not None and second.response.status == "refused"
    assert second.response.answer == ""  # the instrumentation's placeholder is not an answer


def test_failed_call_is_a_recorded_error(tmp_path: Path) -> None:
    span = _span({**CHAT, **USER, "error.type": "RateLimitError"},
                 status={"code": 2, "message": "Error code: 429"})
    (record,) = _read(tmp_path, span)
    assert record.response is not None
    assert (record.response.status, record.response.error) == ("error", "RateLimitError")


@pytest.mark.parametrize(("attributes", "words"), [
    ({**CHAT}, "gen_ai.prompt.N"),
    ({**CHAT, "gen_ai.prompt.0.content": "no role"}, "gen_ai.prompt.0.role is missing"),
    ({**CHAT, "gen_ai.prompt.0.role": 7}, "gen_ai.prompt.0.role is missing or not a string"),
    ({**CHAT, **USER, "gen_ai.prompt.1.role": "assistant",
      "gen_ai.prompt.1.tool_calls.0.arguments": "{}"},
     "gen_ai.prompt.1.tool_calls.0.name is missing"),
    ({**CHAT, "gen_ai.prompt.0.role": "user",
      "gen_ai.prompt.0.content": '[{"type": "document", "source": {}}]'},
     "'document' content part cannot be replayed"),
    ({**CHAT, **USER, "llm.request.functions.0.description": "nameless"},
     "llm.request.functions.0.name is missing"),
    ({**CHAT, **USER, "llm.request.functions.0.name": "f",
      "llm.request.functions.0.parameters": "{oops"}, "parameters is not valid JSON"),
    ({**CHAT, **USER, "gen_ai.completion.0.role": ["assistant"]},
     "gen_ai.completion.0.role is missing or not a string"),
    ({**CHAT, **USER, "llm.frequency_penalty": "high"}, "llm.frequency_penalty"),
    ({**CHAT, **USER, "llm.usage.total_tokens": {"intValue": "x"}}, "invalid"),
])
def test_malformed_flat_spans_name_the_attribute(
    tmp_path: Path, attributes: dict[str, Any], words: str
) -> None:
    good = _span({**CHAT, **USER}, spanId="good")
    with pytest.raises(LogLineError) as info:
        _read(tmp_path, good, _span(attributes))
    assert info.value.line == 2 and words in str(info.value)
    assert [r.id for r in _read(tmp_path, good, _span(attributes), skip=True)] == ["good"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=10)
flat_keys = st.sampled_from([
    "gen_ai.prompt.0.role", "gen_ai.prompt.0.content", "gen_ai.prompt.1.role",
    "gen_ai.prompt.1.content", "gen_ai.prompt.1.tool_calls.0.name",
    "gen_ai.prompt.1.tool_calls.0.arguments", "gen_ai.prompt.1.tool_call_id",
    "gen_ai.prompt.0.user", "gen_ai.prompt.x.role", "gen_ai.prompt.99999999999.role",
    "gen_ai.completion.0.role", "gen_ai.completion.0.content", "gen_ai.completion.0.refusal",
    "gen_ai.completion.0.finish_reason", "gen_ai.completion.0.tool_calls.0.name",
    "llm.request.functions.0.name", "llm.request.functions.0.parameters",
    "llm.usage.total_tokens", "gen_ai.usage.prompt_tokens", "llm.user",
    "traceloop.association.properties.", "traceloop.association.properties.k",
])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attributes=st.dictionaries(flat_keys, json_values, max_size=10))
def test_any_flat_attributes_parse_or_name_the_span(
    tmp_path: Path, attributes: dict[str, Any]
) -> None:
    span = {"spanId": "s", "attributes": {**CHAT, **attributes}}  # plain-object attributes
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps(span) + "\n")
    try:
        records = list(read_log(LogSource(path=path, format="otel")))
    except LogLineError as err:
        assert err.line == 1 and "span s" in str(err)
    else:
        assert len(records) == 1
