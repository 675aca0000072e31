"""The waiting room every limiter shares: a FIFO queue, one timer, and the pause after a 429.

:class:`_Gate` decides nothing about windows: a limiter built on it says when the next
request may start (``_delay``) and counts a start (``_record``); the gate queues the
waiters, wakes the head one, and holds everyone while a penalty pause is on.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from .ratelimit import _NEGLIGIBLE, _margin, held_back

# Nothing here is public: _Gate is the private base of the limiters in _limiters.py.
__all__: list[str] = []


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Gate:
    """What both limiters share: a FIFO queue of waiters, one timer, and penalties.

    Waiters queue on one ``asyncio.Lock``, which is first-in, first-out; only the waiter
    at its head sleeps on a timer, so thousands of waiters cost one future each. The
    loop-bound primitives are made lazily and made afresh when the running loop changes
    (a second ``asyncio.run()``); everything else carries over.

    A pause (after a 429) is waited out outside the queue: every waiter leaves it in
    order, checks the pause against its own ``max_pause`` (raising at once when the pause
    outlasts it), and sleeps on one shared future that a longer pause resolves early so
    that each re-checks. When the pause ends they queue again in the order they left.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._paused_until = 0.0
        self.total_wait: float = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._queued = 0  # tasks in _wait_turn: while any, nobody takes the fast path
        self._wakeup: asyncio.Future[None] | None = None
        self._pause_over: asyncio.Future[None] | None = None  # shared by pause waiters

    @property
    def paused_until(self) -> float:
        """The clock value until which every sender is held, or ``0.0`` if none is."""
        until = self._paused_until
        if until and until <= self._clock():
            self._paused_until = until = 0.0
        return until

    def _delay(self, now: float) -> float:
        """Seconds until one more request may start (zero or less: now)."""
        return self._paused_until - now

    def _record(self, now: float) -> None:
        """Count a request as started at ``now``."""

    def _lock_for_running_loop(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._lock
        if lock is None or self._loop is not loop:
            # First use, or a new loop (asyncio.run() called again): an asyncio.Lock binds
            # itself to the loop it first waits on, so the old one is of no use here.
            self._loop = loop
            self._lock = lock = asyncio.Lock()
            self._wakeup = None
            self._pause_over = None
        return lock

    async def _wait_turn(self, max_pause: float) -> float:
        lock = self._lock_for_running_loop()
        clock = self._clock
        start = clock()
        limit = start + max_pause
        self._queued += 1
        try:
            while True:
                if self._paused_until:
                    await self._wait_out_pause(limit)
                async with lock:
                    now = await self._granted(clock)
                if now is not None:
                    return self._counted_wait(start, now)
        finally:
            self._queued -= 1

    async def _granted(self, clock: Callable[[], float]) -> float | None:
        """With the lock held: wait until the window has room, record the start.

        Returns ``None``, counting nothing, when a pause holds senders: the caller
        leaves the queue and waits it out with its own bound.
        """
        # Read the clock again: queueing for the lock took time too.
        now = clock()
        while True:
            if self._paused_until - now > _NEGLIGIBLE:
                return None
            delay = self._delay(now)
            if delay <= _NEGLIGIBLE:
                break
            await self._sleep(delay)  # penalize() wakes it early
            now = clock()
        # No await from the last check to here: the slot cannot be lost or doubled.
        self._record(now)
        return now

    async def _wait_out_pause(self, limit: float) -> None:
        """Outside the queue: wait until no pause holds senders.

        Raises:
            RateLimitPauseError: the pause lasts past ``limit`` (a clock value).
        """
        clock = self._clock
        while True:
            now = clock()
            until = self._paused_until
            if until - now <= _NEGLIGIBLE:
                return
            if until - limit > _NEGLIGIBLE:
                raise held_back(until - now, limit - now)
            over = self._pause_over
            if over is None or over.done():
                loop = asyncio.get_running_loop()
                self._pause_over = over = loop.create_future()
                loop.call_later(until - now, _wake, over)
            # Shielded: a cancelled waiter must not cancel the future the others share.
            await asyncio.shield(over)

    def _counted_wait(self, start: float, now: float) -> float:
        waited = now - start
        if waited > 0:
            self.total_wait += waited
            return waited
        return 0.0

    async def _sleep(self, delay: float) -> None:
        # A future, not asyncio.sleep(): observe() resolves it early when the limit changes,
        # so the head waiter re-checks at once instead of sleeping out the old window.
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(delay, _wake, future)
        self._wakeup = future
        try:
            await future
        finally:
            handle.cancel()
            if self._wakeup is future:
                self._wakeup = None

    def _wake_head_waiter(self) -> None:
        self._resolve(self._wakeup)

    def _resolve(self, future: asyncio.Future[None] | None) -> None:
        loop = self._loop
        if future is None or loop is None or future.done():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            future.set_result(None)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(_wake, future)

    def _pause(self, wait: float | None, interval: float) -> float:
        now = self._clock()
        if wait is None or not (0.0 <= wait < math.inf):
            wait = interval + _margin(interval)
        return self._hold_until(now + wait) - now

    def _hold_until(self, until: float) -> float:
        """Hold every sender until clock value ``until`` at least; return the pause's end."""
        if until > self._paused_until:
            self._paused_until = until
            # Every waiter re-checks the longer pause against its own bound: the head of
            # the queue (asleep on the window) and those already waiting out a pause.
            self._wake_head_waiter()
            self._resolve(self._pause_over)
        return self._paused_until
