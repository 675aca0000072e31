"""The in-process limiters: a rolling window that mirrors HubSpot's burst limit, or none.

:class:`RollingWindowLimiter` keeps the client under HubSpot's burst limit: at most
``max_requests`` request *starts* in any ``interval`` seconds, shared by every task that
sends through one client (and, through the sync facade, every thread, since they all run
on the facade's one loop). :class:`PauseOnlyLimiter` keeps no window but still pauses
every sender after a 429. ``_WindowLimiter`` is the part of the rolling window that
:class:`~hubcrm.RedisRateLimiter` shares.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from .gate import _Gate
from .ratelimit import (
    _NEGLIGIBLE,
    INTERVAL_HEADER,
    MAX_HEADER,
    Limiter,
    RateLimit,
    _margin,
    _parse_announced,
    _within_both,
)

__all__ = ["PauseOnlyLimiter", "RollingWindowLimiter"]

logger = logging.getLogger("hubcrm")

# Fallbacks for a plain dict with lower-cased keys; aiohttp's headers are case-insensitive.
_MAX_HEADER_LOWER = MAX_HEADER.lower()
_INTERVAL_HEADER_LOWER = INTERVAL_HEADER.lower()


class PauseOnlyLimiter(_Gate, Limiter):
    """No client-side window (what ``rate_limit=None`` means), but a 429 still pauses.

    :meth:`acquire` returns at once, except while a :meth:`penalize` pause is on: a 429
    then still holds every sender instead of letting each retry on its own.

    Args:
        clock: seconds on a monotonic clock; injectable for tests.

    Attributes:
        total_wait: seconds all :meth:`acquire` calls together have spent paused.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self._interval = RateLimit.DEFAULT.interval  # until HubSpot says otherwise
        self._seen_interval: str | None = None

    def __repr__(self) -> str:
        return "PauseOnlyLimiter()"

    async def acquire(self, max_pause: float = math.inf) -> float:
        """Return ``0.0`` at once, unless a penalty holds every sender.

        Args:
            max_pause: the longest the penalty may hold this call, in seconds from now.

        Returns:
            The seconds this call waited.

        Raises:
            RateLimitPauseError: the penalty outlasts ``max_pause`` (at once, not after it).
        """
        if not self._paused_until:
            return 0.0
        waited = await self._wait_turn(max_pause)
        if self._paused_until and self._paused_until <= self._clock():
            self._paused_until = 0.0  # back to the fast path
        return waited

    def observe(self, headers: Mapping[str, str]) -> None:
        """Note the window length HubSpot announces, for :meth:`penalize`; nothing else."""
        text = headers.get(INTERVAL_HEADER)
        if text is None:
            text = headers.get(_INTERVAL_HEADER_LOWER)
        if text is None or text == self._seen_interval:
            return
        self._seen_interval = text
        announced = _parse_announced("1", text)
        if announced is not None:
            self._interval = announced.interval

    def penalize(self, wait: float | None = None) -> float:
        """Hold every sender after a 429 ``TEN_SECONDLY_ROLLING``.

        Args:
            wait: seconds to pause, from ``Retry-After`` when HubSpot sent one. ``None``
                (or a value that is negative or not finite) pauses for one window (the
                last one HubSpot announced, else 10 s) plus a safety margin.

        Returns:
            How long senders are now held, in seconds from now. Overlapping penalties do
            not add up: the pause ends at the latest of their ends.
        """
        return self._pause(wait, self._interval)


