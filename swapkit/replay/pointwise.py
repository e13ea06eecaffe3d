"""The judge's pointwise requests: one answer judged alone, once per side.

``judge_score`` asks the judge to grade an answer on a scale (template ``score-v1``, reply
``{"reason", "score"}``, an integer from 1 to 10 unless ``scale:`` says otherwise), or
pass/fail with ``pass_fail: true`` (``{"reason", "verdict": "pass" | "fail"}``), against
the suite's ``rubric:`` when it gives one. ``judge_reference`` asks whether an answer
agrees with the record's reference (template ``reference-v1``, ``{"reason", "verdict":
"correct" | "incorrect"}``), for records that have one.

Each request shows the conversation and one answer, never the other side's: the judge
cannot tell which side wrote it, and there is no order to swap. Two sides that answered
alike send the very same request, so one call gives both their verdict. A user template
(``template:``, Jinja in the sandbox) sees the variables conversation, answer, reference,
rubric, pass_fail, scale_low and scale_high. Rendering is deterministic, as for the
pairwise requests (:mod:`swapkit.replay.judge`): the metric rebuilds them to find the
stored verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from swapkit.completion import Completion, outcome
from swapkit.errors import ConfigError
from swapkit.records import Record
from swapkit.replay.judge import (
    JUDGE_SCHEMA_PREFIX,
    JudgeCall,
    JudgeTemplate,
    answer_text,
    inert,
    load_template,
    render_conversation,
    shown_reference,
)
from swapkit.support.hashing import completion_key, request_hash

__all__ = ["REFERENCE_METRIC", "REFERENCE_VERSION", "SCORE_METRIC", "SCORE_VERSION",
           "PointwiseAsk", "ReferenceOptions", "ScoreOptions", "pointwise_ask"]

SCORE_METRIC = "judge_score"
REFERENCE_METRIC = "judge_reference"
SCORE_VERSION = "score-v1"
REFERENCE_VERSION = "reference-v1"
MAX_RUBRIC_CHARS = 4000
MAX_SCALE = 100
VARIABLES = "conversation, answer, reference, rubric, pass_fail, scale_low, scale_high"
# The verdict words of a pass/fail reply: (good, bad).
PASS_FAIL = ("pass", "fail")
CORRECT_INCORRECT = ("correct", "incorrect")


class ReferenceOptions(BaseModel):
    """Options of ``judge_reference``."""

    model_config = ConfigDict(extra="forbid")

    template: str | None = Field(
        default=None, description="a Jinja template file (relative to the suite file) with "
        f"the variables {VARIABLES}; default: the shipped {REFERENCE_VERSION}")


class ScoreOptions(ReferenceOptions):
    """Options of ``judge_score``."""

    template: str | None = Field(
        default=None, description="a Jinja template file (relative to the suite file) with "
        f"the variables {VARIABLES}; default: the shipped {SCORE_VERSION}")
    rubric: str | None = Field(
        default=None, min_length=1, max_length=MAX_RUBRIC_CHARS,
        description="the criteria the judge grades against, inserted in the template")
    scale: tuple[int, int] = Field(
        default=(1, 10), description="the lowest and the highest score, integers; scores are "
        "rescaled to [0, 1] (lowest → 0)")
    pass_fail: bool = Field(default=False, description="a pass/fail verdict instead of a "
                            "score (the metric is then pass/fail)")

    @model_validator(mode="after")
    def _scale(self) -> ScoreOptions:
        low, high = self.scale
        if not 0 <= low < high <= MAX_SCALE:
            raise ValueError(f"scale must be [low, high] with 0 <= low < high <= {MAX_SCALE}, "
                             f"got [{low}, {high}]")
        if self.pass_fail and "scale" in self.model_fields_set:
            raise ValueError("pass_fail: true has no scale: give one or the other")
        return self


@dataclass(frozen=True)
class PointwiseAsk:
    """What one pointwise judge metric asks: its template, rubric and reply form."""

    metric: str
    template: JudgeTemplate
    rubric: str | None = None
    scale: tuple[int, int] | None = None  # None: a pass/fail verdict

    @property
    def words(self) -> tuple[str, str]:
        """The verdict words (good, bad) of a pass/fail reply."""
        return CORRECT_INCORRECT if self.metric == REFERENCE_METRIC else PASS_FAIL

    @property
    def schema_name(self) -> str:
        """The structured-output schema's name: the metric's shipped version, and the reply
        form (a new form is a new request)."""
        version = REFERENCE_VERSION if self.metric == REFERENCE_METRIC else SCORE_VERSION
        form = "" if self.metric == REFERENCE_METRIC or self.scale else "_pass_fail"
        return JUDGE_SCHEMA_PREFIX + version.replace("-", "_") + form

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the judge's reply."""
        verdict: dict[str, Any] = (
            {"score": {"type": "integer"}} if self.scale else
            {"verdict": {"type": "string", "enum": list(self.words)}})
        return {"type": "object", "properties": {"reason": {"type": "string"}, **verdict},
                "required": ["reason", *verdict], "additionalProperties": False}

    def applies(self, record: Record) -> bool:
        """Whether the metric judges ``record`` (judge_reference: records with a reference)."""
        return self.metric != REFERENCE_METRIC or shown_reference(record) is not None

    def request(self, record: Record, answer: str, structured: bool) -> dict[str, Any]:
        """The chat request asking the judge about one answer."""
        reference = shown_reference(record)
        low, high = self.scale or (None, None)
        prompt = self.template.render(
            VARIABLES, conversation=inert(render_conversation(record.messages)),
            answer=inert(answer), reference=None if reference is None else inert(reference),
            rubric=self.rubric, pass_fail=self.scale is None, scale_low=low, scale_high=high)
        request: dict[str, Any] = {"messages": [{"role": "user", "content": prompt}],
                                   "temperature": 0}
        if structured:
            request["response_format"] = {"type": "json_schema", "json_schema": {
                "name": self.schema_name, "strict": True, "schema": self.schema()}}
        return request

    def calls(self, record: Record, base: Completion | None, cand: Completion | None,
              identity: dict[str, Any], structured: bool) -> list[JudgeCall]:
        """One call per side that answered (``order``: the side), none where the metric does
        not apply; two sides that answered alike make the same request, under one key."""
        if not self.applies(record):
            return []
        calls = []
        for side, completion in (("baseline", base), ("candidate", cand)):
            if completion is None or outcome(completion) != "answer":
                continue
            request = self.request(record, answer_text(completion), structured)
            digest = request_hash(request)
            calls.append(JudgeCall(side, Record(id=f"{record.id}#{self.metric}-{side}",
                                                request=request, segment=record.segment),
                                   digest, completion_key(identity, digest, 0)))
        return calls


