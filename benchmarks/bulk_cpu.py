"""Bulk client CPU per object, in runs paired close in time: hubcrm against the floor.

    python benchmarks/bulk_cpu.py [--pairs 60] [--objects 20000] [--collect]
                                  [--build NAME=PYTHON ...] [--speed NAME ...]

On a shared machine the CPU time of the same work can vary twofold from one second to
the next, so runs far apart cannot be compared. Here every client runs in its own
long-lived process, and the runs alternate (A B C, then C B A, ...) against one
emulator, so each round's runs are seconds apart; a ratio is the median of the
per-round ratios. Each run is ``create_many`` (or the loader) of ``--objects``
generated contacts, unthrottled, measured as the process's CPU time per object, with
the garbage collections it made.

Clients, the first being the reference of the ratios:

- each ``--build NAME=PYTHON``: hubcrm's ``create_many`` as installed for that Python
  (default: this Python, as "hubcrm"); orjson is hidden from it unless NAME is given
  to ``--speed``;
- "hand-written": the least a bulk loader does, on plain aiohttp: 100 inputs per
  ``batch/create`` body, ``json.dumps``, 16 requests in flight, ``json.loads``, each
  result matched to its input by trace id and kept beside it as a dict;
- "hand-written, typed": the same, keeping what ``create_many`` gives instead of a
  dict: a typed record and an outcome per input (hubcrm's own record reader and
  outcome, from this Python's hubcrm).

``--collect`` runs a full garbage collection before each run: each run then starts from
a clean heap. Without it, each run meets what the earlier ones left, as a process
running one bulk load after another does.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _harness import TOKEN, admin, emulator_process, handwritten_load, props

HERE = Path(__file__).parent
HAND, TYPED = "hand-written", "hand-written, typed"


# --- a worker: one client, one process ---------------------------------------------------


def _worker(mode: str, base_url: str, collect: bool) -> None:
    """Read ``N TAG`` lines; run the client over N contacts; print CPU µs/object, GCs."""
    collections = 0

    def count(phase: str, info: dict[str, Any]) -> None:
        nonlocal collections
        collections += phase == "start"

    gc.callbacks.append(count)
    run = _hubcrm_run if mode == "hubcrm" else _loader_run
    print("ready", flush=True)
    for line in sys.stdin:
        n, tag = (int(word) for word in line.split())
        if collect:
            gc.collect()
        collections = 0
        cpu0 = time.process_time()
        asyncio.run(run(base_url, n, tag, typed=mode == "typed"))
        print(f"{(time.process_time() - cpu0) / n * 1e6:.3f} {collections}", flush=True)


async def _hubcrm_run(base_url: str, n: int, tag: int, *, typed: bool) -> None:
    from hubcrm import AsyncHubCRM

    async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
        result = await crm.objects.create_many("contacts", (props(tag, i) for i in range(n)))
    assert result.ok, result.errors[:3]


async def _loader_run(base_url: str, n: int, tag: int, *, typed: bool) -> None:
    kept: list[object] = []
    if typed:
        from hubcrm._core.convert import load_object
        from hubcrm._write.outcomes import new_outcome

        def keep(index: int, raw: dict[str, str], record: dict[str, Any]) -> None:
            made = load_object(record, fresh=True)
            kept.append(new_outcome(index, raw, "created", made, None, True))
    else:

        def keep(index: int, raw: dict[str, str], record: dict[str, Any]) -> None:
            kept.append((raw, record))

    failed, missing = await handwritten_load(base_url, (props(tag, i) for i in range(n)), keep)
    assert not failed, failed
    assert not missing, missing
    assert len(kept) == n, len(kept)


# --- the driver --------------------------------------------------------------------------


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=60, help="rounds of one run per client")
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--collect", action="store_true", help="gc.collect() before each run")
    parser.add_argument("--build", action="append", default=[], metavar="NAME=PYTHON")
    parser.add_argument("--speed", action="append", default=[], metavar="NAME")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "BASE_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--speed-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if not args.speed_worker:
            sys.modules["orjson"] = None  # type: ignore[assignment]
        _worker(*args.worker, collect=args.collect)
        return

    builds = dict(b.split("=", 1) for b in args.build) or {"hubcrm": sys.executable}
    clients = [(name, py, "hubcrm") for name, py in builds.items()]
    clients += [(HAND, sys.executable, "hand"), (TYPED, sys.executable, "typed")]
    tags = itertools.count(1)
    with emulator_process() as base_url:
        workers: dict[str, subprocess.Popen[str]] = {}
        for name, python, mode in clients:
            command = [python, __file__, "--worker", mode, base_url]
            command += ["--collect"] if args.collect else []
            command += ["--speed-worker"] if name in args.speed else []
            worker = subprocess.Popen(
                command, cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", name
            workers[name] = worker

        def run(name: str) -> tuple[float, int]:
            admin(base_url, "reset", {})
            worker = workers[name]
            assert worker.stdin is not None
            assert worker.stdout is not None
            worker.stdin.write(f"{args.objects} {next(tags)}\n")
            worker.stdin.flush()
            cpu, collections = worker.stdout.readline().split()
            return float(cpu), int(collections)

        for name in workers:
            run(name)  # each client's first run: modules loaded on first use
        cpu: dict[str, list[float]] = {name: [] for name in workers}
        gcs: dict[str, list[int]] = {name: [] for name in workers}
        for round_ in range(args.pairs):
            for name in list(workers)[:: 1 if round_ % 2 == 0 else -1]:
                used, collections = run(name)
                cpu[name].append(used)
                gcs[name].append(collections)
        for worker in workers.values():
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait()

    heap = "a full collection before each run" if args.collect else "no collection between runs"
    print(
        f"{args.pairs} rounds of {args.objects:,} contacts per client, unthrottled, {heap}; "
        f"median (min-max); a ratio is the median of the per-round ratios"
    )
    print("| client | client CPU µs/object | garbage collections per run | ratio |")
    print("|---|---|---|---|")
    reference = next(iter(cpu))
    for name, used in cpu.items():
        ratios = [a / b for a, b in zip(used, cpu[reference], strict=True)]
        ratio = "reference" if name == reference else f"{_spread(ratios)}x"
        print(f"| {name} | {_spread(used)} | {statistics.median(gcs[name]):.0f} | {ratio} |")


if __name__ == "__main__":
    main()
