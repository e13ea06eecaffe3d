"""Gathering everything a report shows from the run store (never calls a model)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import numpy as np

from swapkit.completion import Completion
from swapkit.config import SIDES, SwapConfig, TargetConfig
from swapkit.decision.model import SCHEMA_VERSION, Decision, GateResult
from swapkit.errors import UsageError
from swapkit.records import last_user_text, message_text
from swapkit.report.diff import json_field_diff, word_diff
from swapkit.report.model import RecordRow, ReportData, SideAnswer, TargetInfo
from swapkit.scoring.metrics.base import MetricScores, RunData
from swapkit.scoring.regression import regression_scores
from swapkit.scoring.score import load_run_data, load_scores
from swapkit.store import RunStore
from swapkit.store.runs import stored_config
from swapkit.support.numbers import fmt_count

__all__ = ["MAX_CHARS", "MAX_RECORDS", "blocking_scores", "build_report_data",
           "counts_against", "failed_gate_flag", "record_row", "regression_scores"]

MAX_RECORDS = 1000  # records in the explorer: the worst regressions first
MAX_CHARS = 2000  # characters of any one text in the report


def _cut(text: str | None, limit: int) -> tuple[str | None, bool]:
    if text is None or len(text) <= limit:
        return text, False
    return text[:limit] + " [...]", True


def _side(c: Completion | None, limit: int) -> SideAnswer:
    if c is None:
        return SideAnswer(status="not replayed")
    answer, cut_a = _cut(c.answer, limit)
    reasoning, cut_r = _cut(c.reasoning, limit)
    calls = [{"name": t.name, "arguments": _cut(t.arguments, limit)[0] or ""}
             for t in c.tool_calls]
    return SideAnswer(status=c.status, answer=answer or "", reasoning=reasoning,
                      tool_calls=calls, error=_cut(c.error, 500)[0], latency_s=c.latency_s,
                      ttft_s=c.ttft_s, cost_usd=c.cost_usd, cut=cut_a or cut_r)


def blocking_scores(data: RunData, scores: dict[str, MetricScores], decision: Decision
                    ) -> np.ndarray:
    """Per record: the drops on the metrics of the gates that block the verdict (the NO-GO's
    or the open ones), in their segments only: the records that explain the verdict."""
    total = np.zeros(len(data))
    segments = np.array([s or "(none)" for s in data.record_field("segment")], dtype=object)
    for g in decision.gates:
        s = scores.get(g.metric)
        if g.name not in decision.blocking or s is None or s.kind == "ratio":
            continue
        base, cand = (s.base, s.cand) if s.higher_is_better else (-s.base, -s.cand)
        drop = np.clip(np.nan_to_num(base - cand, nan=0.0), 0, None)
        total += drop if g.segment is None else np.where(segments == g.segment, drop, 0.0)
    return total


def failed_gate_flag(gate: GateResult) -> str:
    """The explorer's flag for the records that count against a failed gate."""
    return f"fails gate: {gate.name}"


def counts_against(gate: GateResult, s: MetricScores, i: int, divergent: bool) -> bool:
    """Whether record i counts against ``gate``: its candidate did worse on the metric."""
    if gate.scale == "divergence":
        return divergent
    base, cand = float(s.base[i]), float(s.cand[i])
    if gate.scale == "rate":  # the candidate's own event (an error, a broken JSON)
        return not np.isnan(cand) and (cand > 0.5 if not s.higher_is_better else cand < 0.5)
    if np.isnan(base) or np.isnan(cand):
        return False
    return cand < base if s.higher_is_better else cand > base


def _flags(i: int, data: RunData, scores: dict[str, MetricScores], divergent: set[str],
           failed: list[GateResult]) -> tuple[list[str], dict[str, str]]:
    flags, details = [], {}
    segment = data.records[i].segment or "(none)"
    against = set()  # metrics already named by a failed gate's flag
    for gate in failed:
        s = scores.get(gate.metric)
        if s is None or gate.segment not in (None, segment):
            continue
        if counts_against(gate, s, i, data.records[i].id in divergent):
            flags.append(failed_gate_flag(gate))
            against.add(gate.metric)
    if data.records[i].id in divergent:
        flags.append("divergent")
    b, c = data.base[i], data.cand[i]
    if c is not None and c.status != "ok":
        flags.append(f"candidate {c.status}")
    if b is not None and b.status != "ok":
        flags.append(f"baseline {b.status}")
    for name, s in scores.items():
        if s.kind == "ratio" or np.isnan(s.base[i]) or np.isnan(s.cand[i]):
            continue
        worse = s.cand[i] < s.base[i] if s.higher_is_better else s.cand[i] > s.base[i]
        if s.kind == "binary" and worse and name not in against:
            flags.append(f"regressed: {name}")
        if i < len(s.details) and s.details[i]:
            details[name] = str(s.details[i])
    return flags, details


