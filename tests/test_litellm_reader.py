"""The LiteLLM proxy reader, on StandardLoggingPayload lines written from LiteLLM's
published logging spec (docs/my-website/docs/proxy/logging_spec.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import read_log, sniff_format

FIXTURES = Path(__file__).parent / "fixtures" / "litellm"
FIXTURE = FIXTURES / "payloads.jsonl"


def test_payloads_become_records_and_skips() -> None:
    path = FIXTURES / "payloads.jsonl"
    assert sniff_format(path).name == "litellm"
    stream = read_log(LogSource(path=path))
    first, text, failure = list(stream)
    assert stream.skipped == {
        "call_type=aembedding": 1,
        "messages and response not logged (prompt logging off in the proxy?)": 1,
    }
    assert first.id == "chatcmpl-7d1f0c2e"
    assert first.conversation_id == "b3c9a7e0-1111-4c2d-9f00-aa12"
    assert first.request["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert first.request["model"] == "gpt-4o"
    assert first.request["temperature"] == 0.2 and first.request["max_tokens"] == 200
    assert first.request["tool_choice"] == "auto" and "stream" not in first.request
    assert first.request["tools"][0]["function"]["name"] == "get_weather"
    response = first.response
    assert response is not None and response.status == "ok"
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls[0].name == "get_weather"
    assert json.loads(response.tool_calls[0].arguments) == {"city": "Paris"}
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (57, 18)
    assert response.latency_s == pytest.approx(1.5)
    assert response.model == "gpt-4o-2024-08-06"
    assert response.ttft_s == pytest.approx(0.4)
    assert response.cost_usd == pytest.approx(0.000525)
    assert "ttft_s" not in first.metadata and "cost_usd" not in first.metadata
    assert first.metadata["user_api_key_alias"] == "support-bot"
    assert first.metadata["user_api_key_team_alias"] == "support"
    assert first.metadata["requester_metadata"] == {"route": "weather"}
    assert first.metadata["tags"] == ["prod", "weather"]
    assert "user_api_key_hash" not in first.metadata
    assert first.timestamp is not None and first.timestamp.year == 2024

    assert text.request == {"messages": [{"role": "user", "content": "Say hi"}],
                            "model": "claude"}
    assert text.response is not None and text.response.answer == "Hi!"
    assert text.response.usage is not None and text.response.usage.completion_tokens == 2
    assert text.response.latency_s == pytest.approx(0.8)

    assert failure.response is not None and failure.response.status == "rate_limited"
    assert failure.response.http_status == 429
    assert "Rate limit reached" in (failure.response.error or "")
    assert failure.request["temperature"] == 0.2


def line(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "x", "call_type": "completion", "model_group": "m",
                               "messages": [{"role": "user", "content": "hi"}]}
    base.update(extra)
    return base


@pytest.mark.parametrize(("extra", "words"), [
    ({"call_type": None}, "call_type"),
    ({"messages": 7}, "messages must be a list"),
    ({"messages": [], "response": "an answer"}, "nothing to replay"),
    ({"response": {"object": "list"}}, "chat completion"),
    ({"startTime": "yesterday"}, "startTime"),
    ({"model_parameters": [1]}, "model_parameters"),
    ({"prompt_tokens": "many"}, "prompt_tokens"),
    ({"messages": [{"content": "no role"}]}, "role"),
])
def test_hostile_payloads_name_the_line(tmp_path: Path, extra: dict[str, object],
                                        words: str) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(line()) + "\n" + json.dumps(line(**extra)) + "\n")
    with pytest.raises(LogLineError) as err:
        list(read_log(LogSource(path=path, format="litellm")))
    assert err.value.line == 2 and words in str(err.value)
    stream = read_log(LogSource(path=path, format="litellm", skip_invalid=True))
    assert len(list(stream)) == 1 and stream.invalid.count == 1


def test_redacted_messages_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    redacted = line(messages=[{"role": "user", "content": "redacted-by-litellm"}],
                    response_cost=0.1)
    path.write_text(json.dumps(line(response_cost=0.1)) + "\n" + json.dumps(redacted) + "\n")
    assert sniff_format(path).name == "litellm"
    stream = read_log(LogSource(path=path))
    assert len(list(stream)) == 1
    assert list(stream.skipped) == ["messages redacted by litellm (turn_off_message_logging)"]


def test_messages_log_is_not_taken_for_litellm(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}],
                                "call_type": "eval"}) + "\n")
    assert sniff_format(path).name == "messages"


def test_inspect_shows_models_and_token_and_cost_totals(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The calls by the model that answered, token totals and the recorded cost: the same
    from one process and from parallel parts of a larger log."""
    from swapkit.ingest.logstats import inspect_stats

    from .conftest import run_cli

    result = run_cli(["inspect", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert "models     gpt-4o-2024-08-06 1, claude-3-5-sonnet-20240620 1, gpt-4o 1" in (
        result.output)
    assert "totals     prompt tokens 62, completion tokens 20, recorded cost $0.000625 " \
           "(3 calls)" in result.output
    one = inspect_stats(LogSource(path=FIXTURE))
    big = tmp_path / "big.jsonl"
    big.write_text(FIXTURE.read_text(encoding="utf-8") * 40, encoding="utf-8")
    monkeypatch.setattr("swapkit.ingest.logstats.PARALLEL_MIN_BYTES", 1)
    many = inspect_stats(LogSource(path=big))
    assert many.models == {model: 40 * n for model, n in one.models.items()}
    assert many.cost_records == 40 * one.cost_records
    assert many.cost_usd == pytest.approx(40 * one.cost_usd)
    assert many.prompt_tokens.total == 40 * one.prompt_tokens.total
