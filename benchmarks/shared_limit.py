"""One HubSpot budget shared by processes through Redis: the "Must be shown" of issue 8.

    python benchmarks/shared_limit.py [--quick]

Starts one emulator process with a rolling limit of 50 requests per 1 s and its own
``redis-server`` on a free port of 127.0.0.1, then runs OS processes
(``_shared_worker.py``, started together) against them:

a. four processes, each ``create_many`` of 2,000 contacts (unique emails) with
   ``RedisRateLimiter(max_requests=50, interval=1)`` on one key: ``mode="single"``
   (8,000 requests, the main figure) and the default batch mode;
b. the same, single mode, each process with only its own ``RateLimit(50, 1.0)``;
c. Redis stopped a few seconds into the run: ``on_redis_error="raise"`` (how soon each
   process raises, how its ``create_many`` ended) and ``"local"`` with
   ``local_share=0.25`` (its rate while Redis is down);
d. the sync facade ``HubCRM`` from 16 threads in each of two processes, one key;
e. what an ``acquire()`` costs against this local Redis (sequential, uncontended)
   beside ``RollingWindowLimiter.acquire()``, and what it adds to a create against an
   unthrottled emulator (sequential creates, interleaved repetitions, medians).

Requests and 429s are the emulator's counts (``/_emulator/stats``); stored, lost and
duplicate records come from the records it stored, per intended email. "use" is
successful creates per second of the run's wall time (first worker's start to last
worker's end) over the permitted 50 per second, as ``ratelimit.py`` defines it;
"request use" counts every request the emulator received, 429s included.
``--quick`` runs every part reduced, to check the script.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from _harness import (
    TOKEN,
    Sample,
    admin,
    emulator_process,
    interleave,
    machine,
    props,
    timed,
)
from _shared_worker import Fleet, run_fleet, specs_for, stop_after

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support_redis import RedisServer

from hubcrm import AsyncHubCRM, RateLimit, RedisRateLimiter, RollingWindowLimiter

LIMIT = 50  # per 1 s: the emulator's rolling limit and every limiter's
LOCAL_SHARE = 0.25


def pct(part: float, whole: float) -> str:
    return f"{100 * part / max(whole, 1):.2f}%"


def goal(name: str, measured: str, met: bool) -> None:
    print(f"  goal {name}: {measured}: {'met' if met else 'MISSED'}")


def fleet_table(rows: Sequence[tuple[str, Fleet]]) -> None:
    print(
        "| run | requests | 429s | 429 share | stored / expected | duplicates | lost "
        "| elapsed s | use | request use |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name, f in rows:
        t = f.tally
        print(
            f"| {name} | {t.requests} | {t.rate_limited} | {pct(t.rate_limited, t.requests)} "
            f"| {t.stored} / {f.expected} | {t.duplicates} | {t.lost} | {f.elapsed:.1f} "
            f"| {f.use:.3f} | {f.request_use:.3f} |"
        )


# --- a, b, d ----------------------------------------------------------------------------


def sharing(base_url: str, redis: RedisServer, creates: int, run: int) -> None:
    print(f"\n## a/b. Four processes, {creates:,} contacts each, {LIMIT} requests per 1 s\n")
    shared = {"redis_url": redis.url, "key": "bench-four"}
    rows = [
        ("shared (Redis), single", run_fleet(specs_for(base_url, run, 4, creates, **shared))),
        (
            "shared (Redis), batch",
            run_fleet(specs_for(base_url, run + 1, 4, creates, mode="batch", **shared)),
        ),
        (
            "local limits only, single",
            run_fleet(specs_for(base_url, run + 2, 4, creates, limiter="local")),
        ),
    ]
    fleet_table(rows)
    main, batch, local = (f for _, f in rows)
    print("\nshared, single mode (the main figure):")
    goal(
        "429s <= 1% of requests",
        pct(main.tally.rate_limited, main.tally.requests),
        main.share_429 <= 0.01,
    )
    goal(
        "every record exactly once",
        f"{main.tally.stored} stored of {main.expected}, "
        f"{main.tally.duplicates} duplicates, {main.tally.lost} lost",
        main.exactly_once,
    )
    goal("use >= 0.9", f"{main.use:.3f}", main.use >= 0.9)
    print(f"  busiest 1 s of request starts (all four, as granted): {main.busiest(1.0)}")
    print(
        f"  Redis round trips per request: "
        f"{sum(r['redis_calls'] for r in main.reports) / max(main.tally.requests, 1):.2f}"
    )
    print(
        f"\nshared, batch mode: {batch.tally.requests} requests in {batch.elapsed:.1f} s, "
        f"{batch.tally.rate_limited} 429s; the limit is not what bounds it."
    )
    print(
        f"\nlocal limits only: {local.tally.rate_limited} 429s "
        f"({pct(local.tally.rate_limited, local.tally.requests)} of requests), "
        f"busiest 1 s of request starts {local.busiest(1.0)} (limit {LIMIT}); "
        f"{local.tally.stored} of {local.expected} stored, {local.tally.duplicates} "
        f"duplicates, {local.tally.lost} lost"
    )


def threads(base_url: str, redis: RedisServer, creates: int, run: int) -> None:
    print(f"\n## d. Sync facade: 16 threads in each of 2 processes, {creates:,} creates each\n")
    fleet = run_fleet(
        specs_for(base_url, run, 2, creates, redis_url=redis.url, key="bench-thr", threads=16)
    )
    fleet_table([("HubCRM, 2 x 16 threads, shared", fleet)])
    errors = sum(r["failed"] for r in fleet.reports)
    goal(
        "429s <= 1% of requests",
        pct(fleet.tally.rate_limited, fleet.tally.requests),
        fleet.share_429 <= 0.01,
    )
    goal(
        "every record exactly once",
        f"{fleet.tally.stored} stored of {fleet.expected}, "
        f"{fleet.tally.duplicates} duplicates, {errors} creates raised",
        fleet.exactly_once,
    )


# --- c ----------------------------------------------------------------------------------


def outage(base_url: str, creates: int, after: float, run: int) -> None:
    print(
        f"\n## c. Redis stopped {after:g} s into four processes' runs "
        f"({creates:,} single-mode creates each)\n"
    )
    redis = RedisServer()
    redis.start()
    stopped: list[float] = []
    try:
        specs = specs_for(base_url, run, 4, creates, redis_url=redis.url, key="bench-raise")
        fleet = run_fleet(specs, meanwhile=stop_after(redis, after, stopped))
    finally:
        redis.stop()
    print('on_redis_error="raise" (the default):\n')
    print(
        "| process | stop to first RedisLimiterError, ms | stopped_by | created "
        "| not attempted | never taken | failed / unknown | ended after stop, ms |"
    )
    print("|--:|--:|---|--:|--:|--:|--:|--:|")
    to_error = []
    for n, r in enumerate(fleet.reports, 1):
        first = r["first_redis_error"]
        if first is not None:
            to_error.append(first - stopped[0])
        print(
            f"| {n} | {'-' if first is None else f'{1000 * (first - stopped[0]):.0f}'} "
            f"| {r['stopped_by']} | {len(r['created'])} | {len(r['not_attempted'])} "
            f"| {r['count'] - r['taken']} | {r['failed']} / {r['unknown']} "
            f"| {1000 * (r['finished'] - stopped[0]):.0f} |"
        )
    print(
        f"\nevery input accounted for (created + not attempted + never taken = inputs, "
        f"no record unreported): {fleet.accounted}; records stored {fleet.tally.stored}, "
        f"reported created {fleet.created}, duplicates {fleet.tally.duplicates}"
    )
    if to_error:
        print(
            f"stop to first error: median {1000 * statistics.median(to_error):.0f} ms, "
            f"max {1000 * max(to_error):.0f} ms"
        )

    redis = RedisServer()
    redis.start()
    stopped = []
    try:
        specs = specs_for(
            base_url,
            run + 1,
            4,
            creates,
            redis_url=redis.url,
            key="bench-local",
            on_redis_error="local",
            local_share=LOCAL_SHARE,
        )
        fleet = run_fleet(specs, meanwhile=stop_after(redis, after, stopped))
    finally:
        redis.stop()
    print(
        f'\non_redis_error="local", local_share={LOCAL_SHARE} '
        f"(each process may use {int(LIMIT * LOCAL_SHARE)} per 1 s alone):\n"
    )
    fleet_table([("fallback", fleet)])
    all_running = min(r["finished"] for r in fleet.reports)
    during = fleet.starts_between(stopped[0], all_running)
    span = all_running - stopped[0]
    print(
        f"\ncompleted: {all(r['stopped_by'] is None for r in fleet.reports)}; exactly once: "
        f"{fleet.exactly_once}; "
        f"429s {pct(fleet.tally.rate_limited, fleet.tally.requests)} of requests"
    )
    if span > 0:
        print(
            f"while Redis was down and all four ran ({span:.1f} s): {during / span:.1f} "
            f"requests/s together, {during / span / 4:.1f} per process "
            f"(limit {int(LIMIT * LOCAL_SHARE)} each); busiest 1 s of one process's "
            f"fallback starts: {fleet.busiest(1.0, local_only=True)}"
        )


# --- e ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def acquire_cost(redis: RedisServer, n: int) -> None:
    print(f"\n## e. Cost of one acquire(), sequential, uncontended, N = {n:,} each\n")
    from redis.asyncio import Redis

    huge = 10**9

    async def measure() -> dict[str, list[float]]:
        client = Redis.from_url(redis.url)
        limiters = {
            "RedisRateLimiter (local redis-server)": RedisRateLimiter(
                client, key="bench-acquire", max_requests=huge, interval=1.0
            ),
            "RollingWindowLimiter": RollingWindowLimiter(RateLimit(huge, 1.0), explicit=True),
        }
        times: dict[str, list[float]] = {name: [] for name in limiters}
        for limiter in limiters.values():  # warm up: connect, load the script
            for _ in range(20):
                await limiter.acquire()
        block = 250
        for _ in range(0, n, block):  # alternate blocks, so noise hits both alike
            for name, limiter in limiters.items():
                for _ in range(block):
                    t0 = time.perf_counter()
                    await limiter.acquire()
                    times[name].append(time.perf_counter() - t0)
        await client.aclose()
        return times

    times = asyncio.run(measure())
    print("| limiter | median µs | p99 µs |")
    print("|---|--:|--:|")
    for name, values in times.items():
        print(
            f"| {name} | {1e6 * statistics.median(values):.1f} "
            f"| {1e6 * percentile(values, 0.99):.1f} |"
        )


def added_per_create(redis: RedisServer, creates: int, repeats: int) -> None:
    print(
        f"\n### Added latency per create: {creates} sequential creates, {repeats} "
        f"interleaved repetitions, unthrottled emulator\n"
    )
    runs = iter(range(10_000, 20_000))
    with emulator_process() as base_url:

        def variant(use_redis: bool) -> Callable[[list[Sample]], None]:
            def run(samples: list[Sample]) -> None:
                admin(base_url, "reset", {})
                inputs = [props(next(runs), i) for i in range(creates + 1)]

                async def main() -> None:
                    rate_limit: RateLimit | RedisRateLimiter = RateLimit.DEFAULT
                    if use_redis:
                        rate_limit = RedisRateLimiter.from_url(
                            redis.url, key="bench-create", max_requests=10**9, interval=1.0
                        )
                    async with AsyncHubCRM(TOKEN, base_url=base_url, rate_limit=rate_limit) as crm:
                        await crm.objects.create("contacts", inputs[0])  # warm up
                        with timed(creates, samples):
                            for p in inputs[1:]:
                                await crm.objects.create("contacts", p)

                asyncio.run(main())

            return run

        results = interleave(
            [("default local limiter", variant(False)), ("RedisRateLimiter", variant(True))],
            repeats,
        )
    print("| limiter | median ms per create (min-max of runs) |")
    print("|---|--:|")
    medians = {}
    for name, samples in results.items():
        per = [1000 * s.wall / s.ops for s in samples]
        medians[name] = statistics.median(per)
        print(f"| {name} | {medians[name]:.3f} ({min(per):.3f}-{max(per):.3f}) |")
    added = medians["RedisRateLimiter"] - medians["default local limiter"]
    print(f"\nadded per create (difference of medians): {1000 * added:.0f} µs")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="every part reduced")
    args = parser.parse_args(argv)
    quick = args.quick
    creates = 150 if quick else 2000
    print("# Shared rate limit through Redis")
    print(f"\ncommand: python benchmarks/shared_limit.py{' --quick' if quick else ''}")
    print(f"machine: {machine()}")
    started = time.monotonic()
    redis = RedisServer()
    redis.start()
    try:
        with emulator_process("--rate-limit", f"{LIMIT}/1") as base_url:
            sharing(base_url, redis, creates, run=1)
            outage(base_url, creates, after=2.0 if quick else 5.0, run=4)
            threads(base_url, redis, creates, run=6)
        acquire_cost(redis, 500 if quick else 5000)
        added_per_create(redis, 50 if quick else 300, 3 if quick else 7)
    finally:
        redis.stop()
    print(f"\ntotal {time.monotonic() - started:.0f} s; {shlex.join(sys.argv)}")


if __name__ == "__main__":
    main()
