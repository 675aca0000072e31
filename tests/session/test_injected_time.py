"""The session's clock, sleep and jitter: what the retrier and the bulk engines read.

Retries and the settling of writes wait through ``Session.sleep``, draw jitter from
``Session.random`` and read ``Session.clock``; ``Session.use_time`` replaces them for a
client and every client made from it, which is how the resilience and bulk tests run
their backoffs on virtual time (``support_time.VirtualTime``).
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from aiohttp import web
from support_servers import Serve
from support_time import VirtualTime

from hubcrm import AsyncHubCRM, HubCRM, RetryPolicy
from hubcrm._http.retry import backoff
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


async def test_by_default_the_session_reads_the_real_clock() -> None:
    async with AsyncHubCRM("t", base_url="http://127.0.0.1:9") as crm:
        session = crm._session
        assert session.clock is time
        assert session.sleep is asyncio.sleep
        assert session.random == random.random


async def test_use_time_covers_the_clients_made_from_it_and_the_search_retrier() -> None:
    virtual = VirtualTime()
    async with AsyncHubCRM("t", base_url="http://127.0.0.1:9") as crm:
        quick = crm.with_options(timeout=1)
        virtual.install(crm)
        for session in (crm._session, quick._session, crm._search_retrier.session):
            assert session.clock is virtual
            assert session.sleep == virtual.sleep
            assert session.random == virtual.random


def test_the_blocking_client_takes_it_too() -> None:
    virtual = VirtualTime()
    with HubCRM("t", base_url="http://127.0.0.1:9") as crm:
        assert virtual.install(crm) is crm
        assert crm._async_client._session.clock is virtual


async def test_a_virtual_sleep_yields_to_the_loop_and_moves_the_clock() -> None:
    virtual = VirtualTime()
    ran: list[str] = []

    async def meanwhile() -> None:
        ran.append("other task")

    task = asyncio.ensure_future(meanwhile())
    before, wall, real = virtual.monotonic(), virtual.time(), time.monotonic()
    await virtual.sleep(3600)
    await task
    assert ran == ["other task"]  # it ran during the sleep
    assert virtual.monotonic() - before >= 3600
    assert virtual.time() - wall >= 3600
    assert time.monotonic() - real < 60  # an hour, virtually
    assert virtual.slept == [3600]


async def test_overlapping_virtual_sleeps_share_the_advance() -> None:
    virtual = VirtualTime()
    before = virtual.monotonic()
    await asyncio.gather(virtual.sleep(100), virtual.sleep(100), virtual.sleep(50))
    assert 100 <= virtual.monotonic() - before < 150  # as on a real clock, not 250


async def test_advancing_moves_the_emulators_clock_too(hubspot_emulator: Emulator) -> None:
    virtual = VirtualTime(hubspot_emulator)
    async with virtual.install(
        AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    ) as crm:
        before = await crm.objects.create("contacts", {"email": "a@example.com"})
        await virtual.sleep(3 * 86400)
        after = await crm.objects.create("contacts", {"email": "b@example.com"})
    assert (after.created_at - before.created_at).total_seconds() >= 3 * 86400


async def test_backoffs_wait_on_the_sessions_sleep_with_its_jitter(serve: Serve) -> None:
    answers = iter([503, 503, 200])

    async def handler(request: web.Request) -> web.Response:
        status = next(answers)
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"status": "error", "message": "busy"}, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    virtual = VirtualTime(seed=7)
    async with virtual.install(AsyncHubCRM("t", base_url=url, rate_limit=None)) as crm:
        response = await crm.request("GET", "/anything")
        retries = crm.stats.retries
    assert response.status == 200
    assert sum(retries.values()) == 2
    # The waits the retry loop asked for are the policy's backoffs, drawn from the
    # session's jitter (seeded here), and were slept on the session's sleep.
    jitter = random.Random(7).random
    policy = RetryPolicy()
    assert virtual.slept == [backoff(policy, 1, jitter), backoff(policy, 2, jitter)]
