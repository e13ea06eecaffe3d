"""The plain-language headline: built from the decision's numbers, each gate named once."""

from __future__ import annotations

import pytest

from swapkit.config import GateSpec, Suite
from swapkit.decision.decide import decide
from swapkit.decision.headline import headline
from swapkit.decision.model import Decision
from swapkit.scoring.metrics import MetricScores

from .metrichelp import answer, record, run
from .test_decision import binary, pairs

N = 600
SEGMENTS = ["chat", "extraction", "search"] * (N // 3)


def _data(cost: bool = True, segments: bool = True, missing: int = 0):  # type: ignore[no-untyped-def]
    records = [record(i, segment=SEGMENTS[i] if segments else None) for i in range(N)]
    base = [answer("a", latency=1.0, cost=0.008 if cost else None)] * N
    cand = [answer("a", latency=0.47, cost=0.001 if cost else None)] * (N - missing)
    return run(records, base, [*cand, *([None] * missing)])


def _json_scores(broken_share: float) -> dict[str, MetricScores]:
    cand = [0.0 if SEGMENTS[i] == "extraction" and (i // 3) % 100 < broken_share * 100
            else 1.0 for i in range(N)]
    return {"json_valid": binary("json_valid", [1.0] * N, cand),
            "exact": binary("exact", *pairs(N, 0, 0))}


SUITE = Suite(gates=[GateSpec(metric="json_valid", margin=0.02),
                     GateSpec(metric="exact", margin=0.02)],
              critical_segments=["extraction"])


def _decide(scores: dict[str, MetricScores], **data: bool | int) -> Decision:
    return decide(_data(**data), scores, SUITE, run_id="t")  # type: ignore[arg-type]


def test_no_go_names_speed_cost_segments_and_the_blocking_gate_once() -> None:
    d = _decide(_json_scores(0.36))
    assert d.verdict == "NO-GO"
    assert d.headline == (
        "NO-GO: candidate is faster (0.47× median latency) and 8.00× cheaper per request, "
        "as good on 2 of 3 segments, but json_valid drops 12.0 pts, worst in extraction "
        "(-36.0 pts).")
    assert d.headline.count("json_valid") == 1 and "@" not in d.headline
    assert "json_valid@extraction" in d.reason  # the reason still lists every gate


def test_go_and_the_numbers_follow_the_data() -> None:
    d = _decide(_json_scores(0.0))
    assert d.verdict == "GO"
    assert d.headline == ("GO: candidate is faster (0.47× median latency) and 8.00× cheaper "
                          "per request, as good on all 3 segments: all 4 hard gates pass.")


def test_no_cost_data_and_no_segments() -> None:
    d = _decide(_json_scores(0.0), cost=False, segments=False)
    assert d.verdict == "GO"
    assert d.headline == ("GO: candidate is faster (0.47× median latency): all 2 hard gates "
                          "pass.")
    assert "cheaper" not in d.headline and "segments" not in d.headline


def test_inconclusive_says_what_is_open() -> None:
    scores = {"exact": binary("exact", *pairs(100, 3, 1))}
    suite = Suite(gates=[GateSpec(metric="exact", margin=0.02)])
    records = [record(i) for i in range(100)]
    data = run(records, [answer("a", latency=1.0, cost=None)] * 100,
               [answer("a", latency=1.5, cost=None)] * 100)
    d = decide(data, scores, suite, run_id="t")
    assert d.verdict == "INCONCLUSIVE"
    assert d.headline.startswith("INCONCLUSIVE: candidate is slower (1.50× median latency), "
                                 "but exact is not settled by 100 records")
    missing = _decide(_json_scores(0.0), missing=30)  # as decide says when they hold it open
    missing.verdict, missing.blocking = "INCONCLUSIVE", ["exact"]
    assert missing.missing == 30
    assert headline(missing).endswith("but 30 records are missing an answer (rerun to "
                                      "complete).")


@pytest.mark.parametrize("higher", [True, False])
def test_a_rate_of_bad_events_rises(higher: bool) -> None:
    base = [0.0] * N
    cand = [1.0] * 60 + [0.0] * (N - 60)
    if higher:  # the same events as a pass rate that drops
        base, cand = [1 - v for v in base], [1 - v for v in cand]
    scores = {"m": binary("m", base, cand, higher=higher)}
    d = decide(_data(segments=False), scores, Suite(gates=[GateSpec(metric="m", margin=0.02)]),
               run_id="t")
    assert d.verdict == "NO-GO"
    assert d.headline.endswith(f"but m {'drops' if higher else 'rises'} 10.0 pts.")


def test_every_field_comes_from_the_decision() -> None:
    d = _decide(_json_scores(0.36))
    d.candidate, d.operations[1].latency_p50 = "qwen3", 2.0
    assert headline(d).startswith("NO-GO: qwen3 is slower (2.00× median latency)")
    d.operations[1].cost_per_request = 0.016
    assert "2.00× the cost per request" in headline(d)
