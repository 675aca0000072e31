"""``Response.resent_after_ambiguous``: set only when an earlier attempt of the request
failed ambiguously (it may have been processed), not after a rate limit."""

from __future__ import annotations

import pytest
from support_time import VirtualTime

from hubcrm import AsyncHubCRM
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"


async def test_a_resend_after_an_ambiguous_failure_is_marked(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    fast = virtual_time.install(crm)
    record = await fast.objects.create("contacts", {"email": "ada@example.com"})
    path = f"{V}/contacts/{record.id}"
    assert not (await fast.request("GET", path)).resent_after_ambiguous
    hubspot_emulator.faults.error_before(429, times=1, retry_after=0.1, operation="read")
    assert not (await fast.request("GET", path)).resent_after_ambiguous  # not processed
    hubspot_emulator.faults.error_after(502, times=1, operation="read")
    assert (await fast.request("GET", path)).resent_after_ambiguous
    assert hubspot_emulator.stats.requests_by_operation["read"] == 5
