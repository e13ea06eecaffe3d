"""``swapkit view``'s blind, paired review: the pages, the one POST, and the flow in Chromium."""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pytest

from swapkit.store import DB_NAME, RunStore
from swapkit.store.reviews import PlannedRecord, load_review, read_labels_in, save_plan
from swapkit.view.review import COOKIE, MAX_BODY
from swapkit.view.server import ViewerApp

from .reporthelp import HOSTILE, hostile_run
from .viewhelp import large_run, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LABELS = ("gpt-4o-mini-2024", "claude-haiku-x")  # the sides' names: never on a blind page
HOST = "127.0.0.1:8765"
OWN = {"Host": HOST, "Origin": f"http://{HOST}",
       "Content-Type": "application/x-www-form-urlencoded"}


def plan(run_dir: Path, ids: list[str]) -> None:
    """A review plan of the records ``ids`` in that order, A/B alternating from AB."""
    with RunStore(run_dir) as store:
        position = {i: p for p, i in store.db.execute("SELECT position, id FROM records")}
        rows = [PlannedRecord(record_id=i, position=position[i], rank=k,
                              stratum="first half" if k < len(ids) // 2 else "second half",
                              inclusion_probability=0.1, shown="AB" if k % 2 == 0 else "BA")
                for k, i in enumerate(ids)]
        save_plan(store, {"records": len(rows)}, rows)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A decided run of 150 records whose plan holds 20: every seventh record (those whose
    two answers differ: "Hotel i is by the river." and "Unknown.")."""
    run_dir = large_run(tmp_path_factory.mktemp("review"), 150, labels=LABELS)
    plan(run_dir, [f"r{i}" for i in range(0, 140, 7)])
    return run_dir


@pytest.fixture()
def run(planned: Path, tmp_path: Path) -> Path:
    """A copy of the planned run, for a test that writes labels."""
    copy = tmp_path / "run"
    shutil.copytree(planned, copy)
    return copy


def labels_in(run_dir: Path) -> list[tuple[str, str, str, str | None, str | None]]:
    with RunStore(run_dir, read_only=True) as store:
        return [(x.record_id, x.reviewer, x.label, x.order, x.note)
                for x in read_labels_in(store.db)]


def answer(body: str, letter: str) -> str:
    found = re.search(rf'<section id="answer-{letter}">.*?<div class="text answer">(.*?)</div>',
                      body, re.S)
    assert found, body[:2000]
    return html.unescape(found.group(1))


def form_of(app: ViewerApp, rank: int, **fields: str) -> dict[str, str]:
    """What the review page of ``rank`` would post, with ``fields``."""
    body = app.handle(f"/review/record?r=.&rank={rank}").body
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body))
    return {**{k: html.unescape(v) for k, v in hidden.items()}, "reviewer": "ana",
            "choice": "A", **fields}


def post(app: ViewerApp, form: dict[str, str], **headers: str) -> tuple[int, str]:
    response = app.post("/review/label", {**OWN, **headers}, urlencode(form).encode())
    return response.status, response.headers.get("Location", response.body)


def test_the_blind_page_shows_the_plans_order_and_nothing_that_tells_the_sides(
        planned: Path) -> None:
    app = ViewerApp(planned)
    try:
        ab, ba = app.handle("/review/record?r=.&rank=0"), app.handle("/review/record?r=.&rank=1")
        assert ab.status == ba.status == 200
        assert answer(ab.body, "a") == "Hotel 0 is by the river." and answer(ab.body, "b") == (
            "Unknown.")  # AB: A is the baseline's
        assert answer(ba.body, "a") == "Unknown." and answer(ba.body, "b") == (
            "Hotel 7 is by the river.")  # BA: A is the candidate's
        assert "Where is hotel 7?" in ba.body  # the conversation
        for page in (ab, ba):
            # the form's random token and check could spell anything ("s7" did, once)
            text = re.sub(r'name="(token|check)" value="[^"]*"', "", page.body).lower()
            for word in ("baseline", "candidate", *LABELS, "recorded", "exact_match", "score",
                         "cost", "latency", "diff", "half", "segment", "s7", "flag",
                         "regress"):
                assert word.lower() not in text, word
            assert page.headers["Referrer-Policy"] == "same-origin"  # the form sends Origin
        assert app.handle("/review/record?r=.&rank=20").status == 404
        assert app.handle("/review/record?r=.&rank=x").status == 404
    finally:
        app.close()


def test_start_page_run_link_and_the_reviewer_cookie(run: Path) -> None:
    app = ViewerApp(run)
    try:
        assert post(app, form_of(app, 2, reviewer="bo", choice="same"))[0] == 303
        start = app.handle("/review?r=.", {"Cookie": f"other=1; {COOKIE}=ana%20b"})
        assert "Labelled by <b id=\"who\">ana b</b>: 0 of 20" in start.body
        assert "labelled by anyone: 1 of 20" in start.body
        assert "first half" not in start.body  # no strata: they would say what was flagged
        assert 'id="next-unlabelled" href="/review/record?r=.&amp;rank=0"' in start.body
        named = app.handle("/review?r=.&reviewer=+ana+b+")
        assert named.status == 303 and named.headers["Location"] == "/review?r=."
        assert named.headers["Set-Cookie"].startswith(f"{COOKIE}=ana%20b;")
        assert "SameSite=Strict" in named.headers["Set-Cookie"]
        assert app.handle("/review?r=.&reviewer=+").status == 400
        # a link on another site cannot set the name (Chromium says where a navigation began)
        foreign = app.handle("/review?r=.&reviewer=mallory", {"Sec-Fetch-Site": "cross-site"})
        assert foreign.status == 403 and "Set-Cookie" not in foreign.headers
        assert app.handle("/review?r=.&reviewer=ana",
                          {"Sec-Fetch-Site": "same-origin"}).status == 303
        assert app.handle("/review?r=.&reviewer=" + "x" * 81).status == 400
        run_page = app.handle("/run?r=.", {"Cookie": f"{COOKIE}=bo"}).body
        assert 'id="review-link" href="/review?r=."' in run_page
        assert "labelled by bo 1 / 20 · labelled by anyone 1 / 20" in run_page
    finally:
        app.close()


def test_a_run_without_a_plan_says_how_to_make_one(run: Path, tmp_path: Path) -> None:
    with RunStore(run) as store:
        save_plan(store, {}, [])
    old = tmp_path / "old"
    shutil.copytree(run, old)
    with sqlite3.connect(old / DB_NAME) as db:  # a store from before the review tables
        db.execute("DROP TABLE review_plan")
        db.execute("DROP TABLE labels")
    for run_dir, why in ((run, "nobody has planned one yet"), (old, "predates reviews")):
        app = ViewerApp(run_dir)
        try:
            page = app.handle("/review?r=.")
            assert page.status == 404 and why in page.body
            assert f"swapkit review plan {run_dir}" in page.body
            assert app.handle("/review/record?r=.&rank=0").status == 404
            assert 'id="review-link"' not in app.handle("/run?r=.").body
            form = {"token": app.review.token, "r": ".", "record": "r0", "check": "x",
                    "reviewer": "ana", "choice": "A"}
            status, body = post(app, form)
            assert status == 400 and "no review plan" in body
        finally:
            app.close()


def test_a_label_is_stored_with_the_order_shown(run: Path) -> None:
    app = ViewerApp(run)
    try:
        status, where = post(app, form_of(app, 1, choice="A", note=" B is vague "))
        assert (status, where) == (303, "/review/record?r=.&rank=2")
        assert post(app, form_of(app, 0, choice="B"))[1] == "/review/record?r=.&rank=2"
        assert post(app, form_of(app, 1, choice="both_bad"))[0] == 303  # relabelled
        assert labels_in(run) == [("r7", "ana", "A", "BA", "B is vague"),
                                  ("r0", "ana", "B", "AB", None),
                                  ("r7", "ana", "both_bad", None, None)]
        page = app.handle("/review/record?r=.&rank=1", {"Cookie": f"{COOKIE}=ana"}).body
        assert 'id="labelled">labelled: both unacceptable' in page
        assert 'id="next-unlabelled" href="/review/record?r=.&amp;rank=2"' in page
    finally:
        app.close()


def test_posts_from_elsewhere_or_out_of_the_plan_are_refused(run: Path) -> None:
    app = ViewerApp(run)
    try:
        good = form_of(app, 0)
        refused = {
            "no token": (post(app, {k: v for k, v in good.items() if k != "token"}), 403),
            "another token": (post(app, {**good, "token": "x" * 43}), 403),
            "foreign origin": (post(app, good, Origin="http://evil.example"), 403),
            "origin of another port": (post(app, good, Origin="http://127.0.0.1:1"), 403),
            "null origin": (post(app, good, Origin="null"), 403),
            "cross-site fetch": (post(app, good, **{"Sec-Fetch-Site": "cross-site"}), 403),
            "JSON": (post(app, good, **{"Content-Type": "application/json"}), 415),
            "oversized": (post(app, {**good, "note": "x" * MAX_BODY}), 413),
            "not in the plan": (post(app, {**good, "record": "r1"}), 400),
            "another record's check": (post(app, {**good, "record": "r7"}), 409),
            "no choice": (post(app, {**good, "choice": "baseline"}), 400),
            "no reviewer": (post(app, {**good, "reviewer": "  "}), 400),
            "long note": (post(app, {**good, "note": "x" * 2001}), 400),
        }
        for why, ((status, body), expected) in refused.items():
            assert status == expected, (why, status, body)
        assert "not in this run&#39;s review plan" in refused["not in the plan"][0][1]
        no_origin = {k: v for k, v in OWN.items() if k != "Origin"}
        assert app.post("/review/label", no_origin, urlencode(good).encode()).status == 403
        assert app.post("/", OWN, urlencode(good).encode()).status == 405
        assert labels_in(run) == []  # nothing stored
        referred = {**no_origin, "Referer": f"http://{HOST}/review/record?r=.&rank=0"}
        assert app.post("/review/label", referred, urlencode(good).encode()).status == 303
        assert labels_in(run) == [("r0", "ana", "A", "AB", None)]
    finally:
        app.close()


def test_the_server_refuses_large_or_foreign_posts(run: Path) -> None:
    with serving(run) as (base, app):
        host = base.removeprefix("http://")
        form = form_of(app, 0)
        ok_headers = {**OWN, "Host": host, "Origin": base}

        def send(data: bytes, **headers: str) -> int:
            request = urllib.request.Request(f"{base}/review/label", data=data,
                                             headers={**ok_headers, **headers})
            try:
                with urllib.request.urlopen(request) as response:
                    return int(response.status)
            except urllib.error.HTTPError as err:
                return err.code

        assert send(b"x" * (MAX_BODY + 1)) == 413
        assert send(urlencode(form).encode(), Host="evil.example") == 421
        assert send(urlencode(form).encode(), Origin="http://evil.example") == 403
        assert labels_in(run) == []
        assert send(urlencode(form).encode()) == 200  # the 303, followed to the next record
        assert labels_in(run) == [("r0", "ana", "A", "AB", None)]


def test_labels_wait_for_another_writer(run: Path) -> None:
    """A replay holding the store's write lock delays a label; it is not lost."""
    app = ViewerApp(run)
    writer = sqlite3.connect(run / DB_NAME, isolation_level=None)
    try:
        form = form_of(app, 0)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE meta SET value = value WHERE key = 'config'")
        result: list[tuple[int, str]] = []
        thread = threading.Thread(target=lambda: result.append(post(app, form)))
        thread.start()
        time.sleep(0.8)
        assert thread.is_alive() and result == []  # waiting for the lock
        writer.execute("COMMIT")
        thread.join(timeout=15)
        assert result and result[0][0] == 303
        assert labels_in(run) == [("r0", "ana", "A", "AB", None)]
    finally:
        writer.close()
        app.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile run, planned on the records whose candidate answer is hostile."""
    root = tmp_path_factory.mktemp("hostile-review")
    hostile_run(root)
    plan(root / "run", [f"q{i}" for i in range(0, 60, 3)])
    return root / "run"


def test_hostile_answers_stay_inert_on_the_review_page(hostile: Path) -> None:
    app = ViewerApp(hostile)
    try:
        seen = ""
        for rank in range(len(HOSTILE)):
            body = app.handle(f"/review/record?r=.&rank={rank}").body
            assert "<script>window" not in body and "<img" not in body
            assert "</script><script>" not in body and 'href="javascript' not in body
            seen += body
        assert "&lt;script&gt;window.__xss = 1" in seen
        assert "&lt;/textarea&gt;&lt;img src=x onerror=" in seen
    finally:
        app.close()


chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                              reason="Debian's chromium is not installed (.ci/run installs it)")


def _browser(p: Playwright) -> Browser:
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync"])


@chromium
def test_review_in_chromium_labels_three_records_and_skips_them(run: Path) -> None:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with serving(run) as (base, _), sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/")
        page.click("#review-link")
        page.fill("#reviewer", "ana")
        page.click("#reviewer-form button")
        assert page.locator("#who").inner_text() == "ana"
        page.click("#next-unlabelled")
        assert page.locator("h1").inner_text() == "Record 1 of 20"
        assert page.locator("#reviewer").input_value() == "ana"  # from the cookie
        page.click("#choose-a")  # record 1 (AB): A better
        page.wait_for_url("**rank=1")
        page.fill("#note", "both <b>fine</b>")
        page.click("#choose-same")  # record 2 (BA): about the same
        page.wait_for_url("**rank=2")
        page.goto(f"{base}/review/record?r=.&rank=3")
        page.click("#choose-both-bad")  # record 4 (BA): both unacceptable
        page.wait_for_url("**rank=4")
        page.click("#review-home")
        assert "3 of 20" in page.locator("#progress").inner_text()
        page.click("#next-unlabelled")  # skips the two labelled first
        page.wait_for_url("**rank=2")
        page.click("#next-unlabelled")  # skips the one labelled at rank 3
        page.wait_for_url("**rank=4")
        page.click("#prev")
        assert "both unacceptable" in page.locator("#labelled").inner_text()
        browser.close()
    assert labels_in(run) == [("r0", "ana", "A", "AB", None),
                              ("r7", "ana", "tie", None, "both <b>fine</b>"),
                              ("r21", "ana", "both_bad", None, None)]
    assert errors == []
    assert requests and all(url.startswith(f"{base}/") for url in requests), requests


@chromium
def test_hostile_review_pages_stay_inert_in_chromium(hostile: Path) -> None:
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with serving(hostile) as (base, _), sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for rank in range(len(HOSTILE)):
            page.goto(f"{base}/review/record?r=.&rank={rank}")
            assert page.evaluate("window.__xss") is None
            assert page.locator("#answer-a img, #answer-b img, .sides script").count() == 0
        browser.close()
    assert dialogs == []


def test_a_record_waits_for_both_answers_and_a_label_follows_its_answers(run: Path) -> None:
    """A planned record missing an answer is not shown (one answer against nothing tells
    the sides apart) nor labelled; a label stores a digest of the answers shown, and once
    the run holds other answers (another target replayed) it no longer counts."""
    from swapkit.scoring.metrics.human_review import HumanReview
    from swapkit.scoring.score import load_run_data

    app = ViewerApp(run)
    try:
        form = form_of(app, 0)  # r0, shown before its answer goes away
        with sqlite3.connect(run / DB_NAME) as db:
            hash_of = db.execute("SELECT request_hash FROM records WHERE id = 'r0'").fetchone()[0]
            kept = db.execute("SELECT * FROM completions WHERE request_hash = ? AND target = "
                              "(SELECT target FROM targets WHERE side = 'candidate')",
                              (hash_of,)).fetchall()
            db.execute("DELETE FROM completions WHERE request_hash = ? AND target = (SELECT "
                       "target FROM targets WHERE side = 'candidate')", (hash_of,))
        waiting = app.handle("/review/record?r=.&rank=0")
        assert waiting.status == 409 and "not all stored yet" in waiting.body
        assert "Hotel 0" not in waiting.body
        assert post(app, form)[0] == 409 and labels_in(run) == []
        with sqlite3.connect(run / DB_NAME) as db:  # the answer is back
            db.executemany(f"INSERT INTO completions VALUES ({','.join('?' * len(kept[0]))})",
                           kept)
        assert post(app, form_of(app, 0, choice="B"))[0] == 303
        with RunStore(run, read_only=True) as store:
            [label] = read_labels_in(store.db)
            review_data = load_run_data(store)
            review_data.review = load_review(store)
            counted = HumanReview().score(review_data, {})
        at = review_data.review.planned[0].position  # r0's place in the run
        assert label.answers and counted.cand[at] == 1.0  # B, shown AB: the candidate's
        with sqlite3.connect(run / DB_NAME) as db:  # another candidate's answers since
            db.execute("UPDATE completions SET answer = 'Hotel 0 is downtown.' WHERE "
                       "request_hash = ? AND target = (SELECT target FROM targets WHERE side = "
                       "'candidate')", (hash_of,))
        with RunStore(run, read_only=True) as store:
            review_data = load_run_data(store)
            review_data.review = load_review(store)
            stale = HumanReview().score(review_data, {})
        assert stale.cand[at] != stale.cand[at]  # NaN: not labelled any more
        assert any("1 labels were given to answers since replaced" in n
                   for n in stale.gate_notes)
    finally:
        app.close()
