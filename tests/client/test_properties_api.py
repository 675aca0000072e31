"""``crm.properties`` beyond create's settling: list, get, update, archive, groups,
enumeration options and validation rules, both clients, against the emulator."""

from __future__ import annotations

import pytest

from hubcrm import (
    AsyncHubCRM,
    BadRequestError,
    ConflictError,
    HubCRM,
    NotFoundError,
    OutcomeUnknownError,
    PropertyGroup,
    PropertyOption,
    RetryPolicy,
    ValidationRule,
)
from hubcrm.testing import Emulator, PropertyDef

pytestmark = [pytest.mark.anyio, pytest.mark.hubspot_emulator(rate_limit=None)]

DEAL = {"dealname": "d", "dealstage": "appointmentscheduled", "pipeline": "default"}


def sent(emu: Emulator) -> int:
    return sum(emu.stats.requests_by_operation.values())


async def test_get_surfaces_options_read_only_and_calculated(
    hubspot_emulator: Emulator, crm: AsyncHubCRM
) -> None:
    hubspot_emulator.add_property(
        "deals", PropertyDef(name="days_open", type="number", calculated=True)
    )
    stage = await crm.properties.get("contacts", "lifecyclestage")
    assert (stage.type, stage.field_type) == ("enumeration", "select")
    assert [o.value for o in stage.options][:2] == ["subscriber", "lead"]
    assert stage.writable
    assert not stage.read_only_value
    assert stage.hubspot_defined
    object_id = await crm.properties.get("contacts", "hs_object_id")
    assert object_id.read_only_value
    assert not object_id.writable
    days = await crm.properties.get("deals", "days_open")
    assert days.calculated
    assert days.read_only_value
    assert not days.writable
    with pytest.raises(NotFoundError):
        await crm.properties.get("contacts", "nope")


