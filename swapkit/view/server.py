"""Routing the viewer's requests, and the HTTP server on 127.0.0.1.

:class:`ViewerApp` turns a path and its query into a :class:`Response` (what the tests
call); :func:`serve` puts it behind ``http.server.ThreadingHTTPServer``. Requests are
served only to a Host header naming the loopback address (a web page elsewhere cannot
reach it by DNS rebinding), and every page forbids any network access but this server's.
Everything is GET and read-only but one POST, a review label (:mod:`swapkit.view.review`).
"""

from __future__ import annotations

import contextlib
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from swapkit.errors import RuntimeFailure, SwapkitError
from swapkit.report.assemble import record_row
from swapkit.report.lineup_page import LINEUP_FILE
from swapkit.report.model import RecordRow
from swapkit.store import DB_NAME
from swapkit.view.compare import changed_records, gate_pairs
from swapkit.view.index import PAGE_SIZE, SORTS, Query, RecordIndex, load_index, page_data
from swapkit.view.lineups import lineup_context
from swapkit.view.pages import Response, asset, html, problem, render, tool_calls_json
from swapkit.view.review import MAX_BODY, Review, reviewer_in
from swapkit.view.runs import RunReader, RunSummary, find_runs, unreadable

__all__ = ["Response", "ViewerApp", "serve"]

CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
RECORD_CHARS = 50_000  # characters of one text on a record page
RUN_SORTS = {"updated": "last written", "name": "name", "records": "records", "cost": "cost",
             "verdict": "verdict"}
STATIC = {"/static/report.css": ("report.css", "text/css"),
          "/static/view.css": ("view.css", "text/css"),
          "/static/view.js": ("view.js", "text/javascript")}


