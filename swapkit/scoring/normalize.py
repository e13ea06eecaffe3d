"""Normalization: when two extracted answers count as the same (docs/config.md, "normalize").

``normalize:`` is a list of steps, applied in a fixed order whatever the order written:

- text steps: ``unicode`` (NFKC), ``strip``, ``lower``, ``punctuation``, ``articles``,
  ``whitespace``;
- ``number``: both sides read as numbers and compared within ``tolerance`` (relative and
  absolute, default 1e-6): thousands separators (a comma before exactly three digits:
  "1,234.50" is 1234.5; "1.234" is one point two three four), currency signs, unit words
  ("18 apples"), a trailing "%" ("75%" is 75, not 0.75), fractions ("3/4"), trailing zeros,
  scientific notation, and digits of other scripts;
- ``math``: symbolic equivalence of simple expressions and LaTeX (``\\frac{3}{4}`` = 0.75),
  by the ``math-verify`` package;
- ``json``: canonical JSON (key order, whitespace); ``set``: an order-insensitive list (a
  JSON array, or items separated by commas, semicolons or new lines).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal

from swapkit.errors import ConfigError
from swapkit.scoring.extract import NUMBER, plain_digits
from swapkit.support.hashing import canonical_json
from swapkit.support.numbers import fmt_number

__all__ = ["NORMALIZERS", "Step", "equal", "normalize", "parse_number", "shown"]

Step = Literal["number", "math", "lower", "strip", "whitespace", "punctuation", "articles",
               "unicode", "json", "set"]
NORMALIZERS: tuple[Step, ...] = ("number", "math", "lower", "strip", "whitespace",
                                 "punctuation", "articles", "unicode", "json", "set")
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.IGNORECASE)
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SEPARATORS = re.compile(r"[,;\n]")


def parse_number(text: str) -> float | None:
    """The number ``text`` writes (the first one in it), or None."""
    match = NUMBER.search(plain_digits(unicodedata.normalize("NFKC", text)))
    if match is None:
        return None
    raw = match.group(0).replace("−", "-").replace(" ", "")
    raw = re.sub(r"[$€£¥%]", "", raw).replace(",", "")
    try:
        if "/" in raw:
            top, bottom = raw.split("/", 1)
            return float(top) / float(bottom) if float(bottom) else None
        return float(raw)
    except ValueError:
        return None


def _text(value: str, steps: set[str]) -> str:
    if "unicode" in steps:
        value = unicodedata.normalize("NFKC", value)
    if "strip" in steps:
        value = value.strip()
    if "lower" in steps:
        value = value.lower()
    if "punctuation" in steps:
        value = _PUNCT.sub("", value)
    if "articles" in steps:
        value = _ARTICLES.sub(" ", value)
    if "whitespace" in steps:
        value = " ".join(value.split())
    return value


def _items(value: str) -> list[Any]:
    try:
        parsed = json.loads(value)
        if isinstance(parsed, list):
            return parsed
    except ValueError:
        pass
    return [item.strip() for item in _SEPARATORS.split(value) if item.strip()]


def normalize(value: str, steps: Sequence[str]) -> Any:
    """The comparable form of ``value`` under ``steps`` (a number, a canonical string, a set)."""
    chosen = set(steps)
    if "json" in chosen:
        with contextlib.suppress(ValueError):  # not JSON: compared as text
            value = canonical_json(json.loads(value)).decode()
    if "set" in chosen:
        return frozenset(normalize(str(item) if not isinstance(item, str) else item,
                                   [s for s in steps if s != "set"])
                         if not isinstance(item, dict | list) else canonical_json(item).decode()
                         for item in _items(value))
    if "number" in chosen:
        number = parse_number(value)
        if number is not None:
            return number
    return _text(value, chosen)


def _math_equal(a: str, b: str) -> bool:
    try:
        from math_verify import parse, verify
    except ImportError as err:
        raise ConfigError("normalize: math needs the math-verify package",
                          hint="pip install math-verify (installed with swapkit)") from err
    def parsed(text: str) -> Any:
        return parse(text if "$" in text or "\\" not in text else f"${text}$")
    try:
        return bool(verify(parsed(b), parsed(a)))
    except Exception:  # math-verify raises on what it cannot read: not equal
        return False


def equal(a: str, b: str, steps: Sequence[str], tolerance: float = 1e-6) -> bool:
    """Whether ``a`` and ``b`` are the same answer under ``steps``."""
    left, right = normalize(a, steps), normalize(b, steps)
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=tolerance, abs_tol=tolerance)
    if left == right:
        return True
    return "math" in steps and _math_equal(a, b)


def shown(value: Any) -> str:
    """A normalized value for a detail line: numbers without trailing zeros, sets sorted."""
    if isinstance(value, float):
        return fmt_number(value, 12)
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(str(v) for v in value)) + "}"
    return str(value)
