"""The judge-fooling candidate: a long garbage constant that a verbosity-biased judge prefers
passes judge_pairwise alone, and fails a suite that also checks answers against the
references; people's labels show how little the judge agrees with them. Over real HTTP
against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

from swapkit.config import GateSpec, Suite
from swapkit.decision.decide import decide_run
from swapkit.scoring.score import score_run
from swapkit.sim import start_simulator

from .conftest import run_cli
from .simhelp import profile, write_config, write_log

N = 40
GARBAGE = ("Thank you for this thoughtful question. There are many aspects to consider, and "
           "every situation is different, so it is always best to weigh the options carefully, "
           "stay informed, plan ahead and consult the appropriate resources before deciding. "
           "I hope this detailed overview helps you on your journey!")
SUITE = {"metrics": ["judge_pairwise", "judge_reference", "similarity_to_reference"],
         "gates": [{"metric": "judge_pairwise", "margin": 0.1},
                   {"metric": "judge_reference", "margin": 0.1},
                   {"metric": "similarity_to_reference", "margin": 0.05}]}


def test_a_garbage_constant_fools_the_judge_but_not_a_suite_with_a_reference_gate(
        tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", N)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for i, line in enumerate(lines):  # people's labels on the odd records, carried in the log
        if i % 2:
            line["metadata"] = {"human_label": "baseline"}
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    labels = tmp_path / "review" / "labels.jsonl"
    labels.parent.mkdir()
    labels.write_text("".join(json.dumps({"record_id": f"q{i}", "reviewer": "ana",
                                          "label": "A", "order": "AB"}) + "\n"
                              for i in range(0, N, 2)), encoding="utf-8")
    with start_simulator([profile("base-sim", quality=0.9),
                          profile("cand-sim", seed=5, constant_answer=GARBAGE),
                          profile("judge-sim", judge={"verbosity_bias": 1.0})], [log]) as sim:
        config = write_config(
            tmp_path, sim.base_url, log=log, suite=SUITE,
            judge={"model": "judge-sim", "base_url": sim.base_url, "stream": False,
                   "labels": "review/labels.jsonl"},
            embeddings={"backend": "openai", "base_url": sim.base_url, "model": "sim-embed"},
            report={"dir": str(tmp_path / "report"), "formats": ["json", "md", "html"]})
        result = run_cli(["run", config, "-q"])
        assert result.exit_code == 1, result.output  # NO-GO
    run_dir = tmp_path / "run"
    decision = decide_run(run_dir)
    gates = {g.metric: g for g in decision.gates}
    assert decision.verdict == "NO-GO"
    # The biased judge prefers the longer garbage in both orders: every pair a win, and the
    # pointwise judge passes it against the reference for the same reason.
    assert gates["judge_pairwise"].status == "GO"
    assert gates["judge_pairwise"].candidate == 1.0
    assert gates["judge_reference"].status == "GO"
    # The reference gate that no judge reads is the one that catches it.
    assert gates["similarity_to_reference"].status == "NO-GO"
    assert decision.blocking == ["similarity_to_reference"]
    alone = decide_run(run_dir, suite=Suite(metrics=["judge_pairwise"], gates=[
        GateSpec(metric="judge_pairwise", margin=0.1)]))
    assert alone.verdict == "GO"
    # People (in the labels file and in the log) preferred the baseline on every record: the
    # judge always said
    # win, so its kappa with them is 0 and its raw agreement none, on the gate in every report
    # that shows the gate's reason (the markdown summary shows the reasons of failed gates).
    said = ("judge vs people: weighted kappa 0.00 (90% interval 0.00 to 0.00, bootstrap), raw "
            "agreement 0% over 40 labelled records; simple random sample")
    assert said in gates["judge_pairwise"].annotations
    assert said in gates["judge_pairwise"].reason
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    gate = next(g for g in report["decision"]["gates"] if g["metric"] == "judge_pairwise")
    assert said in gate["reason"]
    assert "baseline better 0 / 0 / 40" in gate["reason"]
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert said in html and "baseline better 0 / 0 / 40" in html
    # New labels make the stored scores stale: scoring again reads them.
    notes = score_run(run_dir, force=False).metrics["judge_pairwise"].notes
    assert "human labels: 40 labels from 2 reviewers on 40 records" in " ".join(notes)
    labels.write_text(json.dumps({"record_id": "q0", "reviewer": "bo", "label": "candidate"})
                      + "\n", encoding="utf-8")
    again = score_run(run_dir, force=False)
    assert not again.reused
    assert "21 labels from 2 reviewers on 21 records" in " ".join(
        again.metrics["judge_pairwise"].notes)
