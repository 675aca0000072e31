"""A cancelled ``iter_create_many``: inputs whose batch never left the rate limiter are
taken but not sent, not in flight (the warning says so, and ``cancel_report`` too)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest
from support_time import wait_until

from hubcrm import AsyncHubCRM, BulkOutcome, RateLimit
from hubcrm._write.bulk import cancel_report
from hubcrm.testing import Emulator

pytestmark = [pytest.mark.anyio, pytest.mark.hubspot_emulator(rate_limit=None)]


async def test_a_batch_waiting_for_the_limiter_is_not_in_flight_at_a_cancellation(
    hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = hubspot_emulator
    emu.faults.latency(60, operation="batch_create")  # the first batch stays in flight
    reported: list[tuple[list[int], list[BulkOutcome]]] = []

    def report(lost: Sequence[int], unyielded: Sequence[BulkOutcome]) -> None:
        reported.append((list(lost), list(unyielded)))

    inputs = [{"email": f"c{i}@example.com"} for i in range(10)]
    # One request a minute: the second batch waits for the limiter, never sent.
    limit = RateLimit.parse("1/60")
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=limit) as crm:

        async def consume() -> None:
            cancel_report.set(report)
            outcomes = crm.objects.iter_create_many("contacts", inputs, batch_size=5, concurrency=2)
            async for _ in outcomes:
                pass

        task = asyncio.create_task(consume())
        await wait_until(
            lambda: emu.stats.requests_by_operation.get("batch_create", 0) == 1,
            "the first batch reached the emulator",
        )
        caplog.set_level(logging.WARNING, logger="hubcrm")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert emu.stats.requests_by_operation.get("batch_create", 0) == 1
    [(lost, unyielded)] = reported
    assert sorted(lost) == [0, 1, 2, 3, 4]
    assert unyielded == []
    warning = caplog.text
    assert "5 inputs in flight, whose outcome is unknown (indexes 0 to 4)" in warning
    assert "5 inputs taken but not sent" in warning
