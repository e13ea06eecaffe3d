"""Answer-level metrics on real answer shapes, and the math benchmark end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from swapkit.scoring.metrics import get_metric

from .conftest import run_cli
from .metrichelp import answer, record, run


def score(name: str, data: Any, **options: Any) -> Any:
    return get_metric(name).score(data, options)


def test_answer_match_reads_fenced_json_and_compares_numbers() -> None:
    records = [record(i, reference=ref) for i, ref in enumerate([18, "1234.5", "0.75", 7])]
    base = [answer('```json\n{"reasoning": "...", "answer": 18}\n```'),
            answer('Result: {"answer": "1,234.50"}'), answer('{"answer": "3/4"}'),
            answer("I could not decide.")]
    cand = [answer('{"answer": "18.0"}'), answer('{"answer": 1234}'),
            answer('```\n{"answer": 0.75}\n```'), answer('{"answer": 7}', status="truncated")]
    s = score("answer_match", run(records, base, cand), extract={"json": "answer"},
              normalize=["number"])
    assert s.base.tolist() == [1, 1, 1, 0] and s.cand.tolist() == [1, 0, 1, 0]
    assert s.details[0] == "reference 18, candidate 18 → equal after number normalization"
    assert s.details[1].endswith("→ different after number normalization")
    assert s.failed_cand.tolist() == [False, False, False, True]
    assert any("no answer found: baseline 1, candidate 0" in n for n in s.notes)


def test_contains_would_inflate_accuracy_but_answer_match_does_not() -> None:
    """The audit: the reference number appears in the reasoning of a wrong answer."""
    records = [record(0, reference="42")]
    wrong = answer('```json\n{"reasoning": "42 is tempting but", "answer": 41}\n```')
    data = run(records, [wrong], [wrong])
    assert score("contains", data).cand[0] == 1
    assert score("answer_match", data, extract={"json": "answer"},
                 normalize=["number"]).cand[0] == 0


def test_existing_metrics_accept_extract_and_regex_uses_the_reference() -> None:
    records = [record(0, reference="Paris")]
    data = run(records, [answer("Thinking... <answer>Paris</answer>")],
               [answer("The capital is Paris, I think. <answer>Lyon</answer>")])
    exact = score("exact_match", data, extract={"tag": "answer"})
    assert exact.base[0] == 1 and exact.cand[0] == 0
    regex = score("regex", data, pattern=r"<answer>{reference}</answer>")
    assert regex.base[0] == 1 and regex.cand[0] == 0
    label = score("label_match", data, extract={"tag": "answer"})
    assert label.base[0] == 1 and label.cand[0] == 0
    nothing = score("exact_match", run(records, [answer("no tags")], [answer("none")]),
                    extract={"tag": "answer"})
    assert nothing.details[0] == "no answer found" and nothing.cand[0] == 0


def test_json_metrics_read_fenced_json_and_plain_references() -> None:
    records = [record(0, reference=18, response_format={"type": "json_object"})]
    fenced = answer('```json\n{"answer": 18}\n```')
    data = run(records, [fenced], [answer('{"answer": 17}')])
    fields = score("json_field_match", data, fields=["answer"])
    assert fields.base[0] == 1 and fields.cand[0] == 0
    assert score("json_valid", data).base[0] == 0  # bare JSON is what JSON mode promises
    assert score("json_valid", data, extract="json").base[0] == 1


def test_answer_agreement_against_the_baselines_own_noise() -> None:
    n = 6
    records = [record(i) for i in range(n)]
    base = [answer(f"The label is {x}") for x in "AABBCC"]
    cand = [answer(f"The label is {x}") for x in "AABBCA"]
    twice = [answer(f"The label is {x}") for x in "ABBBCC"]
    opts = {"extract": {"regex": r"label is (\w)"}}
    without = score("answer_agreement", run(records, base, cand), **opts)
    assert without.base.tolist() == [1.0] * n and without.cand.tolist() == [1, 1, 1, 1, 1, 0]
    assert "bounds the candidate's disagreement rate" in without.notes[-1]
    noise = score("answer_agreement", run(records, base, cand, twice), **opts)
    assert noise.base.tolist() == [1, 0, 1, 1, 1, 1]  # the baseline disagrees with itself once
    assert "own second sample" in noise.notes[-1]


def _math_log(path: Path, n: int, right: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        truth = 10 * i + 7
        value = truth if right[i] else truth + 1
        shape = rng.integers(4)
        text = [
            f'```json\n{{"reasoning": "{truth} is what {i} gives", "answer": {value}}}\n```',
            f'Here you go: {{"reasoning": "step by step", "answer": "{value:,}.0"}}',
            f'{{"answer": "${value}", "reasoning": "with {{braces}} inside"}}',
            f'```\n{{"answer": {value}}}\n```\nLet me know if you need more.',
        ][shape]
        lines.append({"id": f"p{i}", "segment": "math", "reference": truth,
                      "request": {"messages": [{"role": "user", "content": f"Problem {i}"}]},
                      "response": {"choices": [{"message": {"content": text},
                                                "finish_reason": "stop"}]}})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")


@pytest.mark.parametrize(("cand_accuracy", "verdict", "code"), [
    (0.800, "NO-GO", 1), (0.925, "GO", 0)])
def test_math_benchmark_end_to_end(tmp_path: Path, cand_accuracy: float, verdict: str,
                                   code: int) -> None:
    n = 1200
    rng = np.random.default_rng(7)
    base_right = rng.random(n) < 0.92
    # The candidate gets most of the baseline's right answers and a few others.
    cand_right = base_right.copy()
    flip = rng.permutation(n)
    target = round(cand_accuracy * n)
    for i in flip:
        if cand_right.sum() == target:
            break
        cand_right[i] = cand_right.sum() < target
    _math_log(tmp_path / "log.jsonl", n, base_right, 1)
    _math_log(tmp_path / "cand.jsonl", n, cand_right, 2)
    config = tmp_path / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": "math", "log": {"path": "log.jsonl"}, "baseline": {"recorded": True},
        "candidate": {"recorded": "cand.jsonl"}, "noise": {"enabled": False},
        "suite": {"extract": {"json": "answer"},
                  "metrics": [{"answer_match": {"normalize": ["number"]}}],
                  "gates": [{"metric": "answer_match", "margin": 0.03},
                            {"metric": "failure_rate", "margin": 0.01}]},
    }), encoding="utf-8")
    result = run_cli(["run", str(config), "-q"])
    assert result.exit_code == code, result.output
    decision = json.loads((tmp_path / "swapkit-report" / "report.json").read_text())["decision"]
    gate = next(g for g in decision["gates"] if g["metric"] == "answer_match")
    assert decision["verdict"] == verdict == gate["status"]
    assert gate["baseline"] == pytest.approx(base_right.mean(), abs=0.001)
    assert gate["candidate"] == pytest.approx(cand_right.mean(), abs=0.001)
    assert gate["estimate"] == pytest.approx(cand_right.mean() - base_right.mean(), abs=0.001)
