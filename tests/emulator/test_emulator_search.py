"""The emulator's search: HubSpot's current limits and the query length."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

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
