"""OAuth token provider: refresh, rotation, single-flight, invalidation, failures.

Everything runs against the emulator's token endpoint over real HTTP; a small aiohttp
server stands in for a token endpoint that answers with malformed bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from support_servers import Serve
from support_time import VirtualClock, wait_until

from hubcrm import (
    APIConnectionError,
    APITimeoutError,
    AsyncHubCRM,
    AuthenticationError,
    HubCRMError,
    RateLimitError,
    ResponseParseError,
    ServerError,
)
from hubcrm._http.auth import OAuth, StaticToken, TokenProvider, TokenSet
from hubcrm.testing import Emulator

CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret-s3cr3t"
TOKEN_PATH = "/oauth/2026-03/token"
CONTACTS = "/crm/objects/2026-03/contacts"


def oauth(emu: Emulator, refresh_token: str, **kwargs: Any) -> OAuth:
    kwargs.setdefault("token_url", emu.base_url + TOKEN_PATH)
    return OAuth(CLIENT_ID, CLIENT_SECRET, refresh_token, **kwargs)


def register(emu: Emulator, *, rotate: bool = False) -> str:
    return emu.register_oauth_app(CLIENT_ID, CLIENT_SECRET, rotate_refresh_tokens=rotate)


def token_requests(emu: Emulator) -> int:
    return emu.stats.requests_by_operation.get("token", 0)


async def create_contact(emu: Emulator, token: str) -> tuple[int, dict[str, Any]]:
    """A plain aiohttp create: the token must work for HubSpot, not only for hubcrm."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            emu.base_url + CONTACTS,
            json={"properties": {}},
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        return resp.status, await resp.json()


async def post_refresh(emu: Emulator, refresh_token: str) -> int:
    form = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(emu.base_url + TOKEN_PATH, data=form) as resp,
    ):
        await resp.read()
        return resp.status


def advance(emu: Emulator, clock: VirtualClock, seconds: float) -> None:
    """Time passes for both sides: the provider's clock and HubSpot's."""
    clock.advance(seconds)
    emu.advance_clock(seconds)


# --- first use, base URL, the token works ----------------------------------------------------


