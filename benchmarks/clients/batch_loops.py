"""The hand-written batch loops the ``batch`` phase compares ``haybale batch`` with.

    python batch_loops.py VARIANT --url URL --input rows.jsonl --output out.jsonl --concurrency 100

Each reads the JSONL rows (``{"id", "prompt"}``), sends one chat request per row with at most
``--concurrency`` in flight, and writes ``{"id", "text"}`` per row: what people write when they have
no batch runner. Variants (each runs in its library's own virtualenv):

- ``haybale-run-async``: haybale's ``OpenAIChatGenerator.run_async`` under an ``asyncio.Semaphore``
  (the floor the batch machinery is measured against);
- ``openai``: ``AsyncOpenAI().chat.completions.create`` under a semaphore;
- ``litellm-acompletion``: ``litellm.acompletion`` under a semaphore;
- ``litellm-batch-completion``: ``litellm.batch_completion``, litellm's own helper (a thread pool).

Prints one JSON object: the rows written and the CPU of the loop alone (the orchestrator measures
the whole process as well, and checks the output file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
from collections.abc import Awaitable, Callable
from typing import Any

# Keep the library names importable: this folder also holds scripts named like them.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

KEY = "bench-key"
AsyncCall = Callable[[str], Awaitable[str]]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def haybale_call(url: str) -> AsyncCall:
    from haybale.components.generators.chat import OpenAIChatGenerator
    from haybale.utils import Secret

    generator = OpenAIChatGenerator(api_key=Secret.from_token(KEY), model="bench", api_base_url=url)

    async def call(prompt: str) -> str:
        return (await generator.run_async(prompt))["replies"][0].text or ""

    return call


def openai_call(url: str) -> AsyncCall:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key=KEY, base_url=url)

    async def call(prompt: str) -> str:
        reply = await client.chat.completions.create(
            model="bench", messages=[{"role": "user", "content": prompt}]
        )
        return reply.choices[0].message.content or ""

    return call


def litellm_call(url: str) -> AsyncCall:
    import litellm

    async def call(prompt: str) -> str:
        reply = await litellm.acompletion(
            model="openai/bench", messages=[{"role": "user", "content": prompt}], api_base=url, api_key=KEY
        )
        return reply.choices[0].message.content or ""

    return call


ASYNC_VARIANTS: dict[str, Callable[[str], AsyncCall]] = {
    "haybale-run-async": haybale_call,
    "openai": openai_call,
    "litellm-acompletion": litellm_call,
}


async def semaphore_loop(call: AsyncCall, rows: list[dict[str, Any]], concurrency: int) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(row: dict[str, Any]) -> str:
        async with gate:
            return await call(row["prompt"])

    return await asyncio.gather(*(one(row) for row in rows))


def litellm_batch(url: str, rows: list[dict[str, Any]], concurrency: int) -> list[str]:
    import litellm

    replies = litellm.batch_completion(
        model="openai/bench",
        messages=[[{"role": "user", "content": row["prompt"]}] for row in rows],
        api_base=url,
        api_key=KEY,
        max_workers=concurrency,
    )
    return [reply.choices[0].message.content or "" for reply in replies]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=[*ASYNC_VARIANTS, "litellm-batch-completion"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    with open(args.input) as file:
        rows = [json.loads(line) for line in file if line.strip()]
    start = _cpu()
    if args.variant == "litellm-batch-completion":
        texts = litellm_batch(args.url, rows, args.concurrency)
    else:

        async def run() -> list[str]:
            return await semaphore_loop(ASYNC_VARIANTS[args.variant](args.url), rows, args.concurrency)

        texts = asyncio.run(run())
    with open(args.output, "w") as out:
        for row, text in zip(rows, texts, strict=True):
            out.write(json.dumps({"id": row["id"], "text": text}) + "\n")
    print(json.dumps({"rows": len(rows), "loop_cpu_s": _cpu() - start}))


if __name__ == "__main__":
    main()
