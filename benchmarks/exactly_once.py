"""Exactly-once bulk creation under faults (issue 13): workload 6 of the suite.

    python benchmarks/exactly_once.py [--records 20000] [--repeats 1]

Starts one emulator process at 190 requests per 1 s (HubSpot's 190 per 10 s, scaled)
and arms, for the object type being created, HubSpot's usual fault mix: 5% of requests
answered 503 before anything is processed, 2% answered 502 after the write committed,
1% dropped without an answer after the write committed. Then, per client:

- hubcrm ``create_many("contacts", ...)`` with the client's defaults (contacts are read
  back by email after an ambiguous batch);
- hubcrm ``create_many("deals", ..., id_property="import_key")``, each deal associated
  with a company, the unique property created once through ``crm.properties.create``;
- hubspot-sdk's ``batch.create`` for the same contacts and the same deals, chunks of 100
  gathered at once, with its own retries (when hubspot-sdk is installed; it is never a
  hubcrm dependency: see benchmarks/bulk.py for the throwaway virtualenv).

Each row reports what the emulator stored (stored, lost, duplicated records), what the
client reported as unknown or failed, the use of the permitted rate, and what recovery
cost: the ``batch/read`` requests hubcrm sent per ambiguous batch.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import _sdks
import attrs
from _harness import TOKEN, admin, emulator_process, machine, set_limit, spread

from hubcrm import Association, AssociationType, AsyncHubCRM, ConflictError, ObjectInput

LIMIT, WINDOW = 190, 1.0
COMPANIES = 200
KEY = "import_key"
FAULTS = [
    {"kind": "error_before", "status": 503, "probability": 0.05},
    {"kind": "error_after", "status": 502, "probability": 0.02},
    {"kind": "disconnect_after", "probability": 0.01},
]
DEAL_TO_COMPANY = int(AssociationType.DEAL_TO_COMPANY)

_runs = itertools.count()


@attrs.frozen
class Reported:
    """What the client said about its inputs."""

    unknown: int  # hubcrm: OutcomeUnknownError; hubspot-sdk: inputs of batches that raised
    failed: int
    read_backs: int | None  # hubcrm's stats.read_backs; None for hubspot-sdk


@attrs.frozen
class Outcome:
    """One run of one case, as the client reported it and the emulator saw it."""

    n: int
    elapsed: float
    requests: int
    rate_limited: int
    reads: int  # batch/read requests the emulator served
    faults: int  # faults injected into batch creates
    stored: int
    lost: int
    duplicated: int
    reported: Reported

    @property
    def use(self) -> float:
        return (self.requests - self.rate_limited) / self.elapsed / (LIMIT / WINDOW)

    @property
    def reads_per_fault(self) -> float:
        return self.reads / self.faults if self.faults else 0.0


Inputs = list[dict[str, Any]]
Driver = Callable[[str, str, Inputs], Awaitable[Reported]]


# --- the inputs -----------------------------------------------------------------------


def contacts(run: int, n: int) -> Inputs:
    return [
        {"properties": {"email": f"r{run}-x{i}@example.com", "firstname": "Ada"}} for i in range(n)
    ]


def deals(run: int, n: int, companies: list[str]) -> Inputs:
    return [
        {
            "properties": {
                "dealname": f"r{run}-deal-{i}",
                "dealstage": "appointmentscheduled",
                "pipeline": "default",
                KEY: f"run{run}.csv:{i + 2}",  # a deterministic key: file and row
            },
            "company": companies[i % len(companies)],
        }
        for i in range(n)
    ]


def deal_rows(inputs: Inputs) -> list[ObjectInput]:
    """hubcrm's inputs for ``deals(...)``: each deal associated with its company."""
    return [
        ObjectInput(
            i["properties"],
            associations=[Association(i["company"], AssociationType.DEAL_TO_COMPANY)],
        )
        for i in inputs
    ]


def _label(object_type: str) -> str:
    return "email" if object_type == "contacts" else "dealname"


# --- the clients ----------------------------------------------------------------------


async def drive_hubcrm(base_url: str, object_type: str, inputs: Inputs) -> Reported:
    async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
        if object_type == "contacts":
            rows: list[ObjectInput] = [ObjectInput(i["properties"]) for i in inputs]
            result = await crm.objects.create_many("contacts", rows)
        else:
            result = await crm.objects.create_many("deals", deal_rows(inputs), id_property=KEY)
        return Reported(result.unknown, result.failed, crm.stats.read_backs)


async def drive_sdk(base_url: str, object_type: str, inputs: Inputs) -> Reported:
    rows: list[dict[str, Any]] = []
    for i in inputs:
        associations = []
        if "company" in i:
            associations = [
                {
                    "to": {"id": i["company"]},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": DEAL_TO_COMPANY,
                        }
                    ],
                }
            ]
        rows.append({"properties": i["properties"], "associations": associations})
    chunks = [rows[k : k + 100] for k in range(0, len(rows), 100)]
    async with _sdks.sdk_async(base_url, TOKEN, "aiohttp") as client:
        create = getattr(client.crm.objects, object_type).batch.create
        results = await asyncio.gather(
            *(create(inputs=chunk) for chunk in chunks), return_exceptions=True
        )
    failed = sum(len(c) for c, r in zip(chunks, results, strict=True) if isinstance(r, Exception))
    return Reported(unknown=failed, failed=0, read_backs=None)


# --- one run ------------------------------------------------------------------------------


