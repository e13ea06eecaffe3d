"""The built-in report formats, registered through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Callable

from swapkit.report.model import ReportData
from swapkit.support.plugins import hookimpl
from swapkit.support.sanitize import no_bidi

__all__ = ["ReportFormat", "register_report_formats"]


class ReportFormat:
    """A named renderer writing one file."""

    def __init__(self, name: str, filename: str, render: Callable[[ReportData, str | None], str],
                 description: str) -> None:
        self.name, self.filename, self.description = name, filename, description
        self._render = render

    def render(self, report: ReportData, html_path: str | None = None) -> str:
        """The file's text (``html_path``: where the HTML report is, for links)."""
        return self._render(report, html_path)


def _html(report: ReportData, html_path: str | None) -> str:
    from swapkit.report.html import render_html

    return render_html(report)


def _markdown(report: ReportData, html_path: str | None) -> str:
    from swapkit.report.markdown import render_markdown

    return render_markdown(report, html_path)


def _json(report: ReportData, html_path: str | None) -> str:
    data = report.model_copy(update={"html_report": html_path}).model_dump_json(indent=2)
    return no_bidi(data) + "\n"  # the store keeps the text as it came


def _junit(report: ReportData, html_path: str | None) -> str:
    from swapkit.report.junit import render_junit

    return render_junit(report)


@hookimpl(trylast=True)  # plugins first, as when built-ins were registered first
def register_report_formats(register: Callable[[ReportFormat], None]) -> None:
    """Register html, md, json and junit."""
    register(ReportFormat("html", "report.html", _html, "self-contained HTML diff report"))
    register(ReportFormat("md", "report.md", _markdown, "Markdown summary for a PR comment"))
    register(ReportFormat("json", "report.json", _json, "the whole result, versioned JSON"))
    register(ReportFormat("junit", "junit.xml", _junit, "JUnit XML: one test case per gate"))
