"""RedisRateLimiter against a real redis-server: what one process can check of its promises.

One shared window however many limiters (each with its own Redis client, as separate
processes have), Redis' clock rather than the callers', pauses and the daily limit shared
through Redis, keys that expire, and Redis failing: stopped, hung, back again. A stub with
``register_script`` serves only the tests of arguments and key names. The tests with
several OS processes are in test_redis_processes.py.

The session-wide ``redis_server`` is shared by many tests: each uses a key of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import math
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import anyio
import pytest
from support_redis import RedisServer
from support_time import wait_until, wait_until_sync

import hubcrm
from hubcrm import (
    AsyncHubCRM,
    CrmObject,
    DailyLimitError,
    HubCRM,
    HubCRMError,
    RateLimit,
    RateLimitError,
    RedisLimiterError,
    RedisRateLimiter,
)
from hubcrm._http import redislimiter as redislimiter_module
from hubcrm.testing import Emulator

if TYPE_CHECKING:
    from redis.asyncio import Redis

pytestmark = pytest.mark.anyio

# Looks like a HubSpot private-app token; must never reach Redis or a log line.
TOKEN = "pat-na1-5f0c2b9e-1d4a-4c8e-9b7f-3a6d2e8c1f40"
TOKEN_TAIL = TOKEN.rsplit("-", 1)[1]
MAX_HEADER = "X-HubSpot-RateLimit-Max"
INTERVAL_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"


def _key() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _contact(prefix: str, i: int) -> dict[str, str]:
    return {"email": f"{prefix}{i}@example.com"}


def _daily_error() -> DailyLimitError:
    return DailyLimitError(
        "You have reached your daily limit.",
        status=429,
        category="RATE_LIMITS",
        body={"status": "error", "policyName": "DAILY"},
    )


@contextlib.asynccontextmanager
async def _clients(server: RedisServer, n: int) -> AsyncIterator[list[Redis]]:
    """``n`` separate Redis clients (one per simulated process), closed afterwards."""
    from redis.asyncio import Redis

    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(Redis.from_url(server.url)) for _ in range(n)]


def _max_in_window(times: list[float], window: float) -> int:
    """The most of ``times`` (sorted) in any closed interval of length ``window``."""
    most, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        most = max(most, hi - lo + 1)
    return most


# --- stubs for the pure argument tests ------------------------------------------------------


class _StubScript:
    """Records the calls of one registered script; answers like a granting Redis."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.calls: list[tuple[list[str], list[Any]]] = []

    async def __call__(self, keys: list[str], args: list[Any]) -> list[int]:
        self.calls.append((list(keys), list(args)))
        return [1, 0] if "ZADD" in self.source else [0, 0]


class _StubRedis:
    def __init__(self) -> None:
        self.scripts: list[_StubScript] = []

    def register_script(self, source: str) -> _StubScript:
        script = _StubScript(source)
        self.scripts.append(script)
        return script

    def script(self, word: str) -> _StubScript:
        return next(s for s in self.scripts if word in s.source)


def _stub_limiter(**options: Any) -> RedisRateLimiter:
    kwargs: dict[str, Any] = {"key": "app-1234", "max_requests": 10, "interval": 1.0}
    kwargs.update(options)
    return RedisRateLimiter(_StubRedis(), **kwargs)  # type: ignore[arg-type]


