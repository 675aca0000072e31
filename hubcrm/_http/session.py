"""Session: one HTTP attempt of one client, with its transport, token, limiter and counters.

:meth:`Session.send` makes exactly one attempt: a connection slot, the rate limiter, the
exchange (through the client's :class:`~hubcrm._http.transport.Transport`), the mapping of
the answer. It never retries; deciding and performing retries is the job of
:mod:`hubcrm._http.retry` alone. Resources never call the session directly.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import attrs

from .._core.clock import Clock, Random, Sleep
from .._core.config import RequestOptions
from .._core.errors import (
    APIConnectionError,
    AuthenticationError,
    DailyLimitError,
    HubCRMError,
    ResponseParseError,
)
from .auth import OAuth, StaticToken, TokenProvider
from .codec import decode_json, encode_json
from .ratelimit import Limiter
from .stats import Counters
from .tracing import Attempt, Tracing, for_client
from .transport import Transport

if TYPE_CHECKING:
    from .client_stats import ClientStats

__all__ = [
    "Response",
    "Session",
    "encode_json",
    "object_type_segment",
    "path_segment",
    "request_path",
    "request_sent",
]

#: Called (when set, in the sending task's context) as each attempt leaves the rate
#: limiter to go on the wire: what tells a request that may have reached HubSpot from
#: one still waiting its turn, when the task is cancelled.
request_sent: ContextVar[Callable[[], None] | None] = ContextVar(
    "hubcrm_request_sent", default=None
)

logger = logging.getLogger("hubcrm")

_BAD_OBJECT_TYPE_CHARS = frozenset("/?#%")
# URL normalisation removes these segments (or the one before), so a request with one
# would reach another path than the one meant.
_DOT_SEGMENTS = frozenset({".", ".."})


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
    if object_type in _DOT_SEGMENTS:
        raise ValueError(
            f"object_type {object_type!r} is not a type name: a path would read it as "
            f"'this folder' or 'the folder above'"
        )
    for ch in object_type:
        if ch in _BAD_OBJECT_TYPE_CHARS or ch.isspace():
            raise ValueError(
                f"object_type {object_type!r} contains {ch!r}; object types are names "
                f"('contacts', 'p1234_cars') or ids ('0-1', '2-123')"
            )
    return quote(object_type, safe="")


def path_segment(value: object, name: str) -> str:
    """Validate a record id (or unique value) and return it URL-quoted for a path.

    Raises:
        ValueError: ``value`` is not a non-empty str, or is ``"."`` or ``".."``, which
            URL normalisation would turn into another path.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str")
    if value in _DOT_SEGMENTS:
        raise ValueError(
            f"{name} {value!r} cannot be sent: a path would read it as 'this folder' or "
            f"'the folder above', and the request would reach another endpoint"
        )
    return quote(value, safe="")


def _reads_as_dot_segment(segment: str) -> bool:
    """Whether a quoted path segment could reach a server (or a proxy before it) as
    ``.`` or ``..``: decoded once or twice (``%2e%2e``, ``%252e``), and split at an
    encoded slash or a backslash, which some servers take for a slash."""
    for _ in range(3):
        parts = segment.replace("\\", "/").split("/")
        if any(part in _DOT_SEGMENTS for part in parts):
            return True
        decoded = unquote(segment)
        if decoded == segment:
            return False
        segment = decoded
    return False


def request_path(path: object) -> str:
    """Validate the path of a raw request (``crm.request``); returns it.

    The rule of :func:`path_segment`, for a path its caller quoted: no segment may
    read as ``.`` or ``..``, in any encoding or case (``/../``, ``/%2e%2E/``,
    ``/%2e%2e%2f``, ``/..%5c``), since URL normalisation (by the client, a proxy or the
    server) would take the request, and its token, outside the base URL's path.

    Raises:
        TypeError: ``path`` is not a str.
        ValueError: it does not start with a single ``/``, holds a query or a fragment,
            or has a dot segment.
    """
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(
            f"path must start with a single '/' and be relative to the base URL, not {path!r}"
        )
    if "?" in path or "#" in path:
        raise ValueError("pass query parameters as params=, not in the path")
    for segment in path[1:].split("/"):
        if _reads_as_dot_segment(segment):
            raise ValueError(
                f"path has the segment {segment!r}, which reads as '.' or '..': "
                f"the request would leave the base URL's path (and take the token with it)"
            )
    return path


