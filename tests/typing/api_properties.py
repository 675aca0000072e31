"""A portal's property definitions as users' type checkers see them: list, get, update,
archive, groups, enumeration options and validation rules, on both clients.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubcrm import (
    AsyncHubCRM,
    CrmProperty,
    HubCRM,
    PropertyGroup,
    PropertyOption,
    ValidationRule,
)
from hubcrm.testing import Emulator

if TYPE_CHECKING:
    from typing_extensions import assert_type


def definition(p: CrmProperty, o: PropertyOption, g: PropertyGroup, r: ValidationRule) -> None:
    assert_type(p.options, tuple[PropertyOption, ...])
    assert_type(p.read_only_value, bool)
    assert_type(p.calculated, bool)
    assert_type(p.external_options, bool)
    assert_type(p.writable, bool)
    assert_type(p.display_order, int | None)
    assert_type(o.value, str)
    assert_type(o.hidden, bool)
    assert_type(g.name, str)
    assert_type(g.display_order, int | None)
    assert_type(r.rule_type, str)
    assert_type(r.rule_arguments, tuple[str, ...])
    assert_type(r.should_apply_normalization, bool | None)


async def async_definitions(crm: AsyncHubCRM) -> None:
    props = crm.properties
    assert_type(await props.list("contacts", archived=True), list[CrmProperty])
    assert_type(await props.get("contacts", "email"), CrmProperty)
    tier = await props.create(
        "contacts",
        "tier",
        label="Tier",
        type="enumeration",
        options=[PropertyOption(label="Gold", value="gold"), "silver"],
        description="Customer tier",
    )
    assert_type(tier, CrmProperty)
    changed = await props.update(
        "contacts", "tier", label="Level", options={"gold": "Gold"}, hidden=False
    )
    assert_type(changed, CrmProperty)
    assert_type(await props.archive("contacts", "tier"), None)
    assert_type(await props.groups("contacts"), list[PropertyGroup])
    assert_type(await props.create_group("contacts", "extra", label="Extra"), PropertyGroup)
    assert_type(await props.validations("0-1"), dict[str, list[ValidationRule]])
    assert_type(await props.validation_rules("contacts", "zip"), list[ValidationRule])


def sync_definitions(crm: HubCRM, hubspot: Emulator) -> None:
    assert_type(crm.properties.list("deals"), list[CrmProperty])
    assert_type(crm.properties.update("deals", "tier", display_order=2), CrmProperty)
    assert_type(crm.properties.groups("deals"), list[PropertyGroup])
    assert_type(crm.properties.validations("deals"), dict[str, list[ValidationRule]])
    hubspot.add_validation_rule(
        "deals", "dealname", "MAX_LENGTH", ["80"], should_apply_normalization=True
    )
