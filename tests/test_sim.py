"""The simulator over real HTTP with the real openai client."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from swapkit.sim import load_profile, start_simulator
from swapkit.sim.runner import RunningSimulator

from .conftest import EXAMPLES
from .simhelp import profile

TRAVEL = EXAMPLES / "travel-assistant" / "logs" / "chat.jsonl"
SEARCH = EXAMPLES / "product-search" / "logs" / "chat.jsonl"


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    profiles = [
        profile("plain", quality=0.8, sample_noise=0.2),
        profile("field", reasoning="field"), profile("think", reasoning="think"),
        profile("noopen", reasoning="think_no_open"), profile("empty", reasoning="think_empty"),
        profile("limited", faults={"rate_limit": 1.0, "retry_after_s": 0.01}),
        profile("broken", segments={"attribute_extraction": {"json_break_rate": 1.0}}),
    ]
    with start_simulator(profiles, [TRAVEL, SEARCH]) as running:
        yield running


def client(sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.base_url, api_key="x", max_retries=0)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def ask(c: openai.OpenAI, model: str, request: dict, sample: int = 0) -> object:
    body = {k: v for k, v in request.items() if k != "model"}
    return c.chat.completions.create(model=model, **body,
                                     extra_headers={"X-Swapkit-Sample": str(sample)})


def test_answers_paraphrase_the_reference_deterministically(sim: RunningSimulator) -> None:
    c = client(sim)
    request = lines(TRAVEL)[0]["request"]
    first = ask(c, "plain", request).choices[0].message.content
    again = ask(c, "plain", request).choices[0].message.content
    other = ask(c, "plain", request, sample=1).choices[0].message.content
    assert first == again
    assert first != other
    assert "West Lake" in first  # a paraphrase of the reference, not something else


def test_reasoning_styles(sim: RunningSimulator) -> None:
    c = client(sim)
    request = lines(TRAVEL)[3]["request"]
    field = ask(c, "field", request).choices[0].message
    assert field.model_extra["reasoning_content"].startswith("The user asks about")
    assert "<think>" not in field.content
    assert ask(c, "think", request).choices[0].message.content.startswith("<think>\n")
    no_open = ask(c, "noopen", request).choices[0].message.content
    assert "</think>" in no_open and "<think>" not in no_open
    assert ask(c, "empty", request).choices[0].message.content.startswith(
        "<think>\n\n</think>\n\n")


def test_tool_calls_json_mode_and_segment_overrides(sim: RunningSimulator) -> None:
    c = client(sim)
    tool_line = next(line for line in lines(TRAVEL) if line["request"].get("tools"))
    call = ask(c, "plain", tool_line["request"]).choices[0].message.tool_calls[0]
    expected = tool_line["response"]["choices"][0]["message"]["tool_calls"][0]["function"]
    assert call.function.name == expected["name"]
    assert json.loads(call.function.arguments) == json.loads(expected["arguments"])
    extraction = lines(SEARCH)[0]["request"]
    assert isinstance(json.loads(ask(c, "plain", extraction).choices[0].message.content), dict)
    broken = ask(c, "broken", extraction).choices[0].message.content
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)
    routing = lines(SEARCH)[6]["request"]  # another segment: not broken
    assert ask(c, "broken", routing).choices[0].message.content


def test_streaming_with_usage_chunk(sim: RunningSimulator) -> None:
    c = client(sim)
    request = lines(TRAVEL)[0]["request"]
    chunks = list(c.chat.completions.create(
        model="field", messages=request["messages"], stream=True,
        stream_options={"include_usage": True}))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    whole = ask(c, "field", request).choices[0].message.content
    assert text == whole
    assert chunks[-1].usage.completion_tokens > chunks[-1].usage.completion_tokens_details \
        .reasoning_tokens > 0


def test_rate_limit_with_retry_after_and_unknown_model(sim: RunningSimulator) -> None:
    c = client(sim)
    with pytest.raises(openai.RateLimitError) as info:
        ask(c, "limited", lines(TRAVEL)[0]["request"])
    assert info.value.response.headers["retry-after-ms"] == "10"
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        ask(c, "nope", lines(TRAVEL)[0]["request"])


def test_embeddings_models_and_stats(sim: RunningSimulator) -> None:
    c = client(sim)
    floats = c.embeddings.create(model="e", input=["hello world", "hello"],
                                 encoding_format="float").data
    assert len(floats) == 2 and len(floats[0].embedding) == 384
    assert sum(v * v for v in floats[0].embedding) == pytest.approx(1.0)
    raw = c.embeddings.with_raw_response.create(model="e", input="hello world",
                                               encoding_format="base64")
    packed = json.loads(raw.content)["data"][0]["embedding"]
    unpacked = struct.unpack("<384f", base64.b64decode(packed))
    assert unpacked == pytest.approx(floats[0].embedding, abs=1e-6)
    assert {m.id for m in c.models.list().data} >= {"plain", "field"}
    ask(c, "plain", lines(TRAVEL)[0]["request"])
    assert sim.stats()["models"]["plain"]["served"] == 1


def test_builtin_profiles_load() -> None:
    from swapkit.sim.profile import BUILTIN_DIR

    for path in sorted(BUILTIN_DIR.glob("*.yaml")):  # every bundled profile, the lineup's too
        assert load_profile(path.stem).name, path
    assert load_profile("qwen3-32b-thinking-like").reasoning == "field"
    assert load_profile("r1-like").reasoning == "field"
    qwen = load_profile("qwen3-like")
    assert qwen.for_segment("attribute_extraction").json_break_rate == 0.3
    assert qwen.for_segment("itinerary").json_break_rate == 0.0
