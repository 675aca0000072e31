"""Run the async client's coroutines for blocking callers.

Each sync client owns one :class:`Portal`: a daemon thread running an asyncio event loop
for the client's whole life. The async client, its connection pool and its rate limiter
live on that loop, so connection reuse and limits hold across calls and across the
caller's threads.

A call crosses threads once each way: the caller hands its task to the loop and waits
for the task to finish, never for it to start. The hand-over is a queue of calls and a
``call_soon_threadsafe`` wake-up of the loop, unless one is on its way already: one
wake-up of a busy loop starts the calls of many threads. Each call's task runs in a
copy of its caller's context (``contextvars``), as an awaited coroutine would: the
span current in the calling thread is the parent of the call's spans. anyio's ``BlockingPortal``
would also wait for the loop to confirm that the task has started, a second round trip
per call, and spawn it through a task group; here it is a plain asyncio task, run inside
an anyio ``CancelScope`` so that cancelling it is level-triggered as before. After
``os.fork()`` the child forgets the parent's loop thread without touching it (it does
not exist in the child).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import logging
import os
import threading
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from ._core.errors import CLIENT_CLOSED, HubCRMError

if TYPE_CHECKING:
    # Imported by _Call.run when the loop thread runs the first call: importing the
    # blocking client does not load anyio's task machinery.
    from anyio import CancelScope

__all__ = ["Portal", "SyncClientBase"]

T = TypeVar("T")

_STOP = object()

# How long an interrupted call waits for its task on the loop to finish cancelling.
_CANCEL_TIMEOUT = 10.0

logger = logging.getLogger("hubcrm")


class _LoopThread:
    """A daemon thread whose event loop runs the tasks handed to it until stopped."""

    def __init__(self, name: str) -> None:
        ready: concurrent.futures.Future[asyncio.AbstractEventLoop] = concurrent.futures.Future()
        self._stopped: asyncio.Event | None = None
        # The tasks running, kept alive here (the loop holds them weakly) until each
        # removes itself as it ends. Touched on the loop thread only.
        self._tasks: set[asyncio.Task[object]] = set()
        # Calls handed over and not yet started, oldest first. Appended to by any
        # thread; emptied by _drain on the loop thread (deque's append and popleft are
        # atomic). One wake-up of the loop drains every call handed over meanwhile.
        # Each call keeps its caller's context (contextvars: the current span, for
        # one), which its task runs in, whichever caller's hand-over woke the loop.
        self._pending: collections.deque[
            tuple[Callable[[], Coroutine[Any, Any, object]], contextvars.Context]
        ] = collections.deque()
        # Whether a _drain is on its way to the loop: a caller that finds it set need
        # not wake the loop. Set by callers after they append, cleared by _drain before
        # it empties the queue: a call appended too late for that drain finds it
        # cleared and wakes the loop again (at worst a drain finds nothing to do).
        self._wake_pending = False
        self._thread = threading.Thread(target=self._main, args=(ready,), name=name, daemon=True)
        self._thread.start()
        self._loop = ready.result()
        self.thread_id = self._thread.ident

    def _main(self, ready: concurrent.futures.Future[asyncio.AbstractEventLoop]) -> None:
        async def serve() -> None:
            self._stopped = asyncio.Event()
            ready.set_result(asyncio.get_running_loop())
            await self._stopped.wait()
            while self._tasks:  # the tasks still running finish first
                await asyncio.wait(set(self._tasks))
                # One that never ran (so never left the set) is done all the same.
                self._tasks.difference_update([t for t in self._tasks if t.done()])

        try:
            asyncio.run(serve())
        except BaseException as exc:  # pragma: no cover - loop failed to start
            if not ready.done():
                ready.set_exception(exc)
            raise

    def start_task_soon(self, func: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """Hand ``func()`` to the loop as a task, without waiting for it to start.

        Tasks start in the order they were handed over. The loop is woken only when no
        wake-up is on its way to it already: one wake-up starts every task handed over
        meanwhile, from any thread.

        Raises:
            RuntimeError: the loop has stopped.
        """
        self._pending.append((func, contextvars.copy_context()))
        if not self._wake_pending:
            self._wake_pending = True
            self._loop.call_soon_threadsafe(self._drain)

    def start_task_waking(self, func: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """:meth:`start_task_soon`, always waking the loop: for a call's cancellation,
        which must not depend on a hand-over that an interrupt may have cut short
        (after it marked a wake-up as on its way, before sending it)."""
        self._pending.append((func, contextvars.copy_context()))
        self._wake_pending = True
        self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        self._wake_pending = False
        pending, create_task, tasks = self._pending, self._loop.create_task, self._tasks
        while pending:
            func, context = pending.popleft()
            # A plain asyncio task: the call's own CancelScope (in _Call.run) is what
            # cancels it, and an anyio task group would add its bookkeeping to every call.
            # Made inside the caller's context, the task runs in a copy of it. It leaves
            # the set itself (_Call), which spares every call a done callback's turn.
            tasks.add(context.run(create_task, func()))

    def stop(self) -> None:
        """Stop the loop after the tasks it is running finish, and join the thread."""
        stopped = self._stopped
        if stopped is not None:
            with contextlib.suppress(RuntimeError):  # already stopped
                self._loop.call_soon_threadsafe(stopped.set)
        self._thread.join()


_LIVE_PORTALS: weakref.WeakSet[Portal] = weakref.WeakSet()


def _reset_locks_after_fork() -> None:
    # A lock held by another thread at the moment of fork() stays held forever in the
    # child, where that thread does not exist. Give every live portal a fresh one.
    for portal in list(_LIVE_PORTALS):
        portal._lock = threading.Lock()
        portal._idle = threading.Condition(portal._lock)
        portal._in_flight = 0  # the calls of the parent's other threads
        portal._iterators = {}  # bound to the parent's loop


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_locks_after_fork)


#: The most items one read-ahead step hands over (a page of the largest size, 200).
_READ_AHEAD_ITEMS = 200


async def _next(it: AsyncGenerator[T, None]) -> T | object:
    try:
        return await it.__anext__()
    except StopAsyncIteration:
        return _STOP


class _Stream(Generic[T]):
    """An async generator driven from another thread, with what it has read ahead."""

    def __init__(self, it: AsyncGenerator[T, None], *, read_ahead: bool) -> None:
        self._it = it
        self._read_ahead = read_ahead
        self._ahead: asyncio.Future[T | object] | None = None  # the next item, on its way

    async def take(self) -> list[T]:
        """The next items (at least one), or none when the generator is exhausted."""
        ahead, self._ahead = self._ahead, None
        item = await (ahead if ahead is not None else _next(self._it))
        if item is _STOP:
            return []
        items = [cast(T, item)]
        while self._read_ahead and len(items) < _READ_AHEAD_ITEMS:
            ahead = asyncio.ensure_future(_next(self._it))
            await asyncio.sleep(0)  # one loop turn: an item already at hand is done by now
            if not ahead.done() or ahead.cancelled() or ahead.exception() is not None:
                self._ahead = ahead  # still coming, or failed: the next take() waits or raises
                break
            item = ahead.result()
            if item is _STOP:
                self._ahead = ahead  # the next take() reports the end
                break
            items.append(cast(T, item))
        return items

    async def aclose(self) -> None:
        """Stop what is read ahead, then close the generator."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.cancel()
            await asyncio.wait([ahead])  # this close may itself be cancelled: not caught
            if not ahead.cancelled():
                ahead.exception()  # a failure read ahead goes with the stream, unraised
        await self._it.aclose()


