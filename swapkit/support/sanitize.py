"""Making untrusted text safe for Markdown, XML and terminals."""

from __future__ import annotations

import re

__all__ = ["BIDI", "clean", "md_cell", "no_bidi", "xml_text"]

# Escape sequences: OSC (window titles, hyperlinks, clipboard) up to BEL or ST, CSI, others.
_ANSI = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]"
                   r"|\x9b[0-9;?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?")
# C0 and C1 controls but newline and tab (a carriage return rewrites the line it is on),
# and the bidirectional controls that make text display in another order than it reads.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069]")
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|<>~])")


BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Without escape sequences, control characters (newlines and tabs kept; CR LF becomes
    LF) and bidirectional controls."""
    return _CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n")))


def no_bidi(text: str) -> str:
    """Without bidirectional controls (right-to-left override and the like), which make a
    report show text in another order than it is stored."""
    return BIDI.sub("", text)


def md_cell(text: str | None, limit: int = 160) -> str:
    """One line of Markdown that renders as the literal text (tables hold, nothing links)."""
    if not text:
        return ""
    flat = " ".join(clean(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    escaped = _MD_SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;"))
    # A leading marker would start a heading, a list or a quote.
    return "\\" + escaped if escaped[:1] in ("#", "-", "+", "=") else escaped


def xml_text(text: str | None) -> str:
    """Text that XML 1.0 accepts (escaping itself is ElementTree's job)."""
    return _XML_INVALID.sub("", clean(text or ""))
