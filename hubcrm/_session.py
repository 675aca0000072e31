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
from collections.abc import AsyncGenerator, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import attrs

from ._auth import TokenProvider
from ._errors import APIConnectionError, APITimeoutError, HubCRMError, error_from_response

__all__ = ["DEFAULT_BASE_URL", "Response", "Session", "Timeouts", "object_type_segment"]

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

    def aiohttp(self) -> aiohttp.ClientTimeout:
        """The same limits as aiohttp's timeout object."""
        return aiohttp.ClientTimeout(total=self.total, sock_connect=self.connect)

    def __attrs_post_init__(self) -> None:
        for name in ("total", "connect"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"timeout {name} must be a positive number, not {value!r}")


@attrs.frozen
class Response:
    """A successful (2xx) HTTP response, body fully read."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON.

        Raises:
            HubCRMError: the body is not JSON.
        """
        try:
            return _decode_json(self.body.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            snippet = self.body[:120].decode("utf-8", "replace")
            raise HubCRMError(
                f"HubSpot answered {self.status} with a body that is not JSON: {snippet!r}"
            ) from exc


def _user_agent() -> str:
    from . import __version__

    return f"hubcrm/{__version__} Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


class Session:
    """Owns the HTTP connection pool and performs every request of one client.

    One ``Session`` per client. All its state lives on the instance, so two clients
    with two tokens in one process never mix.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token_provider: TokenProvider,
        timeouts: Timeouts,
        max_connections: int,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token_provider = token_provider
        self.timeouts = timeouts
        self._max_connections = max_connections
        self._user_agent = _user_agent()
        self._client: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._client_timeout = timeouts.aiohttp()
        self._closed = False
        self._loop_guard: AsyncGenerator[None, None] | None = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

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
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        timeouts: Timeouts | None = None,
    ) -> Response:
        """Send one request and return its 2xx response.

        Args:
            method: HTTP method.
            path: path below the base URL, already quoted, starting with ``/``.
            json_body: a JSON-ready value to send as the body, or ``None``.
            params: query parameters.
            timeouts: overrides the client's timeouts for this request.

        Raises:
            APIError: HubSpot answered with a status of 400 or more (the subclass says which).
            APIConnectionError: the exchange failed at the transport level.
            APITimeoutError: it took longer than the timeout.
        """
        client, slots = self._client, self._slots
        if client is None or slots is None or self._loop is not asyncio.get_running_loop():
            client, slots = await self._client_for_this_loop()
        data = None if json_body is None else _encode_json(json_body).encode()
        token = await self._token_provider.token()
        headers = {"Authorization": f"Bearer {token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        t = timeouts or self.timeouts
        url = self._base_url + path
        async with slots:
            started = time.perf_counter()
            try:
                async with client.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers=headers,
                    timeout=self._client_timeout if timeouts is None else timeouts.aiohttp(),
                ) as resp:
                    body = await resp.read()
                    status = resp.status
                    resp_headers = resp.headers
            except aiohttp.ClientConnectorError as exc:
                # No connection was made, so the request was certainly not processed.
                raise APIConnectionError(
                    f"could not connect to {self._base_url}: {exc.os_error or exc}",
                    method=method,
                    path=path,
                    request_sent=False,
                ) from exc
            except aiohttp.ConnectionTimeoutError as exc:
                raise APITimeoutError(
                    f"connecting to {self._base_url} took longer than {t.connect} s",
                    method=method,
                    path=path,
                    request_sent=False,
                ) from exc
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise APITimeoutError(
                    f"no complete response within {t.total} s; the request may have been processed",
                    method=method,
                    path=path,
                    request_sent=True,
                ) from exc
            except aiohttp.ClientError as exc:
                raise APIConnectionError(
                    f"the connection failed before a complete response "
                    f"({type(exc).__name__}: {exc}); the request may have been processed",
                    method=method,
                    path=path,
                    request_sent=True,
                ) from exc
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.1f ms (correlation id %s)",
                method,
                path,
                status,
                (time.perf_counter() - started) * 1000,
                resp_headers.get("x-hubspot-correlation-id", "-"),
            )
        if status >= 400:
            raise error_from_response(status, body, resp_headers, method=method, path=path)
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
        else:
            # Made on a loop that is gone, or inherited through fork(): its sockets belong
            # to that loop (or to the parent process), so they are left alone.
            client.detach()
