"""Single creates: hubcrm (async and sync) against plain aiohttp, in one run.

    python benchmarks/client.py [--creates 2000] [--repeats 5]

Starts one emulator process (unthrottled) and measures, interleaved:

- plain aiohttp posting prebuilt JSON bodies, 64 in flight: the ceiling;
- hubcrm async, 64 in flight;
- hubcrm async, sequential;
- hubcrm sync, sequential;
- hubcrm sync from 16 threads sharing one client.

Prints creates/s (median and min-max) and client CPU ms per create, and the ratios
the project tracks: async / ceiling (goal >= 0.85) and sync / async sequential
(goal >= 0.8).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from _harness import TOKEN, Sample, admin, cpu_ms, emulator_process, interleave, machine, rate
from _harness import timed as timed_block

from hubcrm import AsyncHubCRM, HubCRM

_run_ids = itertools.count()


def _props(run: int, i: int) -> dict[str, str]:
    return {"email": f"r{run}-u{i}@example.com", "firstname": "Ada", "lastname": "Lovelace"}


async def _workers(n: int, count: int, job: object) -> None:
    numbers = iter(range(count))

    async def worker() -> None:
        for i in numbers:
            await job(i)  # type: ignore[operator]

    await asyncio.gather(*(worker() for _ in range(n)))


def bench_aiohttp(base_url: str, creates: int, in_flight: int, samples: list[Sample]) -> None:
    run = next(_run_ids)
    url = f"{base_url}/crm/objects/2026-03/contacts"
    bodies = [
        json.dumps({"properties": _props(run, i), "associations": []}).encode()
        for i in range(creates)
    ]
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def main() -> None:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=in_flight)
        ) as session:

            async def post(i: int) -> None:
                async with session.post(url, data=bodies[i], headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 201, resp.status

            with timed_block(creates, samples):
                await _workers(in_flight, creates, post)

    asyncio.run(main())


def bench_async(base_url: str, creates: int, in_flight: int, samples: list[Sample]) -> None:
    run = next(_run_ids)

    async def main() -> None:
        async with AsyncHubCRM(TOKEN, base_url=base_url, max_connections=in_flight) as crm:

            async def create(i: int) -> None:
                await crm.objects.create("contacts", _props(run, i))

            with timed_block(creates, samples):
                await _workers(in_flight, creates, create)

    asyncio.run(main())


def bench_sync(base_url: str, creates: int, threads: int, samples: list[Sample]) -> None:
    run = next(_run_ids)
    with HubCRM(TOKEN, base_url=base_url) as crm:
        crm.objects.create("contacts", _props(run, -1))  # start the portal outside the timing

        def create(i: int) -> None:
            crm.objects.create("contacts", _props(run, i))

        with timed_block(creates, samples):
            if threads == 1:
                for i in range(creates):
                    create(i)
            else:
                with ThreadPoolExecutor(threads) as pool:
                    list(pool.map(create, range(creates)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=2000, help="creates per concurrent run")
    parser.add_argument("--sequential", type=int, default=500, help="creates per sequential run")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, seq = args.creates, args.sequential

    with emulator_process() as base_url:

        def reset(fn):  # type: ignore[no-untyped-def]
            def run(samples: list[Sample]) -> None:
                admin(base_url, "reset", {})  # an empty store for each run keeps them alike
                fn(samples)

            return run

        variants = [
            (
                "plain aiohttp, 64 in flight (ceiling)",
                reset(lambda s: bench_aiohttp(base_url, n, 64, s)),
            ),
            ("hubcrm async, 64 in flight", reset(lambda s: bench_async(base_url, n, 64, s))),
            ("hubcrm async, sequential", reset(lambda s: bench_async(base_url, seq, 1, s))),
            ("hubcrm sync, sequential", reset(lambda s: bench_sync(base_url, seq, 1, s))),
            ("hubcrm sync, 16 threads", reset(lambda s: bench_sync(base_url, n, 16, s))),
        ]
        results = interleave(variants, args.repeats)

    print(f"# Single creates against the emulator ({machine()})")
    print(f"# {args.repeats} interleaved repeats; median (min-max)\n")
    print(f"| {'variant':<40} | {'creates/s':>22} | {'client CPU ms/create':>20} |")
    print(f"|{'-' * 42}|{'-' * 24}|{'-' * 22}|")
    for name, samples in results.items():
        med, lo, hi = rate(samples)
        spread = f"{med:,.0f} ({lo:,.0f}-{hi:,.0f})"
        print(f"| {name:<40} | {spread:>22} | {cpu_ms(samples):>20.3f} |")
    names = list(results)
    ceiling = rate(results[names[0]])[0]
    async64 = rate(results[names[1]])[0]
    async_seq = rate(results[names[2]])[0]
    sync_seq = rate(results[names[3]])[0]
    print()
    print(f"hubcrm async / plain aiohttp, 64 in flight: {async64 / ceiling:.2f} (goal >= 0.85)")
    print(f"hubcrm sync / hubcrm async, sequential:    {sync_seq / async_seq:.2f} (goal >= 0.80)")


if __name__ == "__main__":
    main()
