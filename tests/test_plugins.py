"""The plugin contract as a user would use it: a log format and a metric from a plugin,
registered through the plugin manager, drive a whole ``swapkit run``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from swapkit.completion import Completion
from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats import log_formats
from swapkit.ingest.formats.base import LogFormat
from swapkit.records import Record
from swapkit.scoring.metrics import metric_registry
from swapkit.scoring.metrics.base import Metric, MetricScores, RunData, score_pairs
from swapkit.support.plugins import get_plugin_manager, hookimpl

from .conftest import run_cli


class QaFormat:
    """``*.qa`` files: one record a line, ``id<TAB>question<TAB>recorded answer``."""

    name = "qa-tsv"
    description = "id, question and answer separated by tabs"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        return path.suffix == ".qa"

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        with source.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3:
                    yield LogLineError(f"{source.path}:{number}: expected 3 tab-separated fields",
                                       line=number)
                    continue
                record_id, question, answer = parts
                yield Record(id=record_id, segment="qa",
                             request={"messages": [{"role": "user", "content": question}]},
                             response={"answer": answer})


class ShortAnswer:
    """1 when the answer has at most 40 characters (a pass/fail metric)."""

    name = "short_answer"
    kind = "binary"
    higher_is_better = True
    description = "answer of at most 40 characters"

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        def value(i: int, c: Completion) -> tuple[float, str | None]:
            return float(len(c.answer) <= 40), None

        return score_pairs(data, self.name, "binary", True, lambda i: True, value)


class Plugin:
    """What a third-party package's plugin module would define."""

    @hookimpl
    def register_log_formats(self, register: Callable[[LogFormat], None]) -> None:
        register(QaFormat())

    @hookimpl
    def register_metrics(self, register: Callable[[Metric], None]) -> None:
        register(ShortAnswer())


@pytest.fixture
def plugin() -> Iterator[None]:
    manager = get_plugin_manager()
    registered = Plugin()
    manager.register(registered, name="test-plugin")
    log_formats.cache_clear()
    metric_registry.cache_clear()
    yield
    manager.unregister(registered)
    log_formats.cache_clear()
    metric_registry.cache_clear()


def _migration(tmp_path: Path, candidate_answer: Callable[[int], str]) -> Path:
    n = 120
    (tmp_path / "log.qa").write_text("".join(
        f"q{i}\tWhat is {i} + 1?\t{i + 1}\n" for i in range(n)), encoding="utf-8")
    (tmp_path / "shadow.qa").write_text("".join(
        f"q{i}\tWhat is {i} + 1?\t{candidate_answer(i)}\n" for i in range(n)), encoding="utf-8")
    config = tmp_path / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": "plugin run", "log": {"path": "log.qa"},
        "baseline": {"recorded": True}, "candidate": {"recorded": "shadow.qa"},
        "noise": {"enabled": False},
        "suite": {"metrics": ["short_answer"],
                  "gates": [{"metric": "short_answer", "margin": 0.05}]},
    }), encoding="utf-8")
    return config


def _gates(tmp_path: Path) -> dict[str, dict[str, Any]]:
    report = json.loads((tmp_path / "swapkit-report" / "report.json").read_text("utf-8"))
    return {g["name"]: g for g in report["decision"]["gates"]}


def test_a_plugin_format_and_metric_decide_a_run(plugin: None, tmp_path: Path) -> None:
    result = run_cli(["run", str(_migration(tmp_path, lambda i: str(i + 1))), "-q"])
    assert result.exit_code == 0, result.output
    gate = _gates(tmp_path)["short_answer"]
    assert gate["status"] == "GO" and gate["n"] == 120
    assert "qa-tsv" in run_cli(["formats"]).output


def test_the_plugin_metric_catches_a_regression(plugin: None, tmp_path: Path) -> None:
    def rambling(i: int) -> str:
        return f"Let me explain at length why the answer is {i + 1}." if i % 2 else str(i + 1)

    result = run_cli(["run", str(_migration(tmp_path, rambling)), "-q"])
    assert result.exit_code == 1, result.output
    gate = _gates(tmp_path)["short_answer"]
    assert gate["status"] == "NO-GO"
    assert np.isclose(gate["candidate"], 0.5)


def test_without_the_plugin_the_names_are_unknown(tmp_path: Path) -> None:
    result = run_cli(["inspect", str(tmp_path / "missing.qa"), "--format", "qa-tsv"])
    assert result.exit_code == 2
    assert "unknown log format 'qa-tsv'" in result.output



def _python(code: str) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_reading_a_log_imports_neither_the_metrics_nor_the_report() -> None:
    """Built-ins register when their hook is first used: a replay's start-up skips the
    metrics and the report (numpy included), a quarter of a second of CPU."""
    _python("""if True:
        import sys
        from swapkit.ingest.formats import log_formats
        import swapkit.replay.engine
        assert "openai-chat" in log_formats().names()
        heavy = [m for m in ("numpy", "swapkit.report", "swapkit.scoring.metrics")
                 if m in sys.modules]
        assert not heavy, heavy
    """)


def test_a_plugin_registered_before_the_built_ins_load_still_comes_first() -> None:
    """Entry-point plugins load before any built-in now; built-ins are ``trylast``, so a
    plugin's format is still sniffed before the built-in ones, as before."""
    _python("""if True:
        from swapkit.support.plugins import get_plugin_manager, hookimpl

        class Early:
            @hookimpl
            def register_log_formats(self, register):
                class Format:
                    name = "early"
                register(Format())

        manager = get_plugin_manager("register_report_formats")  # no log formats yet
        manager.register(Early(), name="early")
        from swapkit.ingest.formats import log_formats
        names = log_formats().names()
        assert names[0] == "early" and "openai-chat" in names, names
    """)