def record_row(i: int, data: RunData, scores: dict[str, MetricScores], regression: float,
               blocking: float, divergent: set[str], failed: list[GateResult], limit: int
               ) -> RecordRow:
    """Record ``i`` as the explorer (and ``swapkit view``) shows it, texts cut at ``limit``."""
    record = data.records[i]
    base, cand = data.base[i], data.cand[i]
    flags, details = _flags(i, data, scores, divergent, failed)
    reference = record.reference
    ref_text = reference if isinstance(reference, str) else (
        None if reference is None else str(reference))
    b_text = base.answer if base is not None else ""
    c_text = cand.answer if cand is not None else ""
    return RecordRow(
        id=record.id, position=i, segment=record.segment,
        conversation_id=record.conversation_id,
        prompt=_cut(last_user_text(record.request), limit)[0] or "",
        conversation=[{"role": str(m.get("role")), "text": _cut(message_text(m), limit)[0] or ""}
                      for m in record.messages],
        reference=_cut(ref_text, limit)[0], baseline=_side(base, limit),
        candidate=_side(cand, limit),
        scores={name: [None if np.isnan(s.base[i]) else float(s.base[i]),
                       None if np.isnan(s.cand[i]) else float(s.cand[i])]
                for name, s in scores.items() if s.kind != "ratio"},
        details=details, flags=flags, regression=round(float(regression), 4),
        blocking=round(float(blocking), 4),
        diff=word_diff(_cut(b_text, limit)[0] or "", _cut(c_text, limit)[0] or ""),
        json_diff=json_field_diff(b_text, c_text),
    )


def _target(side: str, target: TargetConfig, simulated: bool) -> TargetInfo:
    host = None
    if target.base_url:
        parts = urlsplit(target.base_url)
        host = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return TargetInfo(side=side, label=target.display_name,
                      kind="recorded" if target.recorded is not False else "endpoint",
                      model=target.model, host=host, params=target.params, simulated=simulated,
                      price_version=target.price.version if target.price else None)


def _targets(config: SwapConfig, simulated: dict[str, bool]) -> list[TargetInfo]:
    return [_target(side, getattr(config, side), simulated.get(side, False))
            for side in SIDES]


def build_report_data(store: RunStore, max_records: int = MAX_RECORDS,
                      max_chars: int = MAX_CHARS) -> ReportData:
    """The report's content from a scored and decided run."""
    stored = store.get_meta("decision")
    if stored is None:
        raise UsageError(f"{store.run_dir}: no decision stored",
                         hint="run `swapkit gate RUN` (or `swapkit run`) first")
    if not isinstance(stored, dict) or stored.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(f"{store.run_dir}: the decision stored was made by another swapkit "
                         "version (decision schema "
                         f"{stored.get('schema_version') if isinstance(stored, dict) else '?'}"
                         f", this one reads {SCHEMA_VERSION})",
                         hint="run `swapkit gate RUN` to decide again from the stored scores")
    decision = Decision.model_validate(stored)
    config = stored_config(store)
    data = load_run_data(store)
    scores = load_scores(store)
    regression = regression_scores(data, scores)
    blocking = blocking_scores(data, scores, decision)
    # The worst for the blocking gates first, then the largest regression, ties in replay
    # order (lexsort is stable; its last key sorts first).
    shown = np.lexsort((-regression, -blocking))[:max_records].tolist()
    divergent = set(decision.noise.divergent_ids)
    failed = [g for g in decision.gates if g.status == "NO-GO"]
    # Built in replay order (the store reads each page once), shown worst first.
    built = {i: record_row(i, data, scores, regression[i], blocking[i], divergent, failed,
                     max_chars)
             for i in sorted(shown)}
    rows = [built[i] for i in shown]
    omitted = ""
    if len(data) > len(shown):
        omitted = (f"The explorer shows the {fmt_count(len(shown))} records with the largest "
                   "regressions (on the blocking gates first) of "
                   f"{fmt_count(len(data))}; the other "
                   f"{fmt_count(len(data) - len(shown))} are in the run store ({store.run_dir}).")
    from swapkit.support.version import __version__

    simulated = {t.side: t.simulated for t in store.targets().values()}
    return ReportData(
        name=config.name, generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        swapkit_version=__version__, run_id=str(store.get_meta("config_hash", "")),
        log_source=str(config.log.path), records_total=len(data), records_shown=len(rows),
        omitted=omitted, targets=_targets(config, simulated), decision=decision, records=rows,
    )
