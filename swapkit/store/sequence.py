"""A read-only sequence of stored rows, read a page at a time and parsed on access: what
lets scoring, the decision and the reports pass over a run of any size in flat memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

__all__ = ["PAGE", "StoredSequence"]

PAGE = 2048  # rows a stored sequence reads at once
_UNSET: Any = object()
T = TypeVar("T")


class StoredSequence(Sequence[T], Generic[T]):
    """A read-only sequence of stored rows, read a page at a time and parsed on access.

    One page of raw rows is held at once, each row parsed the first time it is asked for
    (the same index gives the same object while its page is held): a pass over a million
    records holds one page, not a million objects. ``column(name)`` reads one stored
    column of every row without parsing any.
    """

    def __init__(self, length: int, fetch: Callable[[int, int], list[Any]],
                 parse: Callable[[Any], T], column: Callable[[str], list[Any]]) -> None:
        self._length, self._fetch, self._parse, self._column = length, fetch, parse, column
        self._start = -1
        self._raw: list[Any] = []
        self._parsed: list[Any] = []

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        i = index + self._length if index < 0 else index
        if not 0 <= i < self._length:
            raise IndexError("stored sequence index out of range")
        start = i - i % PAGE
        if start != self._start:
            self._raw = self._fetch(start, min(start + PAGE, self._length))
            self._parsed = [_UNSET] * len(self._raw)
            self._start = start
        value = self._parsed[i - start]
        if value is _UNSET:
            value = self._parsed[i - start] = self._parse(self._raw[i - start])
        return value  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[T]:
        for i in range(self._length):
            yield self[i]

    def column(self, name: str) -> list[Any]:
        """One stored column of every row, in order (no row is parsed)."""
        return self._column(name)