# --- 1. arguments, key names, no token in Redis ------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"max_requests": 0}, ValueError, "max_requests must be at least 1"),
        ({"max_requests": 2.5}, TypeError, "max_requests must be an int"),
        ({"max_requests": True}, TypeError, "max_requests must be an int"),
        ({"interval": 0}, ValueError, "interval must be a positive"),
        ({"interval": math.inf}, ValueError, "interval must be a positive"),
        ({"interval": "10"}, TypeError, "interval must be a number"),
        ({"on_redis_error": "ignore"}, ValueError, "on_redis_error must be 'raise' or 'local'"),
        ({"on_redis_error": "local"}, ValueError, "needs local_share"),
        ({"on_redis_error": "local", "local_share": 0}, ValueError, r"local_share .* \(0, 1\]"),
        ({"on_redis_error": "local", "local_share": 1.5}, ValueError, r"local_share .*1\.5"),
        ({"on_redis_error": "local", "local_share": math.nan}, ValueError, "local_share"),
        ({"on_redis_error": "local", "local_share": "0.5"}, TypeError, "local_share must be a"),
        ({"on_redis_error": "local", "local_share": True}, TypeError, "local_share must be a"),
        ({"redis_timeout": 0}, ValueError, "redis_timeout"),
        ({"redis_timeout": -1.0}, ValueError, "redis_timeout"),
        ({"redis_timeout": "1"}, TypeError, "redis_timeout"),
        ({"account_timezone": "Mars/Olympus_Mons"}, ValueError, "unknown account_timezone"),
        ({"account_timezone": "../etc/passwd"}, ValueError, "unknown account_timezone"),
        ({"account_timezone": 5}, ValueError, "unknown account_timezone"),
    ],
)
def test_arguments_are_checked_with_clear_messages(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        _stub_limiter(**options)


@pytest.mark.parametrize(
    ("key", "error", "match"),
    [
        ("", ValueError, "non-empty name without spaces or braces"),
        ("my app", ValueError, "without spaces or braces"),
        ("app\n1", ValueError, "without spaces or braces"),
        ("app{1}", ValueError, "without spaces or braces"),
        ("app}", ValueError, "without spaces or braces"),
        (TOKEN, ValueError, "looks like an access token"),
        (1234, TypeError, "key must be a str, not int"),
        (None, TypeError, "key must be a str, not NoneType"),
    ],
)
def test_key_rules(key: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        _stub_limiter(key=key)
    assert TOKEN not in str(info.value)  # the token-looking key is not echoed back


@pytest.mark.parametrize("redis", [object(), None, "redis://localhost:6379/0"])
def test_a_non_redis_object_is_refused(redis: object) -> None:
    with pytest.raises(TypeError, match=r"redis must be a redis\.asyncio\.Redis client"):
        RedisRateLimiter(redis, key="app-1", max_requests=1, interval=1.0)  # type: ignore[arg-type]


def test_the_synchronous_redis_client_is_refused() -> None:
    # It has register_script too, but its calls block the loop and its errors would
    # escape as redis exceptions instead of RedisLimiterError.
    redis = pytest.importorskip("redis")
    client = redis.Redis(port=1)
    try:
        with pytest.raises(TypeError, match=r"redis\.asyncio\.Redis client.*synchronous"):
            RedisRateLimiter(client, key="app-1", max_requests=1, interval=1.0)
    finally:
        client.close()


def test_keys_are_named_after_the_key_and_in_one_hash_slot() -> None:
    limiter = _stub_limiter(key="portal-5678")
    assert limiter.key == "portal-5678"
    assert limiter.redis_keys == (
        "hubcrm:{portal-5678}:starts",
        "hubcrm:{portal-5678}:pause",
        "hubcrm:{portal-5678}:daily",
    )
    assert limiter.rate_limit == RateLimit(10, 1.0)
    assert limiter.mode == "shared"
    assert "portal-5678" in repr(limiter)


async def test_the_acquire_script_gets_the_three_keys_and_the_window() -> None:
    limiter = _stub_limiter(key="app-9", max_requests=7, interval=2.0)
    assert await limiter.acquire() < 0.1
    assert await limiter.acquire() < 0.1
    calls = limiter._redis.script("ZADD").calls  # type: ignore[attr-defined]
    assert len(calls) == 2
    assert calls[0][0] == list(limiter.redis_keys)
    max_requests, window_us, horizon_us, member_1 = calls[0][1]
    member_2 = calls[1][1][3]
    assert max_requests == 7
    # The window in µs: the interval plus the safety margin (2% + 10 ms).
    assert window_us == math.ceil((2.0 + 0.02 * 2.0 + 0.010) * 1e6)
    # Trimmed past twice the widest window a process may use: 1.25 intervals.
    assert horizon_us == math.ceil(2 * 1.25 * 2.0 * 1e6)
    assert member_1 != member_2  # each start is its own member of the sorted set
    assert limiter.redis_calls == 2


def test_from_url_with_bad_arguments_leaves_nothing_open() -> None:
    pytest.importorskip("redis")
    with pytest.raises(ValueError, match="spaces or braces"):
        RedisRateLimiter.from_url("redis://127.0.0.1:1/0", key="a b", max_requests=1, interval=1)
    gc.collect()  # an unclosed client would warn here (filterwarnings = error)


async def _dump(admin: Redis, key: bytes) -> list[bytes]:
    kind = (await admin.type(key)).decode()
    if kind == "string":
        return [await admin.get(key) or b""]
    if kind == "zset":
        return [m for m, _ in await admin.zrange(key, 0, -1, withscores=True)]
    if kind == "hash":
        return [x for kv in (await admin.hgetall(key)).items() for x in kv]
    if kind == "list":
        return list(await admin.lrange(key, 0, -1))
    if kind == "set":
        return list(await admin.smembers(key))
    return [] if kind == "none" else [await admin.dump(key) or b""]


@pytest.mark.hubspot_emulator(token=TOKEN, rate_limit=None, daily_limit=5)
async def test_redis_never_holds_the_token(
    hubspot_emulator: Emulator, redis_server: RedisServer
) -> None:
    key = _key()
    hubspot_emulator.faults.error_before(429, times=1, operation="create")  # a shared pause
    async with _clients(redis_server, 2) as (conn, admin):
        limiter = RedisRateLimiter(conn, key=key, max_requests=10, interval=0.2)
        async with AsyncHubCRM(
            TOKEN, base_url=hubspot_emulator.base_url, rate_limit=limiter
        ) as crm:
            for i in range(4):
                await crm.objects.create("contacts", _contact("tok", i))
            with pytest.raises(DailyLimitError):  # and a shared daily flag
                await crm.objects.create("contacts", _contact("tok", 4))
        assert crm.stats.pauses == 1
        limiter.penalize(5.0)  # the run's pause is over: hold one long enough to read
        await limiter.aclose()  # the background writes are done
        ours = {k.decode() async for k in admin.scan_iter(match=f"hubcrm:{{{key}}}:*")}
        assert ours == set(limiter.redis_keys)
        every_key = [k async for k in admin.scan_iter(count=1000)]
        for name in every_key:
            for blob in [name, *await _dump(admin, name)]:
                assert TOKEN.encode() not in blob
                assert TOKEN_TAIL.encode() not in blob
    assert hubspot_emulator.count("contacts") == 4
    assert hubspot_emulator.stats.rate_limited == {"DAILY": 1}
    assert hubspot_emulator.stats.responses_by_status[429] == 2  # the fault, and DAILY


# --- 2. one atomic window, whatever the number of limiters and their clocks --------------


async def _run_shared_window(
    server: RedisServer, clocks: list[Callable[[], float]], per_limiter: int
) -> tuple[list[float], list[RedisRateLimiter]]:
    """Acquire ``per_limiter`` times concurrently from each limiter (20 per 0.5 s, one
    key); return the grant times by Redis' clock, read from the sorted set itself."""
    key = _key()
    async with _clients(server, len(clocks) + 1) as conns:
        admin, own = conns[0], conns[1:]
        limiters = [
            RedisRateLimiter(c, key=key, max_requests=20, interval=0.5, clock=clock)
            for c, clock in zip(own, clocks, strict=True)
        ]
        starts = limiters[0].redis_keys[0]
        scores: dict[bytes, float] = {}
        finished = asyncio.Event()

        async def watch() -> None:
            # Each start stays in the set for at least one window (0.52 s); reading it
            # every 50 ms sees every one, stamped with Redis' TIME by the script.
            while True:
                for member, score in await admin.zrange(starts, 0, -1, withscores=True):
                    scores[member] = score
                if finished.is_set():
                    return
                # asyncio.TimeoutError: on Python 3.10 it is not the builtin TimeoutError.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(finished.wait(), 0.05)

        watcher = asyncio.create_task(watch())
        try:
            with anyio.fail_after(30):  # a limiter told to wait for months fails, not hangs
                await asyncio.gather(
                    *(lim.acquire() for lim in limiters for _ in range(per_limiter))
                )
        finally:
            finished.set()
            await watcher
    assert len(scores) == len(clocks) * per_limiter  # one member per grant, all seen
    return sorted(s / 1e6 for s in scores.values()), limiters


async def test_concurrent_limiters_never_exceed_the_shared_window(
    redis_server: RedisServer,
) -> None:
    times, limiters = await _run_shared_window(redis_server, [time.monotonic] * 3, 40)
    assert _max_in_window(times, 0.5) <= 20
    # Throughput after the first (free) window: at least ~0.85 of 20 per 0.5 s.
    use = (len(times) - 20) / (times[-1] - times[0]) / (20 / 0.5)
    print(f"\n3 limiters, 120 acquires at 20/0.5s: {use:.3f} of the permitted rate")
    assert 0.85 <= use <= 1.0
    assert all(lim.redis_calls >= 40 for lim in limiters)
    assert sum(lim.redis_errors for lim in limiters) == 0


async def test_clock_skew_between_limiters_does_not_matter(redis_server: RedisServer) -> None:
    # One process's clock is months ahead of the other's: only Redis' TIME counts.
    times, _ = await _run_shared_window(
        redis_server, [time.monotonic, lambda: time.monotonic() + 1e7], 30
    )
    assert _max_in_window(times, 0.5) <= 20
    use = (len(times) - 20) / (times[-1] - times[0]) / (20 / 0.5)
    assert 0.85 <= use <= 1.0


async def test_only_the_head_waiter_talks_to_redis(redis_server: RedisServer) -> None:
    # 20 concurrent acquires at 5 per 0.5 s: 5 granted at once, then 15 wait through
    # three more windows. Only the waiter at the head of the queue asks Redis, so the
    # round trips are one per grant plus about one per window waited, not one per waiter
    # per window (15 + 10 + 5 more, if every waiter polled).
    async with _clients(redis_server, 1) as (conn,):
        limiter = RedisRateLimiter(conn, key=_key(), max_requests=5, interval=0.5)
        await asyncio.gather(*(limiter.acquire() for _ in range(20)))
    assert limiter.redis_calls >= 20 + 3  # it did have to wait three windows
    # A busy machine may wake the head waiter a little early, so allow a few more polls;
    # every waiter polling would make 50 round trips.
    assert limiter.redis_calls <= 20 + 10


def test_redis_tests_skip_saying_how_to_install_or_fail_when_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import support_redis

    monkeypatch.setattr(support_redis, "REDIS_SERVER", None)
    monkeypatch.delenv("HUBCRM_REQUIRE_REDIS", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        support_redis.require_redis()
    assert str(skipped.value).startswith("redis-server is not on PATH (to install it: ")
    assert "apt-get install redis-server" in str(skipped.value)
    monkeypatch.setenv("HUBCRM_REQUIRE_REDIS", "1")
    with pytest.raises(pytest.fail.Exception, match=r"redis-server is not on PATH.*must run"):
        support_redis.require_redis()


# --- 3. shared pause -----------------------------------------------------------------------


async def test_a_penalty_pauses_every_limiter_sharing_the_key(redis_server: RedisServer) -> None:
    key = _key()
    async with _clients(redis_server, 4) as (conn_a, conn_b, conn_c, admin):
        a = RedisRateLimiter(conn_a, key=key, max_requests=100, interval=1.0)
        b = RedisRateLimiter(conn_b, key=key, max_requests=100, interval=1.0)
        other = RedisRateLimiter(conn_c, key=_key(), max_requests=100, interval=1.0)
        await b.acquire()  # connected, nothing paused
        assert a.penalize(1.0) == pytest.approx(1.0, abs=0.01)
        await a.aclose()  # waits for the background write (the client is not its own)
        pause_key = a.redis_keys[1]
        assert 800 <= await admin.pttl(pause_key) <= 1002
        b.penalize(0.05)  # a shorter pause from another process never shortens it
        await b.aclose()
        assert await admin.pttl(pause_key) >= 750
        started = time.monotonic()
        assert await other.acquire() < 0.3  # another key is not paused
        assert time.monotonic() - started < 0.5
        c = RedisRateLimiter(conn_c, key=key, max_requests=100, interval=1.0)
        started = time.monotonic()
        waited = await c.acquire()
        elapsed = time.monotonic() - started
    assert 0.6 <= elapsed <= 2.0
    assert waited == pytest.approx(elapsed, abs=0.05)
    assert c.redis_calls == 2  # told to wait, then granted


async def test_a_shared_pause_longer_than_max_pause_fails_at_once(
    redis_server: RedisServer,
) -> None:
    """Another process's 429 with Retry-After: 3600: this one's requests fail at once,
    unsent, instead of waiting the hour; after the first, without asking Redis again."""
    key = _key()
    async with _clients(redis_server, 2) as (conn_a, conn_b):
        a = RedisRateLimiter(conn_a, key=key, max_requests=100, interval=1.0)
        b = RedisRateLimiter(conn_b, key=key, max_requests=100, interval=1.0)
        await b.acquire()  # connected, nothing paused
        a.penalize(3600.0)
        await a.aclose()  # the pause is in Redis
        started = time.monotonic()
        with pytest.raises(RateLimitError, match="not sent") as caught:
            await b.acquire(max_pause=2.0)
        calls = b.redis_calls
        with pytest.raises(RateLimitError, match="not sent"):
            await b.acquire(max_pause=2.0)
        elapsed = time.monotonic() - started
    assert elapsed < 1.0  # not 2 s, not an hour
    assert caught.value.retry_after == pytest.approx(3600.0, abs=5.0)
    assert b.redis_calls == calls  # the second knew of the pause already


async def test_a_shared_pause_extended_past_max_pause_fails_the_waiters(
    redis_server: RedisServer,
) -> None:
    """Waiters already waiting out a short shared pause fail when they find it extended
    to an hour, rather than waiting it out."""
    key = _key()
    async with _clients(redis_server, 2) as (conn_a, conn_b):
        a = RedisRateLimiter(conn_a, key=key, max_requests=100, interval=1.0)
        b = RedisRateLimiter(conn_b, key=key, max_requests=100, interval=1.0)
        await b.acquire()
        a.penalize(0.5)
        await wait_until(lambda: a._background == set(), "A's pause is in Redis")
        started = time.monotonic()
        waiters = [asyncio.ensure_future(b.acquire(max_pause=5.0)) for _ in range(5)]
        await wait_until(lambda: b.paused_until > 0, "B knows of the shared pause")
        a.penalize(3600.0)
        await a.aclose()
        results = await asyncio.gather(*waiters, return_exceptions=True)
        elapsed = time.monotonic() - started
    assert all(isinstance(r, RateLimitError) for r in results), results
    assert elapsed < 2.5  # when the short pause ended and Redis told of the long one


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_429_seen_by_one_client_pauses_the_other(
    hubspot_emulator: Emulator, redis_server: RedisServer
) -> None:
    emu = hubspot_emulator
    key = _key()
    async with _clients(redis_server, 3) as (conn_a, conn_b, admin):
        lim_a = RedisRateLimiter(conn_a, key=key, max_requests=60, interval=1.0)
        lim_b = RedisRateLimiter(conn_b, key=key, max_requests=60, interval=1.0)
        async with (
            AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=lim_a) as crm_a,
            AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=lim_b) as crm_b,
        ):
            await crm_a.objects.create("contacts", _contact("warm-a", 0))
            # HubSpot is stricter than the limiters think, and A has not heard of it yet.
            emu.set_rate_limit((10, 1.0))
            await crm_b.objects.create("contacts", _contact("warm-b", 0))
            # Slow answers: A's whole burst is out before it learns (a 429 or a header).
            emu.faults.latency(0.2, times=12)
            waits_b: list[float] = []
            acquire_b = lim_b.acquire

            async def recording_acquire(max_pause: float = math.inf) -> float:
                waits_b.append(await acquire_b(max_pause))
                return waits_b[-1]

            lim_b.acquire = recording_acquire  # type: ignore[method-assign]
            burst = asyncio.gather(
                *(crm_a.objects.create("contacts", _contact("a", i)) for i in range(12))
            )
            await wait_until(lambda: admin.exists(lim_a.redis_keys[1]), "A's pause is in Redis")
            await crm_b.objects.create("contacts", _contact("b", 0))
            await burst
            stats_a, stats_b = crm_a.stats, crm_b.stats
    print(f"\nshared pause: 429s A {stats_a.rate_limited}, B {stats_b.rate_limited}")
    assert stats_a.rate_limited >= 1
    assert stats_a.pauses >= 1
    # B's first attempt waited out A's pause in acquire(), before sending anything.
    assert waits_b[0] >= 0.5
    assert stats_b.rate_limited <= 1
    assert sum(emu.stats.rate_limited.values()) <= 8
    emails = Counter(o["properties"]["email"] for o in emu.objects("contacts"))
    assert len(emails) == 15
    assert set(emails.values()) == {1}


# --- 4. the daily limit --------------------------------------------------------------------


def _seconds_to_midnight(zone: str) -> float:
    now = dt.datetime.now(ZoneInfo(zone))
    midnight = dt.datetime.combine(
        (now + dt.timedelta(days=1)).date(), dt.time(0), tzinfo=ZoneInfo(zone)
    )
    return midnight.timestamp() - now.timestamp()


@pytest.mark.hubspot_emulator(rate_limit=None, daily_limit=3)
async def test_the_daily_limit_stops_every_client_sharing_the_key(
    hubspot_emulator: Emulator, redis_server: RedisServer
) -> None:
    emu = hubspot_emulator
    key = _key()
    async with _clients(redis_server, 3) as (conn_a, conn_b, admin):
        lim_a = RedisRateLimiter(conn_a, key=key, max_requests=50, interval=1.0)
        lim_b = RedisRateLimiter(conn_b, key=key, max_requests=50, interval=1.0)
        async with (
            AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=lim_a) as crm_a,
            AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=lim_b) as crm_b,
        ):
            for i in range(3):
                await crm_a.objects.create("contacts", _contact("d", i))
            with pytest.raises(DailyLimitError):
                await crm_a.objects.create("contacts", _contact("d", 3))
            daily_key = lim_a.redis_keys[2]
            await wait_until(lambda: admin.exists(daily_key), "the daily stop is in Redis")
            before = emu.stats.requests
            with pytest.raises(DailyLimitError) as info:
                await crm_b.objects.create("contacts", _contact("d", 4))
            assert emu.stats.requests == before  # B sent nothing
            with pytest.raises(DailyLimitError):  # and keeps refusing, without Redis
                await crm_b.objects.create("contacts", _contact("d", 5))
            assert emu.stats.requests == before
            ttl = await admin.pttl(daily_key) / 1000
    assert "not sent" in str(info.value)
    assert key in str(info.value)
    assert info.value.policy_name == "DAILY"
    assert lim_b.redis_calls == 1
    assert ttl == pytest.approx(_seconds_to_midnight("UTC"), abs=3)
    assert emu.count("contacts") == 3
    assert emu.stats.rate_limited == {"DAILY": 1}


