"""People's labels and the judge calibrated against them: the labels format (file and log
metadata), the combination of several reviewers, the judge-vs-people agreement in
judge_pairwise's notes and gates, and ``min_human_kappa``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swapkit.config import load_config
from swapkit.errors import ConfigError, LogError, LogLineError, UsageError
from swapkit.ingest.labels import combine_labels, labels_in_metadata, read_labels
from swapkit.records import Record
from swapkit.scoring.metrics import get_metric

from .metrichelp import answer, record, run
from .simhelp import write_config, write_log
from .test_judge import FakeJudge, verdict

WIN, LOSS, TIE = (verdict("B"), verdict("A")), (verdict("A"), verdict("B")), (
    verdict("tie"), verdict("tie"))


def write_labels(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                            for line in lines), encoding="utf-8")
    return path


def label(record_id: str, value: str, reviewer: str = "ana", **extra: Any) -> dict[str, Any]:
    return {"record_id": record_id, "reviewer": reviewer, "label": value, **extra}


# -- the format -----------------------------------------------------------------------------


def test_a_labels_file_reads_every_form_and_blind_labels_through_their_order(
        tmp_path: Path) -> None:
    path = write_labels(tmp_path / "labels.jsonl", [
        label("r0", "candidate", time="2026-03-01T10:00:00Z", note="cites the policy"),
        label("r1", "A", order="AB"),  # A was the baseline
        label("r2", "A", order="BA"),  # A was the candidate
        label("r3", "B", order="AB"),
        label("r4", "both_bad", inclusion_probability=0.25),
        "",  # blank lines are skipped
        label("r5", "tie")])
    labels = read_labels(path)
    assert [x.preferred for x in labels] == ["candidate", "baseline", "candidate", "candidate",
                                            "both_bad", "tie"]
    assert labels[0].note == "cites the policy" and labels[0].time is not None
    assert labels[4].inclusion_probability == 0.25 and labels[0].inclusion_probability is None


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "not JSON"),
    ([1, 2], "a label is a JSON object, not list"),
    (label("r0", "better"), "label: Input should be"),
    (label("r0", "A"), "needs the order"),
    (label("r0", "B", order="CD"), "order: Input should be"),
    ({"record_id": "r0", "label": "tie"}, "reviewer: required field is missing"),
    (label(7, "tie"), "record_id: Input should be a valid string"),  # type: ignore[arg-type]
    (label("r0", "tie", inclusion_probability=0), "inclusion_probability: Input should be"),
    (label("r0", "tie", inclusion_probability=1.5), "inclusion_probability"),
    (label("r0", "tie", lable="x"), "lable: unknown field"),
    (label("r0", "tie", time="yesterday"), "time: Input should be"),
])
def test_a_bad_label_line_names_its_file_and_line(tmp_path: Path, line: Any,
                                                  message: str) -> None:
    path = write_labels(tmp_path / "labels.jsonl", [label("r9", "tie"), line])
    with pytest.raises(LogLineError, match=message) as err:
        read_labels(path)
    assert err.value.line == 2 and err.value.message.startswith(f"{path}:2: ")


def test_a_record_has_one_inclusion_probability_and_a_missing_file_is_said(
        tmp_path: Path) -> None:
    path = write_labels(tmp_path / "labels.jsonl", [
        label("r0", "tie", inclusion_probability=0.5),
        label("r0", "tie", "bo", inclusion_probability=0.2)])
    with pytest.raises(LogLineError, match="inclusion probability 0.5 by an earlier label"):
        read_labels(path)
    with pytest.raises(LogError, match="no such labels file"):
        read_labels(tmp_path / "none.jsonl")


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(
                        ["record_id", "reviewer", "label", "order", "time", "note",
                         "inclusion_probability", "x"]), inner, max_size=6), max_leaves=12))
def test_any_json_is_a_label_or_a_clear_error_never_a_crash(value: Any) -> None:
    try:
        list(labels_in_metadata("r0", {"human_label": value}))
    except UsageError as err:
        assert err.message.startswith("record r0: ")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=60) | st.sampled_from(
    [b'{"record_id": "r0", "reviewer": "a", "label": "tie"}', b"\xef\xbb\xbf{}", b"null",
     b'{"record_id": "r0", "reviewer": "a", "label": "B", "order": "BA", "time": "2026-01-01"}',
     b'{"record_id": "r0", "reviewer": "a", "label": "A", "order": "AB", '
     b'"time": "2026-01-01T00:00:00+05:00"}',
     b'{"record_id": "r0", "reviewer": "a", "label": "A", "order": null}']), max_size=4))
def test_any_bytes_in_a_labels_file_read_or_fail_with_file_and_line(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.jsonl"
        path.write_bytes(b"\n".join(lines))
        try:
            combine_labels(read_labels(path))
        except LogLineError as err:
            assert err.message.startswith(f"{path}:{err.line}: ")
        except LogError as err:  # e.g. a file that is not text to its end
            assert str(path) in err.message


def test_labels_in_a_log_record_metadata() -> None:
    assert list(labels_in_metadata("q1", {})) == []
    (plain,) = labels_in_metadata("q1", {"human_label": "baseline"})
    assert (plain.record_id, plain.reviewer, plain.preferred) == ("q1", "log", "baseline")
    many = list(labels_in_metadata("q1", {"human_label": [
        {"reviewer": "ana", "label": "B", "order": "BA"}, {"label": "tie"}]}))
    assert [(x.reviewer, x.preferred) for x in many] == [("ana", "baseline"), ("log", "tie")]
    with pytest.raises(UsageError, match=r"record q1: metadata.human_label\[1\].label"):
        list(labels_in_metadata("q1", {"human_label": ["tie", "great"]}))
    with pytest.raises(UsageError, match="record q1: metadata.human_label: a label is a JSON"):
        list(labels_in_metadata("q1", {"human_label": 3}))


def test_several_reviewers_combine_by_majority_and_a_shared_top_is_a_tie(
        tmp_path: Path) -> None:
    labels = read_labels(write_labels(tmp_path / "labels.jsonl", [
        label("r0", "candidate", "ana"), label("r0", "candidate", "bo"),
        label("r0", "baseline", "cy"),  # 2 to 1: candidate
        label("r1", "candidate", "ana"), label("r1", "baseline", "bo"),  # 1 to 1: a tie
        label("r2", "baseline", "ana"), label("r2", "candidate", "ana"),  # ana's last counts
        label("r3", "both_bad", "ana"), label("r3", "both_bad", "bo"),
        label("r3", "tie", "cy")]))
    combined = combine_labels(labels)
    assert {k: (v.preferred, v.reviewers) for k, v in combined.items()} == {
        "r0": ("candidate", 3), "r1": ("tie", 2), "r2": ("candidate", 1),
        "r3": ("both_bad", 3)}
    timed = read_labels(write_labels(tmp_path / "timed.jsonl", [
        label("r0", "candidate", time="2026-03-02T10:00:00+02:00"),
        label("r0", "baseline", time="2026-03-01T10:00:00"),  # older (no zone: UTC), read last
        label("r1", "baseline", time="2026-03-01T10:00:00Z"), label("r1", "tie")]))
    assert {k: v.preferred for k, v in combine_labels(timed).items()} == {
        "r0": "candidate", "r1": "tie"}
    mixed = [*labels, *labels_in_metadata("r0", {"human_label": {
        "reviewer": "dee", "label": "tie", "inclusion_probability": 0.5}})]
    with pytest.raises(UsageError, match="record r0: its labels give different inclusion"):
        combine_labels(mixed)


# -- the agreement in judge_pairwise --------------------------------------------------------


def labelled(replies: list[Any], labels: list[dict[str, Any]] | None, tmp_path: Path,
             metadata: list[dict[str, Any]] | None = None, **options: Any) -> Any:
    n = len(replies)
    records = [record(i) for i in range(n)]
    for i, extra in enumerate(metadata or []):
        records[i] = Record(**{**records[i].model_dump(), "metadata": extra})
    data = run(records, [answer("b")] * n, [answer("c")] * n)
    data.judge = FakeJudge(replies)
    if labels is not None:
        data.labels = write_labels(tmp_path / "labels.jsonl", labels)
    return get_metric("judge_pairwise").score(data, options)


def test_the_judge_agreeing_with_people_is_reported_with_kappa_and_its_table(
        tmp_path: Path) -> None:
    replies = [WIN] * 10 + [LOSS] * 10 + [TIE] * 10
    people = ([label(f"r{i}", "candidate") for i in range(10)]
              + [label(f"r{i}", "baseline") for i in range(10, 20)]
              + [label(f"r{i}", "both_bad" if i % 2 else "tie") for i in range(20, 30)])
    scores = labelled(replies, people, tmp_path)
    notes = " | ".join(scores.notes)
    assert "human labels: 30 labels from 1 reviewers on 30 records" in notes
    assert ("judge vs people: weighted kappa 1.00 (90% interval 1.00 to 1.00, bootstrap), "
            "raw agreement 100% over 30 labelled records; simple random sample") in notes
    assert ("rows: people; columns: judge loss / tie / win): baseline better 10 / 0 / 0; "
            "tie or both bad 0 / 10 / 0; candidate better 0 / 0 / 10") in notes
    # Every gate on the metric shows the agreement and its table.
    assert [n for n in scores.gate_notes if n.startswith("judge vs people")] == [
        n for n in scores.notes if n.startswith("judge vs people")]
    assert scores.refuse is None


def test_unknown_and_unjudged_records_are_counted_and_a_design_is_weighted(
        tmp_path: Path) -> None:
    replies = [WIN, LOSS, TIE, WIN, "same", None]
    people = [label("r0", "candidate", inclusion_probability=0.5),
              label("r1", "candidate", inclusion_probability=0.1),
              label("r2", "tie", inclusion_probability=1.0),
              label("r3", "baseline", inclusion_probability=0.5),
              label("r4", "tie", inclusion_probability=0.5),  # same answers: not judged
              label("r5", "tie", inclusion_probability=0.5),  # no verdict
              label("gone-1", "tie", inclusion_probability=0.5),
              label("gone-2", "tie", inclusion_probability=0.5)]
    scores = labelled(replies, people, tmp_path)
    notes = " | ".join(scores.notes)
    assert "2 labelled records are not in this run (gone-1, gone-2): not used" in notes
    assert "2 labelled records have no judge outcome" in notes
    assert "over 4 labelled records; inverse-probability weighted (Horvitz" in notes
    # r1 (probability 0.1) stands for 10 records where people said candidate, judge loss.
    assert "candidate better 10.0 / 0.0 / 2.0" in notes and "estimated counts" in notes
    mixed = [*people[:3], label("r3", "baseline")]
    with pytest.raises(UsageError, match="3 labelled records carry an inclusion_probability "
                                         "and 1 do not"):
        labelled(replies, mixed, tmp_path)


def test_labels_in_the_log_and_in_the_file_combine(tmp_path: Path) -> None:
    replies = [WIN, LOSS, WIN]
    metadata = [{"human_label": "candidate"}, {"human_label": [
        {"reviewer": "ana", "label": "A", "order": "AB"}]}, {}]
    scores = labelled(replies, [label("r2", "candidate", "bo"),
                                label("r1", "candidate", "ana")], tmp_path, metadata)
    notes = " | ".join(scores.notes)
    # r1: ana's label in the file comes after the log's and replaces it.
    assert "4 labels from 3 reviewers on 3 records" in notes
    assert "raw agreement 67% over 3 labelled records" in notes


def test_min_human_kappa_refuses_a_judge_people_disagree_with(tmp_path: Path) -> None:
    replies = [WIN] * 20 + [LOSS] * 20
    agree = [label(f"r{i}", "candidate" if i < 20 else "baseline") for i in range(40)]
    disagree = [label(f"r{i}", "baseline" if i % 2 else "candidate") for i in range(40)]
    assert labelled(replies, agree, tmp_path, min_human_kappa=0.6).refuse is None
    refused = labelled(replies, disagree, tmp_path, min_human_kappa=0.6).refuse
    assert refused is not None and "below min_human_kappa 0.6" in refused
    assert labelled(replies, disagree, tmp_path).refuse is None  # reported, not gated
    none = labelled(replies, None, tmp_path, min_human_kappa=0.6).refuse
    assert none is not None and "no human labels were found" in none
    assert not [n for n in labelled(replies, None, tmp_path).notes if "people" in n]
    with pytest.raises(ConfigError, match="min_human_kappa"):
        labelled(replies, None, tmp_path, min_human_kappa=2)


def test_judge_labels_is_relative_to_swap_yaml(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 3)
    url = "http://127.0.0.1:9/v1"
    config = load_config(write_config(
        tmp_path, url, log=log, suite={"metrics": ["judge_pairwise"]},
        judge={"model": "judge-sim", "base_url": url, "labels": "review/labels.jsonl"}))
    assert config.judge is not None
    assert config.judge.labels == tmp_path / "review" / "labels.jsonl"


def test_the_review_plans_labels_weight_the_judge_agreement(tmp_path: Path) -> None:
    """Labels given in a planned review (the run store's) count for the judge's agreement
    with their plan's inclusion probabilities; a label outside the plan does not."""
    from swapkit.ingest.labels import HumanLabel
    from swapkit.store.reviews import PlannedRecord, ReviewData

    replies = [WIN, LOSS, TIE]
    data = run([record(i) for i in range(3)], [answer("b")] * 3, [answer("c")] * 3)
    data.judge = FakeJudge(replies)
    planned = [PlannedRecord("r0", 0, 0, "s", 0.5, "AB"),
               PlannedRecord("r1", 1, 1, "s", 0.25, "BA")]
    data.review = ReviewData({}, planned, [
        HumanLabel(record_id="r0", reviewer="ana", label="B", order="AB",
                   inclusion_probability=0.5),  # B shown second: the candidate's
        HumanLabel(record_id="r1", reviewer="ana", label="A", order="BA",
                   inclusion_probability=0.25),  # A was the candidate's: the judge lost
        HumanLabel(record_id="r2", reviewer="ana", label="tie")])  # outside the plan
    notes = " | ".join(get_metric("judge_pairwise").score(data, {}).notes)
    assert "2 labels from 1 reviewers on 2 records" in notes
    assert "over 2 labelled records; inverse-probability weighted" in notes
    # people preferred the candidate on both; the judge lost r1 (counting 1/0.25) and won r0
    # (1/0.5); r2, outside the plan, is not in the table
    assert "candidate better 4.0 / 0.0 / 2.0" in notes
    # labels from a file beside a labelled plan are set aside, not an error
    data.labels = write_labels(tmp_path / "more.jsonl", [label("r2", "tie")])
    notes = " | ".join(get_metric("judge_pairwise").score(data, {}).notes)
    assert "1 labels from the log or judge.labels set aside" in notes
    assert "over 2 labelled records; inverse-probability weighted" in notes
