"""Extraction: the part of an answer a metric compares (docs/config.md, "extract").

Models write answers as they please: JSON in ```json fences or after a sentence of prose,
``<answer>`` tags, "Final answer: B", reasoning before the answer. A metric option
``extract:`` names one extractor (a registry by name, like metrics and log formats):

- ``json``: the first JSON object or array, bare, fenced or after prose; ``{json: PATH}``
  takes one field (dotted, with list indexes: ``answer``, ``items.0.name``, ``items[0]``);
- ``{tag: NAME}``: the text inside ``<NAME>...</NAME>``;
- ``{regex: PATTERN}``: the group named ``answer``, else group 1, else the whole match;
- ``last_number``, ``last_line``, ``choice`` (a multiple-choice letter A-J, or 1-9).

Beside it, ``from:`` (answer, reasoning or both; reasoning is never searched unless asked)
and ``occurrence:`` (first or last; each extractor has its natural default). Nothing
found is None: the metric scores that side as failed, "no answer found".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from swapkit.completion import Completion
from swapkit.errors import ConfigError
from swapkit.support.hashing import canonical_json

__all__ = ["EXTRACTORS", "NOT_FOUND", "NUMBER", "ExtractOptions", "ExtractSpec", "Extractor",
           "extract", "extract_text", "json_path", "parse_extract", "plain_digits"]

NOT_FOUND = "no answer found"  # the detail a metric gives a side whose extraction found nothing
Occurrence = Literal["first", "last"]
Extractor = Callable[[str, str | None, Occurrence | None], str | None]
NO_ARGUMENT = ("json", "last_number", "last_line", "choice")
WITH_ARGUMENT = ("json", "tag", "regex")


class ExtractSpec(BaseModel):
    """One extraction: the extractor, its argument, where to look, which occurrence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    argument: str | None = None
    source: Literal["answer", "reasoning", "both"] = "answer"
    occurrence: Occurrence | None = None

    def describe(self) -> str:
        """``json: answer`` or ``last_number``, for details and reports."""
        return f"{self.name}: {self.argument}" if self.argument is not None else self.name


def parse_extract(value: Any, source: str = "answer", occurrence: str | None = None,
                  where: str = "extract") -> ExtractSpec:
    """The suite's ``extract:`` value (a name, or ``{name: argument}``) as a spec."""
    if isinstance(value, str):
        if value not in NO_ARGUMENT:
            raise ConfigError(f"{where}: unknown extractor {value!r}",
                              hint=f"use one of {', '.join(NO_ARGUMENT)}, or a mapping "
                              f"{{json: PATH}}, {{tag: NAME}}, {{regex: PATTERN}}")
        name, argument = value, None
    elif isinstance(value, dict) and len(value) == 1:
        name, raw = next(iter(value.items()))
        if name not in WITH_ARGUMENT or not isinstance(raw, str) or not raw:
            raise ConfigError(f"{where}: {value!r} is not an extractor with an argument",
                              hint="write {json: PATH}, {tag: NAME} or {regex: PATTERN}")
        argument = raw
        if name == "regex":
            try:
                re.compile(raw)
            except re.error as err:
                raise ConfigError(f"{where}: regex {raw!r} is invalid: {err}") from None
    else:
        raise ConfigError(f"{where}: {value!r} is not an extractor",
                          hint="a name (json, last_number, last_line, choice) or a mapping "
                          "with exactly one key: {json: PATH}, {tag: NAME}, {regex: PATTERN}")
    if source not in ("answer", "reasoning", "both"):
        raise ConfigError(f"{where}: from: {source!r}", hint="answer, reasoning or both")
    if occurrence not in (None, "first", "last"):
        raise ConfigError(f"{where}: occurrence: {occurrence!r}", hint="first or last")
    return ExtractSpec(name=name, argument=argument, source=source,  # type: ignore[arg-type]
                       occurrence=occurrence)  # type: ignore[arg-type]


# -- JSON ----------------------------------------------------------------------------------

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|jsonc)?[ \t]*\n(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()


def _json_values(text: str) -> Iterator[Any]:
    """Every JSON object or array in ``text``: fenced blocks first, then bare ones."""
    stripped = text.strip()
    try:
        value = json.loads(stripped)
        if isinstance(value, dict | list):
            yield value
            return
    except ValueError:
        pass
    for block in _FENCE.findall(text):
        try:
            value = json.loads(block.strip())
        except ValueError:
            continue
        if isinstance(value, dict | list):
            yield value
    position = 0
    while True:
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
        if not starts:
            return
        start = min(starts)
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        if isinstance(value, dict | list):
            yield value
        position = end


_PATH_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


def json_path(value: Any, path: str) -> Any:
    """``value`` at a dotted path with list indexes; a KeyError when it is not there."""
    for part in _PATH_PART.findall(path):
        key = part.strip("[]") if part.startswith("[") else part
        if isinstance(value, list) and key.lstrip("-").isdigit():
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise KeyError(path)
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value).decode()


def _json(text: str, path: str | None, occurrence: Occurrence | None) -> str | None:
    values = list(_json_values(text))
    if occurrence == "last":
        values.reverse()
    for value in values:
        if path is None:
            return _as_text(value)
        try:
            return _as_text(json_path(value, path))
        except (KeyError, IndexError):
            continue
    return None


