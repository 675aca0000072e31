"""Bulk creation: hubcrm's engine against the ceiling, under a limit, and its memory.

    python benchmarks/bulk.py [--objects 50000] [--repeats 3] [--limited 100000]

Starts one emulator process and measures, in one run:

1. unthrottled: ``create_many`` of contacts (batch mode, default concurrency) against
   plain aiohttp posting prebuilt 100-input ``batch/create`` bodies at the same
   concurrency, the ceiling (interleaved, median of ``--repeats``). Goal >= 0.8x.
2. at 190 requests per 1 s (HubSpot's 190 per 10 s, scaled into 1 s) with the client's
   default settings: objects/s, objects per request (goal >= 99), use of the permitted
   request rate (goal >= 0.95) and the share of 429s (goal <= 1%).
3. peak RSS of a process streaming N generated inputs through ``iter_create_many``,
   for N = 20,000 and 200,000 (goal: flat).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import subprocess
import sys
import time

import aiohttp
from _harness import TOKEN, Sample, admin, emulator_process, interleave, machine, rate, timed

from hubcrm import AsyncHubCRM
from hubcrm._bulk import _UNLIMITED_CONCURRENCY

_run_ids = itertools.count()


def _props(run: int, i: int) -> dict[str, str]:
    return {"email": f"r{run}-u{i}@example.com", "firstname": "Ada", "lastname": "Lovelace"}


def bench_ceiling(base_url: str, n: int, concurrency: int, samples: list[Sample]) -> None:
    admin(base_url, "reset", {})
    run = next(_run_ids)
    url = f"{base_url}/crm/objects/2026-03/contacts/batch/create"
    bodies = [
        json.dumps(
            {
                "inputs": [
                    {"properties": _props(run, i), "associations": [], "objectWriteTraceId": str(i)}
                    for i in range(start, min(start + 100, n))
                ]
            }
        ).encode()
        for start in range(0, n, 100)
    ]
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def main() -> None:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency)
        ) as session:
            todo = iter(bodies)

            async def worker() -> None:
                for body in todo:
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        assert resp.status == 201, resp.status

            with timed(n, samples):
                await asyncio.gather(*(worker() for _ in range(concurrency)))

    asyncio.run(main())


def bench_hubcrm(base_url: str, n: int, samples: list[Sample]) -> None:
    admin(base_url, "reset", {})
    run = next(_run_ids)

    async def main() -> None:
        async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
            with timed(n, samples):
                result = await crm.objects.create_many(
                    "contacts", (_props(run, i) for i in range(n))
                )
        assert result.ok, result.errors[:3]

    asyncio.run(main())


def bench_limited(base_url: str, n: int) -> dict[str, float]:
    admin(base_url, "reset", {})
    admin(base_url, "rate-limit", {"rate_limit": [190, 1.0]})
    run = next(_run_ids)

    async def main() -> float:
        # The client's defaults: it learns 190/1 s from HubSpot's headers.
        async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
            started = time.perf_counter()
            result = await crm.objects.create_many("contacts", (_props(run, i) for i in range(n)))
            elapsed = time.perf_counter() - started
        assert result.ok, result.errors[:3]
        return elapsed

    elapsed = asyncio.run(main())
    stats = admin(base_url, "stats")
    admin(base_url, "rate-limit", {"rate_limit": [1000000, 1.0]})
    requests = stats["requests"]
    limited = sum(stats["rate_limited"].values())
    accepted = requests - limited
    return {
        "objects/s": n / elapsed,
        "objects per request": n / accepted,
        "use of permitted rate": accepted / elapsed / 190.0,
        "429 share": limited / requests,
        "elapsed": elapsed,
    }


_RSS_CHILD = """
import asyncio, resource, sys
from hubcrm import AsyncHubCRM
base_url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

def rows():
    for i in range(n):
        yield {"email": f"m{n}-{i}@example.com", "firstname": "Ada", "lastname": "Lovelace"}

async def main():
    count = 0
    async with AsyncHubCRM(token, base_url=base_url, rate_limit=None) as crm:
        async for outcome in crm.objects.iter_create_many("contacts", rows()):
            count += outcome.ok
    assert count == n, count

asyncio.run(main())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mib(base_url: str, n: int) -> float:
    admin(base_url, "reset", {})
    out = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, base_url, TOKEN, str(n)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip().splitlines()[-1]) / 1024  # ru_maxrss is KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limited", type=int, default=100_000)
    args = parser.parse_args()
    concurrency = _UNLIMITED_CONCURRENCY

    with emulator_process() as base_url:
        results = interleave(
            [
                (
                    "aiohttp ceiling",
                    lambda s: bench_ceiling(base_url, args.objects, concurrency, s),
                ),
                ("hubcrm create_many", lambda s: bench_hubcrm(base_url, args.objects, s)),
            ],
            args.repeats,
        )
        limited = bench_limited(base_url, args.limited)
        rss = {n: peak_rss_mib(base_url, n) for n in (20_000, 200_000)}

    print(f"machine: {machine()}")
    print(f"\n1. unthrottled, {args.objects:,} contacts, {concurrency} batches in flight")
    print("| | objects/s median | min - max |")
    print("|---|---|---|")
    medians = {}
    for name, samples in results.items():
        med, lo, hi = rate(samples)
        medians[name] = med
        print(f"| {name} | {med:,.0f} | {lo:,.0f} - {hi:,.0f} |")
    ratio = medians["hubcrm create_many"] / medians["aiohttp ceiling"]
    print(f"hubcrm / ceiling: {ratio:.2f} (goal >= 0.8)")
    print(f"\n2. at 190 requests per 1 s, {args.limited:,} contacts, default settings")
    print(f"| objects/s | {limited['objects/s']:,.0f} |")
    print(f"| objects per request | {limited['objects per request']:.2f} (goal >= 99) |")
    print(f"| use of permitted rate | {limited['use of permitted rate']:.3f} (goal >= 0.95) |")
    print(f"| 429 share | {limited['429 share']:.2%} (goal <= 1%) |")
    print("\n3. peak RSS streaming generated inputs through iter_create_many")
    for n, mib in rss.items():
        print(f"| {n:,} inputs | {mib:.1f} MiB |")


if __name__ == "__main__":
    main()
