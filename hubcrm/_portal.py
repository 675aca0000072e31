"""Run the async client's coroutines for blocking callers.

Each sync client owns one :class:`Portal`: a daemon thread running an asyncio event loop
(through anyio's :class:`~anyio.from_thread.BlockingPortal`) for the client's whole
life. The async client, its connection pool and its rate limiter live on that loop, so
connection reuse and limits hold across calls and across the caller's threads.

Why the portal is hand-built around ``BlockingPortal`` rather than taken from
``anyio.from_thread.start_blocking_portal``: after ``os.fork()`` the child must forget
the parent's portal without touching it (its thread does not exist in the child). The
context manager form would, when collected, try to stop the dead loop and block.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Protocol, TypeVar

from anyio.from_thread import BlockingPortal

from ._errors import HubCRMError

__all__ = ["Portal", "SyncClientBase"]

T = TypeVar("T")

_STOP = object()


class _LoopThread:
    """A daemon thread whose event loop serves one BlockingPortal until stopped."""

    def __init__(self, name: str) -> None:
        ready: concurrent.futures.Future[BlockingPortal] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, args=(ready,), name=name, daemon=True)
        self._thread.start()
        self.portal = ready.result()
        self.thread_id = self._thread.ident

    def _main(self, ready: concurrent.futures.Future[BlockingPortal]) -> None:
        async def serve() -> None:
            async with BlockingPortal() as portal:
                ready.set_result(portal)
                await portal.sleep_until_stopped()

        try:
            asyncio.run(serve())
        except BaseException as exc:  # pragma: no cover - loop failed to start
            if not ready.done():
                ready.set_exception(exc)
            raise

    def stop(self) -> None:
        """Stop the loop after the tasks it is running finish, and join the thread."""
        with contextlib.suppress(RuntimeError):  # already stopped
            self.portal.call(self.portal.stop)
        self._thread.join()


_LIVE_PORTALS: weakref.WeakSet[Portal] = weakref.WeakSet()


def _reset_locks_after_fork() -> None:
    # A lock held by another thread at the moment of fork() stays held forever in the
    # child, where that thread does not exist. Give every live portal a fresh one.
    for portal in list(_LIVE_PORTALS):
        portal._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_locks_after_fork)


class Portal:
    """One long-lived event loop thread per sync client, started on first use.

    Thread-safe: any number of threads may call :meth:`call` at once. Fork-safe: in a
    child process the first call starts a fresh loop thread.
    """

    def __init__(self, name: str = "hubcrm-portal") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop_thread: _LoopThread | None = None
        self._pid = os.getpid()
        self._closed = False
        _LIVE_PORTALS.add(self)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def _running(self) -> _LoopThread:
        lt = self._loop_thread
        if lt is not None and self._pid == os.getpid():
            if lt.thread_id == threading.get_ident():
                raise HubCRMError(
                    "a blocking hubcrm call was made from the client's own event loop "
                    "thread (for example from a callback the client is running); it "
                    "would wait for itself forever. Use the async client there instead"
                )
            return lt
        with self._lock:
            if self._closed:
                raise HubCRMError("this hubcrm client is closed; create a new one")
            if self._loop_thread is None or self._pid != os.getpid():
                # First use, or a forked child: the parent's loop thread does not exist
                # here, so it is forgotten (never stopped or joined).
                self._pid = os.getpid()
                self._loop_thread = _LoopThread(self._name)
            return self._loop_thread

    def call(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run ``func()`` on the loop thread, wait for it and return its result."""
        return self._running().portal.call(func)

    def iterate(self, factory: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
        """Drive the async iterator that ``factory()`` makes, one item per step.

        Breaking out of the loop closes the async iterator on its loop.
        """
        portal = self._running().portal

        async def make() -> AsyncIterator[T]:
            return factory()

        # Made now, not on the first next(): bad arguments raise from this call, as
        # they do from the async method.
        return self._drive(portal, portal.call(make))

    @staticmethod
    def _drive(portal: BlockingPortal, it: AsyncIterator[T]) -> Iterator[T]:
        async def step() -> Any:
            try:
                return await it.__anext__()
            except StopAsyncIteration:
                return _STOP

        try:
            while True:
                item = portal.call(step)
                if item is _STOP:
                    return
                yield item
        finally:
            aclose: Callable[[], Awaitable[None]] | None = getattr(it, "aclose", None)
            if aclose is not None:
                portal.call(aclose)

    def close(self, finalizer: Callable[[], Awaitable[None]]) -> None:
        """Run ``finalizer()`` on the loop, then stop the loop. Idempotent."""
        lt = self._loop_thread
        if lt is not None and lt.thread_id == threading.get_ident():
            raise HubCRMError(
                "a hubcrm client cannot be closed from its own event loop thread (for "
                "example from a callback it is running); close it from your own code"
            )
        with self._lock:
            if self._closed:
                return
            self._closed = True
            lt, self._loop_thread = self._loop_thread, None
        if lt is not None and self._pid == os.getpid():
            try:
                lt.portal.call(finalizer)
            finally:
                lt.stop()
        else:
            # Never used in this process: nothing is bound to a loop, but the async
            # client still has to be marked closed. A short-lived thread runs it, so
            # this works even from a thread whose own loop is running.
            worker = threading.Thread(target=asyncio.run, args=(finalizer(),))
            worker.start()
            worker.join()


class _AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


class SyncClientBase:
    """What every generated sync client shares: closing and the context manager."""

    _async_client: _AsyncClosable
    _portal: Portal

    @property
    def closed(self) -> bool:
        """Whether the client has been closed."""
        return self._portal.closed

    def close(self) -> None:
        """Close the client's connections and stop its event loop thread.

        Safe to call more than once. Calls made after it raise ``HubCRMError``.
        """
        self._portal.close(self._async_client.aclose)

    def __enter__(self: _S) -> _S:
        if self._portal.closed:
            raise HubCRMError("this hubcrm client is closed; create a new one")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_S = TypeVar("_S", bound=SyncClientBase)
