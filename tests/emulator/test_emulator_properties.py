"""The emulator's properties API beyond create and read: list, PATCH, DELETE (archive),
groups, the property-validations reads, and what a record write is checked against
(the options of an enumeration, read-only and calculated properties, validation rules).
On the wire, with plain aiohttp."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from hubcrm.testing import Emulator, PropertyDef

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
P = "/crm/properties/2026-03"
R = "/crm/property-validations/2026-03"
TEXT = {"type": "string", "fieldType": "text", "groupName": "contactinformation"}
DEAL = {"dealname": "d", "dealstage": "appointmentscheduled", "pipeline": "default"}
COLORS = [
    {"label": "Red", "value": "red", "displayOrder": 0, "hidden": False},
    {"label": "Blue", "value": "blue", "displayOrder": 1, "hidden": False},
]


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, path, json=body) as response:
        text = await response.text()
        return response.status, json.loads(text) if text else None


def hubspot_error(body: dict[str, Any]) -> None:
    """HubSpot's 400 body: status, message, correlation id, VALIDATION_ERROR."""
    assert body["status"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["correlationId"], str)
    assert body["category"] == "VALIDATION_ERROR"


async def colors(http: aiohttp.ClientSession, field_type: str = "select") -> None:
    status, _ = await call(
        http,
        "POST",
        f"{P}/contacts",
        {"name": "color", "label": "Color", "type": "enumeration", "fieldType": field_type,
         "groupName": "contactinformation", "options": COLORS},
    )  # fmt: skip
    assert status == 201


def codes(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["code"], e["context"]["propertyName"][0]) for e in body["errors"]]


# --- create: what HubSpot refuses --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"name": "a", "label": "A", "fieldType": "text", "groupName": "g"}, "[type]"),
        ({"name": "a", "label": "A", "type": "string", "groupName": "g"}, "[fieldType]"),
        ({"name": "a", "label": "A", "type": "string", "fieldType": "text"}, "[groupName]"),
        ({"name": "a", "label": "A", **TEXT, "fieldType": "dropdown"}, "fieldType: dropdown"),
        (
            {"name": "a", "label": "A", **TEXT, "type": "enumeration", "fieldType": "select"},
            "at least one option",
        ),
        (
            {"name": "a", "label": "A", **TEXT, "type": "enumeration", "fieldType": "select",
             "options": []},
            "at least one option",
        ),
        (
            {"name": "a", "label": "A", **TEXT, "type": "enumeration", "fieldType": "select",
             "options": [*COLORS, {"label": "Again", "value": "red"}]},
            "Duplicate option value",
        ),
    ],
)  # fmt: skip
async def test_a_property_create_is_refused_as_hubspot_refuses_it(
    emu: Emulator, http: aiohttp.ClientSession, body: dict[str, Any], says: str
) -> None:
    status, answer = await call(http, "POST", f"{P}/contacts", body)
    assert status == 400
    hubspot_error(answer)
    assert says in answer["message"]
    assert "a" not in emu.object_type("contacts").properties


# --- list, read, update, archive -----------------------------------------------------------


