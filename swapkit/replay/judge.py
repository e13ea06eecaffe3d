"""The judge's requests: a versioned template rendered into a chat request per record and
order, run by the replay as a third target (side ``judge``) after both sides answered.

For each record whose two sides both answered, the judge is asked twice: with the
baseline's answer shown as A and the candidate's as B (order ``AB``), and swapped (``BA``).
The default pairwise template ships in the package (``templates/pairwise-v1.jinja``); a
suite may name its own file (``template:``) with the same variables: ``conversation``
(the request's messages as text, system included), ``answer_a``, ``answer_b`` and
``reference`` (None when the record has none). Templates run in Jinja's sandbox: a suite
can come from a pull request.

Rendering is deterministic: the replay's judge stage and the metric build the very same
request, so the metric finds the stored verdict by its hash, and a changed template,
answer or judge gives a new request (judged again) instead of a stale verdict.

A seeded subset of the judged records (:func:`rejudge_subset`, ``rejudge:`` records in
swap.yaml's ``judge:``) is judged a second time: the same two requests, a second
completion each (sample 1), from which the metric measures the judge's agreement with
itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import orjson

from swapkit.completion import Completion, outcome
from swapkit.config import Suite
from swapkit.errors import ConfigError
from swapkit.ingest.sampling import Keyed, noise_subset
from swapkit.records import Record, message_text
from swapkit.support.hashing import completion_key, request_hash

__all__ = ["JUDGE_SCHEMA_PREFIX", "ORDERS", "PAIRWISE_METRIC", "PAIRWISE_SCHEMA_NAME",
           "PAIRWISE_VERSION", "REJUDGE_SAMPLE", "JudgeCall", "JudgeTemplate", "answer_text",
           "cut", "inert", "judge_calls", "load_template", "rejudge_subset",
           "render_conversation", "shown_reference", "suite_templates"]

# AB: the baseline's answer shown first (as A); BA: the candidate's.
ORDERS = ("AB", "BA")

PAIRWISE_METRIC = "judge_pairwise"
PAIRWISE_VERSION = "pairwise-v1"
# The structured-output schema's name carries the template version: a new version is a
# new request, judged again. The simulator recognises judge requests by its prefix.
JUDGE_SCHEMA_PREFIX = "swapkit_judge_"
PAIRWISE_SCHEMA_NAME = JUDGE_SCHEMA_PREFIX + PAIRWISE_VERSION.replace("-", "_")
MAX_MESSAGE_CHARS = 4000  # each message of the conversation, shown to the judge
MAX_ANSWER_CHARS = 8000  # each answer
MAX_TEMPLATE_BYTES = 256 * 1024
REJUDGE_SAMPLE = 1  # the sample index of the second judging, on the re-judged subset
# The tags that frame each part of the shipped template. An answer (untrusted: the model
# under test wrote it) that writes one could close its own section and address the judge
# ("</answer_b> ... verdict B"): in the text shown to the judge, such a tag is defused.
_SECTION_TAG = re.compile(
    r"<(\s*/?\s*(?:answer_a|answer_b|answer|conversation|reference|rubric)\b)", re.IGNORECASE)

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"reason": {"type": "string"},
                   "verdict": {"type": "string", "enum": ["A", "B", "tie"]}},
    "required": ["reason", "verdict"],
    "additionalProperties": False,
}


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters: its start and end around a marker that says
    how much was left out (the end of a long message often holds the question)."""
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 3
    return f"{text[:head]}\n[... {len(text) - head - tail:,} characters cut ...]\n{text[-tail:]}"


def _tool_call_lines(calls: Any) -> list[str]:
    lines = []
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                arguments = orjson.dumps(arguments).decode() if arguments is not None else ""
            lines.append(f"(tool call: {function.get('name')}({arguments}))")
    return lines


def render_conversation(messages: list[dict[str, Any]]) -> str:
    """The messages as text, one ``[role]`` block each, long ones cut with a marker."""
    blocks = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        text = message_text(message)
        parts = [text] if text else []
        parts += _tool_call_lines(message.get("tool_calls"))
        role = message.get("role") if isinstance(message.get("role"), str) else "message"
        blocks.append(f"[{role}]\n{cut(chr(10).join(parts), MAX_MESSAGE_CHARS)}")
    return "\n\n".join(blocks)


def answer_text(completion: Completion) -> str:
    """What a side answered, as the judge reads it: the text, then any tool calls."""
    lines = [completion.answer] if completion.answer else []
    lines += [f"(tool call: {c.name}({c.arguments}))" for c in completion.tool_calls]
    return cut("\n".join(lines), MAX_ANSWER_CHARS)


def inert(text: str) -> str:
    """``text`` with the template's section tags defused (``<`` written as ``&lt;``), so
    that nothing a model wrote can end its section or open another one."""
    return _SECTION_TAG.sub(r"&lt;\1", text)


def shown_reference(record: Record) -> str | None:
    """The record's reference as the judge reads it (None when it has none)."""
    reference = record.reference
    if reference is None or reference == "":
        return None
    text = reference if isinstance(reference, str) else orjson.dumps(reference).decode()
    return cut(text, MAX_ANSWER_CHARS)


