"""The two clocks hubcrm reads, and how it waits, behind small interfaces tests can replace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "Random", "Sleep"]

#: How hubcrm waits between attempts: ``await sleep(seconds)``, as :func:`asyncio.sleep`.
Sleep = Callable[[float], Awaitable[None]]

#: Where retry jitter comes from: a float in ``[0, 1)``, as :func:`random.random`.
Random = Callable[[], float]


@runtime_checkable
class Clock(Protocol):
    """A source of time: wall-clock seconds and monotonic seconds.

    The :mod:`time` module is one, and it is :class:`OAuth`'s default ``clock``
    (token expiry needs wall-clock time). A test passes an object of its own whose
    readings it moves forward by hand, so that expiry is tested on virtual time,
    without sleeping. The limiters need monotonic time only: their ``clock`` is a
    function returning seconds (``time.monotonic`` by default; ``loop.time`` of an
    asyncio loop on virtual time works too).
    """

    def time(self) -> float:
        """Seconds since the epoch, as :func:`time.time` returns them."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, as :func:`time.monotonic` returns them."""
        ...
