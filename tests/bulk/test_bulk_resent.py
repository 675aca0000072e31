"""retry_writes="always": an ambiguous batch whose first attempt committed.

The retrier settles the batch by reading its inputs back by their unique key (and a
resend that meets its own records as 409s is read back the same way). Those inputs are
created (``read_back=True``), not failed; a record made before the batch (by an earlier
input of the run with the same email, or older than the run) stays a ``ConflictError``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from support_time import VirtualTime

from hubcrm import AsyncHubCRM, ConflictError, OutcomeUnknownError
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


def _contact(i: int) -> dict[str, str]:
    return {"email": f"c{i}@example.com", "firstname": f"First{i}"}


def _client(emu: Emulator, time: VirtualTime, **kwargs: Any) -> AsyncHubCRM:
    """A client whose backoffs and clock are ``time``'s."""
    return time.install(
        AsyncHubCRM(
            emu.token, base_url=emu.base_url, rate_limit=None, retry_writes="always", **kwargs
        )
    )


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_resent_batch_that_meets_its_own_records_reports_them_created(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, operation="batch_create")
    rows = [_contact(i) for i in range(5)]
    async with _client(hubspot_emulator, virtual_time) as crm:
        result = await crm.objects.create_many("contacts", rows)
    assert crm.stats.read_backs >= 1  # settled by reading the records back, not resent
    assert result.ok
    assert [o.status for o in result.outcomes] == ["created"] * 5
    assert all(o.read_back and o.new is True and o.error is None for o in result.outcomes)
    stored = {o["properties"]["email"]: o["id"] for o in hubspot_emulator.objects("contacts")}
    assert len(stored) == 5  # no duplicate
    for row, outcome in zip(rows, result.outcomes, strict=True):
        assert outcome.object is not None
        assert outcome.object.id == stored[row["email"]]
        assert outcome.object.properties["firstname"] == row["firstname"]


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_an_answer_read_as_written_is_not_marked_read_back(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    async with _client(hubspot_emulator, virtual_time) as crm:
        result = await crm.objects.create_many("contacts", [_contact(i) for i in range(3)])
    assert result.ok
    assert not any(o.read_back for o in result.outcomes)
    assert hubspot_emulator.stats.requests_by_operation.get("read", 0) == 0


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_later_input_with_the_same_email_still_gets_its_conflict(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    # The duplicate waits for the first one's batch; its record was made by that earlier
    # batch (no later than its answer), not by the duplicate's own: a real conflict.
    rows = [_contact(i) for i in range(5)] + [_contact(2)]
    async with _client(hubspot_emulator, virtual_time) as crm:
        result = await crm.objects.create_many("contacts", rows, batch_size=5)
    assert [o.status for o in result.outcomes] == ["created"] * 5 + ["failed"]
    dup = result.outcomes[5]
    assert isinstance(dup.error, ConflictError)
    assert dup.error.existing_id == result.outcomes[2].object.id  # type: ignore[union-attr]
    assert not dup.read_back
    assert hubspot_emulator.count("contacts") == 5


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_record_older_than_the_run_stays_a_conflict(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    async with _client(hubspot_emulator, virtual_time) as crm:
        old = await crm.objects.create("contacts", _contact(0))
        # Two minutes later, on both clocks (the client's, which the bulk engine reads,
        # and HubSpot's): the record is older than the clock-skew tolerance when the run
        # begins.
        virtual_time.advance(120)
        hubspot_emulator.faults.error_after(502, times=1, operation="batch_create")
        result = await crm.objects.create_many("contacts", [_contact(0), _contact(1)])
    first, second = result.outcomes
    assert first.status == "failed"
    assert isinstance(first.error, ConflictError)
    assert first.error.existing_id == old.id
    assert (second.status, second.read_back) == ("created", True)
    assert Counter(o["properties"]["email"] for o in hubspot_emulator.objects("contacts")) == {
        "c0@example.com": 1,
        "c1@example.com": 1,
    }


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_record_that_cannot_be_read_back_leaves_the_outcome_unknown(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, operation="batch_create")
    # Every read back is refused.
    hubspot_emulator.faults.error_before(403, probability=1.0, operation="batch_read")
    async with _client(hubspot_emulator, virtual_time) as crm:
        result = await crm.objects.create_many("contacts", [_contact(i) for i in range(3)])
    assert [o.status for o in result.outcomes] == ["unknown"] * 3
    assert all(isinstance(o.error, OutcomeUnknownError) for o in result.outcomes)
    assert hubspot_emulator.count("contacts") == 3
