"""The Ray cluster of ``executor: ray`` (the optional extra ``swapkit[ray]``): connecting,
once per process, and reading a failed Ray task's error back as swapkit's own.

Nothing secret goes to Ray from here: no key in ``runtime_env`` (the config refuses
``env_vars``), none in job metadata; workers read keys from their own environment.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

from swapkit.config import ExecutorConfig
from swapkit.errors import ConfigError, RuntimeFailure, SwapkitError

__all__ = ["connect", "ray_api", "task_error"]


def ray_api() -> ModuleType:
    """The ``ray`` module, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError("executor: ray needs Ray, which is not installed",
                          hint="pip install 'swapkit[ray]' (or set executor: local)") from None
    return ray


def connect(executor: ExecutorConfig) -> ModuleType:
    """Ray, connected as ``executor`` says (kept when this process is connected already)."""
    ray = ray_api()
    if ray.is_initialized():
        return ray
    address = executor.address
    starts_local = address == "local" or (address is None and not os.environ.get("RAY_ADDRESS"))
    options: dict[str, object] = {"address": address, "log_to_driver": False,
                                  "logging_level": logging.WARNING}
    if executor.runtime_env:
        options["runtime_env"] = executor.runtime_env
    if starts_local:  # a local instance for this run: no dashboard, loopback only
        options.update(include_dashboard=False, num_cpus=executor.num_cpus)
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local instance"
        raise RuntimeFailure(f"cannot start or reach Ray ({where}): {err}",
                             hint="check executor.address (auto needs a running cluster: "
                             "`ray start --head`), or run with executor: local") from None
    return ray


def task_error(err: BaseException) -> SwapkitError:
    """A Ray task's failure as swapkit reports it: its own error when it raised one (a key
    missing from a worker's environment, say), else what failed, in one line."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, SwapkitError):
        if isinstance(cause, ConfigError) and "environment variable" in cause.message:
            cause.hint = ("set it in the environment of every Ray worker (the cluster's node "
                          "or pod environment, docs/scale.md), not in runtime_env")
        return cause
    lines = str(cause or err).strip().splitlines()
    what = type(cause or err).__name__
    return RuntimeFailure(f"a Ray task failed: {what}: {lines[-1] if lines else ''}".rstrip(": "),
                          hint="the workers' logs (ray logs, or the cluster's dashboard) have "
                          "the whole traceback")
