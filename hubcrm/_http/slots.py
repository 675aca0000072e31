"""Slots: a transport's connection slots, taken without a coroutine when one is free.

An ``asyncio.Semaphore`` costs about seven Python calls per ``async with``; a request
that finds a slot free here costs none to take it (``free`` is read and decremented in
place by the session) and one to give it back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

__all__ = ["Slots"]


class Slots:
    """``size`` slots, handed out first come, first served.

    A released slot goes straight to the longest waiter, so ``free`` is above zero only
    when nobody waits: a caller that finds ``free`` above zero may take a slot by
    decrementing it, with no await in between. Otherwise it awaits :meth:`acquire`.
    Every slot taken is given back with :meth:`release`.
    """

    __slots__ = ("_waiters", "free")

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        """Whether a caller would have to wait for a slot."""
        return self.free <= 0

    async def acquire(self) -> None:
        """Take a slot, waiting for one when none is free. Cancelling a waiter is safe:
        a slot handed to it as it was cancelled goes on to the next."""
        if self.free > 0:
            self.free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over as it was cancelled: pass it on
            elif waiter in self._waiters:  # a release may have dropped it already
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the longest waiter, or to the free ones."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
