"""A lineup of candidates in one run: extends:, one baseline replay for all, one decision
per candidate, Holm across them, the cheapest safe candidate recommended, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from swapkit.config import load_config
from swapkit.config.lineup import resolve_extends
from swapkit.decision.model import Decision
from swapkit.lineup import CandidateResult, LineupResult, adjust, lineup_exit_code, recommend
from swapkit.sim import start_simulator
from swapkit.store import RunStore

from .conftest import run_cli
from .simhelp import profile, write_config, write_log

SUITE = {"gates": [{"metric": "exact_match", "margin": 0.2},
                   {"metric": "failure_rate", "margin": 0.1}]}


def lineup_config(tmp_path: Path, url: str, log: Path, models: dict[str, str],
                  concurrency: int = 4) -> Path:
    """A simulated lineup's swap.yaml: candidate name -> the simulator model it calls."""
    target = {"base_url": url, "concurrency": concurrency, "timeout_s": 5, "stream": False}
    return write_config(tmp_path, url, log=log, suite=SUITE, noise={"enabled": False},
                        candidates={name: {**target, "model": model}
                                    for name, model in models.items()})


def test_extends_copies_a_candidate_and_merges_params_key_by_key() -> None:
    lineup = resolve_extends({
        "big": {"model": "qwen3-235b", "base_url": "http://x/v1", "label": "Big",
                "params": {"temperature": 0.6, "extra_body": {"enable_thinking": True,
                                                               "top_k": 20}}},
        "big-fast": {"extends": "big", "params": {"extra_body": {"enable_thinking": False}}},
        "small": {"extends": "big-fast", "model": "qwen3-8b"}})
    assert lineup["big-fast"] == {"model": "qwen3-235b", "base_url": "http://x/v1", "params": {
        "temperature": 0.6, "extra_body": {"enable_thinking": False, "top_k": 20}}}
    assert lineup["small"]["model"] == "qwen3-8b"
    assert lineup["small"]["params"]["extra_body"]["enable_thinking"] is False
    with pytest.raises(ValueError, match="no candidate named 'nope'"):
        resolve_extends({"a": {"extends": "nope"}})
    with pytest.raises(ValueError, match="a loop"):
        resolve_extends({"a": {"extends": "b"}, "b": {"extends": "a"}})


def test_candidate_and_candidates_together_is_a_config_error(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 5)
    path = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log,
                        candidates={"a": {"model": "a", "base_url": "http://127.0.0.1:9/v1"}})
    both = {**yaml.safe_load(path.read_text()), "candidate": {
        "model": "b", "base_url": "http://127.0.0.1:9/v1"}}
    path.write_text(yaml.safe_dump(both), encoding="utf-8")
    result = run_cli(["run", str(path), "--dry-run"])
    assert result.exit_code == 2 and "candidate: (one model) or candidates:" in result.output


def _decision(verdict: str, p: float | None) -> Decision:
    gates = [] if p is None else [{
        "name": "g", "metric": "exact_match", "kind": "noninferiority", "scale": "difference",
        "hard": True, "status": verdict, "raw_status": verdict, "p_noninferior": p}]
    return Decision.model_validate({"verdict": verdict, "reason": "", "alpha": 0.05,
                                    "records": 100, "baseline": "b", "candidate": "c",
                                    "gates": gates})


def _result(name: str, verdict: str, p: float | None, cost: float | None) -> CandidateResult:
    decision = _decision(verdict, p)
    return CandidateResult(name, Path(name), decision, p if verdict == "GO" else None,
                           verdict, cost, None)


def test_the_fixed_sequence_stops_at_the_first_candidate_that_is_not_go() -> None:
    """Dearest planned first, each at α: a GO after the first failure is not tested."""
    results = [_result("big", "GO", 0.04, 0.010), _result("mid", "NO-GO", 0.9, 0.004),
               _result("small", "GO", 0.001, 0.001)]
    adjust(results, 0.05, order=["big", "mid", "small"])
    assert [r.verdict for r in results] == ["GO", "NO-GO", "INCONCLUSIVE"]
    assert recommend(results, "cost") == "big"  # small is cheaper but was never tested
    adjust(results, 0.05, order=["big", "small", "mid"])
    assert [r.verdict for r in results] == ["GO", "NO-GO", "GO"]
    assert recommend(results, "cost") == "small"
    assert lineup_exit_code(LineupResult(results, "small", "cost", 0.05)) == 0


