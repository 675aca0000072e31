"""The emulator's custom object schemas, association labels, and the association fixes:
associations given at create are stored from both sides, and batch/archive answers 200."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest

from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
S = "/crm-object-schemas/2026-03/schemas"
A = "/crm/associations/2026-03"


async def send(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, path, json=body) as response:
        text = await response.text()
        return response.status, (await response.json() if text else None)


def assert_error(status: int, body: Any, expected: int, category: str) -> None:
    assert status == expected, body
    assert body["status"] == "error"
    assert body["category"] == category
    uuid.UUID(body["correlationId"])


def car_schema(**extra: Any) -> dict[str, Any]:
    return {
        "name": "cars",
        "labels": {"singular": "Car", "plural": "Cars"},
        "primaryDisplayProperty": "vin",
        "requiredProperties": ["vin"],
        "searchableProperties": ["vin", "model"],
        "secondaryDisplayProperties": ["model"],
        "properties": [
            {"name": "vin", "label": "VIN", "type": "string", "fieldType": "text"},
            {
                "name": "model",
                "label": "Model",
                "type": "string",
                "fieldType": "text",
                "hasUniqueValue": False,
            },
        ],
        "associatedObjects": ["CONTACT"],
        "allowsSensitiveProperties": False,
        "shouldCreateSameObjectAssociation": False,
        **extra,
    }


async def test_a_created_schema_is_listed_read_and_usable(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, schema = await send(http, "POST", S, car_schema())
    assert status == 201, schema
    type_id, full_name = schema["objectTypeId"], schema["fullyQualifiedName"]
    assert type_id.startswith("2-")
    assert full_name == f"p{emu.portal_id}_cars"
    assert schema["name"] == "cars"
    assert schema["labels"] == {"singular": "Car", "plural": "Cars"}
    assert schema["requiredProperties"] == ["vin"]
    assert schema["primaryDisplayProperty"] == "vin"
    assert schema["searchableProperties"] == ["vin", "model"]
    assert [p["name"] for p in schema["properties"]] == ["vin", "model"]
    assert schema["properties"][0]["label"] == "VIN"
    assert [(a["fromObjectTypeId"], a["toObjectTypeId"]) for a in schema["associations"]] == [
        (type_id, "0-1")
    ]
    status, listed = await send(http, "GET", S)
    assert status == 200
    assert [s["objectTypeId"] for s in listed["results"]] == [type_id]
    for key in (type_id, full_name):
        status, read = await send(http, "GET", f"{S}/{key}")
        assert (status, read["objectTypeId"]) == (200, type_id)
    # A type like any other, by its id or its full name.
    for key in (type_id, full_name):
        status, car = await send(http, "POST", f"{V}/{key}", {"properties": {"vin": key}})
        assert status == 201, car
    assert emu.count(type_id) == 2
    # The plain name is not an object type: HubSpot takes the id or the full name.
    status, body = await send(http, "POST", f"{V}/cars", {"properties": {"vin": "x"}})
    assert (status, body["message"]) == (400, "Unable to infer object type from: cars")


async def test_a_schema_s_required_property_is_enforced(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, schema = await send(http, "POST", S, car_schema())
    assert status == 201
    status, body = await send(
        http, "POST", f"{V}/{schema['objectTypeId']}", {"properties": {"model": "T"}}
    )
    assert_error(status, body, 400, "VALIDATION_ERROR")
    assert "MISSING_REQUIRED_PROPERTY" in body["message"]
    assert "vin" in body["message"]
    assert emu.count(schema["objectTypeId"]) == 0


async def test_schema_refusals(http: aiohttp.ClientSession) -> None:
    status, body = await send(http, "POST", S, car_schema(requiredProperties=["colour"]))
    assert_error(status, body, 400, "VALIDATION_ERROR")
    assert "colour" in body["message"]
    status, body = await send(http, "POST", S, car_schema(name="1cars"))
    assert_error(status, body, 400, "VALIDATION_ERROR")
    status, body = await send(http, "POST", S, car_schema(associatedObjects=["SPACESHIP"]))
    assert_error(status, body, 400, "VALIDATION_ERROR")
    assert (await send(http, "GET", S))[1]["results"] == []  # nothing half-made
    assert (await send(http, "POST", S, car_schema()))[0] == 201
    status, body = await send(http, "POST", S, car_schema())
    assert_error(status, body, 409, "OBJECT_ALREADY_EXISTS")
    status, body = await send(http, "GET", f"{S}/2-999")
    assert_error(status, body, 404, "OBJECT_NOT_FOUND")
    status, body = await send(http, "GET", f"{S}/contacts")
    assert_error(status, body, 404, "OBJECT_NOT_FOUND")


async def test_types_defined_on_the_emulator_are_schemas(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    tdef = emu.define_object_type("boats", required=())
    status, body = await send(http, "GET", f"{S}/{tdef.name}")
    assert status == 200
    assert (body["objectTypeId"], body["name"]) == (tdef.object_type_id, "boats")


# --- association labels ----------------------------------------------------------------------


async def test_a_label_must_exist_before_an_association_uses_it(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, contact = await send(http, "POST", f"{V}/contacts", {"properties": {}})
    status, company = await send(http, "POST", f"{V}/companies", {"properties": {"name": "A"}})
    path = f"{V}/contacts/{contact['id']}/associations/companies/{company['id']}"
    spec = [{"associationCategory": "USER_DEFINED", "associationTypeId": 1001}]
    status, body = await send(http, "PUT", path, spec)
    assert_error(status, body, 400, "VALIDATION_ERROR")
    assert "USER_DEFINED association type id 1001 is not valid" in body["message"]
    assert body["context"] == {"associationTypeId": ["1001"]}

    status, made = await send(
        http,
        "POST",
        f"{A}/contacts/companies/labels",
        {"label": "Manager", "name": "manager", "inverseLabel": "Employer"},
    )
    assert status == 200, made
    there, back = made["results"]
    assert (there["category"], there["label"], back["label"]) == (
        "USER_DEFINED",
        "Manager",
        "Employer",
    )
    spec = [{"associationCategory": "USER_DEFINED", "associationTypeId": there["typeId"]}]
    status, link = await send(http, "PUT", path, spec)
    assert (status, link["labels"]) == (201, ["Manager"])
    # Read from the company's side, the association carries the inverse label.
    status, page = await send(http, "GET", f"{V}/companies/{company['id']}/associations/contacts")
    assert page["results"][0]["associationTypes"] == [
        {"category": "USER_DEFINED", "typeId": back["typeId"], "label": "Employer"}
    ]
    status, labels = await send(http, "GET", f"{A}/companies/contacts/labels")
    assert {"category": "USER_DEFINED", "typeId": back["typeId"], "label": "Employer"} in (
        labels["results"]
    )


async def test_labels_are_renamed_and_deleted(emu: Emulator, http: aiohttp.ClientSession) -> None:
    status, made = await send(
        http, "POST", f"{A}/contacts/companies/labels", {"label": "Boss", "name": "boss"}
    )
    there, back = (r["typeId"] for r in made["results"])
    status, body = await send(
        http, "POST", f"{A}/contacts/companies/labels", {"label": "Boss", "name": "boss"}
    )
    assert_error(status, body, 409, "OBJECT_ALREADY_EXISTS")
    status, _ = await send(
        http,
        "PUT",
        f"{A}/contacts/companies/labels",
        {"associationTypeId": there, "label": "Chief", "inverseLabel": "Chiefdom"},
    )
    assert status == 204
    labels = (await send(http, "GET", f"{A}/contacts/companies/labels"))[1]["results"]
    assert {"category": "USER_DEFINED", "typeId": there, "label": "Chief"} in labels
    inverse = (await send(http, "GET", f"{A}/companies/contacts/labels"))[1]["results"]
    assert {"category": "USER_DEFINED", "typeId": back, "label": "Chiefdom"} in inverse

    _, contact = await send(http, "POST", f"{V}/contacts", {"properties": {}})
    _, company = await send(http, "POST", f"{V}/companies", {"properties": {"name": "A"}})
    path = f"{V}/contacts/{contact['id']}/associations/companies/{company['id']}"
    spec = [
        {"associationCategory": "USER_DEFINED", "associationTypeId": there},
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279},
    ]
    assert (await send(http, "PUT", path, spec))[0] == 201
    status, _ = await send(http, "DELETE", f"{A}/contacts/companies/labels/{there}")
    assert status == 204
    labels = (await send(http, "GET", f"{A}/contacts/companies/labels"))[1]["results"]
    assert all(label["category"] == "HUBSPOT_DEFINED" for label in labels)
    stored = emu.objects("contacts")[0]["associations"]
    assert stored[0]["types"] == [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}
    ]
    status, body = await send(http, "DELETE", f"{A}/contacts/companies/labels/{there}")
    assert_error(status, body, 404, "OBJECT_NOT_FOUND")
    status, body = await send(
        http, "PUT", f"{A}/contacts/companies/labels", {"associationTypeId": there, "label": "X"}
    )
    assert_error(status, body, 404, "OBJECT_NOT_FOUND")


# --- fidelity fixes ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [False, True])
async def test_associations_given_at_create_are_stored_both_ways(
    emu: Emulator, http: aiohttp.ClientSession, batch: bool
) -> None:
    _, company = await send(http, "POST", f"{V}/companies", {"properties": {"name": "A"}})
    item = {
        "properties": {"email": "ada@example.com"},
        "associations": [
            {
                "to": {"id": company["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ],
    }
    if batch:
        status, body = await send(http, "POST", f"{V}/contacts/batch/create", {"inputs": [item]})
        contact_id = body["results"][0]["id"]
    else:
        status, body = await send(http, "POST", f"{V}/contacts", item)
        contact_id = body["id"]
    assert status == 201
    status, page = await send(http, "GET", f"{V}/companies/{company['id']}/associations/contacts")
    assert status == 200
    assert page["results"] == [
        {
            "toObjectId": int(contact_id),
            "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 280, "label": None}],
        }
    ]


async def test_association_batch_archive_answers_200_with_a_batch_response(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    _, company = await send(http, "POST", f"{V}/companies", {"properties": {"name": "A"}})
    _, contact = await send(http, "POST", f"{V}/contacts", {"properties": {}})
    await send(
        http, "PUT", f"{V}/contacts/{contact['id']}/associations/default/companies/{company['id']}"
    )
    status, body = await send(
        http,
        "POST",
        f"{A}/contacts/companies/batch/archive",
        {"inputs": [{"from": {"id": contact["id"]}, "to": [{"id": company["id"]}]}]},
    )
    assert status == 200
    assert body["status"] == "COMPLETE"
    assert body["results"] == []
    assert {"startedAt", "completedAt"} <= body.keys()
    assert emu.objects("companies")[0]["associations"] == []
    assert emu.objects("contacts")[0]["associations"] == []
