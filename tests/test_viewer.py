"""``swapkit view``: the pages' handlers, the loopback server and the command."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from swapkit.decision.model import Decision
from swapkit.decision.reasons import gate_interval
from swapkit.report.model import RecordRow, SideAnswer
from swapkit.store import RunStore
from swapkit.view.pages import tool_calls_json
from swapkit.view.server import CSP, ViewerApp

from .conftest import assert_usage_error, run_cli
from .reporthelp import hostile_run
from .viewhelp import large_run, serving


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding one decided run (``run``) with hostile answers, and its report."""
    root = tmp_path_factory.mktemp("viewer")
    hostile_run(root)
    return root


@pytest.fixture()
def app(folder: Path) -> ViewerApp:
    viewer = ViewerApp(folder)
    yield viewer  # type: ignore[misc]
    viewer.close()


def count(body: str) -> str:
    found = re.search(r'<span id="count" class="meta">([^<]*)</span>', body)
    assert found, body[:500]
    return found.group(1)


def test_runs_list_shows_each_run_and_filters(app: ViewerApp) -> None:
    page = app.handle("/")
    assert page.status == 200
    assert "hostile &lt;script&gt;alert(1)&lt;/script&gt;" in page.body
    assert "base &lt;i&gt;model&lt;/i&gt; → cand" in page.body
    assert 'class="badge NO-GO"' in page.body and ">60<" in page.body
    assert 'href="/run?r=run"' in page.body
    assert count(page.body) == "1 run"
    assert count(app.handle("/?verdict=GO").body) == "0 runs"
    assert count(app.handle("/?q=CAND&sort=cost").body) == "1 run"
    assert count(app.handle("/?q=nothing-like-it").body) == "0 runs"


def test_run_page_shows_the_decisions_gates(app: ViewerApp, folder: Path) -> None:
    page = app.handle("/run?r=run")
    assert page.status == 200
    with RunStore(folder / "run", read_only=True) as store:
        decision = Decision.model_validate(store.get_meta("decision"))
    assert f'id="verdict">{decision.reason}' in page.body.replace("&#39;", "'")
    for gate in decision.gates:
        assert gate_interval(gate) in page.body
        assert gate.reason.split(":")[0] in page.body
    assert "answers stored: baseline 60, candidate 60" in page.body


def test_records_page_searches_filters_sorts_and_pages(app: ViewerApp) -> None:
    assert count(app.handle("/records?r=run").body) == "60 of 60 records · page 1 of 2"
    assert count(app.handle("/records?r=run&segment=a").body).startswith("30 of 60")
    searched = app.handle("/records?r=run&q=TEXTAREA").body
    assert count(searched).startswith("4 of 60")
    assert "&lt;/textarea&gt;&lt;img src=x" in searched
    # exact_match's gate failed: its records carry the report's flag for the failed gate.
    flagged = app.handle("/records?r=run&flag=fails+gate:+exact_match").body
    assert count(flagged).startswith("20 of 60")
    assert count(app.handle("/records?r=run&flag=regressed:+exact_match").body).startswith(
        "0 of 60")
    assert count(app.handle("/records?r=run&page=2").body).endswith("page 2 of 2")
    assert count(app.handle("/records?r=run&page=99").body).endswith("page 2 of 2")
    assert count(app.handle("/records?r=run&page=x&sort=nonsense").body).endswith("page 1 of 2")
    # The worst first: every regressed record comes before the first unchanged one.
    drops = [float(x) for x in re.findall(r'<td class="num">(\d+\.\d\d)</td>',
                                          app.handle("/records?r=run").body)]
    assert drops == sorted(drops, reverse=True) and drops[0] == 1.0
    positions = [int(x) for x in re.findall(r'pos=(\d+)', app.handle(
        "/records?r=run&sort=position").body)]
    assert positions == list(range(50))


def test_record_page_has_both_answers_the_diff_and_scores(app: ViewerApp) -> None:
    records = app.handle("/records?r=run&q=window.__xss%3D5").body
    link = re.search(r'class="record-link" href="([^"]+)"', records)
    assert link, records
    page = app.handle(link.group(1).replace("&amp;", "&"))
    assert page.status == 200
    assert 'id="baseline"' in page.body and 'id="candidate"' in page.body
    assert "<del>answer" in page.body and "<ins>&lt;/script&gt;&lt;script&gt;" in page.body
    assert "<td>exact_match</td><td class=\"num\">1.000</td><td class=\"num\">0.000</td>" in (
        page.body)
    assert "<script>window" not in page.body and "</script><script>" not in page.body
    # The search travels with the record: back to the same filter state.
    assert 'id="back" href="/records?r=run&amp;q=window.__xss%3D5"' in page.body


