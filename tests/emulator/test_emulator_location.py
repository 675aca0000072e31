"""``Location`` on the 201 answers whose HubSpot 2026-03 OpenAPI description has it (a
property create, a labelled association), and on no other."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
P = "/crm/properties/2026-03"


async def send(
    http: aiohttp.ClientSession, method: str, path: str, body: Any
) -> tuple[int, Any, str | None]:
    async with http.request(method, path, json=body) as response:
        return response.status, await response.json(), response.headers.get("Location")


async def test_a_property_create_names_the_new_property(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    body = {"name": "loyalty_id", "label": "Loyalty id", "type": "string",
            "fieldType": "text", "groupName": "contactinformation"}  # fmt: skip
    status, _, location = await send(http, "POST", f"{P}/contacts", body)
    assert status == 201
    assert location == f"{emu.base_url}{P}/contacts/loyalty_id"
    # A session of its own: aiohttp before 3.11 takes no absolute URL beside a base_url.
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {emu.token}"}) as plain,
        plain.get(location) as response,
    ):
        assert response.status == 200
        assert (await response.json())["name"] == "loyalty_id"


async def test_a_labelled_association_names_itself_and_record_creates_carry_none(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, contact, location = await send(
        http, "POST", f"{V}/contacts", {"properties": {"email": "a@x.com"}}
    )
    assert (status, location) == (201, None)  # the spec gives a record create no Location
    status, company, _ = await send(http, "POST", f"{V}/companies", {"properties": {}})
    assert status == 201
    status, _, location = await send(
        http, "POST", f"{V}/contacts/batch/create", {"inputs": [{"properties": {}}]}
    )
    assert (status, location) == (201, None)
    path = f"{V}/contacts/{contact['id']}/associations/companies/{company['id']}"
    types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]
    status, _, location = await send(http, "PUT", path, types)
    assert status == 201
    assert location == f"{emu.base_url}{path}"
