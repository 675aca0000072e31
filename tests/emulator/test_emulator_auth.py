"""Bearer auth, OAuth refresh and expiry, rolling-window and daily rate limits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
CONTACT = {"properties": {}}
RATE_HEADERS = (
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    emu: Emulator,
    token: str | None,
    path: str = f"{V}/contacts",
) -> tuple[int, dict[str, Any], Any]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with http.post(emu.base_url + path, json=CONTACT, headers=headers) as response:
        return response.status, await response.json(), response.headers


async def refresh(
    http: aiohttp.ClientSession,
    emu: Emulator,
    form: dict[str, str],
    path: str = "/oauth/2026-03/token",
) -> tuple[int, dict[str, Any], Any]:
    async with http.post(emu.base_url + path, data=form) as response:
        return response.status, await response.json(), response.headers


# --- bearer tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong"])
async def test_missing_or_wrong_token_is_401(
    http: aiohttp.ClientSession, token: str | None
) -> None:
    async with Emulator() as emu:
        status, body, headers = await call(http, emu, token)
        assert status == 401
        assert body["status"] == "error"
        assert body["category"] == "INVALID_AUTHENTICATION"
        assert body["message"].startswith("Authentication credentials not found.")
        assert body["correlationId"] == headers["x-hubspot-correlation-id"]
        uuid.UUID(body["correlationId"])
        assert not any(h in headers for h in RATE_HEADERS)
        assert emu.count("contacts") == 0
        assert emu.stats.responses_by_status == {401: 1}


async def test_basic_scheme_is_not_bearer(http: aiohttp.ClientSession) -> None:
    async with Emulator() as emu:
        headers = {"Authorization": f"Basic {emu.token}"}
        async with http.post(f"{emu.base_url}{V}/contacts", json=CONTACT, headers=headers) as r:
            assert r.status == 401


async def test_several_static_tokens(http: aiohttp.ClientSession) -> None:
    async with Emulator(token=["one", "two"]) as emu:
        assert emu.token == "one"
        assert (await call(http, emu, "one"))[0] == 201
        assert (await call(http, emu, "two"))[0] == 201
        assert (await call(http, emu, "three"))[0] == 401


# --- OAuth ----------------------------------------------------------------------------------


def grant(token: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": "secret",
        "refresh_token": token,
    }
    form.update(overrides or {})
    return form


@pytest.mark.parametrize("path", ["/oauth/2026-03/token", "/oauth/v1/token"])
async def test_refresh_grant_issues_working_access_token(
    http: aiohttp.ClientSession, path: str
) -> None:
    async with Emulator(access_token_ttl=1800) as emu:
        rt = emu.register_oauth_app("cid", "secret")
        status, body, headers = await refresh(http, emu, grant(rt), path)
        assert status == 200
        assert set(body) >= {"access_token", "refresh_token", "expires_in", "token_type"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 1800
        assert body["refresh_token"] == rt
        uuid.UUID(headers["x-hubspot-correlation-id"])
        assert (await call(http, emu, body["access_token"]))[0] == 201
        assert emu.stats.oauth_refreshes == 1
        assert emu.stats.requests_by_operation == {"token": 1, "create": 1}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"client_id": "other"}, "BAD_CLIENT_ID"),
        ({"client_secret": "nope"}, "BAD_CLIENT_SECRET"),
        ({"refresh_token": "nope"}, "BAD_REFRESH_TOKEN"),
        ({"grant_type": "authorization_code"}, "BAD_GRANT_TYPE"),
    ],
)
async def test_refresh_grant_refusals(
    http: aiohttp.ClientSession, overrides: dict[str, str], code: str
) -> None:
    async with Emulator() as emu:
        rt = emu.register_oauth_app("cid", "secret")
        status, body, headers = await refresh(http, emu, grant(rt, overrides))
        assert status == 400
        assert body["status"] == code
        assert body["message"]
        assert body["correlationId"] == headers["x-hubspot-correlation-id"]
        assert emu.stats.oauth_refreshes == 0


async def test_refresh_grant_needs_form_encoding(http: aiohttp.ClientSession) -> None:
    async with Emulator() as emu:
        rt = emu.register_oauth_app("cid", "secret")
        async with http.post(emu.base_url + "/oauth/2026-03/token", json=grant(rt)) as response:
            body = await response.json()
            assert response.status == 415
            assert body["status"] == "error"


async def test_rotating_refresh_tokens(http: aiohttp.ClientSession) -> None:
    async with Emulator() as emu:
        rt = emu.register_oauth_app("cid", "secret", rotate_refresh_tokens=True)
        status, body, _ = await refresh(http, emu, grant(rt))
        assert status == 200
        assert body["refresh_token"] != rt
        status, again, _ = await refresh(http, emu, grant(rt))
        assert status == 400
        assert again["status"] == "BAD_REFRESH_TOKEN"
        assert (await refresh(http, emu, grant(body["refresh_token"])))[0] == 200


async def test_expired_access_token(http: aiohttp.ClientSession) -> None:
    async with Emulator(access_token_ttl=60) as emu:
        rt = emu.register_oauth_app("cid", "secret")
        _, body, _ = await refresh(http, emu, grant(rt))
        access = body["access_token"]
        assert (await call(http, emu, access))[0] == 201
        emu.advance_clock(65)
        status, error, headers = await call(http, emu, access)
        assert status == 401
        assert error["category"] == "EXPIRED_AUTHENTICATION"
        assert error["message"] == "The OAuth token used to make this call expired 5 second(s) ago."
        assert error["correlationId"] == headers["x-hubspot-correlation-id"]
        _, body, _ = await refresh(http, emu, grant(rt))
        assert (await call(http, emu, body["access_token"]))[0] == 201
        assert emu.count("contacts") == 2


# --- rate limits ------------------------------------------------------------------------------


async def test_rolling_window_headers_and_429(http: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=(3, 10.0), portal_id=42) as emu:
        remaining = []
        for _ in range(3):
            status, _, headers = await call(http, emu, emu.token)
            assert status == 201
            assert headers["X-HubSpot-RateLimit-Max"] == "3"
            assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
            assert "X-HubSpot-RateLimit-Daily" not in headers
            remaining.append(headers["X-HubSpot-RateLimit-Remaining"])
        assert remaining == ["2", "1", "0"]
        status, body, headers = await call(http, emu, emu.token)
        assert status == 429
        assert body == {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "correlationId": headers["x-hubspot-correlation-id"],
            "errorType": "RATE_LIMIT",
            "policyName": "TEN_SECONDLY_ROLLING",
            "groupName": "publicapi:private-app-api-calls-ten-secondly:42",
        }
        assert headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert emu.count("contacts") == 3
        assert emu.stats.rate_limited == {"TEN_SECONDLY_ROLLING": 1}
        assert emu.stats.responses_by_status == {201: 3, 429: 1}


async def test_window_rolls_and_429_costs_nothing(http: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=(2, 10.0)) as emu:
        assert (await call(http, emu, emu.token))[0] == 201
        emu.advance_clock(6)
        assert (await call(http, emu, emu.token))[0] == 201
        for _ in range(5):  # refused requests must not extend the window
            assert (await call(http, emu, emu.token))[0] == 429
        emu.advance_clock(4.5)  # the first request left the window, the second has not
        status, _, headers = await call(http, emu, emu.token)
        assert status == 201
        assert headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert (await call(http, emu, emu.token))[0] == 429


async def test_each_token_is_its_own_app(http: aiohttp.ClientSession) -> None:
    async with Emulator(token=["a", "b"], rate_limit=(1, 10.0)) as emu:
        assert (await call(http, emu, "a"))[0] == 201
        assert (await call(http, emu, "a"))[0] == 429
        assert (await call(http, emu, "b"))[0] == 201


async def test_oauth_tokens_share_their_apps_window(http: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=(2, 10.0)) as emu:
        rt = emu.register_oauth_app("cid", "secret")
        first = (await refresh(http, emu, grant(rt)))[1]["access_token"]
        assert (await call(http, emu, first))[0] == 201
        second = (await refresh(http, emu, grant(rt)))[1]["access_token"]
        assert second != first
        assert (await call(http, emu, second))[0] == 201
        status, body, _ = await call(http, emu, second)
        assert status == 429
        assert body["groupName"].startswith("publicapi:oauth-app-api-calls-ten-secondly:cid")
        assert (await call(http, emu, emu.token))[0] == 201  # the static token is another app


async def test_daily_limit(http: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=(100, 10.0), daily_limit=2, portal_id=7) as emu:
        daily = []
        for _ in range(2):
            status, _, headers = await call(http, emu, emu.token)
            assert status == 201
            assert headers["X-HubSpot-RateLimit-Daily"] == "2"
            daily.append(headers["X-HubSpot-RateLimit-Daily-Remaining"])
        assert daily == ["1", "0"]
        status, body, headers = await call(http, emu, emu.token)
        assert status == 429
        assert body["policyName"] == "DAILY"
        assert body["errorType"] == "RATE_LIMIT"
        assert body["message"] == "You have reached your daily limit."
        assert body["groupName"] == "publicapi:private-app-api-calls-daily:7"
        emu.advance_clock(20)  # the burst window is not the problem
        assert (await call(http, emu, emu.token))[0] == 429
        assert emu.stats.rate_limited == {"DAILY": 2}
        assert emu.count("contacts") == 2


async def test_set_rate_limit_at_runtime(http: aiohttp.ClientSession) -> None:
    async with Emulator() as emu:
        _, _, headers = await call(http, emu, emu.token)
        assert headers["X-HubSpot-RateLimit-Max"] == "190"
        emu.set_rate_limit((1, 1.0))
        assert (await call(http, emu, emu.token))[0] == 201
        assert (await call(http, emu, emu.token))[0] == 429
        emu.set_rate_limit(None)
        status, _, headers = await call(http, emu, emu.token)
        assert status == 201
        assert not any(h in headers for h in RATE_HEADERS)
        emu.set_rate_limit(None, daily_limit=1)
        _, _, headers = await call(http, emu, emu.token)
        assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        assert (await call(http, emu, emu.token))[0] == 429


async def test_rate_limit_headers_on_errors_too(http: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=(5, 1.0)) as emu:
        status, _, headers = await call(http, emu, emu.token, f"{V}/nope")
        assert status == 400
        assert headers["X-HubSpot-RateLimit-Remaining"] == "4"
