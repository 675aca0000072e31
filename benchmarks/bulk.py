"""Bulk creation: hubcrm's engine against the ceiling, under a limit, and its memory.

    python benchmarks/bulk.py [--objects 50000] [--repeats 3] [--limited 50000]
                              [--real-repeats 1]

With hubspot-sdk for the comparison (it only ever goes into a throwaway virtualenv;
it is never a hubcrm dependency)::

    python3 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install -e /work/main "hubspot-sdk[aiohttp]==0.1.0a9"
    cd /work/main/benchmarks && /tmp/bench-venv/bin/python bulk.py

Starts one emulator process and measures, in one run:

1. unthrottled: ``create_many`` of contacts (batch mode, default concurrency) against
   plain aiohttp posting prebuilt 100-input ``batch/create`` bodies at the same
   concurrency, the ceiling (interleaved, median of ``--repeats``). Goal >= 0.8x.
   hubspot-sdk's batch create (below) runs in the same rotation.
2. at 190 requests per 1 s (HubSpot's 190 per 10 s, scaled into 1 s), ``--limited``
   contacts, interleaved, median of ``--repeats``:
   - hubcrm with the client's default settings: objects/s, objects per request (goal
     >= 99), use of the permitted request rate (goal >= 0.95) and the share of 429s
     (goal <= 1%);
   - hubspot-sdk 0.1.0a9 driven the usual way: ``AsyncHubSpot(access_token=...,
     base_url=..., http_client=DefaultAioHttpClient())``, the inputs split into chunks
     of 100 by the caller and every chunk's
     ``client.crm.objects.contacts.batch.create(inputs=chunk)``
     (``POST /crm/objects/2026-03/contacts/batch/create``) awaited at once through
     ``asyncio.gather`` (``return_exceptions=True``, to count the failed batches),
     default retries (2) and timeouts.
   Both: requests and 429s as the emulator counted them, failed batches (calls that
   raised), lost records (intended emails with no stored record) and duplicates.
2b. the same two clients at HubSpot's real 190 per 10 s (``--real-repeats`` runs each,
   default 1; 0 skips it): the limit a client meets in production.
3. peak RSS of a process streaming N generated inputs through ``iter_create_many``,
   for N = 20,000 and 200,000 (goal: flat).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import _sdks
import aiohttp
import attrs
from _harness import (
    TOKEN,
    Sample,
    Tally,
    admin,
    cpu_ms,
    emulator_process,
    handwritten_load,
    interleave,
    machine,
    props,
    rate,
    set_limit,
    spread,
    timed,
)

from hubcrm import AsyncHubCRM
from hubcrm._write.schedule import _UNLIMITED_CONCURRENCY

SDK_MISSING = 'hubspot-sdk not installed (pip install "hubspot-sdk[aiohttp]==0.1.0a9")'
LIMIT, WINDOW = 190, 1.0  # HubSpot's 190 per 10 s, scaled into 1 s
REAL_WINDOW = 10.0  # HubSpot's own window, for section 2b
SDK_CHUNK = 100  # HubSpot's batch/create maximum; the caller chunks for hubspot-sdk

_run_ids = itertools.count()


def bench_ceiling(base_url: str, n: int, concurrency: int, samples: list[Sample]) -> None:
    admin(base_url, "reset", {})
    run = next(_run_ids)
    url = f"{base_url}/crm/objects/2026-03/contacts/batch/create"
    bodies = [
        json.dumps(
            {
                "inputs": [
                    {"properties": props(run, i), "associations": [], "objectWriteTraceId": str(i)}
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
                    "contacts", (props(run, i) for i in range(n))
                )
        assert result.ok, result.errors[:3]

    asyncio.run(main())


@attrs.frozen
class Calls:
    """What the client reported: failed batch calls, failed inputs, error kinds."""

    failed_batches: int | None  # None: the client has no user-visible batches (hubcrm)
    failed_inputs: int
    errors: collections.Counter[str]


def _sdk_chunks(inputs: list[dict[str, str]]) -> list[list[dict[str, object]]]:
    """The caller's chunking for hubspot-sdk: 100 ``{properties, associations}`` each."""
    rows: list[dict[str, object]] = [{"properties": p, "associations": []} for p in inputs]
    return [rows[i : i + SDK_CHUNK] for i in range(0, len(rows), SDK_CHUNK)]