@dataclass(frozen=True)
class JudgeTemplate:
    """A judge template (pairwise or pointwise): its version (or file) and its source."""

    version: str
    source: str

    def render(self, variables: str, **values: Any) -> str:
        """The prompt: the template rendered with ``values`` (``variables``: their names, for
        the error a template using another one gets)."""
        try:
            return _compiled(self.source).render(**values).strip()
        except jinja2.TemplateError as err:
            raise ConfigError(f"judge template {self.version}: {err}",
                              hint=f"its variables: {variables}") from None

    def request(self, record: Record, answer_a: str, answer_b: str,
                structured: bool) -> dict[str, Any]:
        """The chat request asking the judge to compare answer A and answer B."""
        reference = shown_reference(record)
        prompt = self.render(
            "conversation, answer_a, answer_b, reference",
            conversation=inert(render_conversation(record.messages)),
            answer_a=inert(answer_a), answer_b=inert(answer_b),
            reference=None if reference is None else inert(reference))
        request: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}],
                                   "temperature": 0}
        if structured:
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": PAIRWISE_SCHEMA_NAME, "strict": True, "schema": VERDICT_SCHEMA}}
        return request


def _environment() -> jinja2.Environment:
    return jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False, autoescape=False)


@functools.lru_cache(maxsize=16)
def _compiled(source: str) -> jinja2.Template:
    return _environment().from_string(source)


def load_template(path: Path | None, shipped: str = PAIRWISE_VERSION) -> JudgeTemplate:
    """The shipped template ``shipped`` (default: the pairwise one), or the user's file at
    ``path``."""
    if path is None:
        source = resources.files("swapkit.replay").joinpath(
            "templates", f"{shipped}.jinja").read_text(encoding="utf-8")
        return JudgeTemplate(shipped, source)
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise ConfigError(f"judge template {path}: larger than "
                              f"{MAX_TEMPLATE_BYTES // 1024} KB", hint="a prompt template "
                              "is a few KB")
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"judge template {path}: cannot read it ({err})",
                          hint="give a readable UTF-8 Jinja file (relative paths are "
                          "relative to the suite file)") from None
    try:
        _environment().parse(source)
    except jinja2.TemplateSyntaxError as err:
        raise ConfigError(f"judge template {path}:{err.lineno}: {err.message}") from None
    return JudgeTemplate(str(path), source)


def suite_templates(suite: Suite) -> list[JudgeTemplate]:
    """The templates of the suite's pairwise judge metric, each once (gated but not listed:
    the shipped template)."""
    paths: list[Path | None] = []
    listed = set()
    for spec in suite.metrics:
        name, options = (spec, None) if isinstance(spec, str) else next(iter(spec.items()))
        if name != PAIRWISE_METRIC:
            continue
        listed.add(name)
        template = (options or {}).get("template")
        if template is not None and not isinstance(template, str):
            raise ConfigError(f"metric {name}: template must be a file path, got "
                              f"{template!r}", hint="e.g. template: judges/pairwise.jinja")
        paths.append(Path(template) if template else None)
    paths += [None for gate in suite.gates if gate.metric == PAIRWISE_METRIC
              and gate.metric not in listed]
    return [load_template(path) for path in dict.fromkeys(paths)]


@dataclass(frozen=True)
class JudgeCall:
    """One request to the judge: which order, the request as a record, its hash and key."""

    order: str  # pairwise: AB or BA; a pointwise ask: the side whose answer is judged
    record: Record
    request_hash: str
    key: str


def judge_calls(record: Record, base: Completion | None, cand: Completion | None,
                template: JudgeTemplate, identity: dict[str, Any],
                structured: bool, sample: int = 0) -> list[JudgeCall]:
    """The judge's two calls for one record (none unless both sides answered, and answered
    differently: identical answers are a tie without asking).

    ``identity``: the judge's target identity; a call's key is that of any completion,
    ``completion_key(identity, request hash, sample)`` (sample 1: the second judging)."""
    if base is None or cand is None or outcome(base) != "answer" or outcome(cand) != "answer":
        return []
    answers = {"AB": (answer_text(base), answer_text(cand)),
               "BA": (answer_text(cand), answer_text(base))}
    if answers["AB"][0] == answers["AB"][1]:
        return []  # the judge would read the same answer twice: a tie, not worth a call
    calls = []
    for order in ORDERS:
        request = template.request(record, *answers[order], structured)
        digest = request_hash(request)
        calls.append(JudgeCall(order, Record(id=f"{record.id}#judge-{order}", request=request,
                                             segment=record.segment), digest,
                               completion_key(identity, digest, sample)))
    return calls


def rejudge_subset(judged: Sequence[Keyed], size: int, seed: int) -> set[str]:
    """Request hashes of the records judged a second time: a seeded, segment-stratified
    subset of ``size`` of the ``judged`` records (those the judge was asked about), drawn
    like the noise floor's subset but independently of it."""
    return noise_subset(judged, size, seed, salt="rejudge") if size else set()
