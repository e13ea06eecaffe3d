"""OpenAI wire format for simulated answers: chat.completion bodies and SSE chunks."""

from __future__ import annotations

import math
import time
from typing import Any

from swapkit.records import message_text
from swapkit.sim.answers import SimAnswer

__all__ = ["completion_body", "stream_chunks", "usage_for"]


def usage_for(request: dict[str, Any], answer: SimAnswer) -> dict[str, Any]:
    """Token counts at about four characters a token (what these endpoints report)."""
    prompt_chars = sum(len(message_text(m)) for m in request.get("messages") or []
                       if isinstance(m, dict))
    reasoning = math.ceil(len(answer.reasoning) / 4)
    visible = math.ceil((len(answer.content) + sum(
        len(c["name"]) + len(c["arguments"]) for c in answer.tool_calls)) / 4)
    return {
        "prompt_tokens": prompt_chars // 4 + 4 * len(request.get("messages") or []),
        "completion_tokens": visible + reasoning,
        "total_tokens": prompt_chars // 4 + visible + reasoning,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def _content(answer: SimAnswer, style: str) -> tuple[str | None, str | None]:
    """(content, reasoning_content) as a model with this reasoning style sends them."""
    if style == "none" or (not answer.reasoning and style != "think_empty"):
        return answer.content, None
    if style == "field":
        return answer.content, answer.reasoning
    if answer.finish_reason == "length" and not answer.content:  # cut inside reasoning
        return ("<think>\n" if style == "think" else "") + answer.reasoning, None
    if style == "think_empty":
        return f"<think>\n\n</think>\n\n{answer.content}", None
    opening = "<think>\n" if style == "think" else ""
    return f"{opening}{answer.reasoning}\n</think>\n\n{answer.content}", None


def _tool_calls(answer: SimAnswer, cid: str) -> list[dict[str, Any]]:
    return [{"id": f"call_{cid}_{i}", "type": "function",
             "function": {"name": c["name"], "arguments": c["arguments"]}}
            for i, c in enumerate(answer.tool_calls)]


def completion_body(model: str, cid: str, answer: SimAnswer, style: str,
                    usage: dict[str, Any] | None) -> dict[str, Any]:
    """A whole ``chat.completion`` object."""
    content, reasoning = _content(answer, style)
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    if answer.tool_calls:
        message["tool_calls"] = _tool_calls(answer, cid)
    body: dict[str, Any] = {
        "id": f"chatcmpl-{cid}", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def _pieces(text: str, words_per_chunk: int = 8) -> list[str]:
    words = text.split(" ")
    return [" ".join(words[i:i + words_per_chunk]) + (" " if i + words_per_chunk < len(words)
                                                      else "")
            for i in range(0, len(words), words_per_chunk)] if text else []


def stream_chunks(model: str, cid: str, answer: SimAnswer, style: str,
                  usage: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed answer, in order."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": f"chatcmpl-{cid}", "object": "chat.completion.chunk", "created": created,
                "model": model, "choices": [{"index": 0, "delta": delta,
                                             "finish_reason": finish}]}

    content, reasoning = _content(answer, style)
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"reasoning_content": p}) for p in _pieces(reasoning or "")]
    chunks += [chunk({"content": p}) for p in _pieces(content or "")]
    for i, call in enumerate(_tool_calls(answer, cid)):
        chunks.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                             "function": {"name": call["function"]["name"],
                                                          "arguments": ""}}]}))
        chunks.append(chunk({"tool_calls": [{"index": i, "function": {
            "arguments": call["function"]["arguments"]}}]}))
    chunks.append(chunk({}, answer.finish_reason))
    if usage is not None:
        chunks.append({"id": f"chatcmpl-{cid}", "object": "chat.completion.chunk",
                       "created": created, "model": model, "choices": [], "usage": usage})
    return chunks
