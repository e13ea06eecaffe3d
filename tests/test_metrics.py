"""Every built-in metric on crafted records, including how failures are handled."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from swapkit.errors import ConfigError
from swapkit.scoring.metrics import get_metric, metric_registry, parse_spec

from .metrichelp import answer, record, run


def score(name: str, data, **options):  # type: ignore[no-untyped-def]
    return get_metric(name).score(data, options)


def test_registry_lists_builtins_and_explains_unknown_names() -> None:
    names = metric_registry().names()
    for name in ("similarity", "exact_match", "json_valid", "tool_call_match", "rouge_l",
                 "error_rate", "latency_p95", "cost"):
        assert name in names
    with pytest.raises(ConfigError, match="(?s)unknown metric 'nope'.*json_valid"):
        get_metric("nope")
    assert parse_spec({"exact_match": {"normalize": ["lower"]}}) == (
        "exact_match", {"normalize": ["lower"]})
    with pytest.raises(ConfigError, match="unknown option"):
        score("exact_match", run([], [], []), normalise=["lower"])


def test_exact_match_normalisation_and_failures() -> None:
    records = [record(i, reference="Paris") for i in range(5)]
    base = [answer("Paris"), answer(" paris "), answer("Paris"), answer("Paris"),
            answer(status="rate_limited")]
    cand = [answer("Paris"), answer("PARIS"), answer("", status="truncated"),
            answer(status="error"), answer("Paris")]
    s = score("exact_match", run(records, base, cand), normalize=["strip", "lower"])
    assert s.base[:4].tolist() == [1, 1, 1, 1]
    assert s.cand[:4].tolist() == [1, 1, 0, 0]  # model and endpoint failures score 0
    assert s.failed_cand.tolist() == [False, False, True, True, False]
    # Rate limited after retries: missing, not an answer; the decision bounds it.
    assert math.isnan(s.base[4]) and s.cand[4] == 1
    assert s.missing("baseline").tolist() == [False] * 4 + [True]
    assert s.excluded == {"missing on a side (bounded by the decision)": 1}


def test_a_refusal_is_an_answer_and_failures_score_worst_on_continuous_metrics() -> None:
    records = [record(i, reference="the cat sat on the mat") for i in range(3)]
    base = [answer("the cat sat on the mat")] * 3
    cand = [answer("Sorry, the cat on the mat is not a topic I can discuss.", status="refused"),
            answer("the cat sat", status="truncated"), answer(status="unreached")]
    s = score("rouge_l", run(records, base, cand))
    assert 0 < s.cand[0] < 1 and not s.failed_cand[0]  # scored as text
    assert s.cand[1] == 0 and s.failed_cand[1]  # the bottom of the scale, not excluded
    assert math.isnan(s.cand[2]) and s.missing("candidate")[2]
    failures = score("failure_rate", run(records, base, cand))
    assert failures.cand[:2].tolist() == [0, 1] and failures.missing("candidate")[2]


def test_contains_regex_and_label_match() -> None:
    records = [record(0, reference="energy"), record(1, reference="pet_supplies")]
    base = [answer("energy"), answer("pet_supplies")]
    cand = [answer(" Energy. "), answer("The category is pet_supplies")]
    assert score("label_match", run(records, base, cand)).cand.tolist() == [1, 0]
    assert score("contains", run(records, base, cand)).cand.tolist() == [1, 1]
    regex = score("regex", run(records, base, cand), pattern=r"^\w+$")
    assert regex.cand.tolist() == [0, 0] and regex.base.tolist() == [1, 1]
    with pytest.raises(ConfigError, match="pattern"):
        score("regex", run(records, base, cand), pattern="(")


def test_json_metrics() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "object", "required": ["category"],
        "properties": {"category": {"type": "string"}, "size": {"$ref": "https://x.invalid/s"}}}}}
    ref = json.dumps({"category": "drinkware", "capacity_ml": 500, "spec": {"colour": "red"}})
    records = [record(0, reference=ref, response_format=schema),
               record(1, reference=ref, response_format={"type": "json_object"}),
               record(2)]  # no JSON expected: not applicable
    base = [answer(ref), answer(ref), answer("hi")]
    cand = [answer('{"category": "drinkware", "capacity_ml": 750, "spec": {"colour": "blue"}}'),
            answer("```json\n{}\n```"), answer("hi")]
    data = run(records, base, cand)
    valid = score("json_valid", data)
    assert valid.cand[:2].tolist() == [1, 0] and math.isnan(valid.cand[2])
    fields = score("json_field_match", data)
    assert fields.base[0] == 1.0 and fields.cand[0] == pytest.approx(1 / 3)
    assert fields.details[0] == "fields differ: capacity_ml, spec.colour"
    schema_valid = score("json_schema_valid", data)
    assert schema_valid.cand[0] == 1.0  # the remote $ref is never needed or fetched
    assert np.isnan(schema_valid.cand[1])  # json_object has no schema
    bad = run([records[0]], [answer(ref)], [answer('{"size": 3}')])
    result = score("json_schema_valid", bad)  # needs the remote $ref: refused, not fetched
    assert result.cand[0] == 0.0 and "Unresolvable: https://x.invalid/s" in result.details[0]
    local = {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "object", "required": ["category"]}}}
    missing = run([record(0, reference=ref, response_format=local)], [answer(ref)],
                  [answer('{"size": 3}')])
    result = score("json_schema_valid", missing)
    assert result.cand[0] == 0.0 and "'category' is a required property" in result.details[0]


def test_tool_call_match_names_and_arguments() -> None:
    reference = {"tool_calls": [{"name": "search_flights",
                                 "arguments": {"origin": "SHA", "date": "2026-12-12"}}]}
    records = [record(i, reference=reference) for i in range(3)]
    base = [answer(tools=[("search_flights", '{"origin": "SHA", "date": "2026-12-12"}')])] * 3
    cand = [answer(tools=[("search_flights", '{"date": "2026-12-12", "origin": "SHA"}')]),
            answer(tools=[("search_flights", '{"origin": "PVG", "date": "2026-12-12"}')]),
            answer(tools=[("search_hotels", "{}")])]
    s = score("tool_call_match", run(records, base, cand))
    assert s.cand.tolist() == [1, 0, 0]
    assert s.details[1] == "search_flights: arguments differ: origin"
    assert "expected search_flights" in s.details[2]
    assert score("tool_call_match", run(records, base, cand), compare="name").cand.tolist() == [
        1, 1, 0]


def test_refusal_and_language_match() -> None:
    records = [record(0), record(1, prompt="请推荐杭州的酒店"), record(2)]
    base = [answer("Paris is the capital."), answer("西湖附近的酒店很多，推荐以下几家。"),
            answer("Sure.")]
    cand = [answer("I'm sorry, but I can't help with that request."),
            answer("Here are some hotels near West Lake."), answer("x", status="refused")]
    data = run(records, base, cand)
    refusal = score("refusal", data)
    assert refusal.cand.tolist() == [1, 0, 1] and refusal.base.tolist() == [0, 0, 0]
    language = score("language_match", data)
    assert language.base[1] == 1 and language.cand[1] == 0
    assert language.details[1] == "answer in latin, prompt in zh"


def test_status_rates_and_ratio_metrics() -> None:
    records = [record(i) for i in range(4)]
    base = [answer("a", latency=1.0, cost=0.01) for _ in range(4)]
    cand = [answer("a", latency=0.5, cost=0.02), answer(status="timeout", latency=None,
                                                        cost=None),
            answer(status="rate_limited", latency=None, cost=None),
            answer("a", latency=0.7, cost=0.02)]
    data = run(records, base, cand)
    errors = score("error_rate", data)
    assert errors.cand[[0, 1, 3]].tolist() == [0, 1, 0] and errors.missing("candidate")[2]
    assert score("rate_limited_rate", data).cand.tolist() == [0, 0, 1, 0]
    latency = score("latency_p95", data)
    assert latency.statistic == "p95" and latency.paired.sum() == 2
    cost = score("cost", data)
    assert cost.statistic == "total" and np.nansum(cost.cand) == pytest.approx(0.04)


def test_rouge_bleu_chrf_from_local_evaluate_modules() -> None:
    records = [record(0, reference="the cat sat on the mat"),
               record(1, reference="a quick brown fox")]
    base = [answer("the cat sat on the mat"), answer("a quick brown fox")]
    cand = [answer("the cat sat on a mat"), answer("something else entirely")]
    data = run(records, base, cand)
    rouge = score("rouge_l", data)
    assert rouge.base.tolist() == [1.0, 1.0]
    assert 0.5 < rouge.cand[0] < 1.0 and rouge.cand[1] == 0.0
    assert score("bleu", data).base[0] == pytest.approx(1.0)
    assert 0 < score("chrf", data).cand[0] < 1


def test_evaluate_adapter_loads_a_module_by_local_path(tmp_path: Path) -> None:
    folder = tmp_path / "length_match"
    folder.mkdir()
    (folder / "length_match.py").write_text('''
import datasets
import evaluate


class LengthMatch(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(description="d", citation="c", inputs_description="i",
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}))

    def _compute(self, predictions, references):
        return {"same_length": float(sum(len(p) == len(r) for p, r in
                                         zip(predictions, references)) / len(predictions))}
''')
    records = [record(0, reference="abc"), record(1, reference="abcd")]
    data = run(records, [answer("xyz"), answer("wxyz")], [answer("xy"), answer("abcd")])
    s = get_metric(f"evaluate:{folder}").score(data, {"key": "same_length"})
    assert s.base.tolist() == [1.0, 1.0] and s.cand.tolist() == [0.0, 1.0]
    with pytest.raises(ConfigError, match="cannot be loaded"):
        get_metric(f"evaluate:{tmp_path / 'missing'}").score(data, {})
