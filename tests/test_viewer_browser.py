"""``swapkit view`` in a real browser: headless Chromium (Debian) driven by Playwright."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .reporthelp import hostile_run
from .viewhelp import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


def test_viewer_pages_filters_records_and_stays_inert(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    hostile_run(tmp_path)
    requests: list[str] = []
    console_errors: list[str] = []
    dialogs: list[str] = []
    with serving(tmp_path) as (base, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        page.goto(f"{base}/")
        assert page.locator("#runs tr").count() == 2
        page.click("#runs a")
        assert page.locator("#verdict").inner_text().startswith(("GO", "NO-GO", "INCONCLUSIVE"))
        assert page.locator("#gates tr").count() == 3
        page.click("#records-link")
        assert page.locator("#count").inner_text().startswith("60 of 60 records")

        page.select_option("#segment", "a")  # applies at once (view.js submits the form)
        page.wait_for_url("**segment=a**")
        assert page.locator("#count").inner_text().startswith("30 of 60")
        page.select_option("#segment", "")
        page.wait_for_url(lambda url: "segment=a" not in url)
        page.fill("#search", "textarea")
        page.press("#search", "Enter")
        page.wait_for_url("**q=textarea**")
        assert page.locator("#count").inner_text().startswith("4 of 60")
        assert "</textarea><img src=x" in page.locator("#records").inner_text()
        assert page.locator("#records img, #records script, #records td a[href^=java]"
                            ).count() == 0

        page.click("#records .record-link >> nth=0")
        page.wait_for_url("**/record?**")
        record_url, record_id = page.url, page.locator("#record-id").inner_text()
        assert "</textarea><img src=x" in page.locator("#candidate .answer").inner_text()
        assert page.locator("#candidate img, #candidate script, #diff img").count() == 0
        assert page.locator("#scores tr").count() >= 2

        other = browser.new_page()  # the URL alone opens the same record
        other.on("request", lambda r: requests.append(r.url))
        other.goto(record_url)
        assert other.locator("#record-id").inner_text() == record_id
        other.click("#back")
        assert other.locator("#count").inner_text().startswith("4 of 60")  # same filter
        other.goto(f"{base}/records?r=run&q=__xss")
        for pane in (page, other):
            assert pane.evaluate("window.__xss") is None
        width = other.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280 + 1, f"a long answer widened the page to {width}px"
        browser.close()
    assert dialogs == []
    assert console_errors == []
    assert requests and all(url.startswith(f"{base}/") for url in requests), requests
