"""The plugin contract: pluggy hooks that fill swapkit's registries.

Built-in extensions register through these same hooks (``DEFAULT_PLUGINS``), each
module when its hook is first used (a replay reads a log: it need not import the
metrics and the report, a quarter of a second of start-up); they are ``trylast``, so
plugins come first whatever the order of registration. Third-party packages add theirs
with an entry point in the ``swapkit`` group::

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
import threading
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

# hook → the built-in module implementing it
DEFAULT_PLUGINS = {
    "register_log_formats": "swapkit.ingest.formats.builtin",
    "register_metrics": "swapkit.scoring.metrics.builtin",
    "register_report_formats": "swapkit.report.formats",
}


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
_pm_lock = threading.RLock()  # registries may first be filled from two threads at once


def get_plugin_manager(hook: str | None = None) -> pluggy.PluginManager:
    """The process-wide plugin manager, with entry-point plugins loaded and the built-in
    plugin of ``hook`` (of every hook when None)."""
    global _pm
    with _pm_lock:
        if _pm is None:
            pm = pluggy.PluginManager("swapkit")
            pm.add_hookspecs(Hooks)
            pm.load_setuptools_entrypoints("swapkit")
            _pm = pm
        for name, module in DEFAULT_PLUGINS.items():
            if hook in (None, name) and not _pm.has_plugin(module):
                _pm.register(importlib.import_module(module), name=module)
        return _pm
