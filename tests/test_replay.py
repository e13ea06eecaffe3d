"""Replay over real HTTP against the simulator, with the real openai client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swapkit.config import load_config
from swapkit.errors import RuntimeFailure
from swapkit.replay.call import build_body
from swapkit.replay.engine import ReplayOptions, replay_run
from swapkit.sim import start_simulator
from swapkit.sim.runner import RunningSimulator
from swapkit.store import DB_NAME, RunStore

from .simhelp import profile, write_config, write_log


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return write_log(tmp_path / "log.jsonl", 12)


def run(config: Path, **options: object) -> object:
    return replay_run(load_config(config), ReplayOptions(quiet=True, **options))  # type: ignore[arg-type]


def stored(tmp_path: Path) -> list:
    with RunStore(tmp_path / "run", lock=False) as store:
        return list(store.completions())


def serve(*profiles: object, logs: tuple[Path, ...] = ()) -> RunningSimulator:
    return start_simulator(list(profiles), logs)  # type: ignore[arg-type]


def test_replay_stores_everything_and_a_rerun_does_nothing(tmp_path: Path, log: Path) -> None:
    with serve(profile("base-sim", reasoning="field"), profile("cand-sim"), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log)
        summary = run(config)
        assert summary.complete
        by_side = {t.side: t for t in summary.targets}
        assert by_side["baseline"].done == 12 + 5  # 5 extra noise samples
        assert by_side["candidate"].done == 12
        completions = stored(tmp_path)
        assert len(completions) == 29
        assert all(c.status == "ok" and c.latency_s is not None and c.usage is not None
                   and c.cost_usd is not None for c in completions)
        assert {c.sample for c in completions} == {0, 1}
        base = [c for c in completions if c.reasoning]
        assert len(base) == 17  # only the baseline reasons; answers come without it
        before = sim.stats()["models"]
        again = run(config)
        assert again.complete
        assert all(t.done == 0 and t.skipped == t.planned for t in again.targets)
        assert sim.stats()["models"] == before  # not one more request


def test_streaming_measures_ttft_and_time_to_answer(tmp_path: Path, log: Path) -> None:
    slow = {"median_s": 0.2, "p95_s": 0.25, "ttft_s": 0.05}
    with serve(profile("base-sim", reasoning="think", latency=slow),
               profile("cand-sim", latency=slow), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, baseline={"stream": True},
                              candidate={"stream": True})
        assert run(config).complete
    for c in stored(tmp_path):
        assert c.ttft_s is not None and c.ttfa_s is not None
        assert c.ttft_s <= c.ttfa_s <= c.latency_s
        assert c.usage is not None and c.usage.completion_tokens
        assert "<think>" not in c.answer
    thinking = [c for c in stored(tmp_path) if c.reasoning]
    assert thinking and all(c.ttfa_s > c.ttft_s for c in thinking)


def test_retries_honour_429_and_500_and_are_counted(tmp_path: Path, log: Path) -> None:
    faults = {"rate_limit": 0.3, "retry_after_s": 0.01, "server_error": 0.2}
    with serve(profile("base-sim", faults=faults), profile("cand-sim"), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, baseline={"max_retries": 10})
        summary = run(config)
        stats = sim.stats()["models"]["base-sim"]
    base = next(t for t in summary.targets if t.side == "baseline")
    assert base.status == {"ok": 17}
    assert stats["requests"] == base.attempts == 17 + base.retries
    assert base.retries == stats["status"].get("429", 0) + stats["status"].get("500", 0) > 0


def test_exhausted_rate_limit_is_its_own_status(tmp_path: Path, log: Path) -> None:
    with serve(profile("base-sim"), profile("cand-sim", faults={"rate_limit": 1.0,
                                                                "retry_after_s": 0.0}),
               logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, candidate={"max_retries": 2})
        options = {"fail_fast": False}
        config_obj = load_config(config)
        config_obj.replay.max_consecutive_failures = 100
        summary = replay_run(config_obj, ReplayOptions(quiet=True, **options))
        cand = next(t for t in summary.targets if t.side == "candidate")
        assert cand.status == {"rate_limited": 12}
        assert sim.stats()["models"]["cand-sim"]["requests"] == 12 * 3
    failed = [c for c in stored(tmp_path) if c.status == "rate_limited"]
    assert all(c.http_status == 429 and c.attempts == 3 for c in failed)


@pytest.mark.parametrize(("faults", "stream", "status", "message"), [
    ({"timeout": 1.0, "hang_s": 3}, False, "timeout", "no answer within"),
    ({"truncated_stream": 1.0}, True, "error", "truncated stream"),
    ({"malformed_json": 1.0}, False, "error", "malformed response"),
    # Reset before any response: nothing is known to have reached the model.
    ({"reset": 1.0}, False, "unreached", "connection error"),
    ({"empty_choices": 1.0}, False, "empty", "no choices"),
])
def test_faults_become_definite_statuses(tmp_path: Path, faults: dict, stream: bool,
                                         status: str, message: str) -> None:
    log = write_log(tmp_path / "log.jsonl", 3)
    with serve(profile("base-sim"), profile("cand-sim", faults=faults), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, candidate={
            "stream": stream, "timeout_s": 0.3, "max_retries": 1, "concurrency": 3})
        config_obj = load_config(config)
        config_obj.replay.max_consecutive_failures = 100
        summary = replay_run(config_obj, ReplayOptions(quiet=True))
    cand = next(t for t in summary.targets if t.side == "candidate")
    assert cand.status == {status: 3}
    rows = [c for c in stored(tmp_path) if c.status == status]
    assert rows and all(message in (c.error or "") for c in rows)


def test_responses_without_usage_still_store(tmp_path: Path, log: Path) -> None:
    with serve(profile("base-sim", faults={"no_usage": 1.0}), profile("cand-sim"),
               logs=(log,)) as sim:
        assert run(write_config(tmp_path, sim.base_url, log=log)).complete
    base = [c for c in stored(tmp_path) if c.usage is None]
    assert len(base) == 17 and all(c.status == "ok" and c.cost_usd is None for c in base)


@pytest.mark.parametrize(("style", "truncation", "check"), [
    ("think_no_open", 0.0, lambda c: c.reasoning and "</think>" not in c.answer),
    ("think_empty", 0.0, lambda c: c.reasoning == "" and c.answer),
    ("field", 1.0, lambda c: c.status == "truncated"),
    ("think", 1.0, lambda c: c.status == "truncated"),
])
def test_reasoning_split_edge_cases(tmp_path: Path, log: Path, style: str, truncation: float,
                                    check: object) -> None:
    with serve(profile("base-sim"), profile("cand-sim", reasoning=style,
                                            truncation_rate=truncation), logs=(log,)) as sim:
        assert run(write_config(tmp_path, sim.base_url, log=log), only="candidate").complete
    rows = stored(tmp_path)
    assert len(rows) == 12 and all(check(c) for c in rows)  # type: ignore[operator]
    if truncation:
        assert any(c.truncated_in_reasoning and c.answer == "" for c in rows)


def test_spend_cap_and_request_cap_stop_cleanly(tmp_path: Path, log: Path) -> None:
    with serve(profile("base-sim"), profile("cand-sim"), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log,
                              baseline={"concurrency": 1}, candidate={"concurrency": 1})
        summary = run(config, max_spend_usd=0.0003)
        assert not summary.complete and "spend cap" in summary.stopped
        first = len(stored(tmp_path))
        assert 0 < first < 29
        capped = run(config, max_requests=3)
        assert "request cap" in capped.stopped
        assert len(stored(tmp_path)) == first + 3
        assert run(config).complete
        assert len(stored(tmp_path)) == 29


def test_concurrency_limit_is_respected(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 30)
    slow = {"latency": {"median_s": 0.05, "p95_s": 0.06}}
    with serve(profile("base-sim", **slow), profile("cand-sim", **slow), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, baseline={"concurrency": 3},
                              candidate={"concurrency": 5})
        assert run(config).complete
        models = sim.stats()["models"]
    assert models["base-sim"]["max_in_flight"] == 3
    assert models["cand-sim"]["max_in_flight"] == 5


def test_recorded_targets(tmp_path: Path, log: Path) -> None:
    shadow = tmp_path / "shadow.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()][:10]
    for row in rows:
        row["response"]["choices"][0]["message"]["content"] = "shadow " + row["id"]
    shadow.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log,
                          baseline={"recorded": True}, candidate={"recorded": str(shadow)})
    summary = run(config)
    sides = {t.side: t for t in summary.targets}
    assert sides["baseline"].status == {"ok": 12}
    assert sides["candidate"].status == {"ok": 10, "error": 2}
    answers = {c.answer for c in stored(tmp_path)}
    assert "shadow q3" in answers and "Tram 3, then walk; tickets online." in answers


def test_recorded_cost_and_ttft_feed_the_run_but_not_the_spend_cap(tmp_path: Path,
                                                                    log: Path) -> None:
    """A log's measured cost and time to first token reach the stored baseline (the cost
    and latency gates compare them); a price on the recorded target reprices its usage; the
    spend cap counts only the calls made now."""
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    for row in rows:
        row["response"].update({"cost_usd": 5.0, "ttft_s": 0.25})
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with serve(profile("cand-sim"), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log,
                              baseline={"recorded": True, "price": None})
        assert run(config, max_spend_usd=0.05).complete  # the log's $60 is not this run's
        by_side = {c.target: c for c in stored(tmp_path)}
        with RunStore(tmp_path / "run", lock=False) as store:
            assert store.spent_usd() < 0.05
        recorded = [c for c in stored(tmp_path) if c.attempts == 0]
        assert len(recorded) == 12 and len(by_side) == 2
        assert all(c.cost_usd == 5.0 and c.ttft_s == 0.25 for c in recorded)
        (tmp_path / "priced").mkdir()
        priced = write_config(tmp_path / "priced", sim.base_url, log=log,
                              baseline={"recorded": True, "price": {"input": 1.0, "output": 2.0}})
        assert run(priced).complete
    with RunStore(tmp_path / "priced" / "run", lock=False) as store:
        repriced = [c for c in store.completions() if c.attempts == 0]
    assert len(repriced) == 12
    assert [c.cost_usd for c in repriced] == pytest.approx([(30 * 1.0 + 20 * 2.0) / 1e6] * 12)


def test_endpoint_down_fails_fast_with_exit_3_and_keeps_the_store(tmp_path: Path,
                                                                  log: Path) -> None:
    with serve(profile("base-sim"), logs=(log,)) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, candidate={
            "base_url": "http://127.0.0.1:9/v1", "max_retries": 0},
            replay={"max_consecutive_failures": 3})
        with pytest.raises(RuntimeFailure, match="preflight failed, nothing was sent") as info:
            run(config)  # the preflight finds it before anything is sent
        assert info.value.exit_code == 3 and "candidate  cand-sim" in info.value.message
        assert "unreachable" in info.value.message
        with pytest.raises(RuntimeFailure, match="candidate .* failed 3 time") as info:
            run(config, preflight=False)
        assert info.value.exit_code == 3
    assert (tmp_path / "run" / DB_NAME).exists()
    assert any(c.status == "unreached" for c in stored(tmp_path))


def test_second_process_on_the_same_run_dir_is_refused(tmp_path: Path) -> None:
    with RunStore(tmp_path / "run"), pytest.raises(RuntimeFailure,
                                                    match="another swapkit process"):
        RunStore(tmp_path / "run")


def test_api_key_is_sent_but_never_stored(tmp_path: Path, log: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-planted-secret-0123456789"
    monkeypatch.setenv("SIM_KEY", secret)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log],
                         api_key=secret) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, baseline={"api_key_env": "SIM_KEY"},
                              candidate={"api_key_env": "SIM_KEY"})
        assert run(config).complete
    for path in (tmp_path / "run").iterdir():
        assert secret.encode() not in path.read_bytes(), path


def test_build_body_keeps_the_request_and_applies_overrides() -> None:
    from swapkit.config import TargetConfig

    target = TargetConfig(model="m", base_url="http://x", params={
        "temperature": 0.1, "extra_body": {"chat_template_kwargs": {"enable_thinking": False}}})
    body = build_body({"model": "prod", "stream": True, "messages": [], "temperature": 0.7,
                       "tools": [{"type": "function"}], "x_vendor": 1}, target)
    assert body == {"temperature": 0.1, "tools": [{"type": "function"}], "x_vendor": 1,
                    "chat_template_kwargs": {"enable_thinking": False}}

