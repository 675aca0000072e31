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

This module imports ``redis`` (the ``hubcrm[redis]`` extra); ``import hubcrm`` does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import math
import os
import re
import sys
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._errors import DailyLimitError, RedisLimiterError
from ._limiters import RollingWindowLimiter, _WindowLimiter
from ._ratelimit import _NEGLIGIBLE, RateLimit, _check_interval, _check_max_requests

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["OnRedisError", "RedisRateLimiter"]

logger = logging.getLogger("hubcrm")

OnRedisError = Literal["raise", "local"]
"""What :class:`RedisRateLimiter` does when Redis fails: raise, or limit locally."""

# KEYS: starts (zset), pause, daily. ARGV: max requests, this process's window in µs
# (margin included), the trim horizon in µs, a member id unique to this start, then the
# ages in µs of starts this process made while Redis was unreachable. Returns {status, µs}:
# 1 = granted, 0 = wait that long for the window, 2 = a shared pause holds every process
# that long, -1 = the daily limit is spent (µs: until the key expires).
#
# Processes may use different windows (each 429 episode widens one process's margin, up
# to a quarter interval; observe() may change the limit), so the set is trimmed only past
# a horizon longer than any of them, and each counts the starts inside its own window.
# The unshared starts are recorded before any early answer: they were made, whatever the
# pause or the daily flag now say. Scores are µs since the epoch (16 digits): Lua prints
# numbers with 14, so they go to Redis as numbers or through string.format('%d').
_ACQUIRE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local ttl = math.ceil(horizon / 1000) + 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - horizon)
-- Starts stamped after now (Redis' clock went back: a failover) count as made now.
local ahead = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', now), '+inf')
for _, member in ipairs(ahead) do redis.call('ZADD', KEYS[1], now, member) end
for i = 5, #ARGV do
  local age = tonumber(ARGV[i])
  if age < window then redis.call('ZADD', KEYS[1], now - age, ARGV[4] .. ':' .. i) end
end
if #ARGV > 4 then redis.call('PEXPIRE', KEYS[1], ttl) end
local daily = redis.call('PTTL', KEYS[3])
if daily > 0 or daily == -1 then return {-1, daily * 1000} end
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then
  local left = redis.call('PTTL', KEYS[2])
  if left >= 0 and paused - now > left * 1000 then return {2, left * 1000} end
  return {2, paused - now}
end
local n = redis.call('ZCOUNT', KEYS[1], string.format('(%d', now - window), '+inf')
if n < max then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, 0}
end
-- The set is sorted by score and the starts outside this window are the oldest, so the
-- (n - max)-th start inside it is the (total - max)-th of the whole set.
local total = redis.call('ZCARD', KEYS[1])
local first = redis.call('ZRANGE', KEYS[1], total - max, total - max, 'WITHSCORES')
return {0, math.min(tonumber(first[2]) + window - now, window)}
"""

# KEYS: pause. ARGV: pause length in µs. Extends the shared pause, never shortens it.
# Returns the µs from now until the pause ends.
_PAUSE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wanted = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if wanted > current then
  local ms = math.ceil(tonumber(ARGV[1]) / 1000) + 1
  redis.call('SET', KEYS[1], string.format('%d', wanted), 'PX', ms)
  return wanted - now
end
return current - now
"""

_KEY_RE = re.compile(r"[^\s{}]+")
# What a forked child inherited from its parent (Redis clients, pooled connections, the
# parent loop's guard): kept, never used or closed. Their sockets and the parent loop's
# selector are shared with the parent, so closing them here, or letting the garbage
# collector do it, could cut the parent's connections.
_INHERITED: list[object] = []


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


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, not {type(key).__name__}")
    if not _KEY_RE.fullmatch(key):
        raise ValueError(
            f"key must be a non-empty name without spaces or braces, such as "
            f"'app-1234' or 'portal-5678', not {key!r}"
        )
    if key.startswith("pat-"):
        raise ValueError(
            "key looks like an access token: name the app or account instead "
            "(the key is stored in Redis in clear)"
        )
    return key


def _next_midnight(zone: ZoneInfo, now: float) -> float:
    """Epoch seconds of the next midnight in ``zone`` after epoch second ``now``."""
    local = dt.datetime.fromtimestamp(now, zone)
    tomorrow = (local + dt.timedelta(days=1)).date()
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone).timestamp()


