"""Reading the portal's definitions: a fixed number of requests per type, cached per
client, read again on ``refresh=True`` or when stale; a definition the token may not
read skips only the checks that need it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from conftest import ARCHIVED_OWNER
from support_servers import Serve

from hubcrm import AsyncHubCRM, SkippedCheck
from hubcrm._core.config import PORTAL_DEFINITIONS_TTL
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

DEAL = {"dealname": "Deal", "pipeline": "default", "dealstage": "closedwon"}
# properties, validation rules, pipelines, live owners, archived owners
DEAL_READS = 5


async def test_definitions_are_read_once_and_never_per_input(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    before = len(portal.received)
    report = await crm.objects.validate("deals", [DEAL] * 500)
    assert report.requests == DEAL_READS
    assert len(portal.received) - before == DEAL_READS
    again = await crm.objects.validate("deals", [{**DEAL, "tier": "x"}])
    assert again.requests == 0
    assert len(portal.received) - before == DEAL_READS
    assert [p.code for p in again.problems] == ["INVALID_OPTION"]


async def test_refresh_reads_the_definitions_again(portal: Emulator, crm: AsyncHubCRM) -> None:
    first = await crm.objects.validate("deals", [{**DEAL, "hubspot_owner_id": "100000009"}])
    assert [p.code for p in first.problems] == ["INVALID_OWNER_ID"]
    portal.add_owner("new@example.com", owner_id="100000009")
    cached = await crm.objects.validate("deals", [{**DEAL, "hubspot_owner_id": "100000009"}])
    assert cached.requests == 0
    assert not cached.ok  # the cache still has the old owners
    fresh = await crm.objects.validate(
        "deals", [{**DEAL, "hubspot_owner_id": "100000009"}], refresh=True
    )
    assert fresh.requests == DEAL_READS
    assert fresh.ok


async def test_stale_definitions_are_read_again(portal: Emulator, crm: AsyncHubCRM) -> None:
    now = [1000.0]
    reader = crm.objects._definitions
    reader._clock = lambda: now[0]
    assert (await crm.objects.validate("deals", [DEAL])).requests == DEAL_READS
    now[0] += PORTAL_DEFINITIONS_TTL - 1
    assert (await crm.objects.validate("deals", [DEAL])).requests == 0
    now[0] += 2
    assert (await crm.objects.validate("deals", [DEAL])).requests == DEAL_READS


async def test_each_type_is_cached_apart(portal: Emulator, crm: AsyncHubCRM) -> None:
    await crm.objects.validate("deals", [DEAL])
    contacts = await crm.objects.validate("contacts", [{"email": "a@example.com"}])
    assert contacts.requests == 4  # no pipelines for contacts
    cars = await crm.objects.validate(f"p{portal.portal_id}_cars", [{"model": "T"}])
    assert cars.requests == 6  # the schema, properties, rules, pipelines, owners (2)


@pytest.fixture
async def forbidding(portal: Emulator, serve: Serve) -> AsyncIterator[tuple[AsyncHubCRM, set[str]]]:
    """A client whose token may not read what the set names (part of a path and query): a proxy in
    front of the emulator answers those reads 403 MISSING_SCOPES."""
    forbidden: set[str] = set()
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        if any(part in request.path_qs for part in forbidden):
            return web.json_response(
                {
                    "status": "error",
                    "message": "This app hasn't been granted all required scopes",
                    "category": "MISSING_SCOPES",
                    "errors": [
                        {
                            "message": "missing scopes",
                            "context": {"requiredGranularScopes": ["crm.objects.owners.read"]},
                        }
                    ],
                },
                status=403,
            )
        async with session.request(
            request.method,
            portal.base_url + request.rel_url.human_repr(),
            headers={"Authorization": request.headers["Authorization"]},
            data=await request.read() or None,
        ) as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    base = await serve(app)
    try:
        async with AsyncHubCRM(portal.token, base_url=base) as client:
            yield client, forbidden
    finally:
        await session.close()


async def test_a_forbidden_owners_read_skips_only_the_owner_check(
    forbidding: tuple[AsyncHubCRM, set[str]],
) -> None:
    crm, forbidden = forbidding
    forbidden.add("/crm/owners/")
    report = await crm.objects.validate(
        "deals", [{**DEAL, "hubspot_owner_id": ARCHIVED_OWNER}, {**DEAL, "tier": "none"}]
    )
    assert [(p.index, p.code) for p in report.problems] == [(1, "INVALID_OPTION")]
    assert [s.check for s in report.skipped if s.property is None] == ["owners"]
    assert "crm.objects.owners.read" in report.skipped[0].reason


async def test_forbidden_properties_skip_the_property_checks_only(
    forbidding: tuple[AsyncHubCRM, set[str]],
) -> None:
    crm, forbidden = forbidding
    forbidden.update(("/crm/properties/", "/crm/property-validations/"))
    report = await crm.objects.validate(
        "deals",
        [
            {**DEAL, "tier": "none", "nope": "1"},
            {**DEAL, "hubspot_owner_id": ARCHIVED_OWNER},
            {**DEAL, "pipeline": "p2"},
        ],
    )
    assert [(p.index, p.code) for p in report.problems] == [
        (1, "INVALID_OWNER_ID"),
        (2, "INVALID_OPTION"),
    ]
    assert {s.check for s in report.skipped} == {"properties", "validation_rules"}
    assert all(isinstance(s, SkippedCheck) for s in report.skipped)


async def test_forbidden_archived_owners_still_check_the_live_ones(
    forbidding: tuple[AsyncHubCRM, set[str]],
) -> None:
    crm, forbidden = forbidding
    forbidden.add("archived=true")  # only the archived owners are read so
    report = await crm.objects.validate("deals", [{**DEAL, "hubspot_owner_id": ARCHIVED_OWNER}])
    (problem,) = report.problems
    assert problem.code == "INVALID_OWNER_ID"
    assert "names no owner" in problem.message  # whether it is archived is unknown
    assert report.skipped == (SkippedCheck("rule", report.skipped[0].reason, "dealname"),)
