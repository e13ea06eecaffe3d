"""Finding a run: a run directory, or the swap.yaml whose run_dir it is."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from swapkit.config import DEFAULT_RUNS_DIR, SwapConfig, load_config
from swapkit.errors import UsageError
from swapkit.store import DB_NAME, RunStore

__all__ = ["resolve_run", "stored_config"]


def resolve_run(target: Path) -> Path:
    """The run directory named by ``target`` (a folder, or a swap.yaml)."""
    if target.suffix.lower() in (".yaml", ".yml"):
        config = load_config(target)
        run_dir = config.run_dir or DEFAULT_RUNS_DIR
    else:
        run_dir = target
    if not (run_dir / DB_NAME).exists():
        raise UsageError(f"{run_dir}: no run store here ({DB_NAME} is missing)",
                         hint="run `swapkit replay swap.yaml` first, or pass the run directory")
    return run_dir


def stored_config(store: RunStore) -> SwapConfig:
    """The config the run was replayed with (paths already resolved then)."""
    data = store.get_meta("config")
    if data is None:
        raise UsageError(f"{store.run_dir}: the run store has no config",
                         hint="replay the run with `swapkit replay swap.yaml`")
    try:
        return SwapConfig.model_validate(data)
    except ValidationError as err:
        raise UsageError(
            f"{store.run_dir}: the stored config does not validate with this swapkit "
            f"({err.error_count()} problem(s), e.g. {err.errors()[0]['msg']})",
            hint="replay the run again with `swapkit replay swap.yaml` (completed requests "
            "are reused) to store the config in the current format") from None