def test_the_recommendation_is_the_cheapest_go_after_holm() -> None:
    results = [_result("big", "GO", 0.001, 0.010), _result("mid", "GO", 0.02, 0.004),
               _result("small", "GO", 0.04, 0.001), _result("bad", "NO-GO", 0.9, 0.0005)]
    adjust(results, 0.05)
    # Holm over 3 GO p-values (and a 1 for the NO-GO): 0.004, 0.06, 0.08 -> small is not GO
    assert [r.verdict for r in results] == ["GO", "INCONCLUSIVE", "INCONCLUSIVE", "NO-GO"]
    assert [r.unadjusted for r in results] == ["GO", "GO", "GO", "NO-GO"]
    assert recommend(results, "cost") == "big"
    lineup = LineupResult(results, "big", "cost", 0.05)
    assert lineup_exit_code(lineup) == 0
    assert lineup_exit_code(lineup, require="small") == 4
    assert lineup_exit_code(lineup, require="small", inconclusive="pass") == 0
    assert lineup_exit_code(lineup, require="bad") == 1
    ties = [_result("a", "GO", 0.001, 0.002), _result("b", "GO", 0.001, 0.002)]
    adjust(ties, 0.05)
    assert recommend(ties, "cost") == "a"  # a tie goes to the lineup's order
    nogo = [_result("a", "NO-GO", 0.9, 0.1), _result("b", "NO-GO", 0.8, 0.2)]
    adjust(nogo, 0.05)
    assert lineup_exit_code(LineupResult(nogo, recommend(nogo, "cost"), "cost", 0.05)) == 1
    # Holm's family is the whole lineup: an undecided candidate still counts (p = 1)
    alone = [_result("a", "GO", 0.03, 0.1)]
    adjust(alone, 0.05)
    assert alone[0].verdict == "GO"
    adjust(alone, 0.05, family=2)
    assert alone[0].verdict == "INCONCLUSIVE"  # 0.03 × 2 > 0.05
    # an INCONCLUSIVE cheaper than a GO is not recommended
    mixed = [_result("cheap", "INCONCLUSIVE", None, 0.0001), _result("ok", "GO", 0.001, 0.5)]
    adjust(mixed, 0.05)
    assert recommend(mixed, "cost") == "ok"


# A dear good candidate, a cheap good one, and a cheap one that truncates half its answers.
THREE_PROFILES = [profile("base-sim"), profile("big-sim"), profile("small-sim"),
                  profile("broken-sim", truncation_rate=0.5)]


def three_candidates(url: str) -> dict[str, Any]:
    """The ``candidates:`` of THREE_PROFILES."""
    target = {"base_url": url, "concurrency": 4, "timeout_s": 5, "stream": False}
    return {"big": {**target, "model": "big-sim", "price": {"input": 4.0, "output": 8.0}},
            "small": {"extends": "big", "model": "small-sim",
                      "price": {"input": 0.5, "output": 1.0}},
            "broken": {"extends": "small", "model": "broken-sim"}}