class Portal:
    """One long-lived event loop thread per sync client, started on first use.

    Thread-safe: any number of threads may call :meth:`call` at once. Fork-safe: in a
    child process the first call starts a fresh loop thread.

    A call interrupted in its caller's thread (Ctrl-C: ``KeyboardInterrupt``, or any
    exception raised there while it waits) cancels its task on the loop, as cancelling
    an ``await`` would, and waits for that cancellation to finish before the exception
    goes on. :meth:`close` waits for the calls in flight.
    """

    def __init__(self, name: str = "hubcrm-portal") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._iterators: dict[int, _Stream[Any]] = {}  # open ones, by id()
        self._loop_thread: _LoopThread | None = None
        self._pid = os.getpid()
        self._closed = False
        self._finalized = False
        _LIVE_PORTALS.add(self)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def _enter(self) -> _LoopThread:
        """Count one more call in flight and return the running loop to make it on."""
        lt = self._loop_thread
        if lt is not None and lt.thread_id == threading.get_ident() and self._pid == os.getpid():
            raise HubCRMError(
                "a blocking hubcrm call was made from the client's own event loop "
                "thread (for example from a callback the client is running); it "
                "would wait for itself forever. Use the async client there instead"
            )
        with self._lock:
            if self._closed:
                raise HubCRMError(CLIENT_CLOSED)
            if self._loop_thread is None or self._pid != os.getpid():
                # First use, or a forked child: the parent's loop thread does not exist
                # here, so it is forgotten (never stopped or joined).
                self._pid = os.getpid()
                self._loop_thread = _LoopThread(self._name)
            self._in_flight += 1
            return self._loop_thread

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.notify_all()

    def call(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run ``func()`` on the loop thread, wait for it and return its result.

        Raises:
            HubCRMError: the client is closed, or this is the loop thread itself.
        """
        loop = self._enter()
        try:
            return _call(loop, func)
        finally:
            self._leave()

    def iterate(
        self, factory: Callable[[], AsyncGenerator[T, None]], *, read_ahead: bool = False
    ) -> Generator[T, None, None]:
        """Drive the async generator that ``factory()`` makes from the caller's thread.

        Without ``read_ahead``, one item per step: the generator runs only while the
        caller waits for an item. With it (for reads), a step takes every item the
        generator has ready, and the generator goes on to its next item (a page
        request, say) while the caller works through them; one thread crossing then
        serves a whole page instead of one item.

        Breaking out of the loop (or an exception in the caller's thread, such as
        Ctrl-C) closes the async generator on its loop. After :meth:`close`, a step
        raises ``HubCRMError``.
        """

        async def make() -> _Stream[T]:
            return _Stream(factory(), read_ahead=read_ahead)

        # Made now, not on the first next(): bad arguments raise from this call, as
        # they do from the async method.
        stream = self.call(make)
        with self._lock:
            self._iterators[id(stream)] = stream
        return self._drive(stream)

    def _drive(self, stream: _Stream[T]) -> Generator[T, None, None]:
        try:
            while True:
                items = self.call(stream.take)
                if not items:
                    return
                for item in items:
                    if self._closed:  # items taken ahead are not handed out after close()
                        raise HubCRMError(CLIENT_CLOSED)
                    yield item
        finally:
            self._forget(stream)

    def _forget(self, stream: _Stream[Any]) -> None:
        """Close ``stream`` on the loop, unless it is gone with the client already."""
        with self._lock:
            if self._iterators.pop(id(stream), None) is None or self._closed:
                return  # close() has closed it
        self.call(stream.aclose)

    def close(self, finalizer: Callable[[], Awaitable[None]]) -> None:
        """Refuse new calls, wait for those in flight, run ``finalizer()``, stop the loop.

        Iterators left open (neither exhausted nor closed) are closed first, as if their
        loop had been left early. Idempotent.
        """
        lt = self._loop_thread
        if lt is not None and lt.thread_id == threading.get_ident():
            raise HubCRMError(
                "a hubcrm client cannot be closed from its own event loop thread (for "
                "example from a callback it is running); close it from your own code"
            )
        with self._lock:
            self._closed = True  # from now on, calls are refused
            while self._in_flight:
                # Interruptible: a Ctrl-C here leaves the client closed to new calls,
                # and a later close() waits again and finishes the job.
                self._idle.wait()
            if self._finalized:
                return
            self._finalized = True
            lt, self._loop_thread = self._loop_thread, None
            iterators, self._iterators = list(self._iterators.values()), {}
        if lt is not None and self._pid == os.getpid():
            try:
                failure: BaseException | None = None
                for stream in iterators:
                    try:
                        _call(lt, stream.aclose)
                    except Exception as exc:  # the finalizer runs whatever an iterator did
                        failure = failure or exc
                _call(lt, finalizer)
                if failure is not None:
                    raise failure
            finally:
                lt.stop()
        else:
            # Never used in this process: nothing is bound to a loop, but the async
            # client still has to be marked closed. A short-lived thread runs it, so
            # this works even from a thread whose own loop is running.
            worker = threading.Thread(target=asyncio.run, args=(finalizer(),))
            worker.start()
            worker.join()


def _call(loop: _LoopThread, func: Callable[[], Awaitable[T]]) -> T:
    """Run ``func()`` as a task on ``loop`` and wait for it; cancel it if interrupted."""
    call = _Call(func, loop._tasks)
    try:
        loop.start_task_soon(call.run)
        return call.result()
    except BaseException:
        # Interrupted while handing the call over or waiting for it (KeyboardInterrupt
        # from Ctrl-C, or an exception a signal handler raised), or the call failed.
        call.abandon(loop)
        raise


class _Call(Generic[T]):
    """One blocking call's task, which its caller's thread can cancel at any moment.

    The caller may be interrupted before the task starts, while it runs, or even while
    it is being handed to the loop (when the caller cannot know whether it will run).
    All three end the same way: the task is cancelled, or never runs ``func``.
    """

    def __init__(self, func: Callable[[], Awaitable[T]], tasks: set[asyncio.Task[object]]) -> None:
        self._func = func
        self._tasks = tasks  # the loop thread's, which each task of this call leaves
        # Touched only on the loop thread, so no lock: run() and cancel() never overlap.
        self._started = False
        self._abandoned = False
        self._scope: CancelScope | None = None
        # What the task returned or raised, read once it has finished.
        self._result: T | None = None
        self._error: BaseException | None = None
        # Held until the task has finished, or is known never to start: a bare lock is
        # the cheapest thing a thread can block on (an Event adds a Condition and a
        # second lock per wait). Only the loop thread releases it, once (_finish), and
        # sets _done first, which the caller's thread may read at any time.
        self._done = False
        self._running = threading.Lock()
        self._running.acquire()

    async def run(self) -> None:
        self._started = True
        task = asyncio.current_task()
        try:
            if self._abandoned:
                return  # cancelled before it started: do nothing
            from anyio import CancelScope

            with CancelScope() as scope:
                self._scope = scope
                self._result = await self._func()
            if scope.cancelled_caught:  # by abandon(): nobody is waiting for a result
                self._error = concurrent.futures.CancelledError()
        except asyncio.CancelledError:
            # Cancelled by something other than abandon(): the caller sees it as
            # cancelled, and the task ends quietly (the loop's group is not cancelled).
            self._error = concurrent.futures.CancelledError()
        except BaseException as exc:
            self._error = exc
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt or SystemExit on the loop thread goes on there
        finally:
            self._scope = None
            self._tasks.discard(task)
            self._finish()

    def _finish(self) -> None:
        if not self._done:  # else run() after a _cancel() that found it not started
            self._done = True
            self._running.release()

    def result(self) -> T:
        """Wait for the task; return what it returned or raise what it raised."""
        # Interruptible, as a lock's acquire() is: Ctrl-C raises KeyboardInterrupt here.
        self._running.acquire()
        self._running.release()  # abandon() and a second result() see it finished
        error, self._error = self._error, None
        if error is not None:
            try:
                raise error
            finally:
                error = None  # no reference cycle through the traceback
        return cast(T, self._result)

    async def _cancel(self) -> None:
        self._abandoned = True
        self._tasks.discard(asyncio.current_task())  # this task leaves the set itself too
        if self._scope is not None:
            self._scope.cancel()
        elif not self._started:
            # Tasks start in the order they were handed over: had the call reached
            # the loop, it would have started before this.
            self._finish()

    def abandon(self, loop: _LoopThread) -> None:
        """Cancel the task on the loop; wait (bounded) until it has finished."""
        if self._done:
            return  # it finished (with the error being raised): nothing runs
        loop.start_task_waking(self._cancel)
        if self._running.acquire(timeout=_CANCEL_TIMEOUT):
            self._running.release()
        else:
            logger.warning(
                "an interrupted hubcrm call did not finish cancelling within %g s; "
                "it may still be running on the client's event loop",
                _CANCEL_TIMEOUT,
            )


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

        Calls made (from any thread) once this is called raise ``HubCRMError``; the
        calls other threads already made run to their end first, and iterators left
        open are closed, as if left early. Safe to call more than once.
        """
        self._portal.close(self._async_client.aclose)

    def __enter__(self: _S) -> _S:
        if self._portal.closed:
            raise HubCRMError(CLIENT_CLOSED)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_S = TypeVar("_S", bound=SyncClientBase)
