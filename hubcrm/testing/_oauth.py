"""Credentials: bearer-token checks, OAuth apps and the OAuth token endpoint."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

import attrs
from aiohttp import web

from ._api_errors import AUTH_MISSING_MESSAGE, ApiError
from ._http import (
    CORRELATION_HEADER,
    after_commit,
    drop,
    fault_response,
    json_response,
    method_not_allowed,
    pause,
    read_body,
    take_faults,
)
from ._rate_window import OAUTH_APP_PREFIX
from ._state import State

__all__ = [
    "DEFAULT_SCOPES",
    "Credentials",
    "OAuthApp",
    "OAuthError",
]

DEFAULT_SCOPES: tuple[str, ...] = (
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
)
"""The scopes a token answer lists when the OAuth app was registered without any."""


class OAuthError(Exception):
    """A refused token request: HubSpot's OAuth errors carry their code in ``status``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@attrs.define
class OAuthApp:
    """A registered OAuth app and its live refresh tokens."""

    client_id: str
    client_secret: str
    rotate_refresh_tokens: bool
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    user_id: int | None = None
    refresh_tokens: set[str] = attrs.field(factory=set)


class Credentials:
    """The tokens the API accepts, and the token endpoint that issues OAuth ones.

    Static private-app tokens are each their own app for rate limiting; OAuth access
    tokens count against the client id they were issued to. The tables live under the
    state's lock and survive a reset.
    """

    def __init__(self, state: State, tokens: Iterable[str], access_token_ttl: float) -> None:
        self._state = state
        self.tokens = set(tokens)
        self.access_token_ttl = access_token_ttl
        self.oauth_apps: dict[str, OAuthApp] = {}
        # access token -> (client id, expiry on the monotonic clock)
        self.access_tokens: dict[str, tuple[str, float]] = {}

    def register_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        rotate_refresh_tokens: bool,
        refresh_token: str | None,
        scopes: Iterable[str] | None = None,
        user_id: int | None = None,
    ) -> str:
        """Register an app (or add a refresh token to it); returns the refresh token."""
        token = refresh_token or f"emu-rt-{secrets.token_hex(16)}"
        granted = DEFAULT_SCOPES if scopes is None else tuple(scopes)
        if isinstance(scopes, str) or not all(isinstance(s, str) and s for s in granted):
            raise ValueError("scopes is a list of non-empty scope names")
        if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int)):
            raise ValueError("user_id is an integer or None")
        with self._state.lock:
            app = self.oauth_apps.get(client_id)
            if app is None or app.client_secret != client_secret:
                app = OAuthApp(client_id, client_secret, rotate_refresh_tokens)
                self.oauth_apps[client_id] = app
            app.rotate_refresh_tokens = rotate_refresh_tokens
            app.scopes = granted
            app.user_id = user_id
            app.refresh_tokens.add(token)
        return token

    def authenticate(self, header: str | None) -> str | ApiError:
        """The app a request counts against, or the 401 to send. Caller holds the lock."""
        if header is None or header[:7].lower() != "bearer ":
            return ApiError(401, AUTH_MISSING_MESSAGE, "INVALID_AUTHENTICATION")
        token = header[7:].strip()
        if token in self.tokens:
            return "token:" + token
        issued = self.access_tokens.get(token)
        if issued is None:
            return ApiError(401, AUTH_MISSING_MESSAGE, "INVALID_AUTHENTICATION")
        client_id, expires_at = issued
        now = self._state.clock.monotonic()
        if now >= expires_at:
            ago = int(now - expires_at)
            return ApiError(
                401,
                f"The OAuth token used to make this call expired {ago} second(s) ago.",
                "EXPIRED_AUTHENTICATION",
            )
        return OAUTH_APP_PREFIX + client_id

    def _refresh(self, form: dict[str, list[str]]) -> dict[str, Any]:
        """The refresh-token grant; caller holds the lock."""

        def field(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values else None

        grant_type = field("grant_type")
        if grant_type != "refresh_token":
            raise OAuthError("BAD_GRANT_TYPE", "grant_type must be refresh_token")
        app = self.oauth_apps.get(field("client_id") or "")
        if app is None:
            raise OAuthError("BAD_CLIENT_ID", "missing or unknown client id")
        if not secrets.compare_digest(app.client_secret, field("client_secret") or ""):
            raise OAuthError("BAD_CLIENT_SECRET", "missing or invalid client secret")
        refresh_token = field("refresh_token") or ""
        if refresh_token not in app.refresh_tokens:
            raise OAuthError("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        if app.rotate_refresh_tokens:
            app.refresh_tokens.discard(refresh_token)
            refresh_token = f"emu-rt-{secrets.token_hex(16)}"
            app.refresh_tokens.add(refresh_token)
        access_token = f"emu-at-{secrets.token_hex(24)}"
        ttl = self.access_token_ttl
        state = self._state
        self.access_tokens[access_token] = (app.client_id, state.clock.monotonic() + ttl)
        state.counters.oauth_refreshes += 1
        answer: dict[str, Any] = {
            "token_type": "bearer",
            "token_use": "access_token",
            "refresh_token": refresh_token,
            "access_token": access_token,
            "expires_in": int(ttl),
            "hub_id": state.portal_id,
            "scopes": list(app.scopes),
        }
        if app.user_id is not None:
            answer["user_id"] = app.user_id
        return answer

    async def handle_token(self, request: web.Request) -> web.StreamResponse:
        """``POST /oauth/2026-03/token`` (and ``/oauth/v1/token``): refresh-token grant."""
        state = self._state
        if request.method != "POST":
            return method_not_allowed(state, request, "POST")
        cid = str(uuid.uuid4())
        headers = {CORRELATION_HEADER: cid}
        with state.lock:
            state.counters.request("token")
            latency, fault = take_faults(state, "token", None, cid)
        if latency is not None and await pause(state, latency.delay):
            return drop(request)
        if fault is not None and fault.kind == "error_before":
            return fault_response(state, fault, cid, headers)
        try:
            raw = await read_body(state, request, "application/x-www-form-urlencoded")
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
            with state.lock:
                payload = self._refresh(form)
            status = 200
        except ApiError as exc:
            status, payload = exc.status, exc.body(cid)
        except UnicodeDecodeError:
            status = 400
            payload = ApiError(400, "the body is not UTF-8").body(cid)
        except OAuthError as exc:
            status = 400
            payload = {"status": exc.code, "message": exc.message, "correlationId": cid}
        if fault is None:
            with state.lock:
                state.counters.response(status)
            return json_response(status, payload, headers)
        return await after_commit(
            state, request, fault, "token", None, cid, headers, status, payload, []
        )
