"""Connection slots: first come, first served, never more than the pool's size in use,
and a cancelled waiter neither keeps a slot nor loses one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hubcrm import AsyncHubCRM
from hubcrm._http.slots import Slots
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_waiters_are_served_in_order_and_free_stays_zero_while_they_wait() -> None:
    slots = Slots(1)
    await slots.acquire()
    assert slots.free == 0
    assert slots.locked()
    served: list[int] = []

    async def waiter(n: int) -> None:
        await slots.acquire()
        served.append(n)

    tasks = [asyncio.create_task(waiter(n)) for n in range(3)]
    await _settle()
    assert served == []
    for expected in ([0], [0, 1], [0, 1, 2]):
        slots.release()
        assert slots.free == 0  # handed over, not freed: nobody can jump the queue
        await _settle()
        assert served == expected
    slots.release()
    assert slots.free == 1
    assert not slots.locked()
    await asyncio.gather(*tasks)


async def test_a_cancelled_waiter_leaves_the_queue() -> None:
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await _settle()
    first.cancel()
    await _settle()
    slots.release()
    await _settle()
    assert second.done()
    assert not second.cancelled()
    slots.release()
    assert slots.free == 1


async def test_a_waiter_cancelled_as_its_slot_arrives_passes_it_on() -> None:
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await _settle()
    slots.release()  # handed to first...
    first.cancel()  # ...which is cancelled before it runs
    await _settle()
    assert first.cancelled()
    assert second.done()
    assert not second.cancelled()
    slots.release()
    assert slots.free == 1


async def test_a_cancelled_waiter_dropped_by_a_release_is_not_removed_twice() -> None:
    slots = Slots(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    await _settle()
    waiter.cancel()  # its future is cancelled; the task has not run yet
    slots.release()  # drops the cancelled future, frees the slot
    await _settle()
    assert waiter.cancelled()
    assert slots.free == 1


async def test_the_pool_size_bounds_the_requests_in_flight(hubspot_emulator: Emulator) -> None:
    async with AsyncHubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, max_connections=3
    ) as crm:
        await crm.objects.create("contacts", {"email": "first@example.com"})
        transport = crm._session.transport
        exchange = transport.exchange
        in_flight = peak = 0

        async def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await exchange(*args, **kwargs)
            finally:
                in_flight -= 1

        transport.exchange = counted  # type: ignore[method-assign]
        await asyncio.gather(
            *(crm.objects.create("contacts", {"email": f"c{i}@example.com"}) for i in range(20))
        )
    assert peak == 3
    assert hubspot_emulator.count("contacts") == 21
