import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from swapkit.records import Record, RecordedResponse, last_user_text, message_text

REQUEST = {"messages": [{"role": "user", "content": "hi"}], "x_custom": {"kept": True}}


def test_request_is_kept_verbatim_with_unknown_fields() -> None:
    record = Record(id="1", request=REQUEST)
    assert record.request == REQUEST
    assert Record.model_validate_json(record.model_dump_json()).request == REQUEST


def test_record_rejects_unknown_top_level_fields_and_bad_messages() -> None:
    with pytest.raises(ValidationError):
        Record.model_validate({"id": "1", "request": REQUEST, "extra": 1})
    with pytest.raises(ValidationError, match="non-empty list"):
        Record(id="1", request={"messages": []})
    with pytest.raises(ValidationError, match="role"):
        Record(id="1", request={"messages": [{"content": "x"}]})


def test_openai_response_is_normalised() -> None:
    response = RecordedResponse.model_validate({
        "object": "chat.completion", "model": "deepseek-reasoner",
        "choices": [{"message": {"role": "assistant", "content": "Paris",
                                 "reasoning_content": "capital of France"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 30,
                  "completion_tokens_details": {"reasoning_tokens": 25},
                  "prompt_cache_hit_tokens": 4},
    })
    assert response.answer == "Paris"
    assert response.reasoning == "capital of France"
    assert response.status == "ok"
    assert response.usage is not None
    assert (response.usage.reasoning_tokens, response.usage.cached_tokens) == (25, 4)


@pytest.mark.parametrize(
    ("message", "finish", "status"),
    [
        ({"content": ""}, "stop", "empty"),
        ({"content": "cut"}, "length", "truncated"),
        ({"content": "<think>unfinished"}, "length", "truncated"),
        ({"content": None, "refusal": "I can't"}, "stop", "refused"),
        ({"content": "x"}, "content_filter", "refused"),
        ({"content": None, "tool_calls": [{"id": "c", "type": "function", "function": {
            "name": "f", "arguments": {"a": 1}}}]}, "tool_calls", "ok"),
    ],
)
def test_response_status(message, finish, status) -> None:
    response = RecordedResponse.model_validate(
        {"choices": [{"message": {"role": "assistant", **message}, "finish_reason": finish}]}
    )
    assert response.status == status


def test_tool_call_arguments_given_as_object_become_json_text() -> None:
    response = RecordedResponse.model_validate({"choices": [{"message": {
        "tool_calls": [{"function": {"name": "f", "arguments": {"b": 1, "a": 2}}}]}}]})
    assert response.tool_calls[0].arguments == '{"a":2,"b":1}'


def test_response_without_choices_is_empty() -> None:
    assert RecordedResponse.model_validate({"object": "chat.completion", "choices": []}).status \
        == "empty"


def test_content_parts_and_multi_turn() -> None:
    parts = {"role": "user", "content": [{"type": "text", "text": "a"},
                                          {"type": "image_url", "image_url": {"url": "x"}},
                                          {"type": "text", "text": "b"}]}
    assert message_text(parts) == "a\nb"
    record = Record(id="1", request={"messages": [
        {"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}, parts]})
    assert record.is_multi_turn
    assert last_user_text(record.request) == "a\nb"
    assert not Record(id="2", request=REQUEST).is_multi_turn


counts = st.one_of(st.none(), st.integers(min_value=-10**9, max_value=10**9))
prices = st.floats(min_value=0, max_value=1_000_000)


@given(counts, counts, counts, counts, prices, prices, st.one_of(st.none(), prices))
def test_no_usage_an_endpoint_reports_makes_a_cost_negative(
        prompt: int | None, completion: int | None, reasoning: int | None, cached: int | None,
        p_in: float, p_out: float, p_cached: float | None) -> None:
    """Usage is untrusted: a negative count is unknown, and cached/reasoning parts larger
    than their whole are capped by it; a negative cost would let a replay spend past
    max_spend_usd."""
    from swapkit.completion import cost_usd
    from swapkit.config import Price
    from swapkit.records import Usage

    usage = Usage(prompt_tokens=prompt, completion_tokens=completion,
                  reasoning_tokens=reasoning, cached_tokens=cached)
    assert all(v is None or v >= 0 for v in usage.model_dump().values())
    cost = cost_usd(usage, Price(input=p_in, output=p_out, cached=p_cached))
    assert cost is None or cost >= 0


@given(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                 st.integers(min_value=-10**6, max_value=10**6)))
def test_a_recorded_time_or_cost_is_known_only_when_finite_and_not_negative(
        value: float | None) -> None:
    """A log's clock skew or a spreadsheet's NaN must not make a latency or a cost total
    negative or NaN: such a value is unknown (None), in any shape the response comes in."""
    import math

    from swapkit.records import RecordedResponse

    native = RecordedResponse.model_validate(
        {"answer": "a", "latency_s": value, "ttft_s": value, "cost_usd": value})
    openai = RecordedResponse.model_validate(
        {"choices": [{"message": {"content": "a"}}], "latency_s": value, "ttft_s": value,
         "cost_usd": value})
    for response in (native, openai):
        for field in (response.latency_s, response.ttft_s, response.cost_usd):
            assert field is None or (math.isfinite(field) and field >= 0)
            if field is not None:
                assert field == value


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list | tuple):
        return 1 + max(map(_depth, value), default=0)
    return 0


# Brackets and quotes inside strings, integers past 64 bits (orjson refuses them) and tuples
# take the check off its fast path (counting brackets in JSON text) or test that path's bound.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**64)
    | st.floats(allow_nan=False) | st.text(max_size=3) | st.text('{[]}"\\x', max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=2).map(tuple)
    | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=40)


@given(json_values, st.integers(min_value=1, max_value=8))
def test_too_deep_agrees_with_the_nesting_depth(value: object, limit: int) -> None:
    from swapkit.support.limits import too_deep

    assert too_deep(value, limit) == (_depth(value) > limit)


def test_too_deep_walks_values_with_many_brackets_in_text() -> None:
    """A shallow value whose strings hold more brackets than the limit is still shallow
    (the count only says when walking can be skipped), and a deep one is found past them."""
    from swapkit.support.limits import too_deep

    noisy = {"messages": [{"role": "user", "content": "{[" * 100}]}
    assert not too_deep(noisy, 5)
    deep: object = "x"
    for _ in range(6):
        deep = [deep]
    assert too_deep({"a": "{" * 100, "b": deep}, 5)
