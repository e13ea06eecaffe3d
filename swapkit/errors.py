"""The errors swapkit raises on purpose.

The tree::

    SwapkitError                 anything swapkit reports without a traceback
    ├── UsageError               the user asked for something that cannot work (exit 2)
    │   ├── ConfigError          a swap.yaml / suite file is invalid
    │   └── LogError             a prompt log cannot be read
    │       └── LogLineError     one line/row of a log is malformed
    └── RuntimeFailure           the run itself failed (endpoint down, disk full; exit 3)

Every message says what happened, where (file, line or field), and how to fix it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "LogError",
    "LogLineError",
    "RuntimeFailure",
    "SwapkitError",
    "UsageError",
]


class SwapkitError(Exception):
    """Base class of every error swapkit reports as a clean message."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  fix: {self.hint}"
        return self.message


class UsageError(SwapkitError):
    """Bad input from the user: config, log, command-line arguments."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration file is invalid."""


class LogError(UsageError):
    """A prompt log cannot be read as asked."""


class LogLineError(LogError):
    """One line (or row) of a log is malformed."""

    def __init__(self, path: Path | str, line: int, message: str, *, hint: str | None = None):
        super().__init__(f"{path}:{line}: {message}", hint=hint)
        self.path = str(path)
        self.line = line
        self.detail = message

    def __reduce__(self) -> tuple[object, ...]:
        # Picklable, so that a parallel reader's worker can report it.
        return (type(self), (self.path, self.line, self.detail), {"hint": self.hint})


class RuntimeFailure(SwapkitError):
    """The run could not complete for a reason outside the user's input."""

    exit_code = 3
