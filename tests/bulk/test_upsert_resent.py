"""upsert_many resent by the retrier after its first attempt committed and then failed.

The resend's answer calls existing (``new: false``) the records the first attempt made.
Of those created since the batch was first sent (less ``CLOCK_SKEW``) hubcrm cannot
tell whose they are: ``new`` is None, never False. A record older than that existed
before the run: ``new`` stays False. A batch answered on its first attempt keeps
HubSpot's word.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support_time import VirtualTime

from hubcrm import AsyncHubCRM
from hubcrm._write.readback import CLOCK_SKEW
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

N = 200
OLD = (0, 150)  # inputs whose record existed long before the run


def _row(i: int) -> dict[str, str]:
    return {"email": f"u{i}@example.com", "firstname": f"F{i}"}


def _error_after(emu: Emulator) -> None:
    emu.faults.error_after(502, times=1, operation="batch_upsert")


def _disconnect_after(emu: Emulator) -> None:
    emu.faults.disconnect_after(times=1, operation="batch_upsert")


@pytest.mark.hubspot_emulator(rate_limit=None)
@pytest.mark.parametrize("fault", [_error_after, _disconnect_after])
async def test_records_the_first_attempt_made_are_not_reported_as_existing(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
    fault: Callable[[Emulator], None],
) -> None:
    emu = hubspot_emulator
    async with virtual_time.install(
        AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=None)
    ) as crm:
        old = await crm.objects.create_many("contacts", [_row(i) for i in OLD])
        assert old.ok
        virtual_time.advance(CLOCK_SKEW + 5)  # HubSpot's clock too
        fault(emu)
        # One batch at a time: the first (inputs 0-99) meets the fault.
        result = await crm.objects.upsert_many(
            "contacts", [_row(i) for i in range(N)], id_property="email", concurrency=1
        )
    assert result.ok
    assert emu.stats.requests_by_operation["batch_upsert"] == 3  # the first batch twice
    outcomes = result.outcomes
    assert [(o.status, o.new) for i, o in enumerate(outcomes) if i in OLD] == [
        ("updated", False)
    ] * 2
    first = [(o.status, o.new) for o in outcomes[1:100]]
    assert first == [("updated", None)] * 99  # the resend found them: whose is unknown
    second = [(o.status, o.new) for i, o in enumerate(outcomes[100:], 100) if i not in OLD]
    assert second == [("created", True)] * 99  # answered at once: HubSpot's word
    stored = {o["properties"]["email"]: o["id"] for o in emu.objects("contacts")}
    assert len(stored) == N
    assert all(o.object is not None and o.object.id == stored[_row(o.index)["email"]]
               for o in outcomes)  # fmt: skip


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_resend_after_a_clean_refusal_keeps_existing_records_existing(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    # A 503 the emulator answers before processing: the resend is still a resend after
    # an ambiguous failure, but the records it finds were made before the run.
    emu = hubspot_emulator
    async with virtual_time.install(
        AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=None)
    ) as crm:
        assert (await crm.objects.create_many("contacts", [_row(i) for i in range(3)])).ok
        virtual_time.advance(CLOCK_SKEW + 5)
        emu.faults.error_before(503, times=1, operation="batch_upsert")
        result = await crm.objects.upsert_many(
            "contacts", [_row(i) for i in range(5)], id_property="email"
        )
    assert emu.stats.requests_by_operation["batch_upsert"] == 2
    assert [(o.status, o.new) for o in result.outcomes] == [("updated", False)] * 3 + [
        ("created", True)
    ] * 2