async def test_list_reads_every_property_with_its_definition(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    await colors(http)
    status, body = await call(http, "GET", f"{P}/contacts")
    assert status == 200
    by_name = {p["name"]: p for p in body["results"]}
    assert set(by_name) == set(emu.object_type("contacts").properties)
    assert [o["value"] for o in by_name["color"]["options"]] == ["red", "blue"]
    assert by_name["hs_object_id"]["modificationMetadata"]["readOnlyValue"] is True
    assert by_name["firstname"]["modificationMetadata"]["readOnlyValue"] is False
    assert by_name["firstname"]["hubspotDefined"] is True
    assert by_name["color"]["hubspotDefined"] is False


async def test_patch_changes_a_definition_and_its_options_are_then_enforced(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    await colors(http)
    green = {"label": "Green", "value": "green", "displayOrder": 2, "hidden": False}
    status, body = await call(
        http, "PATCH", f"{P}/contacts/color", {"label": "Colour", "options": [COLORS[0], green]}
    )
    assert status == 200
    assert body["label"] == "Colour"
    assert [o["value"] for o in body["options"]] == ["red", "green"]
    _, read = await call(http, "GET", f"{P}/contacts/color")
    assert read["label"] == "Colour"
    status, _ = await call(http, "POST", V + "/contacts", {"properties": {"color": "green"}})
    assert status == 201
    status, refused = await call(http, "POST", V + "/contacts", {"properties": {"color": "blue"}})
    assert status == 400
    assert codes(refused) == [("INVALID_OPTION", "color")]


async def test_patch_refuses_bad_input(emu: Emulator, http: aiohttp.ClientSession) -> None:
    await colors(http)
    bad: list[dict[str, Any]] = [
        {"fieldType": "dropdown"},
        {"options": []},
        {"label": ""},
        {"hidden": "no"},
    ]
    for body in bad:
        status, answer = await call(http, "PATCH", f"{P}/contacts/color", body)
        assert status == 400, body
        hubspot_error(answer)
    status, answer = await call(http, "PATCH", f"{P}/contacts/hs_object_id", {"label": "x"})
    assert status == 400
    assert "read-only definition" in answer["message"]
    status, answer = await call(http, "PATCH", f"{P}/contacts/nope", {"label": "x"})
    assert (status, answer["category"]) == (404, "OBJECT_NOT_FOUND")


async def test_delete_archives_a_property(emu: Emulator, http: aiohttp.ClientSession) -> None:
    await colors(http)
    status, body = await call(http, "DELETE", f"{P}/contacts/color")
    assert (status, body) == (204, None)
    assert "color" not in emu.object_type("contacts").properties
    status, _ = await call(http, "GET", f"{P}/contacts/color")
    assert status == 404
    _, listed = await call(http, "GET", f"{P}/contacts?archived=true")
    assert [(p["name"], p["archived"]) for p in listed["results"]] == [("color", True)]
    status, refused = await call(http, "POST", V + "/contacts", {"properties": {"color": "red"}})
    assert codes(refused) == [("PROPERTY_DOESNT_EXIST", "color")]
    status, answer = await call(http, "DELETE", f"{P}/contacts/firstname")
    assert status == 400
    assert "defined by HubSpot" in answer["message"]
    status, _ = await call(http, "DELETE", f"{P}/contacts/color")
    assert status == 404


# --- groups ---------------------------------------------------------------------------------


async def test_groups_list_and_create(emu: Emulator, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, "GET", f"{P}/deals/groups")
    assert status == 200
    assert [g["name"] for g in body["results"]] == ["dealinformation"]
    made = {"name": "import_data", "label": "Import data", "displayOrder": 3}
    status, group = await call(http, "POST", f"{P}/deals/groups", made)
    assert (status, group) == (201, {**made, "archived": False})
    _, body = await call(http, "GET", f"{P}/deals/groups")
    assert [g["name"] for g in body["results"]] == ["dealinformation", "import_data"]
    status, one = await call(http, "GET", f"{P}/deals/groups/import_data")
    assert (status, one["label"]) == (200, "Import data")
    status, again = await call(http, "POST", f"{P}/deals/groups", made)
    assert (status, again["category"]) == (409, "OBJECT_ALREADY_EXISTS")
    for bad in ({"name": "x"}, {"name": "Bad Name", "label": "x"}):
        status, answer = await call(http, "POST", f"{P}/deals/groups", bad)
        assert status == 400, bad
        hubspot_error(answer)
    status, _ = await call(http, "GET", f"{P}/deals/groups/nope")
    assert status == 404


# --- what a record write is checked against ---------------------------------------------------


async def test_a_multi_select_value_is_checked_part_by_part(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    await colors(http, field_type="checkbox")
    status, _ = await call(http, "POST", V + "/contacts", {"properties": {"color": "red;blue"}})
    assert status == 201
    status, refused = await call(
        http, "POST", V + "/contacts", {"properties": {"color": "red;green"}}
    )
    assert status == 400
    assert codes(refused) == [("INVALID_OPTION", "color")]
    assert "green was not one of the allowed options" in refused["errors"][0]["message"]


async def test_a_calculated_property_is_refused_on_write_naming_it(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.add_property("deals", PropertyDef(name="days_open", type="number", calculated=True))
    status, refused = await call(
        http, "POST", V + "/deals", {"properties": {**DEAL, "days_open": "3"}}
    )
    assert status == 400
    assert codes(refused) == [("READ_ONLY_VALUE", "days_open")]
    assert '"days_open" is a calculated property' in refused["errors"][0]["message"]
    _, read = await call(http, "GET", f"{P}/deals/days_open")
    assert read["calculated"] is True
    assert read["modificationMetadata"]["readOnlyValue"] is True
    assert emu.count("deals") == 0


RULES = [
    ("firstname", "MAX_LENGTH", ["5"], "Ada", "Augusta"),
    ("firstname", "MIN_LENGTH", ["3"], "Ada", "Al"),
    ("zip", "REGEX", [r"\d{5}"], "12345", "1234a"),
    ("total_revenue", "MIN_NUMBER", ["0"], "0", "-1"),
    ("total_revenue", "MAX_NUMBER", ["100"], "99.5", "100.5"),
    ("email", "EMAIL_ALLOWED_DOMAINS", ["example.com"], "a@Example.com", "a@other.org"),
    ("email", "EMAIL_BLOCKED_DOMAINS", ["spam.test"], "a@example.com", "a@spam.test"),
]


@pytest.mark.parametrize(("prop", "rule", "args", "good", "bad"), RULES)
async def test_a_validation_rule_is_enforced_on_create_and_update(
    emu: Emulator,
    http: aiohttp.ClientSession,
    prop: str,
    rule: str,
    args: list[str],
    good: str,
    bad: str,
) -> None:
    emu.add_validation_rule("contacts", prop, rule, args)
    status, made = await call(http, "POST", V + "/contacts", {"properties": {prop: good}})
    assert status == 201
    status, refused = await call(http, "POST", V + "/contacts", {"properties": {prop: bad}})
    assert status == 400
    hubspot_error(refused)
    assert codes(refused) == [("INVALID_VALUE", prop)]
    assert f"its {rule} validation rule" in refused["errors"][0]["message"]
    assert bad not in refused["errors"][0]["message"]  # the rule, never the value
    status, _ = await call(http, "PATCH", f"{V}/contacts/{made['id']}", {"properties": {prop: bad}})
    assert status == 400
    assert emu.count("contacts") == 1


async def test_validation_rules_are_served(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.add_validation_rule("contacts", "firstname", "MAX_LENGTH", ["5"])
    emu.add_validation_rule("contacts", "firstname", "MAX_LENGTH", ["8"])  # replaces
    emu.add_validation_rule("contacts", "zip", "REGEX", [r"\d{5}"], should_apply_normalization=True)
    status, body = await call(http, "GET", f"{R}/0-1")
    assert status == 200
    assert body == {
        "results": [
            {"propertyName": "firstname", "propertyValidationRules": [
                {"ruleType": "MAX_LENGTH", "ruleArguments": ["8"],
                 "shouldApplyNormalization": False}]},
            {"propertyName": "zip", "propertyValidationRules": [
                {"ruleType": "REGEX", "ruleArguments": [r"\d{5}"],
                 "shouldApplyNormalization": True}]},
        ]
    }  # fmt: skip
    status, one = await call(http, "GET", f"{R}/0-1/zip")
    assert (status, [r["ruleType"] for r in one["results"]]) == (200, ["REGEX"])
    status, none = await call(http, "GET", f"{R}/0-1/lastname")
    assert (status, none) == (200, {"results": []})
    status, _ = await call(http, "GET", f"{R}/0-1/nope")
    assert status == 404
    _, deals = await call(http, "GET", f"{R}/0-3")
    assert deals == {"results": []}


@pytest.mark.parametrize(
    ("prop", "rule", "args", "says"),
    [
        ("firstname", "TOO_LONG", ["5"], "unknown rule type"),
        ("firstname", "MAX_LENGTH", ["five"], "a length"),
        ("firstname", "MIN_NUMBER", ["1"], "applies to number properties"),
        ("firstname", "REGEX", ["("], "does not compile"),
        ("nope", "MAX_LENGTH", ["5"], "no property 'nope'"),
    ],
)
def test_add_validation_rule_checks_its_arguments(
    prop: str, rule: str, args: list[str], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        Emulator().add_validation_rule("contacts", prop, rule, args)


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("total_revenue", " 5"),
        ("hs_email_optout", "true "),
        ("date_of_birth", " 2024-01-01"),
        ("closedate", "2024-01-01T00:00:00Z "),
        ("lifecyclestage", "lead "),
    ],
)
async def test_a_non_string_value_with_outer_spaces_is_refused(
    emu: Emulator, http: aiohttp.ClientSession, prop: str, value: str
) -> None:
    status, refused = await call(http, "POST", V + "/contacts", {"properties": {prop: value}})
    assert status == 400
    assert [name for _, name in codes(refused)] == [prop]
    status, _ = await call(http, "POST", V + "/contacts", {"properties": {prop: value.strip()}})
    assert status == 201
    status, _ = await call(http, "POST", V + "/contacts", {"properties": {"firstname": " Ada "}})
    assert status == 201  # a string keeps its spaces
