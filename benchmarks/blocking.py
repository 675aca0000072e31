"""What the blocking client costs, and what bounds it: workloads 1 and 2's blocking cases
with each thread's CPU time.

For each case (``async-seq``: the async client, sequential; ``sync-seq``: the blocking
client, sequential; ``sync-16``: the blocking client from 16 threads; ``async-16`` and
``async-64``: the async client, 16 or 64 in flight) it prints creates/s, the process's
CPU per create, its CPU share (process CPU over wall time: 1.0 is one core's worth), and
where that CPU went: the event loop thread's CPU per create, the calling threads' CPU
per create (each thread's own clock, ``pthread_getcpuclockid``) and the share of the
loop thread's CPU spent in the kernel (``/proc``, in clock ticks).

A client whose Python runs on one core at a time (the GIL) makes at most ``share /
cpu_us`` creates per µs: with the blocking client's calling threads and loop thread
together near one core (a share of 0.9 or more), ``sync-16``'s creates/s is about
``share * 1e6 / cpu_us``, however fast the emulator, and its ratio to ``async-64``
follows from the two CPU figures whenever ``async-64`` is bound by the emulator.

One emulator process serves every run. With ``--python`` given more than once, each run
is a fresh process of each interpreter in turn (A B A B ...), so that two builds
installed in two virtualenvs are measured in the same window against the same emulator:

    python benchmarks/blocking.py --python /old/venv/bin/python --python .venv/bin/python

``--profile`` instead runs cProfile on the loop thread during ``sync-seq`` and prints
its top functions and the Python calls the loop thread makes per create.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import json
import pstats
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from _harness import TOKEN, emulator_process, props, set_limit

CASES = ("async-seq", "sync-seq", "sync-16", "async-16", "async-64")


def _thread_cpu(ident: int) -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


def _loop_thread(crm: Any) -> tuple[int, int]:
    """The loop thread's pthread id and kernel thread id."""
    thread = crm._portal._loop_thread._thread
    return int(thread.ident), int(thread.native_id)


def _kernel_share(native_id: int) -> Callable[[], float]:
    """Start counting; the returned function gives the thread's share of CPU time spent
    in the kernel since (``/proc``, in clock ticks: coarse)."""

    def ticks() -> tuple[int, int]:
        with open(f"/proc/self/task/{native_id}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]), int(fields[12])  # utime, stime

    u0, s0 = ticks()

    def stop() -> float:
        u, s = ticks()
        return (s - s0) / max(1, (u - u0) + (s - s0))

    return stop


def _result(
    n: int, wall: float, cpu: float, loop_cpu: float, caller_cpu: float, loop_kernel: float
) -> dict[str, float]:
    return {
        "loop_kernel": loop_kernel,
        "creates_s": n / wall,
        "cpu_us": cpu / n * 1e6,
        "share": cpu / wall,
        "loop_us": loop_cpu / n * 1e6,
        "callers_us": caller_cpu / n * 1e6,
    }


def run_sync(base_url: str, inputs: Sequence[dict[str, str]], threads: int) -> dict[str, float]:
    from hubcrm import HubCRM

    with HubCRM(TOKEN, base_url=base_url) as crm:
        create = functools.partial(crm.objects.create, "contacts")
        create({**inputs[0], "email": "warm-" + inputs[0]["email"]})
        loop_id, native_id = _loop_thread(crm)
        callers: list[float] = []
        lock = threading.Lock()
        todo = iter(inputs)

        def worker() -> None:
            t0 = time.thread_time()
            for p in todo:  # an iterator shared by threads: next() holds the GIL
                create(p)
            with lock:
                callers.append(time.thread_time() - t0)

        kernel = _kernel_share(native_id)
        loop0, wall0, cpu0 = _thread_cpu(loop_id), time.perf_counter(), time.process_time()
        if threads == 1:
            worker()
        else:
            with ThreadPoolExecutor(threads) as pool:
                for f in [pool.submit(worker) for _ in range(threads)]:
                    f.result()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        loop_cpu = _thread_cpu(loop_id) - loop0
        loop_kernel = kernel()
    return _result(len(inputs), wall, cpu, loop_cpu, sum(callers), loop_kernel)


def run_async(base_url: str, inputs: Sequence[dict[str, str]], in_flight: int) -> dict[str, float]:
    from hubcrm import AsyncHubCRM

    async def main() -> dict[str, float]:
        async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
            create = functools.partial(crm.objects.create, "contacts")
            await create({**inputs[0], "email": "warm-" + inputs[0]["email"]})
            todo = iter(inputs)

            async def worker() -> None:
                for p in todo:
                    await create(p)

            kernel = _kernel_share(threading.get_native_id())
            loop0, wall0, cpu0 = time.thread_time(), time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(in_flight)))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            loop_cpu = time.thread_time() - loop0
            loop_kernel = kernel()
        return _result(len(inputs), wall, cpu, loop_cpu, 0.0, loop_kernel)

    return asyncio.run(main())