@pytest.mark.anyio
async def test_first_use_refreshes_once_and_the_token_creates_a_contact(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    auth = oauth(emu, register(emu))
    assert isinstance(auth, TokenProvider)
    assert auth.refreshes == 0
    assert token_requests(emu) == 0  # nothing happens before first use

    first = await auth.token()
    again = await auth.token()

    assert first == again
    assert first.startswith("emu-at-")
    assert auth.refreshes == 1
    assert emu.stats.oauth_refreshes == 1
    assert emu.stats.requests_by_operation == {"token": 1}
    status, body = await create_contact(emu, first)
    assert status == 201, body
    assert emu.count("contacts") == 1


@pytest.mark.anyio
async def test_default_token_url_follows_the_clients_base_url(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    auth = OAuth(CLIENT_ID, CLIENT_SECRET, register(emu))
    assert auth.token_url == "https://api.hubapi.com/oauth/2026-03/token"

    auth._use_base_url(emu.base_url + "/")

    assert auth.token_url == emu.base_url + TOKEN_PATH
    token = await auth.token()
    assert (await create_contact(emu, token))[0] == 201
    assert emu.stats.oauth_refreshes == 1


@pytest.mark.anyio
async def test_explicit_token_url_wins_over_base_url(
    hubspot_emulator: Emulator, unused_port: int
) -> None:
    emu = hubspot_emulator
    auth = oauth(emu, register(emu))
    auth._use_base_url(f"http://127.0.0.1:{unused_port}")  # nothing listens there

    await auth.token()

    assert auth.token_url == emu.base_url + TOKEN_PATH
    assert emu.stats.oauth_refreshes == 1


def test_one_oauth_serves_clients_of_one_base_url_only(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    auth = OAuth(CLIENT_ID, CLIENT_SECRET, register(emu))
    AsyncHubCRM(auth, base_url=emu.base_url)
    AsyncHubCRM(auth, base_url=emu.base_url + "/")  # the same portal: shared
    with pytest.raises(ValueError, match="needs an OAuth of its own"):
        AsyncHubCRM(auth, base_url="http://127.0.0.1:9")
    assert auth.token_url == emu.base_url + TOKEN_PATH  # the first client's, unchanged
    pinned = OAuth(CLIENT_ID, CLIENT_SECRET, "r", token_url=emu.base_url + TOKEN_PATH)
    AsyncHubCRM(pinned, base_url=emu.base_url)
    AsyncHubCRM(pinned, base_url="http://127.0.0.1:9")  # token_url given: no conflict


# --- a client's refreshes go through the client's transport ----------------------------------


class PortalOverOneConnection:
    """A token endpoint and a contacts endpoint, recording each request's connection."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, str]] = []  # (path, client port, User-Agent)

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        port = peer[1] if peer else -1
        self.seen.append((request.path, port, request.headers.get("User-Agent", "")))
        if request.path == TOKEN_PATH:
            return web.json_response({"access_token": "at-1", "expires_in": 1800})
        return web.json_response(
            {
                "id": str(len(self.seen)),
                "properties": {},
                "createdAt": "2030-01-01T00:00:00Z",
                "updatedAt": "2030-01-01T00:00:00Z",
                "archived": False,
            },
            status=201,
        )


@pytest.mark.anyio
async def test_a_clients_refresh_goes_through_its_connection_pool(serve: Serve) -> None:
    portal = PortalOverOneConnection()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", portal.handle)
    url = await serve(app)
    auth = OAuth(CLIENT_ID, CLIENT_SECRET, "rt-s3cr3t")
    async with AsyncHubCRM(auth, base_url=url, max_connections=1, rate_limit=None) as crm:
        await crm.objects.create("contacts", {"email": "a@example.com"})
        auth.invalidate("at-1")
        await crm.objects.create("contacts", {"email": "b@example.com"})
    assert [path for path, _, _ in portal.seen] == [TOKEN_PATH, CONTACTS, TOKEN_PATH, CONTACTS]
    # One connection for all four: the refreshes used the client's pool (its one
    # connection), not a connection of their own, and carry the pool's default headers.
    assert len({port for _, port, _ in portal.seen}) == 1
    assert all(agent.startswith("hubcrm/") for _, _, agent in portal.seen)


@pytest.mark.anyio
async def test_a_closed_oauth_client_fails_at_once_without_a_refresh(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    crm = AsyncHubCRM(OAuth(CLIENT_ID, CLIENT_SECRET, register(emu)), base_url=emu.base_url)
    await crm.aclose()
    with pytest.raises(HubCRMError, match="closed") as info:
        await crm.objects.create("contacts", {"email": "late@example.com"})
    assert type(info.value) is HubCRMError  # not a connection error, which would be retried
    assert emu.stats.requests == 0
    assert crm.stats.retries == {}


# --- rotation and on_refresh -------------------------------------------------------------------


@pytest.mark.anyio
async def test_rotated_refresh_token_is_kept_and_handed_to_on_refresh(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    initial = register(emu, rotate=True)
    seen: list[TokenSet] = []
    auth = oauth(emu, initial, on_refresh=seen.append)

    tokens = []
    for _ in range(3):
        tokens.append(await auth.token())
        auth.invalidate(tokens[-1])

    # Each refresh used the refresh token the previous one rotated in; the emulator
    # refuses a used one, so three successes prove it was kept.
    assert auth.refreshes == 3
    assert emu.stats.oauth_refreshes == 3
    assert token_requests(emu) == 3
    assert len(set(tokens)) == 3
    assert [ts.access_token for ts in seen] == tokens
    refresh_tokens = [ts.refresh_token for ts in seen]
    assert len(set(refresh_tokens)) == 3
    assert initial not in refresh_tokens
    assert await post_refresh(emu, initial) == 400  # the first one really was rotated out
    assert await post_refresh(emu, refresh_tokens[-1]) == 200  # the last one is live


@pytest.mark.anyio
async def test_on_refresh_sync_receives_the_token_set(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    refresh_token = register(emu)
    seen: list[TokenSet] = []
    clock = VirtualClock()
    auth = oauth(emu, refresh_token, on_refresh=seen.append, clock=clock)
    issued = clock.time()

    token = await auth.token()

    assert len(seen) == 1
    assert seen[0].access_token == token
    assert seen[0].refresh_token == refresh_token  # not rotated: the same one
    assert seen[0].expires_at == issued + 1800  # the emulator's tokens live 30 minutes
    await auth.token()
    assert len(seen) == 1  # no refresh, no call


@pytest.mark.anyio
async def test_on_refresh_async_is_awaited_after_the_tokens_are_updated(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    seen: list[tuple[TokenSet, str]] = []

    async def persist(token_set: TokenSet) -> None:
        await asyncio.sleep(0)  # really suspends: the callback is awaited, not just called
        # The new token is already current: asking for it does not refresh again.
        seen.append((token_set, await auth.token()))

    auth = oauth(emu, register(emu, rotate=True), on_refresh=persist)

    token = await auth.token()

    assert len(seen) == 1
    token_set, current = seen[0]
    assert token_set.access_token == token == current
    assert token_set.refresh_token.startswith("emu-rt-")
    assert auth.refreshes == 1
    assert emu.stats.oauth_refreshes == 1


@pytest.mark.anyio
async def test_on_refresh_raising_propagates_and_the_tokens_are_kept(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    calls: list[TokenSet] = []

    def persist(token_set: TokenSet) -> None:
        calls.append(token_set)
        raise OSError("disk full")

    auth = oauth(emu, register(emu, rotate=True), on_refresh=persist)

    results = await asyncio.gather(*(auth.token() for _ in range(10)), return_exceptions=True)

    # Every caller that waited on that refresh hears about the failed persist.
    assert len(results) == 10
    assert all(isinstance(r, OSError) and str(r) == "disk full" for r in results)
    assert len(calls) == 1
    assert emu.stats.oauth_refreshes == 1
    # The new tokens are in use anyway; the callback is not called again for them.
    token = await auth.token()
    assert token == calls[0].access_token
    assert len(calls) == 1
    assert emu.stats.oauth_refreshes == 1
    assert (await create_contact(emu, token))[0] == 201


# --- single-flight and expiry --------------------------------------------------------------------


@pytest.mark.anyio
async def test_100_concurrent_callers_cause_one_refresh(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    emu.faults.latency(0.2, operation="token", times=5)  # a slow endpoint widens the race
    auth = oauth(emu, register(emu, rotate=True))

    tokens = await asyncio.gather(*(auth.token() for _ in range(100)))

    assert len(tokens) == 100
    assert len(set(tokens)) == 1
    assert auth.refreshes == 1
    assert emu.stats.oauth_refreshes == 1
    assert token_requests(emu) == 1


@pytest.mark.anyio
async def test_a_cancelled_caller_does_not_cancel_the_shared_refresh(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    emu.faults.latency(0.3, operation="token")
    auth = oauth(emu, register(emu))

    tasks = [asyncio.ensure_future(auth.token()) for _ in range(5)]
    await wait_until(lambda: token_requests(emu) == 1, "the refresh request reached HubSpot")
    tasks[0].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(results[0], asyncio.CancelledError)
    assert len({r for r in results[1:] if isinstance(r, str)}) == 1
    assert all(isinstance(r, str) for r in results[1:])
    assert emu.stats.oauth_refreshes == 1
    assert token_requests(emu) == 1


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(access_token_ttl=3.0)
async def test_refreshes_before_expiry_using_the_margin(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    clock = VirtualClock()
    auth = oauth(emu, register(emu), refresh_margin=1.5, clock=clock)  # due 1.5 s after issue

    first = await auth.token()
    advance(emu, clock, 1.4)
    assert await auth.token() == first  # not due yet
    assert emu.stats.oauth_refreshes == 1

    advance(emu, clock, 0.3)
    second = await auth.token()

    assert second != first
    assert auth.refreshes == 2
    assert emu.stats.oauth_refreshes == 2
    # The old token has not expired yet at HubSpot: the refresh came before expiry.
    assert (await create_contact(emu, first))[0] == 201
    assert (await create_contact(emu, second))[0] == 201
    assert emu.stats.responses_by_status.get(401, 0) == 0


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(access_token_ttl=10.0)
async def test_margin_longer_than_the_token_life_does_not_refresh_every_call(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    clock = VirtualClock()
    auth = oauth(emu, register(emu), refresh_margin=60.0, clock=clock)

    tokens = set()
    for _ in range(20):
        tokens.add(await auth.token())
        advance(emu, clock, 0.2)  # 4 s in all: inside half the token's 10 s life

    assert len(tokens) == 1
    assert emu.stats.oauth_refreshes == 1
    advance(emu, clock, 1.0)  # 5 s: half its life, the margin used instead of 60 s
    assert await auth.token() not in tokens
    assert emu.stats.oauth_refreshes == 2


@pytest.mark.anyio
async def test_expired_at_hubspot_then_invalidate_refreshes_once(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    auth = oauth(emu, register(emu))
    first = await auth.token()
    emu.advance_clock(1801)  # HubSpot's clock moved on; the provider cannot know

    status, body = await create_contact(emu, first)
    assert status == 401
    assert body["category"] == "EXPIRED_AUTHENTICATION"
    auth.invalidate(first)
    second = await auth.token()

    assert second != first
    assert (await create_contact(emu, second))[0] == 201
    assert auth.refreshes == 2
    assert emu.stats.oauth_refreshes == 2


@pytest.mark.anyio
async def test_invalidate_with_a_stale_token_does_nothing(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    auth = oauth(emu, register(emu))
    first = await auth.token()
    auth.invalidate(first)
    second = await auth.token()
    assert second != first
    assert emu.stats.oauth_refreshes == 2

    auth.invalidate(first)  # a late 401 for the old token
    auth.invalidate("some-other-token")

    assert await auth.token() == second
    assert auth.refreshes == 2
    assert emu.stats.oauth_refreshes == 2


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_50_concurrent_401s_with_the_same_token_cause_one_refresh(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    auth = oauth(emu, register(emu, rotate=True))
    await auth.token()
    emu.advance_clock(1801)

    async def create_like_the_session() -> int:
        token = await auth.token()
        status, body = await create_contact(emu, token)
        if status == 401 and body.get("category") == "EXPIRED_AUTHENTICATION":
            auth.invalidate(token)
            status, _ = await create_contact(emu, await auth.token())
        return status

    statuses = await asyncio.gather(*(create_like_the_session() for _ in range(50)))

    assert statuses == [201] * 50
    assert emu.count("contacts") == 50
    assert emu.stats.responses_by_status[401] == 50
    assert auth.refreshes == 2
    assert emu.stats.oauth_refreshes == 2


@pytest.mark.anyio
async def test_given_access_token_is_used_until_it_is_due(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    refresh_token = register(emu)
    clock = VirtualClock()

    fresh = oauth(
        emu, refresh_token, access_token="given", expires_at=clock.time() + 600, clock=clock
    )
    assert await fresh.token() == "given"
    unknown_expiry = oauth(emu, refresh_token, access_token="given", clock=clock)
    assert await unknown_expiry.token() == "given"
    assert token_requests(emu) == 0

    due = oauth(emu, refresh_token, access_token="given", expires_at=clock.time() + 30, clock=clock)
    assert await due.token() != "given"  # within the 60 s margin
    unknown_expiry.invalidate("given")
    assert await unknown_expiry.token() != "given"
    assert token_requests(emu) == 2

    clock.advance(539)  # one second before ``fresh`` is due (600 s less the 60 s margin)
    assert await fresh.token() == "given"
    assert token_requests(emu) == 2
    clock.advance(1)
    assert await fresh.token() != "given"
    assert token_requests(emu) == 3


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("client_id", "client_secret", "refresh_token", "code"),
    [
        (CLIENT_ID, CLIENT_SECRET, "rt-wrong", "BAD_REFRESH_TOKEN"),
        (CLIENT_ID, "wrong-secret", None, "BAD_CLIENT_SECRET"),
        ("wrong-client", CLIENT_SECRET, None, "BAD_CLIENT_ID"),
    ],
)
async def test_rejected_credentials_raise_authentication_error_once_per_call(
    hubspot_emulator: Emulator,
    client_id: str,
    client_secret: str,
    refresh_token: str | None,
    code: str,
) -> None:
    emu = hubspot_emulator
    valid = register(emu)
    auth = OAuth(
        client_id,
        client_secret,
        refresh_token or valid,
        token_url=emu.base_url + TOKEN_PATH,
    )

    with pytest.raises(AuthenticationError) as info:
        await auth.token()

    error = info.value
    assert error.status == 400
    assert error.category == code
    assert error.expired is False
    assert error.path == TOKEN_PATH
    assert error.correlation_id
    assert "rejected the OAuth refresh token or client credentials" in str(error)
    assert error.correlation_id in str(error)
    assert token_requests(emu) == 1  # no retry, no loop

    with pytest.raises(AuthenticationError):
        await auth.token()
    assert token_requests(emu) == 2  # a later call tries once more

    results = await asyncio.gather(*(auth.token() for _ in range(20)), return_exceptions=True)
    assert all(isinstance(r, AuthenticationError) for r in results)
    assert token_requests(emu) == 3  # concurrent callers share the one failed attempt
    assert auth.refreshes == 0
    assert emu.stats.oauth_refreshes == 0


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error_type"), [(503, ServerError), (502, ServerError), (429, RateLimitError)]
)
async def test_transient_endpoint_errors_are_not_auth_errors_and_next_call_recovers(
    hubspot_emulator: Emulator, status: int, error_type: type[Exception]
) -> None:
    emu = hubspot_emulator
    emu.faults.error_before(status, operation="token")
    auth = oauth(emu, register(emu))

    with pytest.raises(error_type) as info:
        await auth.token()
    assert not isinstance(info.value, AuthenticationError)
    assert token_requests(emu) == 1

    token = await auth.token()
    assert token_requests(emu) == 2
    assert (await create_contact(emu, token))[0] == 201


@pytest.mark.anyio
async def test_connection_refused_raises_api_connection_error(unused_port: int) -> None:
    auth = OAuth(
        CLIENT_ID,
        CLIENT_SECRET,
        "rt-s3cr3t",
        token_url=f"http://127.0.0.1:{unused_port}{TOKEN_PATH}",
    )

    with pytest.raises(APIConnectionError) as info:
        await auth.token()

    assert not isinstance(info.value, APITimeoutError)
    assert info.value.request_sent is False
    assert info.value.path == TOKEN_PATH
    assert "s3cr3t" not in str(info.value)
    assert auth.refreshes == 0


@pytest.mark.anyio
async def test_dropped_connection_raises_api_connection_error(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    emu.faults.disconnect_after(operation="token")
    auth = oauth(emu, register(emu))

    with pytest.raises(APIConnectionError) as info:
        await auth.token()

    assert info.value.request_sent is True
    assert token_requests(emu) == 1
    assert auth.refreshes == 0


@pytest.mark.anyio
async def test_slow_endpoint_raises_api_timeout_error(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    emu.faults.latency(2.0, operation="token")
    auth = oauth(emu, register(emu), timeout=0.2)

    with pytest.raises(APITimeoutError) as info:
        await auth.token()

    assert "0.2 s" in str(info.value)
    assert auth.refreshes == 0


# --- a token endpoint that misbehaves ----------------------------------------------------------


class FakeTokenEndpoint:
    """Answers every token request with ``body`` and records the forms it received."""

    def __init__(self) -> None:
        self.body: bytes = b""
        self.forms: list[dict[str, str]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.forms.append(dict(await request.post()))  # type: ignore[arg-type]
        return web.Response(body=self.body, content_type="application/json")


@pytest.fixture
async def fake_endpoint(serve: Serve) -> FakeTokenEndpoint:
    endpoint = FakeTokenEndpoint()
    app = web.Application()
    app.router.add_post(TOKEN_PATH, endpoint.handle)
    endpoint.url = await serve(app) + TOKEN_PATH
    return endpoint


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"<html>oops</html>", None),
        (b"[]", None),
        (
            json.dumps({"refresh_token": "rt-new-s3cr3t", "expires_in": 1800}).encode(),
            "access_token",
        ),
        (json.dumps({"access_token": "", "expires_in": 1800}).encode(), "access_token"),
        (json.dumps({"access_token": "at-s3cr3t"}).encode(), "expires_in"),
        (json.dumps({"access_token": "at-s3cr3t", "expires_in": "soon"}).encode(), "expires_in"),
        (json.dumps({"access_token": "at-s3cr3t", "expires_in": -1}).encode(), "expires_in"),
        (json.dumps({"access_token": "at-s3cr3t", "expires_in": True}).encode(), "expires_in"),
    ],
)
async def test_malformed_success_body_raises_a_clear_error(
    fake_endpoint: FakeTokenEndpoint, body: bytes, field: str | None
) -> None:
    fake_endpoint.body = body
    auth = OAuth(CLIENT_ID, CLIENT_SECRET, "rt-s3cr3t", token_url=fake_endpoint.url)

    with pytest.raises(ResponseParseError) as info:
        await auth.token()

    assert isinstance(info.value, HubCRMError)
    assert info.value.field == field
    assert "OAuth token endpoint" in str(info.value)
    assert "s3cr3t" not in str(info.value)
    assert auth.refreshes == 0
    assert len(fake_endpoint.forms) == 1


@pytest.mark.anyio
async def test_form_fields_and_refresh_token_kept_when_none_is_returned(
    fake_endpoint: FakeTokenEndpoint,
) -> None:
    fake_endpoint.body = json.dumps(
        {"access_token": "at-1", "expires_in": "1800", "token_type": "bearer"}
    ).encode()
    seen: list[TokenSet] = []
    auth = OAuth(
        CLIENT_ID, CLIENT_SECRET, "rt-original", token_url=fake_endpoint.url, on_refresh=seen.append
    )

    assert await auth.token() == "at-1"
    auth.invalidate("at-1")
    assert await auth.token() == "at-1"

    expected = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "rt-original",
    }
    assert fake_endpoint.forms == [expected, expected]
    assert [ts.refresh_token for ts in seen] == ["rt-original", "rt-original"]
    assert auth.refreshes == 2


# --- event loops -------------------------------------------------------------------------------


def test_reused_across_asyncio_run_calls(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    auth = oauth(emu, register(emu, rotate=True))

    first = asyncio.run(auth.token())
    auth.invalidate(first)

    async def many() -> set[str]:
        return set(await asyncio.gather(*(auth.token() for _ in range(20))))

    second = asyncio.run(many())
    assert len(second) == 1
    assert first not in second
    assert emu.stats.oauth_refreshes == 2
    assert token_requests(emu) == 2


def test_refresh_abandoned_with_its_loop_is_started_again_on_the_next(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    emu.faults.latency(1.0, operation="token")
    auth = oauth(emu, register(emu))

    async def start_and_leave() -> None:
        asyncio.ensure_future(auth.token())  # noqa: RUF006 - abandoned on purpose
        await wait_until(lambda: token_requests(emu) == 1, "the refresh request reached HubSpot")

    asyncio.run(start_and_leave())  # cancels the pending refresh as the loop ends
    token = asyncio.run(auth.token())

    assert token.startswith("emu-at-")
    assert auth.refreshes == 1
    assert token_requests(emu) == 2


# --- secrets stay secret -------------------------------------------------------------------------


def test_reprs_never_show_secrets() -> None:
    auth = OAuth(
        CLIENT_ID,
        "cs-SECRET",
        "rt-SECRET",
        access_token="at-SECRET",
        expires_at=1_900_000_000.0,
    )
    token_set = TokenSet("at-SECRET", "rt-SECRET", 1_900_000_000.0)

    for text in (repr(auth), str(auth), repr(token_set), str(token_set)):
        assert "SECRET" not in text
    assert CLIENT_ID in repr(auth)
    assert "<redacted>" in repr(token_set)
    assert "1900000000" in repr(token_set)
    assert "SECRET" not in repr(StaticToken("pat-SECRET"))


@pytest.mark.anyio
async def test_logs_never_show_secrets(
    hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = hubspot_emulator
    refresh_token = register(emu, rotate=True)
    seen: list[TokenSet] = []
    auth = oauth(emu, refresh_token, on_refresh=seen.append)
    caplog.set_level(logging.DEBUG)

    token = await auth.token()
    with pytest.raises(AuthenticationError) as info:
        await OAuth(CLIENT_ID, CLIENT_SECRET, "rt-wrong", token_url=auth.token_url).token()

    secrets = [CLIENT_SECRET, refresh_token, token, seen[0].refresh_token, "rt-wrong"]
    assert any(r.name == "hubcrm" for r in caplog.records)  # the refresh is logged...
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage()  # ...without a secret
    for secret in secrets:
        assert secret not in str(info.value)
        assert secret not in repr(auth)


# --- construction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"client_id": ""}, ValueError),
        ({"client_secret": "  "}, ValueError),
        ({"refresh_token": None}, TypeError),
        ({"expires_at": 1.0}, ValueError),  # without access_token
        ({"access_token": ""}, ValueError),
        ({"refresh_margin": -1}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"token_url": "ftp://example.com/token"}, ValueError),
        ({"on_refresh": "not callable"}, TypeError),
        ({"clock": object()}, TypeError),  # neither time() nor monotonic()
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], error: type[Exception]) -> None:
    args: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "rt",
    }
    args.update(kwargs)
    with pytest.raises(error):
        OAuth(**args)
