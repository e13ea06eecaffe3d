"""The reference of the replay benchmark: a minimal AsyncOpenAI + semaphore loop.

    python -m benchmarks.reference_replay BASE_URL LOG MODEL[,MODEL...] CONCURRENCY
"""

from __future__ import annotations

import asyncio
import json
import sys

from openai import AsyncOpenAI


async def main(base_url: str, log: str, models: list[str], concurrency: int) -> None:
    with open(log, encoding="utf-8") as f:
        requests = [json.loads(line)["request"] for line in f]
    client = AsyncOpenAI(base_url=base_url, api_key="x")
    semaphores = {m: asyncio.Semaphore(concurrency) for m in models}

    async def one(model: str, request: dict) -> str | None:
        async with semaphores[model]:
            response = await client.chat.completions.create(
                model=model, messages=request["messages"])
            return response.choices[0].message.content

    results = await asyncio.gather(*(one(m, r) for m in models for r in requests))
    assert len(results) == len(models) * len(requests)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])))
