"""A replay killed with SIGKILL resumes without re-sending committed requests."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swapkit.completion import Completion
from swapkit.config import load_config
from swapkit.errors import RuntimeFailure
from swapkit.replay.engine import ReplayOptions, replay_run
from swapkit.sim import prompt_key, start_simulator
from swapkit.store import DB_NAME, RunStore
from swapkit.store.run_store import COMMIT_ROWS

from .simhelp import profile, write_config, write_log


def committed(run_dir: Path) -> int:
    db = run_dir / DB_NAME
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM completions").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def kill_after(config: Path, run_dir: Path, at_least: int) -> None:
    process = subprocess.Popen([sys.executable, "-m", "swapkit", "replay", str(config), "-q"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while committed(run_dir) < at_least and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


def sim_keys(run_dir: Path) -> dict[str, tuple[str, str, int]]:
    """completion key → (model, prompt key, sample) as the simulator counts them."""
    with RunStore(run_dir, lock=False) as store:
        messages = {r.request_hash: r.messages for r, _ in store.records()}
        models = {t.target: t.identity["model"] for t in store.targets().values()}
        return {c.key: (models[c.target], prompt_key(messages[c.request_hash]), c.sample)
                for c in store.completions()}


def test_sigkill_then_resume_sends_no_committed_request_twice(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 40)
    slow = {"latency": {"median_s": 0.03, "p95_s": 0.05}}
    with start_simulator([profile("base-sim", **slow), profile("cand-sim", **slow)],
                         [log]) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, baseline={"concurrency": 2},
                              candidate={"concurrency": 2})
        run_dir = tmp_path / "run"

        def served() -> dict[tuple[str, str, int], int]:
            return {(m, k, s): c for m, k, s, c in sim.stats(detail=True)["served"]}

        # At each kill: what is committed, and how often the simulator had served it.
        snapshots = []
        for at_least in (10, 40):  # kill twice, at different points
            kill_after(config, run_dir, at_least)
            snapshots.append((sim_keys(run_dir), served()))
        assert 10 <= len(snapshots[-1][0]) < 85
        summary = replay_run(load_config(config), ReplayOptions(quiet=True))
        assert summary.complete
        final_served = served()
    assert len(sim_keys(run_dir)) == 40 + 5 + 40  # baseline + noise samples + candidate
    for keys, served_then in snapshots:
        for key, sim_key in keys.items():
            # Requests in flight at a kill may be sent again; committed ones never.
            assert final_served[sim_key] == served_then[sim_key], (
                f"committed completion {key} was requested again after the kill")


def test_sigkill_between_batched_commits_resends_only_what_was_not_committed(
        tmp_path: Path) -> None:
    """Completions are committed in batches: a kill loses the staged ones (fewer than
    COMMIT_ROWS) besides those in flight. The resumed run asks for exactly those again:
    every job ends stored once, and no committed one is requested twice."""
    log = write_log(tmp_path / "log.jsonl", 300)
    fast = {"latency": {"median_s": 0.004, "p95_s": 0.006}}
    concurrency = 8
    with start_simulator([profile("base-sim", **fast), profile("cand-sim", **fast)],
                         [log]) as sim:
        config = write_config(tmp_path, sim.base_url, log=log,
                              baseline={"concurrency": concurrency},
                              candidate={"concurrency": concurrency})
        run_dir = tmp_path / "run"
        kill_after(config, run_dir, 150)
        at_kill, served_at_kill = sim_keys(run_dir), sim.stats(detail=True)["served"]
        assert 150 <= len(at_kill) < 605, "the kill came too late to test anything"
        assert replay_run(load_config(config), ReplayOptions(quiet=True)).complete
        served = {(m, k, s): c for m, k, s, c in sim.stats(detail=True)["served"]}
    before = {(m, k, s): c for m, k, s, c in served_at_kill}
    final = sim_keys(run_dir)
    assert len(final) == 300 + 5 + 300
    assert all(served[key] >= 1 for key in final.values())
    for key, sim_key in at_kill.items():
        assert served[sim_key] == before[sim_key], f"committed {key} was requested again"
    # Sent twice: only what was in flight or staged (not committed) at the kill.
    again = sum(served.values()) - len(final)
    assert again < 2 * concurrency + COMMIT_ROWS


def _completion(key: str) -> Completion:
    return Completion(key=key, target="t", request_hash="h", answer=f"answer {key}")


def test_staged_completions_are_committed_before_reads_at_close_and_in_batches(
        tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        store.stage_completion(_completion("a"))
        assert store.staged == 1 and committed(tmp_path) == 0
        assert [c.key for c in store.completions()] == ["a"]  # a read commits first
        assert store.staged == 0 and committed(tmp_path) == 1
        for i in range(COMMIT_ROWS):
            store.stage_completion(_completion(f"b{i}"))
        assert store.staged == 0 and committed(tmp_path) == 1 + COMMIT_ROWS
        store.stage_completion(_completion("c"))
        assert store.spent_usd() == 0.0 and committed(tmp_path) == 2 + COMMIT_ROWS
        store.stage_completion(_completion("d"))
    assert committed(tmp_path) == 3 + COMMIT_ROWS  # closing commits what is staged


def test_a_failed_batch_commit_drops_the_batch_and_says_so(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        store.put_completion(_completion("kept"))
        store.stage_completion(_completion("lost"))
        store.db.execute("PRAGMA query_only = ON")  # every write fails, like a full disk
        with pytest.raises(RuntimeFailure, match="cannot write to the run store"):
            store.flush()
        assert store.staged == 0  # not retried forever: the next run asks for it again
        store.db.execute("PRAGMA query_only = OFF")
        store.stage_completion(_completion("later"))
    with RunStore(tmp_path, lock=False) as store:
        assert {c.key for c in store.completions()} == {"kept", "later"}


def test_a_rerun_with_nothing_to_send_says_so(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "log.jsonl", 20)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        config = load_config(write_config(tmp_path, sim.base_url, log=log))
        replay_run(config, ReplayOptions())
        assert "resumed" not in capsys.readouterr().err
        started = time.monotonic()
        summary = replay_run(config, ReplayOptions())
        took = time.monotonic() - started
        sent = sum(c for *_, c in sim.stats(detail=True)["served"])
    err = capsys.readouterr().err
    assert summary.complete and sent == 20 + 5 + 20  # the rerun sent nothing
    assert "resumed: all 45 requests were already in the run store; nothing was sent" in err
    assert "baseline  base-sim" in err and "nothing to send: all 25 already in the run store" in err
    assert took < 5


def test_a_partial_rerun_counts_what_was_stored_and_what_it_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "log.jsonl", 20)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        config = load_config(write_config(tmp_path, sim.base_url, log=log))
        replay_run(config, ReplayOptions(only="baseline", quiet=True))
        replay_run(config, ReplayOptions())
    assert "resumed: 25 of 45 requests were already in the run store; 20 sent now" in (
        capsys.readouterr().err)


def test_a_resumed_run_keeps_its_sample_until_the_log_or_config_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample is drawn once: a rerun of the same config over the same log file does not
    read the log again (a lineup's chunked replay calls the replay many times); a changed
    log (size or time) or config draws it again."""
    from swapkit.replay import sample as engine

    log = write_log(tmp_path / "log.jsonl", 20)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        config = load_config(write_config(tmp_path, sim.base_url, log=log,
                                          noise={"enabled": False}))
        replay_run(config, ReplayOptions(quiet=True))
        drawn = []
        real = engine.sample_log
        monkeypatch.setattr(engine, "sample_log", lambda *a, **k: drawn.append(1) or real(
            *a, **k))
        replay_run(config, ReplayOptions(quiet=True))
        assert drawn == []  # the stored sample stands
        with log.open("a", encoding="utf-8") as handle:  # the log grows by a new prompt
            handle.write(log.read_text(encoding="utf-8").splitlines()[0].replace(
                '"q0"', '"q-new"').replace("Question 0:", "Question 999:") + "\n")
        replay_run(config, ReplayOptions(quiet=True))
        assert drawn == [1]
        with RunStore(config.run_dir, read_only=True) as store:  # type: ignore[arg-type]
            assert store.record_count() == 21
