"""One completion from an OpenAI-compatible endpoint: retries, streaming, classification.

Retries follow the endpoint's ``Retry-After`` / ``retry-after-ms`` when it sends one
(up to ``MAX_RETRY_AFTER_S``; beyond that the request is given up as rate-limited),
else exponential backoff with jitter (0.5 s · 2^n, capped at 8 s). Every outcome is a
Completion with a definite status; nothing raises out of :func:`call_target` except
cancellation.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import openai
import orjson

from swapkit.completion import RETRYABLE_HTTP, Completion, cost_usd
from swapkit.config import TargetConfig
from swapkit.hashing import TRANSPORT_FIELDS
from swapkit.reasoning import CLOSE_TAG
from swapkit.records import Record, Usage, message_text, normalise_openai_response
from swapkit.replay.limits import RateLimiter
from swapkit.sim.server import SAMPLE_HEADER

__all__ = ["CallContext", "build_body", "call_target"]

MAX_RETRY_AFTER_S = 120.0
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0


class _Retryable(Exception):
    """A failed attempt worth retrying; carries what the final completion would say."""

    def __init__(self, status: str, error: str, http_status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.http_status = status, error, http_status
        self.retry_after = retry_after


class _Final(Exception):
    """A failed attempt not worth retrying."""

    def __init__(self, status: str, error: str, http_status: int | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.http_status = status, error, http_status


@dataclass
class CallContext:
    """What every call to one target shares."""

    target: TargetConfig
    name: str  # target identity hash
    client: openai.AsyncOpenAI
    limiter: RateLimiter
    take_request: Any  # () -> bool: False once the run's request cap is reached
    attempts: int = 0
    retries: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0))


def build_body(request: dict[str, Any], target: TargetConfig) -> dict[str, Any]:
    """The request as logged, minus transport fields, with the target's overrides on top."""
    body = {k: v for k, v in request.items() if k not in TRANSPORT_FIELDS and k != "messages"}
    params = dict(target.params)
    extra = params.pop("extra_body", None) or {}
    body.update(params)
    body.update(extra)
    return body


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:
            moment: float = parsedate_to_datetime(value).timestamp()
            return max(0.0, moment - time.time())
        except (TypeError, ValueError):
            return None


def _status_error(err: openai.APIStatusError) -> _Retryable | _Final:
    code = err.status_code
    message = _error_message(err)
    if code == 429:
        return _Retryable("rate_limited", message, code, _retry_after(err.response.headers))
    if code in RETRYABLE_HTTP or code >= 500:
        return _Retryable("error", message, code, _retry_after(err.response.headers))
    return _Final("error", message, code)


def _error_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return f"HTTP {err.status_code}: {inner['message']}"
    return f"HTTP {err.status_code}: {err.message}"


async def _once(ctx: CallContext, record: Record, sample: int) -> tuple[dict[str, Any], float,
                                                                        float | None, float | None]:
    """One non-streamed attempt: (normalised fields, latency, ttft, ttfa)."""
    target = ctx.target
    start = time.perf_counter()
    raw = await ctx.client.chat.completions.with_raw_response.create(
        model=target.model or "", messages=record.request["messages"],
        extra_body=build_body(record.request, target),
        extra_headers={SAMPLE_HEADER: str(sample)}, timeout=target.timeout_s,
    )
    try:
        data = orjson.loads(raw.content)
    except orjson.JSONDecodeError as err:
        raise _Final("error", f"malformed response body: {err}", raw.status_code) from None
    latency = time.perf_counter() - start
    if not isinstance(data, dict):
        raise _Final("error", "malformed response body: not a JSON object", raw.status_code)
    if "error" in data and "choices" not in data:
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise _Final("error", f"error in response: {message}", raw.status_code)
    fields = normalise_openai_response(data)
    fields["request_id"] = data.get("id") or raw.headers.get("x-request-id")
    return fields, latency, None, None


class _StreamState:
    """Accumulates a streamed answer and the times of its first tokens."""

    def __init__(self) -> None:
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish: str | None = None
        self.usage: Any = None
        self.model: str | None = None
        self.request_id: str | None = None
        self.ttft: float | None = None
        self.first_content: float | None = None
        self.after_close: float | None = None  # first answer token after </think>
        self.closed = False

    def feed(self, chunk: Any, now: float) -> None:
        self.model, self.request_id = chunk.model, chunk.id
        if chunk.usage is not None:
            self.usage = chunk.usage.model_dump()
        for choice in chunk.choices[:1]:
            delta = choice.delta
            extra = delta.model_extra or {}
            thought = extra.get("reasoning_content") or extra.get("reasoning")
            if thought:
                self.reasoning.append(thought)
                self._first(now)
            if delta.content:
                self._content(delta.content, now)
            for call in delta.tool_calls or []:
                slot = self.calls.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
                self._first(now)
                self.after_close = self.after_close if self.after_close is not None else now
                slot["id"] = call.id or slot["id"]
                if call.function is not None:
                    slot["name"] += call.function.name or ""
                    slot["arguments"] += call.function.arguments or ""
            self.finish = choice.finish_reason or self.finish

    def _first(self, now: float) -> None:
        if self.ttft is None:
            self.ttft = now

    def _content(self, text: str, now: float) -> None:
        self.content.append(text)
        self._first(now)
        if self.first_content is None:
            self.first_content = now
        if not self.closed and CLOSE_TAG in text:
            self.closed = True
            tail = "".join(self.content).split(CLOSE_TAG, 1)[1]
            self.after_close = now if tail.strip() else None
        elif self.closed and self.after_close is None and text.strip():
            self.after_close = now

    @property
    def ttfa(self) -> float | None:
        """Without a closing tag, the first content token is the first answer token."""
        if self.closed:
            return self.after_close
        return self.first_content if self.first_content is not None else self.after_close

    def fields(self) -> dict[str, Any]:
        message: dict[str, Any] = {"content": "".join(self.content)}
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.calls:
            message["tool_calls"] = [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["name"], "arguments": c["arguments"]}}
                for _, c in sorted(self.calls.items())]
        fields = normalise_openai_response({
            "choices": [{"message": message, "finish_reason": self.finish}],
            "usage": self.usage, "model": self.model})
        fields["request_id"] = self.request_id
        return fields


