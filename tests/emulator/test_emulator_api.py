"""The emulator's objects API over real HTTP: create, read, batches, upsert, validation."""

from __future__ import annotations

import re
import uuid
from typing import Any

import aiohttp
import pytest

from hubcrm.testing import Emulator, PropertyDef

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")


async def post(
    http: aiohttp.ClientSession, path: str, body: Any
) -> tuple[int, dict[str, Any], Any]:
    async with http.post(path, json=body) as response:
        return response.status, await response.json(), response.headers


async def get(http: aiohttp.ClientSession, path: str) -> tuple[int, dict[str, Any]]:
    async with http.get(path) as response:
        return response.status, await response.json()


async def create(http: aiohttp.ClientSession, object_type: str, **props: str) -> str:
    status, body, _ = await post(http, f"{V}/{object_type}", {"properties": props})
    assert status == 201, body
    return str(body["id"])


def assert_error(body: dict[str, Any], headers: Any, category: str | None) -> None:
    assert body["status"] == "error"
    assert body["correlationId"] == headers["x-hubspot-correlation-id"]
    uuid.UUID(body["correlationId"])
    if category is None:
        assert "category" not in body
    else:
        assert body["category"] == category


# --- create ----------------------------------------------------------------------------


async def test_create_contact_returns_simple_public_object(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body, headers = await post(
        http,
        f"{V}/contacts",
        {"properties": {"email": "ada@example.com", "firstname": "Ada"}, "associations": []},
    )
    assert status == 201
    assert headers["Content-Type"].startswith("application/json")
    uuid.UUID(headers["x-hubspot-correlation-id"])
    assert body["id"].isdigit()
    assert body["archived"] is False
    assert ISO_MS.match(body["createdAt"])
    assert body["updatedAt"] == body["createdAt"]
    props = body["properties"]
    assert props["email"] == "ada@example.com"
    assert props["firstname"] == "Ada"
    assert props["hs_object_id"] == body["id"]
    assert props["createdate"] == body["createdAt"]
    assert props["lastmodifieddate"] == body["createdAt"]
    assert set(props) == {"email", "firstname", "hs_object_id", "createdate", "lastmodifieddate"}
    assert emu.count("contacts") == 1
    stored = emu.objects("contacts")[0]
    assert stored["id"] == body["id"]
    assert stored["properties"] == props
    assert stored["associations"] == []
    assert emu.stats.objects_created == 1
    assert emu.stats.requests_by_operation == {"create": 1}
    assert emu.stats.responses_by_status == {201: 1}


async def test_create_without_associations_key_and_on_v3_path(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await post(http, "/crm/v3/objects/companies", {"properties": {"name": "A"}})
    assert status == 201
    assert body["properties"]["name"] == "A"
    # companies carry hs_lastmodifieddate, as HubSpot's do
    assert ISO_MS.match(body["properties"]["hs_lastmodifieddate"])
    assert emu.count("0-2") == 1


@pytest.mark.parametrize("object_type", ["contacts", "0-1", "CONTACTS"])
async def test_object_type_by_name_or_id(
    emu: Emulator, http: aiohttp.ClientSession, object_type: str
) -> None:
    await create(http, object_type, email="x@example.com")
    assert emu.count("contacts") == 1


async def test_unknown_object_type(emu: Emulator, http: aiohttp.ClientSession) -> None:
    status, body, headers = await post(http, f"{V}/foo", {"properties": {}})
    assert status == 400
    assert body["message"] == "Unable to infer object type from: foo"
    assert_error(body, headers, None)
    status, body = await get(http, f"{V}/foo/1")
    assert status == 400
    assert body["message"] == "Unable to infer object type from: foo"


@pytest.mark.parametrize(
    ("object_type", "props"),
    [
        (
            "deals",
            {"dealname": "D", "dealstage": "closedwon", "pipeline": "default", "amount": "1.5"},
        ),
        ("tickets", {"subject": "S", "hs_pipeline": "0", "hs_pipeline_stage": "1"}),
        ("notes", {"hs_timestamp": "2024-01-01T10:00:00Z", "hs_note_body": "hi"}),
        ("tasks", {"hs_timestamp": "1704103200000", "hs_task_subject": "call"}),
        ("products", {"name": "P", "price": "10"}),
        ("line_items", {"name": "L", "quantity": "2"}),
        ("leads", {"hs_lead_name": "L"}),
        ("0-136", {"hs_lead_label": "HOT"}),
    ],
)
async def test_standard_types_accept_valid_input(
    emu: Emulator, http: aiohttp.ClientSession, object_type: str, props: dict[str, str]
) -> None:
    await create(http, object_type, **props)
    assert emu.count(object_type) == 1


# --- validation ---------------------------------------------------------------------------


async def test_unknown_property_body_matches_hubspot(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body, headers = await post(http, f"{V}/contacts", {"properties": {"missing": "x"}})
    assert status == 400
    assert_error(body, headers, "VALIDATION_ERROR")
    assert body["message"] == (
        'Property values were not valid: [{"isValid":false,"message":"Property \\"missing\\" '
        'does not exist","error":"PROPERTY_DOESNT_EXIST","name":"missing"}]'
    )
    assert body["errors"] == [
        {
            "message": 'Property "missing" does not exist',
            "code": "PROPERTY_DOESNT_EXIST",
            "context": {"propertyName": ["missing"]},
        }
    ]
    assert emu.count("contacts") == 0


@pytest.mark.parametrize(
    ("object_type", "name", "value", "code", "message"),
    [
        ("contacts", "total_revenue", "12a", "INVALID_INTEGER", "12a was not a valid number."),
        ("contacts", "total_revenue", "1e5", "INVALID_INTEGER", "1e5 was not a valid number."),
        ("contacts", "total_revenue", " 5", "INVALID_INTEGER", " 5 was not a valid number."),
        ("contacts", "hs_email_optout", "yes", "INVALID_BOOLEAN", "yes was not a valid boolean."),
        (
            "contacts",
            "hs_email_optout",
            "true ",
            "INVALID_BOOLEAN",
            "true  was not a valid boolean.",
        ),
        (
            "contacts",
            "lifecyclestage",
            "vip",
            "INVALID_OPTION",
            "vip was not one of the allowed options: [subscriber, lead, marketingqualifiedlead, "
            "salesqualifiedlead, opportunity, customer, evangelist, other]",
        ),
        (
            "contacts",
            "date_of_birth",
            "1638297089103",
            "INVALID_DATE",
            "1638297089103 is at 18:31:29.103 UTC, not midnight!",
        ),
        (
            "contacts",
            "date_of_birth",
            "2024-01-01T10:00:00Z",
            "INVALID_DATE",
            "2024-01-01T10:00:00Z is at 10:00:00.000 UTC, not midnight!",
        ),
        ("contacts", "date_of_birth", "soon", "INVALID_DATE", "soon is not a valid date."),
        ("contacts", "closedate", "tomorrow", "INVALID_LONG", "tomorrow was not a valid long."),
        (
            "contacts",
            "email",
            "not-an-email",
            "INVALID_EMAIL",
            "Email address not-an-email is invalid",
        ),
        ("contacts", "email", " a@b.com", "INVALID_EMAIL", "Email address  a@b.com is invalid"),
        (
            "contacts",
            "hs_object_id",
            "5",
            "READ_ONLY_VALUE",
            'Property "hs_object_id" is read-only',
        ),
        (
            "tickets",
            "hs_ticket_category",
            "BILLING_ISSUE;reports",
            "INVALID_OPTION",
            "reports was not one of the allowed options: "
            "[PRODUCT_ISSUE, BILLING_ISSUE, FEATURE_REQUEST, GENERAL_INQUIRY]",
        ),
    ],
)
async def test_invalid_values(
    emu: Emulator,
    http: aiohttp.ClientSession,
    object_type: str,
    name: str,
    value: str,
    code: str,
    message: str,
) -> None:
    props = {name: value}
    if object_type == "tickets":
        props.update(subject="S", hs_pipeline="0", hs_pipeline_stage="1")
    status, body, headers = await post(http, f"{V}/{object_type}", {"properties": props})
    assert status == 400
    assert_error(body, headers, "VALIDATION_ERROR")
    assert body["errors"] == [
        {"message": message, "code": code, "context": {"propertyName": [name]}}
    ]
    assert f'"error":"{code}"' in body["message"]
    assert body["message"].startswith("Property values were not valid: [")
    assert emu.count(object_type) == 0


async def test_valid_values_are_normalized(http: aiohttp.ClientSession) -> None:
    status, body, _ = await post(
        http,
        f"{V}/contacts",
        {
            "properties": {
                "email": "Ada@Example.COM",
                "date_of_birth": "1704067200000",
                "closedate": "1704103200000",
                "hs_email_optout": "TRUE",
                "total_revenue": "-12.50",
                "lifecyclestage": "lead",
                "phone": "",
            }
        },
    )
    assert status == 201
    props = body["properties"]
    assert props["email"] == "ada@example.com"
    assert props["date_of_birth"] == "2024-01-01"
    assert props["closedate"] == "2024-01-01T10:00:00.000Z"
    assert props["hs_email_optout"] == "true"
    assert props["total_revenue"] == "-12.50"
    assert "phone" not in props


async def test_several_invalid_values_reported_together(http: aiohttp.ClientSession) -> None:
    status, body, _ = await post(
        http, f"{V}/contacts", {"properties": {"nope": "1", "total_revenue": "x"}}
    )
    assert status == 400
    assert [e["code"] for e in body["errors"]] == ["PROPERTY_DOESNT_EXIST", "INVALID_INTEGER"]


@pytest.mark.parametrize(
    ("object_type", "props", "missing"),
    [
        ("deals", {"dealname": "D", "pipeline": "default"}, ["dealstage"]),
        ("deals", {"dealname": "D", "dealstage": "closedwon", "pipeline": ""}, ["pipeline"]),
        ("tickets", {"subject": "S"}, ["hs_pipeline", "hs_pipeline_stage"]),
        ("notes", {"hs_note_body": "x"}, ["hs_timestamp"]),
        ("calls", {}, ["hs_timestamp"]),
    ],
)
async def test_required_properties(
    emu: Emulator,
    http: aiohttp.ClientSession,
    object_type: str,
    props: dict[str, str],
    missing: list[str],
) -> None:
    status, body, _ = await post(http, f"{V}/{object_type}", {"properties": props})
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert [e["code"] for e in body["errors"]] == ["MISSING_REQUIRED_PROPERTY"] * len(missing)
    assert [e["context"]["propertyName"][0] for e in body["errors"]] == missing
    assert emu.count(object_type) == 0


async def test_company_needs_domain_or_name(emu: Emulator, http: aiohttp.ClientSession) -> None:
    await create(http, "companies", domain="example.com")
    await create(http, "companies", name="Example")
    assert emu.count("companies") == 2


async def test_duplicate_contact_is_409_conflict(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    first = await create(http, "contacts", email="ada@example.com")
    status, body, headers = await post(
        http, f"{V}/contacts", {"properties": {"email": "ADA@example.com"}}
    )
    assert status == 409
    assert_error(body, headers, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {first}"
    assert "errors" not in body
    assert emu.count("contacts") == 1


async def test_duplicate_contact_newer_shape() -> None:
    async with Emulator(conflict_style="OBJECT_ALREADY_EXISTS") as emu:
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            first = await create(http, "contacts", email="ada@example.com")
            status, body, _ = await post(
                http, f"{V}/contacts", {"properties": {"email": "ada@example.com"}}
            )
    assert status == 409
    assert body["category"] == "OBJECT_ALREADY_EXISTS"
    assert body["message"] == f"Contact already exists. Existing ID: {first}"
    assert body["errors"] == [{"message": body["message"], "in": "email"}]


# --- associations ---------------------------------------------------------------------------


def assoc(to_id: Any, type_id: int, category: str = "HUBSPOT_DEFINED") -> dict[str, Any]:
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": category, "associationTypeId": type_id}],
    }


async def test_associations_are_checked_and_stored(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    company = await create(http, "companies", name="Acme")
    status, body, _ = await post(
        http,
        f"{V}/contacts",
        {
            "properties": {"email": "a@acme.com"},
            "associations": [assoc(company, 279), assoc(int(company), 1)],
        },
    )
    assert status == 201
    stored = emu.objects("contacts")[0]
    # One entry per associated record, holding every type given for it.
    assert stored["associations"] == [
        {
            "toObjectTypeId": "0-2",
            "toObjectId": company,
            "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279},
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1},
            ],
        },
    ]
    status, read = await get(http, f"{V}/contacts/{body['id']}?associations=companies")
    assert status == 200
    assert read["associations"] == {
        "companies": {
            "results": [
                {"id": company, "type": "contact_to_company_unlabeled"},
                {"id": company, "type": "contact_to_company"},
            ]
        }
    }


@pytest.mark.parametrize(
    ("association", "fragment"),
    [
        (assoc("999999999", 279), "no object of type 0-2 with id 999999999"),
        (assoc("COMPANY", 280), "HUBSPOT_DEFINED association type id 280 is not valid"),
        (assoc("COMPANY", 12345), "HUBSPOT_DEFINED association type id 12345 is not valid"),
        (assoc("COMPANY", 77, "USER_DEFINED"), "USER_DEFINED association type id 77 is not valid"),
        ({"to": {"id": "COMPANY"}, "types": []}, "must have at least one association type"),
    ],
)
async def test_bad_associations(
    emu: Emulator, http: aiohttp.ClientSession, association: dict[str, Any], fragment: str
) -> None:
    company = await create(http, "companies", name="Acme")
    if association["to"]["id"] == "COMPANY":
        association["to"]["id"] = company
    status, body, headers = await post(
        http, f"{V}/contacts", {"properties": {}, "associations": [association]}
    )
    assert status == 400
    assert_error(body, headers, "VALIDATION_ERROR")
    assert fragment in body["message"]
    assert emu.count("contacts") == 0


async def test_bad_association_category_is_rejected(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    company = await create(http, "companies", name="Acme")
    status, body, _ = await post(
        http, f"{V}/contacts", {"properties": {}, "associations": [assoc(company, 279, "OTHER")]}
    )
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert "associationCategory" in body["message"]
    assert emu.count("contacts") == 0


@pytest.mark.parametrize("category", ["USER_DEFINED", "INTEGRATOR_DEFINED", "WORK"])
async def test_defined_association_types(
    emu: Emulator, http: aiohttp.ClientSession, category: Any
) -> None:
    emu.define_association_type("contacts", "deals", 501, category=category, label="buyer")
    deal = await create(http, "deals", dealname="D", dealstage="closedwon", pipeline="default")
    status, body, _ = await post(
        http, f"{V}/contacts", {"properties": {}, "associations": [assoc(deal, 501, category)]}
    )
    assert status == 201
    types = emu.objects("contacts")[0]["associations"][0]["types"]
    assert types == [{"associationCategory": category, "associationTypeId": 501}]
    status, read = await get(http, f"{V}/contacts/{body['id']}?associations=deals")
    assert read["associations"] == {"deals": {"results": [{"id": deal, "type": "buyer"}]}}
    # the id is only valid from contacts
    company = await create(http, "companies", name="Acme")
    status, body, _ = await post(
        http,
        f"{V}/companies",
        {"properties": {"name": "B"}, "associations": [assoc(company, 501, category)]},
    )
    assert status == 400


# --- custom object types --------------------------------------------------------------------


async def test_custom_object_type(emu: Emulator, http: aiohttp.ClientSession) -> None:
    cars = emu.define_object_type(
        "cars",
        properties=[
            PropertyDef(name="vin", unique=True),
            PropertyDef(name="model"),
            PropertyDef(name="year", type="number"),
            PropertyDef(name="color", type="enumeration", options=("red", "blue")),
        ],
        required=["vin"],
    )
    assert cars.object_type_id.startswith("2-")
    assert cars.name == f"p{emu.portal_id}_cars"
    status, body, _ = await post(
        http, f"{V}/{cars.object_type_id}", {"properties": {"vin": "V1", "year": "2020"}}
    )
    assert status == 201
    assert set(body["properties"]) == {
        "vin",
        "year",
        "hs_object_id",
        "hs_createdate",
        "hs_lastmodifieddate",
    }
    status, body, _ = await post(http, f"{V}/{cars.name}", {"properties": {"vin": "V1"}})
    assert status == 409
    assert body["category"] == "CONFLICT"
    assert body["message"].startswith("Cars already exists. Existing ID: ")
    status, body, _ = await post(http, f"{V}/{cars.name}", {"properties": {"model": "T"}})
    assert status == 400
    assert body["errors"][0]["code"] == "MISSING_REQUIRED_PROPERTY"
    status, body, _ = await post(
        http, f"{V}/{cars.name}", {"properties": {"vin": "V2", "color": "green"}}
    )
    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_OPTION"
    status, read = await get(http, f"{V}/{cars.name}/V1?idProperty=vin")
    assert status == 200
    assert read["properties"]["vin"] == "V1"
    assert emu.count(cars.name) == 1
    assert emu.count(cars.object_type_id) == 1


async def test_add_property_to_standard_type(emu: Emulator, http: aiohttp.ClientSession) -> None:
    status, _, _ = await post(http, f"{V}/contacts", {"properties": {"loyalty_id": "L1"}})
    assert status == 400
    emu.add_property("contacts", PropertyDef(name="loyalty_id", unique=True))
    await create(http, "contacts", loyalty_id="L1")
    status, body, _ = await post(http, f"{V}/contacts", {"properties": {"loyalty_id": "L1"}})
    assert status == 409
    assert body["category"] == "CONFLICT"
    assert emu.object_type("contacts").unique_properties == ("email", "loyalty_id")


# --- read -------------------------------------------------------------------------------------


async def test_read_by_id_and_by_email(http: aiohttp.ClientSession) -> None:
    object_id = await create(http, "contacts", email="ada@example.com", jobtitle="Countess")
    status, body = await get(http, f"{V}/contacts/{object_id}")
    assert status == 200
    assert body["id"] == object_id
    assert body["archived"] is False
    # default properties plus the system ones; unset defaults come back null
    assert body["properties"] == {
        "email": "ada@example.com",
        "firstname": None,
        "lastname": None,
        "hs_object_id": object_id,
        "createdate": body["createdAt"],
        "lastmodifieddate": body["updatedAt"],
    }
    status, body = await get(
        http, f"{V}/contacts/ADA@example.com?idProperty=email&properties=jobtitle,phone"
    )
    assert status == 200
    assert body["properties"] == {
        "jobtitle": "Countess",
        "phone": None,
        "hs_object_id": object_id,
        "createdate": body["createdAt"],
        "lastmodifieddate": body["updatedAt"],
    }
    status, body = await get(http, f"{V}/contacts/{object_id}?propertiesWithHistory=jobtitle")
    assert body["propertiesWithHistory"] == {
        "jobtitle": [{"value": "Countess", "timestamp": body["updatedAt"], "sourceType": "API"}]
    }


@pytest.mark.parametrize(
    "query", ["", "?archived=true", "?idProperty=email", "?idProperty=hs_object_id"]
)
async def test_read_not_found(http: aiohttp.ClientSession, query: str) -> None:
    object_id = await create(http, "contacts", email="ada@example.com")
    missing = "1" if query else str(int(object_id) + 1000)
    target = object_id if query == "?archived=true" else missing
    async with http.get(f"{V}/contacts/{target}{query}") as response:
        body = await response.json()
        assert response.status == 404
        assert_error(body, response.headers, "OBJECT_NOT_FOUND")
    assert body["message"] == "Object not found.  objectId are usually numeric."
    assert body["context"] == {"id": [target]}


async def test_read_by_non_unique_property_is_400(http: aiohttp.ClientSession) -> None:
    await create(http, "contacts", email="ada@example.com", firstname="Ada")
    status, body = await get(http, f"{V}/contacts/Ada?idProperty=firstname")
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert "firstname is not a unique property" in body["message"]


# --- batch create -----------------------------------------------------------------------------


def inputs(n: int, *, trace: bool = True, start: int = 0) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for i in range(start, start + n):
        item: dict[str, Any] = {"properties": {"email": f"u{i}@example.com"}, "associations": []}
        if trace:
            item["objectWriteTraceId"] = f"row-{i}"
        items.append(item)
    return items


async def test_batch_create_all_ok_is_201_shuffled(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await post(http, f"{V}/contacts/batch/create", {"inputs": inputs(20)})
    assert status == 201
    assert body["status"] == "COMPLETE"
    assert ISO_MS.match(body["startedAt"])
    assert ISO_MS.match(body["completedAt"])
    assert "numErrors" not in body
    assert "errors" not in body
    results = body["results"]
    traces = [r["objectWriteTraceId"] for r in results]
    assert sorted(traces) == sorted(f"row-{i}" for i in range(20))
    assert traces != [f"row-{i}" for i in range(20)]  # not in input order
    for result in results:
        row = int(result["objectWriteTraceId"][4:])
        assert result["properties"]["email"] == f"u{row}@example.com"
        assert result["properties"]["hs_object_id"] == result["id"]
        assert result["archived"] is False
    assert emu.count("contacts") == 20
    assert emu.stats.objects_created == 20


async def test_batch_create_207_maps_errors_by_trace_id(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    existing = await create(http, "contacts", email="taken@example.com")
    items = inputs(3)
    items[1]["properties"] = {"missing": "x"}
    items.append({"properties": {"email": "taken@example.com"}, "objectWriteTraceId": "dup"})
    status, body, _ = await post(http, f"{V}/contacts/batch/create", {"inputs": items})
    assert status == 207
    assert body["status"] == "COMPLETE"
    assert body["numErrors"] == 2
    by_trace = {e["context"]["objectWriteTraceId"][0]: e for e in body["errors"]}
    assert set(by_trace) == {"row-1", "dup"}
    bad = by_trace["row-1"]
    assert bad["status"] == "error"
    assert bad["category"] == "VALIDATION_ERROR"
    assert bad["message"] == (
        'Property values were not valid: [{"isValid":false,"message":"Property \\"missing\\" '
        'does not exist","error":"PROPERTY_DOESNT_EXIST","name":"missing"}]'
    )
    assert bad["context"] == {"objectWriteTraceId": ["row-1"]}
    dup = by_trace["dup"]
    assert dup["category"] == "CONFLICT"
    assert dup["message"] == f"Contact already exists. Existing ID: {existing}"
    assert sorted(r["objectWriteTraceId"] for r in body["results"]) == ["row-0", "row-2"]
    assert emu.count("contacts") == 3


async def test_batch_create_duplicates_within_batch_with_trace_ids(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    items = inputs(2)
    items[1]["properties"]["email"] = items[0]["properties"]["email"]
    status, body, _ = await post(http, f"{V}/contacts/batch/create", {"inputs": items})
    assert status == 207
    (result,) = body["results"]
    assert body["errors"][0]["message"] == f"Contact already exists. Existing ID: {result['id']}"
    assert emu.count("contacts") == 1


@pytest.mark.parametrize("variant", ["none", "one_missing", "duplicated"])
async def test_batch_create_without_unique_trace_ids_fails_whole(
    emu: Emulator, http: aiohttp.ClientSession, variant: str
) -> None:
    items = inputs(4, trace=variant != "none")
    if variant == "one_missing":
        del items[0]["objectWriteTraceId"]
    if variant == "duplicated":
        items[3]["objectWriteTraceId"] = items[0]["objectWriteTraceId"]
    items[2]["properties"]["total_revenue"] = "lots"
    status, body, headers = await post(http, f"{V}/contacts/batch/create", {"inputs": items})
    assert status == 400
    assert_error(body, headers, "VALIDATION_ERROR")
    assert body["errors"] == [
        {
            "message": "lots was not a valid number.",
            "code": "INVALID_INTEGER",
            "context": {"propertyName": ["total_revenue"]},
        }
    ]
    assert "results" not in body
    assert emu.count("contacts") == 0


async def test_batch_create_without_trace_ids_409_names_first_duplicate(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    first = await create(http, "contacts", email="u1@example.com")
    await create(http, "contacts", email="u2@example.com")
    status, body, headers = await post(
        http, f"{V}/contacts/batch/create", {"inputs": inputs(4, trace=False)}
    )
    assert status == 409
    assert_error(body, headers, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {first}"
    assert emu.count("contacts") == 2


async def test_batch_create_without_trace_ids_all_ok(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await post(
        http, f"{V}/contacts/batch/create", {"inputs": inputs(5, trace=False)}
    )
    assert status == 201
    assert len(body["results"]) == 5
    assert all("objectWriteTraceId" not in r for r in body["results"])
    assert emu.count("contacts") == 5


async def test_batch_limit_is_100(emu: Emulator, http: aiohttp.ClientSession) -> None:
    status, body, headers = await post(http, f"{V}/contacts/batch/create", {"inputs": inputs(101)})
    assert status == 400
    assert_error(body, headers, "VALIDATION_ERROR")
    assert body["message"].startswith(
        "The maximum number of inputs supported in a batch request is 100."
    )
    assert emu.count("contacts") == 0
    status, body, _ = await post(http, f"{V}/contacts/batch/create", {"inputs": inputs(100)})
    assert status == 201
    assert emu.count("contacts") == 100


# --- batch upsert -----------------------------------------------------------------------------


def upsert(email: str, trace: str | None, **props: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": email, "idProperty": "email", "properties": props}
    if trace is not None:
        item["objectWriteTraceId"] = trace
    return item


async def test_batch_upsert_creates_then_updates(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await post(
        http,
        f"{V}/contacts/batch/upsert",
        {"inputs": [upsert("a@example.com", "t1", firstname="A"), upsert("b@example.com", "t2")]},
    )
    assert status == 200
    assert body["status"] == "COMPLETE"
    results = {r["objectWriteTraceId"]: r for r in body["results"]}
    assert results["t1"]["new"] is True
    assert results["t2"]["new"] is True
    assert results["t1"]["properties"]["email"] == "a@example.com"
    assert results["t1"]["properties"]["firstname"] == "A"
    first_id = results["t1"]["id"]
    emu.advance_clock(2)
    status, body, _ = await post(
        http,
        f"{V}/contacts/batch/upsert",
        {"inputs": [upsert("A@example.com", "t3", lastname="L"), upsert("c@example.com", "t4")]},
    )
    assert status == 200
    results = {r["objectWriteTraceId"]: r for r in body["results"]}
    assert results["t3"]["new"] is False
    assert results["t3"]["id"] == first_id
    assert results["t3"]["properties"]["firstname"] == "A"
    assert results["t3"]["properties"]["lastname"] == "L"
    assert results["t3"]["updatedAt"] > results["t3"]["createdAt"]
    assert results["t4"]["new"] is True
    assert emu.count("contacts") == 3
    assert emu.stats.objects_created == 3
    assert emu.stats.objects_updated == 1


async def test_batch_upsert_207_partial(emu: Emulator, http: aiohttp.ClientSession) -> None:
    items = [
        upsert("a@example.com", "ok"),
        upsert("b@example.com", "bad", total_revenue="x"),
        {"id": "Ada", "idProperty": "firstname", "properties": {}, "objectWriteTraceId": "nu"},
    ]
    status, body, _ = await post(http, f"{V}/contacts/batch/upsert", {"inputs": items})
    assert status == 207
    assert body["numErrors"] == 2
    by_trace = {e["context"]["objectWriteTraceId"][0]: e for e in body["errors"]}
    assert by_trace["bad"]["errors"][0]["code"] == "INVALID_INTEGER"
    assert "firstname is not a unique property" in by_trace["nu"]["message"]
    assert [r["objectWriteTraceId"] for r in body["results"]] == ["ok"]
    assert emu.count("contacts") == 1


async def test_batch_upsert_without_trace_ids_is_atomic(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    items = [upsert("a@example.com", None), upsert("b@example.com", None, total_revenue="x")]
    status, body, _ = await post(http, f"{V}/contacts/batch/upsert", {"inputs": items})
    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_INTEGER"
    assert emu.count("contacts") == 0


async def test_batch_upsert_duplicate_ids_rejected(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    items = [upsert("a@example.com", "1"), upsert("A@example.com", "2")]
    status, body, _ = await post(http, f"{V}/contacts/batch/upsert", {"inputs": items})
    assert status == 400
    assert body["message"].startswith("Duplicate IDs found in batch input")
    assert emu.count("contacts") == 0


async def test_batch_upsert_by_object_id(emu: Emulator, http: aiohttp.ClientSession) -> None:
    object_id = await create(http, "contacts", email="a@example.com")
    items = [
        {"id": object_id, "properties": {"firstname": "A"}, "objectWriteTraceId": "1"},
        {"id": "424242", "properties": {"firstname": "B"}, "objectWriteTraceId": "2"},
    ]
    status, body, _ = await post(http, f"{V}/contacts/batch/upsert", {"inputs": items})
    assert status == 207
    assert body["results"][0]["new"] is False
    assert body["results"][0]["properties"]["firstname"] == "A"
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert emu.count("contacts") == 1