def run_case(base_url: str, case: str, n: int, run: int) -> dict[str, float]:
    """One case in this process, on ``n`` contacts never created before."""
    set_limit(base_url, None)
    inputs = [props(run, i) for i in range(n)]
    if case.startswith("sync-"):
        return run_sync(base_url, inputs, 1 if case == "sync-seq" else 16)
    return run_async(base_url, inputs, {"async-seq": 1, "async-16": 16}.get(case, 64))


def profile_loop(base_url: str, n: int) -> None:
    """cProfile on the loop thread while one thread makes ``n`` blocking creates."""
    from hubcrm import HubCRM

    set_limit(base_url, None)
    inputs = [props(999_999, i) for i in range(n)]
    profiler = cProfile.Profile()
    with HubCRM(TOKEN, base_url=base_url) as crm:
        create = functools.partial(crm.objects.create, "contacts")
        create({"email": "warm-profile@example.com"})

        async def enable() -> None:  # runs on the loop thread: profiles that thread
            profiler.enable()

        async def disable() -> None:
            profiler.disable()

        crm._portal.call(enable)
        for p in inputs:
            create(p)
        crm._portal.call(disable)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    calls = sum(v[1] for v in stats.stats.values())  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue())
    print(f"loop thread: {calls / n:.0f} Python calls per create")


def _fraction(v: float) -> str:
    return f"{v:.2f}"


def _drive(
    pythons: Sequence[str], base_url: str, cases: Sequence[str], n: int, rounds: int
) -> None:
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    run = int(time.time())  # unique emails across invocations against one emulator
    for r in range(rounds):
        for python in pythons:
            for case in cases:
                run += 1
                cmd = [python, __file__, "--base-url", base_url, "--case", case]
                cmd += ["--creates", str(n), "--run", str(run)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                results.setdefault((python, case), []).append(json.loads(out))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    keys = ("creates_s", "cpu_us", "share", "loop_us", "callers_us", "loop_kernel")
    print("| python | case | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 2) + "|")
    for (python, case), samples in results.items():
        cells = []
        for k in keys:
            values = [s[k] for s in samples]
            fmt = _fraction if k in ("share", "loop_kernel") else "{:.0f}".format
            low, high = fmt(min(values)), fmt(max(values))
            cells.append(f"{fmt(statistics.median(values))} ({low}-{high})")
        print(f"| {python} | {case} | " + " | ".join(cells) + " |")
    print()
    for python in pythons:  # the ratios of each round, then their median
        for num, den in (("sync-seq", "async-seq"), ("sync-16", "async-64")):
            if (python, num) in results and (python, den) in results:
                ratios = [
                    a["creates_s"] / b["creates_s"]
                    for a, b in zip(results[python, num], results[python, den], strict=True)
                ]
                print(
                    f"{python}: {num}/{den} creates/s {statistics.median(ratios):.2f}x "
                    f"({min(ratios):.2f}-{max(ratios):.2f})"
                )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="append", default=[], help="interpreter to run")
    parser.add_argument("--case", action="append", choices=CASES, default=[])
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base-url", help="run one case in this process against it")
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="profile the loop thread")
    args = parser.parse_args(argv)
    cases = args.case or list(CASES)
    if args.base_url and not args.profile:
        print(json.dumps(run_case(args.base_url, cases[0], args.creates, args.run)))
        return
    with emulator_process() as base_url:
        if args.profile:
            profile_loop(base_url, args.creates)
        else:
            _drive(args.python or [sys.executable], base_url, cases, args.creates, args.rounds)


if __name__ == "__main__":
    main()
