"""Shared plumbing for the benchmark scripts: an emulator process and result tables."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

TOKEN = "bench-token"


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


def machine() -> str:
    """A line describing where the figures came from."""
    import platform

    import aiohttp

    return (
        f"{platform.python_implementation()} {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}, {os.cpu_count()} CPUs, {platform.machine()} "
        f"{platform.system()}"
    )
