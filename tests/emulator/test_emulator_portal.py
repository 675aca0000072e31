"""The emulator's pipelines and owners over real HTTP: the reads, and the rules on records."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hubcrm.testing import Emulator, PropertyDef, StageDef, TeamDef

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
P = "/crm/pipelines/2026-03"
O = "/crm/owners/2026-03"  # noqa: E741
DEAL = {"dealname": "D", "dealstage": "appointmentscheduled", "pipeline": "default"}
TICKET = {"subject": "S", "hs_pipeline": "0", "hs_pipeline_stage": "1"}


async def send(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    async with http.request(method, path, json=body) as response:
        return response.status, await response.json()


def refused(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, code) of each entry of a 400 VALIDATION_ERROR."""
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: ")
    return [(e["context"]["propertyName"][0], e["code"]) for e in body["errors"]]


def won_lost() -> list[StageDef]:
    return [
        StageDef(id="open", label="Open", metadata={"probability": "0.5", "isClosed": "false"}),
        StageDef(id="gone", label="Gone", archived=True, metadata={"probability": "0.0"}),
    ]


# --- reads -------------------------------------------------------------------------------


async def test_default_deal_pipeline_has_hubspots_stage_ids(http: aiohttp.ClientSession) -> None:
    status, body = await send(http, "GET", f"{P}/deals")
    assert status == 200
    [pipeline] = body["results"]
    assert pipeline["id"] == "default"
    stages = {s["id"]: s["metadata"] for s in pipeline["stages"]}
    assert list(stages) == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    assert stages["appointmentscheduled"] == {"isClosed": "false", "probability": "0.2"}
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    assert stages["closedlost"] == {"isClosed": "true", "probability": "0.0"}


async def test_default_ticket_pipeline_and_one_by_id(http: aiohttp.ClientSession) -> None:
    status, body = await send(http, "GET", f"{P}/tickets/0")
    assert status == 200
    got = [(s["id"], s["label"], s["metadata"]["ticketState"]) for s in body["stages"]]
    assert got == [
        ("1", "New", "OPEN"),
        ("2", "Waiting on contact", "OPEN"),
        ("3", "Waiting on us", "OPEN"),
        ("4", "Closed", "CLOSED"),
    ]
    status, body = await send(http, "GET", f"{P}/tickets/nope")
    assert status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"


