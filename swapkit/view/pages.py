"""The viewer's HTML pages: Jinja templates with autoescaping, the report's gate wording and
record rows, and no script or style from anywhere but the viewer itself.

Every text from a store (model answers, prompts, names) reaches the page through
autoescaping, with bidirectional controls removed as in the report.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
import markupsafe

from swapkit.decision.reasons import gate_interval, gate_rule, gate_value, segment_value
from swapkit.report.html import OPS_ROWS, _op
from swapkit.report.model import RecordRow
from swapkit.support.numbers import (
    fmt_count,
    fmt_money,
    fmt_p,
    fmt_percent,
    fmt_ratio,
    fmt_seconds,
    fmt_value,
)
from swapkit.support.sanitize import no_bidi

__all__ = ["Response", "asset", "calls_json", "html", "problem", "render", "tool_calls_json"]


def _no_bidi(value: Any) -> Any:
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(no_bidi(str(value)))
    return no_bidi(value) if isinstance(value, str) else value


def _url(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _score(value: float | None) -> str:
    return "-" if value is None else fmt_value(value, False)


def _combine(base: dict[str, Any], more: dict[str, str]) -> dict[str, Any]:
    return {**base, **more}


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("swapkit.view", "templates"), autoescape=True,
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, finalize=_no_bidi)
_ENV.filters.update(rule=gate_rule, side=gate_value, interval=gate_interval, seg=segment_value,
                    pvalue=fmt_p, thousands=fmt_count, percent=fmt_percent, money=fmt_money,
                    seconds=fmt_seconds, score=_score, ratio=fmt_ratio, op=_op,
                    combine=_combine)
_ENV.globals.update(url=_url, ops_rows=OPS_ROWS)


def render(template: str, **context: Any) -> str:
    """One page."""
    return _ENV.get_template(template).render(**context)


def asset(name: str) -> str:
    """A static file of the viewer (or the report's stylesheet, which it builds on)."""
    if name == "report.css":
        return resources.files("swapkit.report").joinpath("templates", name).read_text("utf-8")
    return resources.files("swapkit.view").joinpath("templates", name).read_text("utf-8")


def tool_calls_json(row: RecordRow, side: str) -> str:
    """A side's tool calls as indented JSON, arguments parsed when they are JSON."""
    return calls_json(getattr(row, side).tool_calls)


def calls_json(tool_calls: list[dict[str, str]]) -> str:
    """Tool calls (name, arguments) as indented JSON, arguments parsed when they are JSON."""
    calls = []
    for call in tool_calls:
        arguments: Any = call.get("arguments", "")
        with contextlib.suppress(TypeError, ValueError):
            arguments = json.loads(arguments)
        calls.append({"name": call.get("name"), "arguments": arguments})
    return json.dumps(calls, indent=2, ensure_ascii=False) if calls else ""


@dataclass
class Response:
    """What a request gets back."""

    status: int
    body: str
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def html(body: str, **headers: str) -> Response:
    """A page (never cached: the stores change under it)."""
    return Response(200, body, headers={"Cache-Control": "no-store", **headers})


def problem(status: int, title: str, message: str, hint: str | None = None) -> Response:
    """A page saying what went wrong, and what to do."""
    return Response(status, render("problem.html.j2", title=title, message=message, hint=hint),
                    headers={"Cache-Control": "no-store"})