async def test_the_daily_flag_expires_at_midnight_in_the_account_time_zone(
    redis_server: RedisServer,
) -> None:
    zone = "Asia/Kolkata"  # UTC+05:30: its midnight is never UTC's
    key = _key()
    async with _clients(redis_server, 3) as (conn_a, conn_b, admin):
        a = RedisRateLimiter(conn_a, key=key, max_requests=5, interval=1.0, account_timezone=zone)
        a.daily_limit_reached(_daily_error())
        with pytest.raises(DailyLimitError, match=r"resets at .*\+05:30"):
            await a.acquire()
        await a.aclose()
        ttl = await admin.pttl(a.redis_keys[2]) / 1000
        b = RedisRateLimiter(conn_b, key=key, max_requests=5, interval=1.0)
        with pytest.raises(DailyLimitError):
            await b.acquire()
    assert ttl == pytest.approx(_seconds_to_midnight(zone), abs=3)
    assert abs(ttl - _seconds_to_midnight("UTC")) > 3 * 3600


async def test_the_daily_limit_holds_in_local_mode_too(private_redis: RedisServer) -> None:
    limiter = RedisRateLimiter.from_url(
        private_redis.url,
        key=_key(),
        max_requests=10,
        interval=0.5,
        on_redis_error="local",
        local_share=0.5,
        redis_timeout=0.5,
    )
    try:
        await limiter.acquire()
        private_redis.stop()
        await limiter.acquire()
        assert limiter.mode == "local"
        limiter.daily_limit_reached(_daily_error())
        with pytest.raises(DailyLimitError):
            await limiter.acquire()
    finally:
        await limiter.aclose()


