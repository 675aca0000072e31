"""``crm.schemas`` and custom types by each of their names, over HTTP against the
emulator, async and sync; a create that fails ambiguously is settled by the name."""

from __future__ import annotations

from typing import Any

import pytest

from hubcrm import (
    AsyncHubCRM,
    BadRequestError,
    ConflictError,
    CrmProperty,
    Filter,
    HubCRM,
    NotFoundError,
    ObjectSchema,
    ObjectTypeLabels,
    OutcomeUnknownError,
    RetryPolicy,
)
from hubcrm.testing import Emulator

pytestmark = [pytest.mark.anyio, pytest.mark.hubspot_emulator(rate_limit=None)]

CARS = ObjectTypeLabels(singular="Car", plural="Cars")
VIN = CrmProperty(
    name="vin", label="VIN", type="string", field_type="text", group_name="", unique=True
)
MODEL = {"name": "model", "label": "Model", "type": "string", "fieldType": "text"}


async def make_cars(crm: AsyncHubCRM) -> ObjectSchema:
    return await crm.schemas.create(
        "cars",
        labels=CARS,
        properties=[VIN, MODEL],
        primary_display_property="vin",
        required_properties=["vin"],
        searchable_properties=["vin", "model"],
        secondary_display_properties=["model"],
        associated_objects=["CONTACT"],
    )


def _calls(emu: Emulator, *operations: str) -> dict[str, int]:
    by_operation = emu.stats.requests_by_operation
    return {op: by_operation.get(op, 0) for op in operations}


