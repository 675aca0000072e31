"""Token providers: where the bearer token of each request comes from."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode, urlsplit

import attrs

from .._core.clock import Clock
from .._core.config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, OAUTH_TOKEN_PATH, Timeouts
from .._core.errors import (
    APIError,
    AuthenticationError,
    RateLimitError,
    ResponseParseError,
)
from .transport import AiohttpTransport, Transport

__all__ = ["OAuth", "StaticToken", "TokenProvider", "TokenSet"]

logger = logging.getLogger("hubcrm")

_REDACTED = "<redacted>"


@runtime_checkable
class TokenProvider(Protocol):
    """Anything that can hand the session a bearer token for the next request.

    Subclass it to write your own: only :meth:`token` is left to implement, and
    :meth:`invalidate` does nothing unless you override it.
    """

    async def token(self) -> str:
        """Return the bearer token to send."""
        ...

    def invalidate(self, token: str) -> None:
        """HubSpot answered ``401 EXPIRED_AUTHENTICATION`` for ``token``: the next
        :meth:`token` call should return a fresh one. Does nothing by default."""
        return None  # noqa: RET501 - a real body: subclasses inherit it


class StaticToken(TokenProvider):
    """A fixed token: a private-app token (``pat-...``) or any token managed elsewhere."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not isinstance(token, str):
            raise TypeError(f"access_token must be a str, not {type(token).__name__}")
        token = token.strip()
        if not token:
            raise ValueError("access_token is empty")
        self._token = token

    async def token(self) -> str:
        """Return the token."""
        return self._token

    @property
    def value(self) -> str:
        """The token itself (the session reads it without an await)."""
        return self._token

    def __repr__(self) -> str:
        # Never show the token itself: reprs end up in logs and tracebacks.
        return "StaticToken(<redacted>)"


def _redact(_: object) -> str:
    return _REDACTED


@attrs.frozen
class TokenSet:
    """The tokens one OAuth refresh produced, as handed to ``on_refresh``.

    Its ``repr`` shows neither token, so it is safe to log.

    Attributes:
        access_token: The new access token.
        refresh_token: The refresh token to use next time: the rotated one when HubSpot
            sent a new one, else the one that was used. Persist it.
        expires_at: When the access token expires, in ``time.time()`` seconds.
    """

    access_token: str = attrs.field(repr=_redact)
    refresh_token: str = attrs.field(repr=_redact)
    expires_at: float


