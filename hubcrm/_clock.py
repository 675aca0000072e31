"""The two clocks hubcrm reads, behind one small interface that tests can replace."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Clock"]


@runtime_checkable
class Clock(Protocol):
    """A source of time: wall-clock seconds and monotonic seconds.

    The :mod:`time` module is one, and it is the default wherever hubcrm takes a
    ``clock``. A test passes an object of its own whose readings it moves forward by
    hand, so that expiry is tested on virtual time, without sleeping.
    """

    def time(self) -> float:
        """Seconds since the epoch, as :func:`time.time` returns them."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, as :func:`time.monotonic` returns them."""
        ...
