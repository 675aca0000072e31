"""The usual batch, read without a verdict per input: an answer that gives every input
its outcome in one request is kept as the executor read it, and a batch whose inputs
were all created is delivered in one pass. Answers that are not quite the usual one
(a result missing, a foreign trace id, an error entry beside results, results out of
order) must still give each input its own outcome, in input order."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from hubcrm import AsyncHubCRM, BulkOutcome, BulkProgress, ObjectInput, OutcomeUnknownError
from hubcrm._write import bulk
from hubcrm._write.engine import Engine
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


def _record(i: int, trace_id: str) -> dict[str, Any]:
    return {
        "id": str(100 + i),
        "properties": {"name": f"c{i}"},
        "createdAt": "2026-03-01T10:00:00Z",
        "updatedAt": "2026-03-01T10:00:00Z",
        "archived": False,
        "objectWriteTraceId": trace_id,
    }


def _inputs(n: int) -> list[ObjectInput]:
    return [ObjectInput({"name": f"c{i}"}, object_write_trace_id=f"mine-{i}") for i in range(n)]


def _error_entry(trace_id: str) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": "Property values were not valid",
        "context": {"objectWriteTraceId": [trace_id]},
    }


async def test_results_out_of_order_go_to_their_own_inputs(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    results = [_record(i, f"mine-{i}") for i in reversed(range(4))]
    hubspot_emulator.faults.answer_after({"results": results}, operation="batch_create")
    result = await crm.objects.create_many("companies", _inputs(4))
    assert [o.status for o in result.outcomes] == ["created"] * 4
    assert [o.object.id if o.object else None for o in result.outcomes] == [
        "100",
        "101",
        "102",
        "103",
    ]
    assert [o.new for o in result.outcomes] == [True] * 4
    assert all(o.error is None and not o.read_back for o in result.outcomes)


async def test_a_missing_result_leaves_its_input_unknown(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    results = [_record(0, "mine-0"), _record(2, "mine-2")]
    hubspot_emulator.faults.answer_after({"results": results}, operation="batch_create")
    result = await crm.objects.create_many("companies", _inputs(3))
    assert [o.status for o in result.outcomes] == ["created", "unknown", "created"]
    assert isinstance(result.outcomes[1].error, OutcomeUnknownError)
    assert result.outcomes[1].object is None


async def test_a_result_with_a_foreign_trace_id_creates_no_input(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    results = [_record(0, "mine-0"), _record(1, "someone-else"), _record(2, "mine-2")]
    hubspot_emulator.faults.answer_after({"results": results}, operation="batch_create")
    result = await crm.objects.create_many("companies", _inputs(3))
    assert [o.status for o in result.outcomes] == ["created", "unknown", "created"]
    assert [o.object.id if o.object else None for o in result.outcomes] == ["100", None, "102"]


async def test_an_error_entry_beside_results_fails_its_input_only(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    body = {
        "status": "COMPLETE",
        "results": [_record(2, "mine-2"), _record(0, "mine-0")],
        "errors": [_error_entry("mine-1")],
        "numErrors": 1,
    }
    hubspot_emulator.faults.answer_after(body, 207, operation="batch_create")
    seen: list[BulkOutcome] = []
    async for outcome in crm.objects.iter_create_many("companies", _inputs(3)):
        seen.append(outcome)
    # Delivered in input order within the batch, each with its own outcome.
    assert [(o.index, o.status) for o in seen] == [(0, "created"), (1, "failed"), (2, "created")]
    assert seen[1].code == "VALIDATION_ERROR"
    assert [o.object.id if o.object else None for o in seen] == ["100", None, "102"]


async def test_the_usual_batch_counts_each_outcome_once(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    engines: list[Engine] = []

    class Watched(Engine):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            engines.append(self)

    monkeypatch.setattr(bulk, "Engine", Watched)
    contacts = [{"email": f"f{i}@example.com"} for i in range(250)]
    # One batch in flight: the run goes on only as each batch's outcomes are released.
    result = await crm.objects.create_many("contacts", contacts, batch_size=20, concurrency=1)
    # The counts a run's span reports.
    assert [dict(engine.counts) for engine in engines] == [
        {"created": 250, "updated": 0, "failed": 0, "unknown": 0, "not_attempted": 0}
    ]
    assert [o.index for o in result.outcomes] == list(range(250))
    assert all(o.status == "created" and o.new is True for o in result.outcomes)
    emails = [o.object.properties["email"] if o.object else None for o in result.outcomes]
    assert emails == [c["email"] for c in contacts]
    assert hubspot_emulator.count("contacts") == 250


async def test_with_on_progress_every_outcome_is_counted(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    snapshots: list[BulkProgress] = []
    contacts = [{"email": f"g{i}@example.com"} for i in range(150)]
    result = await crm.objects.create_many(
        "contacts", contacts, batch_size=50, on_progress=snapshots.append
    )
    assert [o.status for o in result.outcomes] == ["created"] * 150
    assert snapshots[-1].created == 150
    assert snapshots[-1].done == 150
    assert hubspot_emulator.count("contacts") == 150


async def test_an_error_naming_no_input_sends_the_unnamed_inputs_again(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    entry = {"status": "error", "category": "VALIDATION_ERROR", "message": "bad", "context": {}}
    body = {"results": [_record(0, "mine-0"), _record(1, "mine-1")], "errors": [entry]}
    emu.faults.answer_after(body, 207, operation="batch_create", times=1)
    result = await crm.objects.create_many("companies", _inputs(4))
    # Every result named its input, so the error is one of the other two's: each is
    # sent again alone (and this time answered in full).
    assert [o.status for o in result.outcomes] == ["created"] * 4
    assert [o.object.id if o.object else None for o in result.outcomes][:2] == ["100", "101"]
    assert emu.stats.requests_by_operation["batch_create"] == 3


async def test_a_runs_outcomes_go_with_its_result_without_a_garbage_collection(
    crm: AsyncHubCRM,
) -> None:
    contacts = [{"email": f"h{i}@example.com"} for i in range(30)]
    gc.disable()
    try:
        result = await crm.objects.create_many("contacts", contacts, batch_size=10)
        assert result.ok
        first = weakref.ref(result.outcomes[0])
        del result
        # Nothing of the run (no reference cycle through the engine) holds them.
        assert first() is None
    finally:
        gc.enable()
