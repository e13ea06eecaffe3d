"""The plugin contract: pluggy hooks that fill swapkit's registries.

Built-in extensions register through these same hooks (``DEFAULT_PLUGINS``);
third-party packages add theirs with an entry point in the ``swapkit`` group::

    [project.entry-points.swapkit]
    my_formats = "my_package.swapkit_plugin"

where the module defines ``@hookimpl def register_log_formats(register): ...`` (or
``register_metrics``, ``register_report_formats``). ``register`` takes one extension
object with a ``name``: a :class:`~swapkit.ingest.formats.base.LogFormat`, a
:class:`~swapkit.scoring.metrics.base.Metric` or a
:class:`~swapkit.report.formats.ReportFormat`.

The types are imported for type checkers only: at run time this module imports no stage
(the stages import it, through their registries).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from swapkit.ingest.formats.base import LogFormat
    from swapkit.report.formats import ReportFormat
    from swapkit.scoring.metrics.base import Metric

__all__ = ["DEFAULT_PLUGINS", "get_plugin_manager", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("swapkit")
hookimpl = pluggy.HookimplMarker("swapkit")

DEFAULT_PLUGINS = (
    "swapkit.ingest.formats.builtin", "swapkit.scoring.metrics.builtin", "swapkit.report.formats")


class Hooks:
    """Hook specifications."""

    @hookspec
    def register_log_formats(self, register: Callable[[LogFormat], None]) -> None:
        """Call ``register(log_format)`` for each log format the plugin provides."""

    @hookspec
    def register_metrics(self, register: Callable[[Metric], None]) -> None:
        """Call ``register(metric)`` for each metric the plugin provides."""

    @hookspec
    def register_report_formats(self, register: Callable[[ReportFormat], None]) -> None:
        """Call ``register(report_format)`` for each report format the plugin provides."""


_pm: pluggy.PluginManager | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with built-ins and entry-point plugins loaded."""
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager("swapkit")
        pm.add_hookspecs(Hooks)
        for name in DEFAULT_PLUGINS:
            pm.register(importlib.import_module(name), name=name)
        pm.load_setuptools_entrypoints("swapkit")
        _pm = pm
    return _pm