# --- 5. keys expire --------------------------------------------------------------------------


async def test_keys_expire_on_their_own(redis_server: RedisServer) -> None:
    key = _key()
    async with _clients(redis_server, 2) as (conn, admin):
        limiter = RedisRateLimiter(conn, key=key, max_requests=5, interval=0.2)
        starts, pause, daily = limiter.redis_keys
        sizes = []
        for _ in range(25):
            await limiter.acquire()
            sizes.append(await admin.zcard(starts))
        # Trimmed past 2.5 intervals (0.5 s: other processes' windows may be wider than
        # this one's): the starts of three windows of 0.214 s at most.
        assert 5 < max(sizes) <= 15
        limiter.penalize(0.3)
        other = RedisRateLimiter(conn, key=key, max_requests=5, interval=0.2)
        other.daily_limit_reached(_daily_error())
        await limiter.aclose()
        await other.aclose()
        names = {k.decode() async for k in admin.scan_iter(match=f"hubcrm:{{{key}}}:*")}
        assert names == {starts, pause, daily}
        ttls = {name: await admin.pttl(name) for name in names}
        assert all(ttl > 0 for ttl in ttls.values()), ttls  # never -1 (no expiry)
        assert ttls[starts] <= 2 * 1.25 * 0.2 * 1000 + 1000 + 1
        # 300 ms, as the clock's float arithmetic gives it (300.000001 ms, say), rounded
        # up to the millisecond, plus one: at most 302 when read in the same millisecond.
        assert ttls[pause] <= 302

        # Redis expires them itself, on its own clock, within the TTLs asserted above.
        async def expired() -> bool:
            return await admin.exists(starts, pause) == 0

        await wait_until(expired, "the starts and the pause keys have expired")
        assert await admin.exists(daily) == 1  # until midnight