async def drive_sdk(base_url: str, inputs: list[dict[str, str]]) -> Calls:
    """hubspot-sdk's contacts batch create: user-side chunks of 100, all gathered."""
    chunks = _sdk_chunks(inputs)
    async with _sdks.sdk_async(base_url, TOKEN, "aiohttp") as client:
        create = client.crm.objects.contacts.batch.create
        results = await asyncio.gather(
            *(create(inputs=chunk) for chunk in chunks), return_exceptions=True
        )
    failed = [(c, r) for c, r in zip(chunks, results, strict=True) if isinstance(r, BaseException)]
    return Calls(
        failed_batches=len(failed),
        failed_inputs=sum(len(c) for c, _ in failed),
        errors=collections.Counter(type(r).__name__ for _, r in failed),
    )


async def drive_hubcrm(base_url: str, inputs: list[dict[str, str]]) -> Calls:
    """hubcrm's defaults: it learns the limit from HubSpot's headers."""
    async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
        result = await crm.objects.create_many("contacts", inputs)
    return Calls(
        failed_batches=None,
        failed_inputs=len(result.errors),
        errors=collections.Counter(type(e.error).__name__ for e in result.errors),
    )


async def drive_handwritten(base_url: str, inputs: list[dict[str, str]]) -> Calls:
    """The floor: the least a bulk loader does, by hand on plain aiohttp
    (``_harness.handwritten_load``), each result kept beside its input as a dict."""
    results: list[tuple[dict[str, str], dict[str, object]]] = []
    failed, missing = await handwritten_load(
        base_url,
        inputs,
        lambda _, raw, record: results.append((raw, record)),
        in_flight=_UNLIMITED_CONCURRENCY,
    )
    return Calls(failed_batches=sum(failed.values()), failed_inputs=missing, errors=failed)


Driver = Callable[[str, list[dict[str, str]]], Awaitable[Calls]]
DRIVERS: dict[str, Driver] = {
    "hubcrm": drive_hubcrm,
    "hubspot-sdk": drive_sdk,
    "hand-written": drive_handwritten,
}
#: Drivers that only run unthrottled (they do not retry a 429).
UNTHROTTLED_ONLY = frozenset({"hand-written"})


@attrs.frozen
class Outcome:
    """One run of one client, as the client reported it and the emulator saw it."""

    n: int
    window: float | None  # the limit was LIMIT requests per window seconds (None: none)
    elapsed: float
    cpu: float
    requests: int
    rate_limited: int
    stored: int  # intended emails with a stored record
    lost: int
    duplicates: int
    calls: Calls

    @property
    def accepted(self) -> int:
        return self.requests - self.rate_limited

    @property
    def use(self) -> float:
        """Accepted requests per second, as a share of the permitted rate."""
        if self.window is None:
            return float("nan")
        return self.accepted / self.elapsed / (LIMIT / self.window)


def run_once(base_url: str, driver: Driver, n: int, window: float | None) -> Outcome:
    """Empty the emulator, set LIMIT per window (None: unthrottled), run one client,
    and count what it stored."""
    set_limit(base_url, (LIMIT, window) if window else None)
    run = next(_run_ids)
    inputs = [props(run, i) for i in range(n)]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    calls = asyncio.run(driver(base_url, inputs))
    elapsed, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    tally = Tally.of(base_url, inputs)
    set_limit(base_url, None)
    return Outcome(
        n=n,
        window=window,
        elapsed=elapsed,
        cpu=cpu,
        requests=tally.requests,
        rate_limited=tally.rate_limited,
        stored=tally.stored,
        lost=tally.lost,
        duplicates=tally.duplicates,
        calls=calls,
    )


LIMITED_HEADER = (
    "| client | stored objects/s | requests | 429s | 429s % | objects per accepted request "
    "| use of permitted rate | failed batches | failed inputs | lost | duplicates "
    "| client CPU µs/object |"
)


def limited_row(name: str, outcomes: list[Outcome]) -> str:
    failed_batches = [o.calls.failed_batches for o in outcomes]
    cells = [
        spread([o.stored / o.elapsed for o in outcomes], ",.0f"),
        spread([o.requests for o in outcomes], ",.0f"),
        spread([o.rate_limited for o in outcomes], ",.0f"),
        spread([100 * o.rate_limited / max(o.requests, 1) for o in outcomes], ".2f"),
        spread([o.stored / max(o.accepted, 1) for o in outcomes], ".2f"),
        spread([o.use for o in outcomes], ".2f"),
        "n/a (no user batches)"
        if any(f is None for f in failed_batches)
        else spread([f or 0 for f in failed_batches], ",.0f"),
        spread([o.calls.failed_inputs for o in outcomes], ",.0f"),
        spread([o.lost for o in outcomes], ",.0f"),
        spread([o.duplicates for o in outcomes], ",.0f"),
        spread([o.cpu / o.n * 1e6 for o in outcomes], ",.0f"),
    ]
    return f"| {name} | " + " | ".join(cells) + " |"


