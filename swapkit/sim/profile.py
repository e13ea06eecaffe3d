"""A simulated model, described in YAML: how it answers, how fast, how it fails.

Every knob is a rate or a size; all randomness is derived from hashes of
(profile seed, request, sample index), so a simulated model is deterministic.
``segments`` overrides knobs for one segment (the simulator learns a request's
segment from the logs it was given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from swapkit.errors import ConfigError
from swapkit.support.yamlfile import load_yaml, substitute_env

__all__ = ["BUILTIN_PROFILES", "Behaviour", "Faults", "JudgeKnobs", "Latency", "SimProfile",
           "load_profile"]

BUILTIN_DIR = Path(__file__).parent / "profiles"
BUILTIN_PROFILES = sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))

Reasoning = Literal["none", "field", "think", "think_no_open", "think_empty"]


class Latency(BaseModel):
    """Log-normal total latency with a median and a p95; a time to first token."""

    model_config = ConfigDict(extra="forbid")

    median_s: float = Field(default=0.0, ge=0)
    p95_s: float = Field(default=0.0, ge=0)
    ttft_s: float = Field(default=0.0, ge=0, description="time to the first streamed token")


class Faults(BaseModel):
    """Rates (0-1) of injected failures, drawn per request and attempt."""

    model_config = ConfigDict(extra="forbid")

    rate_limit: float = Field(default=0.0, ge=0, le=1, description="429 responses")
    retry_after_s: float | None = Field(default=0.05, ge=0, description="None: no header")
    server_error: float = Field(default=0.0, ge=0, le=1, description="500 responses")
    unavailable: float = Field(default=0.0, ge=0, le=1, description="503 responses")
    timeout: float = Field(default=0.0, ge=0, le=1, description="hang past any timeout")
    reset: float = Field(default=0.0, ge=0, le=1, description="connection reset")
    truncated_stream: float = Field(default=0.0, ge=0, le=1, description="SSE cut short")
    malformed_json: float = Field(default=0.0, ge=0, le=1, description="200 with a bad body")
    no_usage: float = Field(default=0.0, ge=0, le=1, description="response without usage")
    empty_choices: float = Field(default=0.0, ge=0, le=1, description="choices: []")
    hang_s: float = Field(default=30.0, gt=0, description="how long a timeout fault hangs")


class JudgeKnobs(BaseModel):
    """How the model judges two answers when asked to (a swapkit judge request). Each
    verdict: a random one with probability ``noise``, else answer A (shown first) with
    probability ``position_bias``, else the longer answer with ``verbosity_bias``, else a
    tie with ``tie_rate``, else the answer closer to the reference (or the recorded answer).
    One answer graded alone: :mod:`swapkit.sim.grading`."""

    model_config = ConfigDict(extra="forbid")

    position_bias: float = Field(default=0.0, ge=0, le=1, description="picks the first shown")
    verbosity_bias: float = Field(default=0.0, ge=0, le=1, description="picks the longer")
    noise: float = Field(default=0.0, ge=0, le=1, description="a random verdict")
    tie_rate: float = Field(default=0.0, ge=0, le=1, description="a tie regardless")
    tie_margin: float = Field(default=0.02, ge=0, le=1,
                              description="closeness to the reference within which both "
                              "answers are equally good")
    pass_similarity: float = Field(
        default=0.7, ge=0, le=1, description="graded alone (judge_score pass/fail, "
        "judge_reference): closeness to the reference from which an answer passes")


class Behaviour(BaseModel):
    """How answers drift from the reference or recorded answer."""

    model_config = ConfigDict(extra="forbid")

    quality: float = Field(default=0.9, ge=0, le=1, description="1: verbatim; 0: unrelated")
    sample_noise: float = Field(
        default=0.05, ge=0, le=1, description="extra drift between two samples"
    )
    verbosity: float = Field(default=1.0, gt=0, le=4, description="answer length factor")
    constant_answer: str | None = Field(
        default=None, description="this text, whatever the prompt (a garbage candidate that "
        "a biased judge may still prefer)")
    json_break_rate: float = Field(default=0.0, ge=0, le=1)
    json_field_error_rate: float = Field(default=0.0, ge=0, le=1)
    tool_error_rate: float = Field(default=0.0, ge=0, le=1, description="wrong tool/args")
    refusal_rate: float = Field(default=0.0, ge=0, le=1)
    language_switch_rate: float = Field(default=0.0, ge=0, le=1)
    truncation_rate: float = Field(default=0.0, ge=0, le=1, description="finish_reason length")
    reasoning: Reasoning = "none"
    reasoning_words: int = Field(default=60, ge=0)
    tokens_per_s: float = Field(default=0.0, ge=0, description="0: instant generation")
    latency: Latency = Field(default_factory=Latency)
    faults: Faults = Field(default_factory=Faults)
    judge: JudgeKnobs = Field(default_factory=JudgeKnobs)


class SimProfile(Behaviour):
    """A simulated model: a name, a seed, behaviour, and per-segment overrides."""

    name: str = Field(min_length=1)
    seed: int = 0
    segments: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="segment → behaviour keys to override"
    )

    def for_segment(self, segment: str | None) -> Behaviour:
        """The behaviour for one segment (the profile's own if not overridden)."""
        override = self.segments.get(segment or "")
        if not override:
            return self
        merged = self.model_dump(exclude={"name", "seed", "segments"})
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        try:
            return Behaviour.model_validate(merged)
        except ValidationError as err:
            raise ConfigError(f"profile {self.name}: segments.{segment}: {err}") from None


def load_profile(spec: str) -> SimProfile:
    """A built-in profile by name (see BUILTIN_PROFILES) or a YAML file path."""
    path = BUILTIN_DIR / f"{spec}.yaml" if spec in BUILTIN_PROFILES else Path(spec)
    if not path.exists():
        raise ConfigError(
            f"simulator profile {spec!r} not found",
            hint=f"give a YAML file, or one of the built-ins: {', '.join(BUILTIN_PROFILES)}",
        )
    located = load_yaml(path)
    try:
        return SimProfile.model_validate(substitute_env(located))
    except ValidationError as err:
        from swapkit.config import format_validation_error

        raise ConfigError(
            f"{path}: invalid simulator profile\n"
            f"{format_validation_error(err, located, located.data, SimProfile)}"
        ) from None
