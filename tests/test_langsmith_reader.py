"""The LangSmith run reader, on fixtures written from the published Run schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format

FIXTURES = Path(__file__).parent / "fixtures" / "langsmith"
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def test_runs_export_llm_runs_become_records_others_are_skipped() -> None:
    path = FIXTURES / "runs.jsonl"
    assert sniff_format(path).name == "langsmith"
    stream = read_log(LogSource(path=path))
    openai_run, langchain_run, errored, completion = list(stream)
    assert stream.skipped == {"run_type=chain": 1, "run_type=tool": 1}

    assert openai_run.id == "1f0c2a3e-0000-4000-8000-0000000000b1"
    assert openai_run.conversation_id == "1f0c2a3e-0000-4000-8000-00000000a001"
    assert openai_run.request == {
        "messages": [{"role": "system", "content": "You are a weather bot."},
                     {"role": "user", "content": "Weather in Paris?"}],
        "model": "gpt-4o", "temperature": 0.2, "max_tokens": 200, "top_p": 1.0, "tools": TOOLS,
    }
    response = openai_run.response
    assert response is not None and response.status == "ok"
    assert response.tool_calls[0].name == "get_weather" and response.tool_calls[0].id == "call_1"
    assert json.loads(response.tool_calls[0].arguments) == {"city": "Paris"}
    assert response.finish_reason == "tool_calls" and response.model == "gpt-4o-2024-08-06"
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (42, 17)
    assert response.latency_s == pytest.approx(1.25)
    assert response.cost_usd == pytest.approx(0.000275)  # total_cost, a numeric string
    assert response.ttft_s == pytest.approx(0.4)
    assert openai_run.metadata["span_name"] == "ChatOpenAI"
    assert openai_run.metadata["tags"] == ["prod", "weather"]
    assert openai_run.metadata["route"] == "weather"
    assert openai_run.timestamp is not None and openai_run.timestamp.year == 2024

    messages = langchain_run.request["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2]["tool_calls"][0]["id"] == "call_1"
    assert json.loads(messages[2]["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert messages[3] == {"role": "tool", "content": "rainy, 57F", "tool_call_id": "call_1"}
    assert langchain_run.request["model"] == "gpt-4o"
    assert langchain_run.request["temperature"] == 0.0 and "stop" not in langchain_run.request
    assert langchain_run.conversation_id == "thread-42"  # thread metadata wins over the trace
    response = langchain_run.response
    assert response is not None and response.answer == "It is rainy, 57F."
    assert response.finish_reason == "stop" and response.latency_s == pytest.approx(2.5)
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (80, 9)
    assert response.usage.cached_tokens == 64

    assert errored.request["messages"] == [{"role": "user", "content": "Summarise this."}]
    assert errored.response is not None and errored.response.status == "rate_limited"
    assert "429" in (errored.response.error or "")

    assert completion.request == {
        "messages": [{"role": "user", "content": "Translate to French: cheese"}],
        "model": "gpt-3.5-turbo-instruct", "temperature": 0.7, "max_tokens": 16}
    assert completion.response is not None and completion.response.answer == "fromage"


def _run(**fields: object) -> dict[str, object]:
    run: dict[str, object] = {"id": "r1", "run_type": "llm", "inputs": {
        "messages": [{"role": "user", "content": "hi"}]}}
    run.update(fields)
    return run


@pytest.mark.parametrize(("fields", "message"), [
    ({"inputs": {}}, "has no prompt"),
    ({"inputs": "hi"}, "inputs must be an object"),
    ({"inputs": {"messages": "hi"}}, "inputs.messages must be a list"),
    ({"inputs": {"messages": [[{"lc": 1, "id": ["x", "Bogus"], "kwargs": {}}]]}},
     "unknown message type 'Bogus'"),
    ({"inputs": {"messages": [42]}}, "must be a message object"),
    ({"inputs": {"prompts": [1]}}, "list of strings"),
    ({"start_time": "yesterday"}, "start_time 'yesterday' is not an ISO 8601 time"),
    ({"extra": {"invocation_params": {"temperature": "hot"}}}, "temperature must be a number"),
    ({"outputs": {"generations": []}}, "generations must be a non-empty list"),
    ({"outputs": {"generations": [["x"]]}}, "generation object"),
    ({"outputs": {"something": 1}}, "neither generations nor choices"),
    ({"total_cost": [1]}, "total_cost must be a number"),
])
def test_hostile_runs_are_named_line_errors(tmp_path: Path, fields: dict[str, object],
                                            message: str) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(_run()) + "\n" + json.dumps(_run(**fields)) + "\n")
    with pytest.raises(LogLineError) as info:
        list(read_log(LogSource(path=path, format="langsmith")))
    assert info.value.line == 2 and message in str(info.value) and "run r1" in str(info.value)
    stream = read_log(LogSource(path=path, format="langsmith", skip_invalid=True))
    assert len(list(stream)) == 1 and stream.invalid.count == 1


def test_sniffing_leaves_other_formats_alone(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"request": {"messages": [{"role": "user", "content": "hi"}]},
                                "run_type": "llm", "inputs": {}}) + "\n")
    assert sniff_format(path).name != "langsmith"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    assert sniff_format(path).name == "messages"
