"""``properties.create`` after an ambiguous failure: settled by reading the property by
its name (HubSpot keeps names unique), end to end against the emulator's faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from hubcrm import (
    AsyncHubCRM,
    ConflictError,
    CrmProperty,
    NotFoundError,
    OutcomeUnknownError,
    RetryPolicy,
)
from hubcrm.testing import Emulator

pytestmark = [pytest.mark.anyio, pytest.mark.hubspot_emulator(rate_limit=None)]

WANTED = CrmProperty(
    name="import_key",
    label="Import key",
    type="string",
    field_type="text",
    group_name="dealinformation",
    unique=True,
)


@asynccontextmanager
async def _client(emu: Emulator, **options: Any) -> AsyncIterator[AsyncHubCRM]:
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, **options) as crm:
        yield crm


async def _create(crm: AsyncHubCRM, label: str = "Import key") -> CrmProperty:
    return await crm.properties.create("deals", "import_key", label=label, unique=True)


def _calls(emu: Emulator) -> dict[str, int]:
    by_operation = emu.stats.requests_by_operation
    return {op: by_operation.get(op, 0) for op in ("create_property", "read_property")}


@pytest.mark.parametrize("fault", ["error_after_502", "error_after_504", "disconnect_after"])
async def test_a_create_made_before_its_answer_was_lost_is_read_back(
    hubspot_emulator: Emulator, fault: str
) -> None:
    emu = hubspot_emulator
    if fault == "disconnect_after":
        emu.faults.disconnect_after(operation="create_property")
    else:
        emu.faults.error_after(int(fault[-3:]), operation="create_property")
    async with _client(emu) as crm:
        prop = await _create(crm)
    assert prop == WANTED
    assert _calls(emu) == {"create_property": 1, "read_property": 1}  # read, never resent
    assert emu.object_type("deals").properties["import_key"].unique


async def test_a_create_not_made_is_sent_once_more(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    emu.faults.error_before(502, operation="create_property")
    async with _client(emu) as crm:
        prop = await _create(crm)
    assert prop == WANTED
    assert _calls(emu) == {"create_property": 2, "read_property": 1}


async def test_a_property_of_another_definition_is_a_conflict_naming_it(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    async with _client(emu) as crm:
        await _create(crm, label="Someone else's key")
        emu.faults.error_after(502, operation="create_property")
        with pytest.raises(ConflictError) as caught:
            await _create(crm)
    message = str(caught.value)
    assert "the property 'import_key' of 'deals'" in message
    assert "(its label differs)" in message
    assert _calls(emu) == {"create_property": 2, "read_property": 1}


async def test_a_resend_refused_as_taken_reads_again(hubspot_emulator: Emulator) -> None:
    # The first attempt made it, but the read did not see it yet: the resend's 409
    # means it exists; the second read finds it.
    emu = hubspot_emulator
    emu.faults.error_after(502, operation="create_property")
    emu.faults.error_before(404, operation="read_property")
    async with _client(emu) as crm:
        prop = await _create(crm)
    assert prop == WANTED
    assert _calls(emu) == {"create_property": 2, "read_property": 2}


async def test_a_failed_read_back_is_an_unknown_outcome_naming_the_property(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    emu.faults.error_after(502, operation="create_property")
    emu.faults.error_before(500, operation="read_property", times=10)
    async with _client(emu, max_retries=1) as crm:
        with pytest.raises(OutcomeUnknownError) as caught:
            await _create(crm)
    error = caught.value
    assert error.property_name == "import_key"
    assert error.retried
    assert "property 'import_key' of 'deals'" in str(error)
    assert _calls(emu)["create_property"] == 1  # never resent while in doubt


async def test_with_retry_writes_never_nothing_is_read_or_resent(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    emu.faults.error_after(502, operation="create_property")
    async with _client(emu, retry=RetryPolicy(retry_writes="never")) as crm:
        with pytest.raises(OutcomeUnknownError) as caught:
            await _create(crm)
    assert caught.value.property_name == "import_key"
    assert not caught.value.retried
    assert _calls(emu) == {"create_property": 1, "read_property": 0}


async def test_the_emulator_reads_a_property_it_was_given_and_one_of_its_schema(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    async with _client(emu) as crm:
        await _create(crm)
        path = "/crm/properties/2026-03/deals"
        mine = (await crm.request("GET", f"{path}/import_key")).json()
        schema = (await crm.request("GET", f"{path}/dealname")).json()
        with pytest.raises(NotFoundError):
            await crm.request("GET", f"{path}/nope")
    assert (mine["label"], mine["hasUniqueValue"]) == ("Import key", True)
    assert (schema["name"], schema["type"], schema["fieldType"]) == ("dealname", "string", "text")
