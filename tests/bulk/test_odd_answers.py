"""Malformed and unusual 2xx batch answers, end to end: the emulator commits the batch,
then sends a body of the test's choosing (``faults.answer_after``). Every input is
reported with an honest outcome, and the run goes on."""

from __future__ import annotations

from typing import Any

import pytest

from hubcrm import AsyncHubCRM, ObjectInput, ObjectUpdate, OutcomeUnknownError
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


def _contacts(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"email": f"p{i}@example.com", "firstname": f"n{i}"} for i in range(start, start + n)]


async def test_a_null_result_in_a_create_answer_is_settled_not_crashed_on(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    emu.faults.answer_after({"status": "COMPLETE", "results": [None]}, operation="batch_create")
    result = await crm.objects.create_many("contacts", _contacts(3))
    # The answer said nothing readable, but HubSpot did write: each input is read back
    # by its email and settled as created; none is lost, none duplicated.
    assert [o.status for o in result.outcomes] == ["created"] * 3
    assert all(o.read_back for o in result.outcomes)
    assert result.read_backs >= 1
    assert result.settle_resends == 0
    assert emu.count("contacts") == 3


async def test_a_null_result_in_an_upsert_answer_is_unknown_and_the_run_goes_on(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    emu.faults.answer_after({"status": "COMPLETE", "results": [None]}, operation="batch_upsert")
    result = await crm.objects.upsert_many("contacts", _contacts(3), id_property="email")
    # An upsert may have been applied: unknown, with the input, never failed.
    assert [o.status for o in result.outcomes] == ["unknown"] * 3
    assert all(isinstance(o.error, OutcomeUnknownError) for o in result.outcomes)
    assert emu.count("contacts") == 3
    # The run went on: a later batch is read normally.
    more = await crm.objects.upsert_many("contacts", _contacts(2, 3), id_property="email")
    assert [o.status for o in more.outcomes] == ["created", "created"]


async def test_a_null_beside_valid_results_keeps_the_valid_ones(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    record = {
        "id": "1",
        "properties": {"name": "c0"},
        "createdAt": "2026-03-01T10:00:00Z",
        "updatedAt": "2026-03-01T10:00:00Z",
        "archived": False,
        "objectWriteTraceId": "mine-0",
    }
    emu.faults.answer_after({"results": [None, record, 7, "x"]}, operation="batch_create")
    inputs = [ObjectInput({"name": f"c{i}"}, object_write_trace_id=f"mine-{i}") for i in (0, 1)]
    result = await crm.objects.create_many("companies", inputs)
    # The valid result is read; companies have no key, so what the answer could not
    # say stays unknown, with its input.
    assert [o.status for o in result.outcomes] == ["created", "unknown"]
    assert result.outcomes[0].object is not None
    assert result.outcomes[0].object.id == "1"
    assert isinstance(result.outcomes[1].error, OutcomeUnknownError)
    assert emu.count("companies") == 2


async def test_an_update_answer_that_is_not_an_object_leaves_updates_unknown(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    made = (await crm.objects.create_many("contacts", _contacts(2))).results
    ids = [r.id for r in made if r is not None]
    emu.faults.answer_after(["nothing", None], operation="batch_update")
    result = await crm.objects.update_many(
        "contacts", [ObjectUpdate(i, {"lastname": "L"}) for i in ids]
    )
    assert [o.status for o in result.outcomes] == ["unknown", "unknown"]
    assert all(isinstance(o.error, OutcomeUnknownError) for o in result.outcomes)


async def test_an_update_answer_without_trace_ids_is_matched_by_the_unique_value(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    made = (await crm.objects.create_many("contacts", _contacts(2))).results
    records = [r for r in made if r is not None]

    def echo(i: int) -> dict[str, Any]:
        r = records[i]
        return {
            "id": r.id,
            "properties": {"email": f"P{i}@Example.com", "lastname": "L"},
            "createdAt": "2026-03-01T10:00:00Z",
            "updatedAt": "2026-03-01T10:00:00Z",
            "archived": False,
        }

    # No trace id echo, and the emails in another case: HubSpot compares them so too.
    emu.faults.answer_after({"results": [echo(1), echo(0)]}, operation="batch_update")
    result = await crm.objects.update_many(
        "contacts",
        [ObjectUpdate(f"p{i}@example.com", {"lastname": "L"}, id_property="email") for i in (0, 1)],
    )
    assert [o.status for o in result.outcomes] == ["updated", "updated"]
    assert [o.object.id if o.object else None for o in result.outcomes] == [
        records[0].id,
        records[1].id,
    ]
