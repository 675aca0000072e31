"""How a :class:`~hubcrm.RedisRateLimiter` reaches Redis: its client, its calls, its writes.

:class:`_RedisLink` keeps the limiter's Redis client usable in this process on the
running event loop (a forked child and a later ``asyncio.run()`` get connections of
their own, and never touch what they inherited), bounds every call by
``redis_timeout`` and turns its failure into :class:`~hubcrm.RedisLimiterError`, and
sends the writes of the synchronous methods in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .._core.errors import RedisLimiterError
from .redis_scripts import ACQUIRE, PAUSE

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["check_client", "check_timeout"]

logger = logging.getLogger("hubcrm")

# What a forked child inherited from its parent (Redis clients, pooled connections, the
# parent loop's guard): kept, never used or closed. Their sockets and the parent loop's
# selector are shared with the parent, so closing them here, or letting the garbage
# collector do it, could cut the parent's connections.
_INHERITED: list[object] = []


def check_client(redis: object) -> None:
    """Raise :class:`TypeError` unless ``redis`` is a ``redis.asyncio.Redis`` client."""
    if not callable(getattr(redis, "register_script", None)):
        raise TypeError(f"redis must be a redis.asyncio.Redis client, not {type(redis).__name__}")
    sync_redis = sys.modules.get("redis")
    if sync_redis is not None and isinstance(redis, getattr(sync_redis, "Redis", ())):
        raise TypeError(
            "redis must be a redis.asyncio.Redis client, not the synchronous redis.Redis"
        )


def check_timeout(redis_timeout: object) -> float:
    """``redis_timeout`` as a float; :class:`TypeError` or :class:`ValueError` if it is no
    positive, finite number of seconds."""
    if isinstance(redis_timeout, bool) or not isinstance(redis_timeout, (int, float)):
        raise TypeError(
            f"redis_timeout must be a number of seconds, not {type(redis_timeout).__name__}"
        )
    if not 0.0 < redis_timeout < math.inf:
        raise ValueError(
            f"redis_timeout must be a positive, finite number of seconds, not {redis_timeout!r}"
        )
    return float(redis_timeout)


class _RedisLink:
    """The part of :class:`~hubcrm.RedisRateLimiter` that talks to Redis.

    A mixin: the limiter's constructor sets the attributes declared here.
    """

    _redis: Redis
    _redis_timeout: float
    _key: str
    _owned: bool
    _url: str
    _pid: int
    _member_prefix: str
    _members: int
    _client_loop: asyncio.AbstractEventLoop | None
    _loop_guard: AsyncGenerator[None, None] | None
    _background: set[asyncio.Task[None]]
    _failure: RedisLimiterError | None
    redis_errors: int

    def _use_client(self, redis: Redis) -> None:
        self._redis = redis
        self._acquire_script = redis.register_script(ACQUIRE)
        self._pause_script = redis.register_script(PAUSE)

    @staticmethod
    def _new_member_prefix() -> str:
        # Unique across machines too: containers often all run as pid 1.
        return f"{os.urandom(6).hex()}-{os.getpid()}-"

    # -- processes and event loops ----------------------------------------------------

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

    # -- calls and background writes -------------------------------------------------

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