def _secret(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ValueError(f"{name} is empty")
    return value


def _seconds(name: str, value: object, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, not {value!r}")
    return float(value)


class OAuth(TokenProvider):
    """HubSpot OAuth 2.0 tokens that refresh themselves before they expire.

    The first :meth:`token` call (or any call once the access token is within
    ``refresh_margin`` seconds of expiring) exchanges the refresh token for a new access
    token at HubSpot's token endpoint. The refresh is single-flight: however many tasks
    ask at once, one request is made and all of them get its token (or its error).

    When HubSpot rotates the refresh token, the new one is kept and used next time.
    ``on_refresh`` receives a :class:`TokenSet` after every successful refresh, so the
    rotated refresh token can be persisted.

    An ``OAuth`` instance is used from one event loop at a time. It may be reused after
    that loop ends (for example across two ``asyncio.run`` calls): what it needs from
    the loop is made again on the next one.

    The refreshes a client needs go through that client's connection pool, with its
    connection settings. A :meth:`token` call of your own, outside any client, opens
    a connection for its refresh and closes it after.

    Args:
        client_id: The app's client id.
        client_secret: The app's client secret.
        refresh_token: The refresh token from the app's install.
        access_token: A still valid access token, e.g. one persisted earlier; without it
            the first call refreshes.
        expires_at: When ``access_token`` expires (``time.time()`` seconds). Without it
            ``access_token`` is used until HubSpot rejects it as expired.
        on_refresh: Called with the new :class:`TokenSet` after each successful refresh;
            a plain function or a coroutine function. The new tokens are already in use
            when it is called. If it raises, the exception propagates out of the
            :meth:`token` calls that waited for that refresh; the new tokens are kept
            all the same and it is not called again for them.
        token_url: The token endpoint. Defaults to ``/oauth/2026-03/token`` under the
            client's ``base_url``.
        refresh_margin: Refresh this many seconds before the access token expires.
            For a token that lives less than twice the margin, half its lifetime is
            used instead, so a short-lived token is not refreshed on every call.
        timeout: Seconds one refresh request may take in total.
        clock: Where the time is read: anything with ``time()`` and ``monotonic()``
            methods, by default the :mod:`time` module. Expiry is scheduled on
            ``monotonic()``; ``time()`` converts ``expires_at`` and stamps
            :attr:`TokenSet.expires_at`. Tests pass a clock they move by hand.

    Raises:
        TypeError: a credential is not a str, ``on_refresh`` is not callable, or
            ``clock`` lacks a method.
        ValueError: a credential is empty, a number is out of range, ``token_url`` is
            not an http(s) URL, or ``expires_at`` is given without ``access_token``.
    """

    __slots__ = (
        "_access_token",
        "_base_url",
        "_client_id",
        "_client_secret",
        "_clock",
        "_expires_at",
        "_flight",
        "_flight_loop",
        "_on_refresh",
        "_refresh_at",
        "_refresh_margin",
        "_refresh_token",
        "_refreshes",
        "_timeouts",
        "_token_url",
    )

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        access_token: str | None = None,
        expires_at: float | None = None,
        on_refresh: Callable[[TokenSet], Awaitable[None] | None] | None = None,
        token_url: str | None = None,
        refresh_margin: float = 60.0,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = time,
    ) -> None:
        self._client_id = _secret("client_id", client_id)
        self._client_secret = _secret("client_secret", client_secret)
        self._refresh_token = _secret("refresh_token", refresh_token)
        self._refresh_margin = _seconds("refresh_margin", refresh_margin, positive=False)
        timeout = _seconds("timeout", timeout, positive=True)
        self._timeouts = Timeouts(total=timeout, connect=timeout)
        if on_refresh is not None and not callable(on_refresh):
            raise TypeError(f"on_refresh must be callable, not {type(on_refresh).__name__}")
        self._on_refresh = on_refresh
        if token_url is not None:
            token_url = _secret("token_url", token_url)
            if urlsplit(token_url).scheme not in ("http", "https"):
                raise ValueError("token_url must be an http:// or https:// URL")
        self._token_url = token_url
        self._base_url: str | None = None  # the first client's, on first use
        if not isinstance(clock, Clock):
            raise TypeError("clock must have time() and monotonic() methods")
        self._clock = clock
        self._refreshes = 0
        self._flight: asyncio.Task[str] | None = None
        self._flight_loop: asyncio.AbstractEventLoop | None = None
        # Refresh scheduling runs on the monotonic clock, immune to wall-clock jumps;
        # ``_expires_at`` (wall clock) is only reported in TokenSet.
        self._access_token: str | None = None
        self._expires_at = math.inf
        self._refresh_at = -math.inf
        if access_token is not None:
            self._access_token = _secret("access_token", access_token)
            if expires_at is None:
                self._refresh_at = math.inf
            else:
                self._expires_at = _seconds("expires_at", expires_at, positive=False)
                remaining = self._expires_at - clock.time()
                self._refresh_at = clock.monotonic() + remaining - self._refresh_margin
        elif expires_at is not None:
            raise ValueError("expires_at was given without access_token")

    @property
    def refreshes(self) -> int:
        """How many refreshes have succeeded."""
        return self._refreshes

    @property
    def token_url(self) -> str:
        """The token endpoint refreshes are sent to."""
        if self._token_url is not None:
            return self._token_url
        return (self._base_url or DEFAULT_BASE_URL) + OAUTH_TOKEN_PATH

    def _use_base_url(self, base_url: str) -> None:
        """Send refreshes under the client's ``base_url``, unless ``token_url`` was given.

        Raises:
            ValueError: another client with another ``base_url`` already uses this
                provider, which refreshes through one token endpoint only.
        """
        if self._token_url is not None:
            return
        base_url = base_url.rstrip("/")
        if self._base_url is not None and self._base_url != base_url:
            raise ValueError(
                f"this OAuth provider refreshes through {self._base_url}; a client of "
                f"{base_url} needs an OAuth of its own (or pass token_url)"
            )
        self._base_url = base_url

    async def token(self) -> str:
        """Return the access token, refreshing it first when it is missing or expiring.

        Raises:
            AuthenticationError: HubSpot rejected the refresh token or the client
                credentials. Nothing is retried; the next call tries once more.
            RateLimitError: the token endpoint answered 429.
            ServerError: the token endpoint answered 5xx.
            APIConnectionError: the token endpoint could not be reached.
            APITimeoutError: the refresh took longer than ``timeout``.
            ResponseParseError: the token endpoint's success response lacks a usable
                ``access_token`` or ``expires_in``.
            Exception: whatever ``on_refresh`` raised.
        """
        return await self._token_through(None)

    async def _token_through(self, transport: Transport | None) -> str:
        """:meth:`token`, refreshing through ``transport`` (a client's), or through a
        connection of its own when ``None``."""
        token = self._access_token
        if token is not None and self._clock.monotonic() < self._refresh_at:
            return token
        loop = asyncio.get_running_loop()
        flight = self._flight
        # A finished flight is never joined: its result is already in the state above,
        # and a failed one must not fail a later call without a new attempt. A flight of
        # another loop belongs to a loop that is gone (asyncio.run called again).
        if flight is None or flight.done() or self._flight_loop is not loop:
            flight = loop.create_task(self._refresh(transport))
            self._flight, self._flight_loop = flight, loop
            flight.add_done_callback(self._flight_done)
        # shield: a caller that is cancelled must not cancel the refresh the others await.
        return await asyncio.shield(flight)

    def _flight_done(self, flight: asyncio.Task[str]) -> None:
        if self._flight is flight:
            self._flight = None
        if not flight.cancelled():
            flight.exception()  # retrieved: every waiter may have been cancelled

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after HubSpot answered ``401 EXPIRED_AUTHENTICATION`` for it.

        If ``token`` is the current access token, the next :meth:`token` call refreshes.
        If it is an older one (another task has refreshed since), nothing happens, so
        many requests failing with the same stale token cause a single refresh.
        """
        if token == self._access_token:
            self._refresh_at = -math.inf

    async def _refresh(self, transport: Transport | None) -> str:
        url = self.token_url
        path = urlsplit(url).path or "/"
        form = urlencode(
            {
                "grant_type": "refresh_token",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "refresh_token": self._refresh_token,
            }
        ).encode()
        started_wall, started = self._clock.time(), self._clock.monotonic()
        if transport is None:
            own = AiohttpTransport(max_connections=1)
            try:
                status, headers, body = await self._post(own, url, form, path)
            finally:
                await own.aclose()
        else:
            status, headers, body = await self._post(transport, url, form, path)

        if status >= 300:
            raise _refusal(status, body, headers, path)
        access_token, refresh_token, expires_in = _parse_grant(status, body)

        # Counted from the moment the request left, so the token is never held too long;
        # a margin larger than the token's life would otherwise refresh on every call.
        margin = min(self._refresh_margin, expires_in / 2)
        self._access_token = access_token
        self._refresh_token = refresh_token or self._refresh_token
        self._expires_at = started_wall + expires_in
        self._refresh_at = started + expires_in - margin
        self._refreshes += 1
        logger.info(
            "refreshed the OAuth access token of client %s; it expires in %d s",
            self._client_id,
            round(expires_in),
        )
        if self._on_refresh is not None:
            result = self._on_refresh(TokenSet(access_token, self._refresh_token, self._expires_at))
            if inspect.isawaitable(result):
                await result
        return access_token

    async def _post(
        self, transport: Transport, url: str, form: bytes, path: str
    ) -> tuple[int, Mapping[str, str], bytes]:
        """The refresh request, in one of the transport's connection slots."""
        slots = transport.slots()
        if slots is None:
            slots = await transport.open()
        async with slots:
            return await transport.exchange(
                "POST",
                url,
                data=form,
                params=None,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeouts=self._timeouts,
                target="the OAuth token endpoint",
                log_path=path,
            )

    def __repr__(self) -> str:
        # The client id is not a secret; the secret and the tokens are never shown.
        return f"OAuth(client_id={self._client_id!r}, refreshes={self._refreshes})"


def _refusal(status: int, body: bytes, headers: Mapping[str, str], path: str) -> APIError:
    """The exception for a token endpoint answering ``status`` (300 or more)."""
    from .._core.error_bodies import error_from_response  # loaded by the first error

    error = error_from_response(status, body, headers, method="POST", path=path)
    if not 400 <= status < 500 or isinstance(error, RateLimitError):
        return error  # a 429 or a 5xx says "later", not "your credentials are bad"
    # HubSpot's OAuth errors put their code (BAD_REFRESH_TOKEN, BAD_CLIENT_ID...) in
    # ``status`` rather than ``category``; a 400 here means the credentials were refused.
    code = error.body.get("status") if error.body is not None else None
    category = error.category or (code if isinstance(code, str) and code else None)
    what = f" ({category})" if category else ""
    return AuthenticationError(
        f"HubSpot rejected the OAuth refresh token or client credentials{what}: "
        f"{error.message}. Re-authorize the app to get a new refresh token, or check "
        "client_id and client_secret",
        status=error.status,
        category=category,
        sub_category=error.sub_category,
        correlation_id=error.correlation_id,
        errors=error.errors,
        context=error.context,
        headers=error.headers,
        method=error.method,
        path=error.path,
        body=error.body,
    )


def _parse_grant(status: int, body: bytes) -> tuple[str, str | None, float]:
    """Read a token response: (access token, refresh token or None, expires_in)."""
    # Never quote this body in an error: it holds the tokens.
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ResponseParseError(
            f"the OAuth token endpoint answered {status} with a body that is not JSON"
        ) from exc
    if not isinstance(data, dict):
        raise ResponseParseError(
            f"the OAuth token endpoint answered {status} with a body that is not a JSON object"
        )
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token.strip():
        raise ResponseParseError(
            f"the OAuth token endpoint answered {status} without an access_token",
            field="access_token",
        )
    expires_in = data.get("expires_in")
    if isinstance(expires_in, str):
        with contextlib.suppress(ValueError):
            expires_in = float(expires_in)
    if (
        isinstance(expires_in, bool)
        or not isinstance(expires_in, (int, float))
        or not math.isfinite(expires_in)
        or expires_in < 0
    ):
        raise ResponseParseError(
            f"the OAuth token endpoint answered {status} without a valid expires_in "
            "(seconds the access token lives)",
            field="expires_in",
        )
    refresh_token = data.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token.strip():
        refresh_token = None
    return access_token.strip(), refresh_token and refresh_token.strip(), float(expires_in)
