"""Fixtures shared by every test area.

Async tests run on asyncio through anyio's pytest plugin. The emulator itself comes
from hubcrm's own pytest plugin (the ``hubspot_emulator`` fixture, configured with
``@pytest.mark.hubspot_emulator(...)``); the fixtures here build on it, and serve the
few tests that need a server answering what they script.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from aiohttp import web
from support_proxy import ForwardProxy
from support_redis import RedisServer
from support_servers import Serve, servers
from support_time import VirtualTime
from support_tls import Certificates, make_certificates

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


# --- connection settings: a forward proxy, a TLS server, a clean environment -----------------

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NETRC")


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A certificate authority made for the tests, and a server certificate it signed."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


# aiohttp 3.10 (the oldest version hubcrm allows) may leave a TLS connection's transport
# unclosed when its session closes; the interpreter reports it when it is collected,
# during whichever test runs then, and pytest makes that an error. The newer aiohttp of
# the other CI sessions closes it, and those run the TLS tests.
_LEAKS_TLS = tuple(int(part) for part in aiohttp.__version__.split(".")[:2]) < (3, 11)


@pytest.fixture
async def tls_portal(certificates: Certificates) -> AsyncIterator[str]:
    """A fake HubSpot over HTTPS (contacts: create one, list them; the token endpoint),
    its certificate signed by ``certificates``' CA; yields its base URL."""
    if _LEAKS_TLS:
        pytest.skip(f"aiohttp {aiohttp.__version__} leaves TLS transports unclosed")

    async def create(request: web.Request) -> web.Response:
        await request.read()
        when = "2030-01-01T00:00:00Z"
        record = {"id": "1", "properties": {}, "createdAt": when, "updatedAt": when}
        return web.json_response({**record, "archived": False}, status=201)

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"results": []})

    async def token(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"access_token": "at-1", "expires_in": 1800})

    contacts = "/crm/objects/2026-03/contacts"
    app = web.Application()
    app.router.add_post(contacts, create)
    app.router.add_get(contacts, listing)
    app.router.add_post("/oauth/2026-03/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=certificates.server_context())
    await site.start()
    try:
        yield f"https://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variable from the machine running the tests (nor a .netrc of its own)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NETRC", os.devnull)
    return monkeypatch


@pytest.fixture
async def forward_proxy() -> AsyncIterator[ForwardProxy]:
    """A forward HTTP proxy on 127.0.0.1 (tests/support_proxy.py), no credentials."""
    async with ForwardProxy() as proxy:
        yield proxy