M = TypeVar("M", bound=BaseModel)


def _parse(metric: str, model: type[M], options: dict[str, Any] | None) -> M:
    try:
        return model.model_validate(options or {})
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: "
            f"{'unknown option' if e['type'] == 'extra_forbidden' else e['msg']}"
            for e in err.errors(include_url=False))
        raise ConfigError(f"metric {metric}: {problems}",
                          hint=f"options of {metric}: {', '.join(model.model_fields)}") from None


def _template(metric: str, path: str | None, shipped: str) -> JudgeTemplate:
    try:
        return load_template(Path(path) if path else None, shipped)
    except ConfigError as err:
        raise ConfigError(f"metric {metric}: {err.message}", hint=err.hint) from None


def pointwise_ask(metric: str, options: dict[str, Any] | None) -> PointwiseAsk:
    """The ask of ``metric`` (judge_score or judge_reference) with its suite options."""
    if metric == SCORE_METRIC:
        score = _parse(metric, ScoreOptions, options)
        return PointwiseAsk(metric, _template(metric, score.template, SCORE_VERSION),
                            score.rubric, None if score.pass_fail else score.scale)
    reference = _parse(metric, ReferenceOptions, options)
    return PointwiseAsk(metric, _template(metric, reference.template, REFERENCE_VERSION))
