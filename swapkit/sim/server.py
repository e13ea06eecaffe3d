"""The OpenAI-compatible simulator: an aiohttp server on loopback playing SimProfiles.

Routes: ``POST /v1/chat/completions`` (JSON, or SSE with ``stream: true`` and a usage
chunk when ``stream_options.include_usage``; a swapkit judge request gets a verdict,
:mod:`swapkit.sim.judge`, or a grade, :mod:`swapkit.sim.grading`), ``POST /v1/embeddings``,
``GET /v1/models``, and ``GET /stats`` / ``POST /stats/reset`` for tests and load runs.

A request's sample index comes from the ``X-Swapkit-Sample`` header (swapkit's replay
sends it; real endpoints ignore it), else from how often the prompt was seen. Faults
are drawn per attempt, so a retried request can succeed.
"""

from __future__ import annotations

import asyncio
import base64
import math
import struct
from collections import Counter
from typing import Any

import orjson
from aiohttp import web

from swapkit.replay.transport import SAMPLE_HEADER
from swapkit.sim.answers import SimAnswer, make_answer, rng_for
from swapkit.sim.grading import grading_form, grading_reply
from swapkit.sim.index import SimIndex, prompt_key
from swapkit.sim.judge import is_judge_request, judge_reply
from swapkit.sim.profile import Behaviour, SimProfile
from swapkit.sim.wire import completion_body, stream_chunks, usage_for
from swapkit.support.hashing import content_hash

__all__ = ["SimStats", "Simulator"]

EMBED_DIM = 384


class SimStats:
    """What the simulator saw, per model: for tests, load runs and `GET /stats`."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.status: dict[str, Counter[str]] = {}
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.attempts: Counter[tuple[str, str, int]] = Counter()
        self.served: Counter[tuple[str, str, int]] = Counter()  # 200 answers delivered
        self.seen: Counter[tuple[str, str]] = Counter()

    def as_json(self, detail: bool = False) -> dict[str, Any]:
        """A JSON-able summary (``detail`` adds per-prompt served counts)."""
        models = {
            model: {"requests": n, "status": dict(self.status.get(model, {})),
                    "in_flight": self.in_flight[model],
                    "max_in_flight": self.max_in_flight[model],
                    "served": sum(c for (m, _, _), c in self.served.items() if m == model)}
            for model, n in self.requests.items()
        }
        out: dict[str, Any] = {"models": models}
        if detail:
            out["served"] = [[m, k, s, c] for (m, k, s), c in self.served.items()]
        return out


def _error(status: int, message: str, kind: str, code: str | None = None,
           headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "code": code, "param": None}}
    return web.Response(status=status, body=orjson.dumps(body), headers=headers,
                        content_type="application/json")


def _latency(b: Behaviour, rng: Any, completion_tokens: int) -> tuple[float, float]:
    """(total, time to first token) seconds, log-normal with the profile's median and p95."""
    total = 0.0
    median, p95 = b.latency.median_s, b.latency.p95_s
    if median > 0:
        sigma = math.log(p95 / median) / 1.645 if p95 > median else 0.0
        total = rng.lognormvariate(math.log(median), sigma)
    if b.tokens_per_s > 0:
        total += completion_tokens / b.tokens_per_s
    return total, min(b.latency.ttft_s, total)