def test_a_lineup_replays_the_baseline_once_and_recommends_the_cheapest_safe_candidate(
        tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 120)
    with start_simulator(THREE_PROFILES, [log]) as sim:
        url = sim.base_url
        path = write_config(tmp_path, url, log=log, suite=SUITE, noise={"enabled": False},
                            candidates=three_candidates(url))
        result = run_cli(["run", str(path), "--json", "-q"])
        stats = sim.stats()["models"]
        first_md = Path(json.loads(result.output)["lineup_reports"]["md"]).read_text()
        page = Path(json.loads(result.output)["lineup_reports"]["html"]).read_text()
        # a subset again: everything resumes, nothing is sent; --require picks the exit code
        again = run_cli(["run", str(path), "-q", "--candidates", "big,broken",
                         "--require", "broken"])
        after = sim.stats()["models"]
        holm = run_cli(["run", str(path), "--json", "-q", "--multiplicity", "holm"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert stats["base-sim"]["requests"] == 120  # once for the three candidates
    assert {m: stats[m]["requests"] for m in ("big-sim", "small-sim", "broken-sim")} == {
        "big-sim": 120, "small-sim": 120, "broken-sim": 100}  # broken: stopped early
    verdicts = {c["name"]: (c["verdict"], c["unadjusted_verdict"]) for c in out["candidates"]}
    assert verdicts["broken"] == ("NO-GO", "NO-GO") and verdicts["small"][0] == "GO"
    assert out["recommended"] == "small"  # the cheaper of the two good ones
    assert first_md.startswith("# Lineup: recommended: small, the lowest cost per request of "
                               "the 2 candidates that are GO for the lineup (a fixed sequence, "
                               "dearest planned first: big → small → broken")
    assert "small <b>(recommended)</b>" in page and "Pareto front" in page
    from swapkit.view.server import ViewerApp

    app = ViewerApp(tmp_path / "run")  # the lineup's folder: its candidates' runs
    try:
        runs = app.handle("/").body
        assert 'href="/lineup?l=.">' in runs and "run?r=small" in runs
        lineup_page = app.handle("/lineup?l=.")
        assert lineup_page.status == 200 and "Lineup: test-run" in lineup_page.body
        assert '<a href="/run?r=small">small</a> <b>(recommended)</b>' in lineup_page.body
        assert "Pareto front" in lineup_page.body
        assert app.handle("/lineup?l=nope").status == 404
    finally:
        app.close()
    assert '<a href="small/report.html">full report</a>' in page  # beside the lineup page
    junit = Path(out["lineup_reports"]["junit"]).read_text()
    assert 'name="broken"' in junit and 'type="NO-GO"' in junit
    for c in out["candidates"]:
        assert (Path(c["run_dir"]) / "swapkit.sqlite").is_file()
        assert Path(c["reports"]["html"]).is_file()
    assert after == stats  # resumed: not one request more
    # a subset run counts the others by their stored decisions: the same recommendation
    assert again.exit_code == 1 and "recommended: small" in again.output  # broken's NO-GO
    assert json.loads(holm.output)["multiplicity"] == "holm"
    assert load_config(path).candidates is not None


def test_a_candidate_added_later_starts_from_the_stored_baseline(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 40)
    profiles = [profile("base-sim"), profile("big-sim"), profile("new-sim")]
    with start_simulator(profiles, [log]) as sim:
        target = {"base_url": sim.base_url, "concurrency": 4, "timeout_s": 5, "stream": False}
        path = lineup_config(tmp_path, sim.base_url, log, {"big": "big-sim"})
        config = yaml.safe_load(path.read_text())
        assert run_cli(["run", str(path), "-q"]).exit_code in (0, 4)
        config["candidates"] = {"new": {**target, "model": "new-sim"}, **config["candidates"]}
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        assert run_cli(["run", str(path), "-q"]).exit_code in (0, 4)
        stats = sim.stats()["models"]
    assert stats["base-sim"]["requests"] == 40  # not again for the newcomer, listed first
    assert stats["new-sim"]["requests"] == 40 and stats["big-sim"]["requests"] == 40


def test_plan_shows_each_candidate_and_counts_the_baseline_once(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 30)
    url = "http://127.0.0.1:9/v1"
    path = write_config(tmp_path, url, log=log, noise={"enabled": False}, candidates={
        "big": {"base_url": url, "model": "big", "price": {"input": 4.0, "output": 8.0}},
        "small": {"extends": "big", "model": "small"}})
    plans = json.loads(run_cli(["plan", str(path), "--json"]).output)["candidates"]
    assert list(plans) == ["big", "small"]
    base = {name: next(t for t in plan["targets"] if t["side"] == "baseline")
            for name, plan in plans.items()}
    assert base["big"]["requests"] == 30 and base["small"]["requests"] == 0
    cand = next(t for t in plans["small"]["targets"] if t["side"] == "candidate")
    assert cand["requests"] == 30 and cand["label"] == "small"
    text = run_cli(["plan", str(path)]).output
    assert "candidate  small" in text and "shared: replayed once for the lineup" in text
    dry = json.loads(run_cli(["run", str(path), "--dry-run", "--json"]).output)
    assert list(dry["candidates"]) == ["big", "small"]


def test_the_pareto_chart_marks_the_front_and_escapes_names() -> None:
    from swapkit.report.charts import pareto

    svg = pareto([("cheap<script>", 1.0, 0.7, "NO-GO"), ("mid", 2.0, 0.9, "GO"),
                  ("dear", 3.0, 0.85, "GO")], (5.0, 0.9), "Quality against cost", "cost", "q")
    assert "<script>" not in svg and "cheap&lt;script&gt;" in svg
    # the front: cheap (cheapest) and mid (better and cheaper than dear); dear is dominated
    front = svg.split("<polyline points=\"")[1].split("\"")[0].split()
    assert len(front) == 2
    assert pareto([], None, "t", "x", "y") == ""


def test_a_broken_candidate_stops_early_and_the_verdicts_stay_those_of_a_full_run(
        tmp_path: Path) -> None:
    """Early stopping (on by default for a lineup): a candidate that fails half its answers
    is a settled NO-GO after the first look (100 records) and is sent nothing more; the
    good one is replayed in full. Without early stopping, the same lineup gives the same
    verdicts, having sent every request."""
    log = write_log(tmp_path / "log.jsonl", 600)
    profiles = [profile("base-sim"), profile("good-sim"), profile("broken-sim",
                                                                   truncation_rate=0.5)]
    outcomes = {}
    for early in (True, False):
        folder = tmp_path / ("early" if early else "full")
        folder.mkdir()
        with start_simulator(profiles, [log]) as sim:
            target = {"base_url": sim.base_url, "concurrency": 8, "timeout_s": 5,
                      "stream": False, "price": {"input": 1.0, "output": 2.0}}
            path = write_config(folder, sim.base_url, log=log, suite=SUITE,
                                noise={"enabled": False}, candidates={
                                    "good": {**target, "model": "good-sim"},
                                    "broken": {**target, "model": "broken-sim"}})
            args = ["run", str(path), "--json", "-q", *([] if early else ["--no-early-stop"])]
            result = run_cli(args)
            stats = sim.stats()["models"]
        out = json.loads(result.output)
        outcomes[early] = ({c["name"]: c["verdict"] for c in out["candidates"]},
                           stats["broken-sim"]["requests"], stats["good-sim"]["requests"],
                           out["notes"])
    (early_verdicts, early_broken, early_good, notes), (full_verdicts, full_broken, _, _) = (
        outcomes[True], outcomes[False])
    assert early_verdicts == full_verdicts == {"good": "GO", "broken": "NO-GO"}
    assert early_good == 600 and full_broken == 600
    assert early_broken <= 110  # one chunk of 100 (a few retries aside)
    assert any("broken: stopped early after" in note and "requests not sent" in note
               for note in notes)


def test_looking_after_every_chunk_keeps_the_false_no_go_rate_at_alpha() -> None:
    """The early stop's error: a candidate exactly at the margin (mean difference −0.05 on a
    pass/fail metric, 10% discordant pairs) looked at every 100 records up to 2,000 is
    stopped as NO-GO in at most α of the runs (seeded, 400 runs; the confidence sequence
    is valid at every look, so looking often costs nothing); a clearly broken one (−0.30)
    stops at the first or second look."""
    from swapkit.decision.stats.sequential import prpl_eb_cs

    rng = np.random.default_rng(3)
    margin, alpha, reps, n = 0.05, 0.05, 400, 2000

    def pairs(mean: float, discordant: float) -> np.ndarray:
        worse = (discordant - mean) / 2  # P(-1) - P(+1) = -mean, P(-1) + P(+1) = discordant
        return rng.choice([-1.0, 1.0, 0.0], n, p=[worse, discordant - worse, 1 - discordant])

    stops = 0
    for _ in range(reps):
        upper = prpl_eb_cs(pairs(-margin, 0.10), -1.0, 1.0, alpha)[1]
        stops += bool((upper[99::100] < -margin).any())
    assert stops / reps <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / reps)
    upper = prpl_eb_cs(pairs(-0.30, 0.40), -1.0, 1.0, alpha)[1]
    first = int(np.argmax(upper[99::100] < -margin))
    assert upper[99::100][first] < -margin and first <= 1


def test_one_candidate_can_ask_for_early_stopping_and_its_report_says_no_go(
        tmp_path: Path) -> None:
    """--early-stop for a single candidate: the broken one stops after a chunk, exits 1,
    and its own reports (run store, report.json) carry the stop's NO-GO."""
    log = write_log(tmp_path / "log.jsonl", 400)
    with start_simulator([profile("base-sim"), profile("cand-sim", truncation_rate=0.5)],
                         [log]) as sim:
        path = write_config(tmp_path, sim.base_url, log=log, suite=SUITE,
                            noise={"enabled": False})
        result = run_cli(["run", str(path), "-q", "--early-stop", "--json"])
        sent = sim.stats()["models"]["cand-sim"]["requests"]
    assert result.exit_code == 1, result.output
    out = json.loads(result.output)
    assert out["verdict"] == "NO-GO" and "stopped early after 100 of 400 records" in (
        out["headline"])
    assert sent <= 110
    report = json.loads(Path(out["reports"]["json"]).read_text())
    assert report["decision"]["verdict"] == "NO-GO"


def test_a_weighted_mix_ranks_by_cost_and_latency_against_the_best_go() -> None:
    """rank_by {cost: 1, latency_p95: 1}: each quantity over the best GO candidate's."""
    cheap_slow = _result("cheap-slow", "GO", 0.001, 0.001)
    cheap_slow.latency_p95 = 4.0
    dear_fast = _result("dear-fast", "GO", 0.001, 0.0015)
    dear_fast.latency_p95 = 1.0
    results = [cheap_slow, dear_fast]
    adjust(results, 0.05)
    assert recommend(results, "cost") == "cheap-slow"
    assert recommend(results, "latency_p95") == "dear-fast"
    # cheap-slow: 1 + 4 = 5; dear-fast: 1.5 + 1 = 2.5
    assert recommend(results, {"cost": 1.0, "latency_p95": 1.0}) == "dear-fast"
    assert recommend(results, {"cost": 10.0, "latency_p95": 1.0}) == "cheap-slow"


def test_lineup_settings_in_swap_yaml(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 5)
    url = "http://127.0.0.1:9/v1"
    path = write_config(tmp_path, url, log=log, candidates={"a": {"base_url": url,
                                                                   "model": "a"}},
                        lineup={"rank_by": {"cost": 2, "latency_p95": 1},
                                "multiplicity": "holm", "early_stop": False})
    config = yaml.safe_load(path.read_text())
    loaded = load_config(path)
    assert loaded.lineup.rank_by == {"cost": 2.0, "latency_p95": 1.0}
    assert loaded.lineup.multiplicity == "holm" and loaded.lineup.early_stop is False
    config["lineup"] = {"rank_by": "speed"}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    assert run_cli(["run", str(path), "--dry-run"]).exit_code == 2


def test_a_stop_belongs_to_the_candidate_and_config_it_stopped(tmp_path: Path) -> None:
    """A candidate stopped early, then changed in swap.yaml (another model): the new one is
    replayed and decided on its own answers, never NO-GO by the old one's stop; --max-records
    holds while watching; --candidate-* flags on a lineup are refused."""
    log = write_log(tmp_path / "log.jsonl", 300)
    profiles = [profile("base-sim"), profile("broken-sim", truncation_rate=0.5),
                profile("good-sim")]
    with start_simulator(profiles, [log]) as sim:
        path = lineup_config(tmp_path, sim.base_url, log, {"c": "broken-sim"}, concurrency=8)
        config = yaml.safe_load(path.read_text())
        first = json.loads(run_cli(["run", str(path), "--json", "-q"]).output)
        assert first["candidates"][0]["verdict"] == "NO-GO"
        config["candidates"]["c"]["model"] = "good-sim"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        second = json.loads(run_cli(["run", str(path), "--json", "-q"]).output)
        refused = run_cli(["run", str(path), "-q", "--candidate-model", "x"])
        small = json.loads(run_cli(["run", str(path), "--json", "-q", "--max-records", "50",
                                    "--run-dir", str(tmp_path / "small")]).output)
        stats = sim.stats()["models"]
    assert second["candidates"][0]["verdict"] == "GO" and not second["notes"]
    assert stats["good-sim"]["requests"] == 300 + 50
    assert refused.exit_code == 2 and "--candidate-* flags" in refused.output
    with RunStore(Path(small["candidates"][0]["run_dir"]), read_only=True) as store:
        assert store.record_count() == 50