async def test_added_pipelines_are_listed_in_display_order(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.add_pipeline("deals", "p2", "Second", won_lost(), display_order=2)
    emu.add_pipeline("deals", "p1", "First", won_lost(), display_order=1, archived=True)
    status, body = await send(http, "GET", f"{P}/0-3")
    assert status == 200
    assert [(p["id"], p["archived"]) for p in body["results"]] == [
        ("default", False),
        ("p1", True),
        ("p2", False),
    ]
    assert [s["archived"] for s in body["results"][2]["stages"]] == [False, True]


async def test_owners_page_with_after_and_filter(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    ids = [emu.add_owner(f"o{i}@example.com", f"F{i}").id for i in range(5)]
    gone = emu.add_owner("gone@example.com", archived=True, teams=[TeamDef(id="7", name="T")])
    seen: list[str] = []
    path = f"{O}?limit=2"
    pages = 0
    while True:
        status, body = await send(http, "GET", path)
        assert status == 200
        pages += 1
        seen += [o["id"] for o in body["results"]]
        after = body.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break
        path = f"{O}?limit=2&after={after}"
    assert (seen, pages) == (ids, 3)
    status, body = await send(http, "GET", f"{O}?email=O3@example.com")
    assert [o["id"] for o in body["results"]] == [ids[3]]
    status, body = await send(http, "GET", f"{O}?archived=true")
    assert [(o["id"], o["teams"][0]["name"], "userId" in o) for o in body["results"]] == [
        (gone.id, "T", False)
    ]
    assert (await send(http, "GET", f"{O}?limit=501"))[0] == 400
    assert (await send(http, "GET", f"{O}/{ids[0]}"))[1]["firstName"] == "F0"
    assert (await send(http, "GET", f"{O}/{gone.id}"))[0] == 404
    assert (await send(http, "GET", f"{O}/{gone.id}?archived=true"))[0] == 200


# --- the rules on records ---------------------------------------------------------------


async def test_deal_stage_must_be_in_its_pipeline(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.add_pipeline("deals", "p2", "Second", won_lost())
    assert (await send(http, "POST", f"{V}/deals", {"properties": DEAL}))[0] == 201
    good = {**DEAL, "pipeline": "p2", "dealstage": "open"}
    assert (await send(http, "POST", f"{V}/deals", {"properties": good}))[0] == 201
    # a stage of another pipeline, and a stage with no pipeline named (default's)
    for props in ({**DEAL, "pipeline": "p2"}, {"dealname": "d", "dealstage": "open"}):
        status, body = await send(http, "POST", f"{V}/deals", {"properties": props})
        assert status == 400
        assert ("dealstage", "INVALID_OPTION") in refused(body)
    assert emu.count("deals") == 2


async def test_unknown_or_archived_pipeline_and_archived_stage_are_refused(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.add_pipeline("deals", "old", "Old", won_lost(), archived=True)
    emu.add_pipeline("deals", "p2", "Second", won_lost())
    cases = [
        ({**DEAL, "pipeline": "nope"}, ("pipeline", "INVALID_OPTION")),
        ({**DEAL, "pipeline": "old", "dealstage": "open"}, ("pipeline", "INVALID_OPTION")),
        ({**DEAL, "pipeline": "p2", "dealstage": "gone"}, ("dealstage", "INVALID_OPTION")),
        ({**TICKET, "hs_pipeline": "9"}, ("hs_pipeline", "INVALID_OPTION")),
        ({**TICKET, "hs_pipeline_stage": "5"}, ("hs_pipeline_stage", "INVALID_OPTION")),
    ]
    for props, entry in cases:
        kind = "tickets" if "subject" in props else "deals"
        status, body = await send(http, "POST", f"{V}/{kind}", {"properties": props})
        assert (status, refused(body)) == (400, [entry]), props
    assert emu.count("deals") == emu.count("tickets") == 0


async def test_owner_must_exist_and_be_live(emu: Emulator, http: aiohttp.ClientSession) -> None:
    live = emu.add_owner("ada@example.com")
    gone = emu.add_owner("bob@example.com", archived=True)
    ok = {"email": "c@example.com", "hubspot_owner_id": live.id}
    assert (await send(http, "POST", f"{V}/contacts", {"properties": ok}))[0] == 201
    for owner_id in (gone.id, "123"):
        props = {**DEAL, "hubspot_owner_id": owner_id}
        status, body = await send(http, "POST", f"{V}/deals", {"properties": props})
        assert (status, refused(body)) == (400, [("hubspot_owner_id", "INVALID_OWNER_ID")])
        assert "bob@" not in body["message"]
    assert emu.count("deals") == 0


async def test_one_entry_per_refused_property(emu: Emulator, http: aiohttp.ClientSession) -> None:
    props = {**DEAL, "dealstage": "4", "hubspot_owner_id": "1"}
    status, body = await send(http, "POST", f"{V}/deals", {"properties": props})
    assert status == 400
    assert refused(body) == [
        ("dealstage", "INVALID_OPTION"),
        ("hubspot_owner_id", "INVALID_OWNER_ID"),
    ]


async def test_batch_create_and_upsert_are_checked(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.add_property("deals", PropertyDef(name="key", unique=True))
    inputs = [{"properties": DEAL}, {"properties": {**DEAL, "dealstage": "1"}}]
    status, body = await send(http, "POST", f"{V}/deals/batch/create", {"inputs": inputs})
    assert status == 400
    assert ("dealstage", "INVALID_OPTION") in refused(body)
    upsert = {
        "inputs": [{"idProperty": "key", "id": "k1", "properties": {**DEAL, "pipeline": "x"}}]
    }
    status, body = await send(http, "POST", f"{V}/deals/batch/upsert", upsert)
    assert status == 400
    assert ("pipeline", "INVALID_OPTION") in refused(body)
    assert emu.count("deals") == 0


async def test_update_checks_the_stage_against_the_records_pipeline(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.add_pipeline("deals", "p2", "Second", won_lost())
    emu.add_owner("ada@example.com", archived=True, owner_id="77")
    status, body = await send(
        http, "POST", f"{V}/deals", {"properties": {**DEAL, "pipeline": "p2", "dealstage": "open"}}
    )
    deal = body["id"]
    # its own pipeline is p2: a default stage is not one of its stages
    for props, entry in (
        ({"dealstage": "closedwon"}, ("dealstage", "INVALID_OPTION")),
        ({"hubspot_owner_id": "77"}, ("hubspot_owner_id", "INVALID_OWNER_ID")),
    ):
        status, body = await send(http, "PATCH", f"{V}/deals/{deal}", {"properties": props})
        assert (status, refused(body)) == (400, [entry])
        batch = {"inputs": [{"id": deal, "properties": props}]}
        status, body = await send(http, "POST", f"{V}/deals/batch/update", batch)
        assert (status, refused(body)) == (400, [entry])
    moved = {"pipeline": "default", "dealstage": "closedwon"}
    status, body = await send(http, "PATCH", f"{V}/deals/{deal}", {"properties": moved})
    assert status == 200
    assert body["properties"]["dealstage"] == "closedwon"


async def test_custom_type_pipelines(emu: Emulator, http: aiohttp.ClientSession) -> None:
    cars = emu.define_object_type("cars", properties=[PropertyDef(name="model")])
    emu.add_pipeline(cars.name, "lot", "Lot", [StageDef(id="in", label="In")])
    status, body = await send(http, "GET", f"{P}/{cars.object_type_id}")
    assert [p["id"] for p in body["results"]] == ["lot"]
    props = {"model": "T", "hs_pipeline_stage": "out"}
    status, body = await send(http, "POST", f"{V}/{cars.name}", {"properties": props})
    assert (status, refused(body)) == (400, [("hs_pipeline_stage", "INVALID_OPTION")])
    props = {"model": "T", "hs_pipeline": "lot", "hs_pipeline_stage": "in"}
    assert (await send(http, "POST", f"{V}/{cars.name}", {"properties": props}))[0] == 201


async def test_add_pipeline_refuses_two_stages_with_one_id(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="two stages with one id"):
        emu.add_pipeline("deals", "p", "P", [StageDef(id="a", label="A")] * 2)
    with pytest.raises(ValueError, match="unknown object type"):
        emu.add_pipeline("nope", "p", "P", [])
    emu.add_owner("a@example.com", owner_id="5")
    with pytest.raises(ValueError, match="already has an owner"):
        emu.add_owner("b@example.com", owner_id="5")
    assert "a@example.com" not in repr(emu.add_owner("a@example.com"))


async def test_pipelines_and_owners_stay_across_reset(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.add_pipeline("deals", "p2", "Second", won_lost())
    owner = emu.add_owner("ada@example.com")
    emu.reset()
    assert (await send(http, "GET", f"{P}/deals"))[1]["results"][1]["id"] == "p2"
    assert [o["id"] for o in (await send(http, "GET", O))[1]["results"]] == [owner.id]


async def test_stage_and_pipeline_properties_have_external_options(
    http: aiohttp.ClientSession,
) -> None:
    status, body = await send(http, "GET", "/crm/properties/2026-03/deals/dealstage")
    assert (status, body["externalOptions"], body["options"]) == (200, True, [])
    status, body = await send(http, "GET", "/crm/properties/2026-03/deals/dealname")
    assert (status, body["externalOptions"]) == (200, False)
