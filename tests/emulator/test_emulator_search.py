"""The emulator's search: HubSpot's current limits, the query length, and the indexing
delay (a write reaches search only ``search_delay`` seconds later, on the emulator's
clock; reads by id and ``batch/read`` see it at once)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hubcrm.testing import FIXTURE_SEARCH_DELAY, Emulator
from hubcrm.testing.__main__ import build_parser

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
HAS_EMAIL = {"propertyName": "email", "operator": "HAS_PROPERTY"}


async def post(http: aiohttp.ClientSession, path: str, body: Any) -> tuple[int, Any]:
    async with http.post(path, json=body) as response:
        return response.status, await response.json()


async def found(http: aiohttp.ClientSession, body: dict[str, Any] | None = None) -> list[str]:
    status, answer = await post(http, f"{V}/contacts/search", body or {})
    assert status == 200, answer
    return sorted(r["id"] for r in answer["results"])


# --- limits ----------------------------------------------------------------------------------


async def test_search_takes_five_groups_ten_per_group_and_25_in_all(
    http: aiohttp.ClientSession,
) -> None:
    status, made = await post(http, f"{V}/contacts", {"properties": {"email": "a@x.com"}})
    assert status == 201
    ten = {"filterGroups": [{"filters": [HAS_EMAIL] * 10}]}
    assert await found(http, ten) == [made["id"]]
    most = {"filterGroups": [{"filters": [HAS_EMAIL] * 10}] * 2 + [{"filters": [HAS_EMAIL] * 5}]}
    assert await found(http, most) == [made["id"]]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([[HAS_EMAIL]] * 6, "at most 5 are allowed"),
        ([[HAS_EMAIL] * 11], "at most 10 are allowed"),
        ([[HAS_EMAIL] * 10] * 2 + [[HAS_EMAIL] * 6], "at most 25 are allowed in all"),
    ],
)
async def test_search_refuses_more_than_hubspots_limits(
    http: aiohttp.ClientSession, groups: list[list[dict[str, str]]], message: str
) -> None:
    body = {"filterGroups": [{"filters": group} for group in groups]}
    status, answer = await post(http, f"{V}/contacts/search", body)
    assert status == 400
    assert message in answer["message"]


async def test_search_refuses_a_query_over_3000_characters(http: aiohttp.ClientSession) -> None:
    status, _ = await post(http, f"{V}/contacts/search", {"query": "x" * 3000})
    assert status == 200
    status, answer = await post(http, f"{V}/contacts/search", {"query": "x" * 3001})
    assert status == 400
    assert answer["category"] == "VALIDATION_ERROR"
    assert "3001 characters long; at most 3000" in answer["message"]


# --- the indexing delay ----------------------------------------------------------------------
# The emulator's clock is real time plus what a test advances, so "not yet indexed" is
# checked with a wide margin (DELAY - ADVANCED seconds of real time), never at the edge.

DELAY = 100.0


@pytest.mark.hubspot_emulator(search_delay=DELAY)
async def test_a_create_reaches_search_after_the_delay_on_the_emulators_clock(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, made = await post(http, f"{V}/contacts", {"properties": {"email": "a@x.com"}})
    assert status == 201
    assert await found(http) == []
    # reads by id and batch/read see it at once
    async with http.get(f"{V}/contacts/{made['id']}") as response:
        assert response.status == 200
    status, read = await post(
        http,
        f"{V}/contacts/batch/read",
        {"inputs": [{"id": made["id"]}], "properties": [], "propertiesWithHistory": []},
    )
    assert status == 200
    assert [r["id"] for r in read["results"]] == [made["id"]]
    emu.advance_clock(DELAY - 30)
    assert await found(http) == []
    emu.advance_clock(30)
    assert await found(http) == [made["id"]]


@pytest.mark.hubspot_emulator(search_delay=DELAY)
async def test_search_sees_the_old_values_until_an_update_is_indexed(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    _, made = await post(
        http, f"{V}/contacts", {"properties": {"email": "a@x.com", "firstname": "Ada"}}
    )
    emu.advance_clock(DELAY)
    async with http.patch(
        f"{V}/contacts/{made['id']}", json={"properties": {"firstname": "Grace"}}
    ) as response:
        assert response.status == 200
    emu.advance_clock(DELAY / 2)
    async with http.patch(
        f"{V}/contacts/{made['id']}", json={"properties": {"firstname": "Joan"}}
    ) as response:
        assert response.status == 200

    async def names() -> list[str]:
        body = {"properties": ["firstname"]}
        status, answer = await post(http, f"{V}/contacts/search", body)
        assert status == 200
        return [r["properties"]["firstname"] for r in answer["results"]]

    def by_name(name: str) -> dict[str, Any]:
        return {"filterGroups": [{"filters": [{"propertyName": "firstname", "operator": "EQ",
                                               "value": name}]}]}  # fmt: skip

    assert await names() == ["Ada"]
    assert await found(http, by_name("Grace")) == []
    emu.advance_clock(DELAY / 2)  # the first update is indexed, the second is not yet
    assert await names() == ["Grace"]
    assert await found(http, by_name("Ada")) == []
    emu.advance_clock(DELAY / 2)
    assert await names() == ["Joan"]
    assert await found(http, by_name("Joan")) == [made["id"]]


@pytest.mark.hubspot_emulator(search_delay=DELAY)
async def test_configure_search_delay_zero_indexes_pending_writes_and_later_ones(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    _, first = await post(http, f"{V}/contacts", {"properties": {"email": "a@x.com"}})
    assert await found(http) == []
    assert emu.settings["search_delay"] == DELAY
    emu.configure(search_delay=0)
    assert emu.settings["search_delay"] == 0.0
    assert await found(http) == [first["id"]]
    _, second = await post(http, f"{V}/contacts", {"properties": {"email": "b@x.com"}})
    assert await found(http) == sorted([first["id"], second["id"]])
    emu.configure(search_delay=DELAY)
    _, third = await post(http, f"{V}/contacts", {"properties": {"email": "c@x.com"}})
    assert await found(http) == sorted([first["id"], second["id"]])
    emu.advance_clock(DELAY)
    assert third["id"] in await found(http)
    with pytest.raises(ValueError, match="search_delay"):
        emu.configure(search_delay=-1)
    with pytest.raises(ValueError, match="search_delay"):
        Emulator(search_delay=float("nan"))


async def test_the_admin_endpoint_sets_the_search_delay(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    assert emu.settings["search_delay"] == 0.0
    async with http.post("/_emulator/settings", json={"search_delay": DELAY}) as response:
        assert response.status == 200
        assert (await response.json())["search_delay"] == DELAY
    assert emu.settings["search_delay"] == DELAY
    async with http.post("/_emulator/settings", json={"search_delay": -1}) as response:
        assert response.status == 400
    _, made = await post(http, f"{V}/contacts", {"properties": {"email": "a@x.com"}})
    assert await found(http) == []
    emu.advance_clock(DELAY)
    assert await found(http) == [made["id"]]


def test_the_pytest_fixture_delays_search_by_default(hubspot_emulator: Emulator) -> None:
    assert FIXTURE_SEARCH_DELAY == 3.0
    assert hubspot_emulator.settings["search_delay"] == FIXTURE_SEARCH_DELAY


@pytest.mark.hubspot_emulator(search_delay=0)
def test_the_marker_turns_the_fixtures_delay_off(hubspot_emulator: Emulator) -> None:
    assert hubspot_emulator.settings["search_delay"] == 0.0


def test_the_standalone_emulator_takes_search_delay() -> None:
    assert build_parser().parse_args([]).search_delay == 0.0
    assert build_parser().parse_args(["--search-delay", "2.5"]).search_delay == 2.5
