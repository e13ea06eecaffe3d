"""The CPU reference of the replay benchmark: a bare aiohttp client + semaphore loop.

    python -m benchmarks.reference_aiohttp BASE_URL LOG MODEL[,MODEL...] CONCURRENCY

Posts each logged request's messages to ``BASE_URL/chat/completions`` once per model,
at most CONCURRENCY at a time per model (one session and connection pool per model, as
swapkit's replay has per target), and parses each JSON answer. Nothing is stored, scored
or retried: the CPU this process spends per request is what the HTTP round trip alone
costs, the floor for swapkit's replay on the same simulator.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp
import orjson


async def main(base_url: str, log: str, models: list[str], concurrency: int) -> None:
    with open(log, encoding="utf-8") as f:
        requests = [json.loads(line)["request"] for line in f]
    url = base_url.rstrip("/") + "/chat/completions"
    sessions = {m: aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency),
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
        for m in models}
    semaphores = {m: asyncio.Semaphore(concurrency) for m in models}

    async def one(model: str, request: dict[str, Any]) -> str | None:
        async with semaphores[model], sessions[model].post(
                url, data=orjson.dumps({"model": model, "messages": request["messages"]})
        ) as response:
            response.raise_for_status()
            answer: str | None = orjson.loads(await response.read())["choices"][0][
                "message"]["content"]
            return answer

    try:
        results = await asyncio.gather(*(one(m, r) for m in models for r in requests))
    finally:
        for session in sessions.values():
            await session.close()
    assert len(results) == len(models) * len(requests)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])))
