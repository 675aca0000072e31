"""The transport: aiohttp connection pools, and the one mapping of transport failures.

:data:`TRANSPORT_ERRORS` names aiohttp's exceptions and :func:`transport_error` maps
them; no other module names an aiohttp exception. Every HTTP exchange (the API's and the
OAuth token endpoint's) catches that tuple, and each failure leaves as an
:class:`APIConnectionError` or :class:`APITimeoutError` whose ``request_sent`` says
whether the server may have acted.
:class:`Pool` owns the ``aiohttp.ClientSession`` of one client on one event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Mapping

import aiohttp

from ._errors import CLIENT_CLOSED, APIConnectionError, APITimeoutError, HubCRMError

__all__ = ["TRANSPORT_ERRORS", "Pool", "transport_error"]


#: Every exception of aiohttp's that a request can raise: catch these, and map them with
#: :func:`transport_error`. ``asyncio.TimeoutError`` is aiohttp's total timeout.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError)


def transport_error(
    exc: BaseException, *, target: str, method: str, path: str, total: float, connect: float
) -> APIConnectionError:
    """The hubcrm error for one of :data:`TRANSPORT_ERRORS`, to raise ``from exc``.

    Used as ``except TRANSPORT_ERRORS as exc: raise transport_error(exc, ...) from exc``:
    a ``try`` costs nothing when the request succeeds, unlike a context manager object
    made per request.

    Args:
        exc: the aiohttp (or timeout) exception.
        target: what was being reached, for messages (a base URL, "the OAuth token
            endpoint").
        method: the request's method.
        path: the request's path as it may appear in logs and messages.
        total: the exchange's time limit in seconds, for messages.
        connect: the connect time limit in seconds, for messages.

    Returns:
        An ``APIConnectionError`` with ``request_sent=False`` when no connection was
        made (so the request was certainly not processed), else ``True``; an
        ``APITimeoutError`` when connecting (not sent) or answering (maybe processed)
        took too long.
    """
    if isinstance(exc, aiohttp.ClientConnectorError):
        # No connection was made, so the request was certainly not processed.
        return APIConnectionError(
            f"could not connect to {target}: {exc.os_error or exc}",
            method=method,
            path=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError(
            f"connecting to {target} took longer than {connect} s",
            method=method,
            path=path,
            request_sent=False,
        )
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return APITimeoutError(
            f"no complete response from {target} within {total} s; the request "
            f"may have been processed",
            method=method,
            path=path,
            request_sent=True,
        )
    return APIConnectionError(
        # The exception's name only: some aiohttp errors print the whole URL, whose
        # path may hold a unique value (an email) that the error's own path hides.
        f"the connection to {target} failed before a complete response "
        f"({type(exc).__name__}); the request may have been processed",
        method=method,
        path=path,
        request_sent=True,
    )


class Pool:
    """The connection pool of one client: an ``aiohttp.ClientSession`` and its slots.

    A ClientSession belongs to the loop that made it, so it is made lazily inside the
    running loop, made afresh when that loop has finished (a second ``asyncio.run``) or
    in a forked child, and refused while another live loop owns it.
    """

    def __init__(self, *, max_connections: int, headers: Mapping[str, str]) -> None:
        self.max_connections = max_connections
        self._headers = dict(headers)
        self.client: aiohttp.ClientSession | None = None
        self.slots: asyncio.Semaphore | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._closed = False
        self._loop_guard: AsyncGenerator[None, None] | None = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    async def open_for_this_loop(self) -> bool:
        """Make the pool usable on the running loop; True when it was made anew.

        Raises:
            HubCRMError: the pool is closed, or in use on another live loop.
        """
        if self._closed:
            raise HubCRMError(CLIENT_CLOSED)
        loop = asyncio.get_running_loop()
        if self.client is not None and self.slots is not None and self.loop is loop:
            return False
        if self.client is not None and os.getpid() == self._pid:
            old = self.loop
            if old is not None and not old.is_closed():
                raise HubCRMError(
                    "this AsyncHubCRM is already in use on another event loop; an async "
                    "client belongs to one loop. Create one client per loop, or use the "
                    "sync HubCRM, which runs its own loop"
                )
        # First use, a finished loop, or a forked child: the old ClientSession belongs
        # to a loop that is gone, so it is abandoned, not closed.
        self._pid = os.getpid()
        self.loop = loop
        connector = aiohttp.TCPConnector(limit=self.max_connections, limit_per_host=0)
        self.client = client = aiohttp.ClientSession(
            connector=connector, headers=self._headers, raise_for_status=False
        )
        self.slots = asyncio.Semaphore(self.max_connections)
        # asyncio.run() (and asyncio.Runner) close every unfinished async generator of
        # their loop before closing it. This one's ``finally`` then closes the pool on
        # that loop while it still runs, so a client reused across asyncio.run() calls
        # leaks no sockets.
        self._loop_guard = self._close_with_loop(client)
        await self._loop_guard.__anext__()
        return True

    @staticmethod
    async def _close_with_loop(client: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
        try:
            yield
            await asyncio.Event().wait()  # pragma: no cover - never resumed
        finally:
            if not client.closed:
                await client.close()

    async def aclose(self) -> bool:
        """Close the pool; True when it was closed on its own loop (not abandoned)."""
        self._closed = True
        client, self.client = self.client, None
        guard, self._loop_guard = self._loop_guard, None
        if client is None:
            return False
        if os.getpid() == self._pid and self.loop is asyncio.get_running_loop():
            if guard is not None:
                await guard.aclose()  # its ``finally`` closes the pool
            await client.close()
            return True
        # Made on a loop that is gone, or inherited through fork(): its sockets belong
        # to that loop (or to the parent process), so they are left alone.
        client.detach()
        return False