def limited_goals(outcomes: list[Outcome]) -> list[str]:
    """hubcrm's goals from issue 5, checked on the medians."""
    per_request = statistics.median(o.stored / max(o.accepted, 1) for o in outcomes)
    use = statistics.median(o.use for o in outcomes)
    share = statistics.median(o.rate_limited / max(o.requests, 1) for o in outcomes)
    lost = max(o.lost for o in outcomes)
    return [
        f"objects per request {per_request:.2f} (goal >= 99): "
        + ("met" if per_request >= 99 else "MISSED"),
        f"use {use:.2f} (goal >= 0.95): " + ("met" if use >= 0.95 else "MISSED"),
        f"429s {100 * share:.2f}% (goal <= 1%): " + ("met" if share <= 0.01 else "MISSED"),
        f"lost {lost} in the worst run (goal 0): " + ("met" if lost == 0 else "MISSED"),
    ]


def print_limited(
    label: str,
    window: float,
    repeats: int,
    n: int,
    clients: Sequence[tuple[str, Driver]],
    outcomes: dict[str, list[Outcome]],
    sdk: bool,
) -> None:
    """One section of limited runs as a Markdown table, with notes and hubcrm's goals."""
    scaled = "HubSpot's 190 per 10 s, scaled into 1 s" if window == WINDOW else "HubSpot's own"
    print(
        f"\n{label} at {LIMIT} requests per {window:g} s ({scaled}), {n:,} contacts; "
        f"median (min - max) of {repeats} interleaved run(s)"
    )
    print(LIMITED_HEADER)
    print("|" + "---|" * LIMITED_HEADER.count(" | ") + "---|")
    for name, _ in clients:
        print(limited_row(name, outcomes[name]))
    if not sdk:
        print(f"| hubspot-sdk | {SDK_MISSING} |" + " |" * (LIMITED_HEADER.count(" | ") - 1))
    for name, _ in clients:
        errors = sum((o.calls.errors for o in outcomes[name]), collections.Counter[str]())
        if errors:
            listed = ", ".join(f"{k:,} x {kind}" for kind, k in errors.most_common())
            print(f"- {name}, errors over all runs: {listed}")
    requests = -(-n // 100)
    best = (-(-requests // LIMIT) - 1) * window
    print(
        f"- requests and 429s: counted by the emulator. failed batches: chunk calls that "
        f"raised. failed inputs: inputs the client reported as failed. lost: intended "
        f"emails with no stored record. duplicates: stored records beyond one per email."
        f"\n- use = accepted requests / elapsed / {LIMIT / window:g} per s. A rolling "
        f"window admits a full burst at once, so {requests:,} requests can finish in "
        + (
            f"{best:g} s plus round trips: use can reach "
            f"{requests / best / (LIMIT / window):.2f} here."
            if best
            else "one burst: use means nothing here."
        )
    )
    print("- hubcrm goals (issue 5): " + "; ".join(limited_goals(outcomes[clients[0][0]])))


def bench_sdk_unthrottled(base_url: str, n: int, samples: list[Sample], log: list[Calls]) -> None:
    """hubspot-sdk's batch create unthrottled, for the rotation of section 1."""
    admin(base_url, "reset", {})
    run = next(_run_ids)
    inputs = [props(run, i) for i in range(n)]
    with timed(n, samples):
        calls = asyncio.run(drive_sdk(base_url, inputs))
    log.append(calls)


_STREAM_CHILD = """
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
print(peak_rss_kib())
"""

# Workload 4 in a fresh process: the baseline is taken with the client's library loaded
# and the inputs built, so that peak - baseline is what the bulk create itself holds.
_DRIVER_CHILD = """
import bulk
name, base_url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if name == "hubspot-sdk":
    import hubspot_sdk  # noqa: F401  (hubcrm came with `import bulk`)
inputs = [props(-1, i) for i in range(n)]
baseline = peak_rss_kib("VmRSS")
calls = asyncio.run(bulk.DRIVERS[name](base_url, inputs))
assert calls.failed_inputs == 0, calls
print(baseline, peak_rss_kib())
"""


def _in_child(code: str, *args: str) -> list[int]:
    """Run ``code`` in a fresh interpreter, this folder importable; its last line's ints.

    Peaks come from /proc (VmHWM): ru_maxrss of a child would count this process's
    RSS at fork time too.
    """
    prelude = (
        f"import asyncio, sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from _harness import peak_rss_kib, props\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", prelude + code, *args], check=True, capture_output=True, text=True
    ).stdout
    return [int(word) for word in out.strip().splitlines()[-1].split()]


def peak_rss_mib(base_url: str, n: int) -> float:
    """Peak RSS of a process streaming ``n`` inputs through ``iter_create_many``."""
    admin(base_url, "reset", {})
    return _in_child(_STREAM_CHILD, base_url, TOKEN, str(n))[0] / 1024


def driver_rss_mib(base_url: str, name: str, n: int) -> tuple[float, float]:
    """Workload 4's memory: (peak, peak - baseline) of ``DRIVERS[name]`` creating ``n``."""
    set_limit(base_url, None)
    baseline, peak = _in_child(_DRIVER_CHILD, name, base_url, str(n))
    return peak / 1024, (peak - baseline) / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limited", type=int, default=50_000)
    parser.add_argument(
        "--real-repeats",
        type=int,
        default=1,
        help="runs per client at HubSpot's real 190 per 10 s (section 2b; 0 skips it)",
    )
    args = parser.parse_args(argv)
    concurrency = _UNLIMITED_CONCURRENCY
    sdk_version = _sdks.version(_sdks.SDK)
    sdk = sdk_version is not None
    sdk_name = f"hubspot-sdk {sdk_version}" if sdk else "hubspot-sdk"

    sdk_unthrottled: list[Calls] = []
    with emulator_process() as base_url:
        variants: list[tuple[str, Callable[[list[Sample]], None]]] = [
            ("aiohttp ceiling", lambda s: bench_ceiling(base_url, args.objects, concurrency, s)),
            ("hubcrm create_many", lambda s: bench_hubcrm(base_url, args.objects, s)),
        ]
        if sdk:
            variants.append(
                (
                    sdk_name,
                    lambda s: bench_sdk_unthrottled(base_url, args.objects, s, sdk_unthrottled),
                )
            )
        results = interleave(variants, args.repeats)

        clients: list[tuple[str, Driver]] = [("hubcrm create_many (defaults)", drive_hubcrm)]
        if sdk:
            clients.append((f"{sdk_name} batch.create, chunks of 100, gather", drive_sdk))
        sections = [("2.", WINDOW, args.repeats), ("2b.", REAL_WINDOW, args.real_repeats)]
        limited: dict[str, dict[str, list[Outcome]]] = {}
        for label, window, repeats in sections:
            limited[label] = {name: [] for name, _ in clients}
            for _ in range(repeats):
                for name, driver in clients:
                    outcome = run_once(base_url, driver, args.limited, window)
                    limited[label][name].append(outcome)
                    print(
                        f"  {label} {name}: {outcome.elapsed:.1f} s, {outcome.requests} "
                        f"requests, {outcome.rate_limited} 429s, {outcome.lost} lost",
                        file=sys.stderr,
                    )
        rss = {n: peak_rss_mib(base_url, n) for n in (20_000, 200_000)}

    command = shlex.join(["python", "bulk.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"`{command}`: {machine()}")
    print(
        f"\n1. unthrottled, {args.objects:,} contacts, {concurrency} batches in flight "
        f"(hubspot-sdk: all chunks gathered, its pool allows 100 connections); median "
        f"(min - max) of {args.repeats} interleaved runs"
    )
    print("| | objects/s | client CPU µs/object |")
    print("|---|---|---|")
    medians = {}
    for name, samples in results.items():
        med, lo, hi = rate(samples)
        medians[name] = med
        print(f"| {name} | {med:,.0f} ({lo:,.0f} - {hi:,.0f}) | {cpu_ms(samples) * 1000:,.0f} |")
    if not sdk:
        print(f"| hubspot-sdk | {SDK_MISSING} | |")
    ratio = medians["hubcrm create_many"] / medians["aiohttp ceiling"]
    print(f"hubcrm / ceiling: {ratio:.2f} (goal >= 0.8): {'met' if ratio >= 0.8 else 'MISSED'}")
    if sdk_unthrottled:
        failed = [c.failed_batches or 0 for c in sdk_unthrottled]
        print(f"{sdk_name} unthrottled, failed batches per run: {failed}")

    for label, window, repeats in sections:
        if repeats:
            print_limited(label, window, repeats, args.limited, clients, limited[label], sdk)

    print("\n3. peak RSS streaming generated inputs through iter_create_many")
    for n, mib in rss.items():
        print(f"| {n:,} inputs | {mib:.1f} MiB |")


if __name__ == "__main__":
    main()