async def _streamed(ctx: CallContext, record: Record, sample: int) -> tuple[
        dict[str, Any], float, float | None, float | None]:
    """One streamed attempt: (normalised fields, latency, ttft, ttfa)."""
    target = ctx.target
    body = build_body(record.request, target)
    body.setdefault("stream_options", {"include_usage": True})
    start = time.perf_counter()
    stream = await ctx.client.chat.completions.create(
        model=target.model or "", messages=record.request["messages"], stream=True,
        extra_body=body, extra_headers={SAMPLE_HEADER: str(sample)}, timeout=target.timeout_s,
    )
    state = _StreamState()
    chunks = aiter(stream)
    while True:
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            break
        except Exception as err:  # the connection dropped mid-stream (any transport)
            raise _Retryable("error", f"truncated stream: the connection closed mid-stream "
                             f"({type(err).__name__}: {err})") from None
        state.feed(chunk, time.perf_counter() - start)
    latency = time.perf_counter() - start
    if state.finish is None:
        raise _Retryable("error", "stream ended before its final chunk (truncated stream)")
    return state.fields(), latency, state.ttft, state.ttfa


def _backoff(ctx: CallContext, failure: _Retryable, attempt: int) -> float | None:
    """Seconds to wait before the next attempt, or None to give up now."""
    if failure.retry_after is not None:
        return None if failure.retry_after > MAX_RETRY_AFTER_S else failure.retry_after
    delay: float = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** (attempt - 1))
    return delay * (0.5 + ctx.rng.random() / 2)


def _estimate_tokens(record: Record) -> int:
    prompt = sum(len(message_text(m)) for m in record.messages) // 4
    max_tokens = record.request.get("max_tokens") or record.request.get("max_completion_tokens")
    return prompt + (int(max_tokens) if isinstance(max_tokens, int) else 512)


async def call_target(ctx: CallContext, record: Record, request_hash: str, key: str,
                      sample: int) -> Completion | None:
    """Call the target until it answers or the retries run out (None: request cap hit)."""
    target = ctx.target
    attempt = 0
    estimate = _estimate_tokens(record)
    base = {"key": key, "target": ctx.name, "request_hash": request_hash, "sample": sample}
    while True:
        if not ctx.take_request():
            return None
        attempt += 1
        ctx.attempts += 1
        await ctx.limiter.acquire(estimate)
        began = time.perf_counter()
        try:
            once = _streamed if target.stream else _once
            fields, latency, ttft, ttfa = await once(ctx, record, sample)
        except openai.APIStatusError as err:
            failure: _Retryable | _Final = _status_error(err)
        except openai.APITimeoutError as err:
            if time.perf_counter() - began < 0.9 * target.timeout_s:
                # The aiohttp transport reports a dropped connection as a timeout.
                cause = err.__cause__ or err
                failure = _Retryable("error", f"connection error: {type(cause).__name__}: "
                                     f"{cause}")
            else:
                failure = _Retryable("timeout", f"no answer within {target.timeout_s:g} s")
        except openai.APIConnectionError as err:
            cause = err.__cause__ or err
            failure = _Retryable("error", f"connection error: {type(cause).__name__}: {cause}")
        except (openai.APIResponseValidationError, ValueError, KeyError, TypeError) as err:
            failure = _Final("error", f"malformed response: {err}")
        except _Retryable as err:
            failure = err
        except _Final as err:
            failure = err
        else:
            usage = fields.get("usage")
            usage_model = Usage.model_validate(usage) if usage else None
            ctx.limiter.settle(estimate, usage_model.completion_tokens if usage_model else None)
            return Completion.model_validate({
                **fields, **base, "latency_s": latency, "ttft_s": ttft, "ttfa_s": ttfa,
                "cost_usd": cost_usd(usage_model, target.price), "attempts": attempt,
            })
        delay = _backoff(ctx, failure, attempt) if isinstance(failure, _Retryable) else None
        if delay is None or attempt > target.max_retries:
            return Completion.model_validate({
                **base, "status": failure.status, "error": failure.error,
                "http_status": failure.http_status, "attempts": attempt,
            })
        ctx.retries += 1
        await asyncio.sleep(delay)

