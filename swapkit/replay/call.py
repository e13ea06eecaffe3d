"""One completion from an OpenAI-compatible endpoint: retries, streaming, classification.

Retries follow the endpoint's ``Retry-After`` / ``retry-after-ms`` when it sends one
(up to ``MAX_RETRY_AFTER_S``; beyond that the request is given up as rate-limited),
else exponential backoff with jitter (0.5 s · 2^n, capped at 8 s). Retried: 408, 409,
429, 5xx, timeouts, dropped connections and cut-off streams. Every outcome is a
Completion with a definite status; nothing raises out of :func:`call_target` except
cancellation.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson
from pydantic import ValidationError

from swapkit.completion import RETRYABLE_HTTP, Completion, cost_usd
from swapkit.config import TargetConfig
from swapkit.records import CLOSE_TAG, Record, Usage, message_text, normalise_openai_response
from swapkit.replay.limits import RateLimiter
from swapkit.replay.transport import SAMPLE_HEADER, ChatTransport, TransportError
from swapkit.support.hashing import TRANSPORT_FIELDS
from swapkit.support.redact import redact

__all__ = ["CallContext", "build_body", "call_target"]

MAX_RETRY_AFTER_S = 120.0
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0
CHAT_PATH = "/chat/completions"
CHUNK_BYTES = 64 * 1024


class _Retryable(Exception):
    """A failed attempt worth retrying; carries what the final completion would say."""

    def __init__(self, status: str, error: str, http_status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.http_status = status, error, http_status
        self.retry_after = retry_after


class _Final(Exception):
    """A failed attempt not worth retrying; ``partial``: what was read of the answer."""

    def __init__(self, status: str, error: str, http_status: int | None = None,
                 partial: dict[str, Any] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.http_status = status, error, http_status
        self.partial = partial or {}


def _too_large(cap: int) -> str:
    return (f"response larger than max_response_bytes ({cap:,} bytes): not kept whole; "
            "the stored answer is cut")


@dataclass
class CallContext:
    """What every call to one target shares."""

    target: TargetConfig
    name: str  # target identity hash
    transport: ChatTransport
    limiter: RateLimiter
    take_request: Callable[[], Awaitable[bool]]  # False once no request may start (a cap)
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


def _wire_body(target: TargetConfig, record: Record) -> dict[str, Any]:
    body = {"model": target.model or "", "messages": record.request["messages"],
            **build_body(record.request, target)}
    if target.stream:
        body["stream"] = True
        body.setdefault("stream_options", {"include_usage": True})
    return body


def _retry_after(headers: Any) -> float | None:
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


def _error_text(status: int, body: bytes) -> str:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        inner = data.get("error", data)
        if isinstance(inner, dict) and inner.get("message"):
            return f"HTTP {status}: {inner['message']}"
        if isinstance(inner, str):
            return f"HTTP {status}: {inner}"
    text = body.decode("utf-8", "replace").strip()[:200]
    return f"HTTP {status}: {text or 'no body'}"


async def _raise_for_status(response: aiohttp.ClientResponse) -> None:
    status = response.status
    if status < 400:
        return
    message = _error_text(status, await response.read())
    if status == 429:
        raise _Retryable("rate_limited", message, status, _retry_after(response.headers))
    if status in RETRYABLE_HTTP or status >= 500:
        raise _Retryable("error", message, status, _retry_after(response.headers))
    raise _Final("error", message, status)


def _error_in_body(data: Any, where: str, status: int | None = None) -> None:
    if not isinstance(data, dict):
        raise _Final("error", f"malformed {where}: not a JSON object", status)
    if "error" in data and "choices" not in data:
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise _Final("error", f"error in {where}: {message}", status)


Attempt = tuple[dict[str, Any], float, float | None, float | None]


async def _once(ctx: CallContext, record: Record, sample: int) -> Attempt:
    """One non-streamed attempt: (normalised fields, latency, ttft, ttfa)."""
    target = ctx.target
    start = time.perf_counter()
    async with ctx.transport.post(CHAT_PATH, _wire_body(target, record),
                                  {SAMPLE_HEADER: str(sample)}, target.timeout_s) as response:
        await _raise_for_status(response)
        cap = target.max_response_bytes
        parts: list[bytes] = []
        size = 0
        try:
            async for part in response.content.iter_chunked(CHUNK_BYTES):
                parts.append(part)
                size += len(part)
                if size > cap:
                    text = b"".join(parts)[:cap].decode("utf-8", "ignore")
                    raise _Final("error", _too_large(cap), response.status, {"answer": text})
        except aiohttp.ClientError as err:
            raise _Retryable("error", f"connection error while reading the answer: {err}") from None
        raw = b"".join(parts)
        latency = time.perf_counter() - start
        request_id = response.headers.get("x-request-id")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise _Final("error", f"malformed response body: {err}", response.status) from None
    _error_in_body(data, "response body", response.status)
    fields = normalise_openai_response(data)
    fields["request_id"] = data.get("id") or request_id
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

    def feed(self, chunk: dict[str, Any], now: float) -> None:
        self.model = chunk.get("model") or self.model
        self.request_id = chunk.get("id") or self.request_id
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in (chunk.get("choices") or [])[:1]:
            delta = choice.get("delta") or {}
            thought = delta.get("reasoning_content") or delta.get("reasoning")
            if thought:
                self.reasoning.append(thought)
                self._first(now)
            if delta.get("content"):
                self._content(delta["content"], now)
            for call in delta.get("tool_calls") or []:
                slot = self.calls.setdefault(call.get("index", 0),
                                             {"id": None, "name": "", "arguments": ""})
                self._first(now)
                self.after_close = self.after_close if self.after_close is not None else now
                slot["id"] = call.get("id") or slot["id"]
                function = call.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["arguments"] += function.get("arguments") or ""
            self.finish = choice.get("finish_reason") or self.finish

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


async def _events(response: aiohttp.ClientResponse, cap: int,
                  state: _StreamState) -> AsyncIterator[bytes]:
    """The ``data:`` payloads of a server-sent event stream, read in chunks (a line of any
    length is fine up to ``cap``); past ``cap`` bytes the answer so far is kept, cut."""
    buffer = b""
    size = 0
    async for part in response.content.iter_chunked(CHUNK_BYTES):
        size += len(part)
        if size > cap:
            partial = state.fields()
            raise _Final("error", _too_large(cap), response.status,
                         {"answer": partial["answer"][:cap], "reasoning": partial["reasoning"]})
        buffer += part
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.strip()
            if line.startswith(b"data:"):
                yield line[5:].strip()
    line = buffer.strip()
    if line.startswith(b"data:"):
        yield line[5:].strip()


async def _streamed(ctx: CallContext, record: Record, sample: int) -> Attempt:
    """One streamed attempt: (normalised fields, latency, ttft, ttfa)."""
    target = ctx.target
    start = time.perf_counter()
    state = _StreamState()
    async with ctx.transport.post(CHAT_PATH, _wire_body(target, record),
                                  {SAMPLE_HEADER: str(sample)}, target.timeout_s) as response:
        await _raise_for_status(response)
        try:
            async for data in _events(response, target.max_response_bytes, state):
                if data == b"[DONE]":
                    break
                try:
                    chunk = orjson.loads(data)
                except orjson.JSONDecodeError as err:
                    raise _Final("error", f"malformed stream chunk: {err}") from None
                _error_in_body(chunk, "stream")
                state.feed(chunk, time.perf_counter() - start)
        except aiohttp.ClientError as err:
            raise _Retryable("error", f"truncated stream: the connection closed mid-stream "
                             f"({type(err).__name__}: {err})") from None
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


def _redacted(ctx: CallContext, c: Completion) -> Completion:
    """The completion with the target's key masked wherever the endpoint echoed it."""
    secrets = ctx.transport.secrets
    if not secrets:
        return c
    # Every string taken from the response: an endpoint may echo the key anywhere.
    c.answer = redact(c.answer, secrets) or ""
    c.reasoning = redact(c.reasoning, secrets)
    c.error = redact(c.error, secrets)
    c.model = redact(c.model, secrets)
    c.request_id = redact(c.request_id, secrets)
    c.finish_reason = redact(c.finish_reason, secrets)
    for call in c.tool_calls:
        call.arguments = redact(call.arguments, secrets) or ""
        call.name = redact(call.name, secrets) or ""
        call.id = redact(call.id, secrets)
    return c


