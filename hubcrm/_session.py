"""Session: the one place in hubcrm that talks HTTP.

Every request goes through :meth:`Session.request`. It owns the aiohttp
``ClientSession`` (made lazily inside the running loop, because a ClientSession belongs
to the loop that made it), the connection pool, authentication headers, timeouts and the
mapping of HTTP failures to hubcrm's exceptions. Resources (``AsyncObjects``) build
paths and bodies and never touch aiohttp themselves.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs

from ._auth import StaticToken, TokenProvider
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    DailyLimitError,
    HubCRMError,
    ResponseParseError,
    error_from_response,
)
from ._ratelimit import Limiter, NoLimiter
from ._retry import RequestKind, RetryPolicy, decide

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientStats",
    "RateLimitStatus",
    "RequestOptions",
    "Response",
    "Session",
    "Timeouts",
    "object_type_segment",
]

logger = logging.getLogger("hubcrm")

DEFAULT_BASE_URL = "https://api.hubapi.com"

_BAD_OBJECT_TYPE_CHARS = frozenset("/?#%")

# Made once: json.dumps() with any non-default argument builds a new encoder per call,
# and json.loads() on bytes sniffs the encoding first. Both show up per request.
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_decode_json = json.JSONDecoder().decode


def object_type_segment(object_type: object) -> str:
    """Validate an object type name or id and return it URL-quoted for a path.

    Raises:
        TypeError: ``object_type`` is not a string.
        ValueError: it is empty, or holds whitespace or one of ``/ ? # %``.
    """
    if not isinstance(object_type, str):
        raise TypeError(
            f"object_type must be a str such as 'contacts' or '2-123', "
            f"not {type(object_type).__name__}"
        )
    if not object_type:
        raise ValueError("object_type is empty; pass a type name such as 'contacts' or an id")
    for ch in object_type:
        if ch in _BAD_OBJECT_TYPE_CHARS or ch.isspace():
            raise ValueError(
                f"object_type {object_type!r} contains {ch!r}; object types are names "
                f"('contacts', 'p1234_cars') or ids ('0-1', '2-123')"
            )
    return quote(object_type, safe="")


@attrs.frozen
class Timeouts:
    """How long one HTTP exchange may take, in seconds.

    Attributes:
        total: the whole exchange, from the moment a connection slot is ours to the last
            byte of the response. Time spent queueing for a free connection is not
            counted, so a request that never left the client is never reported as a
            possibly-processed timeout.
        connect: opening a new TCP connection.
    """

    total: float = 30.0
    connect: float = 10.0

    client_timeout: aiohttp.ClientTimeout = attrs.field(init=False, eq=False, repr=False)
    """The same limits as aiohttp's timeout object, made once."""

    def __attrs_post_init__(self) -> None:
        for name in ("total", "connect"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"timeout {name} must be a positive number, not {value!r}")
        timeout = aiohttp.ClientTimeout(total=self.total, sock_connect=self.connect)
        object.__setattr__(self, "client_timeout", timeout)


@attrs.frozen
class RequestOptions:
    """Per-request settings; ``crm.with_options(...)`` makes a client with other ones."""

    timeouts: Timeouts = attrs.field(factory=Timeouts)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)