# --- 6. Redis down, raise mode ----------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_redis_down_raises_and_sends_nothing(
    hubspot_emulator: Emulator, private_redis: RedisServer
) -> None:
    emu = hubspot_emulator
    key = _key()
    limiter = RedisRateLimiter.from_url(private_redis.url, key=key, max_requests=50, interval=1.0)
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=limiter) as crm:
        await crm.objects.create("contacts", _contact("up", 0))
        private_redis.stop()
        started = time.monotonic()
        with pytest.raises(RedisLimiterError) as info:
            await limiter.acquire()
        assert time.monotonic() - started < 1.5
        before = emu.stats.requests
        with pytest.raises(RedisLimiterError):
            await crm.objects.create("contacts", _contact("down", 0))
        result = await crm.objects.create_many(
            "contacts", [_contact("many", i) for i in range(30)], batch_size=10
        )
        assert emu.stats.requests == before
    error = info.value
    assert isinstance(error, HubCRMError)
    assert error.key == key
    assert repr(key) in str(error)
    assert "not sent" in str(error)
    assert isinstance(result.stopped_by, RedisLimiterError)
    assert result.created == 0
    assert result.not_attempted == result.total >= 1
    assert {e.status for e in result.errors} == {"not_attempted"}
    assert emu.count("contacts") == 1
    assert limiter.redis_errors >= 3


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_redis_stopped_mid_run_stops_create_many_and_nothing_is_created_twice(
    hubspot_emulator: Emulator, private_redis: RedisServer
) -> None:
    emu = hubspot_emulator
    limiter = RedisRateLimiter.from_url(
        private_redis.url, key=_key(), max_requests=10, interval=0.5
    )
    inputs = [_contact("mid", i) for i in range(150)]

    async def stop_redis_after_some() -> None:
        await wait_until(lambda: emu.count("contacts") >= 20, "20 contacts were created")
        await anyio.to_thread.run_sync(private_redis.stop)

    async with AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=limiter) as crm:
        stopper = asyncio.create_task(stop_redis_after_some())
        result = await crm.objects.create_many("contacts", inputs, batch_size=5)
        await stopper
    assert isinstance(result.stopped_by, RedisLimiterError)
    assert 20 <= result.created < 150
    assert result.failed == result.unknown == 0
    assert result.created + result.not_attempted == result.total
    assert result.not_attempted >= 1
    stored = Counter(o["properties"]["email"] for o in emu.objects("contacts"))
    assert set(stored.values()) == {1}  # none created twice
    created = {r.properties["email"] for r in result.results if r is not None}
    assert set(stored) == created
    retry = {i["email"] for i in result.not_attempted_inputs()}  # type: ignore[index]
    assert not retry & created
    assert len(retry) == result.not_attempted


async def test_the_error_never_shows_a_password_from_the_url(private_redis: RedisServer) -> None:
    port = private_redis.port
    private_redis.stop()
    limiter = RedisRateLimiter.from_url(
        f"redis://:secret-pw@127.0.0.1:{port}/0", key="app-77", max_requests=5, interval=1.0
    )
    try:
        with pytest.raises(RedisLimiterError) as info:
            await limiter.acquire()
    finally:
        await limiter.aclose()
    text = f"{info.value} {info.value.__cause__!r} {info.value.__cause__} {limiter!r}"
    assert "'app-77'" in str(info.value)
    assert "secret" not in text


# --- 7. Redis down, local mode ---------------------------------------------------------------


