"""Fixtures shared by every test area.

Async tests run on asyncio through anyio's pytest plugin. The emulator itself comes
from hubcrm's own pytest plugin (the ``hubspot_emulator`` fixture, configured with
``@pytest.mark.hubspot_emulator(...)``); the fixtures here build on it, and serve the
few tests that need a server answering what they script.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import pytest
from support_redis import RedisServer
from support_servers import Serve, servers
from support_time import VirtualTime

from hubcrm import AsyncHubCRM, HubCRM
from hubcrm.testing import Emulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- clients of the emulator ------------------------------------------------------------------


@pytest.fixture
async def crm(hubspot_emulator: Emulator) -> AsyncIterator[AsyncHubCRM]:
    """An :class:`AsyncHubCRM` with default settings, talking to ``hubspot_emulator``."""
    async with AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as client:
        yield client


@pytest.fixture
def sync_crm(hubspot_emulator: Emulator) -> Iterator[HubCRM]:
    """A :class:`HubCRM` with default settings, talking to ``hubspot_emulator``."""
    with HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as client:
        yield client


@pytest.fixture
def virtual_time(request: pytest.FixtureRequest) -> VirtualTime:
    """``virtual_time.install(client)`` puts a client's backoffs on virtual time.

    When the test uses ``hubspot_emulator``, the emulator's clock moves with it.
    """
    emulator = None
    if "hubspot_emulator" in request.fixturenames:
        emulator = request.getfixturevalue("hubspot_emulator")
    return VirtualTime(emulator)


# --- servers of a test's own ------------------------------------------------------------------


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(app)`` serves an aiohttp app on 127.0.0.1 and returns its base URL.

    For a fake HubSpot (or token endpoint) that answers what the test scripts; every
    app served is cleaned up when the test ends.
    """
    async with servers() as start:
        yield start


@pytest.fixture
def unused_port() -> Iterator[int]:
    """A port on 127.0.0.1 where nothing listens: connecting to it is refused.

    The port stays bound (not listening) for the whole test, so nothing else takes it.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port


# --- Redis ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the whole run; tests keep apart by unique keys."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start (an outage)."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