def _estimate_tokens(record: Record) -> int:
    prompt = sum(len(message_text(m)) for m in record.messages) // 4
    max_tokens = record.request.get("max_tokens") or record.request.get("max_completion_tokens")
    return prompt + (int(max_tokens) if isinstance(max_tokens, int) else 512)


async def call_target(ctx: CallContext, record: Record, request_hash: str, key: str,
                      sample: int) -> Completion | None:
    """Call the target until it answers or the retries run out (None: request cap hit)."""
    target = ctx.target
    attempt = 0
    estimate = _estimate_tokens(record) if ctx.limiter.active else 0
    base = {"key": key, "target": ctx.name, "request_hash": request_hash, "sample": sample}
    while True:
        if not await ctx.take_request():
            return None
        attempt += 1
        ctx.attempts += 1
        await ctx.limiter.acquire(estimate)
        try:
            once = _streamed if target.stream else _once
            fields, latency, ttft, ttfa = await once(ctx, record, sample)
            usage = fields.get("usage")
            usage_model = Usage.model_validate(usage) if usage else None
            completion = Completion.model_validate({  # usage: validated once, above
                **fields, **base, "usage": usage_model, "latency_s": latency, "ttft_s": ttft,
                "ttfa_s": ttfa, "cost_usd": cost_usd(usage_model, target.price),
                "attempts": attempt,
            })
        except ValidationError as err:  # valid JSON, fields of the wrong type
            wrong = sorted({".".join(str(p) for p in e["loc"]) for e in err.errors()})
            failure: _Retryable | _Final = _Final(
                "error", "malformed response: wrong type of "
                + ", ".join(w.removeprefix("usage.") for w in wrong)[:200])
        except TransportError as err:
            status = "timeout" if err.timed_out else "error" if err.reached else "unreached"
            failure = _Retryable(status, str(err))
        except _Retryable as err:
            failure = err
        except _Final as err:
            failure = err
        except (ValueError, KeyError, TypeError) as err:
            failure = _Final("error", f"malformed response: {err}")
        else:
            ctx.limiter.settle(estimate, usage_model.completion_tokens if usage_model else None)
            return _redacted(ctx, completion)
        delay = _backoff(ctx, failure, attempt) if isinstance(failure, _Retryable) else None
        if delay is None or attempt > target.max_retries:
            partial = failure.partial if isinstance(failure, _Final) else {}
            return _redacted(ctx, Completion.model_validate({
                **base, **partial, "status": failure.status, "error": failure.error,
                "http_status": failure.http_status, "attempts": attempt,
            }))
        ctx.retries += 1
        await asyncio.sleep(delay)

