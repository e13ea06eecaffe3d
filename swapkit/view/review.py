"""Blind, paired human review in the viewer: the plan's records one by one, the two answers
as "Answer A" and "Answer B" in the order the plan drew, and the one form that writes.

The review pages show nothing that tells the sides apart (no side or target names, no
scores, statuses, costs or latencies, no diff, no stratum). ``POST /review/label`` is the
viewer's only write: one label through :class:`~swapkit.store.reviews.LabelWriter`,
accepted only from this server's own pages (Origin or Referer naming this server, the
server's random form token, a small url-encoded body) and only for a record in the plan.
Who reviews is a name typed once and kept in the ``swapkit_reviewer`` cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode

from swapkit.completion import Completion
from swapkit.errors import SwapkitError
from swapkit.ingest.labels import HumanLabel
from swapkit.records import Record, message_text
from swapkit.store.reviews import (
    LabelWriter,
    PlannedRecord,
    answers_digest,
    has_review_tables,
    load_plan,
)
from swapkit.view.pages import Response, calls_json, html, problem, render
from swapkit.view.runs import RunReader

__all__ = ["COOKIE", "MAX_BODY", "Review", "reviewer_in"]

COOKIE = "swapkit_reviewer"
MAX_BODY = 16 * 1024  # bytes of one label's form
MAX_NOTE = 2000
MAX_NAME = 80
CHARS = 50_000  # characters of one text on a review page
# form value → label
CHOICES: dict[str, Literal["A", "B", "tie", "both_bad"]] = {
    "A": "A", "B": "B", "same": "tie", "both_bad": "both_bad"}
WORDS = {"A": "A better", "B": "B better", "tie": "about the same",
         "both_bad": "both unacceptable"}
# The review pages' forms must send their Origin: "no-referrer" would make it "null".
REFERRER = {"Referrer-Policy": "same-origin"}
_LABELS = "SELECT record_id, reviewer, label FROM labels ORDER BY id"


def reviewer_name(value: str | None) -> str | None:
    """A reviewer's name trimmed, or None when it is empty, too long or has control
    characters."""
    name = (value or "").strip()
    if not 0 < len(name) <= MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return None
    return name


def reviewer_in(cookies: str | None) -> str | None:
    """The reviewer named by a request's Cookie header (None: none, or not a valid name)."""
    for part in (cookies or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return reviewer_name(unquote(value))
    return None


def _cookie(name: str) -> str:
    return f"{COOKIE}={quote(name, safe='')}; Path=/; SameSite=Strict; Max-Age=31536000"


@dataclass
class Progress:
    """A review's state: the plan, and each planned record's latest label per reviewer."""

    plan: list[PlannedRecord]
    latest: dict[tuple[str, str], str]  # (record id, reviewer) → label

    def mine(self, reviewer: str | None) -> set[str]:
        """The planned records ``reviewer`` has labelled."""
        return {r.record_id for r in self.plan if (r.record_id, reviewer) in self.latest}

    def anyone(self) -> set[str]:
        """The planned records someone has labelled."""
        labelled = {record for record, _ in self.latest}
        return {r.record_id for r in self.plan if r.record_id in labelled}

    def next_for(self, reviewer: str | None, after: int = -1) -> PlannedRecord | None:
        """The first record past rank ``after`` that ``reviewer`` has not labelled (from the
        start again when none is left past it; None: every one is labelled)."""
        mine = self.mine(reviewer)
        left = [r for r in self.plan if r.record_id not in mine]
        return next((r for r in left if r.rank > after), left[0] if left else None)


class Review:
    """The review pages of every run the viewer serves."""

    def __init__(self, reader_of: Callable[[str], RunReader | None], single: bool) -> None:
        self.reader_of, self.single = reader_of, single
        self.token = secrets.token_urlsafe(32)  # the forms' token, one per server
        self._secret = secrets.token_bytes(32)  # signs the order shown; never on a page

    def progress(self, reader: RunReader) -> Progress | None:
        """The run's review (None: the store has no review tables, or no plan)."""
        with reader.lock:
            cached = reader.cached("review")
            if cached is not None:
                return cached  # type: ignore[no-any-return]
            db = reader.store.db
            if not has_review_tables(db):
                return None
            plan = load_plan(db)
            if not plan:
                return None
            latest = {(record, who): label for record, who, label in db.execute(_LABELS)}
            return reader.remember("review", Progress(plan, latest))  # type: ignore[no-any-return]

    def _check(self, key: str, planned: PlannedRecord, answers: str) -> str:
        """What the form carries to tell the record, the order it was shown in and the
        answers shown (a page cannot read the order out of it)."""
        text = f"{key}\0{planned.record_id}\0{planned.shown}\0{answers}".encode()
        return hmac.new(self._secret, text, hashlib.sha256).hexdigest()[:32]

    def _no_plan(self, reader: RunReader) -> Response:
        with reader.lock:
            old = not has_review_tables(reader.store.db)
        why = ("its store predates reviews" if old else "nobody has planned one yet")
        return problem(404, "no review plan", f"This run has no review plan: {why}.",
                       f"draw the records to review with: swapkit review plan {reader.run_dir}")

    # -- pages ---------------------------------------------------------------------

    def start(self, params: dict[str, str], reviewer: str | None,
              cross_site: bool = False) -> Response:
        """``GET /review``: who reviews, progress per stratum, the next record to label
        (``cross_site``: the request came from another site's page, which may not set the
        reviewer's name)."""
        reader = self.reader_of(params.get("r", ""))
        if reader is None:
            return problem(404, "not found", "no such run", "go back to the list of runs")
        if "reviewer" in params and cross_site:
            return problem(403, "not from this page", "A reviewer's name is set from the "
                           "review page itself, not from a link on another site.",
                           "open the review page and type your name there")
        if "reviewer" in params:  # the name form: kept in a cookie, then the page again
            name = reviewer_name(params["reviewer"])
            if name is None:
                return problem(400, "no reviewer name", f"A reviewer's name is 1 to {MAX_NAME} "
                               "characters, without control characters.", "go back and type it")
            return Response(303, "", headers={"Location": f"/review?{urlencode({'r': reader.key})}",
                                              "Set-Cookie": _cookie(name)})
        state = self.progress(reader)
        if state is None:
            return self._no_plan(reader)
        return html(render(
            "review.html.j2", key=reader.key, single=self.single, reviewer=reviewer,
            planned=len(state.plan), mine=len(state.mine(reviewer)),
            anyone=len(state.anyone()),
            next=state.next_for(reviewer), max_name=MAX_NAME), **REFERRER)

    def record(self, params: dict[str, str], reviewer: str | None) -> Response:
        """``GET /review/record``: one planned record, blind and paired, and the form."""
        reader = self.reader_of(params.get("r", ""))
        if reader is None:
            return problem(404, "not found", "no such run", "go back to the list of runs")
        state = self.progress(reader)
        if state is None:
            return self._no_plan(reader)
        ranks = [r.rank for r in state.plan]
        try:
            here = ranks.index(int(params.get("rank", "")))
        except ValueError:
            return problem(404, "not found", "no such record in the review plan",
                           "go back to the review's start page")
        planned = state.plan[here]
        record, sides = self._pair(reader, planned)
        if record is None or record.id != planned.record_id:
            return problem(409, "the plan does not match the run",
                           f"the plan's record at position {planned.position} is not in the "
                           "run's records", f"plan the review again: swapkit review plan "
                           f"{reader.run_dir}")
        shown = answers_digest(sides.get("baseline"), sides.get("candidate"))
        if shown is None:  # labelling one answer against nothing would say which is which
            return problem(409, "not ready", "This record's answers are not all stored yet "
                           "(the replay may still be running).",
                           "come back to it later; the next records may be ready")
        order = ("baseline", "candidate") if planned.shown == "AB" else ("candidate", "baseline")
        answers = [(letter, _answer(sides.get(side))) for letter, side in zip("AB", order,
                                                                           strict=True)]
        latest = state.latest.get((planned.record_id, reviewer)) if reviewer else None
        after = state.next_for(reviewer, planned.rank)
        return html(render(
            "review_record.html.j2", key=reader.key, single=self.single, reviewer=reviewer,
            number=here + 1, planned=len(state.plan), max_name=MAX_NAME, max_note=MAX_NOTE,
            conversation=[(str(m.get("role")), _cut(message_text(m))) for m in record.messages],
            answers=answers, latest=WORDS.get(latest or ""), token=self.token,
            record_id=planned.record_id, check=self._check(reader.key, planned, shown),
            before=ranks[here - 1] if here > 0 else None,
            after=ranks[here + 1] if here + 1 < len(ranks) else None,
            unlabelled=None if after is None or after.rank == planned.rank else after.rank),
            **REFERRER)

    @staticmethod
    def _pair(reader: RunReader, planned: PlannedRecord
              ) -> tuple[Record | None, dict[str, Completion | None]]:
        """The planned record and each side's first answer to it."""
        with reader.lock:
            store = reader.store
            row = store.db.execute("SELECT record, request_hash FROM records WHERE position = ?",
                                   (planned.position,)).fetchone()
            if row is None:
                return None, {}
            sides: dict[str, Completion | None] = {}
            for side, target in store.targets().items():
                key = store.db.execute("SELECT key FROM completions WHERE target = ? AND "
                                       "request_hash = ? AND sample = 0",
                                       (target.target, row[1])).fetchone()
                sides[side] = None if key is None else store.get_completion(key[0])
        return Record.model_validate_json(row[0]), sides

    # -- the one write -------------------------------------------------------------

    def label(self, headers: Mapping[str, str], body: bytes) -> Response:
        """``POST /review/label``: store one label, then on to this reviewer's next record."""
        headers = {name.lower(): value for name, value in headers.items()}
        form, refused = self._form(headers, body)
        if form is None:
            return refused
        reviewer = reviewer_name(form.get("reviewer")) or reviewer_in(headers.get("cookie"))
        note = form.get("note", "").strip()
        if reviewer is None:
            return _bad(f"A reviewer's name is needed (1 to {MAX_NAME} characters).")
        if form.get("choice") not in CHOICES:
            return _bad("Choose A better, about the same, B better or both unacceptable.")
        if len(note) > MAX_NOTE:
            return _bad(f"A note is at most {MAX_NOTE:,} characters.")
        reader = self.reader_of(form.get("r", ""))
        if reader is None:
            return _bad("No such run.")
        state = self.progress(reader)
        if state is None:
            return _bad("This run has no review plan.",
                        f"plan one first: swapkit review plan {reader.run_dir}")
        record_id = form.get("record", "")
        planned = next((r for r in state.plan if r.record_id == record_id), None)
        if planned is None:
            return _bad(f"Record {record_id!r} is not in this run's review plan: only planned "
                        "records are labelled here.")
        _, sides = self._pair(reader, planned)
        shown = answers_digest(sides.get("baseline"), sides.get("candidate"))
        if shown is None or not hmac.compare_digest(form.get("check", ""),
                                                    self._check(reader.key, planned, shown)):
            return problem(409, "the review plan or the answers changed",
                           "The plan was drawn again, or the record's answers changed, since "
                           "this page was shown; nothing was stored.",
                           "open the record again and label it there")
        label = CHOICES[form["choice"]]
        try:
            with LabelWriter(reader.run_dir) as writer:
                writer.add([HumanLabel(record_id=record_id, reviewer=reviewer, label=label,
                                       order=planned.shown if label in ("A", "B") else None,
                                       note=note or None, answers=shown)])
        except SwapkitError as err:
            return problem(500, "the label was not stored", str(err), err.hint)
        now = Progress(state.plan, {**state.latest, (record_id, reviewer): label})
        after = now.next_for(reviewer, planned.rank)
        where = (f"/review/record?{urlencode({'r': reader.key, 'rank': after.rank})}"
                 if after is not None else f"/review?{urlencode({'r': reader.key})}")
        return Response(303, "", headers={"Location": where, "Set-Cookie": _cookie(reviewer),
                                          "Cache-Control": "no-store"})

    def _form(self, headers: Mapping[str, str], body: bytes
              ) -> tuple[dict[str, str] | None, Response]:
        """The posted form, or why it is refused (nothing is stored then)."""
        host = headers.get("host", "")
        own = f"http://{host}"
        origin, referer = headers.get("origin"), headers.get("referer")
        same = (origin == own if origin is not None else
                referer is not None and (referer == own or referer.startswith(own + "/")))
        if not host or not same or headers.get("sec-fetch-site", "same-origin") != "same-origin":
            return None, problem(403, "refused", "A label is accepted only from this viewer's "
                                 "own pages.", "label the record from its review page")
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return None, problem(415, "refused", "A label comes as a url-encoded form.")
        if len(body) > MAX_BODY:
            return None, problem(413, "refused", f"A label's form is at most {MAX_BODY:,} "
                                 "bytes.")
        try:
            pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True,
                              max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            return None, _bad("The form could not be read.")
        form = dict(pairs)
        if len(form) != len(pairs):
            return None, _bad("The form names a field twice.")
        if not hmac.compare_digest(form.get("token", "").encode(), self.token.encode()):
            return None, problem(403, "refused", "The form's token is missing or is not this "
                                 "viewer's (was the viewer restarted?); nothing was stored.",
                                 "reload the record's page and label it again")
        return form, Response(200, "")


def _bad(message: str, hint: str | None = "go back to the record's page") -> Response:
    return problem(400, "label not stored", message, hint)


def _cut(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= CHARS else text[:CHARS] + " [...]"


def _answer(c: Completion | None) -> dict[str, str]:
    """One answer as the blind page shows it: its texts only."""
    if c is None:  # not shown: the page waits for both answers
        return {"text": "", "missing": "no answer", "reasoning": "", "calls": ""}
    return {"text": _cut(c.answer), "missing": "" if c.answer or c.tool_calls else "no answer",
            "reasoning": _cut(c.reasoning),
            "calls": calls_json([{"name": t.name, "arguments": _cut(t.arguments)}
                                 for t in c.tool_calls])}