# -- text ----------------------------------------------------------------------------------

def _pick(matches: list[str], occurrence: Occurrence | None, default: Occurrence) -> str | None:
    if not matches:
        return None
    return matches[0] if (occurrence or default) == "first" else matches[-1]


def _tag(text: str, name: str | None, occurrence: Occurrence | None) -> str | None:
    pattern = re.compile(rf"<{re.escape(name or '')}(?:\s[^>]*)?>(.*?)</{re.escape(name or '')}>",
                         re.DOTALL | re.IGNORECASE)
    found = _pick([m.strip() for m in pattern.findall(text)], occurrence, "last")
    return found


def _regex(text: str, pattern: str | None, occurrence: Occurrence | None) -> str | None:
    compiled = re.compile(pattern or "")
    values = []
    for match in compiled.finditer(text):
        if "answer" in compiled.groupindex:
            values.append(match.group("answer"))
        elif compiled.groups:
            values.append(match.group(1))
        else:
            values.append(match.group(0))
    return _pick([v.strip() for v in values if v is not None], occurrence, "first")


NUMBER = re.compile(
    r"(?<![\w.])[-−+]?[$€£¥]?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?"
    r"(?:\s?/\s?\d+(?:\.\d+)?)?%?")


def _last_number(text: str, _: str | None, occurrence: Occurrence | None) -> str | None:
    return _pick([m.group(0).strip() for m in NUMBER.finditer(plain_digits(text))],
                 occurrence, "last")


def _last_line(text: str, _: str | None, occurrence: Occurrence | None) -> str | None:
    lines = [line.strip().strip("*_`").strip() for line in text.splitlines()]
    return _pick([line for line in lines if line], occurrence, "last")


_CHOICE_PATTERNS = [
    # "The answer is (B)", "Answer: B", "final answer: **C**", "答案：B"
    re.compile(r"(?:answer|choice|option)\s*(?:is|:|=)?\s*[(\[*]*\s*([A-J]|[1-9])\b[)\].*]*",
               re.IGNORECASE),
    re.compile(r"答案\s*[:：是为]?\s*[(（]?([A-J])"),
    re.compile(r"\*\*\(?([A-J])\)?\*\*"),  # **B** or **(B)**
    re.compile(r"^\s*\(?([A-J])[).:]?\s*$", re.MULTILINE),  # a line that is only "B." / "(B)"
    re.compile(r"^\s*\(?([A-J])[).:]\s", re.MULTILINE),  # "B. because ..." at a line start
    re.compile(r"\(([A-J])\)"),  # "(B)" anywhere
]


def _choice(text: str, _: str | None, occurrence: Occurrence | None) -> str | None:
    for pattern in _CHOICE_PATTERNS:
        found = _pick([m.upper() for m in pattern.findall(text)], occurrence, "last")
        if found is not None:
            return found
    return None


EXTRACTORS: dict[str, Extractor] = {
    "json": _json, "tag": _tag, "regex": _regex, "last_number": _last_number,
    "last_line": _last_line, "choice": _choice,
}

_DIGITS = {ord(c): str(d) for c, d in (
    *((chr(0x0660 + i), i) for i in range(10)),  # Arabic-Indic
    *((chr(0x06F0 + i), i) for i in range(10)),  # Eastern Arabic-Indic
    *((chr(0x0966 + i), i) for i in range(10)),  # Devanagari
    *((chr(0xFF10 + i), i) for i in range(10)),  # full width
)}


def plain_digits(text: str) -> str:
    """Digits of other scripts as ASCII digits (full-width, Arabic-Indic, Devanagari)."""
    return text.translate(_DIGITS)


def extract_text(text: str, spec: ExtractSpec) -> str | None:
    """The extracted value from ``text`` (None: nothing found)."""
    return EXTRACTORS[spec.name](text, spec.argument, spec.occurrence)


def extract(completion: Completion, spec: ExtractSpec | None) -> str | None:
    """What ``spec`` extracts from an answer (its whole text when there is no spec)."""
    if spec is None:
        return completion.answer
    if spec.source == "answer":
        text = completion.answer
    elif spec.source == "reasoning":
        text = completion.reasoning or ""
    else:
        text = f"{completion.reasoning or ''}\n{completion.answer}"
    return extract_text(text, spec)


class ExtractOptions(BaseModel):
    """The options every extracting metric accepts (``extract``, ``from``, ``occurrence``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    extract: str | dict[str, str] | None = None
    from_: Literal["answer", "reasoning", "both"] = Field(default="answer", alias="from")
    occurrence: Occurrence | None = None
    extract_reference: str | dict[str, str] | None = None

    def spec(self, metric: str) -> ExtractSpec | None:
        """The answer's extraction (None: compare the whole answer)."""
        if self.extract is None:
            return None
        return parse_extract(self.extract, self.from_, self.occurrence, f"metric {metric}")

    def reference_spec(self, metric: str) -> ExtractSpec | None:
        """The reference's extraction (None: the reference as it is)."""
        if self.extract_reference is None:
            return None
        return parse_extract(self.extract_reference, "answer", self.occurrence,
                             f"metric {metric}: extract_reference")
