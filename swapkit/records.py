"""Records: one logged production call each, and the normalised recorded response.

A :class:`Record` keeps the chat-completions ``request`` exactly as it was sent
(unknown fields included); its identity is :func:`swapkit.support.hashing.request_hash`.
A recorded ``response`` is normalised on the way in, whatever shape it arrives in
(an OpenAI ``chat.completion`` object or swapkit's own form), so every later stage
sees the answer apart from the reasoning (:func:`split_reasoning`), tool calls, finish
reason, usage and latency.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from swapkit.support.hashing import canonical_json, request_hash
from swapkit.support.limits import MAX_JSON_DEPTH, too_deep

__all__ = [
    "EARLIER_TURN_ROLES",
    "STATUSES",
    "ReasoningSplit",
    "Record",
    "RecordedResponse",
    "Status",
    "ToolCall",
    "Usage",
    "last_user_text",
    "message_text",
    "normalise_openai_response",
    "split_reasoning",
]

# What happened to one call. docs/methodology.md §8.2 groups them: answers (ok, refused),
# answer failures (truncated, empty, error, timeout) and missing (rate_limited, unreached).
Status = Literal["ok", "error", "timeout", "rate_limited", "refused", "truncated", "empty",
                 "unreached"]
STATUSES: tuple[Status, ...] = (
    "ok",
    "error",
    "timeout",
    "rate_limited",
    "refused",
    "truncated",
    "empty",
    "unreached",
)


# Roles of the earlier turns a multi-turn request carries (see Record.is_multi_turn).
EARLIER_TURN_ROLES = ("assistant", "tool", "function")


class Usage(BaseModel):
    """Token counts. ``completion_tokens`` already includes ``reasoning_tokens``.

    See docs/methodology.md §8.3.
    """

    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None

    @model_validator(mode="after")
    def _negative_is_unknown(self) -> Usage:
        """An endpoint or log reporting a negative count does not know it: counting it
        would make costs negative and let a replay spend past its ``max_spend_usd``.
        (One check for the four counts: every log record passes here.)"""
        fields = self.__dict__
        for name, value in fields.items():
            if value is not None and value < 0:
                fields[name] = None
        return self


class ToolCall(BaseModel):
    """A function call the model asked for; ``arguments`` is the raw JSON text."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    name: str
    arguments: str = ""


_MEASURED = ("latency_s", "ttft_s", "cost_usd")  # unknown unless finite and >= 0