async def test_create_an_enumeration_in_each_options_form(
    hubspot_emulator: Emulator, crm: AsyncHubCRM
) -> None:
    typed = await crm.properties.create(
        "contacts",
        "tier",
        label="Tier",
        type="enumeration",
        options=[
            PropertyOption(label="Gold", value="gold", display_order=0),
            PropertyOption(label="Old", value="old", display_order=1, hidden=True),
        ],
    )
    assert typed.field_type == "select"
    assert typed.options == (
        PropertyOption(label="Gold", value="gold", display_order=0),
        PropertyOption(label="Old", value="old", display_order=1, hidden=True),
    )
    plain = await crm.properties.create(
        "contacts", "sizes", label="Sizes", type="enumeration", field_type="checkbox",
        options=["s", "m"],
    )  # fmt: skip
    assert [(o.label, o.value, o.display_order) for o in plain.options] == [
        ("s", "s", 0),
        ("m", "m", 1),
    ]
    mapped = await crm.properties.create(
        "contacts", "region", label="Region", type="enumeration", options={"eu": "Europe"}
    )
    assert [(o.label, o.value) for o in mapped.options] == [("Europe", "eu")]
    made = await crm.objects.create("contacts", {"tier": "gold", "sizes": "s;m"})
    assert made.properties["tier"] == "gold"
    with pytest.raises(BadRequestError) as refused:
        await crm.objects.create("contacts", {"sizes": "s;xl"})
    assert [(e.code, e.context["propertyName"]) for e in refused.value.errors] == [
        ("INVALID_OPTION", ["sizes"])
    ]


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"type": "enumeration"}, "needs options"),
        ({"type": "enumeration", "options": []}, "is empty"),
        ({"type": "enumeration", "options": {}}, "is empty"),
        ({"type": "enumeration", "options": ["a", "b", "a"]}, "repeats the value 'a'"),
        ({"type": "enumeration", "options": [""]}, "empty value"),
        ({"type": "string", "options": ["a"]}, "options are for enumeration"),
        ({"type": "string", "field_type": "checkbox"}, "does not go with type 'string'"),
        ({"type": "number", "field_type": "text"}, "does not go with type 'number'"),
        ({"type": "string", "field_type": "dropdown"}, "not one of HubSpot's field types"),
        ({"type": "text"}, "not one of HubSpot's property types"),
    ],
)
async def test_create_refuses_bad_definitions_before_sending(
    hubspot_emulator: Emulator, crm: AsyncHubCRM, kwargs: dict[str, object], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        await crm.properties.create("contacts", "bad", label="Bad", **kwargs)  # type: ignore[arg-type]
    assert sent(hubspot_emulator) == 0


async def test_list_update_and_archive(hubspot_emulator: Emulator, crm: AsyncHubCRM) -> None:
    await crm.properties.create(
        "deals", "color", label="Color", type="enumeration", options=["red", "blue"]
    )
    listed = await crm.properties.list("deals")
    assert {p.name for p in listed} == set(hubspot_emulator.object_type("deals").properties)
    changed = await crm.properties.update(
        "deals",
        "color",
        label="Colour",
        description="Paint",
        options={"red": "Red", "green": "Green"},
        hidden=True,
        display_order=4,
    )
    assert (changed.label, changed.description, changed.hidden, changed.display_order) == (
        "Colour",
        "Paint",
        True,
        4,
    )
    assert [o.value for o in changed.options] == ["red", "green"]
    assert (await crm.properties.get("deals", "color")).label == "Colour"
    await crm.objects.create("deals", {**DEAL, "color": "green"})
    with pytest.raises(BadRequestError):
        await crm.objects.create("deals", {**DEAL, "color": "blue"})
    with pytest.raises(ValueError, match="nothing to update"):
        await crm.properties.update("deals", "color")
    await crm.properties.archive("deals", "color")
    assert "color" not in {p.name for p in await crm.properties.list("deals")}
    archived = await crm.properties.list("deals", archived=True)
    assert [(p.name, p.archived) for p in archived] == [("color", True)]
    with pytest.raises(NotFoundError):
        await crm.properties.get("deals", "color")
    with pytest.raises(BadRequestError, match="defined by HubSpot"):
        await crm.properties.archive("deals", "dealname")
    ops = hubspot_emulator.stats.requests_by_operation
    assert (ops["list_properties"], ops["update_property"], ops["archive_property"]) == (3, 1, 2)


async def test_an_update_is_resent_after_an_ambiguous_failure(
    hubspot_emulator: Emulator, crm: AsyncHubCRM
) -> None:
    hubspot_emulator.faults.error_after(502, operation="update_property", times=1)
    changed = await crm.properties.update("contacts", "firstname", label="Given name")
    assert changed.label == "Given name"
    assert hubspot_emulator.stats.requests_by_operation["update_property"] == 2


async def test_groups_list_and_create(hubspot_emulator: Emulator, crm: AsyncHubCRM) -> None:
    assert [g.name for g in await crm.properties.groups("deals")] == ["dealinformation"]
    group = await crm.properties.create_group(
        "deals", "import_data", label="Import data", display_order=2
    )
    assert group == PropertyGroup(name="import_data", label="Import data", display_order=2)
    assert [g.name for g in await crm.properties.groups("deals")] == [
        "dealinformation",
        "import_data",
    ]
    made = await crm.properties.create("deals", "batch_no", label="Batch", group_name="import_data")
    assert made.group_name == "import_data"
    with pytest.raises(ConflictError):
        await crm.properties.create_group("deals", "import_data", label="Again")


async def test_a_group_create_whose_answer_was_lost_is_read_back(
    hubspot_emulator: Emulator, crm: AsyncHubCRM
) -> None:
    hubspot_emulator.faults.error_after(502, operation="create_property_group", times=1)
    group = await crm.properties.create_group("deals", "import_data", label="Import data")
    assert group.name == "import_data"
    ops = hubspot_emulator.stats.requests_by_operation
    assert (ops["create_property_group"], ops["read_property_group"]) == (1, 1)


async def test_a_group_create_refused_before_it_was_made_is_sent_again(
    hubspot_emulator: Emulator, crm: AsyncHubCRM
) -> None:
    hubspot_emulator.faults.error_before(502, operation="create_property_group", times=1)
    group = await crm.properties.create_group("deals", "import_data", label="Import data")
    assert group.label == "Import data"
    ops = hubspot_emulator.stats.requests_by_operation
    assert (ops["create_property_group"], ops["read_property_group"]) == (2, 1)


async def test_a_group_create_in_doubt_is_reported_never_guessed(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    emu.faults.error_after(502, operation="create_property_group", times=1)
    never = RetryPolicy(retry_writes="never")
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, retry=never) as crm:
        with pytest.raises(OutcomeUnknownError, match="property group 'extra'") as doubt:
            await crm.properties.create_group("deals", "extra", label="Extra")
    assert (doubt.value.group_name, doubt.value.retried) == ("extra", False)
    assert emu.stats.requests_by_operation.get("read_property_group", 0) == 0
    emu.faults.error_after(502, operation="create_property_group", times=1)
    async with AsyncHubCRM(emu.token, base_url=emu.base_url) as crm:
        with pytest.raises(ConflictError, match="another label"):
            await crm.properties.create_group("deals", "extra", label="Other")


async def test_validation_rules_by_type_and_by_property(
    hubspot_emulator: Emulator, crm: AsyncHubCRM
) -> None:
    emu = hubspot_emulator
    emu.add_validation_rule("contacts", "firstname", "MAX_LENGTH", ["5"])
    emu.add_validation_rule("contacts", "zip", "REGEX", [r"\d{5}"], should_apply_normalization=True)
    rules = await crm.properties.validations("contacts")
    assert rules == {
        "firstname": [ValidationRule(rule_type="MAX_LENGTH", rule_arguments=("5",),
                                     should_apply_normalization=False)],
        "zip": [ValidationRule(rule_type="REGEX", rule_arguments=(r"\d{5}",),
                               should_apply_normalization=True)],
    }  # fmt: skip
    assert await crm.properties.validations("0-1") == rules
    assert await crm.properties.validation_rules("contacts", "zip") == rules["zip"]
    assert await crm.properties.validation_rules("contacts", "lastname") == []
    assert [r.path for r in emu.received if "property-validations" in r.path] == [
        "/crm/property-validations/2026-03/0-1",
        "/crm/property-validations/2026-03/0-1",
        "/crm/property-validations/2026-03/0-1/zip",
        "/crm/property-validations/2026-03/0-1/lastname",
    ]
    with pytest.raises(BadRequestError) as refused:
        await crm.objects.create("contacts", {"firstname": "Augusta"})
    assert [(e.code, e.context["propertyName"]) for e in refused.value.errors] == [
        ("INVALID_VALUE", ["firstname"])
    ]
    assert "Augusta" not in str(refused.value)


async def test_validation_rules_of_a_custom_type_need_its_id(
    hubspot_emulator: Emulator, crm: AsyncHubCRM
) -> None:
    cars = hubspot_emulator.define_object_type("cars", properties=[PropertyDef(name="vin")])
    hubspot_emulator.add_validation_rule(cars.object_type_id, "vin", "MIN_LENGTH", ["17"])
    with pytest.raises(ValueError, match="pass the type's id"):
        await crm.properties.validations(cars.name)
    rules = await crm.properties.validations(cars.object_type_id)
    assert list(rules) == ["vin"]
    assert sent(hubspot_emulator) == 1


def test_the_blocking_client_has_every_method(hubspot_emulator: Emulator, sync_crm: HubCRM) -> None:
    hubspot_emulator.add_validation_rule("deals", "dealname", "MIN_LENGTH", ["2"])
    made = sync_crm.properties.create(
        "deals", "tier", label="Tier", type="enumeration", options=["a", "b"]
    )
    assert [o.value for o in made.options] == ["a", "b"]
    assert sync_crm.properties.get("deals", "tier") == made
    assert "tier" in {p.name for p in sync_crm.properties.list("deals")}
    assert sync_crm.properties.update("deals", "tier", label="Level").label == "Level"
    sync_crm.properties.archive("deals", "tier")
    assert [p.name for p in sync_crm.properties.list("deals", archived=True)] == ["tier"]
    assert sync_crm.properties.create_group("deals", "extra", label="Extra").name == "extra"
    assert [g.name for g in sync_crm.properties.groups("deals")] == ["dealinformation", "extra"]
    assert list(sync_crm.properties.validations("deals")) == ["dealname"]
    assert [r.rule_type for r in sync_crm.properties.validation_rules("deals", "dealname")] == [
        "MIN_LENGTH"
    ]
