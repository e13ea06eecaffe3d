"""Anthropic Message Batches: the request file read as a log, its results file joined by
custom_id (fixtures written from the published MessageBatchIndividualResponse schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swapkit.config import LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats import read_log, sniff_format
from swapkit.records import Record

FIXTURES = Path(__file__).parent / "fixtures" / "anthropic"
REQUESTS = FIXTURES / "batch_requests.jsonl"
RESULTS = FIXTURES / "batch_results.jsonl"


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _records(path: Path, output: Path | None, skip: bool = False) -> dict[str, Record]:
    stream = read_log(LogSource(path=path, output=output, skip_invalid=skip))
    return {record.id: record for record in stream}


def test_requests_joined_with_their_results() -> None:
    assert sniff_format(REQUESTS).name == "anthropic"
    got = _records(REQUESTS, RESULTS)
    assert list(got) == ["greet-1", "weather-2", "bad-3", "busy-4", "late-5", "gone-6",
                         "limit-7"]  # the input's order, not the results'

    greet = got["greet-1"]
    assert greet.request["messages"] == [{"role": "system", "content": "Be terse."},
                                         {"role": "user", "content": "Hello, world"}]
    assert greet.response is not None and greet.response.answer == "Hi."
    assert greet.response.finish_reason == "stop" and greet.response.status == "ok"
    assert greet.response.usage is not None
    assert (greet.response.usage.prompt_tokens, greet.response.usage.cached_tokens) == (20, 8)

    weather = got["weather-2"].response
    assert weather is not None and weather.finish_reason == "tool_calls"
    assert [(c.name, json.loads(c.arguments)) for c in weather.tool_calls] == [
        ("get_weather", {"city": "Paris"})]
    assert got["weather-2"].request["tools"][0]["function"]["name"] == "get_weather"

    bad = got["bad-3"].response
    assert bad is not None and (bad.status, bad.http_status) == ("error", 400)
    assert bad.error is not None and bad.error.startswith("invalid_request_error: max_tokens")
    limit = got["limit-7"].response
    assert limit is not None and (limit.status, limit.http_status) == ("rate_limited", 529)

    for custom_id, word in (("busy-4", "canceled"), ("late-5", "expired")):
        response = got[custom_id].response
        assert response is not None and response.status == "unreached"
        assert response.error is not None and response.error.startswith(word)

    assert got["gone-6"].response is None  # no result line: no recorded answer


def test_requests_alone_and_a_plain_params_line_sniff(tmp_path: Path) -> None:
    assert all(r.response is None for r in _records(REQUESTS, None).values())
    plain = _write(tmp_path / "in.jsonl", [{"custom_id": "a", "params": {
        "model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}}])
    assert sniff_format(plain).name == "anthropic"


def test_results_given_as_the_log_is_explained() -> None:
    with pytest.raises(LogError) as info:
        sniff_format(RESULTS)
    assert "batch *output* (results) file" in str(info.value.hint)
    assert "--batch-output" in str(info.value.hint)


def test_an_error_object_without_its_envelope_is_read(tmp_path: Path) -> None:
    results = _write(tmp_path / "out.jsonl", [{"custom_id": "greet-1", "result": {
        "type": "errored", "error": {"type": "api_error", "message": "Internal server error"}}}])
    response = _records(REQUESTS, results)["greet-1"].response
    assert response is not None and (response.status, response.http_status) == ("error", 500)


@pytest.mark.parametrize(("result", "words"), [
    ({"type": "succeeded"}, "succeeded result needs its \"message\""),
    ({"type": "succeeded", "message": {"type": "message", "content": 5}},
     "response.content must be a string or a list"),
    ({"type": "pending"}, "'pending' is not succeeded, errored, canceled or expired"),
    ("succeeded", 'missing "result" object'),
    ({"type": "succeeded", "message": {"type": "message", "content": [],
                                       "usage": {"input_tokens": "many"}}}, "input_tokens"),
])
def test_a_bad_result_line_names_the_output_file_and_line(
    tmp_path: Path, result: Any, words: str
) -> None:
    results = _write(tmp_path / "out.jsonl", [
        {"custom_id": "late-5", "result": {"type": "expired"}},
        {"custom_id": "greet-1", "result": result}])
    with pytest.raises(LogLineError) as info:
        _records(REQUESTS, results)
    assert info.value.path == str(results) and info.value.line == 2
    assert "custom_id 'greet-1'" in str(info.value) and words in str(info.value)
    kept = _records(REQUESTS, results, skip=True)  # counted; the request stays, unanswered
    assert kept["greet-1"].response is None and len(kept) == 7


def test_a_results_file_that_is_not_json_lines_names_its_line(tmp_path: Path) -> None:
    results = tmp_path / "out.jsonl"
    results.write_text('{"custom_id": "greet-1", "result": {"type": "expired"}}\n[1, 2]\n')
    with pytest.raises(LogLineError) as info:
        _records(REQUESTS, results)
    assert info.value.line == 2 and "custom_id" in str(info.value)
