"""A registry of named extensions (log formats, metrics, targets, report formats).

Built-ins and third-party plugins register through the same pluggy hooks
(:mod:`swapkit.support.plugins`); a registry only maps names to objects and explains,
when a name is unknown, which names exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from swapkit.errors import UsageError

__all__ = ["Registry", "from_hook"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Name → extension, with errors that list the valid choices."""

    def __init__(self, kind: str, error: type[UsageError] = UsageError) -> None:
        self.kind = kind
        self.error = error
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> None:
        """Add ``item`` under ``name``; a second registration of a name is a bug."""
        if name in self._items and self._items[name] is not item:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item

    def get(self, name: str) -> T:
        """The extension called ``name``, or a UsageError naming the valid choices."""
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(sorted(self._items)) or "(none registered)"
            raise self.error(
                f"unknown {self.kind} {name!r}", hint=f"use one of: {valid}"
            ) from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())


def from_hook(kind: str, hook: str, error: type[UsageError] = UsageError) -> Registry[Any]:
    """A registry filled by every plugin's ``hook`` (built-ins included), keyed by ``.name``."""
    from swapkit.support.plugins import get_plugin_manager

    registry: Registry[Any] = Registry(kind, error)
    getattr(get_plugin_manager(hook).hook, hook)(
        register=lambda item: registry.register(item.name, item))
    return registry