def test_hostile_text_is_escaped_on_every_page(app: ViewerApp) -> None:
    for target in ("/", "/run?r=run", "/records?r=run&q=%3Cscript", "/records?r=run&q=img"):
        body = app.handle(target).body
        assert "<script>window" not in body and "<img" not in body
        assert "<script>alert" not in body and "<i>model" not in body


def test_unknown_runs_records_and_pages_are_not_found(app: ViewerApp) -> None:
    for target in ("/run?r=..", "/run?r=/etc", "/records?r=nope", "/record?r=run&pos=60",
                   "/record?r=run&pos=-1", "/record?r=run&pos=x", "/nothing", "/static/x"):
        assert app.handle(target).status == 404, target


def test_a_decision_of_another_schema_is_not_shown(folder: Path, tmp_path: Path) -> None:
    """Schema 1 stored a lower-is-better gate's sides oriented (an error rate of 1% as
    0.99): the viewer must not show those numbers as today's, as the report does not."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(folder / "run", run)
    with RunStore(run) as store:
        stored = store.get_meta("decision")
        store.set_meta("decision", {**stored, "schema_version": "1"})
    viewer = ViewerApp(run)
    try:
        page = viewer.handle("/run?r=.")
        assert page.status == 500 and "decide the run again" in page.body
        assert viewer.handle("/records?r=.").status == 500
    finally:
        viewer.close()


def test_a_run_directory_alone_opens_on_its_run(folder: Path) -> None:
    single = ViewerApp(folder / "run")
    try:
        assert single.handle("/").headers["Location"] == "/run?r=."
        page = single.handle("/records?r=.")
        assert page.status == 200 and 'href="/">runs</a>' not in page.body
    finally:
        single.close()


def test_the_viewer_follows_a_store_being_written(app: ViewerApp, folder: Path) -> None:
    """Read-only beside a writer (which holds the run's lock): a commit shows on the next
    request, and what was derived from the store before it is rebuilt."""
    app.handle("/records?r=run")
    reader = app._reader("run")
    assert reader is not None
    with RunStore(folder / "run") as writer:
        config = writer.get_meta("config")
        writer.set_meta("config", {**config, "name": "renamed while viewed"})
        with reader.lock:
            assert reader.cached("index") is None
        assert "renamed while viewed" in app.handle("/").body
        assert count(app.handle("/records?r=run").body).startswith("60 of 60")
        writer.set_meta("config", config)


def test_tool_calls_are_json_not_python() -> None:
    side = SideAnswer(status="ok", tool_calls=[{"name": "book", "arguments": '{"n": 2}'},
                                               {"name": "raw", "arguments": "not json"}])
    row = RecordRow(id="x", position=0, prompt="p", baseline=side, candidate=SideAnswer())
    text = tool_calls_json(row, "baseline")
    assert '"arguments": {\n      "n": 2\n    }' in text and '"arguments": "not json"' in text
    assert "'" not in text
    assert tool_calls_json(row, "candidate") == ""


def test_the_server_answers_loopback_only_with_a_strict_policy(folder: Path) -> None:
    with serving(folder) as (base, _):
        with urllib.request.urlopen(f"{base}/records?r=run") as response:
            assert response.status == 200
            assert response.headers["Content-Security-Policy"] == CSP
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        with urllib.request.urlopen(f"{base}/static/view.css") as response:
            assert response.headers["Content-Type"].startswith("text/css")
        rebinding = urllib.request.Request(f"{base}/", headers={"Host": "evil.example:80"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(rebinding)
        assert err.value.code == 421
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(f"{base}/", data=b"x"))
        assert err.value.code == 405  # GET only, but for a review label


def test_view_command_serves_until_interrupted(folder: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import http.server
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url))

    def interrupted(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(http.server.ThreadingHTTPServer, "serve_forever", interrupted)
    result = run_cli(["view", str(folder)])
    assert result.exit_code == 0, result.output
    assert re.search(r"swapkit view: http://127\.0\.0\.1:\d+/", result.output)
    assert "stopped" in result.output and opened and opened[0].startswith("http://127.0.0.1:")
    opened.clear()
    assert run_cli(["view", str(folder), "--no-open"]).exit_code == 0 and opened == []
    assert_usage_error(run_cli(["view", str(folder / "missing")]), "does not exist")


@pytest.mark.slow
def test_paging_a_large_run_is_fast(tmp_path: Path) -> None:
    """20,000 records: the first page builds the index once, later pages read their rows
    only (about 0.15 s and 0.01 s on an idle machine; the bounds leave room for a busy one)."""
    run_dir = large_run(tmp_path, 20_000)
    viewer = ViewerApp(run_dir)
    try:
        start = time.perf_counter()
        first = viewer.handle("/records?r=.")
        first_s = time.perf_counter() - start
        assert count(first.body) == "20,000 of 20,000 records · page 1 of 400"
        start = time.perf_counter()
        later = viewer.handle("/records?r=.&page=321&segment=s4&sort=failures")
        later_s = time.perf_counter() - start
        start = time.perf_counter()
        record = viewer.handle("/record?r=.&pos=19999")
        record_s = time.perf_counter() - start
    finally:
        viewer.close()
    assert later.status == 200 and record.status == 200
    assert re.search(r'id="record-id">r\d+<', record.body)
    assert len(first.body) < 200_000  # one page of rows, never the run
    assert first_s < 3.0, first_s
    assert later_s < 1.0 and record_s < 1.0, (later_s, record_s)


def test_a_run_half_replayed_shows_what_is_stored_and_reloads(folder: Path,
                                                              tmp_path: Path) -> None:
    """A replay going on: the run page says so and reloads itself, records without an
    answer yet are listed under the status "(none)"."""
    import shutil
    import sqlite3

    shutil.copytree(folder / "run", tmp_path / "run")
    with sqlite3.connect(tmp_path / "run" / "swapkit.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key = 'decision'")
        db.execute("DELETE FROM scores")
        db.execute("DELETE FROM completions WHERE target = (SELECT target FROM targets WHERE "
                   "side = 'candidate') AND request_hash IN (SELECT request_hash FROM records "
                   "WHERE position < 25)")
    viewer = ViewerApp(tmp_path / "run")
    try:
        run = viewer.handle("/run?r=.").body
        assert 'id="live"' in run and 'http-equiv="refresh"' in run
        assert "not decided yet" in run and "candidate 35" in run
        assert count(viewer.handle("/records?r=.&status=(none)").body).startswith("25 of 60")
        record = viewer.handle("/record?r=.&pos=0").body
        assert "not replayed" in record and "Not scored yet." in record
    finally:
        viewer.close()


def test_compare_two_runs_of_the_same_log(folder: Path, tmp_path: Path) -> None:
    """Gates side by side, and the records whose outcome changed (matched by request)."""
    import shutil
    import sqlite3

    shutil.copytree(folder / "run", tmp_path / "last-week")
    shutil.copytree(folder / "run", tmp_path / "this-week")
    with sqlite3.connect(tmp_path / "this-week" / "swapkit.sqlite") as db:
        db.execute("UPDATE completions SET status = 'error' WHERE target = (SELECT target FROM "
                   "targets WHERE side = 'candidate') AND request_hash IN (SELECT request_hash "
                   "FROM records WHERE position IN (1, 4, 9))")
    viewer = ViewerApp(tmp_path)
    try:
        run = viewer.handle("/run?r=last-week").body
        assert 'action="/compare"' in run and "<option>this-week</option>" in run
        page = viewer.handle("/compare?a=last-week&b=this-week")
        assert page.status == 200
        assert "3 of 60 shared records" in page.body
        assert page.body.count('class="badge NO-GO">NO-GO') >= 2  # exact_match in A and B
        assert "candidate error" in page.body
        for pos in (1, 4, 9):
            assert f'href="/record?r=this-week&amp;pos={pos}"' in page.body
        assert viewer.handle("/compare?a=last-week&b=nope").status == 404
    finally:
        viewer.close()


@pytest.mark.parametrize("target", [
    "/records?r=run&page=-5", "/records?r=run&page=" + "9" * 30, "/records?r=run&segment=%00",
    "/records?r=run&q=%25", "/records?r=run&q=%27%22%5C", "/records?r=run&q=%ff%fe",
    "/records?r=run&q=" + "x" * 5000, "/records?r=run&flag=nope&status=nope&sort=%00",
    "/record?r=run&pos=1e3", "/record?r=run&pos=" + "9" * 30, "/record?r=run&pos=3&page=x",
    "/run?r=run&r=..", "/compare?a=run", "/compare?a=run&b=run&page=-1", "/?sort=%ff&verdict=x",
    "/%2e%2e/%2e%2e/etc/passwd", "/static/../runs.html.j2", "//", "/?" + "&" * 1000,
])
def test_odd_requests_get_a_page_or_not_found(app: ViewerApp, target: str) -> None:
    response = app.handle(target)
    assert response.status in (200, 404), (target, response.status)
    assert "Traceback" not in response.body


def test_a_taken_port_is_a_clear_error(folder: Path) -> None:
    import socket

    from swapkit.errors import RuntimeFailure
    from swapkit.view.server import make_server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeFailure, match="choose another --port") as err:
            make_server(folder, port)
        assert f"127.0.0.1:{port}" in str(err.value) + (err.value.hint or "")
