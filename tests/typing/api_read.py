"""Reading records and defining properties as users' type checkers see it: get (with
history and associations), get_many, iter_all, and the properties resource.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING

from hubcrm import AsyncHubCRM, AsyncProperties, CrmObject, CrmProperty, HubCRM, Properties

if TYPE_CHECKING:
    from typing_extensions import assert_type


def crm_property(p: CrmProperty) -> None:
    assert_type(p.name, str)
    assert_type(p.label, str)
    assert_type(p.type, str)
    assert_type(p.field_type, str)
    assert_type(p.group_name, str)
    assert_type(p.unique, bool)


async def async_read(crm: AsyncHubCRM) -> None:
    one = await crm.objects.get(
        "contacts",
        "ada@example.com",
        ["email", "firstname"],
        id_property="email",
        properties_with_history=["lifecyclestage"],
        associations=["companies"],
        archived=False,
    )
    assert_type(one, CrmObject)
    many = await crm.objects.get_many(
        "contacts", ["a@example.com", "b@example.com"], id_property="email", properties=["email"]
    )
    assert_type(many, list[CrmObject | None])
    assert_type(await crm.objects.get_many("contacts", ["1", "2"]), list[CrmObject | None])
    gone = await crm.objects.get_many("contacts", ["1"], archived=True)
    assert_type(gone, list[CrmObject | None])
    pages = crm.objects.iter_all(
        "contacts", properties=["email"], associations=["deals"], archived=True, page_size=100
    )
    assert_type(pages, AsyncGenerator[CrmObject, None])
    async for obj in pages:
        assert_type(obj, CrmObject)


async def async_properties(crm: AsyncHubCRM) -> None:
    properties = crm.properties
    assert_type(properties, AsyncProperties)
    made = await properties.create(
        "contacts",
        "customer_key",
        label="Customer key",
        type="string",
        field_type="text",
        group_name="contactinformation",
        unique=True,
    )
    assert_type(made, CrmProperty)
    assert_type(await crm.properties.create("deals", "region", label="Region"), CrmProperty)


def sync_read(crm: HubCRM) -> None:
    one = crm.objects.get(
        "contacts", "42", properties_with_history=["email"], associations=["deals"]
    )
    assert_type(one, CrmObject)
    assert_type(crm.objects.get_many("contacts", ["1", "2"]), list[CrmObject | None])
    many = crm.objects.get_many("contacts", ["a@example.com"], id_property="email")
    assert_type(many, list[CrmObject | None])
    pages = crm.objects.iter_all("contacts", properties=["email"], page_size=50)
    assert_type(pages, Generator[CrmObject, None, None])
    for obj in pages:
        assert_type(obj, CrmObject)


def sync_properties(crm: HubCRM) -> None:
    assert_type(crm.properties, Properties)
    made = crm.properties.create("contacts", "customer_key", label="Customer key", unique=True)
    assert_type(made, CrmProperty)
