"""Where hubcrm's client CPU per create goes, against plain aiohttp (workload 2's ceiling).

Four ways to create a contact, 64 in flight, unthrottled, against one emulator process,
interleaved, measuring this process's CPU per create:

- ``plain aiohttp``: POST a prebuilt JSON body, read the answer (the suite's ceiling);
- ``+ hubcrm's request options``: the same with hubcrm's pool settings, default headers,
  a per-request timeout, and the answer decoded as JSON;
- ``+ hubcrm's session``: ``Session.request`` with a prebuilt body dict (connection
  slot, rate limiter, JSON encoding, counters, error mapping), no models;
- ``hubcrm objects.create``: the whole call (input checked and encoded, typed result).

    python benchmarks/overhead.py [--creates 4000] [--repeats 7] [--json samples.json]

Each variant's creates/s (wall time) is shown beside its CPU; with hubcrm's speed
extra installed, hubcrm's JSON goes through orjson (the output says which codec ran).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from _harness import TOKEN, emulator_process, machine
from client import new_inputs

from hubcrm import AsyncHubCRM
from hubcrm._http.retry import RequestKind

PATH = "/crm/objects/2026-03/contacts"


async def _cpu_per_call(
    call: Callable[[Any], Awaitable[None]], items: Sequence[Any]
) -> tuple[float, float]:
    """Client CPU µs per call, and calls per second, 64 in flight: 64 workers taking the
    next item, as the suite's workload 2 does. (Gathering a task per item up front would keep every
    finished task alive until the last, and charge the garbage collector's passes over
    them to whichever variant allocates most.)"""
    todo = iter(items)

    async def worker() -> None:
        for item in todo:
            await call(item)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(64)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return cpu / len(items) * 1e6, len(items) / wall


def _bodies(n: int) -> list[dict[str, Any]]:
    """``n`` bodies to time and one more to warm up with, emails never used before."""
    return [{"properties": p, "associations": []} for p in new_inputs(n + 1)]


async def plain(base_url: str, n: int) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    bodies = [json.dumps(b).encode() for b in _bodies(n)]
    async with aiohttp.ClientSession() as session:

        async def post(body: bytes) -> None:
            async with session.post(base_url + PATH, data=body, headers=headers) as resp:
                await resp.read()

        await post(bodies.pop())  # connections and first-call setup, not timed
        return await _cpu_per_call(post, bodies)


async def with_options(base_url: str, n: int) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    bodies = [json.dumps(b).encode() for b in _bodies(n)]
    timeout = aiohttp.ClientTimeout(total=30, connect=10)
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=0)
    defaults = {"User-Agent": "hubcrm-overhead", "Accept": "application/json"}
    async with aiohttp.ClientSession(connector=connector, headers=defaults) as session:

        async def post(body: bytes) -> None:
            async with session.request(
                "POST", base_url + PATH, data=body, headers=headers, timeout=timeout
            ) as resp:
                json.loads(await resp.read())

        await post(bodies.pop())
        return await _cpu_per_call(post, bodies)


async def session_only(base_url: str, n: int) -> tuple[float, float]:
    bodies = _bodies(n)
    async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
        session = crm._retrier

        async def post(body: dict[str, Any]) -> None:
            await session.request("POST", PATH, kind=RequestKind.CREATE, json_body=body)

        await post(bodies.pop())
        return await _cpu_per_call(post, bodies)


async def full(base_url: str, n: int) -> tuple[float, float]:
    inputs = [b["properties"] for b in _bodies(n)]
    async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:

        async def create(properties: dict[str, str]) -> None:
            await crm.objects.create("contacts", properties)

        await create(inputs.pop())
        return await _cpu_per_call(create, inputs)


VARIANTS = [
    ("plain aiohttp, prebuilt bytes", plain),
    ("+ hubcrm's request options, JSON decoded", with_options),
    ("+ hubcrm's request pipeline (no models)", session_only),
    ("hubcrm objects.create", full),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--creates", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    args = parser.parse_args()
    results: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    rates: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    with emulator_process() as base_url:
        for _ in range(args.repeats):
            for name, variant in VARIANTS:
                cpu, rate = asyncio.run(variant(base_url, args.creates))
                results[name].append(cpu)
                rates[name].append(rate)
    codec = _codec()
    print(machine())
    print(f"hubcrm's JSON codec: {codec}")
    print(f"{args.creates} creates per run, 64 in flight; median (min-max) of {args.repeats}")
    print()
    print("| variant | client CPU µs/create | more than the previous | creates/s |")
    print("|---|---|---|---|")
    previous = None
    for name, values in results.items():
        mid = statistics.median(values)
        step = "" if previous is None else f"{mid - previous:+.0f}"
        per_s = rates[name]
        print(
            f"| {name} | {mid:.0f} ({min(values):.0f}-{max(values):.0f}) | {step} "
            f"| {statistics.median(per_s):,.0f} ({min(per_s):,.0f}-{max(per_s):,.0f}) |"
        )
        previous = mid
    if args.json:
        samples = {"codec": codec, "cpu_us": results, "creates_per_s": rates}
        args.json.write_text(json.dumps(samples, indent=1))


def _codec() -> str:
    """The JSON codec of the hubcrm imported (builds before hubcrm[speed]: the stdlib's)."""
    try:
        from hubcrm._http.codec import CODEC
    except ImportError:
        return "json"
    return CODEC


if __name__ == "__main__":
    main()