async def test_create_list_and_get(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    cars = await make_cars(crm)
    portal = hubspot_emulator.portal_id
    assert cars.object_type_id.startswith("2-")
    assert cars.fully_qualified_name == f"p{portal}_cars"
    assert (cars.name, cars.labels) == ("cars", CARS)
    assert cars.required_properties == ("vin",)
    assert cars.primary_display_property == "vin"
    assert cars.searchable_properties == ("vin", "model")
    assert cars.secondary_display_properties == ("model",)
    assert [(p.name, p.label, p.unique) for p in cars.properties] == [
        ("vin", "VIN", True),
        ("model", "Model", False),
    ]
    assert [(a.from_object_type_id, a.to_object_type_id) for a in cars.associations] == [
        (cars.object_type_id, "0-1")
    ]
    assert await crm.schemas.list() == [cars]
    assert await crm.schemas.list(archived=True) == []
    assert await crm.schemas.get(cars.object_type_id) == cars
    assert await crm.schemas.get(cars.fully_qualified_name) == cars
    with pytest.raises(NotFoundError):
        await crm.schemas.get("2-424242")


@pytest.mark.parametrize("form", ["id", "fully_qualified_name"])
@pytest.mark.hubspot_emulator(search_delay=0)  # about the type's names, not indexing
async def test_a_custom_type_by_each_of_its_names(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, form: str
) -> None:
    cars = await make_cars(crm)
    key = cars.object_type_id if form == "id" else cars.fully_qualified_name
    one = await crm.objects.create(key, {"vin": "V1", "model": "T"})
    many = await crm.objects.create_many(key, [{"vin": f"V{i}", "model": "S"} for i in (2, 3)])
    assert many.ok
    assert len(many.results) == 2
    found = [
        record.properties["vin"]
        async for record in crm.objects.search(
            key, filters=[Filter("model", "EQ", "S")], properties=["vin"], sorts=["vin"]
        )
    ]
    assert found == ["V2", "V3"]
    assert (await crm.objects.get(key, one.id)).properties["vin"] == "V1"
    assert hubspot_emulator.count(cars.object_type_id) == 3
    # A required property left out is refused, as HubSpot does.
    with pytest.raises(BadRequestError, match="vin"):
        await crm.objects.create(key, {"model": "T"})
    refused = await crm.objects.create_many(key, [{"model": "T"}])
    assert [o.status for o in refused.outcomes] == ["failed"]
    assert hubspot_emulator.count(cars.object_type_id) == 3


async def test_arguments_are_checked_before_sending(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    before = hubspot_emulator.stats.requests
    with pytest.raises(ValueError, match="'colour', which is not one of the schema's"):
        await crm.schemas.create(
            "cars", labels=CARS, properties=[VIN], required_properties=["colour"]
        )
    with pytest.raises(ValueError, match="primaryDisplayProperty names 'model'"):
        await crm.schemas.create(
            "cars", labels=CARS, properties=[VIN], primary_display_property="model"
        )
    with pytest.raises(ValueError, match="start with a letter"):
        await crm.schemas.create("9cars", labels=CARS, properties=[VIN])
    with pytest.raises(TypeError, match="ObjectTypeLabels"):
        await crm.schemas.create("cars", labels=("Car", "Cars"), properties=[VIN])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has no name"):
        await crm.schemas.create("cars", labels=CARS, properties=[{"label": "x"}])
    assert hubspot_emulator.stats.requests == before


async def test_a_taken_name_is_a_conflict(crm: AsyncHubCRM) -> None:
    await make_cars(crm)
    with pytest.raises(ConflictError):
        await make_cars(crm)


def test_sync_client(sync_crm: HubCRM, hubspot_emulator: Emulator) -> None:
    cars = sync_crm.schemas.create(
        "cars", labels=CARS, properties=[VIN, MODEL], required_properties=["vin"]
    )
    assert sync_crm.schemas.list() == [cars]
    assert sync_crm.schemas.get(cars.fully_qualified_name) == cars
    for key in (cars.object_type_id, cars.fully_qualified_name):
        record = sync_crm.objects.create(key, {"vin": key})
        assert sync_crm.objects.get(key, record.id).properties["vin"] == key
    assert hubspot_emulator.count(cars.object_type_id) == 2


# --- an ambiguous create ---------------------------------------------------------------------


async def _client(emu: Emulator, **options: Any) -> AsyncHubCRM:
    return AsyncHubCRM(emu.token, base_url=emu.base_url, **options)


@pytest.mark.parametrize("fault", ["error_after", "disconnect_after"])
async def test_a_create_made_before_its_answer_was_lost_is_read_back(
    hubspot_emulator: Emulator, fault: str
) -> None:
    emu = hubspot_emulator
    if fault == "disconnect_after":
        emu.faults.disconnect_after(operation="create_schema")
    else:
        emu.faults.error_after(502, operation="create_schema")
    async with await _client(emu) as crm:
        cars = await make_cars(crm)
        assert await crm.schemas.list() == [cars]
    assert _calls(emu, "create_schema", "list_schemas") == {
        "create_schema": 1,
        "list_schemas": 2,  # the read-back, and the test's
    }


async def test_a_create_not_made_is_sent_once_more(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    emu.faults.error_before(502, operation="create_schema")
    async with await _client(emu) as crm:
        cars = await make_cars(crm)
        assert await crm.schemas.list() == [cars]
    assert _calls(emu, "create_schema")["create_schema"] == 2


async def test_one_made_with_other_labels_is_a_conflict(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    async with await _client(emu) as crm:
        await crm.schemas.create(
            "cars", labels=ObjectTypeLabels(singular="Auto", plural="Autos"), properties=[VIN]
        )
        emu.faults.error_before(502, operation="create_schema")
        with pytest.raises(ConflictError, match="exists with other labels"):
            await make_cars(crm)


async def test_unknown_when_reading_back_fails_or_is_not_allowed(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    emu.faults.error_after(502, operation="create_schema")
    emu.faults.error_before(500, operation="list_schemas", times=10)
    async with await _client(
        emu, retry=RetryPolicy(max_retries=1, backoff_base=0.0, backoff_max=0.0)
    ) as crm:
        with pytest.raises(OutcomeUnknownError) as caught:
            await make_cars(crm)
    assert caught.value.definition == "the custom object schema 'cars'"
    assert caught.value.retried
    assert "look it up before creating it again" in str(caught.value)

    emu.faults.clear()
    emu.faults.error_after(502, operation="create_schema")
    async with await _client(emu, retry=RetryPolicy(retry_writes="never")) as crm:
        with pytest.raises(OutcomeUnknownError) as caught:
            await crm.schemas.create("boats", labels=CARS, properties=[VIN])
    assert not caught.value.retried
    assert _calls(emu, "create_schema")["create_schema"] == 2  # each sent once
