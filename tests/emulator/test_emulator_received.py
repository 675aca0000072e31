"""``emu.received``: the requests the emulator got, as tests read them."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from hubcrm.testing import Emulator
from hubcrm.testing._received import RECEIVED_KEPT, Received

pytestmark = pytest.mark.anyio


async def test_requests_are_kept_as_they_arrived_with_the_token_redacted(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {emu.token}", "X-Thing": "a"}
        async with http.get(
            f"{emu.base_url}/crm/objects/2026-03/contacts/1?properties=email",
            headers=[*headers.items(), ("X-Thing", "b")],
        ) as resp:
            assert resp.status == 404
        async with http.get(f"{emu.base_url}/_emulator/stats") as resp:
            assert resp.status == 200
        async with http.post(f"{emu.base_url}/nowhere", headers={"Authorization": "opaque"}):
            pass
    read, unknown = emu.received
    assert (read.method, read.path, read.query) == (
        "GET",
        "/crm/objects/2026-03/contacts/1",
        "properties=email",
    )
    assert read.headers["authorization"] == "Bearer <redacted>"
    assert read.headers["x-thing"] == "a, b"
    assert emu.token not in str(emu.received)
    assert (unknown.method, unknown.path, unknown.headers["authorization"]) == (
        "POST",
        "/nowhere",
        "<redacted>",
    )
    emu.reset()
    assert emu.received == []


def test_only_the_latest_requests_are_kept() -> None:
    received = Received()
    for n in range(RECEIVED_KEPT + 5):
        received.note(make_mocked_request("GET", f"/r/{n}"))
    kept = [r.path for r in received.requests]
    assert len(kept) == RECEIVED_KEPT
    assert (kept[0], kept[-1]) == ("/r/5", f"/r/{RECEIVED_KEPT + 4}")
