"""How fast is the emulator? Single creates/s and objects/s through batch create.

Starts ``python -m hubcrm.testing --port 0 --rate-limit none`` as a subprocess, drives it
with plain aiohttp at 64 requests in flight, and prints the median of several runs with
the min-max range.

    python benchmarks/emulator.py [--runs 5] [--seconds 3] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from _harness import TOKEN, emulator_process

HEADERS = {"Authorization": f"Bearer {TOKEN}"}


async def drive(
    session: aiohttp.ClientSession,
    url: str,
    make_body: Callable[[int], dict[str, Any]],
    expected: int,
    per_request: int,
    seconds: float,
    concurrency: int,
) -> float:
    """Objects per second while ``concurrency`` workers post for ``seconds``."""
    counter = itertools.count()
    deadline = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            body = make_body(next(counter))
            async with session.post(url, json=body, headers=HEADERS) as response:
                await response.read()
                if response.status != expected:
                    raise RuntimeError(f"unexpected status {response.status}")
            done += per_request

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


def single_body(n: int) -> dict[str, Any]:
    return {
        "properties": {"email": f"user{n}@example.com", "firstname": "Ada", "lastname": "L"},
        "associations": [],
    }


def batch_body(n: int) -> dict[str, Any]:
    return {
        "inputs": [
            {
                "properties": {
                    "email": f"batch{n}-{i}@example.com",
                    "firstname": "Ada",
                    "lastname": "L",
                },
                "associations": [],
                "objectWriteTraceId": str(i),
            }
            for i in range(100)
        ]
    }


async def bench(base_url: str, runs: int, seconds: float, concurrency: int) -> None:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        figures: dict[str, list[float]] = {"single": [], "batch": []}
        for run in range(runs):
            single = await drive(
                session,
                f"{base_url}/crm/objects/2026-03/contacts",
                lambda n, run=run: single_body(n * 100 + run),
                201,
                1,
                seconds,
                concurrency,
            )
            batch = await drive(
                session,
                f"{base_url}/crm/objects/2026-03/contacts/batch/create",
                lambda n, run=run: batch_body(n * 100 + run),
                201,
                100,
                seconds,
                concurrency,
            )
            figures["single"].append(single)
            figures["batch"].append(batch)
            print(f"run {run + 1}: {single:,.0f} creates/s, {batch:,.0f} objects/s (batch)")
            async with session.post(f"{base_url}/_emulator/reset") as response:
                response.raise_for_status()
        for name, label in (("single", "single creates/s"), ("batch", "objects/s via batch")):
            values = figures[name]
            print(
                f"{label:>22}: median {statistics.median(values):,.0f} "
                f"(min {min(values):,.0f}, max {max(values):,.0f}, {runs} runs)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with emulator_process("--rate-limit", "none") as base_url:
        print(f"emulator at {base_url}; {args.concurrency} in flight, {args.seconds:g} s per run")
        asyncio.run(bench(base_url, args.runs, args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
