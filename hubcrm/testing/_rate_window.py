"""HubSpot's rolling-window burst limit per app and the daily cap per account."""

from __future__ import annotations

from collections import deque

from ._clock import Clock

__all__ = [
    "DAILY_HEADER",
    "DAILY_REMAINING_HEADER",
    "INTERVAL_HEADER",
    "MAX_HEADER",
    "OAUTH_APP_PREFIX",
    "REMAINING_HEADER",
    "RateLimiter",
]

MAX_HEADER = "X-HubSpot-RateLimit-Max"
REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"
INTERVAL_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
DAILY_HEADER = "X-HubSpot-RateLimit-Daily"
DAILY_REMAINING_HEADER = "X-HubSpot-RateLimit-Daily-Remaining"
OAUTH_APP_PREFIX = "oauth:"
"""How the app key of a request authenticated with an OAuth access token begins."""


class RateLimiter:
    """At most ``limit`` processed requests per app in any ``window`` seconds.

    Each app keeps a deque of the monotonic times of its processed requests; a request is
    admitted when fewer than ``limit`` of them are younger than ``window``. Rejected
    requests are not recorded, so a 429 costs no budget. Not thread-safe on its own: the
    emulator calls it under its lock.
    """

    def __init__(
        self, clock: Clock, rate_limit: tuple[int, float] | None, daily_limit: int | None
    ) -> None:
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}
        self.daily_used = 0
        self.configure(rate_limit, daily_limit)

    def configure(self, rate_limit: tuple[int, float] | None, daily_limit: int | None) -> None:
        """Set both limits; clears the current windows (not the daily count)."""
        if rate_limit is not None:
            limit, window = rate_limit
            if int(limit) != limit or limit < 1 or not window > 0:
                raise ValueError("rate_limit must be (N >= 1 requests, W > 0 seconds)")
            rate_limit = (int(limit), float(window))
        if daily_limit is not None and daily_limit < 0:
            raise ValueError("daily_limit must be >= 0")
        self.rate_limit = rate_limit
        self.daily_limit = daily_limit
        self._windows.clear()
        interval = str(round(rate_limit[1] * 1000)) if rate_limit else ""
        self._interval_ms = interval
        self._max = str(rate_limit[0]) if rate_limit else ""

    def reset(self) -> None:
        """Forget every window and the daily count."""
        self._windows.clear()
        self.daily_used = 0

    def admit(self, app: str, headers: dict[str, str]) -> str | None:
        """Record one request of ``app`` if allowed; fill in the rate-limit headers.

        The daily pair (``X-HubSpot-RateLimit-Daily``, ``-Daily-Remaining``) is sent to
        private apps only, as HubSpot does; the daily cap still counts OAuth requests.

        Returns:
            ``None`` when admitted, else the policy that refused it: ``"DAILY"`` or
            ``"TEN_SECONDLY_ROLLING"``.
        """
        refused: str | None = None
        rate_limit = self.rate_limit
        window: deque[float] | None = None
        if self.daily_limit is not None and self.daily_used >= self.daily_limit:
            refused = "DAILY"
        if rate_limit is not None:
            limit, span = rate_limit
            now = self._clock.monotonic()
            window = self._windows.get(app)
            if window is None:
                window = self._windows[app] = deque()
            horizon = now - span
            while window and window[0] <= horizon:
                window.popleft()
            if refused is None:
                if len(window) >= limit:
                    refused = "TEN_SECONDLY_ROLLING"
                else:
                    window.append(now)
            headers[MAX_HEADER] = self._max
            headers[REMAINING_HEADER] = str(limit - len(window))
            headers[INTERVAL_HEADER] = self._interval_ms
        if refused is None:
            self.daily_used += 1
        # the daily pair is for private apps only: OAuth apps see the account's cap as 429s
        if self.daily_limit is not None and not app.startswith(OAUTH_APP_PREFIX):
            headers[DAILY_HEADER] = str(self.daily_limit)
            headers[DAILY_REMAINING_HEADER] = str(max(0, self.daily_limit - self.daily_used))
        return refused
