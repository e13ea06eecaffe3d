"""The public API is what ``swapkit.__all__`` says, every name in it resolves, and the
example uses nothing else (the model: httpx's exported-members test)."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import swapkit

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    "build_reports", "check_environment", "collect_stats", "ColumnMapping", "Completion",
    "ConfigError", "Decision", "decide_run", "DEMO_CONFIG", "DEMO_LOG", "draw_sample",
    "exit_code", "GateResult", "GateSpec", "load_config", "load_suite", "LogError",
    "LogFilter", "LogLineError", "LogSource", "LogStats", "Plan", "plan_migration",
    "read_log", "Record", "RecordedResponse", "replay_run", "ReplayOptions", "ReplaySummary",
    "request_hash", "run_migration", "RunOptions", "RunResult", "RuntimeFailure", "Sample",
    "sample_log", "SampleSpec", "score_run", "split_reasoning", "start_simulator", "Suite",
    "SwapConfig", "SwapkitError", "TargetConfig", "UsageError", "__version__",
]


def test_public_api_is_locked() -> None:
    assert swapkit.__all__ == sorted(PUBLIC, key=str.casefold)


def test_every_exported_name_resolves_and_nothing_else_is_exposed() -> None:
    for name in swapkit.__all__:
        assert getattr(swapkit, name) is not None, name
    exposed = {
        name for name, value in vars(swapkit).items()
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, types.ModuleType)  # subpackages set as attributes on import
        and name not in {"annotations", "importlib", "TYPE_CHECKING", "Any"}
    }
    assert exposed == set(swapkit.__all__)


def test_type_checking_block_matches_the_runtime_list() -> None:
    tree = ast.parse((ROOT / "swapkit" / "__init__.py").read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If)
                 and getattr(n.test, "id", "") == "TYPE_CHECKING")
    typed = {(node.module, alias.name) for node in block.body
             if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert all(alias.asname == alias.name for node in block.body
               for alias in getattr(node, "names", []))  # `X as X`: an explicit re-export
    runtime = {(module, name) for module, names in swapkit._API.items() for name in names}
    assert typed == runtime


def test_python_api_example_uses_only_the_public_api() -> None:
    tree = ast.parse((ROOT / "examples" / "python_api.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("swapkit"):
            assert node.module == "swapkit", f"imports {node.module}"
            assert all(alias.name in swapkit.__all__ for alias in node.names)
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("swapkit.") for a in node.names)
