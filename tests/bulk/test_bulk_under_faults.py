"""The fault workload of ``benchmarks/faults.py`` at CI size: counts, never times.

The same code as the benchmark (workload 8 of the suite), with 2,000 deals and the
window compressed: one emulator process, the fault mix on every request of the timed
part, and the store audited afterwards. The seed is fixed so that each kind of fault
strikes within the first 20 requests, whatever order the engine sends them in (the
emulator draws one fault per request from its seeded generator, in arrival order).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

from hubcrm import BulkOutcome, BulkResult, CrmObject
from hubcrm._write.outcomes import OutcomeStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import exactly_once
import faults as workload
from _harness import emulator_process

N = 2_000
SEED = 170  # faults on the 5th, 8th, 9th, 12th, 19th, 24th... request: each kind by the 9th


@pytest.mark.parametrize(
    ("limit", "window"),
    [
        (190, 1.0),  # HubSpot's 190 per 10 s, compressed: the window is never reached
        (10, 0.1),  # a window the run must wait on: reads and resends share it
    ],
)
def test_bulk_creation_under_faults_is_exactly_once(limit: int, window: float) -> None:
    with emulator_process("--seed", str(SEED)) as base_url:
        run = workload.run_once(base_url, N, limit, window)

    # every kind of fault struck, on creates and on the requests that settle them
    assert all(run.faults.get(kind, 0) >= 1 for kind in workload.KINDS), run.faults
    assert run.audit.statuses == {"created": N}, run.audit
    assert (run.audit.lost, run.audit.duplicated, run.unknown) == (0, 0, 0), run.audit
    assert run.audit.missing_association == 0, run.audit
    assert run.audit.contradicted == 0, run.audit
    assert run.requests > run.batches
    assert 1.0 <= run.extra_per_fault < float("inf"), (run.requests, run.faults)


def test_the_audit_counts_what_the_store_contradicts() -> None:
    """Each measure of the audit, on a store made up to break it once."""
    now = datetime.now(timezone.utc)
    inputs = exactly_once.deals(0, 6, ["c1"])

    def record(id_: str, i: int, company: str | None = "c1", **changed: str) -> dict[str, Any]:
        links = [] if company is None else [_link(company, exactly_once.DEAL_TO_COMPANY)]
        properties = {**inputs[i]["properties"], **changed}
        return {"id": id_, "properties": properties, "associations": links}

    stored = [
        record("10", 0),  # created as reported
        record("11", 1, dealname="another name"),  # not the input's values
        record("12", 2),  # the outcome's record, and a second one with its key
        record("13", 2),
        # input 3: failed, and nothing stored (lost)
        record("14", 4, company=None),  # unknown: claims nothing; but no association
        {**record("15", 5), "associations": [_link("c1", 5)]},  # another type of link
    ]

    def made(i: int, id_: str) -> BulkOutcome:
        obj = CrmObject(id=id_, created_at=now, updated_at=now)
        return BulkOutcome(i, inputs[i]["properties"], "created", obj)

    def without(i: int, status: OutcomeStatus) -> BulkOutcome:
        return BulkOutcome(i, inputs[i]["properties"], status, error=ValueError(status))

    outcomes = [
        made(0, "10"),
        made(1, "11"),
        made(2, "12"),
        without(3, "failed"),
        without(4, "unknown"),
        without(5, "not_attempted"),
    ]
    audit = workload.audit(inputs, BulkResult(outcomes=outcomes), stored)

    assert (audit.lost, audit.duplicated) == (1, 1)
    assert audit.missing_association == 2  # inputs 4 and 5
    assert audit.contradicted == 3  # inputs 1, 2 and 5
    assert audit.statuses == {"created": 3, "failed": 1, "unknown": 1, "not_attempted": 1}
    # an input without an outcome is contradicted too
    unaccounted = BulkResult(outcomes=[o for o in outcomes if o.index != 3])
    assert workload.audit(inputs, unaccounted, stored).contradicted == 4


def test_the_figures_of_a_run() -> None:
    audit = workload.Audit(lost=0, duplicated=0, missing_association=0, contradicted=0, statuses={})
    run = workload.Run(
        n=30_001,  # 301 batches
        limit=190,
        window=10.0,
        elapsed=25.0,
        client_cpu=1.0,
        requests=400,  # the first 190 at once, 190 more 10 s later, the last 20 s later
        rate_limited=4,
        requests_by_operation={},
        faults={"error_before": 40, "error_after": 9},
        faults_by_operation={},
        audit=audit,
        client={},
        load=((0.0,), (0.0,)),
    )
    assert run.batches == 301
    assert run.window_use == 10.0 * 2 / 25.0
    assert run.share_429 == 0.01
    assert run.extra_per_fault == 99 / 49
    assert run.clean
    assert not attrs.evolve(run, audit=attrs.evolve(audit, contradicted=1)).clean
    # no fault: the extra requests are not divided by zero
    assert attrs.evolve(run, faults={}).extra_per_fault == 99


def _link(company: str, type_id: int) -> dict[str, Any]:
    return {
        "toObjectTypeId": "0-2",
        "toObjectId": company,
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }
