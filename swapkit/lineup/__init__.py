"""Several candidates in one run: the baseline replayed once, each candidate decided, and
the cheapest safe one recommended (docs/methodology.md §6.3).

Each candidate is a run of its own in ``run_dir/NAME`` (resume, reports and ``swapkit
view`` work on it as on any run). The first candidate's run replays the baseline; every
other run starts from a copy of the baseline's answers stored in its siblings' folders
(same target, same sample: the same keys), so the baseline's endpoint sees each request
once, also when a candidate joins the lineup later. The request and spend caps hold for
the lineup: each run gets what the earlier ones left.

The recommendation is the cheapest candidate (by its measured cost per request, or p95
latency) whose verdict is GO for the lineup. A candidate's GO p-value is the largest of
its hard gates' (every gate must hold: intersection-union). Two designs keep the chance of
recommending a candidate that is truly worse than a margin on a hard gate at α:

- ``sequence`` (the default): a fixed sequence fixed before any answer is seen, the
  dearest candidate by *planned* cost first (prices × the log's tokens): each is tested at
  α, and the sequence stops at the first that is not GO; the ones after it are not tested.
  This is the step-down search for the lowest effective dose, and it spends no α on the
  number of candidates.
- ``holm``: Holm's step-down over all the candidates' GO p-values (no order needed; it
  pays for their number).

``results`` holds the verdicts and the adjustment, ``early_stop`` the watched replay,
``output`` the table and report files. May import the main job (pipeline, plan) and every
layer below it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from swapkit.config import DEFAULT_SUITE, Suite, SwapConfig
from swapkit.decision.model import Decision
from swapkit.lineup.early_stop import replay_watching
from swapkit.lineup.output import (
    lineup_headline,
    lineup_json,
    lineup_markdown,
    lineup_table,
    write_lineup_reports,
)
from swapkit.lineup.results import (
    CandidateResult,
    EarlyStop,
    LineupResult,
    Multiplicity,
    RankBy,
    adjust,
    recommend,
    sequence_order,
)
from swapkit.pipeline import RunOptions, RunResult, run_migration, with_options
from swapkit.replay.targets import target_hash, target_identity
from swapkit.report.lineup_page import LINEUP_FILE
from swapkit.store import DB_NAME, RunStore

__all__ = ["LINEUP_FILE", "CandidateResult", "EarlyStop",
           "LineupResult", "adjust", "lineup_exit_code", "lineup_headline", "lineup_json",
           "lineup_markdown", "lineup_table", "recommend", "run_lineup", "sequence_order",
           "write_lineup_reports"]


def _seed_baseline(source: Path, run_dir: Path, config: SwapConfig) -> None:
    """Copy the baseline's stored answers of another candidate's run into ``run_dir``, and
    the embeddings it holds (a cache by text: the baseline's answers are embedded once)."""
    name = target_hash(target_identity(config.baseline))
    with RunStore(run_dir) as store:
        store.db.execute("ATTACH DATABASE ? AS earlier", (str(source / DB_NAME),))
        try:
            with store.db:
                for table, where in (("completions", " WHERE target = ?"), ("embeddings", "")):
                    # by column name: the two stores may have been migrated apart
                    mine = [r[1] for r in store.db.execute(f"PRAGMA main.table_info({table})")]
                    theirs = {r[1] for r in store.db.execute(
                        f"PRAGMA earlier.table_info({table})")}
                    columns = ", ".join(c for c in mine if c in theirs)
                    store.db.execute(f"INSERT OR IGNORE INTO main.{table} ({columns}) SELECT "
                                     f"{columns} FROM earlier.{table}{where}",
                                     (name,) if where else ())
        finally:
            store.db.execute("DETACH DATABASE earlier")


def _stored(name: str, member: SwapConfig) -> CandidateResult | None:
    """A candidate not run this time, from its run's stored decision (None: never decided
    here, so the lineup cannot count it as GO)."""
    assert member.run_dir is not None
    if not (member.run_dir / DB_NAME).is_file():
        return None
    with RunStore(member.run_dir, read_only=True) as store:
        raw = store.get_meta("decision")
    try:
        decision = Decision.model_validate(raw) if isinstance(raw, dict) else None
    except ValueError:
        return None
    if decision is None:
        return None
    cost, latency = _operations(decision)
    return CandidateResult(name, member.run_dir, decision, _p_go(decision), decision.verdict,
                           cost, latency)


def _spent(run_dir: Path) -> float:
    """What the run's store counts as spent (copied baseline answers included)."""
    if not (run_dir / DB_NAME).is_file():
        return 0.0
    with RunStore(run_dir, read_only=True) as store:
        return store.spent_usd()


def _alpha(member: SwapConfig) -> float:
    suite = member.suite
    return suite.alpha if isinstance(suite, Suite) else DEFAULT_SUITE.alpha


def _p_go(decision: Decision) -> float | None:
    """A GO's p-value: every hard gate's GO claim must hold, so the largest of theirs."""
    if decision.verdict != "GO":
        return None
    hard = [g.p_noninferior for g in decision.gates if g.hard and g.status == "GO"]
    return max((p for p in hard if p is not None), default=0.0)


def _operations(decision: Decision) -> tuple[float | None, float | None]:
    """The candidate's cost per request and p95 latency."""
    side = decision.operations[1] if len(decision.operations) > 1 else None
    return (None, None) if side is None else (side.cost_per_request, side.latency_p95)


def run_lineup(config: SwapConfig, options: RunOptions | None = None,
               names: list[str] | None = None, rank_by: RankBy | None = None,
               stage: Callable[[str], None] | None = None,
               multiplicity: Multiplicity | None = None, early_stop: bool | None = None,
               write_reports: bool = True) -> LineupResult:
    """Run every candidate of ``config``'s lineup (or ``names``) and recommend one; with
    ``early_stop``, a candidate whose replay shows a settled NO-GO on a hard gate stops
    being sent requests (not with a request or spend cap). ``rank_by``, ``multiplicity``
    and ``early_stop`` default to swap.yaml's ``lineup:``."""
    options = options or RunOptions()
    rank_by = config.lineup.rank_by if rank_by is None else rank_by
    multiplicity = config.lineup.multiplicity if multiplicity is None else multiplicity
    early_stop = config.lineup.early_stop if early_stop is None else early_stop
    # the sequence is the whole lineup's, whichever candidates run now: a subset must not
    # choose which candidates the sequence passes over
    order = sequence_order(config) if multiplicity == "sequence" else None
    config = _with_dirs(config, options)
    chosen = {name for name, _ in config.members(names)}
    say = stage or (lambda _: None)
    results: list[CandidateResult] = []
    notes: list[str] = []
    # every candidate's run folder, those of an earlier run of this lineup included (a
    # candidate added since starts from the baseline answers they hold)
    siblings = [m.run_dir for _, m in config.members() if m.run_dir is not None]
    requests = options.max_requests or config.replay.max_requests
    spend = options.max_spend_usd or config.replay.max_spend_usd
    notes_capped = False
    for name, member in config.members():
        assert member.run_dir is not None
        if name not in chosen:  # not run now: its stored decision takes its place
            stored = _stored(name, member)
            if stored is not None:
                results.append(stored)
            continue
        if (requests is not None and requests <= 0) or (spend is not None and spend <= 0):
            notes.append(f"{name}: not replayed: the lineup's request or spend cap was reached")
            continue
        if not options.report_only:
            for source in siblings:
                if source != member.run_dir and (source / DB_NAME).is_file():
                    _seed_baseline(source, member.run_dir, member)
        # the copied baseline answers count toward a run's own spend cap: add them back
        copied = _spent(member.run_dir) if spend is not None else 0.0
        say(f"candidate {name}")
        stop, sent, spent = None, 0, 0.0
        watching = (early_stop and not options.report_only and options.only is None
                    and requests is None and spend is None)  # caps stay exact unwatched
        if early_stop and not watching and not options.report_only and not notes_capped:
            notes.append("early stopping is off: a request or spend cap (or --only) is set, "
                         "and the plain replay keeps it exact")
            notes_capped = True
        if watching:
            sized = with_options(member, RunOptions(max_records=options.max_records))
            stop, sent, spent = replay_watching(sized, options, _alpha(member))
        run: RunResult = run_migration(member, RunOptions(
            max_records=options.max_records, only=options.only,
            # watched to the end with no judge to ask: everything is stored already
            report_only=options.report_only or stop is not None or (
                watching and member.judge is None), quiet=options.quiet,
            max_requests=requests, max_spend_usd=None if spend is None else spend + copied,
            fail_fast=options.fail_fast, preflight=options.preflight and not watching,
            formats=options.formats), stage)
        if run.replay is not None:
            sent += sum(t.attempts for t in run.replay.targets)
            spent += sum(t.spend_usd for t in run.replay.targets)
        requests = None if requests is None else requests - sent
        spend = None if spend is None else spend - spent
        notes.extend(f"{name}: {note}" for note in run.notes)
        cost, latency = _operations(run.decision)
        if stop is not None:
            notes.append(f"{name}: {stop.note(cost)}")
        results.append(CandidateResult(name, member.run_dir, run.decision, _p_go(run.decision),
                                       run.decision.verdict, cost, latency, run.reports, stop))
    alpha = results[0].decision.alpha if results else 0.05
    adjust(results, alpha, order, family=len(config.members()))
    lineup = LineupResult(results, recommend(results, rank_by), rank_by, alpha, notes,
                          multiplicity=multiplicity, order=order or [])
    if write_reports:
        _write(lineup, config)
    return lineup


def _with_dirs(config: SwapConfig, options: RunOptions) -> SwapConfig:
    """``config`` with the command line's run and report folders."""
    if options.run_dir is not None:
        config = config.model_copy(update={"run_dir": options.run_dir})
    if options.report_dir is not None:
        config = config.model_copy(update={"report": config.report.model_copy(
            update={"dir": options.report_dir})})
    return config


def _write(lineup: LineupResult, config: SwapConfig) -> None:
    """The lineup's reports, and its summary beside the candidates' runs (the viewer's)."""
    import json

    lineup.reports = write_lineup_reports(lineup, config.report.dir, config.name)
    if lineup.candidates:
        (lineup.candidates[0].run_dir.parent / LINEUP_FILE).write_text(json.dumps(
            {"name": config.name, **lineup_json(lineup)}, indent=2, ensure_ascii=False),
            encoding="utf-8")


def lineup_exit_code(result: LineupResult, require: str | None = None,
                     inconclusive: str = "fail") -> int:
    """0 when a candidate is recommended, 1 when every candidate is NO-GO, 4 otherwise (0
    with ``inconclusive`` warn or pass); with ``require``, that candidate's own code."""
    if require is not None:
        chosen = next((r for r in result.candidates if r.name == require), None)
        verdict = chosen.verdict if chosen is not None else "INCONCLUSIVE"
        return {"GO": 0, "NO-GO": 1}.get(verdict, 4 if inconclusive == "fail" else 0)
    if result.recommended is not None:
        return 0
    if result.candidates and all(r.verdict == "NO-GO" for r in result.candidates):
        return 1
    return 4 if inconclusive == "fail" else 0
