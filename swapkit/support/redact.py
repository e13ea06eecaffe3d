"""Keeping secrets out of everything swapkit writes: errors, answers, store, reports."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MASK", "redact"]

MASK = "[redacted]"
MIN_SECRET = 8  # shorter "keys" (e.g. a dummy "x") would mask ordinary text


def redact(text: str | None, secrets: Iterable[str | None]) -> str | None:
    """``text`` with every occurrence of each secret replaced by ``[redacted]``."""
    if not text:
        return text
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET and secret in text:
            text = text.replace(secret, MASK)
    return text