class ViewerApp:
    """The viewer over ``root``: one run directory, or a folder searched for runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.single = (root / DB_NAME).is_file()
        self._readers: dict[str, RunReader] = {}
        self._lock = threading.Lock()
        self.review = Review(self._reader, self.single)

    def close(self) -> None:
        """Close every store."""
        with self._lock:
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()

    def _runs(self) -> dict[str, Path]:
        return {".": self.root} if self.single else find_runs(self.root)

    def _reader(self, key: str) -> RunReader | None:
        """The open store of run ``key`` (None: no such run under the root)."""
        with self._lock:
            if key in self._readers:
                return self._readers[key]
            run_dir = self._runs().get(key)
            if run_dir is None:
                return None
            reader = self._readers[key] = RunReader(key, run_dir)
            return reader

    def handle(self, target: str, headers: Mapping[str, str] | None = None) -> Response:
        """Answer a GET of ``target`` (path and query)."""
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        reviewer = reviewer_in(lowered.get("cookie"))
        # a link followed from another site (the browser says so) may read, never set a name
        cross_site = lowered.get("sec-fetch-site", "none") not in ("same-origin", "none")
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query))
        if parts.path in STATIC:
            name, kind = STATIC[parts.path]
            return Response(200, asset(name), f"{kind}; charset=utf-8",
                            {"Cache-Control": "max-age=3600"})
        routes: dict[str, Callable[[dict[str, str]], Response]] = {
            "/": self._runs_page, "/run": lambda p: self._run_page(p, reviewer),
            "/records": self._records_page, "/record": self._record_page,
            "/compare": self._compare_page, "/lineup": self._lineup_page,
            "/review": lambda p: self.review.start(p, reviewer, cross_site),
            "/review/record": lambda p: self.review.record(p, reviewer)}
        route = routes.get(parts.path)
        if route is None:
            return _not_found("no such page")
        try:
            return route(params)
        except SwapkitError as err:
            return problem(500, "cannot read the run", str(err), err.hint)

    def post(self, target: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Answer a POST: only ``/review/label`` takes one."""
        if urlsplit(target).path != "/review/label":
            return Response(405, "only GET is served here", "text/plain; charset=utf-8",
                            {"Allow": "GET"})
        return self.review.label(headers, body)

    # -- pages ---------------------------------------------------------------------

    def _runs_page(self, params: dict[str, str]) -> Response:
        if self.single:
            return Response(303, "", headers={"Location": "/run?r=."})
        rows: list[RunSummary] = []
        for key, run_dir in self._runs().items():
            try:
                reader = self._reader(key)
                if reader is not None:
                    rows.append(reader.summary())
            except RuntimeFailure as err:
                rows.append(unreadable(key, run_dir, err))
        text = params.get("q", "").strip().lower()
        if text:
            rows = [r for r in rows if text in " ".join(
                (r.key, r.name, r.baseline, r.candidate)).lower()]
        verdict = params.get("verdict", "")
        if verdict:
            rows = [r for r in rows if r.verdict == verdict]
        sort = params.get("sort", "updated")
        sort = sort if sort in RUN_SORTS else "updated"
        key_of: dict[str, Callable[[RunSummary], Any]] = {
            "updated": lambda r: r.updated, "name": lambda r: r.name.lower(),
            "records": lambda r: r.records, "cost": lambda r: r.cost_usd or 0.0,
            "verdict": lambda r: r.verdict}
        rows.sort(key=key_of[sort], reverse=sort in ("updated", "records", "cost"))
        lineups = sorted(find_runs(self.root, LINEUP_FILE))
        return html(render("runs.html.j2", rows=rows, root=str(self.root), q=params.get("q", ""),
                            lineups=lineups, verdict=verdict, sort=sort, sorts=RUN_SORTS,
                            verdicts=["GO", "NO-GO", "INCONCLUSIVE", "not decided"]))

    def _lineup_page(self, params: dict[str, str]) -> Response:
        folder = ({".": self.root} if (self.root / LINEUP_FILE).is_file() else
                  find_runs(self.root, LINEUP_FILE)).get(params.get("l", ""))
        if folder is None:
            return _not_found("no such lineup")
        try:
            context = lineup_context(self.root, folder, self._reader)
        except (OSError, ValueError) as err:
            return problem(500, "cannot read the lineup", f"{folder / LINEUP_FILE}: {err}",
                           "run the lineup again: swapkit run swap.yaml")
        return html(render("lineup.html.j2", **context))

    def _run_page(self, params: dict[str, str], reviewer: str | None) -> Response:
        reader = self._reader(params.get("r", ""))
        if reader is None:
            return _not_found("no such run")
        summary = reader.summary()
        review = self.review.progress(reader)
        with reader.lock:
            decision = reader.decision()
            # Counted on the completions' index alone (no answer text is read).
            progress = [(side, reader.store.db.execute(
                "SELECT COUNT(*) FROM completions WHERE target = ? AND sample = 0",
                (target.target,)).fetchone()[0])
                for side, target in sorted(reader.store.targets().items())]
        live = any(stored < summary.records for _, stored in progress)
        others = [] if self.single else [k for k in self._runs() if k != reader.key]
        level = None if decision is None else round((1 - 2 * decision.alpha) * 100)
        return html(render("run.html.j2", run=summary, d=decision, progress=progress,
                            single=self.single, live=live, others=others, level=level,
                            review=review, reviewer=reviewer))

    def _records_page(self, params: dict[str, str]) -> Response:
        reader = self._reader(params.get("r", ""))
        if reader is None:
            return _not_found("no such run")
        query = Query.parse(params)
        started = time.perf_counter()
        with reader.lock:
            index = load_index(reader)
            chosen = _select(reader, index, query)
            pages = max(1, -(-len(chosen) // PAGE_SIZE))
            page = min(query.page, pages)
            shown = chosen[(page - 1) * PAGE_SIZE:page * PAGE_SIZE].tolist()
            rows = _rows(reader, index, shown, limit=300)
        summary = reader.summary()
        return html(render(
            "records.html.j2", run=summary, rows=rows, query=query, page=page, pages=pages,
            matched=len(chosen), total=len(index), sorts=SORTS, single=self.single,
            segments=sorted(set(index.segments.tolist())),
            statuses=sorted(set(index.cand_status.tolist())), flags=sorted(index.flags),
            seconds=time.perf_counter() - started))

    def _record_page(self, params: dict[str, str]) -> Response:
        reader = self._reader(params.get("r", ""))
        if reader is None:
            return _not_found("no such run")
        try:
            position = int(params.get("pos", ""))
        except ValueError:
            return _not_found("no such record")
        query = Query.parse(params)
        with reader.lock:
            index = load_index(reader)
            if not 0 <= position < len(index):
                return _not_found("no such record")
            chosen = _select(reader, index, query).tolist()
            row = _rows(reader, index, [position], limit=RECORD_CHARS)[0]
        here = chosen.index(position) if position in chosen else None
        before = chosen[here - 1] if here is not None and here > 0 else None
        after = chosen[here + 1] if here is not None and here + 1 < len(chosen) else None
        summary = reader.summary()
        return html(render(
            "record.html.j2", run=summary, row=row, query=query, single=self.single,
            before=before, after=after, limit=RECORD_CHARS, calls={side: tool_calls_json(row, side)
                                               for side in ("baseline", "candidate")}))

    def _compare_page(self, params: dict[str, str]) -> Response:
        a, b = self._reader(params.get("a", "")), self._reader(params.get("b", ""))
        if a is None or b is None:
            return _not_found("no such run")
        query = Query.parse(params)
        changes, shared = changed_records(a, b)
        pages = max(1, -(-len(changes) // PAGE_SIZE))
        page = min(query.page, pages)
        with a.lock:
            decision_a = a.decision()
        with b.lock:
            decision_b = b.decision()
        return html(render(
            "compare.html.j2", a=a.summary(), b=b.summary(), shared=shared, page=page,
            pages=pages, changes=changes[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
            changes_total=len(changes), gates=gate_pairs(decision_a, decision_b)))


def _select(reader: RunReader, index: RecordIndex, query: Query) -> np.ndarray:
    """The positions ``query`` selects. The last search's matches are kept until the store
    changes (paging through them searches once); only the last, so memory stays flat."""
    found = None
    if query.q:
        last = reader.cached("search")
        if last is not None and last[0] == query.q:
            found = last[1]
        else:
            found = reader.remember("search", (query.q, index.search(reader, query.q)))[1]
    return index.select(query, found)


def _rows(reader: RunReader, index: RecordIndex, positions: list[int], limit: int
          ) -> list[RecordRow]:
    """The report's record rows for ``positions`` (texts cut at ``limit`` characters)."""
    if not positions:
        return []
    data = page_data(reader, index, positions)
    decision = reader.decision()
    divergent = set(decision.noise.divergent_ids) if decision is not None else set()
    return [record_row(i, data, index.scores, float(index.regression[i]),
                       float(index.blocking[i]), divergent, index.failed, limit)
            for i in positions]


def _not_found(message: str) -> Response:
    return problem(404, "not found", message, "go back to the list of runs")


class _Handler(BaseHTTPRequestHandler):
    """The HTTP adapter: GET (and the review's one POST), loopback Host only, quiet."""

    app: ViewerApp
    port: int
    server_version = "swapkit-view"

    def do_GET(self) -> None:
        self._answer(lambda: self.app.handle(self.path, dict(self.headers.items())))

    def do_POST(self) -> None:
        self._answer(self._post)

    def _post(self) -> Response:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return Response(411, "a length is needed", "text/plain; charset=utf-8")
        if not 0 <= length <= MAX_BODY:  # not read: the connection closes instead
            self.close_connection = True
            return Response(413, "too large", "text/plain; charset=utf-8")
        return self.app.post(self.path, dict(self.headers.items()), self.rfile.read(length))

    def _answer(self, respond: Callable[[], Response]) -> None:
        host = self.headers.get("Host", "")
        if host not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}"):
            response = Response(421, "wrong host", "text/plain; charset=utf-8")
        else:
            try:
                response = respond()
            except Exception as err:  # one bad request never stops the viewer
                response = Response(500, f"internal error: {type(err).__name__}",
                                    "text/plain; charset=utf-8")
        body = response.body.encode("utf-8")
        headers = {"Content-Type": response.content_type, "Content-Length": str(len(body)),
                   "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer", **response.headers}
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the terminal shows the address and nothing else."""


def make_server(root: Path, port: int = 0) -> tuple[ThreadingHTTPServer, ViewerApp]:
    """The viewer's server on 127.0.0.1 (``port`` 0: a free one), not yet serving."""
    app = ViewerApp(root)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    except OSError as err:
        raise RuntimeFailure(f"cannot listen on 127.0.0.1:{port} ({err})",
                             hint="choose another --port, or leave it out for a free one"
                             ) from None
    server.daemon_threads = True
    bound = server.server_address[1]
    server.RequestHandlerClass = type("Handler", (_Handler,), {"app": app, "port": bound})
    return server, app


def serve(root: Path, port: int = 0, open_browser: bool = True,
          announce: Callable[[str], None] = print) -> None:
    """Serve the viewer until interrupted (Ctrl-C)."""
    server, app = make_server(root, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    announce(f"swapkit view: {url}  (Ctrl-C stops it)")
    if open_browser:
        with contextlib.suppress(webbrowser.Error):
            webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        announce("stopped")
    finally:
        server.server_close()
        app.close()