class RecordedResponse(BaseModel):
    """What a model answered, normalised. Accepts an OpenAI chat completion as input too."""

    model_config = ConfigDict(extra="forbid")

    answer: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    status: Status = "ok"
    http_status: int | None = None
    error: str | None = None
    truncated_in_reasoning: bool = False
    usage: Usage | None = None
    latency_s: float | None = None
    ttft_s: float | None = Field(default=None, description="time to first token (any)")
    cost_usd: float | None = Field(default=None, description="what the call cost, in USD")
    model: str | None = None

    @model_validator(mode="after")
    def _unknown_unless_finite(self) -> RecordedResponse:
        """A negative or non-finite time or cost (a log's clock skew, a NaN written by a
        spreadsheet) is not known: kept, it would make a latency or a cost total negative."""
        fields = self.__dict__
        for name in _MEASURED:
            value = fields[name]
            if value is not None and not 0 <= value < math.inf:  # NaN fails both
                fields[name] = None
        return self

    @model_validator(mode="before")
    @classmethod
    def _from_openai(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("choices" in data or "object" in data):
            return normalise_openai_response(data)
        return data


class Record(BaseModel):
    """One logged production call."""

    model_config = ConfigDict(extra="forbid")

    id: str
    request: dict[str, Any]
    response: RecordedResponse | None = None
    reference: Any = None
    segment: str | None = None
    conversation_id: str | None = None
    timestamp: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_request(self) -> Record:
        # One walk over the three (each one level below the tuple); the one too deep is
        # named only when there is one.
        if too_deep((self.request, self.reference, self.metadata), MAX_JSON_DEPTH + 1):
            name = next(name for name in ("request", "reference", "metadata")
                        if too_deep(getattr(self, name)))
            raise ValueError(f"{name} is nested more than {MAX_JSON_DEPTH} levels deep: "
                             "not a chat request (fix the line, or --skip-invalid)")
        messages = self.request.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ValueError("request.messages must be a non-empty list of chat messages")
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or "role" not in message:
                raise ValueError(f"request.messages[{i}] must be an object with a 'role'")
        return self

    @property
    def request_hash(self) -> str:
        """Identity of the request (computed on each access: callers keep it if they reuse it)."""
        return request_hash(self.request)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's chat messages."""
        messages: list[dict[str, Any]] = self.request["messages"]
        return messages

    @property
    def is_multi_turn(self) -> bool:
        """True when the request carries earlier turns (assistant or tool messages, or 2+ users)."""
        users = 0
        for message in self.messages:
            role = message.get("role")
            if role in EARLIER_TURN_ROLES:
                return True
            users += role == "user"
        return users > 1


# Reasoning split (docs/methodology.md §8.1). Precedence: a structured field
# (``reasoning_content`` or ``reasoning``) wins; else inline ``<think>`` tags in the content,
# where everything up to the first ``</think>`` is reasoning (DeepSeek-R1 often omits the
# opening tag; Qwen3's non-thinking mode emits an empty block); an opening tag with no
# closing tag, or a ``length`` finish while still thinking, means the model ran out of
# budget before answering: the answer is empty and the completion is flagged.

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class ReasoningSplit(NamedTuple):
    """The final answer, the reasoning (None when there was none), and the truncation flag."""

    answer: str
    reasoning: str | None
    truncated_in_reasoning: bool


def split_reasoning(
    content: str | None,
    reasoning_field: str | None = None,
    finish_reason: str | None = None,
) -> ReasoningSplit:
    """Split ``content`` (and an optional structured reasoning field) into answer and reasoning."""
    text = content or ""
    if reasoning_field:
        # Reasoning arrived apart. Stopping for length with no answer yet happened
        # inside the reasoning.
        truncated = finish_reason == "length" and not text.strip()
        return ReasoningSplit(text.strip(), reasoning_field, truncated)
    close = text.find(CLOSE_TAG)
    if close >= 0:
        thought = text[:close].lstrip()
        if thought.startswith(OPEN_TAG):
            thought = thought[len(OPEN_TAG) :]
        answer = text[close + len(CLOSE_TAG) :].strip()
        return ReasoningSplit(answer, thought.strip(), False)
    if text.lstrip().startswith(OPEN_TAG):
        thought = text.lstrip()[len(OPEN_TAG) :].strip()
        return ReasoningSplit("", thought, True)
    return ReasoningSplit(text.strip(), None, False)


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message whose content is a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(parts)
    return ""


def last_user_text(request: dict[str, Any]) -> str:
    """The text of the last user turn of a request (what a reviewer reads first)."""
    for message in reversed(request.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message)
    return ""


def _usage(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    details = raw.get("completion_tokens_details") or {}
    prompt_details = raw.get("prompt_tokens_details") or {}
    cached = prompt_details.get("cached_tokens")
    if cached is None:
        cached = raw.get("prompt_cache_hit_tokens")  # DeepSeek's name
    return {
        "prompt_tokens": raw.get("prompt_tokens"),
        "completion_tokens": raw.get("completion_tokens"),
        "reasoning_tokens": details.get("reasoning_tokens") if isinstance(details, dict) else None,
        "cached_tokens": cached,
    }


def _tool_calls(raw: Any) -> list[dict[str, Any]]:
    calls = []
    for call in raw or []:
        if not isinstance(call, dict):
            continue
        function = call.get("function") or {}
        if not isinstance(function, dict):
            raise ValueError("a tool call's function must be an object")
        arguments = function.get("arguments", "")
        if not isinstance(arguments, str):  # some servers send an object
            arguments = canonical_json(arguments).decode()
        calls.append(
            {"id": call.get("id"), "name": function.get("name", ""), "arguments": arguments}
        )
    return calls


def _status(
    answer: str, tool_calls: list[Any], finish_reason: str | None, refusal: Any, truncated: bool
) -> Status:
    if refusal or finish_reason == "content_filter":
        return "refused"
    if truncated or finish_reason == "length":
        return "truncated"
    if not answer and not tool_calls:
        return "empty"
    return "ok"


def normalise_openai_response(data: dict[str, Any]) -> dict[str, Any]:
    """Turn an OpenAI-style ``chat.completion`` object into :class:`RecordedResponse` fields."""
    choices = data.get("choices") or []
    if not choices:
        return {"status": "empty", "error": "response has no choices", "model": data.get("model")}
    choice = choices[0] if isinstance(choices[0], dict) else {}
    message = choice.get("message") or {}
    if not isinstance(message, dict):  # untrusted logs: an error, never a traceback
        raise ValueError("choices[0].message must be an object")
    finish_reason = choice.get("finish_reason")
    reasoning_field = message.get("reasoning_content") or message.get("reasoning")
    split = split_reasoning(message_text(message), reasoning_field, finish_reason)
    tool_calls = _tool_calls(message.get("tool_calls"))
    refusal = message.get("refusal")
    status = _status(
        split.answer, tool_calls, finish_reason, refusal, split.truncated_in_reasoning
    )
    latency = data.get("latency_s")
    if latency is None and data.get("latency_ms") is not None:
        latency = float(data["latency_ms"]) / 1000
    return {
        "answer": split.answer,
        "reasoning": split.reasoning,
        "tool_calls": tool_calls,
        "finish_reason": finish_reason,
        "status": status,
        "truncated_in_reasoning": split.truncated_in_reasoning,
        "usage": _usage(data.get("usage")),
        "latency_s": latency,
        "ttft_s": data.get("ttft_s"),
        "cost_usd": data.get("cost_usd"),
        "model": data.get("model"),
    }
