"""Checking each live target once before a run spends anything (``--no-preflight`` skips).

``GET /models`` says whether the endpoint is reachable, the key accepted and the model
served (and whether it is swapkit's simulator); when the list is missing or does not name
the model, one tiny request (``max_tokens: 1``) settles it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson

from swapkit.config import SIDES, SwapConfig, TargetConfig
from swapkit.replay.transport import ChatTransport, TransportError, target_transport

__all__ = ["TargetCheck", "check_target", "preflight"]

TIMEOUT_S = 15.0
KEY_REFUSED = (401, 403)


@dataclass
class TargetCheck:
    """One live target's preflight: fine or not, what was found, whether it is simulated."""

    side: str
    label: str
    base_url: str
    ok: bool
    message: str
    simulated: bool = False

    def line(self) -> str:
        """``candidate  qwen3 at https://...: reachable, key accepted, model served``."""
        return f"{self.side:<10} {self.label} at {self.base_url}: {self.message}"


def _model_ids(data: Any) -> tuple[list[str], bool]:
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return [], False
    ids = [str(m.get("id")) for m in items if isinstance(m, dict)]
    simulated = any(isinstance(m, dict) and m.get("owned_by") == "swapkit-sim" for m in items)
    return ids, simulated


async def _tiny_request(transport: ChatTransport, target: TargetConfig) -> tuple[int | None, str]:
    body = {**target.params, "model": target.model, "max_tokens": 1, "stream": False,
            "messages": [{"role": "user", "content": "ping"}]}
    try:
        async with transport.post("/chat/completions", body, {}, TIMEOUT_S) as response:
            raw = await response.content.read(64 * 1024)
            if response.status < 400:
                return response.status, ""
            try:
                data = orjson.loads(raw)
                inner = data.get("error", data) if isinstance(data, dict) else data
                message = inner.get("message") if isinstance(inner, dict) else str(inner)
            except orjson.JSONDecodeError:
                message = raw[:200].decode("utf-8", "replace")
            return response.status, f"HTTP {response.status}: {message}"
    except TransportError as err:
        return None, str(err)


async def check_target(side: str, target: TargetConfig,
                       transport: ChatTransport) -> TargetCheck:
    """Reachable, key accepted, model served: the first that fails is the message."""
    check = TargetCheck(side, target.display_name, target.base_url or "", False, "")
    status, data, error = await transport.get_json("/models", TIMEOUT_S)
    if status is None:
        check.message = f"unreachable ({error})"
        return check
    if status in KEY_REFUSED:
        check.message = f"the key is not accepted (HTTP {status} on /models)"
        return check
    ids, check.simulated = _model_ids(data) if status == 200 else ([], False)
    if target.model in ids:
        check.ok, check.message = True, "reachable, key accepted, model served"
        return check
    code, problem = await _tiny_request(transport, target)
    if code is None:
        check.message = f"unreachable ({problem})"
    elif code in KEY_REFUSED:
        check.message = f"the key is not accepted ({problem})"
    elif code == 404:
        served = f" (it lists: {', '.join(ids[:10])})" if ids else ""
        check.message = f"model {target.model} is not served{served}: {problem}"
    elif code == 400:
        check.message = f"a minimal request is refused ({problem}): check model and params"
    else:
        check.ok = True
        check.message = ("reachable, key accepted, model served" if code < 400 else
                         f"reachable, but busy or failing now ({problem})")
    return check


async def preflight(config: SwapConfig, sides: tuple[str, ...] = SIDES,
                    transports: dict[str, ChatTransport] | None = None) -> list[TargetCheck]:
    """Check every live target of ``config`` at once (recorded targets need nothing)."""
    owned: list[ChatTransport] = []
    tasks = []
    for side in sides:
        target: TargetConfig = getattr(config, side)
        if target.recorded is not False:
            continue
        transport = (transports or {}).get(side)
        if transport is None:
            transport = target_transport(target, side, 2)
            owned.append(transport)
        tasks.append(check_target(side, target, transport))
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for transport in owned:
            await transport.close()
