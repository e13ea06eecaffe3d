"""``log.filter``: which logged calls are replayed, why the others are not, and the
``log.sample`` aliases that fold into it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from swapkit.config import LogConfig, LogFilter, LogSource, load_config
from swapkit.errors import ConfigError
from swapkit.ingest.filtering import RecordFilter, filter_for_log
from swapkit.ingest.formats import read_log
from swapkit.ingest.inspection import inspect_config
from swapkit.ingest.sampling import draw_sample, sample_log
from swapkit.records import Record

from .conftest import assert_cli_ok, assert_usage_error, run_cli

AGENT_TRACES = Path(__file__).parent / "fixtures" / "langfuse" / "agent_traces.jsonl"
UTC_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def record(rid: str = "r", *, model: Any = "gpt-4o", answered_by: Any = None,
           timestamp: datetime | None = UTC_NOON, segment: str | None = None,
           **metadata: Any) -> Record:
    response = {"answer": "ok", "model": answered_by} if answered_by is not None else None
    request: dict[str, Any] = {"messages": [{"role": "user", "content": f"q {rid}"}]}
    if model is not None:
        request["model"] = model
    return Record(id=rid, request=request, response=response, timestamp=timestamp,
                  segment=segment, metadata=metadata)


def why(record: Record, **spec: Any) -> str | None:
    return RecordFilter(LogFilter.model_validate(spec)).reason(record)


def write_config(tmp_path: Path, log: str, log_path: Path = AGENT_TRACES) -> Path:
    path = tmp_path / "swap.yaml"
    path.write_text(f"name: agents\nlog:\n  path: {log_path}\n{log}"
                    "baseline: {recorded: true}\ncandidate: {recorded: true}\n",
                    encoding="utf-8")
    return path


# --- each condition -------------------------------------------------------------------

def test_model_globs_case_insensitive_on_the_model_that_answered() -> None:
    assert why(record(model="DeepSeek-R1"), model="deepseek-r1*") is None
    assert why(record(model="gpt-4o"), model=["claude-*", "gpt-4o"]) is None
    # The response's model wins: an alias or a router asked, this model answered.
    routed = record(model="auto", answered_by="deepseek-r1-0528")
    assert why(routed, model="deepseek-r1*") is None
    assert why(routed, model="auto") == "model not in [auto]"
    # A provider prefix (proxies, OpenRouter) does not hide the model's own name.
    assert why(record(model="deepseek/deepseek-r1"), model="deepseek-r1") is None
    assert why(record(model="gpt-4o"), model="deepseek-r1*") == "model not in [deepseek-r1*]"
    assert why(record(model=None), model="gpt-4o") == "no model"
    assert why(record(model=42), model="42") == "no model"  # not a model name


def test_name_reads_the_span_name_every_trace_reader_sets() -> None:
    assert why(record(span_name="chat deepseek-r1"), name="chat *") is None
    assert why(record(span_name="Plan-Step"), name="plan-*") is None  # case-insensitive
    assert why(record(span_name="write-answer"), name=["plan-*", "critique"]) == (
        "name not in [plan-*, critique]")
    assert why(record(name="plan-step"), name="plan-*") == "no name"  # a log's own "name"
    assert why(record(), name="x") == "no name"
    assert why(record(span_name=["not", "text"]), name="x") == "no name"


def test_where_values_lists_globs_and_missing_fields() -> None:
    en = record(locale="en-US", tier=2, tags=["beta", "eu"])
    assert why(en, where={"metadata.locale": "en-US"}) is None
    assert why(en, where={"locale": ["fr", "en-*"]}) is None  # globs for text
    assert why(en, where={"tier": "2"}) is None  # compared as text too
    assert why(en, where={"tags": "eu"}) is None  # a list field: one item is enough
    assert why(en, where={"locale": "fr"}) == "locale not in [fr]"
    assert why(en, where={"metadata.route": "faq"}) == "no metadata.route"
    assert why(en, where={"metadata.route": None}) is None  # null asks for the field's absence
    assert why(en, where={"request.model": "gpt-*"}) is None


def test_time_range_with_and_without_zones() -> None:
    noon = record()  # 2026-11-24 12:00 UTC
    paris = timezone(timedelta(hours=1))
    assert why(noon, since=datetime(2026, 11, 24, 13, 0, tzinfo=paris)) is None  # = 12:00 UTC
    assert why(noon, since="2026-11-24T13:00:01+01:00") == "before since"
    assert why(noon, until="2026-11-24T13:00:00+01:00") == "at or after until"  # exclusive
    assert why(noon, since="2026-11-24T12:00", until="2026-11-25") is None  # no zone: UTC
    assert why(noon, since=date(2026, 11, 25)) == "before since"  # a YAML date: its midnight
    naive = record(timestamp=datetime(2026, 11, 24, 12, 0))  # a zone-less log time is UTC
    assert why(naive, until="2026-11-24T12:00:00Z") == "at or after until"
    assert why(record(timestamp=None), since="2026-01-01") == "no timestamp"


def test_segments_and_the_first_failed_condition_counts() -> None:
    assert why(record(segment="faq"), segments=["faq"]) is None
    assert why(record(), segments=["faq"]) == "segment not in [faq]"
    # Every condition fails: the first in order (model, name, segments, where, time) is named.
    both = {"model": "claude-*", "segments": ["faq"], "since": "2027-01-01"}
    assert why(record(), **both) == "model not in [claude-*]"


def test_time_bounds_as_written() -> None:
    bound = LogFilter.model_validate({"since": " 7D ", "until": "24h"})
    assert (bound.since, bound.until) == ("7d", "24h") and bound.relative()
    assert LogFilter(since="2026-11-24T09:00:00Z").since == datetime(2026, 11, 24, 9, tzinfo=UTC)
    for bad in ("last week", "7 days", "-7d", "2026-13-01", 7):
        with pytest.raises(ValidationError, match="is not a time: give an ISO 8601"):
            LogFilter.model_validate({"since": bad})
    with pytest.raises(ValidationError, match="at least 1 item"):
        LogFilter.model_validate({"model": []})
    assert not LogFilter().is_set() and LogFilter(where={"a": 1}).is_set()


# --- relative bounds: back from the log's latest timestamp -----------------------------

def test_relative_bounds_count_back_from_the_logs_latest_timestamp() -> None:
    latest = datetime(2026, 11, 28, 13, 0, 5, tzinfo=UTC)
    keep = RecordFilter(LogFilter(since="7d", until="1h"), latest)
    assert keep.since == latest - timedelta(days=7) and keep.until == latest - timedelta(hours=1)
    # Resolved from the log itself: the same log gives the same window on any day.
    resolved = filter_for_log(LogFilter(since="7d"), LogSource(path=AGENT_TRACES))
    assert resolved.since == datetime(2026, 11, 21, 13, 0, 4, tzinfo=UTC)
    with pytest.raises(ConfigError, match="counts back from the log's latest timestamp"):
        RecordFilter(LogFilter(since="7d"))
    with pytest.raises(ConfigError, match=r"since \(1d: 2026-11-27T13:00:05\+00:00\) is not "
                       r"before until \(7d: "):
        RecordFilter(LogFilter(since="1d", until="7d"), latest)


def test_relative_bound_on_a_log_without_timestamps_says_so(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"id": "a", "request": {"messages": [
        {"role": "user", "content": "hi"}]}}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no record of the log has a timestamp") as err:
        sample_log(LogConfig(path=log, filter=LogFilter(since="24h")))
    assert "ISO 8601" in (err.value.hint or "")


# --- aliases, one mechanism, determinism ------------------------------------------------

def test_sample_aliases_fold_into_the_filter_and_draw_the_same_sample() -> None:
    where = {"metadata.metadata.step": ["plan", "check"]}  # Langfuse's own metadata
    alias = LogConfig.model_validate({"path": AGENT_TRACES, "sample": {
        "n": 3, "seed": 5, "where": where, "since": "2026-11-20"}})
    direct = LogConfig.model_validate({"path": AGENT_TRACES, "sample": {"n": 3, "seed": 5},
                                       "filter": {"where": where, "since": "2026-11-20"}})
    assert alias.selection() == direct.selection()
    one, two = sample_log(alias), sample_log(direct)
    assert [r.id for r in one.records] == [r.id for r in two.records]
    assert one.filtered_by == two.filtered_by == {"metadata.metadata.step not in [plan, check]": 2,
                                                  "before since": 1}
    # A library caller's draw_sample(records, spec) still applies the spec's own keys.
    drawn = draw_sample(read_log(alias.source()), alias.sample)
    assert [r.id for r in drawn.records] == [r.id for r in one.records]


def test_no_filter_draws_exactly_what_draw_sample_draws() -> None:
    config = LogConfig.model_validate({"path": AGENT_TRACES, "sample": {"n": 4, "seed": 3}})
    plain = draw_sample(read_log(config.source()), config.sample)
    shared = sample_log(config)
    assert [r.id for r in shared.records] == [r.id for r in plain.records]
    assert shared.filtered_out == 0 and shared.filtered_by == {}


def test_the_same_key_in_filter_and_sample_is_a_config_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, "  filter: {since: 7d}\n  sample: {since: 2026-11-01}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "log.filter.since and log.sample.since are both given" in message
    assert "swap.yaml" in message and "keep only log.filter.since" in message


def test_a_stored_config_reads_back_with_the_same_filter() -> None:
    """The run store keeps ``model_dump``: every key present, defaults included."""
    for log in ({"filter": {"model": "gpt-*", "since": "7d"}, "sample": {"n": 2}},
                {"sample": {"where": {"tier": "pro"}, "until": "2026-11-30"}}, {}):
        config = LogConfig.model_validate({"path": AGENT_TRACES, **log})
        again = LogConfig.model_validate(config.model_dump(mode="json"))
        assert again.selection() == config.selection()


def test_command_line_keys_replace_the_configs_own() -> None:
    config = LogConfig.model_validate({"path": AGENT_TRACES, "filter": {
        "model": "gpt-*", "where": {"metadata.step": "plan", "metadata.locale": "en-*"}},
        "sample": {"since": "2026-11-01", "n": 2}})
    narrowed = config.with_filter({"model": ["deepseek-*"], "where": {"metadata.step": "check"}})
    assert narrowed.filter.model == ["deepseek-*"]
    assert narrowed.filter.where == {"metadata.step": "check", "metadata.locale": "en-*"}
    assert narrowed.filter.since == datetime(2026, 11, 1, tzinfo=UTC)  # the alias, folded in
    assert "since" not in narrowed.sample.model_fields_set and narrowed.sample.n == 2
    assert config.with_filter({}) is config


# --- a multi-step trace ------------------------------------------------------------------

def test_a_filter_picks_calls_out_of_agent_traces_and_keeps_their_conversations() -> None:
    """Langfuse agent traces: plan (deepseek-r1), a tool, write (gpt-4o-mini), critique
    (deepseek-r1 behind a provider prefix); an older trace outside the last week."""
    last_week = LogConfig(path=AGENT_TRACES,
                          filter=LogFilter(model=["deepseek-r1*"], since="7d"))
    sample = sample_log(last_week)
    picked = {r.id: r.conversation_id for r in sample.records}
    assert picked == {"gen-plan-1": "trace-agent-1", "gen-critique-1": "trace-agent-1",
                      "gen-plan-2": "trace-agent-2"}
    assert sample.filtered_by == {"model not in [deepseek-r1*]": 2, "before since": 1}
    assert sample.since == datetime(2026, 11, 21, 13, 0, 4, tzinfo=UTC)
    # By span name: the writer of each trace; the trace id still groups each conversation.
    writers = sample_log(LogConfig(path=AGENT_TRACES, filter=LogFilter(name=["write-*"])))
    assert Counter(r.conversation_id for r in writers.records) == {
        "trace-agent-1": 1, "trace-agent-2": 1}
    assert {r.request["model"] for r in writers.records} == {"gpt-4o-mini"}


# --- inspect: counts by reason ---------------------------------------------------------

def test_inspect_config_counts_each_condition(tmp_path: Path) -> None:
    path = write_config(tmp_path, "  filter:\n    model: deepseek-r1*\n    since: 7d\n")
    report = inspect_config(path)
    assert (report.sample_size, report.filtered_out) == (3, 3)
    assert report.filtered_by == {"model not in [deepseek-r1*]": 2, "before since": 1}
    assert report.since is not None and report.log.records == 6  # the log's figures: all
    narrowed = inspect_config(path, log_filter={"name": ["critique"]})
    assert narrowed.sample_size == 1 and narrowed.filtered_by["name not in [critique]"] == 3


def test_inspect_cli_json_and_text(tmp_path: Path) -> None:
    path = write_config(tmp_path, "  filter: {model: deepseek-r1*}\n")
    result = run_cli(["inspect", path, "--json", "--no-preflight", "--since", "7d"])
    assert_cli_ok(result)
    data = json.loads(result.output)
    assert data["filtered_by"] == {"model not in [deepseek-r1*]": 2, "before since": 1}
    assert data["sample_size"] == 3 and data["since"].startswith("2026-11-21T13:00:04")
    text = run_cli(["inspect", path, "--no-preflight", "--filter-name", "plan-*",
                    "--where", "metadata.metadata.locale=en-*",
                    "--where", "metadata.metadata.locale=de-*"])
    assert_cli_ok(text)
    assert "filtered   3 out: model not in [deepseek-r1*] (2), name not in [plan-*] (1)" in (
        text.output)


def test_inspect_a_log_with_filter_flags() -> None:
    result = run_cli(["inspect", AGENT_TRACES, "--json", "--filter-model", "GPT-4o-mini",
                      "--until", "2026-11-28T00:00:00+01:00"])
    assert_cli_ok(result)
    stats = json.loads(result.output)
    assert stats["records"] == 1
    assert stats["filtered_by"] == {"model not in [GPT-4o-mini]": 4, "at or after until": 1}


def test_plan_cli_applies_the_flags(tmp_path: Path) -> None:
    result = run_cli(["plan", write_config(tmp_path, ""), "--json", "--filter-model",
                      "deepseek-r1*", "--filter-model", "gpt-4o-mini", "--since", "7d"])
    assert_cli_ok(result)
    plan = json.loads(result.output)
    assert plan["sample_size"] == 5 and plan["filtered_by"] == {"before since": 1}


@pytest.mark.parametrize(("args", "fragment"), [
    (["--since", "last week"], "--since 'last week': 'last week' is not a time"),
    (["--where", "metadata.locale"], "--where 'metadata.locale': expected PATH=VALUE"),
    (["--filter-model", ""], "--filter-model ['']: String should have at least 1 character"),
])
def test_bad_filter_flags_are_usage_errors(tmp_path: Path, args: list[str], fragment: str
                                           ) -> None:
    assert_usage_error(run_cli(["inspect", write_config(tmp_path, ""), "--no-preflight", *args]),
                       fragment)


def test_a_run_stores_the_resolved_window_and_the_counts(tmp_path: Path) -> None:
    from swapkit.replay.engine import ReplayOptions, replay_run
    from swapkit.store.run_store import RunStore

    path = write_config(tmp_path, "  filter: {model: deepseek-r1*, since: 7d}\n")
    summary = replay_run(load_config(path), ReplayOptions(run_dir=tmp_path / "run", quiet=True))
    assert summary.records == 3
    with RunStore(tmp_path / "run", read_only=True) as store:
        assert store.get_meta("filter") == {
            "since": "2026-11-21T13:00:04+00:00", "until": None, "filtered_out": 3,
            "filtered_by": {"model not in [deepseek-r1*]": 2, "before since": 1}}
        assert {r.conversation_id for r, _ in store.records()} == {"trace-agent-1",
                                                                   "trace-agent-2"}


def test_a_run_whose_filter_keeps_nothing_says_why(tmp_path: Path) -> None:
    path = write_config(tmp_path, "  filter: {model: deepseek-v3*}\n")
    result = run_cli(["run", path, "-q", "--run-dir", tmp_path / "run"])
    assert_usage_error(result, "log.filter kept none of the 6 calls in",
                       "filtered 6 out: model not in [deepseek-v3*] (6)", "swapkit inspect")


def test_inspect_counts_by_reason_across_parallel_parts(tmp_path: Path) -> None:
    """A log large enough for parallel workers: each part filters, the counts add up."""
    from swapkit.ingest.logstats import PARALLEL_MIN_BYTES, inspect_stats

    text = AGENT_TRACES.read_text(encoding="utf-8")
    copies = PARALLEL_MIN_BYTES // len(text.encode()) + 20
    big = tmp_path / "big.jsonl"
    big.write_text(text * copies, encoding="utf-8")
    keep = RecordFilter(LogFilter(model=["gpt-4o-mini"], until="2026-11-28"))
    stats = inspect_stats(LogSource(path=big), keep)
    assert stats.records == copies
    assert stats.filtered_by == {"model not in [gpt-4o-mini]": 4 * copies,
                                 "at or after until": copies}
