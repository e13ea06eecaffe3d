"""Streaming the entries of JSON documents: top-level arrays and API list pages.

Exports are often one JSON document rather than JSON Lines: an array of entries
(``[{...}, {...}]``), or API list pages (``{"object": "list", "data": [...]}``,
``{"data": [...], "meta": {...}}``), one after another. :func:`iter_document` yields the
bytes of each entry with the line where it starts, reading the file in blocks: a byte
scanner tracks bracket depth and skips strings (escapes included) with one regular
expression per run, so an array of millions of entries is never held in memory. A
top-level object with a ``data`` array is a page and yields its ``data`` entries (its
other keys, such as ``has_more``, are cursors, not entries); any other top-level object is
an entry itself. The scanner only finds where entries begin and end; each entry is then
parsed by the reader, which names its line when it is not valid JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from swapkit.errors import LogLineError

__all__ = ["iter_document"]

BLOCK = 1 << 20
FIRST_BLOCK = 1 << 16  # small, so sniffing reads little (and a cut .gz still sniffs)
# Everything up to the next bracket or quote, with whole strings (a raw newline ends a
# string: JSON strings cannot hold one, so a line cut short does not swallow the file).
_STRING = rb'"(?:[^"\\\n]++|\\.)*+"'
_RUN = re.compile(rb'(?:[^"\[\]{}]++|' + _STRING + rb")*+")


def _nested(levels: int) -> re.Pattern[bytes]:
    """A whole object or array nested at most ``levels`` deep, in one match: the fast path
    (the bracket-by-bracket loop takes over where it fails: deeper, cut, broken)."""
    inner = rb'(?:[^"\[\]{}]++|' + _STRING + rb")*+"
    for _ in range(levels - 1):
        inner = rb'(?:[^"\[\]{}]++|' + _STRING + rb"|[{\[]" + inner + rb"[}\]])*+"
    return re.compile(rb"[{\[]" + inner + rb"[}\]]")


_VALUE = _nested(12)
_SPACE = re.compile(rb"[ \t\r\n]*")
_BETWEEN = re.compile(rb"[ \t\r\n,]*")  # between array elements
_SCALAR = re.compile(rb'"(?:[^"\\\n]++|\\.)*+"|[^,\]\s\[{"]++')
_DATA_KEY = re.compile(rb'(?<!\\)"data"[ \t\r\n]*:[ \t\r\n]*\Z')
HINT = "the file ends inside a JSON value: was the export cut short? Export it again"


class _Truncated(Exception):
    """The file ends inside a value (the entry or array starting at ``line``)."""

    def __init__(self, line: int = 0) -> None:
        super().__init__(line)
        self.line = line


class _BrokenString(Exception):
    """Text that cannot be JSON here (a string holding a raw line break, a stray character)."""


class _Scanner:
    """A growing window on the file: positions stay valid until :meth:`drop`."""

    def __init__(self, handle: IO[bytes], first_line: int, skip: int) -> None:
        self.handle = handle
        self.buf = bytearray(handle.read(FIRST_BLOCK))
        self.pos = skip
        self.line = first_line  # line number at ``line_pos``
        self.line_pos = 0

    def more(self) -> bool:
        """Read the next block; False at the end of the file."""
        block = self.handle.read(BLOCK)
        self.buf += block
        return bool(block)

    def line_at(self, pos: int) -> int:
        """The line number of ``pos`` (called with positions that never go back)."""
        self.line += self.buf.count(b"\n", self.line_pos, pos)
        self.line_pos = pos
        return self.line

    def drop(self) -> None:
        """Forget the bytes before the current position (called between entries)."""
        if self.pos > BLOCK:
            self.line_at(self.pos)
            del self.buf[: self.pos]
            self.pos = self.line_pos = 0

    def skip(self, pattern: re.Pattern[bytes]) -> bool:
        """Move past what ``pattern`` matches; False at the end of the file."""
        while True:
            self.pos = pattern.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return True
            if not self.more():
                return False

    def value_end(self, pos: int, depth: int = 0, stop_at_data: bool = False) -> int:
        """The end of the object or array opening at ``pos`` (or, with ``depth`` 1, of the
        one ``pos`` is inside). With ``stop_at_data``: the position just after the ``[`` of
        a ``"data": [`` directly inside it, if one comes first, negated."""
        start = pos
        if depth == 0 and not stop_at_data:
            match = _VALUE.match(self.buf, pos)
            if match:
                return match.end()
        while True:
            buf = self.buf
            while pos < len(buf):
                char = buf[pos]
                if char in b"{[":
                    depth += 1
                    pos += 1
                    if stop_at_data and depth == 2 and char == 0x5B and _DATA_KEY.search(
                            buf, max(start, pos - 64), pos - 1):
                        return -pos
                elif char in b"}]":
                    depth -= 1
                    pos += 1
                    if depth == 0:
                        return pos
                else:
                    end = _RUN.match(buf, pos).end()  # type: ignore[union-attr]
                    if end == pos:  # a quote whose string does not end in the window
                        if buf.find(b"\n", pos) >= 0:
                            raise _BrokenString
                        break
                    pos = end
            if not self.more():
                raise _Truncated

    def scalar_end(self, pos: int) -> int:
        """The end of the string, number or literal at ``pos``."""
        while True:
            match = _SCALAR.match(self.buf, pos)
            if match is None:
                raise _BrokenString
            if match.end() < len(self.buf) or not self.more():
                return match.end()


def iter_document(
    path: Path, handle: IO[bytes], first_line: int = 1, skip: int = 0
) -> Iterator[tuple[int, bytes | LogLineError]]:
    """Yield ``(line, entry_bytes)`` for each entry of the JSON values in ``handle``
    (``skip`` bytes in, e.g. a BOM), or ``(line, LogLineError)`` where the text is broken.

    After a broken top-level value the scan resumes at the next line."""
    scan = _Scanner(handle, first_line, skip)
    while scan.skip(_SPACE):
        start = scan.pos
        line = scan.line_at(start)
        char = scan.buf[start]
        try:
            if char == 0x5B:  # [
                scan.pos += 1
                yield from _elements(path, scan)
            elif char == 0x7B:  # {
                end = scan.value_end(start, stop_at_data=True)
                if end < 0:  # a page: its data entries, then the rest of it is skipped
                    scan.pos = -end
                    yield from _elements(path, scan)
                    scan.pos = scan.value_end(scan.pos, depth=1)
                else:
                    yield line, bytes(scan.buf[start:end])
                    scan.pos = end
            else:
                raise _BrokenString
        except _Truncated as cut:
            where = cut.line or line
            message = "the file ends inside this JSON value" if where == line else (
                f"the file ends inside this entry (the JSON value opened at line {line} "
                "is not closed)")
            yield where, LogLineError(path, where, message, hint=HINT)
            return
        except _BrokenString:
            yield line, _broken(path, line)
            if not _next_line(scan):  # the position is still behind every entry yielded
                return
        scan.drop()


def _broken(path: Path, line: int) -> LogLineError:
    return LogLineError(
        path, line, "not valid JSON here (expected an object, an array of objects or a list "
        "page)", hint="each entry must be a JSON object; use --skip-invalid to count and skip "
        "malformed entries")


def _next_line(scan: _Scanner) -> bool:
    """Move to the start of the next line; False at the end of the file."""
    while True:
        newline = scan.buf.find(b"\n", scan.pos)
        if newline >= 0:
            scan.pos = newline + 1
            return True
        scan.pos = len(scan.buf)
        if not scan.more():
            return False


def _elements(path: Path, scan: _Scanner) -> Iterator[tuple[int, bytes | LogLineError]]:
    """The elements of the array whose ``[`` is just behind the position, up to its ``]``.
    A broken element is reported and the scan goes on from the next line."""
    while True:
        if not scan.skip(_BETWEEN):
            raise _Truncated
        start = scan.pos
        char = scan.buf[start]
        if char == 0x5D:  # ]
            scan.pos += 1
            return
        line = scan.line_at(start)
        try:
            end = scan.value_end(start) if char in b"{[" else scan.scalar_end(start)
        except _Truncated:
            raise _Truncated(line) from None
        except _BrokenString:
            yield line, _broken(path, line)
            if not _next_line(scan):
                raise _Truncated(line) from None
            continue
        yield line, bytes(scan.buf[start:end])
        scan.pos = end
        scan.drop()