@pytest.mark.hubspot_emulator(token=TOKEN, rate_limit=None)
async def test_redis_down_falls_back_to_the_local_share_then_back(
    hubspot_emulator: Emulator,
    private_redis: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(redislimiter_module, "_REPROBE_MIN", 0.3)  # re-probe after 0.5 s
    caplog.set_level(logging.WARNING, logger="hubcrm")
    limiter = RedisRateLimiter.from_url(
        private_redis.url,
        key=_key(),
        max_requests=20,
        interval=0.5,
        on_redis_error="local",
        local_share=0.25,
        redis_timeout=0.5,
    )
    async with AsyncHubCRM(TOKEN, base_url=hubspot_emulator.base_url, rate_limit=limiter) as crm:
        await crm.objects.create("contacts", _contact("shared", 0))
        assert limiter.mode == "shared"
        private_redis.stop()
        started = time.monotonic()
        for _ in range(15):
            await limiter.acquire()
        elapsed = time.monotonic() - started
        assert limiter.mode == "local"
        await crm.objects.create("contacts", _contact("local", 0))  # requests still go out
        fell_back = [r for r in caplog.records if r.levelno >= logging.WARNING]
        errors_while_down = limiter.redis_errors
        private_redis.start()

        async def shared_again() -> bool:
            await limiter.acquire()  # an acquire re-probes Redis once _REPROBE_MIN has passed
            return limiter.mode == "shared"

        await wait_until(shared_again, "an acquire finds Redis back", interval=0.1)
    # 5 per 0.5 s alone: 15 acquires need three windows; the full 20 would need one.
    print(f"\nlocal fallback: 15 acquires in {elapsed:.2f} s")
    assert 1.0 <= elapsed <= 4.0
    assert errors_while_down >= 2  # it re-probed Redis while down, without a new warning
    assert len(fell_back) == 1
    message = fell_back[0].getMessage()
    assert "5/0.5s" in message
    assert "0.25" in message
    resumed = [r.getMessage() for r in caplog.records[len(fell_back) :]]
    assert any("sharing resumed" in m for m in resumed)
    for record in caplog.records:
        assert TOKEN_TAIL not in record.getMessage()
    assert hubspot_emulator.count("contacts") == 2


async def test_the_fallback_counts_this_processs_own_recent_starts(
    private_redis: RedisServer,
) -> None:
    # 10 per 2 s shared, a local share of 5: five shared starts just made fill the local
    # window, so the first acquire after Redis goes waits for them to age out.
    limiter = RedisRateLimiter.from_url(
        private_redis.url,
        key=_key(),
        max_requests=10,
        interval=2.0,
        on_redis_error="local",
        local_share=0.5,
        redis_timeout=0.5,
    )
    try:
        for _ in range(5):
            assert await limiter.acquire() < 0.2
        private_redis.stop()
        started = time.monotonic()
        await limiter.acquire()
        waited = time.monotonic() - started
        assert limiter.mode == "local"
    finally:
        await limiter.aclose()
    assert 1.5 <= waited <= 4.0, waited


async def test_starts_made_while_redis_was_down_are_shared_once_it_answers(
    private_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redislimiter_module, "_REPROBE_MIN", 0.2)
    key = _key()
    options: dict[str, Any] = {"key": key, "max_requests": 10, "interval": 4.0}
    limiter = RedisRateLimiter.from_url(
        private_redis.url, on_redis_error="local", local_share=0.5, redis_timeout=0.5, **options
    )
    other = RedisRateLimiter.from_url(private_redis.url, **options)
    try:
        private_redis.stop()
        for _ in range(4):  # four local starts, unknown to Redis
            await limiter.acquire()
        assert limiter.mode == "local"
        private_redis.start()
        await asyncio.sleep(4.0 * 0.02 + 0.3)  # past the re-probe time, well inside the window
        monkeypatch.setattr(limiter, "_local_until", 1e-9)  # re-probe at the next acquire
        await limiter.acquire()
        assert limiter.mode == "shared"
        starts, _, _ = limiter.redis_keys
        async with _clients(private_redis, 1) as (admin,):
            recorded = await admin.zcard(starts)
        # The four local starts and this one: another process now has 5 of the 10 left.
        assert recorded == 5
        for _ in range(5):
            assert await other.acquire() < 0.2
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.5):
                await other.acquire()
    finally:
        await limiter.aclose()
        await other.aclose()


# --- 8. a Redis that hangs ---------------------------------------------------------------------


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A TCP port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


async def test_a_hung_redis_fails_within_the_timeout(hung_redis: str) -> None:
    limiter = RedisRateLimiter.from_url(
        hung_redis, key="app-hung", max_requests=10, interval=1.0, redis_timeout=0.3
    )
    try:
        started = time.monotonic()
        with pytest.raises(RedisLimiterError, match=r"'app-hung'.*no answer within 0\.3 s"):
            await limiter.acquire()
        first = time.monotonic() - started
        # Queued acquirers fail together, not one timeout after another.
        started = time.monotonic()
        results = await asyncio.gather(
            *(limiter.acquire() for _ in range(6)), return_exceptions=True
        )
        together = time.monotonic() - started
    finally:
        await limiter.aclose()
    assert 0.25 <= first <= 1.0
    assert all(isinstance(r, RedisLimiterError) for r in results)
    assert together <= 1.0


async def test_a_hung_redis_in_local_mode_serves_every_waiter_locally(
    hung_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hubcrm")
    limiter = RedisRateLimiter.from_url(
        hung_redis,
        key="app-hung",
        max_requests=20,
        interval=1.0,
        on_redis_error="local",
        local_share=0.5,
        redis_timeout=0.3,
    )
    try:
        started = time.monotonic()
        await asyncio.gather(*(limiter.acquire() for _ in range(8)))
        elapsed = time.monotonic() - started
    finally:
        await limiter.aclose()
    assert 0.25 <= elapsed <= 1.0  # one timeout, not eight
    assert limiter.mode == "local"
    assert limiter.redis_errors == 1
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "TimeoutError: no answer within 0.3 s" in record.getMessage()  # says why


# --- 9. the sync facade from threads -----------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=(20, 0.5))
def test_sync_facade_from_8_threads_shares_the_limit_and_closes_cleanly(
    hubspot_emulator: Emulator, redis_server: RedisServer
) -> None:
    import redis

    emu = hubspot_emulator
    name = f"hubcrm-test-{uuid.uuid4().hex[:8]}"
    limiter = RedisRateLimiter.from_url(
        f"{redis_server.url}?client_name={name}", key=_key(), max_requests=20, interval=0.5
    )
    with HubCRM(emu.token, base_url=emu.base_url, rate_limit=limiter) as crm:

        def create(i: int) -> CrmObject:
            return crm.objects.create("contacts", _contact("thread", i))

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(create, range(80)))
    gc.collect()
    assert len({r.id for r in results}) == 80
    emails = Counter(o["properties"]["email"] for o in emu.objects("contacts"))
    assert len(emails) == 80
    assert set(emails.values()) == {1}
    print(f"\nsync facade, 8 threads: 429s {emu.stats.rate_limited}")
    assert sum(emu.stats.rate_limited.values()) <= 2
    assert limiter.redis_calls >= 80
    # Closing the facade closed the limiter's own Redis connections.
    with redis.Redis.from_url(redis_server.url) as admin:
        wait_until_sync(
            lambda: all(c.get("name") != name for c in admin.client_list()),
            "the limiter's connections are closed",
        )


# --- 10. observe ---------------------------------------------------------------------------


