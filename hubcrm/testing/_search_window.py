"""HubSpot's search limit: a few requests per second per account, apart from the burst window."""

from __future__ import annotations

from collections import deque

from ._clock import Clock

__all__ = [
    "SEARCH_POLICY",
    "SearchLimiter",
]

SEARCH_POLICY = "SECONDLY"
"""The ``policyName`` of a 429 answering a search over its limit."""


class SearchLimiter:
    """At most ``limit`` searches per account in any ``window`` seconds.

    Searches are not counted in the ten-secondly window and their answers carry no
    rate-limit headers, as on HubSpot. Rejected searches are not recorded. The emulator
    calls it under its lock.
    """

    def __init__(self, clock: Clock, rate_limit: tuple[int, float] | None) -> None:
        self._clock = clock
        self._starts: deque[float] = deque()
        self.rate_limit: tuple[int, float] | None = None
        self.configure(rate_limit)

    def configure(self, rate_limit: tuple[int, float] | None) -> None:
        """Set the limit (``None``: unlimited); clears the window."""
        if rate_limit is not None:
            limit, window = rate_limit
            if int(limit) != limit or limit < 1 or not window > 0:
                raise ValueError("search_rate_limit must be (N >= 1 requests, W > 0 seconds)")
            rate_limit = (int(limit), float(window))
        self.rate_limit = rate_limit
        self._starts.clear()

    def reset(self) -> None:
        """Forget the window."""
        self._starts.clear()

    def admit(self) -> bool:
        """Record one search if the window has room; False when it must be refused."""
        if self.rate_limit is None:
            return True
        limit, span = self.rate_limit
        now = self._clock.monotonic()
        starts = self._starts
        while starts and starts[0] <= now - span:
            starts.popleft()
        if len(starts) >= limit:
            return False
        starts.append(now)
        return True
