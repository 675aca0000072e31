"""What a check before loading finds, and what it costs: ``objects.validate`` against a
plain import of the same file.

A 10,000-row deals CSV with 1% of its rows carrying each of six planted mistakes (a
stage of another pipeline, a stage given by its label, an unknown owner, an option not
in a dropdown, a misspelled property, a number HubSpot cannot read): 600 bad rows.
``validate`` checks the rows (flagged, requests, seconds); then the same rows are
created, unchecked, in a fresh emulator, and the rows it refuses are counted. The
emulator runs in this process (``rate_limit=None``): the seconds are this machine's,
not a portal's.

Run: ``python benchmarks/validate.py [ROWS]``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import time

from hubcrm import AsyncHubCRM
from hubcrm.testing import Emulator, PropertyDef, StageDef

OWNER = "100000001"
HEADER = ["dealname", "pipeline", "dealstage", "hubspot_owner_id", "tier", "amount", "tierr"]
#: The planted mistakes: name -> the cells a bad row gets (over a clean row's).
MISTAKES: dict[str, dict[str, str]] = {
    "stage of another pipeline": {"dealstage": "s1"},
    "stage given by its label": {"dealstage": "Closed Won"},
    "unknown owner": {"hubspot_owner_id": "999999"},
    "option not in the dropdown": {"tier": "platinum"},
    "misspelled property": {"tierr": "gold"},
    "number HubSpot cannot read": {"amount": "12x"},
}


def deals_csv(rows: int) -> str:
    """The file: every 100 rows, one row of each planted mistake."""
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER)
    writer.writeheader()
    kinds = list(MISTAKES.values())
    for i in range(rows):
        row = dict.fromkeys(HEADER, "")
        row.update(
            dealname=f"Deal {i}",
            pipeline="default",
            dealstage="closedwon",
            hubspot_owner_id=OWNER,
            tier="gold",
            amount=str(i),
        )
        slot = i % 100
        if slot < len(kinds):
            row.update(kinds[slot])
        writer.writerow(row)
    return out.getvalue()


def read_rows(text: str) -> list[dict[str, str]]:
    """The rows as ``hubcrm import`` reads a CSV: an empty cell sets nothing."""
    return [{k: v for k, v in row.items() if v} for row in csv.DictReader(io.StringIO(text))]


def set_up(emu: Emulator) -> None:
    stages = [StageDef(id="s1", label="Signed"), StageDef(id="s2", label="Go")]
    emu.add_pipeline("deals", "p2", "Partners", stages)
    emu.add_owner("owner@example.com", "Owner", "One", owner_id=OWNER)
    tier = PropertyDef(name="tier", type="enumeration", options=("gold", "silver", "bronze"))
    emu.add_property("deals", tier)


async def main(rows: int) -> None:
    inputs = read_rows(deals_csv(rows))
    planted = sum(1 for i in range(rows) if i % 100 < len(MISTAKES))
    async with Emulator(rate_limit=None) as emu:
        set_up(emu)
        async with AsyncHubCRM(emu.token, base_url=emu.base_url) as crm:
            start = time.perf_counter()
            report = await crm.objects.validate("deals", inputs)
            check_s = time.perf_counter() - start
            codes: dict[str, int] = {}
            for problem in report.problems:
                codes[problem.code] = codes.get(problem.code, 0) + 1
    async with Emulator(rate_limit=None) as emu:
        set_up(emu)
        async with AsyncHubCRM(emu.token, base_url=emu.base_url) as crm:
            start = time.perf_counter()
            result = await crm.objects.create_many("deals", inputs)
            load_s = time.perf_counter() - start
            load_requests = crm.stats.requests
            refused = {o.index for o in result.outcomes if o.status != "created"}
    print(f"{rows:,} deals, {planted:,} with a planted mistake ({len(MISTAKES)} kinds, 1% each)")
    print()
    print("| run | rows flagged or refused | requests | seconds |")
    print("|---|---:|---:|---:|")
    print(f"| `validate` | {len(report.refused):,} | {report.requests} | {check_s:.2f} |")
    print(f"| plain `create_many` | {len(refused):,} | {load_requests:,} | {load_s:.2f} |")
    print()
    print("codes found by validate: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())))
    missed = refused - report.refused
    extra = report.refused - refused
    print(f"refused by the load but not flagged: {len(missed)}; flagged but created: {len(extra)}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
