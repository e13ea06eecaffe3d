"""A hostile OpenAI-compatible endpoint on loopback: each model name is one misbehaviour."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from aiohttp import web

from swapkit.sim import RunningSimulator, Simulator

from .simhelp import profile

MODELS = ("echo-key", "huge-line", "huge-body", "ansi-error", "unauthorized", "bad-param",
          "fine", "echo-header", "wrong-types", "wrong-usage")
# Well-formed JSON with fields of the wrong type, where a parser validates them.
WRONG_TYPES = {"id": 7, "object": "chat.completion", "model": 123, "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "fine"}, "finish_reason": 5}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 5}}
WRONG_USAGE = {**WRONG_TYPES, "id": "x", "model": "wrong-usage", "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "fine"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": "many", "completion_tokens": [1],
              "completion_tokens_details": {"reasoning_tokens": -4}}}
ANSI = "\x1b]0;pwned\x07\x1b[2J\rhidden \x1b[8msecret\x1b[0m"


def _answer(model: str, text: str, *, answer_id: str = "chatcmpl-1",
            echoed: str | None = None) -> dict[str, Any]:
    return {"id": answer_id, "object": "chat.completion", "model": echoed or model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 5}}


class HostileSimulator(Simulator):
    """Answers by model name: echo the key, one 1 MB stream line, a 2 MB body, ..."""

    def __init__(self) -> None:
        super().__init__([profile(name) for name in MODELS])
        self.calls: Counter[str] = Counter()

    async def chat(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        body = await request.json()
        model = str(body.get("model"))
        self.calls[model] += 1
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if model == "echo-key":
            return web.json_response(_answer(model, "fine", answer_id=f"id-{key}", echoed=key))
        if model == "echo-header":
            return web.json_response(_answer(model, f"you sent {request.headers.get('X-Gw')}"))
        if model == "huge-body":
            return web.json_response(_answer(model, "x" * 2_000_000))
        if model == "huge-line":
            chunk = {"id": "c", "model": model, "choices": [
                {"index": 0, "delta": {"content": "y" * 1_000_000}, "finish_reason": None}]}
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            await response.write(b"data: [DONE]\n\n")
            return response
        if model == "wrong-types":
            return web.json_response(WRONG_TYPES)
        if model == "wrong-usage":
            return web.json_response(WRONG_USAGE)
        if model == "ansi-error":
            return web.json_response({"error": {"message": ANSI}}, status=422)
        if model == "unauthorized":
            return web.json_response({"error": {"message": "Incorrect API key provided."}},
                                     status=401)
        if model == "bad-param":
            return web.json_response({"error": {"message": "Unknown parameter: 'tempreture'."}},
                                     status=400)
        return web.json_response(_answer(model, "fine"))


def start_hostile() -> tuple[RunningSimulator, HostileSimulator]:
    """A running hostile endpoint (use the first as a context manager)."""
    simulator = HostileSimulator()
    return RunningSimulator(simulator), simulator