async def setup(
    base_url: str, object_type: str, n: int, run: int, companies: int = COMPANIES
) -> Inputs:
    """The inputs of one run, and what they need: the key property, ``companies``
    companies (deal ``i`` goes with company ``i % companies``)."""
    if object_type == "contacts":
        return contacts(run, n)
    async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
        with contextlib.suppress(ConflictError):  # made by an earlier run: kept by resets
            await crm.properties.create("deals", KEY, label="Import key", unique=True)
        made = await crm.objects.create_many(
            "companies", [{"name": f"r{run}-co-{i}"} for i in range(companies)]
        )
    ids = [r.id for r in made.results if r is not None]
    assert len(ids) == companies, made.errors[:3]
    return deals(run, n, ids)


def run_once(base_url: str, driver: Driver, object_type: str, n: int) -> Outcome:
    set_limit(base_url, (LIMIT, WINDOW))
    run = next(_runs)
    inputs = asyncio.run(setup(base_url, object_type, n, run))
    admin(base_url, "faults", [{**f, "object_type": object_type} for f in FAULTS])
    before = admin(base_url, "stats")
    started = time.perf_counter()
    reported = asyncio.run(driver(base_url, object_type, inputs))
    elapsed = time.perf_counter() - started
    admin(base_url, "faults", {"clear": True})
    stats = admin(base_url, "stats")
    log = admin(base_url, "faults")["log"]
    label = _label(object_type)
    stored = collections.Counter(
        str(o["properties"].get(label) or "")
        for o in admin(base_url, f"objects/{object_type}")["results"]
    )
    intended = [str(i["properties"][label]) for i in inputs]
    ops = stats["requests_by_operation"]
    before_ops = before["requests_by_operation"]
    return Outcome(
        n=n,
        elapsed=elapsed,
        requests=stats["requests"] - before["requests"],
        rate_limited=sum(stats["rate_limited"].values()) - sum(before["rate_limited"].values()),
        reads=ops.get("batch_read", 0) - before_ops.get("batch_read", 0),
        faults=sum(1 for r in log if r["operation"] == "batch_create"),
        stored=sum(1 for k in intended if stored[k] > 0),
        lost=sum(1 for k in intended if stored[k] == 0),
        duplicated=sum(stored[k] - 1 for k in intended if stored[k] > 1),
        reported=reported,
    )


CASES: list[tuple[str, str, Driver, bool]] = [
    ("hubcrm create_many, contacts, defaults", "contacts", drive_hubcrm, False),
    (f"hubcrm create_many, deals + company, id_property={KEY}", "deals", drive_hubcrm, False),
    ("hubspot-sdk batch.create, contacts", "contacts", drive_sdk, True),
    ("hubspot-sdk batch.create, deals + company", "deals", drive_sdk, True),
]

HEADER = [
    *("client", "records", "stored", "lost", "duplicated", "unknown", "failed"),
    *("elapsed s", "use of permitted rate", "requests", "ambiguous batches"),
    *("batch/read requests", "reads per fault"),
]


def measure(base_url: str, n: int, repeats: int) -> dict[str, list[Outcome]]:
    """Every case ``repeats`` times, interleaved; the SDK's only when it is installed."""
    sdk = _sdks.version(_sdks.SDK) is not None
    cases = [c for c in CASES if sdk or not c[3]]
    outcomes: dict[str, list[Outcome]] = {name: [] for name, *_ in cases}
    for _ in range(repeats):
        for name, object_type, driver, _is_sdk in cases:
            outcome = run_once(base_url, driver, object_type, n)
            outcomes[name].append(outcome)
            print(
                f"  {name}: {outcome.elapsed:.1f} s, stored {outcome.stored}, "
                f"lost {outcome.lost}, duplicated {outcome.duplicated}, "
                f"unknown {outcome.reported.unknown}",
                file=sys.stderr,
            )
    return outcomes


def rows(outcomes: dict[str, list[Outcome]]) -> list[list[str]]:
    table = []
    for name, outs in outcomes.items():
        table.append(
            [
                name,
                f"{outs[0].n:,}",
                spread([o.stored for o in outs], ",.0f"),
                spread([o.lost for o in outs], ",.0f"),
                spread([o.duplicated for o in outs], ",.0f"),
                spread([o.reported.unknown for o in outs], ",.0f"),
                spread([o.reported.failed for o in outs], ",.0f"),
                spread([o.elapsed for o in outs], ".1f"),
                spread([o.use for o in outs], ".2f"),
                spread([o.requests for o in outs], ",.0f"),
                spread([o.faults for o in outs], ",.0f"),
                spread([o.reads for o in outs], ",.0f"),
                spread([o.reads_per_fault for o in outs], ".2f")
                if outs[0].reported.read_backs is not None
                else "n/a",
            ]
        )
    return table


def goals(outcomes: dict[str, list[Outcome]]) -> list[tuple[str, str, bool]]:
    """Issue 13's done criteria, checked on every hubcrm run."""
    found = []
    for name, outs in outcomes.items():
        if not name.startswith("hubcrm"):
            continue
        worst = max(o.lost + o.duplicated + o.reported.unknown for o in outs)
        found.append(
            (
                f"{name}: every record exactly once, none unknown",
                f"{worst} lost + duplicated + unknown in the worst run",
                worst == 0,
            )
        )
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    with emulator_process() as base_url:
        outcomes = measure(base_url, args.records, args.repeats)
    print(f"{machine()}; {args.records:,} records per run, {LIMIT} requests per {WINDOW:g} s")
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for row in rows(outcomes):
        print("| " + " | ".join(row) + " |")
    for goal, measured, met in goals(outcomes):
        print(f"- {goal}: {measured}: {'met' if met else 'MISSED'}")
    if _sdks.version(_sdks.SDK) is None:
        print("- hubspot-sdk not installed: its rows are left out")


if __name__ == "__main__":
    main()
