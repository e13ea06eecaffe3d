"""Text metrics: exact match, contains, regex, refusal, language match."""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Any, Literal

from pydantic import ConfigDict, Field

from swapkit.completion import Completion
from swapkit.records import Record, last_user_text
from swapkit.scoring.extract import NOT_FOUND, ExtractOptions, extract
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData, score_pairs
from swapkit.scoring.metrics.options import NoOptions, parse_options

__all__ = ["Contains", "ExactMatch", "LanguageMatch", "Refusal", "RegexMatch",
           "detect_script", "normalise", "reference_text"]

Normaliser = Literal["lower", "strip", "whitespace", "punctuation", "articles"]
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.IGNORECASE)
_PUNCT = str.maketrans("", "", string.punctuation + "。，、！？：；“”‘’（）")
REFUSAL_PATTERNS = re.compile(
    r"(\bI('m| am) (sorry|afraid)\b.{0,40}\b(can(no|')t|unable|not able)\b"
    r"|\bI (can(no|')t|won't|will not) (help|assist|provide|comply|do that)"
    r"|\bas an AI\b.{0,60}\b(can(no|')t|unable)\b"
    r"|抱歉.{0,10}(无法|不能)|我(无法|不能)(回答|提供|帮助))",
    re.IGNORECASE | re.DOTALL,
)


def reference_text(record: Record) -> str | None:
    """The record's reference as text (None when it has none or it is structured)."""
    reference = record.reference
    if isinstance(reference, str) and reference.strip():
        return reference
    return None


def normalise(text: str, steps: list[Normaliser]) -> str:
    """Apply normalisation steps in a fixed order."""
    if "strip" in steps:
        text = text.strip()
    if "lower" in steps:
        text = text.lower()
    if "punctuation" in steps:
        text = text.translate(_PUNCT)
    if "articles" in steps:
        text = _ARTICLES.sub(" ", text)
    if "whitespace" in steps:
        text = " ".join(text.split())
    return text


class _Normalise(ExtractOptions):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    normalize: list[Normaliser] = Field(default=["strip", "whitespace"])


class ExactMatch:
    """1 when the normalised answer equals the normalised reference."""

    name = "exact_match"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = "answer equals the reference after normalisation (options: normalize, extract)"

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records with a text reference."""
        return reference_text(record) is not None

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score every record with a text reference."""
        opts = parse_options(self.name, _Normalise, options)
        spec = opts.spec(self.name)

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            answer = extract(c, spec)
            if answer is None:
                return 0.0, NOT_FOUND
            ref = normalise(reference_text(data.records[i]) or "", opts.normalize)
            return float(normalise(answer, opts.normalize) == ref), None

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: self.applies_to(data.records[i], options), value)


class _ContainsOptions(ExtractOptions):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    text: str | None = None  # default: the reference
    normalize: list[Normaliser] = Field(default=["lower", "whitespace"])


class Contains:
    """1 when the answer contains the given text (default: the reference)."""

    name = "contains"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = ("answer contains `text` (default: the reference); options: text, normalize, "
                   "extract")

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records with a reference, or all records when ``text`` is given."""
        return _has_needle(record, parse_options(self.name, _ContainsOptions, options))

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records with a reference, or all records when ``text`` is given."""
        opts = parse_options(self.name, _ContainsOptions, options)
        spec = opts.spec(self.name)

        def needle(i: int) -> str | None:
            return opts.text if opts.text is not None else reference_text(data.records[i])

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            answer = extract(c, spec)
            if answer is None:
                return 0.0, NOT_FOUND
            wanted = normalise(needle(i) or "", opts.normalize)
            return float(wanted in normalise(answer, opts.normalize)), None

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: _has_needle(data.records[i], opts), value)


def _has_needle(record: Record, opts: _ContainsOptions) -> bool:
    """contains applies to every record with ``text``, else to those with a reference."""
    return opts.text is not None or reference_text(record) is not None


class _RegexOptions(ExtractOptions):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    pattern: str  # may hold {reference}: the record's reference, escaped
    ignore_case: bool = False


class RegexMatch:
    """1 when the answer matches a regular expression (searched anywhere)."""

    name = "regex"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = ("answer matches `pattern` (re.search; {reference} stands for the record's "
                   "reference); options: pattern, ignore_case, extract")

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Every record; those with a reference when the pattern uses it."""
        return _pattern_applies(record, parse_options(self.name, _RegexOptions, options))

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score every record (records with a reference when the pattern uses it)."""
        opts = parse_options(self.name, _RegexOptions, options)
        spec = opts.spec(self.name)
        flags = re.IGNORECASE if opts.ignore_case else 0
        uses_reference = "{reference}" in opts.pattern
        try:
            fixed = re.compile(opts.pattern.replace("{reference}", "x"), flags)
        except re.error as err:
            from swapkit.errors import ConfigError

            raise ConfigError(f"metric regex: pattern {opts.pattern!r} is invalid: {err}") from None

        def pattern(i: int) -> re.Pattern[str]:
            if not uses_reference:
                return fixed
            reference = re.escape(reference_text(data.records[i]) or "")
            return re.compile(opts.pattern.replace("{reference}", reference), flags)

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            answer = extract(c, spec)
            if answer is None:
                return 0.0, NOT_FOUND
            return float(bool(pattern(i).search(answer))), None

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: _pattern_applies(data.records[i], opts), value)


def _pattern_applies(record: Record, opts: _RegexOptions) -> bool:
    """regex applies to every record; to those with a reference when the pattern uses it."""
    return "{reference}" not in opts.pattern or reference_text(record) is not None


def is_refusal(completion: Completion) -> bool:
    """A refusal: the endpoint said so, or the answer reads like one."""
    return completion.status == "refused" or bool(REFUSAL_PATTERNS.search(completion.answer[:400]))


class Refusal:
    """1 when the model refused (refusal field, content filter, or refusal wording)."""

    name = "refusal"
    kind: Kind = "binary"
    higher_is_better = False
    description = "the model refused (status refused, or refusal wording); lower is better"

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score every record (an answer failure scores as the worst case, a refusal)."""
        parse_options(self.name, NoOptions, options)
        return score_pairs(data, self.name, self.kind, False, lambda i: True,
                           lambda i, c: (float(is_refusal(c)), None))


SCRIPTS = (
    ("zh", re.compile(r"[\u4e00-\u9fff]")), ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")), ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")), ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f]")),
)


def detect_script(text: str) -> str | None:
    """The dominant writing system of ``text`` (a proxy for its language), or None."""
    sample = unicodedata.normalize("NFC", text[:2000])
    counts = {name: len(pattern.findall(sample)) for name, pattern in SCRIPTS}
    # Kana marks Japanese even among the kanji it shares with Chinese.
    if counts["ja"] and counts["ja"] >= 0.1 * counts["zh"]:
        counts["ja"] += counts.pop("zh")
    best = max(counts.items(), key=lambda kv: kv[1])
    return best[0] if best[1] >= 3 else None


class LanguageMatch:
    """1 when the answer is written in the prompt's script (language switch detection)."""

    name = "language_match"
    kind: Kind = "binary"
    higher_is_better = True
    description = "answer in the same writing system as the last user turn"

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records whose prompt has a detectable script and answers that do."""
        prompt_scripts = [detect_script(last_user_text(r.request)) for r in data.records]

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            script = detect_script(c.answer)
            if script is None:  # too little text to tell (a number, a label): no switch
                return 1.0, None
            if script == prompt_scripts[i]:
                return 1.0, None
            return 0.0, f"answer in {script}, prompt in {prompt_scripts[i]}"

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: prompt_scripts[i] is not None, value)