class RedisRateLimiter(_WindowLimiter):
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
        if not callable(getattr(redis, "register_script", None)):
            raise TypeError(
                f"redis must be a redis.asyncio.Redis client, not {type(redis).__name__}"
            )
        sync_redis = sys.modules.get("redis")
        if sync_redis is not None and isinstance(redis, getattr(sync_redis, "Redis", ())):
            raise TypeError(
                "redis must be a redis.asyncio.Redis client, not the synchronous redis.Redis"
            )
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
        if isinstance(redis_timeout, bool) or not isinstance(redis_timeout, (int, float)):
            raise TypeError(
                f"redis_timeout must be a number of seconds, not {type(redis_timeout).__name__}"
            )
        if not 0.0 < redis_timeout < math.inf:
            raise ValueError(
                f"redis_timeout must be a positive, finite number of seconds, not {redis_timeout!r}"
            )
        self._redis_timeout = float(redis_timeout)
        try:
            self._zone = ZoneInfo(account_timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown account_timezone {account_timezone!r}") from exc
        self._key = _check_key(key)
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
                'RedisRateLimiter needs the redis package: pip install "hubcrm[redis]"',
                name="redis",
            ) from exc

        limiter = cls(
            Redis.from_url(url), key=key, max_requests=max_requests, interval=interval, **options
        )
        limiter._owned = True
        limiter._url = url
        return limiter

    def _use_client(self, redis: Redis) -> None:
        self._redis = redis
        self._acquire_script = redis.register_script(_ACQUIRE)
        self._pause_script = redis.register_script(_PAUSE)

    @staticmethod
    def _new_member_prefix() -> str:
        # Unique across machines too: containers often all run as pid 1.
        return f"{os.urandom(6).hex()}-{os.getpid()}-"

    # -- processes and event loops ---------------------------------------------------

    async def _bind(self) -> None:
        """Make the Redis client usable here: in this process, on the running loop."""
        loop = asyncio.get_running_loop()
        if self._pid == os.getpid() and self._client_loop in (loop, None):
            if self._client_loop is None:
                await self._guard(loop)
            return
        if self._pid != os.getpid():
            # A forked child: its own start ids, and connections of its own. What it
            # inherited is shared with the parent: left untouched (not even closed).
            self._pid = os.getpid()
            self._member_prefix = self._new_member_prefix()
            self._members = 0
            self._background = set()
            self._failure = None
        # Else the loop the connections were made on ended without closing its async
        # generators (loop.close() without asyncio.run), or is not running: they cannot
        # be closed from this loop either, so they are set aside like a child's.
        if self._loop_guard is not None:
            _INHERITED.append(self._loop_guard)
        if self._owned:
            from redis.asyncio import Redis

            _INHERITED.append(self._redis)
            self._use_client(Redis.from_url(self._url))
        else:
            pool = self._redis.connection_pool
            _INHERITED.append(list(getattr(pool, "_available_connections", ())))
            _INHERITED.append(list(getattr(pool, "_in_use_connections", ())))
            pool.reset()  # type: ignore[no-untyped-call]  # forgets them, closes none
        await self._guard(loop)

    async def _guard(self, loop: asyncio.AbstractEventLoop) -> None:
        self._client_loop = loop
        # asyncio.run() (and asyncio.Runner) close every unfinished async generator of
        # their loop while it still runs: this one's ``finally`` then closes the pooled
        # connections on their own loop, so the next asyncio.run() starts clean.
        self._loop_guard = guard = self._close_with_loop(loop)
        await guard.__anext__()

    async def _close_with_loop(self, loop: asyncio.AbstractEventLoop) -> AsyncGenerator[None, None]:
        try:
            yield
            await asyncio.Event().wait()  # pragma: no cover - never resumed
        finally:
            if self._client_loop is loop and self._pid == os.getpid():
                self._client_loop = None
                with contextlib.suppress(Exception):
                    await self._redis.connection_pool.disconnect()

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

    async def _call(self, call: Awaitable[Any]) -> tuple[int, int]:
        try:
            result = await asyncio.wait_for(call, self._redis_timeout)
            return int(result[0]), int(result[1])
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # redis-py's errors, OSError, a timeout, a bad reply
            self.redis_errors += 1
            raise RedisLimiterError(
                f"the shared rate limit {self._key!r} could not be checked in Redis "
                f"({self._reason(exc)}); the request was not sent",
                key=self._key,
            ) from exc

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, asyncio.TimeoutError) and not str(exc):
            return f"{type(exc).__name__}: no answer within {self._redis_timeout:g} s"
        return f"{type(exc).__name__}: {exc}"

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

    def _in_background(self, make: Callable[[], Awaitable[Any]], what: str) -> None:
        """Run a Redis write without holding up the caller (a sync method)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not on a loop (a unit test): the local state still applies

        async def write() -> None:
            try:
                await self._bind()
                await asyncio.wait_for(make(), self._redis_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.redis_errors += 1
                logger.warning(
                    "shared rate limit %r: could not share the %s through Redis (%s: %s); "
                    "it applies to this process only",
                    self._key,
                    what,
                    type(exc).__name__,
                    exc,
                )

        task = loop.create_task(write())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
