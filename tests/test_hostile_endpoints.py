"""Hostile endpoints and inputs: no crash, no hang, no leak, no silent damage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from swapkit.config import load_config
from swapkit.errors import ConfigError
from swapkit.report import _write_atomic
from swapkit.sim import start_simulator
from swapkit.store import RunStore

from .conftest import run_cli
from .hostile import ANSI, start_hostile
from .simhelp import profile, write_config, write_log

KEY = "sk-hostile-0123456789abcdefghij"


def _config(tmp_path: Path, base_url: str, model: str, n: int = 6, **target: Any) -> Path:
    log = write_log(tmp_path / "log.jsonl", n)
    return write_config(
        tmp_path, base_url, log=log, noise={"enabled": False},
        baseline={"model": "fine"}, candidate={"model": model, "max_retries": 0, **target},
        suite={"metrics": ["exact_match"], "gates": [{"metric": "failure_rate",
                                                       "margin": 0.5}]})


def _stored(tmp_path: Path) -> list[Any]:
    with RunStore(tmp_path / "run", lock=False) as store:
        return list(store.completions())


@pytest.mark.parametrize(("model", "stream"), [("huge-line", True), ("huge-body", False)])
def test_an_oversized_response_is_a_cut_error_and_the_run_goes_on(
        tmp_path: Path, model: str, stream: bool) -> None:
    running, _ = start_hostile()
    with running:
        config = _config(tmp_path, running.base_url, model, stream=stream,
                         max_response_bytes=65536)
        result = run_cli(["replay", str(config), "-q"])
    assert result.exit_code == 0, result.output
    cand = [c for c in _stored(tmp_path) if c.status == "error"]
    assert len(cand) == 6
    assert all("max_response_bytes" in (c.error or "") and len(c.answer) <= 65536
               for c in cand)
    assert (tmp_path / "run" / "swapkit.sqlite").stat().st_size < 5_000_000


@pytest.mark.parametrize(("model", "wrong"), [("wrong-types", "finish_reason, model, request_id"),
                                             ("wrong-usage", "completion_tokens")])
def test_ill_typed_response_fields_are_a_stored_error_not_a_crash(tmp_path: Path, model: str,
                                                                   wrong: str) -> None:
    """Valid JSON whose fields have the wrong types (model 123, usage "many") was validated
    outside the replay's error handling and killed the worker."""
    running, _ = start_hostile()
    with running:
        config = _config(tmp_path, running.base_url, model, stream=False)
        result = run_cli(["replay", str(config), "-q"])
    assert result.exit_code == 0, result.output
    stored = _stored(tmp_path)
    failed = [c for c in stored if c.status != "ok"]
    assert len(stored) == 12 and len(failed) == 6, stored  # the baseline ("fine") answered
    assert all(c.status == "error" and c.error is not None
               and c.error.startswith(f"malformed response: wrong type of {wrong}")
               for c in failed), failed


def test_the_key_echoed_in_any_response_field_is_never_stored(tmp_path: Path) -> None:
    running, _ = start_hostile()
    with running:
        config = _config(tmp_path, running.base_url, "echo-key", api_key_env="HOSTILE_KEY")
        os.environ["HOSTILE_KEY"] = KEY + "\n"  # as $(cat keyfile) gives it: stripped
        try:
            result = run_cli(["replay", str(config), "-q"])
        finally:
            del os.environ["HOSTILE_KEY"]
    assert result.exit_code == 0, result.output
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert any(c.model == "[redacted]" for c in _stored(tmp_path))


