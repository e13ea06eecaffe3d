"""JUnit XML: one test case per gate, so CI systems show gates as tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from swapkit.report.model import ReportData
from swapkit.support.sanitize import xml_text

__all__ = ["render_junit", "render_lineup_junit"]


def render_junit(report: ReportData) -> str:
    """GO passes; NO-GO fails; INCONCLUSIVE fails when hard, is skipped when soft;
    gates that apply to no record are skipped."""
    d = report.decision
    suite = ET.Element("testsuite", {
        "name": xml_text(f"swapkit: {report.name}"), "tests": str(len(d.gates)),
        "timestamp": report.generated_at,
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in (("verdict", d.verdict), ("baseline", d.baseline),
                        ("candidate", d.candidate), ("records", str(d.records)),
                        ("run_id", report.run_id)):
        ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
    failures = skipped = 0
    for g in d.gates:
        case = ET.SubElement(suite, "testcase", {
            "classname": "swapkit.gates" + (".soft" if not g.hard else ""),
            "name": xml_text(g.name), "time": "0"})
        reason = xml_text(g.reason)
        if g.status == "NO-GO" or (g.status == "INCONCLUSIVE" and g.hard):
            failure = ET.SubElement(case, "failure", {"message": reason, "type": g.status})
            failure.text = reason
            failures += 1
        elif g.status != "GO":
            ET.SubElement(case, "skipped", {"message": reason})
            skipped += 1
        out = ET.SubElement(case, "system-out")
        out.text = reason
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    ET.SubElement(suite, "system-out").text = xml_text(d.reason)
    root = ET.Element("testsuites", {"name": "swapkit", "tests": str(len(d.gates)),
                                     "failures": str(failures)})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_lineup_junit(name: str, headline: str, verdicts: list[tuple[str, str, str]],
                        recommended: str | None) -> str:
    """A lineup as JUnit XML: one test case per candidate (``(name, verdict for the lineup,
    reason)``: GO passes, NO-GO fails, INCONCLUSIVE is skipped) and one for the
    recommendation, which fails when no candidate is recommended."""
    suite = ET.Element("testsuite", {"name": xml_text(f"swapkit lineup: {name}"),
                                     "tests": str(len(verdicts) + 1)})
    failures = skipped = 0
    for candidate, verdict, reason in verdicts:
        case = ET.SubElement(suite, "testcase", {"classname": "swapkit.lineup",
                                                 "name": xml_text(candidate), "time": "0"})
        text = xml_text(f"{verdict}: {reason}")
        if verdict == "NO-GO":
            ET.SubElement(case, "failure", {"message": text, "type": verdict}).text = text
            failures += 1
        elif verdict != "GO":
            ET.SubElement(case, "skipped", {"message": text})
            skipped += 1
    case = ET.SubElement(suite, "testcase", {"classname": "swapkit.lineup",
                                             "name": "recommendation", "time": "0"})
    if recommended is None:
        ET.SubElement(case, "failure", {"message": xml_text(headline),
                                        "type": "NONE"}).text = xml_text(headline)
        failures += 1
    ET.SubElement(case, "system-out").text = xml_text(headline)
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    root = ET.Element("testsuites", {"name": "swapkit", "tests": str(len(verdicts) + 1),
                                     "failures": str(failures)})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
