"""Checked by mypy --strict in `nox -s lint`; never run. Fails to type-check on a regression."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubcrm import AsyncHubCRM, CrmObject, HubCRM

if TYPE_CHECKING:
    from typing_extensions import assert_type


async def async_create() -> None:
    async with AsyncHubCRM("t") as crm:
        obj = await crm.objects.create("contacts", {"email": "a@example.com", "n": 1})
        assert_type(obj, CrmObject)
        assert_type(obj.id, str)
        assert_type(obj.properties, dict[str, str | None])


def sync_create() -> None:
    with HubCRM("t") as crm:
        obj = crm.objects.create("contacts", {"email": "a@example.com", "n": 1})
        assert_type(obj, CrmObject)
        assert_type(crm, HubCRM)
