"""The run on Ray (``executor: ray``), on a local Ray instance (2 CPUs, no dashboard): the
same stored completions, verdict and intervals as the local executor; global limits and
caps; keys never handed to Ray; kill -9 of the driver, then resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from hypothesis import given, settings
from hypothesis import strategies as st

from swapkit.config import load_config
from swapkit.decision.model import Decision
from swapkit.errors import ConfigError
from swapkit.pipeline import RunOptions, run_migration
from swapkit.replay.engine import ReplayOptions, replay_run
from swapkit.replay.shards import shard_of, split_limits
from swapkit.sim import start_simulator
from swapkit.store import RunStore

from .simhelp import profile, write_config, write_log
from .test_resume import committed, sim_keys

KEY_ENV = "SWAPKIT_RAY_TEST_KEY"
KEY = "sk-ray-test-5f0c2a9e7d1b4c3a8e6f"
SUITE = {"name": "ray", "metrics": ["rouge_l", "chrf", "refusal", "failure_rate",
                                    "output_tokens"],
         "gates": [{"metric": "failure_rate", "margin": 0.05},
                   {"metric": "rouge_l", "margin": 0.05},
                   {"metric": "refusal", "margin": 0.05}]}
CANDIDATE = {"quality": 0.85, "refusal_rate": 0.02,
             "faults": {"rate_limit": 0.05, "server_error": 0.02, "retry_after_s": 0.01}}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    """A local Ray instance for the module; its workers inherit this environment, the key
    included (that is how a cluster's workers get keys: their own environment)."""
    os.environ[KEY_ENV] = KEY
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()
        os.environ.pop(KEY_ENV, None)


def _answers(run_dir: Path) -> dict[str, tuple[Any, ...]]:
    """Every stored completion by key: what the model said (times aside)."""
    with RunStore(run_dir, read_only=True) as store:
        return {c.key: (c.status, c.answer, c.reasoning, c.finish_reason, c.http_status,
                        c.usage.model_dump() if c.usage else None, c.cost_usd,
                        [t.model_dump() for t in c.tool_calls])
                for c in store.completions()}


def _decided(decision: Decision) -> dict[str, Any]:
    """The decision without what measures this run's wall clock (latency, its headline)
    or says where it ran (the notes naming Ray)."""
    out = decision.model_dump(mode="json", exclude={"operations", "headline"})
    out["notes"] = [note for note in out["notes"] if "on Ray" not in note]
    return out


def test_a_run_on_ray_stores_and_decides_exactly_as_the_local_executor(
        tmp_path: Path, local_ray: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replayed by shards, scored by Ray tasks (ranges of 300 records): every stored
    answer, gate, interval and p-value is the local run's."""
    from swapkit.scoring import ray_metrics

    monkeypatch.setattr(ray_metrics, "SLICE", 300)
    log = write_log(tmp_path / "log.jsonl", 2000)
    with start_simulator([profile("base-sim"), profile("cand-sim", **CANDIDATE)], [log],
                         api_key=KEY) as sim:
        results = {}
        for executor in ("local", "ray"):
            folder = tmp_path / executor
            folder.mkdir()
            key = {"api_key_env": KEY_ENV, "concurrency": 6}
            config = load_config(write_config(folder, sim.base_url, log=log, baseline=key,
                                              candidate=key, suite=SUITE,
                                              executor={"kind": executor}))
            result = run_migration(config, RunOptions(quiet=True, formats=["json"]))
            assert result.replay is not None and result.replay.complete
            assert result.replay.extra.get("executor", {}).get("kind", "local") == executor
            results[executor] = (_answers(folder / "run"), _decided(result.decision),
                                 result.decision.verdict)
            with RunStore(folder / "run", read_only=True) as store:
                scored_on_ray = any(note.startswith("scored on Ray: rouge_l, chrf")
                                    for note in store.get_meta("score_notes"))
            assert scored_on_ray == (executor == "ray")
    (local_answers, local_decision, verdict), (ray_answers, ray_decision, ray_verdict) = (
        results["local"], results["ray"])
    assert len(local_answers) == 2000 + 5 + 2000
    assert ray_answers == local_answers  # bit for bit, order aside
    assert ray_verdict == verdict
    assert ray_decision == local_decision  # the same gates, intervals and p-values


def test_global_concurrency_holds_across_shards_at_the_simulator(
        tmp_path: Path, local_ray: Any) -> None:
    log = write_log(tmp_path / "log.jsonl", 120)
    slow = {"latency": {"median_s": 0.03, "p95_s": 0.05}}
    with start_simulator([profile("base-sim", **slow), profile("cand-sim", **slow)],
                         [log]) as sim:
        config = load_config(write_config(
            tmp_path, sim.base_url, log=log, baseline={"concurrency": 5},
            candidate={"concurrency": 3},
            executor={"kind": "ray", "replay": {"shards": 4, "num_cpus": 0.25}}))
        summary = replay_run(config, ReplayOptions(quiet=True))
        stats = sim.stats()["models"]
    assert summary.complete
    assert stats["base-sim"]["max_in_flight"] <= 5
    assert stats["cand-sim"]["max_in_flight"] <= 3
    assert stats["base-sim"]["max_in_flight"] >= 4  # the shards did run side by side


def test_the_request_cap_holds_for_the_whole_run_not_per_shard(
        tmp_path: Path, local_ray: Any) -> None:
    log = write_log(tmp_path / "log.jsonl", 200)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        config = load_config(write_config(tmp_path, sim.base_url, log=log,
                                          executor={"kind": "ray", "replay": {"shards": 2}}))
        summary = replay_run(config, ReplayOptions(quiet=True, max_requests=57))
        sent = sum(m["requests"] for m in sim.stats()["models"].values())
    assert sent == 57
    assert summary.stopped is not None and "request cap" in summary.stopped
    assert sum(t.done for t in summary.targets) == 57


def test_the_spend_cap_is_exceeded_by_at_most_the_requests_in_flight(
        tmp_path: Path, local_ray: Any) -> None:
    log = write_log(tmp_path / "log.jsonl", 300)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        path = write_config(tmp_path, sim.base_url, log=log,
                            executor={"kind": "ray", "replay": {"shards": 2}})
        config = load_config(path)
        summary = replay_run(config, ReplayOptions(quiet=True, max_spend_usd=0.005))
    with RunStore(tmp_path / "run", read_only=True) as store:
        costs = [c.cost_usd or 0.0 for c in store.completions()]
    in_flight = 4 + 4  # both targets' concurrency
    assert summary.stopped is not None and "spend cap" in summary.stopped
    assert sum(costs) <= 0.005 + in_flight * max(costs)
    assert len(costs) < 100


def test_no_key_is_in_any_object_the_driver_hands_ray(
        tmp_path: Path, local_ray: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray shows task arguments, actor arguments, runtime_env and job metadata in its
    dashboard and logs: the key must be in none. Every object the driver serialises for
    Ray (arguments, puts, exported functions and classes) is checked byte by byte."""
    from ray._private import function_manager
    from ray._private.serialization import SerializationContext

    seen: list[bytes] = []
    real_serialize = SerializationContext.serialize
    real_dumps = function_manager.pickle_dumps

    def serialize(self: Any, value: Any) -> Any:
        try:
            seen.append(ray.cloudpickle.dumps(value))
        except Exception:  # an object only Ray's own context can serialise
            seen.append(repr(value).encode())
        return real_serialize(self, value)

    def dumps(value: Any, *args: Any, **kwargs: Any) -> Any:
        out = real_dumps(value, *args, **kwargs)
        seen.append(bytes(out))
        return out

    monkeypatch.setattr(SerializationContext, "serialize", serialize)
    monkeypatch.setattr(function_manager, "pickle_dumps", dumps)
    log = write_log(tmp_path / "log.jsonl", 30)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log],
                         api_key=KEY) as sim:
        key = {"api_key_env": KEY_ENV}
        config = load_config(write_config(tmp_path, sim.base_url, log=log, baseline=key,
                                          candidate=key, executor="ray"))
        result = run_migration(config, RunOptions(quiet=True, formats=["json"],
                                                  max_requests=1000))
    # the workers had the key: from their own environment; then the default suite was
    # scored on Ray too (embeddings on Ray Data, the per-record metrics as tasks)
    assert result.replay is not None and result.replay.complete
    with RunStore(tmp_path / "run", read_only=True) as store:
        assert sum("on Ray" in note for note in store.get_meta("score_notes")) == 2
    assert len(seen) >= 4  # the shard class, the caps actor, jobs and limits were seen
    assert not [blob for blob in seen if KEY.encode() in blob]
    context = ray.get_runtime_context()
    assert KEY not in repr(context.runtime_env)
    assert KEY not in repr(context.get())


def test_a_worker_without_the_key_fails_the_run_naming_the_variable(
        tmp_path: Path, local_ray: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver has the key (preflight passes); the workers do not: the error names the
    variable and says to set it in the workers' environment."""
    monkeypatch.setenv("SWAPKIT_RAY_DRIVER_ONLY_KEY", KEY)
    log = write_log(tmp_path / "log.jsonl", 10)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        key = {"api_key_env": "SWAPKIT_RAY_DRIVER_ONLY_KEY"}
        config = load_config(write_config(tmp_path, sim.base_url, log=log, baseline=key,
                                          executor="ray"))
        with pytest.raises(ConfigError) as caught:
            replay_run(config, ReplayOptions(quiet=True))
    assert "SWAPKIT_RAY_DRIVER_ONLY_KEY" in str(caught.value)
    assert "Ray worker" in str(caught.value)


def test_kill_9_of_the_driver_then_resume_repeats_no_committed_request(
        tmp_path: Path, local_ray: Any) -> None:
    log = write_log(tmp_path / "log.jsonl", 300)
    slow = {"latency": {"median_s": 0.01, "p95_s": 0.02}}
    with start_simulator([profile("base-sim", **slow), profile("cand-sim", **slow)],
                         [log]) as sim:
        path = write_config(tmp_path, sim.base_url, log=log,
                            executor={"kind": "ray", "address": "local", "num_cpus": 2})
        run_dir = tmp_path / "run"
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        process = subprocess.Popen([sys.executable, "-m", "swapkit", "replay", str(path), "-q"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=env)
        deadline = time.monotonic() + 120
        try:
            while committed(run_dir) < 150 and time.monotonic() < deadline:
                assert process.poll() is None, "the Ray replay ended before the kill"
                time.sleep(0.05)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        at_kill = sim_keys(run_dir)
        assert 150 <= len(at_kill) < 605, "the kill came too late to test anything"
        time.sleep(1.0)  # the killed driver's shards die with it: nothing more arrives
        quiet = sum(m["requests"] for m in sim.stats()["models"].values())
        time.sleep(1.0)
        assert sum(m["requests"] for m in sim.stats()["models"].values()) == quiet
        served_at_kill = {(m, k, s): c for m, k, s, c in sim.stats(detail=True)["served"]}
        summary = replay_run(load_config(path), ReplayOptions(quiet=True))
        served = {(m, k, s): c for m, k, s, c in sim.stats(detail=True)["served"]}
    assert summary.complete
    assert len(sim_keys(run_dir)) == 300 + 5 + 300
    for key, sim_key in at_kill.items():
        assert served[sim_key] == served_at_kill[sim_key], f"committed {key} was sent again"


def test_shards_split_limits_that_add_up_to_the_targets_own() -> None:
    from swapkit.config import TargetConfig

    target = TargetConfig(base_url="http://127.0.0.1:1/v1", model="m", concurrency=7, rpm=600,
                          tpm=90_000)
    shares = split_limits(target, 3)
    assert [s.concurrency for s in shares] == [3, 2, 2]
    assert sum(s.rpm or 0 for s in shares) == pytest.approx(600)
    assert sum(s.tpm or 0 for s in shares) == pytest.approx(90_000)
    counts = [0, 0, 0, 0]
    for i in range(4000):
        counts[shard_of(f"{i:064x}", 4)] += 1
    assert min(counts) > 900  # even shards by hash


def test_executor_config_refuses_env_vars_in_runtime_env(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 3)
    path = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log, executor={
        "kind": "ray", "runtime_env": {"env_vars": {"OPENAI_API_KEY": "x"}}})
    with pytest.raises(ConfigError, match="env_vars"):
        load_config(path)


def test_embeddings_on_ray_are_those_of_a_local_run_and_cached_for_it(
        tmp_path: Path, local_ray: Any) -> None:
    """Ray Data encodes the answers (two actors); the vectors land in the run store's
    cache, and scoring the run again here computes none and gets the same scores."""
    from swapkit.scoring.score import load_scores, score_run

    log = write_log(tmp_path / "log.jsonl", 80)
    suite = {"name": "similar", "metrics": ["similarity", "similarity_to_reference"],
             "gates": [{"metric": "similarity", "margin": 0.05}]}
    with start_simulator([profile("base-sim"), profile("cand-sim", quality=0.8)],
                         [log]) as sim:
        config = load_config(write_config(
            tmp_path, sim.base_url, log=log, suite=suite,
            executor={"kind": "ray", "embeddings": {"actors": 2, "batch_size": 32}}))
        on_ray = score_run  # the pipeline scores through the executor
        run_migration(config, RunOptions(quiet=True, formats=["json"]))
    with RunStore(tmp_path / "run", read_only=True) as store:
        scored_on_ray = {k: v.to_json() for k, v in load_scores(store).items()}
        notes = store.get_meta("score_notes")
    assert any("on Ray" in note for note in notes)
    again = on_ray(tmp_path / "run", force=True)  # here, no executor
    assert again.embeddings_computed == 0 and again.embeddings_reused > 0
    assert {k: v.to_json() for k, v in again.metrics.items()} == scored_on_ray


def test_replay_and_run_take_ray_from_the_command_line(tmp_path: Path, local_ray: Any) -> None:
    """``--ray`` turns a local config's run into a Ray run (the summary says where it ran);
    ``--ray ADDRESS`` sets the address."""
    import json

    from swapkit.cli.options import with_execution

    from .conftest import assert_cli_ok, run_cli

    log = write_log(tmp_path / "log.jsonl", 40)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        path = write_config(tmp_path, sim.base_url, log=log)
        result = run_cli(["replay", path, "--ray", "--json", "-q"])
        assert_cli_ok(result)
        summary = json.loads(result.output)
        assert summary["complete"] and summary["executor"]["kind"] == "ray"
        assert run_cli(["run", path, "--ray", "-q", "--inconclusive", "pass"]).exit_code in (0, 1)
    config = load_config(path)
    assert with_execution(config, None, "ray://head:10001").executor.address == (
        "ray://head:10001")
    assert with_execution(config, None, None).executor.kind == "local"


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=12),
       st.integers(min_value=1, max_value=9), st.integers(min_value=0, max_value=3))
@settings(max_examples=80, deadline=None)
def test_a_shards_job_feed_hands_out_every_job_once_to_concurrent_workers(
        chunk_sizes: list[int], workers: int, pause: int) -> None:
    """Chunks arrive while several workers wait (the driver waits while the queue is
    full): every job sent is taken exactly once, and every worker ends."""
    import asyncio

    from swapkit.replay.shards import JobFeed

    async def main() -> list[Any]:
        feed = JobFeed()
        taken: list[Any] = []

        async def worker() -> None:
            async for job in feed:
                taken.append(job)
                await asyncio.sleep(0)

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        counter = 0
        for size in chunk_sizes:
            await feed.put([(None, "h", str(counter + i), 0) for i in range(size)])
            counter += size
            for _ in range(pause):  # the workers run between chunks, or not
                await asyncio.sleep(0)
        await feed.put(None)
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        return taken

    taken = asyncio.run(main())
    assert sorted(int(job[2]) for job in taken) == list(range(sum(chunk_sizes)))


def test_the_judge_stage_runs_on_ray_with_the_same_verdicts(
        tmp_path: Path, local_ray: Any) -> None:
    """The judge is a third target: its requests are sharded like the sides', and its
    stored verdicts and the judge gate are those of a local run."""
    from swapkit.decision.decide import decide_run

    from .test_judge import judge_config, serve

    log = write_log(tmp_path / "log.jsonl", 60)
    decided = {}
    with serve(log) as sim:
        for executor in ("local", "ray"):
            folder = tmp_path / executor
            folder.mkdir()
            config = load_config(judge_config(folder, sim, log, executor={"kind": executor}))
            summary = replay_run(config, ReplayOptions(quiet=True))
            assert summary.complete
            assert any(t.side == "judge" and t.done > 60 for t in summary.targets)
            run_migration(config, RunOptions(quiet=True, formats=["json"]))
            decided[executor] = (_answers(folder / "run"),
                                 _decided(decide_run(folder / "run")))
    assert decided["ray"] == decided["local"]


def test_a_lineup_runs_on_ray_sharing_the_baseline_and_stopping_early(
        tmp_path: Path, local_ray: Any) -> None:
    """Each candidate of a lineup is a run on Ray: the baseline is sent once, the broken
    candidate's chunked replay stops early, and the recommendation is the local one's."""
    import json

    from .conftest import run_cli
    from .test_lineup import SUITE as LINEUP_SUITE
    from .test_lineup import THREE_PROFILES, three_candidates

    log = write_log(tmp_path / "log.jsonl", 120)
    with start_simulator(THREE_PROFILES, [log]) as sim:
        path = write_config(tmp_path, sim.base_url, log=log, suite=LINEUP_SUITE,
                            noise={"enabled": False}, executor="ray",
                            candidates=three_candidates(sim.base_url))
        result = run_cli(["run", str(path), "--json", "-q"])
        stats = sim.stats()["models"]
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert stats["base-sim"]["requests"] == 120
    assert stats["broken-sim"]["requests"] == 100  # stopped after the first looks
    assert out["recommended"] == "small"


@pytest.mark.parametrize("shards", [1, 3, 8])
def test_tpm_shares_bound_the_global_token_rate_even_below_one_request(
        shards: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard's bucket (tpm / shards) may hold less than one request's estimate: the
    whole estimate is still charged, so the shards together admit at most the target's
    tpm, besides the buckets' first fill (one tpm in all) and one request each."""
    import asyncio

    from swapkit.config import TargetConfig
    from swapkit.replay import limits

    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(limits.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(limits.asyncio, "sleep", sleep)
    target = TargetConfig(base_url="http://127.0.0.1:1/v1", model="m", concurrency=8,
                          tpm=6000)
    estimate, minutes = 2000, 10

    async def admitted(limiter: limits.RateLimiter) -> int:
        now[0], count = 0.0, 0
        limiter._refilled = 0.0
        while True:
            await limiter.acquire(estimate)
            if now[0] > minutes * 60:
                return count
            count += 1

    total = sum(asyncio.run(admitted(limits.RateLimiter(s.rpm, s.tpm)))
                for s in split_limits(target, shards))
    assert total * estimate <= 6000 * minutes + 6000 + shards * estimate


def test_shards_the_cluster_cannot_place_fail_the_run_instead_of_waiting_forever(
        tmp_path: Path, local_ray: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from swapkit.errors import RuntimeFailure
    from swapkit.replay import shards

    monkeypatch.setattr(shards, "SHARD_START_S", 3.0)
    log = write_log(tmp_path / "log.jsonl", 40)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        config = load_config(write_config(  # 4 shards of 1 CPU on a cluster of 2 CPUs
            tmp_path, sim.base_url, log=log,
            executor={"kind": "ray", "replay": {"shards": 4, "num_cpus": 1}}))
        with pytest.raises(RuntimeFailure, match=r"executor\.replay\.shards"):
            replay_run(config, ReplayOptions(quiet=True))
    _assert_cluster_free(local_ray)


def _assert_cluster_free(local_ray: Any) -> None:
    """Every CPU of the test cluster is free again: the run ended its actors."""
    deadline = time.monotonic() + 20
    while local_ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert local_ray.available_resources().get("CPU", 0) == 2


@pytest.mark.parametrize("fail_fast", [True, False])
def test_failures_in_a_row_stop_every_shard_almost_as_soon_as_locally(
        tmp_path: Path, local_ray: Any, fail_fast: bool) -> None:
    """A candidate failing every request: fail_fast (or max_consecutive_failures) aborts
    the Ray run within a few requests of the local one, and frees the cluster."""
    from swapkit.errors import RuntimeFailure

    log = write_log(tmp_path / "log.jsonl", 600)
    sent = {}
    with start_simulator([profile("base-sim"), profile("cand-sim", faults={
            "server_error": 1.0})], [log]) as sim:
        for executor in ("local", "ray"):
            folder = tmp_path / executor
            folder.mkdir()
            config = load_config(write_config(
                folder, sim.base_url, log=log, candidate={"max_retries": 0},
                replay={"fail_fast": fail_fast, "max_consecutive_failures": 20},
                executor={"kind": executor, "replay": {"shards": 2}}))
            before = sim.stats()["models"].get("cand-sim", {}).get("requests", 0)
            with pytest.raises(RuntimeFailure, match="replay aborted"):
                replay_run(config, ReplayOptions(quiet=True))
            sent[executor] = sim.stats()["models"]["cand-sim"]["requests"] - before
    assert sent["local"] <= (1 if fail_fast else 20) + 4  # the limit, and those in flight
    assert sent["ray"] <= sent["local"] + 24, sent
    _assert_cluster_free(local_ray)


def test_a_request_cap_reached_on_ray_starts_no_judge_stage(
        tmp_path: Path, local_ray: Any) -> None:
    from .test_judge import judge_config, serve

    log = write_log(tmp_path / "log.jsonl", 60)
    with serve(log) as sim:
        config = load_config(judge_config(tmp_path, sim, log, executor="ray"))
        summary = replay_run(config, ReplayOptions(quiet=True, max_requests=50))
    assert summary.stopped is not None and "request cap" in summary.stopped
    assert [t.side for t in summary.targets] == ["baseline", "candidate"]  # as locally


def test_embeddings_on_a_cluster_without_gpus_refuse_device_cuda(local_ray: Any) -> None:
    from swapkit.config import EmbeddingsConfig, ExecutorConfig
    from swapkit.scoring.embeddings.ray_encoder import cluster_settings

    executor = ExecutorConfig(kind="ray")
    settings, gpus = cluster_settings(EmbeddingsConfig(), executor, local_ray)
    assert gpus == 0 and settings.device == "cpu" and settings.backend != "auto"
    with pytest.raises(ConfigError, match="no GPU"):
        cluster_settings(EmbeddingsConfig(device="cuda"), executor, local_ray)
    with pytest.raises(ConfigError, match="does not run on a GPU"):
        cluster_settings(EmbeddingsConfig(backend="openvino"),
                         ExecutorConfig(kind="ray", embeddings={"num_gpus": 1}), local_ray)


def test_per_record_metrics_scored_in_ranges_equal_the_whole_run(tmp_path: Path) -> None:
    """What lets a metric be scored on Ray a range at a time: its arrays over ranges of 7
    records, put together, are the whole run's, for every metric of PER_RECORD (or the
    merge declines and the driver scores it whole)."""
    from swapkit.scoring.metrics import RunData
    from swapkit.scoring.ray_metrics import PER_RECORD, merge_scores, score_range
    from swapkit.scoring.score import load_run_data

    log = write_log(tmp_path / "log.jsonl", 90, json_mode_every=3)
    candidate = {"refusal_rate": 0.1, "truncation_rate": 0.1, "json_break_rate": 0.3,
                 "language_switch_rate": 0.1, "faults": {"server_error": 0.1}}
    with start_simulator([profile("base-sim"), profile("cand-sim", **candidate)],
                         [log]) as sim:
        config = load_config(write_config(tmp_path, sim.base_url, log=log,
                                          candidate={"max_retries": 0}))
        replay_run(config, ReplayOptions(quiet=True))
    specs = [(name, {}) for name in sorted(PER_RECORD)]
    specs = [(n, o) if n not in ("contains", "regex") else (n, {"pattern": "Tram"}
             if n == "regex" else {"text": "tram"}) for n, o in specs]
    with RunStore(tmp_path / "run", read_only=True) as store:
        stored = load_run_data(store)
        data = RunData(list(stored.records), list(stored.base), list(stored.cand),
                       list(stored.noise))
    whole = score_range(data, specs)
    declined = []
    for name, _ in specs:
        parts = [score_range(RunData(data.records[a:a + 7], data.base[a:a + 7],
                                     data.cand[a:a + 7], data.noise[a:a + 7]),
                             [s for s in specs if s[0] == name])[name]
                 for a in range(0, len(data), 7)]
        merged = merge_scores(parts)
        if merged is None:
            declined.append(name)
            continue
        assert merged.to_json() == whole[name].to_json(), name
    assert len(declined) <= 3, declined  # the rest really run on Ray


def test_metrics_are_scored_here_when_the_cluster_runs_no_task(
        local_ray: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CPU held by someone else: after STALL_S without a scored range the driver
    scores the metrics itself (nothing waits forever), and the stalled tasks are cancelled."""
    from swapkit.records import Record
    from swapkit.scoring import ray_metrics
    from swapkit.scoring.metrics import RunData

    @local_ray.remote(num_cpus=2)
    class Hog:
        def ready(self) -> bool:
            return True

    hog = Hog.remote()  # type: ignore[attr-defined]
    local_ray.get(hog.ready.remote())
    monkeypatch.setattr(ray_metrics, "STALL_S", 2.0)
    records = [Record.model_validate({"id": "q", "request": {"messages": [
        {"role": "user", "content": "q"}]}})]
    try:
        start = time.monotonic()
        assert ray_metrics.score_on_ray(
            local_ray, RunData(records, [None], [None], [None]), [("exact_match", {})]) == {}
        assert time.monotonic() - start < 30
    finally:
        local_ray.kill(hog)
    _assert_cluster_free(local_ray)
