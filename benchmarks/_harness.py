"""Shared plumbing for the benchmark scripts: an emulator process and result tables."""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

TOKEN = "bench-token"
UNLIMITED = [1_000_000, 1.0]  # what emulator_process() announces: "unthrottled"

Props = dict[str, str]


def props(run: int, i: int) -> Props:
    """One contact's properties, with an email unique to (run, i)."""
    return {"email": f"r{run}-u{i}@example.com", "firstname": "Ada", "lastname": "Lovelace"}


@contextmanager
def emulator_process(*extra_args: str) -> Iterator[str]:
    """Run ``python -m hubcrm.testing`` in its own process; yield its base URL.

    A separate process, so that the emulator's CPU time is never charged to the
    client being measured, and the two don't share a GIL.
    """
    cmd = [
        sys.executable,
        "-m",
        "hubcrm.testing",
        "--port",
        "0",
        "--token",
        TOKEN,
        # "Unthrottled", yet announced: hubcrm adopts the limit HubSpot announces, so
        # its limiter stays in the measured path, as it is against HubSpot. With no
        # announcement it would keep its safe default of 100 per 10 s.
        "--rate-limit",
        "1000000/1",
        *extra_args,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"emulator did not start: {line!r}")
        yield line.rsplit("listening on ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def admin(base_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call one of the emulator's ``/_emulator/...`` endpoints."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{base_url}/_emulator/{path}",
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


@attrs.define
class Sample:
    """One timed run: how many operations, wall seconds, client CPU seconds."""

    ops: int
    wall: float
    cpu: float
    # What the client raised, by exception type (for runs that count failures).
    errors: collections.Counter[str] = attrs.field(factory=collections.Counter)


@contextmanager
def timed(ops: int, samples: list[Sample]) -> Iterator[None]:
    """Time the block (wall clock and this process's CPU) and record a Sample."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    yield
    samples.append(Sample(ops, time.perf_counter() - wall0, time.process_time() - cpu0))


def interleave(
    variants: Sequence[tuple[str, Callable[[list[Sample]], None]]], repeats: int
) -> dict[str, list[Sample]]:
    """Run the variants A B C A B C ..., so machine noise hits each alike."""
    results: dict[str, list[Sample]] = {name: [] for name, _ in variants}
    for _ in range(repeats):
        for name, run in variants:
            run(results[name])
    return results


def rate(samples: list[Sample]) -> tuple[float, float, float]:
    """Median, min and max of operations per second."""
    rates = [s.ops / s.wall for s in samples]
    return statistics.median(rates), min(rates), max(rates)


def cpu_ms(samples: list[Sample]) -> float:
    """Median client CPU milliseconds per operation."""
    return statistics.median(s.cpu / s.ops * 1000 for s in samples)


def spread(values: Sequence[float], fmt: str) -> str:
    """``median (min-max)``, or the one value when all runs agreed."""
    mid = format(statistics.median(values), fmt)
    if min(values) == max(values):
        return mid
    return f"{mid} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def set_limit(base_url: str, limit: Sequence[float] | None) -> None:
    """Reset the emulator's store and stats, and set its rolling limit (None: unthrottled).

    Sleeps out the current window first, so that no earlier run's requests count.
    """
    window = float(limit[1]) if limit else 0.0
    time.sleep(window + 0.2)
    admin(base_url, "reset", {})
    admin(base_url, "rate-limit", {"rate_limit": list(limit) if limit else UNLIMITED})


@attrs.frozen
class Tally:
    """What the emulator saw of one run: requests, 429s, and the records it stored."""

    requests: int
    rate_limited: int
    stored: int  # intended emails with at least one record
    lost: int  # intended emails with none
    duplicates: int  # records beyond one per intended email

    @classmethod
    def of(cls, base_url: str, inputs: Sequence[Props]) -> Tally:
        stats = admin(base_url, "stats")
        stored = collections.Counter(
            str(o["properties"].get("email") or "").lower()
            for o in admin(base_url, "objects/contacts")["results"]
        )
        intended = {p["email"].lower() for p in inputs}
        return cls(
            requests=stats["requests"],
            rate_limited=sum(stats["rate_limited"].values()),
            stored=sum(1 for email in intended if stored[email] > 0),
            lost=sum(1 for email in intended if stored[email] == 0),
            duplicates=sum(stored[email] - 1 for email in intended if stored[email] > 1),
        )


def peak_rss_kib(field: str = "VmHWM") -> int:
    """This process's peak (VmHWM) or current (VmRSS) resident set, in KiB.

    /proc rather than ru_maxrss: on Linux ru_maxrss of a child started from a big parent
    counts the parent's RSS at fork time, not only the child's own.
    """
    try:
        with open("/proc/self/status") as status:
            return int(next(line.split()[1] for line in status if line.startswith(field)))
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def machine() -> str:
    """A line describing where the figures came from."""
    import platform

    import aiohttp

    return (
        f"{platform.python_implementation()} {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}, {os.cpu_count()} CPUs, {platform.machine()} "
        f"{platform.system()}"
    )


async def handwritten_load(
    base_url: str,
    inputs: Iterable[Props],
    keep: Callable[[int, Props, dict[str, Any]], None],
    *,
    in_flight: int = 16,
) -> tuple[collections.Counter[str], int]:
    """The least a bulk loader does, written by hand on plain aiohttp.

    100 inputs per ``batch/create`` body, ``json.dumps``, ``in_flight`` requests at
    once, ``json.loads`` of each answer, and each result matched to its input by trace
    id and handed to ``keep(index, input, result)``. No retries: it is only run
    unthrottled. Returns the batches that failed, by HTTP status, and how many inputs
    got no result.
    """
    import aiohttp

    url = f"{base_url}/crm/objects/2026-03/contacts/batch/create"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    failed: collections.Counter[str] = collections.Counter()
    missing = 0
    todo = enumerate(inputs)

    async def send(session: aiohttp.ClientSession) -> None:
        nonlocal missing
        while chunk := list(itertools.islice(todo, 100)):
            body = {
                "inputs": [
                    {"properties": p, "associations": [], "objectWriteTraceId": str(i)}
                    for i, p in chunk
                ]
            }
            async with session.post(url, data=json.dumps(body), headers=headers) as resp:
                answer = json.loads(await resp.read())
            if resp.status != 201:
                failed[f"HTTP {resp.status}"] += 1
                missing += len(chunk)
                continue
            by_trace = {str(i): p for i, p in chunk}
            for record in answer["results"]:
                trace_id = record["objectWriteTraceId"]
                keep(int(trace_id), by_trace.pop(trace_id), record)
            missing += len(by_trace)

    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(send(session) for _ in range(in_flight)))
    return failed, missing
