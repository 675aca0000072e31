"""Client-side rate limiting: a rolling window that mirrors HubSpot's burst limit.

HubSpot counts the requests of an app in a rolling window (100, 110, 190 or 250 per
10 seconds, depending on the plan) and answers 429 past it. :class:`RollingWindowLimiter`
keeps the client under that limit: at most ``max_requests`` request *starts* in any
``interval`` seconds, shared by every task that sends through one client (and, through
the sync facade, every thread, since they all run on the facade's one loop).

The session talks to a limiter only through the :class:`Limiter` protocol, so that a
limiter shared between processes can replace the in-process one. Every method the
session calls is declared there; the optional ones have no-op bodies that a subclass
inherits.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from ._errors import DailyLimitError, RateLimitPauseError

__all__ = [
    "DAILY_HEADER",
    "DAILY_REMAINING_HEADER",
    "INTERVAL_HEADER",
    "MAX_HEADER",
    "REMAINING_HEADER",
    "Limiter",
    "PauseOnlyLimiter",
    "RateLimit",
    "RollingWindowLimiter",
    "held_back",
]

logger = logging.getLogger("hubcrm")

MAX_HEADER = "X-HubSpot-RateLimit-Max"
INTERVAL_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"
DAILY_HEADER = "X-HubSpot-RateLimit-Daily"
DAILY_REMAINING_HEADER = "X-HubSpot-RateLimit-Daily-Remaining"
# Fallbacks for a plain dict with lower-cased keys; aiohttp's headers are case-insensitive.
_MAX_HEADER_LOWER = MAX_HEADER.lower()
_INTERVAL_HEADER_LOWER = INTERVAL_HEADER.lower()

# Waits shorter than this are float dust (a timer fires a hair early, a sum of floats is
# off in its last bit): sleeping again for them would only spin the loop.
_NEGLIGIBLE = 1e-6

_PARSE_RE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d*)?|\.\d+)\s*s?\s*", re.IGNORECASE)


def _check_max_requests(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_requests must be an int, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"max_requests must be at least 1, not {value}")
    return value


def _check_interval(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"interval must be a number of seconds, not {type(value).__name__}")
    interval = float(value)
    if not (0.0 < interval < math.inf):
        raise ValueError(f"interval must be a positive, finite number of seconds, not {value!r}")
    return interval


@attrs.frozen
class RateLimit:
    """At most ``max_requests`` request starts in any ``interval`` seconds.

    The class attributes are HubSpot's burst limits per plan (private apps unless
    noted): ``FREE`` and ``STARTER`` (100 per 10 s), ``PROFESSIONAL`` and
    ``ENTERPRISE`` (190), ``API_LIMIT_INCREASE`` (250), ``OAUTH_APP`` (110 per
    installing account) and ``DEFAULT`` (100 per 10 s, safe for every plan).

    Attributes:
        max_requests: how many requests may start in one window; at least 1.
        interval: the window's length in seconds; positive.

    Raises:
        TypeError: ``max_requests`` is not an int, or ``interval`` not a number.
        ValueError: either is zero or negative, or ``interval`` is not finite.
    """

    max_requests: int = attrs.field(converter=_check_max_requests)
    interval: float = attrs.field(converter=_check_interval)

    FREE: ClassVar[RateLimit]
    STARTER: ClassVar[RateLimit]
    PROFESSIONAL: ClassVar[RateLimit]
    ENTERPRISE: ClassVar[RateLimit]
    API_LIMIT_INCREASE: ClassVar[RateLimit]
    OAUTH_APP: ClassVar[RateLimit]
    DEFAULT: ClassVar[RateLimit]

    @property
    def per_second(self) -> float:
        """The sustained rate this limit permits, in requests per second."""
        return self.max_requests / self.interval

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Read a limit written as ``"190/10"`` or ``"190/10s"`` (requests / seconds).

        Raises:
            ValueError: ``text`` is not of that form, or a number in it is zero.
        """
        match = _PARSE_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"a rate limit is written REQUESTS/SECONDS, such as '190/10' or '20/0.5s', "
                f"not {text!r}"
            )
        return cls(int(match[1]), float(match[2]))

    def __str__(self) -> str:
        return f"{self.max_requests}/{self.interval:g}s"


RateLimit.FREE = RateLimit(100, 10.0)
RateLimit.STARTER = RateLimit(100, 10.0)
RateLimit.PROFESSIONAL = RateLimit(190, 10.0)
RateLimit.ENTERPRISE = RateLimit(190, 10.0)
RateLimit.API_LIMIT_INCREASE = RateLimit(250, 10.0)
RateLimit.OAUTH_APP = RateLimit(110, 10.0)
RateLimit.DEFAULT = RateLimit(100, 10.0)