class Simulator:
    """Serves several simulated models at once."""

    def __init__(self, profiles: list[SimProfile], index: SimIndex | None = None,
                 api_key: str | None = None) -> None:
        self.profiles = {p.name: p for p in profiles}
        self.index = index or SimIndex()
        self.api_key = api_key
        self.stats = SimStats()
        self._counter = 0

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/embeddings", self.embeddings)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/stats", self.get_stats)
        app.router.add_post("/stats/reset", self.reset_stats)
        return app

    async def models(self, request: web.Request) -> web.Response:
        """``GET /v1/models``."""
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "swapkit-sim"}
                for n in self.profiles]
        return web.json_response({"object": "list", "data": data})

    async def get_stats(self, request: web.Request) -> web.Response:
        """``GET /stats[?detail=1]``."""
        return web.json_response(self.stats.as_json(request.query.get("detail") == "1"))

    async def reset_stats(self, request: web.Request) -> web.Response:
        """``POST /stats/reset``."""
        self.stats = SimStats()
        return web.json_response({"ok": True})

    def _authorised(self, request: web.Request) -> bool:
        return self.api_key is None or request.headers.get(
            "Authorization") == f"Bearer {self.api_key}"

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        if not self._authorised(request):
            return _error(401, "Incorrect API key provided.", "invalid_request_error",
                          "invalid_api_key")
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _error(400, "We could not parse the JSON body of your request.",
                          "invalid_request_error")
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object.", "invalid_request_error")
        return body

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/chat/completions``."""
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        model = str(body.get("model"))
        profile = self.profiles.get(model)
        if profile is None:
            return _error(404, f"The model `{model}` does not exist; this simulator serves: "
                          f"{', '.join(self.profiles)}", "invalid_request_error",
                          "model_not_found")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' must be a non-empty array.", "invalid_request_error")
        stats = self.stats
        stats.requests[model] += 1
        stats.in_flight[model] += 1
        stats.max_in_flight[model] = max(stats.max_in_flight[model], stats.in_flight[model])
        try:
            response = await self._answer(request, body, profile, model, prompt_key(messages))
        finally:
            stats.in_flight[model] -= 1
        stats.status.setdefault(model, Counter())[str(response.status)] += 1
        return response

    async def _answer(self, request: web.Request, body: dict[str, Any], profile: SimProfile,
                      model: str, key: str) -> web.StreamResponse:
        header = request.headers.get(SAMPLE_HEADER, "")
        sample_index = int(header) if header.isdigit() else self.stats.seen[model, key]
        self.stats.seen[(model, key)] += 1
        attempt = self.stats.attempts[(model, key, sample_index)]
        self.stats.attempts[(model, key, sample_index)] += 1
        source = self.index.get(key)
        b = profile.for_segment(source.segment)
        stream = bool(body.get("stream"))
        fault = self._fault(b, profile.seed, key, sample_index, attempt, stream)
        if fault is not None:
            faulted: web.StreamResponse = await fault(request)
            return faulted
        form = grading_form(body)
        if form is not None:
            answer = SimAnswer(grading_reply(body, form, self.index, b.judge, profile.seed,
                                             key), "", [], "stop")
        elif is_judge_request(body):
            answer = SimAnswer(judge_reply(body, self.index, b.judge, profile.seed, key,
                                           sample_index), "",
                               [], "stop")
        else:
            answer = make_answer(body, source, b, profile.seed, key, sample_index)
        rng = rng_for(profile.seed, "latency", key, sample_index)
        f = b.faults
        usage = None if rng.random() < f.no_usage else usage_for(body, answer)
        total, ttft = _latency(b, rng, (usage or usage_for(body, answer))["completion_tokens"])
        self._counter += 1
        cid = f"{content_hash([model, key, sample_index])[:12]}{self._counter}"
        if rng.random() < f.empty_choices:
            await asyncio.sleep(total)
            return web.json_response({"id": f"chatcmpl-{cid}", "object": "chat.completion",
                                      "model": model, "choices": [], "usage": usage})
        if stream:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            cut = rng.random() < f.truncated_stream
            chunks = stream_chunks(model, cid, answer, b.reasoning,
                                   usage if include_usage else None)
            response = await self._stream(request, chunks, total, ttft, cut)
        else:
            await asyncio.sleep(total)
            payload = orjson.dumps(completion_body(model, cid, answer, b.reasoning, usage))
            response = web.Response(body=payload, content_type="application/json")
        if response.status == 200:
            self.stats.served[(model, key, sample_index)] += 1
        return response

    def _fault(self, b: Behaviour, seed: int, key: str, sample_index: int, attempt: int,
               stream: bool) -> Any:
        f = b.faults
        roll = rng_for(seed, "fault", key, sample_index, attempt).random()
        edges = [
            (f.rate_limit, self._rate_limited(f.retry_after_s)),
            (f.server_error, lambda r: self._plain(_error(500, "The server had an error "
                                                           "while processing your request.",
                                                           "server_error"))),
            (f.unavailable, lambda r: self._plain(_error(503, "The engine is currently "
                                                          "overloaded.", "server_error"))),
            (f.timeout, lambda r: self._hang(f.hang_s)),
            (f.reset, self._reset),
            (f.malformed_json, lambda r: self._plain(web.Response(
                body=b'{"id": "chatcmpl-x", "choices": [{"message": ', status=200,
                content_type="application/json"))),
        ]
        for rate, action in edges:
            if roll < rate:
                return action
            roll -= rate
        return None

    def _rate_limited(self, retry_after_s: float | None) -> Any:
        async def respond(request: web.Request) -> web.StreamResponse:
            headers = {}
            if retry_after_s is not None:
                headers["retry-after-ms"] = str(int(retry_after_s * 1000))
                headers["Retry-After"] = str(max(0, math.ceil(retry_after_s)))
            return _error(429, "Rate limit reached for requests.", "requests",
                          "rate_limit_exceeded", headers)
        return respond

    @staticmethod
    async def _plain(response: web.Response) -> web.Response:
        return response

    @staticmethod
    async def _hang(seconds: float) -> web.Response:
        await asyncio.sleep(seconds)
        return _error(504, "Gateway timeout.", "server_error")

    @staticmethod
    async def _reset(request: web.Request) -> web.Response:
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # the connection is gone; nothing to send

    @staticmethod
    async def _stream(request: web.Request, chunks: list[dict[str, Any]], total: float,
                      ttft: float, cut: bool) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        if ttft > 0:
            await asyncio.sleep(ttft)
        gap = (total - ttft) / max(1, len(chunks) - 1)
        limit = len(chunks) // 2 if cut else len(chunks)
        for i, chunk in enumerate(chunks[:limit]):
            if i and gap > 0:
                await asyncio.sleep(gap)
            await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        if cut:
            if request.transport is not None:
                request.transport.abort()
            return response
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def embeddings(self, request: web.Request) -> web.Response:
        """``POST /v1/embeddings``: hashed bag-of-words vectors, L2-normalised, 384-d."""
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return _error(400, "'input' must be a string or an array of strings.",
                          "invalid_request_error")
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for i, text in enumerate(texts):
            vector = _embed(text)
            encoded: Any = base64.b64encode(struct.pack(f"<{EMBED_DIM}f", *vector)).decode() \
                if as_base64 else vector
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = sum(len(t) // 4 + 1 for t in texts)
        return web.json_response({"object": "list", "data": data, "model": body.get("model"),
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def _embed(text: str) -> list[float]:
    vector = [0.0] * EMBED_DIM
    for word in text.lower().split():
        h = int(content_hash(word)[:8], 16)
        vector[h % EMBED_DIM] += 1.0 if (h >> 16) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]