@attrs.define
class Response:
    """A successful (2xx) HTTP response, body fully read. Internal, so not frozen:
    a frozen attrs class costs an object.__setattr__ per field on every response."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON.

        Raises:
            ResponseParseError: the body is not JSON. HubSpot said the request succeeded,
                so what it did is known only to HubSpot: an ambiguous outcome.
        """
        try:
            return _decode_json(self.body.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            raise ResponseParseError(
                f"HubSpot answered {self.status} (success) with a body that is not JSON "
                f"({len(self.body)} bytes); the request was processed but its result "
                f"cannot be read"
            ) from exc


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


@attrs.frozen
class RateLimitStatus:
    """HubSpot's rate-limit headers from the most recent response that had them."""

    max_requests: int | None
    remaining: int | None
    interval_ms: int | None
    daily: int | None
    daily_remaining: int | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitStatus | None:
        """Read the ``X-HubSpot-RateLimit-*`` headers; ``None`` when there are none."""
        if "X-HubSpot-RateLimit-Max" not in headers and "X-HubSpot-RateLimit-Daily" not in headers:
            return None
        return cls(
            max_requests=_header_int(headers, "X-HubSpot-RateLimit-Max"),
            remaining=_header_int(headers, "X-HubSpot-RateLimit-Remaining"),
            interval_ms=_header_int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds"),
            daily=_header_int(headers, "X-HubSpot-RateLimit-Daily"),
            daily_remaining=_header_int(headers, "X-HubSpot-RateLimit-Daily-Remaining"),
        )


@attrs.frozen
class ClientStats:
    """Counters of one client (shared by clients made with ``with_options``).

    Attributes:
        requests: HTTP requests sent, retries included.
        retries: retries made, by reason.
        rate_limited: 429 answers received.
        rate_limit_wait: seconds requests spent waiting for the client's rate limiter.
        pauses: pauses of every sender after a 429.
        pause_time: seconds of those pauses, in total.
        rate_limit: the latest rate-limit headers (including the daily remaining count).
    """

    requests: int
    retries: Mapping[str, int]
    rate_limited: int
    rate_limit_wait: float
    pauses: int
    pause_time: float
    rate_limit: RateLimitStatus | None


def _user_agent() -> str:
    from . import __version__

    return f"hubcrm/{__version__} Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


class Session:
    """Owns the HTTP connection pool and performs every request of one client.

    One ``Session`` per client (clients made by ``with_options`` share it). All its
    state lives on the instance, so two clients with two tokens in one process never mix.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token_provider: TokenProvider,
        options: RequestOptions,
        limiter: Limiter,
        max_connections: int,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token_provider = token_provider
        self._invalidate: Callable[[str], None] | None = getattr(token_provider, "invalidate", None)
        # A fixed token needs no await per request.
        self._static_token = (
            token_provider.value if isinstance(token_provider, StaticToken) else None
        )
        self.options = options
        self.limiter = limiter
        self._max_connections = max_connections
        self._user_agent = _user_agent()
        self._client: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._closed = False
        self._loop_guard: AsyncGenerator[None, None] | None = None
        # Slow start: until one response has told the limiter HubSpot's real limits, only
        # one request is in flight, so a first burst can't overrun a stricter limit.
        self._warm = isinstance(limiter, NoLimiter)
        self._probing = False
        self._warmed: asyncio.Event | None = None
        # Counters: plain attributes, updated on the loop thread only.
        self._requests = 0
        self._retries: dict[str, int] = {}
        self._rate_limited = 0
        self._rate_limit_wait = 0.0
        self._pauses = 0
        self._pause_time = 0.0
        self._rate_limit_headers: Mapping[str, str] | None = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    @property
    def max_connections(self) -> int:
        """The most requests this session has in flight at once."""
        return self._max_connections

    def stats(self) -> ClientStats:
        """A snapshot of the counters."""
        return ClientStats(
            requests=self._requests,
            retries=dict(self._retries),
            rate_limited=self._rate_limited,
            rate_limit_wait=self._rate_limit_wait,
            pauses=self._pauses,
            pause_time=self._pause_time,
            rate_limit=None
            if self._rate_limit_headers is None
            else RateLimitStatus.from_headers(self._rate_limit_headers),
        )

    async def _client_for_this_loop(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        if self._closed:
            raise HubCRMError("this hubcrm client is closed; create a new one")
        loop = asyncio.get_running_loop()
        client, slots = self._client, self._slots
        if client is not None and slots is not None and self._loop is loop:
            return client, slots
        if client is not None and os.getpid() == self._pid:
            old = self._loop
            if old is not None and not old.is_closed():
                raise HubCRMError(
                    "this AsyncHubCRM is already in use on another event loop; an async "
                    "client belongs to one loop. Create one client per loop, or use the "
                    "sync HubCRM, which runs its own loop"
                )
        # First use, a finished loop (asyncio.run called again), or a forked child: the
        # old ClientSession belongs to a loop that is gone, so it is abandoned, not closed.
        self._pid = os.getpid()
        self._loop = loop
        connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0)
        self._client = client = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self._user_agent, "Accept": "application/json"},
            raise_for_status=False,
        )
        self._slots = slots = asyncio.Semaphore(self._max_connections)
        self._warmed = asyncio.Event()
        self._probing = False
        # asyncio.run() (and asyncio.Runner) close every unfinished async generator of
        # their loop before closing it. This one's ``finally`` then closes the pool on
        # that loop while it still runs, so a client reused across asyncio.run() calls
        # leaks no sockets.
        self._loop_guard = self._close_with_loop(client)
        await self._loop_guard.__anext__()
        return client, slots

    @staticmethod
    async def _close_with_loop(client: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
        try:
            yield
            await asyncio.Event().wait()  # pragma: no cover - never resumed
        finally:
            if not client.closed:
                await client.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        kind: RequestKind,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        options: RequestOptions | None = None,
        log_path: str | None = None,
    ) -> Response:
        """Send a request, retrying as its kind and the retry policy allow.

        Each attempt first waits for the rate limiter. A 429 for the burst window pauses
        every sender of the client (through the limiter) and is retried; a daily 429 is
        raised at once. An expired OAuth token is refreshed once. Ambiguous failures
        are retried only for reads and upserts (and creates with ``retry_writes="always"``).

        Args:
            method: HTTP method.
            path: path below the base URL, already quoted, starting with ``/``.
            kind: what repeating the request can do.
            json_body: a JSON-ready value to send as the body, or ``None``.
            params: query parameters.
            options: overrides the client's options for this request.
            log_path: the path as it may appear in logs, when ``path`` holds personal
                data (a lookup by email, say).

        Raises:
            APIError: HubSpot answered with a status of 400 or more (the subclass says which).
            APIConnectionError: the exchange failed at the transport level.
            APITimeoutError: it took longer than the timeout.
        """
        opts = options or self.options
        data = None if json_body is None else _encode_json(json_body).encode()
        retries = 0
        attempt = 0
        paused = 0.0
        refreshed = False
        probing = False
        while True:
            client, slots = self._client, self._slots
            if client is None or slots is None or self._loop is not asyncio.get_running_loop():
                client, slots = await self._client_for_this_loop()
            if not self._warm and not probing:
                probing = await self._wait_for_warm_up()
            token = self._static_token
            try:
                if token is None:
                    token = await self._token(method, log_path or path)
                # A connection slot first, then the rate limiter: the limiter counts a
                # start the moment it lets a request go, so nothing may delay the send.
                async with slots:
                    waited = await self.limiter.acquire()
                    if waited:
                        self._rate_limit_wait += waited
                    attempt += 1
                    return await self._send_once(
                        client, method, path, data, params, token, opts, log_path, attempt
                    )
            except AuthenticationError as exc:
                if not exc.expired or refreshed or self._invalidate is None or token is None:
                    raise
                refreshed = True
                self._invalidate(token)
                self.count_retry("expired token", 0.0, method, log_path or path, exc)
                continue
            except HubCRMError as exc:
                if isinstance(exc, DailyLimitError):
                    # A limiter shared between processes (Redis) tells the others to stop.
                    reached = getattr(self.limiter, "daily_limit_reached", None)
                    if reached is not None:
                        reached(exc)
                decision = decide(opts.retry, kind, exc, retries)
                if not decision.retry:
                    raise
                failure = exc
            finally:
                if probing:  # the first attempt is over (or abandoned): open the gate
                    probing = self._warm_up_done()
            if decision.rate_limited:
                # The limiter holds every sender; this request waits its turn in acquire().
                pause = self.limiter.penalize(decision.wait)
                paused += pause
                if paused > opts.retry.rate_limit_deadline:
                    raise failure
                self._pauses += 1
                self._pause_time += pause
                self.count_retry(decision.reason, pause, method, log_path or path, failure)
            else:
                retries += 1
                wait = decision.wait or 0.0
                self.count_retry(decision.reason, wait, method, log_path or path, failure)
                await asyncio.sleep(wait)

    async def _token(self, method: str, path: str) -> str:
        try:
            return await self._token_provider.token()
        except (AuthenticationError, DailyLimitError):
            raise
        except HubCRMError as exc:
            # The token endpoint failed (a 5xx, a timeout, a malformed answer): the API
            # request itself was never sent, so for write safety it was not processed.
            raise APIConnectionError(
                f"could not get an access token ({exc}); the request was not sent",
                method=method,
                path=path,
                request_sent=False,
            ) from exc

    async def _wait_for_warm_up(self) -> bool:
        """Hold every request but one until the first response; True for that one."""
        warmed = self._warmed
        if self._probing and warmed is not None:
            await warmed.wait()
            return False
        self._probing = True
        return True

    def _warm_up_done(self) -> bool:
        self._warm = True
        if self._warmed is not None:
            self._warmed.set()
        return False

    def count_retry(
        self, reason: str, wait: float, method: str, path: str, error: HubCRMError
    ) -> None:
        """Count a retry in the stats and log it (never with property values)."""
        self._retries[reason] = self._retries.get(reason, 0) + 1
        logger.info(
            "retrying %s %s in %.2f s: %s (correlation id %s)",
            method,
            path,
            wait,
            reason,
            getattr(error, "correlation_id", None) or "-",
        )

    async def _send_once(
        self,
        client: aiohttp.ClientSession,
        method: str,
        path: str,
        data: bytes | None,
        params: Mapping[str, str] | None,
        token: str,
        opts: RequestOptions,
        log_path: str | None,
        attempt: int,
    ) -> Response:
        """One HTTP exchange: a 2xx Response, or the error it maps to."""
        headers = {"Authorization": f"Bearer {token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        t = opts.timeouts
        url = self._base_url + path
        self._requests += 1
        started = time.perf_counter()
        try:
            async with client.request(
                method, url, data=data, params=params, headers=headers, timeout=t.client_timeout
            ) as resp:
                body = await resp.read()
                status = resp.status
                resp_headers = resp.headers
        except aiohttp.ClientConnectorError as exc:
            # No connection was made, so the request was certainly not processed.
            raise APIConnectionError(
                f"could not connect to {self._base_url}: {exc.os_error or exc}",
                method=method,
                path=log_path or path,
                request_sent=False,
            ) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise APITimeoutError(
                f"connecting to {self._base_url} took longer than {t.connect} s",
                method=method,
                path=log_path or path,
                request_sent=False,
            ) from exc
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise APITimeoutError(
                f"no complete response within {t.total} s; the request may have been processed",
                method=method,
                path=log_path or path,
                request_sent=True,
            ) from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(
                f"the connection failed before a complete response "
                f"({type(exc).__name__}: {exc}); the request may have been processed",
                method=method,
                path=log_path or path,
                request_sent=True,
            ) from exc
        self.limiter.observe(resp_headers)
        if "X-HubSpot-RateLimit-Max" in resp_headers or "X-HubSpot-RateLimit-Daily" in resp_headers:
            self._rate_limit_headers = resp_headers  # parsed only when stats are read
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.1f ms (attempt %d, correlation id %s)",
                method,
                log_path or path,
                status,
                (time.perf_counter() - started) * 1000,
                attempt,
                resp_headers.get("x-hubspot-correlation-id", "-"),
            )
        if status >= 400:
            if status == 429:
                self._rate_limited += 1
            raise error_from_response(
                status, body, resp_headers, method=method, path=log_path or path
            )
        return Response(status, resp_headers, body)

    async def aclose(self) -> None:
        """Close the connection pool. Safe to call more than once."""
        self._closed = True
        client, self._client = self._client, None
        guard, self._loop_guard = self._loop_guard, None
        if client is None:
            return
        if os.getpid() == self._pid and self._loop is asyncio.get_running_loop():
            if guard is not None:
                await guard.aclose()  # its ``finally`` closes the pool
            await client.close()
            # A limiter with connections of its own (RedisRateLimiter.from_url) closes
            # them on this loop, where they were made.
            limiter_close = getattr(self.limiter, "aclose", None)
            if limiter_close is not None:
                await limiter_close()
        else:
            # Made on a loop that is gone, or inherited through fork(): its sockets belong
            # to that loop (or to the parent process), so they are left alone.
            client.detach()