@runtime_checkable
class Limiter(Protocol):
    """Everything the session asks of a rate limiter.

    The in-process :class:`RollingWindowLimiter` implements it, and so does
    :class:`~hubcrm.RedisRateLimiter`, which shares one budget between processes. A
    limiter of your own may subclass this protocol: it then inherits the no-op bodies of
    :meth:`daily_limit_reached` and :meth:`aclose` and the default of
    :attr:`rate_limit`, and only :meth:`acquire`, :meth:`observe` and :meth:`penalize`
    are left to write. The session passes every :meth:`acquire` a ``max_pause``: a
    limiter that pauses must not hold the call longer than that.
    """

    async def acquire(self, max_pause: float = math.inf) -> float:
        """Wait until one more request may start, count it, and return the seconds waited.

        Args:
            max_pause: the longest a :meth:`penalize` pause may hold this call, in
                seconds from the call. When a pause (on already, or begun while the call
                waits) would hold it longer, the call raises at once instead of waiting.
                The session passes what is left of the request's ``rate_limit_deadline``.

        Raises:
            RateLimitPauseError: a pause outlasts ``max_pause``; nothing was counted and the
                request must not be sent. Its ``retry_after`` is the pause left.
        """
        ...

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's ``X-HubSpot-RateLimit-*`` headers."""
        ...

    def penalize(self, wait: float | None = None) -> float:
        """Hold every sender after a 429 ``TEN_SECONDLY_ROLLING``; return the pause length."""
        ...

    @property
    def rate_limit(self) -> RateLimit | None:
        """The limit kept to now, or ``None`` when the limiter keeps no window.

        The bulk engine sizes its concurrency from it; a limiter with a window learns
        the real limit from HubSpot's first response, so the session sends one request
        alone until then.
        """
        return None

    def daily_limit_reached(self, error: DailyLimitError) -> None:
        """HubSpot answered 429 ``DAILY``: a shared limiter tells the other processes."""
        return None  # noqa: RET501 - a real body: subclasses inherit it

    async def aclose(self) -> None:
        """Release what the limiter owns (its connections), on the client's loop."""
        return None  # noqa: RET501 - a real body: subclasses inherit it


def _margin(interval: float) -> float:
    # A request starts here but HubSpot stamps it when it arrives. If an earlier request
    # was delayed on its way (a new connection, a busy loop) and a later one was not, the
    # server would see both inside one window: a 429. Waiting a little past the window
    # absorbs that jitter. It keeps 98% of the permitted rate on HubSpot's 10-second
    # windows, 97% at 50 per second and 96% at 20 per half second.
    return 0.02 * interval + 0.010


def _parse_announced(max_text: str | None, interval_text: str | None) -> RateLimit | None:
    if not max_text or not interval_text:
        return None
    max_text = max_text.strip()
    interval_text = interval_text.strip()
    # int() alone would accept "+5", "1_000" and non-ASCII digits.
    if not (max_text.isascii() and max_text.isdigit()):
        return None
    if not (interval_text.isascii() and interval_text.isdigit()):
        return None
    max_requests, interval_ms = int(max_text), int(interval_text)
    if max_requests <= 0 or interval_ms <= 0:
        return None
    return RateLimit(max_requests, interval_ms / 1000)


def _within_both(a: RateLimit, b: RateLimit) -> RateLimit:
    """The fastest single limit that keeps to both ``a`` and ``b``.

    With equal intervals that is simply the lower ``max_requests``. With different ones,
    keeping N starts per window W keeps at most ``N * ceil(W' / W)`` in any window W', so
    each candidate window (``a``'s or ``b``'s) gets the largest N that fits both.
    """
    if a == b:
        return a
    best: RateLimit | None = None
    for window in (a.interval, b.interval):
        n = min(limit.max_requests // math.ceil(limit.interval / window - 1e-9) for limit in (a, b))
        if n >= 1:
            candidate = RateLimit(n, window)
            if best is None or candidate.per_second > best.per_second:
                best = candidate
    assert best is not None  # the longer window always fits min(max_requests) >= 1
    return best


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def held_back(left: float, allowed: float) -> RateLimitPauseError:
    """The error for a waiter that a pause of ``left`` more seconds would hold too long."""
    from ._errors import RateLimitPauseError

    return RateLimitPauseError(
        f"every request is paused for {left:.1f} s more after a 429, longer than this "
        f"request may still wait ({max(allowed, 0.0):.1f} s left of its "
        f"rate_limit_deadline); the request was not sent",
        status=429,
        category="RATE_LIMITS",
        headers={"Retry-After": repr(left)},
        body={"status": "error", "policyName": "TEN_SECONDLY_ROLLING"},
    )


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
        if not self._queued and self._loop is asyncio.get_running_loop():
            now = self._clock()
            if self._delay(now) <= _NEGLIGIBLE:
                self._record(now)
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

        Args:
            wait: seconds to pause, from ``Retry-After`` when HubSpot sent one. ``None``
                (or a value that is negative or not finite) pauses until the window has
                drained: one interval plus the safety margin.

        Returns:
            How long senders are now held, in seconds from now. Overlapping penalties do
            not add up: the pause ends at the latest of their ends.
        """
        return self._penalize_window(wait)
