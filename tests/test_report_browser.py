"""The HTML report in a real browser: headless Chromium (Debian) driven by Playwright."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .reporthelp import hostile_run

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


def test_report_opens_filters_searches_and_stays_inert(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report = hostile_run(tmp_path) / "report.html"
    console_errors: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(report.as_uri())
        verdict = page.locator("#verdict")
        assert verdict.is_visible()
        assert verdict.inner_text().startswith(("GO", "NO-GO", "INCONCLUSIVE"))
        assert page.locator("#gates tr").count() == 3
        assert page.locator("#count").inner_text().startswith("60 of 60 records")
        # The headline comes first, names the blocking gate once, with units.
        headline = verdict.inner_text()
        assert headline.startswith("NO-GO: cand") and headline.count("exact_match") == 1
        assert " pts" in headline and "@" not in headline
        # The flag filter lists every failed gate; the first records explain the NO-GO.
        options = page.locator("#flag option").all_inner_texts()
        assert "fails gate: exact_match" in options
        first = page.locator("#records .card").first.inner_text()
        assert "fails gate: exact_match" in first
        # Badges and gate names never wrap mid-word, even in a narrow window.
        page.set_viewport_size({"width": 700, "height": 900})
        wrapped = page.evaluate("""() => [...document.querySelectorAll('.badge, td.name')]
            .filter(e => {  // a text on more than one line has rects at several heights
              const range = document.createRange();
              range.selectNodeContents(e.firstChild);
              return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
            })
            .map(e => e.textContent)""")
        assert wrapped == []
        page.set_viewport_size({"width": 1280, "height": 900})
        # Every chart has a visible title and axis labels, and its legend entries and
        # labels do not overlap.
        charts = page.locator("svg.chart")
        assert charts.count() >= 2
        titles = page.locator("svg.chart .chart-title").all_text_contents()
        assert "Every gate against its margin" in titles and "exact_match per segment" in titles
        for n in range(charts.count()):
            chart = charts.nth(n)
            assert chart.locator(".chart-title").count() == 1
            assert chart.locator(".axis-label").count() >= 1
        overlaps = page.evaluate("""() => [...document.querySelectorAll('svg.chart')]
            .flatMap(svg => {
              const boxes = [...svg.querySelectorAll('text')].map(t => t.getBBox());
              const hits = [];
              boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
                if (a.x < b.x + b.width && b.x < a.x + a.width &&
                    a.y < b.y + b.height && b.y < a.y + a.height) hits.push(i);
              }));
              return hits; })""")
        assert overlaps == []
        title = page.locator(".chart-title", has_text="Every gate")
        forest = page.locator("svg.chart", has=title).text_content() or ""
        assert "exact_match -33.3 pts" in forest and "error_rate +0.0 pts" in forest
        page.select_option("#segment", "a")
        assert page.locator("#count").inner_text().startswith("30 of 60")
        page.select_option("#segment", "")
        page.fill("#search", "textarea")
        assert page.locator("#count").inner_text().startswith("4 of 60")
        assert "</textarea><img src=x" in page.locator("#records .card").first.inner_text()
        page.fill("#search", "")
        page.keyboard.press("Escape")  # leaves the search box; keys now navigate
        page.keyboard.press("j")
        focused = page.evaluate("document.activeElement.className")
        assert focused == "card"
        page.click("#next")
        assert "page 2 of 3" in page.locator("#count").inner_text()
        # Every hostile payload is text: nothing ran, nothing navigated, layout held.
        assert page.evaluate("window.__xss") is None
        assert page.locator("#records script, #records img, #records a").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280 + 1, f"a long line widened the page to {width}px"
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        browser.close()
    assert dialogs == []
    assert console_errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