@attrs.define
class Response:
    """A successful (2xx) HTTP response, body fully read: what ``crm.request`` returns.

    Attributes:
        status: The HTTP status.
        headers: The response headers (case-insensitive).
        body: The body's bytes.
        resent_after_ambiguous: Whether hubcrm sent the request again after an attempt
            that failed ambiguously (a 5xx, a dropped connection, a timeout): HubSpot
            may have acted on that attempt too, so this answer describes the state the
            earlier attempt left (an upsert's record it made reads as existing).
    """

    # Not frozen: a frozen attrs class costs an object.__setattr__ per field on every
    # response.

    status: int
    headers: Mapping[str, str]
    body: bytes
    resent_after_ambiguous: bool = False

    def json(self) -> Any:
        """Decode the body as JSON; ``None`` when there is no body (a 204).

        Raises:
            ResponseParseError: the body is not JSON. HubSpot said the request succeeded,
                so what it did is known only to HubSpot: an ambiguous outcome.
        """
        try:
            return decode_json(self.body)
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            if not self.body:
                return None  # a 204, or any answer without a body
            raise ResponseParseError(
                f"HubSpot answered {self.status} (success) with a body that is not JSON "
                f"({len(self.body)} bytes); the request was processed but its result "
                f"cannot be read"
            ) from exc


class _Time:
    """Where a session and its views read the time, wait, and draw jitter (a plain
    class: shared and changed in place, never shown or compared)."""

    __slots__ = ("clock", "random", "sleep")

    def __init__(self, clock: Clock, sleep: Sleep, random: Random) -> None:
        self.clock = clock
        self.sleep = sleep
        self.random = random


