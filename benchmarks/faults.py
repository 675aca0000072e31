"""Bulk creation under faults at HubSpot's real window: workload 8 of the suite.

    python benchmarks/faults.py [--deals 30000] [--window 10] [--limit 190] [--seed 0]
                                [--repeats 1] [--json PATH]

Starts one emulator process (``python -m hubcrm.testing``) on 127.0.0.1 and, per run:

1. untimed, with no rate limit and no fault: creates the unique-value deal property
   ``import_key`` (once per emulator) and one company per 100 deals;
2. sets the emulator's rolling window to ``--limit`` requests per ``--window`` seconds
   (HubSpot's Professional 190 per 10 s by default; ``--window 1`` compresses it for a
   quick run) and arms, on **every** request the emulator serves (creates, reads,
   resends alike), HubSpot's usual fault mix: 503 before processing (5%), 502 after
   the commit (2%), connection dropped after the commit (1%), drawn in that order from
   the emulator's seeded generator;
3. timed: ``crm.objects.create_many("deals", inputs, id_property="import_key")``, 100 per
   batch, each deal associated with its company (type 341, HubSpot's unlabeled
   deal-to-company), by a client whose limiter is set to the same window.

It reports the elapsed time, objects/s, the requests the emulator served in the timed
part (429s included), the window use (the fastest time a rolling window allows for that
many requests, over the time taken), the share answered 429, the extra requests per
injected fault, and from the emulator's store: inputs with no record (lost), key values
with more than one record (duplicated), records without their company association, and
the outcomes the store contradicts. The script runs under any hubcrm with the public
API and ``hubcrm.testing``: run it from another checkout's virtualenv to compare
engines (the emulator process is started with the same interpreter).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import exactly_once
from _harness import TOKEN, admin, emulator_process, machine, set_limit
from exactly_once import DEAL_TO_COMPANY, FAULTS, KEY, Inputs, deal_rows, setup

import hubcrm
from hubcrm import AsyncHubCRM, BulkResult, RateLimit

LIMIT, WINDOW = 190, 10.0  # HubSpot Professional's rolling window, not compressed
BATCH = 100
DEALS_PER_COMPANY = 100
KINDS = tuple(str(f["kind"]) for f in FAULTS)  # the fault mix's kinds, in drawing order


@attrs.frozen
class Audit:
    """The store after a run, against the inputs and what the client reported."""

    lost: int  # inputs with no record carrying their key
    duplicated: int  # key values with more than one record
    missing_association: int  # records of the run without their company association
    contradicted: int  # outcomes the store contradicts, and inputs without an outcome
    statuses: Mapping[str, int]  # the reported outcomes, by status


@attrs.frozen
class Run:
    """One timed run, as the emulator counted it and its store shows it."""

    n: int
    limit: int
    window: float
    elapsed: float
    client_cpu: float  # this process's CPU seconds during the timed part
    requests: int  # served during the timed part, 429s included
    rate_limited: int
    requests_by_operation: Mapping[str, int]
    faults: Mapping[str, int]  # injected during the timed part, by kind
    faults_by_operation: Mapping[str, Mapping[str, int]]
    audit: Audit
    client: Mapping[str, Any]  # crm.stats: read_backs and retries, where this hubcrm has them
    load: tuple[tuple[float, ...], tuple[float, ...]]  # load averages before and after

    @property
    def batches(self) -> int:
        """The requests the inputs need without any fault: ceil(n / 100)."""
        return -(-self.n // BATCH)

    @property
    def objects_per_s(self) -> float:
        return self.n / self.elapsed

    @property
    def window_use(self) -> float:
        """The fastest time a rolling window allows for the requests, over the time
        taken: the first ``limit`` go at once, each further ``limit`` a window later."""
        return self.window * ((self.requests - 1) // self.limit) / self.elapsed

    @property
    def share_429(self) -> float:
        return self.rate_limited / max(self.requests, 1)

    @property
    def injected(self) -> int:
        return sum(self.faults.values())

    @property
    def extra_per_fault(self) -> float:
        """Requests beyond the batches, per injected fault (on any request)."""
        return (self.requests - self.batches) / max(self.injected, 1)

    @property
    def unknown(self) -> int:
        return self.audit.statuses.get("unknown", 0)

    @property
    def clean(self) -> bool:
        """Every deal exactly once with its company, none unknown, no outcome contradicted."""
        a = self.audit
        return not (
            a.lost or a.duplicated or self.unknown or a.missing_association or a.contradicted
        )


def audit(inputs: Inputs, result: BulkResult, stored: Sequence[Mapping[str, Any]]) -> Audit:
    """Check every input and its reported outcome against the stored deals.

    A ``created`` (or ``updated``) outcome matches when exactly one record has the
    input's key, it is the outcome's record, and it has the input's values; ``failed``
    and ``not_attempted`` match when no record has the key. ``unknown`` claims nothing
    (it is counted apart).
    """
    by_key: dict[str, list[Mapping[str, Any]]] = collections.defaultdict(list)
    for record in stored:
        key = record["properties"].get(KEY)
        if key:
            by_key[str(key).lower()].append(record)
    outcomes = {o.index: o for o in result.outcomes}
    lost = missing = contradicted = 0
    for index, row in enumerate(inputs):
        props: Mapping[str, str] = row["properties"]
        records = by_key.get(props[KEY].lower(), [])
        lost += not records
        missing += sum(not _associated(r, row["company"]) for r in records)
        outcome = outcomes.get(index)
        if outcome is None:
            contradicted += 1
        elif outcome.object is not None:
            only = records[0] if len(records) == 1 else None
            contradicted += not (
                only is not None
                and only["id"] == outcome.object.id
                and all(only["properties"].get(k) == v for k, v in props.items())
            )
        elif outcome.status in ("failed", "not_attempted"):
            contradicted += bool(records)
    return Audit(
        lost=lost,
        duplicated=sum(len(r) > 1 for r in by_key.values()),
        missing_association=missing,
        contradicted=contradicted,
        statuses=dict(collections.Counter(o.status for o in result.outcomes)),
    )


def _associated(record: Mapping[str, Any], company: str) -> bool:
    return any(
        a["toObjectId"] == company
        and any(t["associationTypeId"] == DEAL_TO_COMPANY for t in a["types"])
        for a in record.get("associations", ())
    )


async def _create(
    base_url: str, inputs: Inputs, limit: RateLimit
) -> tuple[BulkResult, float, float, dict[str, Any]]:
    rows = deal_rows(inputs)
    async with AsyncHubCRM(TOKEN, base_url=base_url, rate_limit=limit) as crm:
        wall, cpu = time.perf_counter(), time.process_time()
        result = await crm.objects.create_many("deals", rows, id_property=KEY)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        stats = crm.stats
    client = {
        name: dict(value) if isinstance(value, Mapping) else value
        for name in ("read_backs", "retries", "requests", "rate_limited")
        if (value := getattr(stats, name, None)) is not None
    }
    return result, wall, cpu, client


def _delta(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    keys = set(after) | set(before)
    return {
        k: after.get(k, 0) - before.get(k, 0)
        for k in sorted(keys)
        if after.get(k, 0) != before.get(k, 0)
    }


def run_once(base_url: str, n: int, limit: int = LIMIT, window: float = WINDOW) -> Run:
    """Empty the emulator, prepare the companies, and time one faulted ``create_many``."""
    set_limit(base_url, None)  # set-up runs unthrottled: it is not measured
    run = next(exactly_once._runs)
    inputs = asyncio.run(setup(base_url, "deals", n, run, -(-n // DEALS_PER_COMPANY)))
    admin(base_url, "rate-limit", {"rate_limit": [limit, window]})  # also empties the window
    admin(base_url, "faults", FAULTS)
    before = admin(base_url, "stats")
    load_before = os.getloadavg()
    result, elapsed, cpu, client = asyncio.run(_create(base_url, inputs, RateLimit(limit, window)))
    load_after = os.getloadavg()
    admin(base_url, "faults", {"clear": True})
    after = admin(base_url, "stats")
    stored = admin(base_url, "objects/deals")["results"]
    return Run(
        n=n,
        limit=limit,
        window=window,
        elapsed=elapsed,
        client_cpu=cpu,
        requests=after["requests"] - before["requests"],
        rate_limited=sum(after["rate_limited"].values()) - sum(before["rate_limited"].values()),
        requests_by_operation=_delta(
            after["requests_by_operation"], before["requests_by_operation"]
        ),
        faults=_delta(after["faults"], before["faults"]),
        faults_by_operation={
            op: _delta(kinds, before["faults_by_operation"].get(op, {}))
            for op, kinds in after["faults_by_operation"].items()
            if _delta(kinds, before["faults_by_operation"].get(op, {}))
        },
        audit=audit(inputs, result, stored),
        client=client,
        load=(tuple(load_before), tuple(load_after)),
    )


HEADER = [
    *("deals", "window", "elapsed s", "objects/s", "requests", "window use", "429s %"),
    *("faults injected", "extra requests per fault", "lost", "duplicated", "unknown"),
    *("missing association", "outcomes contradicted", "read-backs", "load before/after"),
]


def row(r: Run) -> list[str]:
    """One table row of ``HEADER``."""
    return [
        f"{r.n:,}",
        f"{r.limit} per {r.window:g} s",
        f"{r.elapsed:.1f}",
        f"{r.objects_per_s:,.0f}",
        f"{r.requests:,}",
        f"{r.window_use:.2f}",
        f"{100 * r.share_429:.1f}",
        f"{r.injected:,}",
        f"{r.extra_per_fault:.2f}",
        f"{r.audit.lost:,}",
        f"{r.audit.duplicated:,}",
        f"{r.unknown:,}",
        f"{r.audit.missing_association:,}",
        f"{r.audit.contradicted:,}",
        f"{r.client['read_backs']:,}" if "read_backs" in r.client else "n/a",
        f"{r.load[0][0]:.2f} / {r.load[1][0]:.2f}",
    ]


def details(r: Run) -> list[str]:
    """What the row leaves out: the counts behind it, one line each."""
    return [
        f"- requests by operation: {json.dumps(dict(r.requests_by_operation))}",
        f"- faults by kind: {json.dumps(dict(r.faults))}; by operation: "
        f"{json.dumps({k: dict(v) for k, v in r.faults_by_operation.items()})}",
        f"- outcomes reported: {json.dumps(dict(r.audit.statuses))}",
        f"- client stats: {json.dumps(dict(r.client))}",
        f"- client CPU: {r.client_cpu:.1f} s; load averages (1, 5, 15 min) before "
        f"{_load(r.load[0])}, after {_load(r.load[1])}",
    ]


def _load(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deals", type=int, default=30_000, help="deals per run")
    parser.add_argument("--limit", type=int, default=LIMIT, help="requests per window")
    parser.add_argument(
        "--window", type=float, default=WINDOW, help="window in seconds (10: HubSpot's)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the emulator's fault seed")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument(
        "--freeze-gc",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="pass --freeze-gc to the emulator: its full collections stay short as its "
        "store grows (0: off, the default)",
    )
    args = parser.parse_args(argv)
    print(f"{machine()}; hubcrm {hubcrm.__version__} from {Path(hubcrm.__file__).parent}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)
    runs = []
    freeze = ["--freeze-gc", str(args.freeze_gc)] if args.freeze_gc > 0 else []
    with emulator_process("--seed", str(args.seed), *freeze) as base_url:
        for _ in range(args.repeats):
            runs.append(run_once(base_url, args.deals, args.limit, args.window))
            print(f"  run {len(runs)}: {runs[-1].elapsed:.1f} s", file=sys.stderr, flush=True)
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for r in runs:
        print("| " + " | ".join(row(r)) + " |")
    for number, r in enumerate(runs, 1):
        print(f"\nrun {number}:", *details(r), sep="\n")
    if args.json:
        args.json.write_text(json.dumps([attrs.asdict(r) for r in runs], indent=1) + "\n")


if __name__ == "__main__":
    main()
