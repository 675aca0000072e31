"""Paging through HubSpot's lists (iter_all, search, associations.list) against a server
answering scripted pages: the cursor followed, the last page, malformed answers, and
search's 10,000-result ceiling."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from typing import Any

import attrs
import pytest
from aiohttp import web
from support_servers import Serve

from hubcrm import AsyncHubCRM, ResponseParseError, SearchCapError

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"


@attrs.frozen
class Seen:
    """One request the scripted server received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@attrs.define
class Script:
    """The server's base URL, what it received, and the answers it has left to give."""

    url: str
    seen: list[Seen]
    answers: list[Any]  # JSON values, answered with 200 in order


@pytest.fixture
async def script(serve: Serve) -> Script:
    seen: list[Seen] = []
    answers: list[Any] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        seen.append(Seen(request.method, request.path, dict(request.query), body))
        return web.json_response(answers.pop(0))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return Script(await serve(app), seen, answers)


def record(i: int) -> dict[str, Any]:
    return {
        "id": str(i),
        "properties": {},
        "createdAt": "2024-01-01T00:00:00.000Z",
        "updatedAt": "2024-01-01T00:00:00.000Z",
        "archived": False,
    }


def association(i: int) -> dict[str, Any]:
    return {
        "toObjectId": i,
        "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 1, "label": None}],
    }


@attrs.frozen
class Listing:
    """One paging method: how to start it, its path, its items, how an item is read."""

    start: Callable[[AsyncHubCRM], AsyncGenerator[Any, None]]
    method: str
    path: str
    item: Callable[[int], dict[str, Any]]
    read: Callable[[Any], str]


LISTINGS = {
    "iter_all": Listing(
        lambda crm: crm.objects.iter_all("contacts", page_size=2),
        "GET",
        f"{V}/contacts",
        record,
        lambda r: r.id,
    ),
    "search": Listing(
        lambda crm: crm.objects.search("contacts", page_size=2),
        "POST",
        f"{V}/contacts/search",
        record,
        lambda r: r.id,
    ),
    "associations.list": Listing(
        lambda crm: crm.associations.list("contacts", "1", "companies", page_size=2),
        "GET",
        f"{V}/contacts/1/associations/companies",
        association,
        lambda r: r.to_id,
    ),
}


def page(items: list[dict[str, Any]], after: object = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"results": items}
    if after is not None:
        answer["paging"] = {"next": {"after": after, "link": "?after=x"}}
    return answer


def cursor(listing: Listing, seen: Seen) -> object:
    """Where a page request carries its cursor: the query (GET) or the body (search)."""
    return seen.query.get("after") if listing.method == "GET" else seen.body.get("after")


async def read(listing: Listing, url: str, into: list[str]) -> None:
    async with AsyncHubCRM("t", base_url=url, rate_limit=None, search_rate_limit=None) as crm:
        async for item in listing.start(crm):
            into.append(listing.read(item))


@pytest.mark.parametrize("name", LISTINGS)
async def test_the_cursor_is_followed_to_the_last_page(script: Script, name: str) -> None:
    listing = LISTINGS[name]
    script.answers += [
        page([listing.item(1), listing.item(2)], after="c2"),
        page([listing.item(3), listing.item(4)], after=4),  # a number: sent as text
        page([listing.item(5)], after=""),  # an empty cursor ends the listing
    ]
    got: list[str] = []
    await read(listing, script.url, got)
    assert got == ["1", "2", "3", "4", "5"]
    assert [(s.method, s.path) for s in script.seen] == [(listing.method, listing.path)] * 3
    assert [cursor(listing, s) for s in script.seen] == [None, "c2", "4"]
    assert script.answers == []


@pytest.mark.parametrize("name", LISTINGS)
async def test_a_page_without_a_cursor_is_the_last(script: Script, name: str) -> None:
    listing = LISTINGS[name]
    script.answers += [page([listing.item(1)], after="c2"), {"results": [], "paging": {}}]
    got: list[str] = []
    await read(listing, script.url, got)
    assert got == ["1"]
    assert len(script.seen) == 2


@pytest.mark.parametrize("name", LISTINGS)
@pytest.mark.parametrize(
    "answer",
    [[], "text", {"results": None}, {"results": {"0": {}}}, {"paging": {}}],
    ids=["list", "string", "null-results", "object-results", "no-results"],
)
async def test_a_malformed_page_is_a_parse_error_naming_the_path(
    script: Script, name: str, answer: object
) -> None:
    listing = LISTINGS[name]
    script.answers += [page([listing.item(1), listing.item(2)], after="c2"), answer]
    got: list[str] = []
    with pytest.raises(ResponseParseError, match="'results' list") as caught:
        await read(listing, script.url, got)
    assert listing.path in str(caught.value)
    assert got == ["1", "2"]  # the good page was handed over first
    assert len(script.seen) == 2


async def test_search_pages_within_the_10000_ceiling_then_raises(script: Script) -> None:
    script.answers += [
        {**page([record(1)], after="9900"), "total": 10_050},
        page([record(2)], after="10000"),
    ]
    got: list[str] = []
    search = attrs.evolve(
        LISTINGS["search"], start=lambda crm: crm.objects.search("contacts", page_size=200)
    )
    with pytest.raises(SearchCapError) as caught:
        await read(search, script.url, got)
    assert got == ["1", "2"]
    assert caught.value.total == 10_050
    assert caught.value.cap == 10_000
    # The last page is asked for with a limit that stops at the ceiling, and the page
    # past it is never asked for.
    assert [s.body.get("after") for s in script.seen] == [None, "9900"]
    assert [s.body["limit"] for s in script.seen] == [200, 100]
