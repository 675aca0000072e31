"""A rate limiter shared through Redis: one HubSpot budget for many processes and machines.

HubSpot's burst limit is per app and its daily limit per account, so every worker of a
deployment (Celery workers, gunicorn processes, the pods of a job) draws on one budget.
:class:`RedisRateLimiter` keeps the same rolling window as the in-process
:class:`~hubcrm.RollingWindowLimiter`, but in Redis, where every process sees it:

* ``hubcrm:{KEY}:starts``: a sorted set of request starts, scored by Redis' own clock
  (``TIME``), trimmed to the window and expiring on its own. A Lua script checks and
  records a start atomically, so no process can start a request the window does not
  allow, and clocks that disagree between machines do not matter.
* ``hubcrm:{KEY}:pause``: set when any process gets a 429 for the burst window; every
  process waits until it expires.
* ``hubcrm:{KEY}:daily``: set when any process gets a 429 ``DAILY``; every process raises
  :class:`~hubcrm.DailyLimitError` until it expires at the account's midnight.

The scripts themselves are in ``_redis_scripts.py``, and the handling of the Redis
client (processes, event loops, timeouts, background writes) in ``_redis_link.py``.

This module imports ``redis`` (the ``hubcrm[redis]`` extra); ``import hubcrm`` does not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import math
import os
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .._core.errors import DailyLimitError, RedisLimiterError
from .limiters import RollingWindowLimiter, _WindowLimiter
from .ratelimit import _NEGLIGIBLE, RateLimit, _check_interval, _check_max_requests
from .redis_link import _RedisLink, check_client, check_timeout
from .redis_scripts import check_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["OnRedisError", "RedisRateLimiter"]

logger = logging.getLogger("hubcrm")

OnRedisError = Literal["raise", "local"]
"""What :class:`RedisRateLimiter` does when Redis fails: raise, or limit locally."""


class _SharedDailyRefusal(DailyLimitError):
    """A request :meth:`RedisRateLimiter.acquire` refused because another process met
    429 ``DAILY``: not a new answer of HubSpot's, so not reported to Redis again."""


# How long a fallen-back limiter keeps to its local share before trying Redis again.
_REPROBE_MIN = 5.0


class _Paused(enum.Enum):
    """What the head of the queue answers when a pause holds senders."""

    PAUSED = "paused"


# The head found a pause: it leaves the queue, and every waiter waits the pause out with
# its own bound (a pause longer than a waiter's max_pause fails it at once).
_PAUSED: Final = _Paused.PAUSED


def _next_midnight(zone: ZoneInfo, now: float) -> float:
    """Epoch seconds of the next midnight in ``zone`` after epoch second ``now``."""
    local = dt.datetime.fromtimestamp(now, zone)
    tomorrow = (local + dt.timedelta(days=1)).date()
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone).timestamp()