async def test_observe_adopts_only_a_stricter_announced_limit(redis_server: RedisServer) -> None:
    async with _clients(redis_server, 1) as (conn,):
        limiter = RedisRateLimiter(conn, key=_key(), max_requests=20, interval=0.4)
        limiter.observe({MAX_HEADER: "100", INTERVAL_HEADER: "400"})  # laxer: ignored
        assert limiter.rate_limit == RateLimit(20, 0.4)
        assert limiter.announced == RateLimit(100, 0.4)
        limiter.observe({MAX_HEADER.lower(): "3", INTERVAL_HEADER.lower(): "400"})  # stricter
        assert limiter.rate_limit == RateLimit(3, 0.4)
        waits = [await limiter.acquire() for _ in range(4)]
        # HubSpot raises its limit again: back to the caller's own, never above it.
        limiter.observe({MAX_HEADER: "50", INTERVAL_HEADER: "400"})
        assert limiter.rate_limit == RateLimit(20, 0.4)
    assert max(waits[:3]) < 0.2
    assert 0.3 <= waits[3] <= 1.5  # Redis enforced 3 per 0.4 s, not 20


# --- 11. import cost ------------------------------------------------------------------------


def test_import_hubcrm_does_not_import_redis() -> None:
    code = (
        "import sys, hubcrm\n"
        "assert 'redis' not in sys.modules, 'import hubcrm imported redis'\n"
        "from hubcrm._http.redislimiter import RedisRateLimiter\n"
        "assert hubcrm.RedisRateLimiter is RedisRateLimiter\n"
        "assert 'RedisRateLimiter' in hubcrm.__all__\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert hubcrm.RedisRateLimiter is RedisRateLimiter


# --- 12. each 429 episode widens the margin ------------------------------------------------


async def test_each_429_episode_widens_the_margin_up_to_a_quarter_window() -> None:
    now = [1000.0]
    limiter = _stub_limiter(max_requests=10, interval=1.0, clock=lambda: now[0])
    redis = limiter._redis  # type: ignore[attr-defined]

    async def window_us() -> int:
        await limiter.acquire()
        return int(redis.script("ZADD").calls[-1][1][1])

    assert await window_us() == 1_030_000  # 1 s + 2% + 10 ms
    windows = []
    for _ in range(5):
        assert limiter.penalize(0.1) == pytest.approx(0.1)
        limiter.penalize(0.1)  # the same episode (still paused): no further widening
        now[0] += 0.2  # the pause is over
        windows.append(await window_us())
    assert windows == [1_060_000, 1_120_000, 1_240_000, 1_250_000, 1_250_000]
    await limiter.aclose()
    pauses = redis.script("SET").calls
    assert len(pauses) == 10
    assert all(100_000 <= args[0] <= 100_001 for _, args in pauses)  # µs
    assert {tuple(keys) for keys, _ in pauses} == {(limiter.redis_keys[1],)}


# --- 13. windows of different widths, outages, processes and loops ---------------------------


async def test_a_narrower_window_does_not_trim_starts_a_wider_one_still_counts(
    redis_server: RedisServer,
) -> None:
    key = _key()
    async with _clients(redis_server, 2) as (conn_a, conn_b):
        a = RedisRateLimiter(conn_a, key=key, max_requests=5, interval=1.0)
        b = RedisRateLimiter(conn_b, key=key, max_requests=5, interval=1.0)
        for _ in range(3):  # three 429 episodes widen B's margin: 0.03 s -> 0.24 s
            b.penalize(0.0)
        await b.aclose()
        for _ in range(5):
            await b.acquire()
        started = time.monotonic()
        await asyncio.sleep(1.1)  # past A's window (1.03 s), inside B's (1.24 s)
        await a.acquire()  # its script must not trim B's five starts
        waited = await b.acquire()
    # B's own window holds its next start until its 2nd start is 1.24 s old.
    assert waited >= 0.05, waited
    assert time.monotonic() - started >= 1.2


async def test_starts_made_while_redis_was_down_are_shared_even_during_a_pause(
    private_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redislimiter_module, "_REPROBE_MIN", 0.2)
    options: dict[str, Any] = {"key": _key(), "max_requests": 10, "interval": 4.0}
    limiter = RedisRateLimiter.from_url(
        private_redis.url, on_redis_error="local", local_share=0.5, redis_timeout=0.5, **options
    )
    other = RedisRateLimiter.from_url(private_redis.url, **options)
    try:
        private_redis.stop()
        for _ in range(4):  # four local starts, unknown to Redis
            await limiter.acquire()
        private_redis.start()
        other.penalize(0.3)  # another process got a 429: a shared pause
        await other.aclose()  # written
        monkeypatch.setattr(limiter, "_local_until", 1e-9)  # re-probe at the next acquire
        waited = await limiter.acquire()  # meets the pause, waits it out, is granted
        assert limiter.mode == "shared"
        async with _clients(private_redis, 1) as (admin,):
            recorded = await admin.zcard(limiter.redis_keys[0])
    finally:
        await limiter.aclose()
        await other.aclose()
    assert 0.1 <= waited <= 1.0
    assert recorded == 5  # the four local starts were written, not dropped


async def test_a_limit_change_while_local_keeps_the_starts_made(
    private_redis: RedisServer,
) -> None:
    private_redis.stop()
    limiter = RedisRateLimiter.from_url(
        private_redis.url,
        key=_key(),
        max_requests=100,
        interval=10.0,
        on_redis_error="local",
        local_share=0.1,
        redis_timeout=0.5,
    )
    try:
        for _ in range(10):  # the local share, 10 per 10 s, spent at once
            await limiter.acquire()
        assert limiter.mode == "local"
        limiter.observe({MAX_HEADER: "50", INTERVAL_HEADER: "10000"})  # local share: 5
        limiter._local_until = 1e-9  # the re-probe (it fails) makes a new local limiter
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.5):
                await limiter.acquire()  # the 10 starts fill its window: it waits
        assert limiter.mode == "local"
    finally:
        await limiter.aclose()


