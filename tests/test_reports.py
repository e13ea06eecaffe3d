"""Markdown, JUnit and JSON reports: snapshots, validity under hostile output, size bounds."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from swapkit.report import build_reports
from swapkit.report.assemble import build_report_data
from swapkit.report.formats import register_report_formats
from swapkit.report.model import ReportData
from swapkit.store import RunStore

from .conftest import ROOT, assert_cli_ok, run_cli
from .reporthelp import hostile_run

SNAPSHOTS = ROOT / "tests" / "snapshots"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_run(tmp_path_factory.mktemp("hostile"))


def normalised(report_dir: Path) -> ReportData:
    """The report with what varies between machines and runs pinned."""
    with RunStore(report_dir.parent / "run", lock=False) as store:
        data = build_report_data(store)
    data.decision.run_id = "RUN"
    return data.model_copy(update={"generated_at": "2026-01-01T00:00:00+00:00",
                                   "run_id": "RUN", "log_source": "log.jsonl"})


def renderers() -> dict[str, object]:
    found: dict[str, object] = {}
    register_report_formats(register=lambda f: found.__setitem__(f.name, f))
    return found


@pytest.mark.parametrize(("fmt", "snapshot"), [
    ("md", "report.md"), ("junit", "junit.xml"), ("json", "report.json")])
def test_snapshots(report_dir: Path, fmt: str, snapshot: str) -> None:
    text = renderers()[fmt].render(normalised(report_dir), "report.html")  # type: ignore[attr-defined]
    path = SNAPSHOTS / snapshot
    if os.environ.get("SWAPKIT_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"{snapshot} changed; if intended: SWAPKIT_UPDATE_SNAPSHOTS=1 pytest {__file__}")


def test_markdown_table_holds_and_nothing_links(report_dir: Path) -> None:
    text = (report_dir / "report.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 3  # header + 2 gates
    for row in table:
        cells = row.replace("\\|", "").split("|")
        assert len(cells) == 8, row
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # no live link
    assert not re.search(r"(?<!\\)<(?!/?(details|summary)>)", text)  # no live HTML tag
    assert "\x1b" not in text


def test_junit_parses_with_one_case_per_gate(report_dir: Path) -> None:
    root = ET.fromstring((report_dir / "junit.xml").read_text(encoding="utf-8"))
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["exact_match", "error_rate"]
    failed = [c for c in cases if c.find("failure") is not None]
    assert failed and failed[0].find("failure").get("message").startswith("exact_match:")


def test_json_report_is_the_versioned_contract(report_dir: Path) -> None:
    data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == "2" and data["decision"]["schema_version"] == "2"
    ReportData.model_validate(data)
    assert data["html_report"] == "report.html"
    assert data["records_total"] == data["records_shown"] == 60
    hostile = [r for r in data["records"] if "<script>" in r["candidate"]["answer"]]
    assert hostile  # stored verbatim in JSON; escaping is the renderers' job


def test_reports_regenerate_from_the_store_and_explorer_is_bounded(report_dir: Path) -> None:
    run = report_dir.parent / "run"
    out = report_dir.parent / "again"
    written = build_reports(run, ["html", "json"], out, max_records=10, max_chars=50)
    data = json.loads(written["json"].read_text(encoding="utf-8"))
    assert data["records_shown"] == 10 and "largest regressions" in data["omitted"]
    assert all(len(r["candidate"]["answer"]) <= 56 for r in data["records"])
    html = written["html"].read_text(encoding="utf-8")
    assert "</script><script>window.__xss" not in html  # cannot close the data element
    assert "http://" not in html and "https://" not in html  # nothing to fetch


def test_report_command_options(report_dir: Path) -> None:
    run = report_dir.parent / "run"
    result = run_cli(["report", run, "-f", "md", "-o", report_dir.parent / "md-only"])
    assert_cli_ok(result)
    assert sorted(p.name for p in (report_dir.parent / "md-only").iterdir()) == ["report.md"]
    bad = run_cli(["report", run, "-f", "pdf", "-o", report_dir.parent / "x"])
    assert bad.exit_code == 2 and "unknown report format 'pdf'" in bad.output


def test_a_decision_stored_by_an_older_schema_is_made_again(report_dir: Path) -> None:
    run = report_dir.parent / "run"
    with RunStore(run) as store:
        old = store.get_meta("decision")
        store.set_meta("decision", {**old, "schema_version": "1"})
        with pytest.raises(Exception, match="swapkit gate RUN"):
            build_report_data(store)
    assert_cli_ok(run_cli(["report", run, "-f", "json", "-o", report_dir.parent / "again1"]))
    data = json.loads((report_dir.parent / "again1" / "report.json").read_text("utf-8"))
    assert data["decision"]["schema_version"] == "2"


def test_records_first_are_the_worst_for_the_blocking_gates(report_dir: Path) -> None:
    data = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    keys = [(-r["blocking"], -r["regression"], r["position"]) for r in data["records"]]
    assert keys == sorted(keys) and data["records"][0]["blocking"] > 0
    assert "fails gate: exact_match" in data["records"][0]["flags"]


def test_blocking_scores_count_only_the_blocking_gates_metrics() -> None:
    """A refusal drop (a soft gate) ranks below a JSON break (the NO-GO's metric)."""
    from swapkit.config import GateSpec, Suite
    from swapkit.decision.decide import decide
    from swapkit.report.assemble import blocking_scores, regression_scores

    from .test_decision import binary, data_for

    n = 200
    json_cand = [0.0] * 40 + [1.0] * (n - 40)
    refusal_base = [0.0] * 40 + [1.0] * 20 + [0.0] * (n - 60)  # lower-is-better: 1 worse
    refusal_cand = [0.0] * 40 + [0.0] * 20 + [0.0] * (n - 60)
    refusal_cand[150:170] = [1.0] * 20
    scores = {"json_valid": binary("json_valid", [1.0] * n, json_cand),
              "refusal": binary("refusal", refusal_base, refusal_cand, higher=False)}
    suite = Suite(gates=[GateSpec(metric="json_valid", margin=0.02),
                         GateSpec(metric="refusal", margin=0.02, hard=False)])
    data = data_for(n)
    decision = decide(data, scores, suite, run_id="t")
    assert decision.blocking == ["json_valid"]
    blocking = blocking_scores(data, scores, decision)
    assert blocking[:40].tolist() == [1.0] * 40 and blocking[40:].sum() == 0
    assert regression_scores(data, scores)[150] == 1.0  # a refusal: a drop, not blocking
