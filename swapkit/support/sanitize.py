"""Making untrusted text safe for Markdown, XML and terminals."""

from __future__ import annotations

import re

__all__ = ["clean", "md_cell", "xml_text"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|<>~])")


def clean(text: str) -> str:
    """Without ANSI escape sequences and control characters (newlines and tabs kept)."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def md_cell(text: str | None, limit: int = 160) -> str:
    """One line of Markdown that renders as the literal text (tables hold, nothing links)."""
    if not text:
        return ""
    flat = " ".join(clean(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    escaped = _MD_SPECIAL.sub(r"\\\1", flat)
    # A leading marker would start a heading, a list or a quote.
    return "\\" + escaped if escaped[:1] in ("#", "-", "+", "=") else escaped


def xml_text(text: str | None) -> str:
    """Text that XML 1.0 accepts (escaping itself is ElementTree's job)."""
    return _XML_INVALID.sub("", clean(text or ""))
