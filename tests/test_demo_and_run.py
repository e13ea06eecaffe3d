"""The main job: `swapkit demo`, `swapkit run` against a separately started simulator,
`swapkit plan` / `--dry-run` numbers against what the run then does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.demo import DEMO_CONFIG, DEMO_JUDGE, DEMO_LOG
from swapkit.sim import start_simulator
from swapkit.store import RunStore

from .conftest import assert_cli_ok, assert_usage_error, run_cli


def test_demo_is_a_no_go_with_a_clear_reason(tmp_path: Path) -> None:
    result = run_cli(["demo", "-o", tmp_path, "-q"])
    assert result.exit_code == 1, result.output
    headline = result.output.splitlines()[0]
    assert headline.startswith("NO-GO: Qwen3 (simulated) is faster (0.")
    assert "but json_valid drops 35.8 pts in attribute_extraction, " in headline
    assert headline.count("json_valid") == 1 and "@" not in headline
    assert headline.endswith("and 1 more hard gate fails.")
    assert "json_valid@attribute_extraction" in result.output  # on its gate's line
    for name in ("report.html", "report.md", "report.json", "junit.xml"):
        assert (tmp_path / "report" / name).exists()
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "simulated" in html
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["decision"]["verdict"] == "NO-GO" and report["records_total"] == 480


def test_the_demo_report_shows_the_soft_judge_gate_and_escapes_the_judges_reasons(
        tmp_path: Path) -> None:
    from swapkit.completion import outcome
    from swapkit.decision.decide import decide_run
    from swapkit.report import build_reports
    from swapkit.scoring.score import score_run

    assert run_cli(["demo", "-o", tmp_path, "-q"]).exit_code == 1
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    gate = next(g for g in report["decision"]["gates"] if g["metric"] == "judge_pairwise")
    assert not gate["hard"] and gate["status"] in ("GO", "NO-GO", "INCONCLUSIVE")
    shown = " ".join([gate["reason"], *gate["annotations"]])
    assert "judge position consistency" in shown and "judge self-agreement" in shown
    assert "judge length bias" in shown
    details = [r["details"].get("judge_pairwise", "") for r in report["records"]]
    assert any(d.startswith(("win —", "loss —")) and "BA:" in d for d in details)
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "judge_pairwise" in html and "judge self-agreement" in html
    assert "Answer A is closer to what the user needed." in html  # a judge's reason
    # The judge's reasons are model output: a hostile one is shown as text, never markup.
    run_dir = tmp_path / "run"
    hostile = '</script><img src=x onerror="window.__xss=1"> A is better'
    with RunStore(run_dir) as store:
        judge = store.targets()["judge"].target
        rewritten = [c.model_copy(update={"answer": json.dumps(
            {"reason": hostile, "verdict": "A"})}) for c in store.completions(judge)
            if outcome(c) == "answer"][:40]
        store.put_completions(rewritten)
    score_run(run_dir)
    decide_run(run_dir)
    html = build_reports(run_dir, ["html"], tmp_path / "again")["html"].read_text(
        encoding="utf-8")
    assert "window.__xss" in html and "<img src=x" not in html and "</script><img" not in html


def test_demo_with_the_fixed_candidate_is_a_go_and_a_second_demo_resumes(
        tmp_path: Path) -> None:
    result = run_cli(["demo", "-o", tmp_path, "-q", "--candidate-profile", "qwen3-fixed"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("GO: ") and "hard gates pass." in result.output
    # Again into the same folder: the simulator comes back on the same port, so the
    # targets are the same and nothing is sent again.
    again = run_cli(["demo", "-o", tmp_path, "--candidate-profile", "qwen3-fixed"])
    assert again.exit_code == 0, again.output
    assert "nothing was sent" in again.stderr and again.stdout.startswith("GO: ")
    # Another candidate profile is another model: its answers are replayed, never reused.
    other = run_cli(["demo", "-o", tmp_path, "--candidate-profile", "qwen3-like"])
    assert other.exit_code == 1 and other.stdout.startswith("NO-GO: ")
    assert "nothing was sent" not in other.stderr


def test_the_lineup_demo_recommends_a_smaller_model_than_the_largest(tmp_path: Path) -> None:
    """Four simulated Qwen3 configurations: the 8B breaks JSON (NO-GO), the three others are
    as good as the baseline, and the cheapest of them, the 32B without thinking, is
    recommended; the baseline is replayed once for all four."""
    result = run_cli(["demo", "--lineup", "-o", tmp_path, "-q"])
    assert result.exit_code == 0, result.output
    assert "recommended: qwen3-32b, the lowest cost per request of the 3 candidates" in (
        result.output)
    lineup = json.loads((tmp_path / "report" / "lineup.json").read_text(encoding="utf-8"))
    verdicts = {c["name"]: c["verdict"] for c in lineup["candidates"]}
    assert verdicts == {"qwen3-235b": "GO", "qwen3-32b": "GO", "qwen3-32b-thinking": "GO",
                        "qwen3-8b": "NO-GO"}
    assert lineup["order"][-1] == "qwen3-8b"  # the cheapest planned, tested last
    baseline_sent = []
    for name in verdicts:
        with RunStore(tmp_path / "run" / name, read_only=True) as store:
            base = store.targets()["baseline"].target
            baseline_sent.append(store.db.execute(
                "SELECT count(*) FROM completions WHERE target = ? AND attempts > 0",
                (base,)).fetchone()[0])
    assert baseline_sent[0] > 0 and baseline_sent[1:] == [baseline_sent[0]] * 3  # copies


def test_a_demo_port_file_out_of_range_starts_on_a_fresh_port(tmp_path: Path) -> None:
    from swapkit.demo import PORT_FILE, _profiles_key, _start

    profiles = ["r1-like", "qwen3-fixed", DEMO_JUDGE]
    (tmp_path / PORT_FILE).write_text(json.dumps({"port": 70000,
                                                  "profiles": _profiles_key(profiles)}))
    with _start(tmp_path, profiles) as sim:
        assert 0 < sim.port < 65536
    assert json.loads((tmp_path / PORT_FILE).read_text())["port"] == sim.port


def env_for(sim_url: str, out: Path) -> dict[str, str]:
    return {"SWAPKIT_SIM_URL": sim_url}


def places(out: Path) -> list[object]:
    """Where a run of the packaged config writes: chosen on the command line."""
    return ["--run-dir", out / "run", "-o", out / "report"]


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with start_simulator(["r1-like", "qwen3-like", DEMO_JUDGE], [DEMO_LOG]) as running:
        yield running


def usage_by_side(run_dir: Path) -> dict[str, list[int]]:
    with RunStore(run_dir, lock=False) as store:
        sides = {t.target: side for side, t in store.targets().items()}
        totals: dict[str, list[int]] = {}
        for c in store.completions():
            if c.target in sides:
                t = totals.setdefault(sides[c.target], [0, 0, 0])
                t[0] += 1
                t[1] += c.usage.prompt_tokens or 0
                t[2] += c.usage.completion_tokens or 0
    return totals


def test_run_against_a_separate_simulator_matches_its_dry_run(sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(sim.base_url, tmp_path)
    dry = run_cli(["run", DEMO_CONFIG, "--dry-run", "--max-records", "160"], env=env)
    assert_cli_ok(dry)
    assert "api_key" not in dry.output and '"model": "qwen3-sim"' in dry.output
    plan = json.loads(run_cli(["plan", DEMO_CONFIG, "--json"], env=env).output)
    assert plan["sample_size"] == 480
    result = run_cli(["run", DEMO_CONFIG, "-q", "--max-records", "160", *places(tmp_path)],
                     env=env)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("NO-GO:")
    actual = usage_by_side(tmp_path / "run")
    for line in dry.output.splitlines():
        for side in ("baseline", "candidate"):
            if line.startswith(side) and "requests" in line:
                words = line.replace(",", "").replace("~", "").split()
                requests = int(words[words.index("requests") - 1])
                prompt = int(words[words.index("prompt") - 1])
                completion = int(words[words.index("completion") - 1])
                assert requests == actual[side][0]
                assert prompt == pytest.approx(actual[side][1], rel=0.10)
                assert completion == pytest.approx(actual[side][2], rel=0.10)


def test_run_report_only_and_overrides(sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = env_for(sim.base_url, tmp_path)
    first = run_cli(["run", DEMO_CONFIG, "-q", "--max-records", "60", *places(tmp_path)],
                    env=env)
    assert first.exit_code in (1, 4), first.output
    again = run_cli(["run", DEMO_CONFIG, "-q", "--report-only", "--inconclusive", "warn",
                     *places(tmp_path)], env=env)
    assert again.exit_code in (0, 1), again.output
    assert "report html" in again.output
    # A candidate model the endpoint does not serve: 404s, aborted after a run of failures.
    bad = run_cli(["run", DEMO_CONFIG, "-q", "--max-records", "60", "--candidate-model", "nope",
                   "--run-dir", tmp_path / "other", "-o", tmp_path / "other-report"], env=env)
    assert bad.exit_code == 3 and "does not exist" in bad.output
    assert_usage_error(run_cli(["run", tmp_path / "none.yaml"]), "no such file")


def test_python_api_example_runs() -> None:
    import subprocess
    import sys

    from .conftest import EXAMPLES

    out = subprocess.run([sys.executable, str(EXAMPLES / "python_api.py"), "--max-records",
                          "40"], capture_output=True, text=True, timeout=300)
    assert out.returncode in (0, 1, 4), out.stderr
    assert "replayed 40 records" in out.stdout and "HTML report:" in out.stdout


def test_the_readme_python_api_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import swapkit

    from .simhelp import profile, write_config, write_log

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = next(b.split("```")[0] for b in readme.split("```python\n")[1:]
                 if "run_migration" in b)
    imported = block.split("from swapkit import ")[1].split("\n")[0].split(", ")
    assert set(imported) <= set(swapkit.__all__)  # the example uses the public API only
    log = write_log(tmp_path / "log.jsonl", 30)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as running:
        write_config(tmp_path, running.base_url, log=log,
                     suite={"gates": [{"metric": "failure_rate", "margin": 0.05}]})
        monkeypatch.chdir(tmp_path)
        with pytest.raises(SystemExit) as exited:
            exec(compile(block, "README.md", "exec"), {})
    assert exited.value.code in (0, 1, 4)
    out = capsys.readouterr().out
    assert "failure_rate" in out and "report: swapkit-report/report.html" in out
    assert (tmp_path / "swapkit-report" / "report.html").exists()