class RedisRateLimiter(_RedisLink, _WindowLimiter):
    """One rolling-window budget, and HubSpot's pauses, shared through Redis.

    Give every process that uses one HubSpot app (or one account's daily limit) a limiter
    with the same ``key`` and the same limit::

        from redis.asyncio import Redis
        limiter = RedisRateLimiter(Redis(), key="acme-app", max_requests=190, interval=10)
        crm = AsyncHubCRM(rate_limit=limiter)

    or :meth:`from_url`. Each request start is checked and recorded in Redis by one
    atomic script using Redis' clock, so together the processes never start more than
    ``max_requests`` in any ``interval`` seconds (plus the same small safety margin as
    the in-process limiter). A 429 for the burst window seen by any process pauses them
    all until the window has drained; a 429 ``DAILY`` makes them all raise
    :class:`~hubcrm.DailyLimitError` until midnight in ``account_timezone``.

    Within one process, requests wait their turn first come, first served, and only
    the one at the head of the queue talks to Redis.

    One limiter serves one event loop at a time. A later loop may take it over (a second
    ``asyncio.run()``): when ``asyncio.run()`` ends, the limiter closes its client's
    pooled connections on that loop (a client passed in too; redis-py reconnects on the
    next use). If a loop is closed without that, its connections are set aside unclosed
    and, for :meth:`from_url`, a new client is made. After ``os.fork()`` a child gets
    start ids of its own and new connections (a new client for :meth:`from_url`, the
    passed client's pool emptied), and never touches the parent's sockets.

    Args:
        redis: a ``redis.asyncio.Redis`` client (the ``hubcrm[redis]`` extra). It must
            be used on one event loop at a time; the limiter does not close it.
        key: names the shared budget, such as the app id or the portal id: every
            process with the same key shares one limit. Never the token itself.
        max_requests: request starts allowed in one window, across all processes.
        interval: the window's length in seconds.
        on_redis_error: ``"raise"`` (default): when Redis cannot be reached or fails,
            :meth:`acquire` raises :class:`~hubcrm.RedisLimiterError` and the request
            is not sent. ``"local"``: fall back to an in-process limit of
            ``local_share`` of the budget, log a warning, and try Redis again later.
        local_share: with ``on_redis_error="local"``, the fraction of ``max_requests``
            this process may use on its own (``0.25`` for one of four workers).
        redis_timeout: the most seconds one Redis call may take before it counts as
            a Redis failure.
        account_timezone: the HubSpot account's time zone (an IANA name); its daily
            limit resets at midnight there.
        clock: seconds on a monotonic clock, for the local parts; injectable for tests.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: an argument is out of range, ``key`` is empty, has spaces or braces
            or looks like a token, or ``"local"`` is asked for without ``local_share``.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        key: str,
        max_requests: int,
        interval: float,
        on_redis_error: OnRedisError = "raise",
        local_share: float | None = None,
        redis_timeout: float = 1.0,
        account_timezone: str = "UTC",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_client(redis)
        limit = RateLimit(_check_max_requests(max_requests), _check_interval(interval))
        if on_redis_error not in ("raise", "local"):
            raise ValueError(f"on_redis_error must be 'raise' or 'local', not {on_redis_error!r}")
        if on_redis_error == "local":
            if local_share is None:
                raise ValueError(
                    "on_redis_error='local' needs local_share: the fraction of max_requests "
                    "this process may use alone while Redis is down (0.25 for one of four)"
                )
            if isinstance(local_share, bool) or not isinstance(local_share, (int, float)):
                raise TypeError(f"local_share must be a number, not {type(local_share).__name__}")
            if not 0.0 < local_share <= 1.0:
                raise ValueError(f"local_share must be in (0, 1], not {local_share!r}")
        super().__init__(limit, explicit=True, clock=clock)
        self._redis_timeout = check_timeout(redis_timeout)
        try:
            self._zone = ZoneInfo(account_timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown account_timezone {account_timezone!r}") from exc
        self._key = check_key(key)
        self._keys = [f"hubcrm:{{{key}}}:{part}" for part in ("starts", "pause", "daily")]
        self._use_client(redis)
        self._on_redis_error: OnRedisError = on_redis_error
        self._local_share = local_share
        self._local: RollingWindowLimiter | None = None
        self._local_until = 0.0  # while clock() < this, the fallback serves acquire()
        # This process's own recent starts (local clock): a fallback limiter starts from
        # them, and the starts it grants itself are written to Redis once it answers.
        self._recent: deque[float] = deque(maxlen=limit.max_requests)
        self._unshared: deque[float] = deque(maxlen=limit.max_requests)
        self._daily_until = 0.0  # epoch seconds until which the daily limit is spent
        self._owned = False
        self._url = ""  # from_url's, to make this process a client of its own
        self._pid = os.getpid()
        self._member_prefix = self._new_member_prefix()
        self._members = 0
        # The loop the client's pooled connections belong to (None: none are open), and
        # an async generator that closes them when that loop shuts down.
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._loop_guard: AsyncGenerator[None, None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        # Redis failures met by acquire(), and the latest: a waiter that queued before a
        # failure fails at once rather than waiting out a timeout of its own.
        self._failures = 0
        self._failure: RedisLimiterError | None = None
        #: Round trips to Redis made by :meth:`acquire` (more than one when it waited).
        self.redis_calls: int = 0
        #: Redis failures met (each raised, or each switching to the fallback).
        self.redis_errors: int = 0

    @classmethod
    def from_url(
        cls, url: str, *, key: str, max_requests: int, interval: float, **options: Any
    ) -> RedisRateLimiter:
        """Make a limiter with its own Redis client, closed by :meth:`aclose`.

        Args:
            url: a Redis URL such as ``redis://localhost:6379/0``.
            key: as for the constructor.
            max_requests: as for the constructor.
            interval: as for the constructor.
            **options: the constructor's other keyword arguments.

        Raises:
            ImportError: the redis package is not installed (``hubcrm[redis]``).
        """
        try:
            from redis.asyncio import Redis
        except ModuleNotFoundError as exc:
            raise ImportError(
                "RedisRateLimiter needs the redis package: "
                'pip install ".[redis]" in a clone of hubcrm '
                '(once hubcrm is on PyPI: pip install "hubcrm[redis]")',
                name="redis",
            ) from exc

        limiter = cls(
            Redis.from_url(url), key=key, max_requests=max_requests, interval=interval, **options
        )
        limiter._owned = True
        limiter._url = url
        return limiter

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(key={self._key!r}, rate_limit={self._rate_limit}, "
            f"mode={self.mode!r})"
        )

    @property
    def key(self) -> str:
        """The name of the shared budget."""
        return self._key

    @property
    def redis_keys(self) -> tuple[str, str, str]:
        """The Redis keys used: request starts, the burst pause, the daily flag."""
        starts, pause, daily = self._keys
        return starts, pause, daily

    @property
    def mode(self) -> Literal["shared", "local"]:
        """``"shared"`` while Redis serves; ``"local"`` while the fallback does."""
        return "local" if self._local_until > self._clock() else "shared"

    # -- acquire ---------------------------------------------------------------------

    async def acquire(self, max_pause: float = math.inf) -> float:
        """Wait until the shared window allows one more request, and record it there.

        Args:
            max_pause: the longest a pause (this process's, or one shared through Redis
                by another process's 429) may hold this call, in seconds from now.

        Returns:
            The seconds this call waited.

        Raises:
            RedisLimiterError: Redis failed and ``on_redis_error`` is ``"raise"``.
            DailyLimitError: a process sharing the key hit the account's daily limit.
            RateLimitPauseError: a pause outlasts ``max_pause``: raised as soon as
                this process knows of the pause, without waiting; nothing is recorded.
        """
        self._check_daily()
        clock = self._clock
        start = clock()
        limit = start + max_pause
        if self._local_until and self._local_until > start:
            return await self._acquire_local(limit)
        await self._bind()
        lock = self._lock_for_running_loop()
        failures = self._failures
        self._queued += 1
        try:
            while True:
                if self._paused_until:
                    await self._wait_out_pause(limit)
                async with lock:
                    granted = await self._acquire_shared(failures)
                if granted is not _PAUSED:
                    break
        finally:
            self._queued -= 1
        if granted is None:  # Redis failed: the fallback serves this call
            return self._counted_wait(start, clock()) + await self._acquire_local(limit)
        return self._counted_wait(start, granted)

    async def _acquire_local(self, limit: float) -> float:
        local = self._local
        assert local is not None
        waited = await local.acquire(limit - self._clock())
        now = self._clock()
        self._recent.append(now)
        self._unshared.append(now)
        return waited

    async def _acquire_shared(self, failures: int) -> float | _Paused | None:
        """With the lock held: the clock value when Redis granted, or None to fall back.

        ``failures`` is the count of Redis failures when this waiter queued. A pause,
        this process's or the shared one, gives the paused marker: the caller waits it
        out with its own bound and queues again.
        """
        clock = self._clock
        while True:
            if self._local_until > clock():
                return None  # another waiter found Redis failing while this one queued
            failure = self._failure
            if failure is not None and self._failures != failures:
                # Redis failed while this waiter queued: fail at once rather than each
                # queued request waiting out its own timeout against a hung server.
                raise RedisLimiterError(str(failure), key=self._key) from failure.__cause__
            if self._paused_until - clock() > _NEGLIGIBLE:  # a pause this process knows of
                return _PAUSED
            self._members += 1
            limit = self._rate_limit
            window = limit.interval + self._margin
            # Trim only what no process sharing the key still counts: the widest window
            # of a process with the same configured limit is 1.25 intervals.
            horizon = 2 * max(window, 1.25 * self._chosen.interval)
            args: list[int | str] = [
                limit.max_requests,
                math.ceil(window * 1e6),
                math.ceil(horizon * 1e6),
                f"{self._member_prefix}{self._members}",
            ]
            if self._unshared:  # Redis is being tried again after a fallback
                now = clock()
                args += [round((now - t) * 1e6) for t in self._unshared if now - t < window]
            try:
                self.redis_calls += 1
                status, micros = await self._call(self._acquire_script(keys=self._keys, args=args))
            except RedisLimiterError as exc:
                self._failures += 1
                self._failure = exc
                if self._on_redis_error == "raise":
                    raise
                self._fall_back(exc)
                return None
            self._unshared.clear()  # recorded by the script, whatever it answered
            if self._local_until:
                self._local_until = 0.0
                logger.warning("shared rate limit %r: Redis answers; sharing resumed", self._key)
            if status == 1:
                now = clock()
                self._recent.append(now)
                return now
            if status == -1:
                self._daily_spent(micros / 1e6 if micros > 0 else None)
                self._check_daily()
            if status == 2:  # another process's 429: hold this process's senders too
                self._hold_until(clock() + max(micros / 1e6, 0.001))
                return _PAUSED
            await self._sleep(max(micros / 1e6, 0.001))

    def _fall_back(self, error: RedisLimiterError) -> None:
        share = self._local_share
        assert share is not None
        limit = self._rate_limit
        local_limit = RateLimit(max(1, math.floor(limit.max_requests * share)), limit.interval)
        local = self._local
        fresh = local is None or local.rate_limit != local_limit
        if local is None or fresh:
            local = RollingWindowLimiter(local_limit, explicit=True, clock=self._clock)
            self._local = local
        if fresh or not self._local_until:
            # The local window starts from this process's own starts in the last window,
            # so the switch itself cannot make a burst. (Other processes' starts can't be
            # known without Redis: that is what local_share is for.)
            horizon = self._clock() - limit.interval - self._margin
            local._seed(t for t in self._recent if t > horizon)
        reprobe = max(_REPROBE_MIN, limit.interval)
        if not self._local_until:
            logger.warning(
                "shared rate limit %r: %s; limiting this process alone to %s "
                "(local_share %g) and trying Redis again in %g s",
                self._key,
                self._reason(error.__cause__ or error),
                local_limit,
                share,
                reprobe,
            )
        self._local_until = self._clock() + reprobe

    # -- daily limit -----------------------------------------------------------------

    def _check_daily(self) -> None:
        until = self._daily_until
        if not until:
            return
        if until <= time.time():
            self._daily_until = 0.0
            return
        error = _SharedDailyRefusal(
            f"the account's daily limit is spent (a process sharing the rate limit "
            f"{self._key!r} got 429 DAILY); it resets at "
            f"{dt.datetime.fromtimestamp(until, self._zone).isoformat()}; the request was not sent",
            status=429,
            category="RATE_LIMITS",
            body={"status": "error", "policyName": "DAILY"},
        )
        raise error  # daily_limit_reached() gets it too, and knows it for a refusal

    def _daily_spent(self, seconds_left: float | None) -> None:
        now = time.time()
        self._daily_until = now + seconds_left if seconds_left else _next_midnight(self._zone, now)

    def daily_limit_reached(self, error: DailyLimitError) -> None:
        """Note a 429 ``DAILY``: every process sharing the key stops until midnight.

        The session calls this when HubSpot answers 429 ``DAILY``. From then on,
        :meth:`acquire` here raises :class:`~hubcrm.DailyLimitError` at once, and so does
        every other process's, as soon as Redis has the flag (written in the background).
        The limiter's own refusals (raised by :meth:`acquire`) are not new 429s: ignored.
        """
        if isinstance(error, _SharedDailyRefusal):
            return
        now = time.time()
        until = _next_midnight(self._zone, now)
        self._daily_until = until
        daily_key = self._keys[2]
        ms = max(1, math.ceil((until - now) * 1000))  # PX, not EXAT: Redis before 6.2 too
        self._in_background(lambda: self._redis.set(daily_key, "1", px=ms), "daily limit")

    # -- 429s ------------------------------------------------------------------------

    def penalize(self, wait: float | None = None) -> float:
        """Pause every process sharing the key after a 429 ``TEN_SECONDLY_ROLLING``.

        This process pauses at once; the shared pause is written to Redis in the
        background, and other processes see it at their next :meth:`acquire`.

        Args:
            wait: seconds to pause (``Retry-After``); ``None`` pauses until the window
                has drained: one interval plus the safety margin.

        Returns:
            How long this process is now held, in seconds from now.
        """
        if self._local is not None:
            self._local.penalize(wait)
        pause = self._penalize_window(wait)
        pause_key = self._keys[1]
        micros = math.ceil(pause * 1e6)
        self._in_background(
            lambda: self._pause_script(keys=[pause_key], args=[micros]), "burst pause"
        )
        return pause

    async def aclose(self) -> None:
        """Finish pending Redis writes; close the Redis client if :meth:`from_url` made it."""
        loop = asyncio.get_running_loop()
        pending = [t for t in self._background if not t.done() and t.get_loop() is loop]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        guard, self._loop_guard = self._loop_guard, None
        if guard is not None and self._client_loop is loop and self._pid == os.getpid():
            self._client_loop = None  # closed below, if this limiter's own
            await guard.aclose()
        if self._owned:
            await self._redis.aclose()