class _WindowLimiter(_Gate, Limiter):
    """What both rolling-window limiters share: the limit kept to, what HubSpot
    announces, and the safety margin that widens with each 429 episode."""

    def __init__(
        self, rate_limit: RateLimit, *, explicit: bool, clock: Callable[[], float]
    ) -> None:
        super().__init__(clock)
        self._chosen = rate_limit
        self._explicit = explicit
        self._rate_limit = rate_limit
        self._margin = _margin(rate_limit.interval)
        self._announced: RateLimit | None = None
        self._seen: tuple[str | None, str | None] = (None, None)

    @property
    def rate_limit(self) -> RateLimit:
        """The limit kept to now; :meth:`observe` may change it."""
        return self._rate_limit

    @property
    def explicit(self) -> bool:
        """Whether the limit was chosen by the user (then HubSpot may only lower it)."""
        return self._explicit

    @property
    def announced(self) -> RateLimit | None:
        """The last limit HubSpot announced in its headers, if any."""
        return self._announced

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the limit HubSpot announces in a response's headers.

        Reads ``X-HubSpot-RateLimit-Max`` and ``X-HubSpot-RateLimit-Interval-Milliseconds``
        (from a case-insensitive mapping such as aiohttp's). Missing or malformed values
        are ignored. With ``explicit=False`` the announced limit is adopted as it is;
        with ``explicit=True`` it only ever makes the user's limit stricter. The start
        times already recorded stay, so a smaller limit never lets a burst through.
        """
        max_text = headers.get(MAX_HEADER)
        if max_text is None:
            max_text = headers.get(_MAX_HEADER_LOWER)
            if max_text is None:
                return  # search endpoints and errors before auth carry none
        interval_text = headers.get(INTERVAL_HEADER)
        if interval_text is None:
            interval_text = headers.get(_INTERVAL_HEADER_LOWER)
        seen = (max_text, interval_text)
        if seen == self._seen:
            return  # the common case: the same values as the last response
        self._seen = seen
        announced = _parse_announced(max_text, interval_text)
        if announced is None:
            return
        self._announced = announced
        target = _within_both(self._chosen, announced) if self._explicit else announced
        if target == self._rate_limit:
            return
        logger.debug(
            "rate limit: HubSpot announces %s; keeping to %s (was %s)",
            announced,
            target,
            self._rate_limit,
        )
        self._rate_limit = target
        self._margin = _margin(target.interval)
        self._wake_head_waiter()

    def _penalize_window(self, wait: float | None) -> float:
        interval = self._rate_limit.interval
        if self._paused_until <= self._clock():
            # A new 429 episode (not one more answer from the same burst): the window as
            # counted here ran ahead of HubSpot's count, which happens when requests
            # queue on the way or at the server. Widen the safety margin, up to a
            # quarter of the window, so the model stops overrunning.
            self._margin = min(self._margin * 2, interval / 4)
        return self._pause(wait, interval)


class RollingWindowLimiter(_WindowLimiter):
    """At most N request starts in any W seconds, the way HubSpot counts them.

    The start times of the last N requests are kept in a deque. A new request may start
    once the N-th most recent start is more than W (plus a small safety margin) in the
    past. Waiters queue on one ``asyncio.Lock``, which is first-in, first-out; only the
    waiter at its head sleeps on a timer, so thousands of waiters cost one future each.

    One instance serves one event loop at a time. When it is used from a new loop (after
    the previous one has closed, as with a second ``asyncio.run()``), its loop-bound
    primitives are made afresh; the recorded start times carry over.

    Args:
        rate_limit: the limit to keep to.
        explicit: whether the user chose ``rate_limit``. If so, a limit announced by
            HubSpot is adopted only where it is stricter; otherwise (the client's
            default) the announced limit replaces it.
        clock: seconds on a monotonic clock; injectable for tests.

    Attributes:
        total_wait: seconds all :meth:`acquire` calls together have spent waiting.
    """

    def __init__(
        self,
        rate_limit: RateLimit = RateLimit.DEFAULT,
        *,
        explicit: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(rate_limit, RateLimit):
            raise TypeError(
                f"rate_limit must be a hubcrm.RateLimit, not {type(rate_limit).__name__}"
            )
        super().__init__(rate_limit, explicit=explicit, clock=clock)
        self._starts: deque[float] = deque()
        self._episode: float | None = None  # when the latest 429 episode began

    def __repr__(self) -> str:
        return f"RollingWindowLimiter(rate_limit={self._rate_limit}, explicit={self._explicit})"

    def _delay(self, now: float) -> float:
        delay = self._paused_until - now
        n = self._rate_limit.max_requests
        starts = self._starts
        if len(starts) >= n:
            delay = max(delay, starts[-n] + self._rate_limit.interval + self._margin - now)
        return delay

    async def acquire(self, max_pause: float = math.inf) -> float:
        """Wait until one more request may start, and count it as started.

        Waiters are served first come, first served. Cancelling a waiter is safe: it
        leaves no slot counted and does not hold up the others.

        Args:
            max_pause: the longest a :meth:`penalize` pause may hold this call, in
                seconds from now. Waits for the window itself are not bounded.

        Returns:
            The seconds this call waited.

        Raises:
            RateLimitPauseError: a pause outlasts ``max_pause``: raised as soon as that is
                known (at the call, or when a longer pause begins), counting nothing.
        """
        # The usual case: nobody queued and room in the window. No await between the
        # check and the record, so no other task can slip in (and FIFO holds: with
        # anyone queued, this call queues too).
        # _delay() and _record(), inline: two Python calls fewer per request.
        if not self._queued and self._loop is asyncio.get_running_loop():
            now = self._clock()
            delay = self._paused_until - now
            starts = self._starts
            limit = self._rate_limit
            n = limit.max_requests
            if len(starts) >= n:
                delay = max(delay, starts[-n] + limit.interval + self._margin - now)
            if delay <= _NEGLIGIBLE:
                starts.append(now)
                while len(starts) > n:
                    starts.popleft()
                return 0.0
        return await self._wait_turn(max_pause)

    def _seed(self, starts: Iterable[float]) -> None:
        """Count earlier starts (clock values, oldest first) as made through this limiter."""
        for start in starts:
            self._record(start)

    def _record(self, now: float) -> None:
        starts = self._starts
        starts.append(now)
        excess = len(starts) - self._rate_limit.max_requests
        for _ in range(excess):
            starts.popleft()

    def penalize(self, wait: float | None = None) -> float:
        """Hold every sender after a 429 ``TEN_SECONDLY_ROLLING``.

        A 429 without ``Retry-After`` means HubSpot counted one request more in its
        window than this limiter did: a request delayed on its way (or by a pause of
        HubSpot's own) reached HubSpot late, beside later ones. A first such 429, with
        none in the window's time before it, holds nobody: the refused request waits
        its turn in the window like any other, and the others go on (holding every
        sender for a whole window would leave HubSpot's budget idle that long). More
        429s of the same burst (within a tenth of the window) change nothing; one after
        that but within the window's time means the count here is off by more than its
        safety margin: every sender is held until the window has drained, and the
        margin widens.

        Args:
            wait: seconds to pause, from ``Retry-After`` when HubSpot sent one. ``None``
                (or a value that is negative or not finite) holds as said above.

        Returns:
            How long senders are now held, in seconds from now. Overlapping penalties do
            not add up: the pause ends at the latest of their ends.
        """
        if wait is not None and 0.0 <= wait < math.inf:
            return self._penalize_window(wait)
        now = self._clock()
        interval = self._rate_limit.interval
        episode = self._episode
        if episode is not None and now - episode < interval / 10:
            return max(0.0, self._paused_until - now)  # the same burst
        self._episode = now
        if episode is not None and now - episode < interval:
            return self._penalize_window(None)  # again within the window: drain it
        return max(0.0, self._paused_until - now)