def test_credential_headers_have_a_home_and_never_reach_the_store(tmp_path: Path) -> None:
    running, _ = start_hostile()
    with running:
        config = _config(tmp_path, running.base_url, "echo-header",
                         headers_env={"X-Gw": "HOSTILE_GW"})
        os.environ["HOSTILE_GW"] = KEY
        try:
            result = run_cli(["replay", str(config), "-q"])
        finally:
            del os.environ["HOSTILE_GW"]
    assert result.exit_code == 0, result.output
    answers = [c.answer for c in _stored(tmp_path) if c.answer.startswith("you sent")]
    assert answers and all(a == "you sent [redacted]" for a in answers)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(("params", "where"), [
    ({"extra_headers": {"Authorization": "Bearer x"}}, "params.extra_headers"),
    ({"extra_body": {"api_key": "x"}}, "params.extra_body.api_key"),
    ({"extra_body": [{"deep": {"x-api-key": "x"}}]}, "x-api-key"),
])
def test_secrets_nested_in_params_are_refused(tmp_path: Path, params: dict[str, Any],
                                              where: str) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/v1", "fine", params=params)
    with pytest.raises(ConfigError, match="headers_env") as info:
        load_config(config)
    assert where in info.value.message


@pytest.mark.parametrize(("url", "fragment"), [
    ("file:///etc/passwd", "not an http(s) URL"), ("ftp://host/v1", "not an http(s) URL"),
    ("javascript:alert(1)", "not an http(s) URL"), ("api.example.com/v1", "not an http(s) URL"),
    ("https://user:hunter2@api.example.com/v1", "holds credentials"),
])
def test_a_bad_base_url_is_a_config_error_at_load(tmp_path: Path, url: str,
                                                  fragment: str) -> None:
    config = _config(tmp_path, url, "fine")
    result = run_cli(["run", str(config), "--dry-run"])
    assert result.exit_code == 2 and fragment in result.output
    assert "hunter2" not in result.output


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e999, -1.0, 1e12])
def test_absurd_numbers_are_refused(tmp_path: Path, value: float) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/v1", "fine", timeout_s=value)
    text = config.read_text().replace(f"timeout_s: {value}", "timeout_s: 1e999") if (
        value == 1e999) else config.read_text()
    config.write_text(text)
    with pytest.raises(ConfigError, match="timeout_s"):
        load_config(config)


NUMERIC_FIELDS = [("candidate", "timeout_s"), ("candidate", "rpm"), ("candidate", "tpm"),
                  ("candidate", "concurrency"), ("replay", "max_spend_usd"),
                  ("replay", "max_requests"), ("noise", "subset")]


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(NUMERIC_FIELDS),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.integers(-10**20, 10**20)))
def test_every_numeric_field_is_bounded(tmp_path_factory: pytest.TempPathFactory,
                                        field: tuple[str, str], value: float) -> None:
    folder = tmp_path_factory.mktemp("num")
    config = _config(folder, "http://127.0.0.1:9/v1", "fine")
    data = yaml.safe_load(config.read_text())
    data.setdefault(field[0], {})[field[1]] = value
    config.write_text(yaml.safe_dump(data))
    try:
        loaded = load_config(config)
    except ConfigError:
        return
    section = getattr(loaded, field[0])
    accepted = getattr(section, field[1])
    assert accepted == accepted and abs(accepted) < 1e13  # finite and sane, or refused


