"""What a log's traffic calls for: suggested metrics and gates per segment, and the share of
traffic a suite checks nothing for (``swapkit suites suggest``, ``swapkit plan``).

From each request (``response_format``, tools, turns) and its reference (a number, a short
label, JSON, free text, tool calls, or none), a record *needs* some checks: JSON mode needs
``json_valid``, a JSON schema ``json_schema_valid``, a numeric reference ``answer_match``
with numbers compared as numbers, a label ``label_match``, free text with a reference
``similarity_to_reference``, and traffic without references agreement with the baseline.
A suite covers a record when one of its metrics checks what the record needs.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from swapkit.config import Suite
from swapkit.records import Record
from swapkit.support.numbers import fmt_count, fmt_percent

__all__ = ["Need", "Suggestion", "coverage_warnings", "needs", "suggest_suite"]

NUMERIC = re.compile(r"^\s*[-−+]?[$€£¥]?\s?[\d,]*\.?\d+(?:[eE][-+]?\d+)?\s*%?\s*$")


@dataclass(frozen=True)
class Need:
    """One check a kind of traffic needs: the metric (with options) and why."""

    key: str  # what is checked, e.g. "json", "schema", "number"
    metric: str
    options: tuple[tuple[str, object], ...] = ()
    why: str = ""
    satisfied_by: tuple[str, ...] = ()  # other metrics that check the same


JSON_MODE = Need("json", "json_valid", (), "requests ask for JSON (response_format)",
                 ("json_schema_valid",))
SCHEMA = Need("schema", "json_schema_valid", (), "requests give a JSON schema")
JSON_REFERENCE = Need("json_reference", "json_field_match", (("extract", "json"),),
                      "references are JSON: which fields changed")
TOOLS = Need("tools", "tool_call_match", (), "references are tool calls")
NUMBER = Need("number", "answer_match",
              (("extract", "last_number"), ("normalize", ("number",))),
              "references are numbers: compare the final number, not the text",
              ("exact_match", "contains", "regex"))
LABEL = Need("label", "label_match", (), "references are short labels",
             ("exact_match", "answer_match"))
TEXT = Need("text", "similarity_to_reference", (), "references are free text",
            ("rouge_l", "bleu", "chrf", "answer_match", "exact_match", "contains",
             "judge_pairwise", "judge_score", "judge_reference"))
AGREEMENT = Need("agreement", "similarity", (), "no reference: judged by agreement with the "
                 "baseline against its own noise", ("answer_agreement", "judge_pairwise",
                                                    "judge_score"))


def needs(record: Record) -> list[Need]:
    """The checks this record's traffic calls for."""
    found: list[Need] = []
    response_format = record.request.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("json_object", "json_schema"):
        found.append(JSON_MODE)
    if kind == "json_schema":
        found.append(SCHEMA)
    reference = record.reference
    if isinstance(reference, dict) and isinstance(reference.get("tool_calls"), list):
        found.append(TOOLS)
    elif isinstance(reference, dict | list) or (
            isinstance(reference, str) and reference.lstrip().startswith(("{", "["))
            and _is_json(reference)):
        found.append(JSON_REFERENCE)
    elif isinstance(reference, int | float) or (
            isinstance(reference, str) and NUMERIC.match(reference)):
        found.append(NUMBER)
    elif isinstance(reference, str) and reference.strip():
        found.append(LABEL if len(reference) <= 64 and len(reference.split()) <= 3 else TEXT)
    elif reference is None and not record.request.get("tools"):
        found.append(AGREEMENT)
    return found


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@dataclass
class Suggestion:
    """Per segment: records and the needs with their counts; the suite that covers them."""

    segments: dict[str, int] = field(default_factory=dict)
    needs: dict[str, Counter[Need]] = field(default_factory=dict)

    def suite_yaml(self) -> str:
        """A suite file covering every need seen, with why, ready to edit."""
        lines = ["# Suggested by `swapkit suites suggest` from the log's requests and references;",
                 "# check the margins (docs/methodology.md §2.6) before using it.",
                 "name: suggested", "metrics:"]
        seen: dict[str, Need] = {}
        for counter in self.needs.values():
            for need in counter:
                seen.setdefault(need.metric, need)
        for need in seen.values():
            options = dict(need.options)
            spec = need.metric if not options else f"{need.metric}: {json.dumps(options)}"
            lines.append(f"  - {spec}  # {need.why}")
        lines.append("gates:")
        for need in seen.values():
            if need.metric == "similarity":
                lines.append("  - {metric: similarity, kind: noise_ratio, max: 1.5, "
                             "hard: false}")
            else:
                margin = {"json": 0.01, "schema": 0.01, "text": 0.02,
                          "json_reference": 0.03}.get(need.key, 0.03)
                lines.append(f"  - {{metric: {need.metric}, kind: noninferiority, "
                             f"margin: {margin}}}")
        lines += ["  - {metric: failure_rate, kind: noninferiority, margin: 0.01}",
                  "  - {metric: latency_p95, kind: ratio_noninferiority, margin: 0.2, "
                  "hard: false}",
                  "  - {metric: cost, kind: ratio_noninferiority, margin: 0.1, hard: false}"]
        return "\n".join(lines) + "\n"

    def table(self) -> str:
        """Per segment: records, and what they need with the share of records."""
        lines = []
        for segment, count in self.segments.items():
            lines.append(f"{segment}: {fmt_count(count)} records")
            for need, k in self.needs[segment].most_common():
                lines.append(f"  {need.metric:<24} {fmt_percent(k / count, 0):>5}  {need.why}")
        return "\n".join(lines)


def suggest_suite(records: Iterable[Record]) -> Suggestion:
    """What the records call for, per segment."""
    result = Suggestion()
    per_segment: dict[str, Counter[Need]] = defaultdict(Counter)
    counts: Counter[str] = Counter()
    for record in records:
        segment = record.segment or "(none)"
        counts[segment] += 1
        per_segment[segment].update(needs(record))
    result.segments = dict(counts.most_common())
    result.needs = {s: per_segment[s] for s in result.segments}
    return result


def coverage_warnings(suite: Suite, records: Iterable[Record]) -> list[str]:
    """One line per need that a share of the traffic has and the suite checks nothing for."""
    from swapkit.scoring.metrics import parse_spec

    metrics = {parse_spec(s)[0] for s in suite.metrics} | {g.metric for g in suite.gates}
    total = 0
    missing: Counter[Need] = Counter()
    for record in records:
        total += 1
        for need in needs(record):
            if need.metric not in metrics and not metrics & set(need.satisfied_by):
                missing[need] += 1
    return [f"{fmt_percent(k / total, 0)} of the records ({fmt_count(k)}): {need.why}, but the "
            f"suite has no {need.metric} (or a metric that checks the same)"
            for need, k in missing.most_common() if total and k / total >= 0.01]