class Session:
    """The HTTP side of one client: transport, auth, rate limiter, counters, and time.

    Every layer above reads the time and waits through the session: :attr:`clock`,
    :attr:`sleep` and :attr:`random` (by default the :mod:`time` module,
    :func:`asyncio.sleep` and :func:`random.random`). :meth:`use_time` replaces them, so
    that tests of retries and write settling run on virtual time.

    One ``Session`` per client (clients made by ``with_options`` share it). All its
    state lives on the instance, so two clients with two tokens in one process never mix.

    Args:
        base_url: the API root requests are sent under.
        token_provider: where each request's bearer token comes from. An :class:`OAuth`
            refreshes through ``transport``.
        options: the client's request options.
        limiter: the rate limiter every request passes.
        transport: what requests are sent through (its pool, its connection settings).
    """

    def __init__(
        self,
        *,
        base_url: str,
        token_provider: TokenProvider,
        options: RequestOptions,
        limiter: Limiter,
        transport: Transport,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self.token_provider = token_provider
        # A fixed token needs no await per request.
        self.static_token = (
            token_provider.value if isinstance(token_provider, StaticToken) else None
        )
        # OAuth's own token() refreshes through a connection of its own; the session's
        # refreshes go through this client's transport instead (a subclass that
        # overrides token() is called as it asks).
        self._oauth = (
            token_provider
            if isinstance(token_provider, OAuth) and type(token_provider).token is OAuth.token
            else None
        )
        self.options = options
        self.limiter = limiter
        self.counters: Counters = Counters()
        self.transport = transport
        # OpenTelemetry spans, when the otel extra is installed (None otherwise).
        self.tracing: Tracing | None = for_client(base_url)
        self._time = _Time(time, asyncio.sleep, random.random)  # shared with views
        # Slow start: until one response has told the limiter HubSpot's real limits, only
        # one request is in flight, so a first burst can't overrun a stricter limit. A
        # limiter that keeps no window has nothing to learn. The state belongs to one
        # loop: a new loop starts it over.
        self._warm = limiter.rate_limit is None
        self._probing = False
        self._warmed: asyncio.Event | None = None
        self._warm_loop: asyncio.AbstractEventLoop | None = None

    @property
    def clock(self) -> Clock:
        """Where wall-clock and monotonic time are read (the :mod:`time` module)."""
        return self._time.clock

    @property
    def sleep(self) -> Sleep:
        """How a backoff waits: ``await session.sleep(seconds)`` (:func:`asyncio.sleep`)."""
        return self._time.sleep

    @property
    def random(self) -> Random:
        """Where backoff jitter is drawn, in ``[0, 1)`` (:func:`random.random`)."""
        return self._time.random

    def use_time(
        self,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        random: Random | None = None,
    ) -> None:
        """Replace the clock, the sleep or the jitter of this session and its views.

        For tests: a virtual clock moved by a sleep that only yields to the loop puts
        retries and write settling on virtual time. A virtual ``sleep`` must still yield
        to the event loop and leave ``clock`` at least ``seconds`` later.
        """
        if clock is not None:
            self._time.clock = clock
        if sleep is not None:
            self._time.sleep = sleep
        if random is not None:
            self._time.random = random

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self.transport.closed

    @property
    def max_connections(self) -> int:
        """The most requests this session has in flight at once."""
        return self.transport.max_connections

    def stats(self) -> ClientStats:
        """A snapshot of the counters."""
        return self.counters.snapshot()

    async def token(self, method: str, path: str) -> str:
        """The bearer token for the next attempt.

        Raises:
            APIConnectionError: the token endpoint failed; the request was not sent.
            AuthenticationError: the token endpoint refused the credentials.
        """
        token = self.static_token
        if token is not None:
            return token
        oauth = self._oauth
        if oauth is not None and self.transport.slots() is None:
            # Opened here, not by the refresh: a closed client fails as it does on send.
            await self.transport.open()
        try:
            if oauth is not None:
                return await oauth._token_through(self.transport)
            return await self.token_provider.token()
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

    async def send(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None,
        params: Mapping[str, str] | None,
        token: str,
        options: RequestOptions,
        log_path: str,
        attempt: int,
        max_pause: float = math.inf,
        span: Attempt | None = None,
    ) -> Response:
        """Make one attempt: a 2xx :class:`Response`, or the error it maps to.

        A connection slot is taken first, then the rate limiter: the limiter counts a
        start the moment it lets a request go, so nothing may delay the send after it.
        ``max_pause`` bounds how long a 429 pause may hold the attempt in the limiter:
        a longer pause raises ``RateLimitError`` at once, and nothing is sent.
        ``span``, the attempt's tracing span, learns of the limiter's wait and the answer.
        """
        transport = self.transport
        slots = transport.slots()
        if slots is None:
            slots = await transport.open()
        probing = False
        if not self._warm:
            probing = await self._wait_for_warm_up()
        try:
            # A free slot is taken in place, without a coroutine (Slots keeps ``free``
            # at zero while anyone waits, so this cannot jump the queue).
            if slots.free > 0:
                slots.free -= 1
            else:
                await slots.acquire()
            try:
                waited = await self.limiter.acquire(max_pause)
                if waited:
                    self.counters.rate_limit_wait += waited
                    if span is not None:
                        span.waited(waited)
                sent = request_sent.get()
                if sent is not None:
                    sent()
                # The exchange itself, inline: one coroutine frame fewer per request.
                # The user's headers first: hubcrm's own are set after them, and win.
                extra = options.extra_headers
                headers = dict(extra) if extra else {}
                headers["Authorization"] = f"Bearer {token}"
                if data is not None:
                    headers["Content-Type"] = "application/json"
                counters = self.counters
                counters.requests += 1
                started = time.perf_counter()
                status, resp_headers, body = await transport.exchange(
                    method,
                    self._base_url + path,
                    data=data,
                    params=params,
                    headers=headers,
                    timeouts=options.timeouts,
                    target=self._base_url,
                    log_path=log_path,
                )
                self.limiter.observe(resp_headers)
                counters.saw_headers(resp_headers)
                if span is not None:
                    span.answered(status, resp_headers)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s %s -> %d in %.1f ms (attempt %d, correlation id %s)",
                        method,
                        log_path,
                        status,
                        (time.perf_counter() - started) * 1000,
                        attempt,
                        resp_headers.get("x-hubspot-correlation-id", "-"),
                    )
                if status >= 400:
                    if status == 429:
                        counters.rate_limited += 1
                    # The reading of error answers loads with the first one.
                    from .._core.error_bodies import error_from_response

                    raise error_from_response(
                        status, body, resp_headers, method=method, path=log_path
                    )
                return Response(status, resp_headers, body)
            finally:
                slots.release()
        finally:
            if probing:  # the first attempt is over (or abandoned): open the gate
                self._warm_up_done()

    def with_limiter(self, limiter: Limiter) -> Session:
        """A view of this session that passes another limiter instead of this one's.

        The view shares the pool, the token and the counters; requests sent through it
        pass ``limiter`` only, so they use none of this session's window. It is for
        endpoints HubSpot limits apart (search). Closing this session closes the view.
        """
        view = copy.copy(self)
        view.limiter = limiter
        # Answers from such endpoints carry no rate-limit headers to learn from.
        view._warm = True
        view._probing = False
        view._warmed = None
        view._warm_loop = None
        return view

    async def _wait_for_warm_up(self) -> bool:
        """Hold every request but one until the first response; True for that one."""
        loop = asyncio.get_running_loop()
        if self._warm_loop is not loop:
            # First use, or a new loop: an unfinished probe of a loop that is gone (a
            # second asyncio.run) holds nobody here.
            self._warm_loop = loop
            self._warmed = asyncio.Event()
            self._probing = False
        warmed = self._warmed
        if self._probing and warmed is not None:
            await warmed.wait()
            return False
        self._probing = True
        return True

    def _warm_up_done(self) -> None:
        self._warm = True
        if self._warmed is not None:
            self._warmed.set()

    async def aclose(self) -> None:
        """Close the connection pool and the limiter's connections. Safe to call twice."""
        if await self.transport.aclose():
            # A limiter with connections of its own (RedisRateLimiter.from_url) closes
            # them on this loop, where they were made.
            await self.limiter.aclose()