def test_a_key_with_a_control_character_is_a_clear_error_that_hides_it(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/v1", "fine", api_key_env="HOSTILE_KEY")
    result = run_cli(["replay", str(config), "-q"], env={"HOSTILE_KEY": "sk-abc\x1b[2Jdef123456"})
    assert result.exit_code == 2, result.output
    assert "control character" in result.output and "abc" not in result.output


def test_an_endpoint_that_refuses_the_configuration_stops_the_run_at_once(
        tmp_path: Path) -> None:
    running, hostile = start_hostile()
    with running:
        for model in ("unauthorized", "bad-param"):
            folder = tmp_path / model
            folder.mkdir()
            config = _config(folder, running.base_url, model, n=60, concurrency=1)
            result = run_cli(["replay", str(config), "-q", "--no-preflight"])
            assert result.exit_code == 3, result.output
            assert "candidate" in result.output and "refuses the request" in result.output
            assert hostile.calls[model] <= 3  # not retried through the whole log


def test_error_bodies_reach_the_terminal_sanitised(tmp_path: Path) -> None:
    running, _ = start_hostile()
    with running:
        config = _config(tmp_path, running.base_url, "ansi-error")
        done = subprocess.run([sys.executable, "-m", "swapkit", "replay", str(config), "-q",
                               "--fail-fast"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert "hidden" in done.stderr
    for bad in ("\x1b", "\r", "\x07"):
        assert bad not in done.stderr and bad not in done.stdout
    assert ANSI not in done.stderr


def test_inspect_and_run_preflight_each_live_target(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/v1", "fine")
    result = run_cli(["inspect", str(config)])
    assert result.exit_code == 3 and "unreachable" in result.output
    assert run_cli(["inspect", str(config), "--no-preflight"]).exit_code == 0
    with start_simulator([profile("base-sim"), profile("cand-sim")]) as sim:
        wrong = _config(tmp_path / "w", sim.base_url, "no-such-model") if (
            (tmp_path / "w").mkdir() is None) else None
        assert wrong is not None
        result = run_cli(["run", str(wrong), "-q"])
        assert result.exit_code == 3, result.output
        assert "model no-such-model is not served" in result.output
        assert sim.stats()["models"].get("base-sim", {}).get("requests", 0) == 0


def test_ctrl_c_exits_130_at_once_without_a_traceback(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 200)
    slow = {"latency": {"median_s": 0.5, "p95_s": 0.6}}
    with start_simulator([profile("base-sim", **slow), profile("cand-sim", **slow)],
                         [log]) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, suite={
            "metrics": ["exact_match"], "gates": [{"metric": "failure_rate", "margin": 0.1}]})
        process = subprocess.Popen([sys.executable, "-m", "swapkit", "run", str(config), "-q"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(6)  # well into the replay
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        took = time.monotonic() - sent
    assert process.returncode == 130, err
    assert took < 5, took  # at once (2 s target; headroom for a busy machine)
    assert "Traceback" not in err and "never retrieved" not in err
    assert err.strip().splitlines()[-1] == "interrupted"
    with RunStore(tmp_path / "run", lock=False) as store:  # consistent and resumable
        assert store.record_count() == 200


def test_a_failed_report_write_leaves_no_temporary_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(Exception, match="No space left"):
        _write_atomic(target, "x" * 1000)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_finished_run_can_be_reported_elsewhere(tmp_path: Path) -> None:
    from .reporthelp import hostile_run

    report_dir = hostile_run(tmp_path)
    run_dir = report_dir.parent / "run"
    mount = tmp_path / "ro"
    mount.mkdir()
    copy = subprocess.run(["cp", "-r", str(run_dir), str(mount / "run")], check=True)
    del copy
    if subprocess.run(["mount", "--bind", "-o", "ro", str(mount), str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a read-only filesystem here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)], capture_output=True)
        result = run_cli(["report", str(mount / "run"), "-o", str(tmp_path / "elsewhere")])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "elsewhere" / "report.html").exists()
    finally:
        subprocess.run(["umount", str(mount)], check=False)


BIDI = "\u202e\u2066"


def test_bidi_controls_are_neutralised_in_every_report(tmp_path: Path) -> None:
    log, shadow = tmp_path / "log.jsonl", tmp_path / "cand.jsonl"
    for path, text in ((log, "pay"), (shadow, f"pay {BIDI}gnp.exe & more")):
        lines = [{"id": f"q{i}", "reference": "pay", "request": {
            "messages": [{"role": "user", "content": f"Q{i} {BIDI}"}]},
            "response": {"choices": [{"message": {"content": text},
                                      "finish_reason": "stop"}]}} for i in range(40)]
        path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    config = tmp_path / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": f"bidi {BIDI}", "log": {"path": "log.jsonl"}, "baseline": {"recorded": True},
        "candidate": {"recorded": "cand.jsonl"}, "noise": {"enabled": False},
        "suite": {"metrics": ["exact_match"], "gates": [{"metric": "exact_match",
                                                          "margin": 0.05}]}}))
    run_cli(["run", str(config), "-q"])
    for name in ("report.html", "report.md", "report.json", "junit.xml"):
        text = (tmp_path / "swapkit-report" / name).read_text(encoding="utf-8")
        assert not any(c in text for c in BIDI), name
    markdown = (tmp_path / "swapkit-report" / "report.md").read_text(encoding="utf-8")
    assert "& more" not in markdown and "&amp; more" in markdown
