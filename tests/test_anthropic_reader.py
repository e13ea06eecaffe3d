"""The Anthropic Messages API reader, on request/response lines written from the
published Messages API schema (Message, content blocks, usage, error bodies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format

FIXTURES = Path(__file__).parent / "fixtures" / "anthropic"


def test_calls_convert_to_openai_chat() -> None:
    path = FIXTURES / "messages.jsonl"
    assert sniff_format(path).name == "anthropic"
    tools, thinking, error, truncated = list(read_log(LogSource(path=path)))

    assert tools.id == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert tools.request["messages"] == [
        {"role": "system", "content": [{"type": "text", "text": "You are a weather bot."},
                                       {"type": "text", "text": "Answer briefly."}]},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [
            {"id": "toolu_01A", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_01A", "content": "18C, cloudy"},
        {"role": "user", "content": "And tomorrow?"},
    ]
    assert tools.request["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "Get the current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}]
    assert tools.request["tool_choice"] == "auto"
    assert tools.request["parallel_tool_calls"] is False
    assert tools.request["stop"] == ["###"]
    assert (tools.request["model"], tools.request["max_tokens"],
            tools.request["temperature"]) == ("claude-sonnet-4-20250514", 1024, 0.2)
    assert "system" not in tools.request and "stop_sequences" not in tools.request
    assert tools.metadata == {"route": "weather"}
    response = tools.response
    assert response is not None and response.status == "ok"
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls[0].id == "toolu_01B"
    assert response.tool_calls[0].name == "get_weather"
    assert json.loads(response.tool_calls[0].arguments) == {"city": "Paris", "day": "tomorrow"}
    assert response.usage is not None
    # prompt_tokens counts cache reads as OpenAI's does; Anthropic's input_tokens does not.
    assert (response.usage.prompt_tokens, response.usage.completion_tokens,
            response.usage.cached_tokens) == (520, 30, 400)
    assert response.model == "claude-sonnet-4-20250514"

    assert thinking.request["messages"] == [
        {"role": "system", "content": "Think first."},
        {"role": "user", "content": "What is 17*23?"},
    ]
    assert thinking.metadata == {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    assert thinking.response is not None
    assert thinking.response.answer == "391"
    assert thinking.response.reasoning == "17*23 = 391"
    assert thinking.response.finish_reason == "stop"
    assert thinking.response.usage is not None
    assert thinking.response.usage.prompt_tokens == 20
    assert thinking.response.usage.cached_tokens is None

    assert error.id == "call-3"
    assert error.response is not None and error.response.status == "rate_limited"
    assert error.response.http_status == 529
    assert error.response.error == "overloaded_error: Overloaded"

    assert truncated.request["tool_choice"] == {"type": "function",
                                                "function": {"name": "get_weather"}}
    assert truncated.request["messages"][1:] == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "toolu_9", "type": "function",
             "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "toolu_9", "content": "service down"},
    ]
    assert truncated.metadata == {"tool_errors": 1}
    assert truncated.response is not None and truncated.response.status == "truncated"
    assert truncated.response.finish_reason == "length"


def test_batch_params_lines() -> None:
    path = FIXTURES / "params.jsonl"
    assert sniff_format(path).name == "anthropic"
    (record,) = read_log(LogSource(path=path))
    assert record.id == "req-1" and record.response is None
    assert record.request == {"model": "claude-3-5-haiku-latest", "max_tokens": 64,
                              "messages": [{"role": "system", "content": "Be terse."},
                                           {"role": "user", "content": "Hello"}]}


def test_images_convert_thinking_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    line = {"request": {"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "iVBORw0K"}},
            {"type": "text", "text": "What is this?"}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm",
                                           "signature": "x"},
                                          {"type": "text", "text": "A dot."}]},
        {"role": "user", "content": "Sure?"}]},
        "response": {"id": "msg_5", "type": "message", "role": "assistant", "model": "m",
                     "content": [{"type": "redacted_thinking", "data": "abc"},
                                 {"type": "text", "text": "Yes."}],
                     "stop_reason": "end_turn", "usage": {"input_tokens": 5,
                                                          "output_tokens": 2}}}
    path.write_text(json.dumps(line) + "\n")
    assert sniff_format(path).name == "anthropic"
    (record,) = read_log(LogSource(path=path))
    assert record.request["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
        {"type": "text", "text": "What is this?"}]
    assert record.request["messages"][1] == {"role": "assistant", "content": "A dot."}
    assert record.metadata == {"dropped_blocks": {"thinking": 1},
                               "dropped_response_blocks": {"redacted_thinking": 1}}
    assert record.response is not None and record.response.answer == "Yes."


@pytest.mark.parametrize(("request_body", "message"), [
    ({"max_tokens": 1, "messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "data": "x",
                                        "media_type": "text/plain"}}]}]},
     "messages[0].content[0]: a 'document' content block cannot be converted"),
    ({"max_tokens": 1, "tools": [{"type": "web_search_20250305", "name": "web_search"}],
      "messages": [{"role": "user", "content": "hi"}]},
     "tools[0] is a server tool ('web_search_20250305')"),
    ({"max_tokens": 1, "messages": []}, "request.messages must be a non-empty list"),
    ({"max_tokens": 1, "messages": [{"role": "system", "content": "x"}]},
     "messages[0].role must be 'user' or 'assistant'"),
    ({"max_tokens": 1, "messages": [{"role": "user", "content": [
        {"type": "tool_result", "content": "x"}]}]}, "needs a 'tool_use_id'"),
    ({"max_tokens": 1, "tool_choice": {"type": "sometimes"},
      "messages": [{"role": "user", "content": "hi"}]}, "tool_choice 'sometimes'"),
])
def test_unconvertible_lines_are_named(tmp_path: Path, request_body: dict[str, object],
                                       message: str) -> None:
    path = tmp_path / "log.jsonl"
    good = {"request": {"max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]},
            "response": {"type": "message", "content": [], "stop_reason": "end_turn"}}
    path.write_text(json.dumps(good) + "\n" + json.dumps({"request": request_body}) + "\n")
    with pytest.raises(LogLineError) as caught:
        list(read_log(LogSource(path=path, format="anthropic")))
    assert caught.value.line == 2 and message in str(caught.value)
    stream = read_log(LogSource(path=path, format="anthropic", skip_invalid=True))
    assert len(list(stream)) == 1 and stream.invalid.count == 1


def test_other_formats_are_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"request": {"messages": [{"role": "user", "content": "hi"}]},
                                "response": {"object": "chat.completion", "choices": []}})
                    + "\n")
    assert sniff_format(path).name == "openai-chat"
    path.write_text(json.dumps({"id": "a", "request": {"messages": [
        {"role": "user", "content": "hi"}]}}) + "\n")
    assert sniff_format(path).name == "swapkit"
