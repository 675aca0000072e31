"""The emulator's clock: real time plus an offset a test can advance."""

from __future__ import annotations

import time

__all__ = [
    "Clock",
]


class Clock:
    """Monotonic and wall time, both shifted by :meth:`advance`; wall time also by
    ``skew`` (HubSpot's clock ahead of the machine's, or behind it when negative)."""

    __slots__ = ("offset", "skew")

    def __init__(self) -> None:
        self.offset = 0.0
        self.skew = 0.0

    def monotonic(self) -> float:
        """Seconds on a monotonic clock (rate-limit windows, token expiry)."""
        return time.monotonic() + self.offset

    def time(self) -> float:
        """Seconds since the epoch (``createdAt`` and friends)."""
        return time.time() + self.offset + self.skew

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