async def test_the_limiters_own_refusals_are_not_shared_as_new_daily_hits(
    redis_server: RedisServer,
) -> None:
    async with _clients(redis_server, 2) as (conn, admin):
        limiter = RedisRateLimiter(conn, key=_key(), max_requests=5, interval=1.0)
        daily = limiter.redis_keys[2]
        limiter.daily_limit_reached(_daily_error())  # HubSpot's 429 DAILY
        await limiter.aclose()
        assert await admin.exists(daily) == 1
        await admin.delete(daily)  # an operator lifts the stop (a limit increase bought)
        with pytest.raises(DailyLimitError) as info:
            await limiter.acquire()  # this process still knows of it
        limiter.daily_limit_reached(info.value)  # as the session does with every one
        await limiter.aclose()
        assert await admin.exists(daily) == 0  # not re-created by a refusal
        limiter.daily_limit_reached(_daily_error())  # a real 429 DAILY still is shared
        await limiter.aclose()
        assert await admin.exists(daily) == 1


async def test_the_daily_flag_is_written_with_px_not_exat() -> None:
    # SET ... EXAT needs Redis 6.2; PX works on every Redis with scripting.
    calls: list[dict[str, Any]] = []

    class Redis(_StubRedis):
        async def set(self, name: str, value: str, **options: Any) -> bool:
            calls.append({"name": name, **options})
            return True

    limiter = RedisRateLimiter(Redis(), key="app-1", max_requests=5, interval=1.0)  # type: ignore[arg-type]
    limiter.daily_limit_reached(_daily_error())
    await limiter.aclose()
    [call] = calls
    assert set(call) == {"name", "px"}
    assert call["px"] / 1000 == pytest.approx(_seconds_to_midnight("UTC"), abs=3)


async def test_a_pause_stamped_by_a_clock_far_ahead_waits_no_longer_than_its_ttl(
    redis_server: RedisServer,
) -> None:
    async with _clients(redis_server, 2) as (conn, admin):
        limiter = RedisRateLimiter(conn, key=_key(), max_requests=5, interval=1.0)
        seconds, micros = await admin.time()
        an_hour_ahead = (seconds + 3600) * 1_000_000 + micros
        await admin.set(limiter.redis_keys[1], str(an_hour_ahead), px=300)
        with anyio.fail_after(5):
            waited = await limiter.acquire()
    assert 0.2 <= waited <= 1.5


async def test_starts_stamped_by_a_clock_far_ahead_hold_no_longer_than_a_window(
    redis_server: RedisServer,
) -> None:
    async with _clients(redis_server, 2) as (conn, admin):
        limiter = RedisRateLimiter(conn, key=_key(), max_requests=5, interval=0.5)
        seconds, micros = await admin.time()
        an_hour_ahead = (seconds + 3600) * 1_000_000 + micros
        starts = limiter.redis_keys[0]
        await admin.zadd(starts, {f"ahead-{i}": an_hour_ahead + i for i in range(5)})
        with anyio.fail_after(5):
            waited = await limiter.acquire()
    assert 0.4 <= waited <= 1.5


async def test_a_frozen_clock_does_not_make_a_waiter_fail_without_trying_redis(
    private_redis: RedisServer,
) -> None:
    limiter = RedisRateLimiter.from_url(
        private_redis.url, key=_key(), max_requests=5, interval=1.0, clock=lambda: 1000.0
    )
    try:
        private_redis.stop()
        with pytest.raises(RedisLimiterError):
            await limiter.acquire()
        private_redis.start()
        assert await limiter.acquire() == 0.0  # Redis answers again: granted
    finally:
        await limiter.aclose()
    assert limiter.redis_errors == 1


@pytest.mark.parametrize("client", ["from_url", "caller's"])
def test_a_second_asyncio_run_uses_the_same_limiter(
    redis_server: RedisServer, client: str, caplog: pytest.LogCaptureFixture
) -> None:
    from redis.asyncio import Redis

    caplog.set_level(logging.WARNING, logger="hubcrm")
    options: dict[str, Any] = {
        "key": _key(),
        "max_requests": 50,
        "interval": 1.0,
        "on_redis_error": "local",
        "local_share": 0.5,
    }
    own = None if client == "from_url" else Redis.from_url(redis_server.url)
    if own is None:
        limiter = RedisRateLimiter.from_url(redis_server.url, **options)
    else:
        limiter = RedisRateLimiter(own, **options)

    async def use() -> str:
        await limiter.acquire()
        limiter.penalize(0.0)  # a background write on this loop too
        await limiter.acquire()
        return limiter.mode

    modes = [asyncio.run(use()) for _ in range(3)]  # not closed between the runs
    asyncio.run(limiter.aclose() if own is None else own.aclose())
    gc.collect()  # a socket left open on a finished loop would warn here
    assert modes == ["shared"] * 3
    assert limiter.redis_errors == 0
    assert limiter.redis_calls == 6
    assert not caplog.records  # no fallback, no failed background write


def test_a_limiter_made_before_fork_gives_each_child_its_own_ids_and_connections(
    redis_server: RedisServer,
) -> None:
    limiter = RedisRateLimiter.from_url(redis_server.url, key=_key(), max_requests=50, interval=5)
    loop = asyncio.new_event_loop()  # the parent's loop lives on, as a portal thread's does
    try:
        loop.run_until_complete(limiter.acquire())  # the parent has a pooled connection
        children = []
        for _ in range(2):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                code = 1
                try:
                    for _ in range(2):  # two runs, as a Celery task's asyncio.run() each

                        async def three() -> None:
                            for _ in range(3):
                                await limiter.acquire()

                        asyncio.run(three())
                    code = 0 if limiter.redis_errors == 0 else 2
                finally:
                    os._exit(code)
            children.append(pid)
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
        # The parent's connection still works.
        loop.run_until_complete(asyncio.wait_for(limiter.acquire(), 5))

        async def recorded() -> int:
            async with _clients(redis_server, 1) as (admin,):
                return int(await admin.zcard(limiter.redis_keys[0]))

        count = loop.run_until_complete(recorded())
        loop.run_until_complete(limiter.aclose())
    finally:
        loop.close()
    assert codes == [0, 0]
    assert limiter.redis_errors == 0
    assert count == 1 + 2 * 6 + 1  # every start its own member: no id was reused


def test_from_url_without_redis_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)  # as if redis were not installed
    with pytest.raises(ImportError) as raised:
        RedisRateLimiter.from_url("redis://127.0.0.1:1/0", key="k", max_requests=1, interval=1)
    # What works from a clone today, and the published name for later.
    assert 'pip install ".[redis]" in a clone of hubcrm' in str(raised.value)
    assert 'once hubcrm is on PyPI: pip install "hubcrm[redis]"' in str(raised.value)
    assert raised.value.name == "redis"
