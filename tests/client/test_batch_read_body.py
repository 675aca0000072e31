"""``get_many``'s ``batch/read``: the body HubSpot's schema requires (``properties`` and
``propertiesWithHistory`` always), and ``archived`` (a query parameter)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from support_servers import Serve

from hubcrm import AsyncHubCRM, HubCRM
from hubcrm.testing import Emulator

V = "/crm/objects/2026-03"


@pytest.mark.anyio
async def test_get_many_always_sends_both_lists_and_archived_as_a_query(serve: Serve) -> None:
    seen: list[tuple[dict[str, str], Any]] = []

    async def batch_read(request: web.Request) -> web.Response:
        seen.append((dict(request.query), await request.json()))
        record = {
            "id": "1",
            "properties": {"email": "a@x.com"},
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "archived": False,
        }
        return web.json_response({"status": "COMPLETE", "results": [record]})

    app = web.Application()
    app.router.add_post(f"{V}/contacts/batch/read", batch_read)
    base_url = await serve(app)
    async with AsyncHubCRM("token", base_url=base_url) as crm:
        await crm.objects.get_many("contacts", ["1"])
        await crm.objects.get_many("contacts", ["1"], properties=["email"], archived=True)
        with pytest.raises(TypeError, match="archived"):
            await crm.objects.get_many("contacts", ["1"], archived="yes")  # type: ignore[arg-type]
    assert seen == [
        ({}, {"inputs": [{"id": "1"}], "properties": [], "propertiesWithHistory": []}),
        (
            {"archived": "true"},
            {"inputs": [{"id": "1"}], "properties": ["email"], "propertiesWithHistory": []},
        ),
    ]


def test_get_many_reads_archived_records(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    with HubCRM(emu.token, base_url=emu.base_url) as crm:
        kept, gone = crm.objects.create_many(
            "contacts", [{"email": "kept@x.com"}, {"email": "gone@x.com"}]
        ).results
        assert kept is not None
        assert gone is not None
        crm.objects.archive("contacts", gone.id)
        ids = [kept.id, gone.id]
        live = crm.objects.get_many("contacts", ids)
        assert [None if r is None else r.id for r in live] == [kept.id, None]
        archived = crm.objects.get_many("contacts", ids, archived=True)
        assert archived[0] is None
        assert archived[1] is not None
        assert archived[1].archived
        assert archived[1].properties["email"] == "gone@x.com"
        by_email = crm.objects.get_many(
            "contacts", ["gone@x.com", "kept@x.com"], id_property="email", archived=True
        )
        assert [None if r is None else r.id for r in by_email] == [gone.id, None]
