"""The client-side rate limiter: RateLimit, RollingWindowLimiter and PauseOnlyLimiter.

Most tests run on an event loop with virtual time (:func:`run_virtual`): its clock only
moves when every task is asleep, jumping straight to the next timer. The limiter's
injected clock is that loop's clock, so waits of many seconds take no real time and the
start times come out exact. A few tests use real time with small windows, and one sends
real HTTP to the emulator: they assert order and that no window was exceeded, computed
from the start times they record, never how long anything took. How close to the
permitted rate the limiter gets over real HTTP is measured by benchmarks/ratelimit.py.
"""

from __future__ import annotations

import asyncio
import gc
import math
import selectors
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import aiohttp
import anyio
import attrs
import pytest

from hubcrm import RateLimitError
from hubcrm._http.limiters import PauseOnlyLimiter, RollingWindowLimiter
from hubcrm._http.ratelimit import Limiter, RateLimit
from hubcrm.testing import Emulator

T = TypeVar("T")


def margin(interval: float) -> float:
    """The limiter's safety margin past a window: 2% of it plus 10 ms."""
    return 0.02 * interval + 0.010


DEFAULT_MARGIN = margin(10.0)


# --- helpers -----------------------------------------------------------------------------


class _VirtualSelector(selectors.DefaultSelector):
    """Instead of blocking for ``timeout`` seconds, moves virtual time on by as much."""

    now = 0.0

    def select(self, timeout: float | None = None) -> Any:
        if timeout is not None and timeout > 0:
            self.now += timeout
            timeout = 0
        return super().select(timeout)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` is virtual: idle waits cost no real time."""

    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


def run_virtual(main: Callable[[asyncio.AbstractEventLoop], Awaitable[T]]) -> T:
    """Run ``main(loop)`` on a fresh :class:`VirtualTimeLoop` and close it."""
    loop = VirtualTimeLoop()
    try:
        # wait_for keeps a timer armed, so a deadlock fails the test instead of hanging it.
        return loop.run_until_complete(asyncio.wait_for(_call(main, loop), 100_000))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _call(main: Callable[[asyncio.AbstractEventLoop], Awaitable[T]], loop: Any) -> T:
    return await main(loop)


def assert_never_over(starts: Sequence[float], limit: RateLimit) -> None:
    """No window of ``limit.interval`` seconds holds more than ``limit.max_requests`` starts.

    Checks every sliding window: any N+1 consecutive starts must span at least W.
    """
    n, w = limit.max_requests, limit.interval
    assert list(starts) == sorted(starts)
    for i in range(len(starts) - n):
        assert starts[i + n] - starts[i] >= w, (i, starts[i], starts[i + n])


def rate_use(starts: Sequence[float], limit: RateLimit) -> float:
    """The achieved rate divided by the permitted one, first start to last.

    ``k`` starts permit the last to begin ``(ceil(k / N) - 1) * W`` after the first.
    """
    ideal = (math.ceil(len(starts) / limit.max_requests) - 1) * limit.interval
    return ideal / (starts[-1] - starts[0])


async def start_many(
    limiter: RollingWindowLimiter | PauseOnlyLimiter, count: int, loop: asyncio.AbstractEventLoop
) -> tuple[list[int], list[float], list[float]]:
    """``count`` concurrent acquirers; returns grant order, grant times and waits."""
    order: list[int] = []
    times: list[float] = []
    waits: list[float] = [0.0] * count

    async def one(i: int) -> None:
        waits[i] = await limiter.acquire()
        order.append(i)
        times.append(loop.time())

    await asyncio.gather(*(one(i) for i in range(count)))
    return order, times, waits


# --- RateLimit -----------------------------------------------------------------------------


def test_presets() -> None:
    assert RateLimit.FREE == RateLimit.STARTER == RateLimit(100, 10.0)
    assert RateLimit.PROFESSIONAL == RateLimit.ENTERPRISE == RateLimit(190, 10.0)
    assert RateLimit(250, 10.0) == RateLimit.API_LIMIT_INCREASE
    assert RateLimit(110, 10.0) == RateLimit.OAUTH_APP
    assert RateLimit(100, 10.0) == RateLimit.DEFAULT
    assert attrs.fields(RateLimit)[0].name == "max_requests"  # presets are not fields
    assert len(attrs.fields(RateLimit)) == 2


def test_rate_limit_fields() -> None:
    limit = RateLimit(20, 1)
    assert limit.interval == 1.0
    assert isinstance(limit.interval, float)
    assert limit.per_second == 20.0
    assert str(limit) == "20/1s"
    assert RateLimit(max_requests=3, interval=0.5) == RateLimit(3, 0.5)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        limit.max_requests = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("max_requests", "interval", "error", "match"),
    [
        (0, 10.0, ValueError, "max_requests must be at least 1"),
        (-5, 10.0, ValueError, "max_requests must be at least 1"),
        (1.5, 10.0, TypeError, "max_requests must be an int"),
        ("100", 10.0, TypeError, "max_requests must be an int"),
        (True, 10.0, TypeError, "max_requests must be an int"),
        (100, 0, ValueError, "interval must be a positive"),
        (100, -1.0, ValueError, "interval must be a positive"),
        (100, math.inf, ValueError, "interval must be a positive"),
        (100, math.nan, ValueError, "interval must be a positive"),
        (100, "10", TypeError, "interval must be a number"),
        (100, None, TypeError, "interval must be a number"),
    ],
)
def test_rate_limit_validation(
    max_requests: Any, interval: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        RateLimit(max_requests, interval)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("190/10", RateLimit(190, 10.0)),
        ("190/10s", RateLimit(190, 10.0)),
        ("190/10S", RateLimit(190, 10.0)),
        (" 20 / 0.5s ", RateLimit(20, 0.5)),
        ("20/.25", RateLimit(20, 0.25)),
        ("1/1.", RateLimit(1, 1.0)),
    ],
)
def test_parse(text: str, expected: RateLimit) -> None:
    assert RateLimit.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "190", "190/", "/10", "a/b", "190/10m", "190/10ms", "190:10", "-1/10", "1e3/10", "1/2/3"],
)
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="REQUESTS/SECONDS"):
        RateLimit.parse(text)


@pytest.mark.parametrize(("text", "match"), [("0/10", "max_requests"), ("10/0", "interval")])
def test_parse_rejects_zero(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RateLimit.parse(text)


def test_parse_round_trips_str() -> None:
    for limit in (RateLimit.PROFESSIONAL, RateLimit(20, 0.5), RateLimit(3, 2.25)):
        assert RateLimit.parse(str(limit)) == limit


# --- the protocol and PauseOnlyLimiter ------------------------------------------------------------


def test_both_limiters_implement_the_protocol() -> None:
    assert isinstance(RollingWindowLimiter(), Limiter)
    assert isinstance(PauseOnlyLimiter(), Limiter)


def test_limiter_defaults() -> None:
    limiter = RollingWindowLimiter()
    assert limiter.rate_limit == RateLimit.DEFAULT
    assert limiter.explicit is False
    assert limiter.paused_until == 0.0
    assert limiter.total_wait == 0.0
    assert limiter.announced is None
    assert repr(limiter) == "RollingWindowLimiter(rate_limit=100/10s, explicit=False)"
    with pytest.raises(TypeError, match=r"hubcrm\.RateLimit"):
        RollingWindowLimiter((100, 10.0))  # type: ignore[arg-type]


def test_pause_only_limiter_never_waits() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
        limiter = PauseOnlyLimiter(clock=loop.time)
        waits = await asyncio.gather(*(limiter.acquire() for _ in range(1000)))
        after_burst = loop.time()
        limiter.observe(
            {"X-HubSpot-RateLimit-Max": "1", "X-HubSpot-RateLimit-Interval-Milliseconds": "1"}
        )
        waits.append(await limiter.acquire())
        return waits, after_burst, loop.time(), limiter.paused_until, limiter.total_wait

    waits, after_burst, after_all, paused_until, total_wait = run_virtual(main)
    assert waits == [0.0] * 1001
    assert after_burst == after_all == 0.0  # no time passed at all: nobody slept
    assert paused_until == 0.0
    assert total_wait == 0.0


def test_no_limiter_still_pauses_everyone_on_a_penalty() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
        limiter = PauseOnlyLimiter(clock=loop.time)
        await asyncio.sleep(1)
        assert limiter.penalize() == pytest.approx(10 + DEFAULT_MARGIN)  # HubSpot's 10 s
        limiter.observe({"x-hubspot-ratelimit-interval-milliseconds": "500"})
        limiter.observe({"X-HubSpot-RateLimit-Interval-Milliseconds": "bad"})  # ignored
        assert limiter.penalize() == pytest.approx(10 + DEFAULT_MARGIN)  # no stacking
        assert limiter.penalize(30.0) == 30.0  # Retry-After wins when longer
        order, times, waits = await start_many(limiter, 500, loop)
        after = await limiter.acquire()
        late_pause = limiter.penalize()  # the learned 0.5 s window
        return order, times, waits, after, late_pause, limiter.total_wait

    order, times, waits, after, late_pause, total_wait = run_virtual(main)
    assert order == list(range(500))
    assert times == pytest.approx([31.0] * 500)
    assert waits == pytest.approx([30.0] * 500)
    assert total_wait == pytest.approx(30.0 * 500)
    assert after == 0.0  # the pause is over: back to no waiting at all
    assert late_pause == pytest.approx(0.5 + margin(0.5))


# --- the rolling window (virtual time) -----------------------------------------------------


def test_first_window_is_free_then_waits_for_the_oldest_start() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> None:
        limiter = RollingWindowLimiter(RateLimit(3, 10.0), clock=loop.time)
        assert [await limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
        assert loop.time() == 0.0
        await asyncio.sleep(4)
        assert await limiter.acquire() == pytest.approx(6 + DEFAULT_MARGIN)
        assert loop.time() == pytest.approx(10 + DEFAULT_MARGIN)
        # The window rolls: the 5th and 6th need only the other two t=0 starts to age out.
        assert await limiter.acquire() == 0.0
        assert await limiter.acquire() == 0.0
        assert await limiter.acquire() == pytest.approx(10 + DEFAULT_MARGIN)  # for the 4th start
        assert loop.time() == pytest.approx(2 * (10 + DEFAULT_MARGIN))
        assert limiter.total_wait == pytest.approx(6 + 10 + 2 * DEFAULT_MARGIN)

    run_virtual(main)


def test_rolling_window_exact_times() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> list[float]:
        limiter = RollingWindowLimiter(RateLimit(2, 1.0), clock=loop.time)
        times = []
        for delay in (0.0, 0.3, 0.0, 0.0, 2.0, 0.0, 0.0):
            await asyncio.sleep(delay)
            await limiter.acquire()
            times.append(loop.time())
        return times

    m = margin(1.0)
    times = run_virtual(main)
    expected = [0.0, 0.3, 1 + m, 1.3 + m, 3.3 + m, 3.3 + m, 4.3 + 2 * m]
    assert times == pytest.approx(expected)
    assert_never_over(times, RateLimit(2, 1.0))


def test_thousand_concurrent_acquirers_fifo_and_spacing() -> None:
    limit = RateLimit(100, 10.0)

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
        limiter = RollingWindowLimiter(limit, clock=loop.time)
        order, times, waits = await start_many(limiter, 1000, loop)
        return order, times, waits, limiter.total_wait

    order, times, waits, total_wait = run_virtual(main)
    assert order == list(range(1000))  # first come, first served
    step = 10 + DEFAULT_MARGIN
    for i, t in enumerate(times):
        assert t == pytest.approx((i // 100) * step)
    assert waits == pytest.approx(times)  # everyone asked at t=0
    assert total_wait == pytest.approx(sum(times))
    assert_never_over(times, limit)
    use = rate_use(times, limit)
    assert use >= 0.95
    assert use == pytest.approx(10 / step)


def test_2000_acquirers_learn_50_per_1s_from_the_first_answer_and_keep_to_it() -> None:
    """The session's default limiter under a burst, as in test_resilience.py: one request
    goes first (the slow start), its answer announces 50 per 1 s, then 1,999 wait."""
    limit = RateLimit(50, 1.0)

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
        limiter = RollingWindowLimiter(clock=loop.time)  # what rate_limit's default makes
        assert limiter.rate_limit == RateLimit.DEFAULT
        await limiter.acquire()
        first = loop.time()
        limiter.observe(headers(50, 1000))
        order, times, _ = await start_many(limiter, 1999, loop)
        return limiter.rate_limit, order, [first, *times]

    learned, order, starts = run_virtual(main)
    assert learned == limit
    assert order == list(range(1999))
    assert len(starts) == 2000
    assert_never_over(starts, limit)  # no window of 1 s holds more than 50: no 429
    # ...and no slower than that: 40 full windows, each the limit's 1 s plus its margin.
    step = 1 + margin(1.0)
    assert starts == pytest.approx([(i // 50) * step for i in range(2000)])
    assert rate_use(starts, limit) == pytest.approx(1 / step)


def test_only_the_head_waiter_holds_a_timer() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> int:
        limiter = RollingWindowLimiter(RateLimit(1, 10.0), clock=loop.time)
        await limiter.acquire()
        tasks = [asyncio.ensure_future(limiter.acquire()) for _ in range(500)]
        await asyncio.sleep(1)
        timers = len(loop._scheduled)  # type: ignore[attr-defined]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return timers

    # the head waiter's wake-up, plus run_virtual's own wait_for
    assert run_virtual(main) == 2


# --- penalize ------------------------------------------------------------------------------


def test_penalize_holds_everyone_until_the_wait_is_over() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
        limiter = RollingWindowLimiter(RateLimit(100, 10.0), clock=loop.time)
        await asyncio.sleep(1)
        assert limiter.penalize(3.0) == 3.0
        assert limiter.paused_until == 4.0
        order, times, _ = await start_many(limiter, 150, loop)
        return order, times, limiter.paused_until

    order, times, paused_until = run_virtual(main)
    assert order == list(range(150))
    assert times[:100] == pytest.approx([4.0] * 100)  # nobody before the pause ends
    # then the window, with the margin doubled by the 429 (the model had run ahead)
    assert times[100:] == pytest.approx([14.0 + 2 * DEFAULT_MARGIN] * 50)
    assert paused_until == 0.0  # over


def test_a_first_429_holds_nobody_and_the_window_paces_its_retry() -> None:
    """Without Retry-After, one 429 says HubSpot counted a request more than the limiter
    did (one delayed on its way): the refused request waits its turn in the window like
    any other, and nobody is held for a whole window."""

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[float, float, list[float]]:
        limiter = RollingWindowLimiter(RateLimit(100, 10.0), clock=loop.time)
        _, times, _ = await start_many(limiter, 100, loop)  # the window is full at t=0
        await asyncio.sleep(2)
        pause = limiter.penalize()
        _, more, _ = await start_many(limiter, 2, loop)
        return pause, limiter._margin, times + more

    pause, margin_after, times = run_virtual(main)
    assert pause == 0.0
    assert margin_after == pytest.approx(DEFAULT_MARGIN)  # one 429 proves no drift
    assert times[:100] == pytest.approx([0.0] * 100)
    assert times[100:] == pytest.approx([10 + DEFAULT_MARGIN] * 2)  # not 12 + a window


def test_429s_of_one_burst_count_once_and_a_later_one_drains_the_window() -> None:
    now = [100.0]
    limiter = RollingWindowLimiter(RateLimit(100, 10.0), clock=lambda: now[0])
    assert limiter.penalize() == 0.0
    now[0] += 0.5  # more answers of the same burst: nothing more
    assert limiter.penalize() == 0.0
    assert limiter._margin == pytest.approx(DEFAULT_MARGIN)
    now[0] += 3.0  # again within the window: the count is off by more than the margin
    assert limiter.penalize() == pytest.approx(10 + DEFAULT_MARGIN)
    assert limiter._margin == pytest.approx(2 * DEFAULT_MARGIN)
    assert limiter.paused_until == pytest.approx(103.5 + 10 + DEFAULT_MARGIN)
    now[0] += 0.5  # answers of that burst during the pause: the pause stands, no longer
    assert limiter.penalize() == pytest.approx(9.5 + DEFAULT_MARGIN)
    assert limiter._margin == pytest.approx(2 * DEFAULT_MARGIN)
    now[0] += 30.0  # a window later: an isolated 429 again, holding nobody
    assert limiter.penalize() == 0.0
    assert limiter._margin == pytest.approx(2 * DEFAULT_MARGIN)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_penalize_with_a_nonsense_wait_is_a_429_without_retry_after(bad: float) -> None:
    now = [100.0]
    limiter = RollingWindowLimiter(RateLimit(10, 2.0), clock=lambda: now[0])
    assert limiter.penalize(bad) == 0.0
    now[0] += 1.0
    assert limiter.penalize(bad) == pytest.approx(2 + margin(2.0))


def test_the_pause_only_limiter_still_drains_a_window_on_every_429() -> None:
    limiter = PauseOnlyLimiter(clock=lambda: 100.0)  # no window here to pace a retry
    assert limiter.penalize() == pytest.approx(10 + DEFAULT_MARGIN)


def test_overlapping_penalties_take_the_latest_end() -> None:
    now = [0.0]
    limiter = RollingWindowLimiter(clock=lambda: now[0])
    assert limiter.penalize(5.0) == 5.0
    now[0] = 1.0
    assert limiter.penalize(2.0) == 4.0  # still until t=5: not 3 (t=3) and not 7 (stacked)
    assert limiter.paused_until == 5.0
    assert limiter.penalize(0.0) == 4.0
    assert limiter.penalize(10.0) == 10.0
    assert limiter.paused_until == 11.0
    now[0] = 11.0
    assert limiter.paused_until == 0.0
    assert limiter.penalize(1.0) == 1.0


def test_a_penalty_during_a_wait_is_honoured_after_waking() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> list[float]:
        limiter = RollingWindowLimiter(RateLimit(2, 1.0), clock=loop.time)
        times: list[float] = []

        async def one() -> None:
            await limiter.acquire()
            times.append(loop.time())

        tasks = [asyncio.ensure_future(one()) for _ in range(4)]
        await asyncio.sleep(0.5)  # 2 started, the 3rd sleeps until ~1.025
        limiter.penalize(5.0)  # until 5.5
        await asyncio.gather(*tasks)
        return times

    assert run_virtual(main) == pytest.approx([0.0, 0.0, 5.5, 5.5])


# --- observe -------------------------------------------------------------------------------


def headers(max_requests: object, interval_ms: object) -> dict[str, str]:
    return {
        "X-HubSpot-RateLimit-Max": str(max_requests),
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
        "X-HubSpot-RateLimit-Remaining": "7",
    }


def test_default_limit_adopts_the_announced_one() -> None:
    limiter = RollingWindowLimiter()
    limiter.observe(headers(190, 10000))
    assert limiter.rate_limit == RateLimit(190, 10.0)
    assert limiter.announced == RateLimit(190, 10.0)
    limiter.observe(headers(50, 1000))
    assert limiter.rate_limit == RateLimit(50, 1.0)
    limiter.observe(headers(250, 10000))
    assert limiter.rate_limit == RateLimit(250, 10.0)


def test_explicit_limit_adopts_only_a_stricter_one() -> None:
    limiter = RollingWindowLimiter(RateLimit(150, 10.0), explicit=True)
    limiter.observe(headers(190, 10000))
    assert limiter.rate_limit == RateLimit(150, 10.0)  # never above the user's choice
    assert limiter.announced == RateLimit(190, 10.0)
    limiter.observe(headers(100, 10000))
    assert limiter.rate_limit == RateLimit(100, 10.0)  # stricter: adopted
    limiter.observe(headers(250, 10000))
    assert limiter.rate_limit == RateLimit(150, 10.0)  # back to the user's choice, no further


@pytest.mark.parametrize(
    ("chosen", "max_requests", "interval_ms", "expected"),
    [
        # HubSpot 50/1s allows 10/s, but a burst of 100 in one second would break it.
        (RateLimit(100, 10.0), 50, 1000, RateLimit(10, 1.0)),
        # The user's 20/1s is a burst of 100 in 5 s against HubSpot's 50 per 5 s.
        (RateLimit(20, 1.0), 50, 5000, RateLimit(10, 1.0)),
        # The user's 5/1s already keeps to 100/10s.
        (RateLimit(5, 1.0), 100, 10000, RateLimit(5, 1.0)),
        (RateLimit(10, 1.0), 100, 10000, RateLimit(10, 1.0)),
    ],
)
def test_explicit_limit_with_a_different_interval_keeps_to_both(
    chosen: RateLimit, max_requests: int, interval_ms: int, expected: RateLimit
) -> None:
    limiter = RollingWindowLimiter(chosen, explicit=True)
    limiter.observe(headers(max_requests, interval_ms))
    assert limiter.rate_limit == expected


@pytest.mark.parametrize(
    ("max_text", "interval_text"),
    [
        ("abc", "10000"),
        ("", "10000"),
        ("0", "10000"),
        ("-5", "10000"),
        ("+5", "10000"),
        ("1.5", "10000"),
        ("1e3", "10000"),
        ("1_000", "10000"),
        ("٣", "10000"),  # an Arabic-Indic digit, which int() would accept
        ("50", "ten"),
        ("50", "0"),
        ("50", "-1000"),
        ("50", "1000.5"),
        ("50", ""),
        ("50", None),
    ],
)
def test_malformed_headers_are_ignored(max_text: str, interval_text: str | None) -> None:
    for explicit in (False, True):
        limiter = RollingWindowLimiter(RateLimit(100, 10.0), explicit=explicit)
        given = {"X-HubSpot-RateLimit-Max": max_text}
        if interval_text is not None:
            given["X-HubSpot-RateLimit-Interval-Milliseconds"] = interval_text
        limiter.observe(given)
        assert limiter.rate_limit == RateLimit(100, 10.0)
        assert limiter.announced is None


def test_headers_are_read_case_insensitively_and_absent_ones_change_nothing() -> None:
    from multidict import CIMultiDict

    limiter = RollingWindowLimiter()
    limiter.observe({})
    limiter.observe({"Content-Type": "application/json"})
    assert limiter.rate_limit == RateLimit.DEFAULT
    limiter.observe(
        CIMultiDict(
            {"x-hubspot-ratelimit-max": "190", "X-HUBSPOT-RATELIMIT-INTERVAL-MILLISECONDS": "10000"}
        )
    )
    assert limiter.rate_limit == RateLimit(190, 10.0)
    limiter.observe(
        {"x-hubspot-ratelimit-max": "110", "x-hubspot-ratelimit-interval-milliseconds": "10000"}
    )
    assert limiter.rate_limit == RateLimit(110, 10.0)  # a plain dict with lower-case keys


def test_a_smaller_limit_keeps_the_recorded_starts() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[float, float]:
        limiter = RollingWindowLimiter(RateLimit(190, 10.0), clock=loop.time)
        for _ in range(100):
            await limiter.acquire()
        await asyncio.sleep(1)
        limiter.observe(headers(50, 10000))
        waited = await limiter.acquire()
        return waited, loop.time()

    waited, started = run_virtual(main)
    # 100 starts at t=0 are already over 50: the next must wait for the window to pass.
    assert started == pytest.approx(10 + DEFAULT_MARGIN)
    assert waited == pytest.approx(9 + DEFAULT_MARGIN)


def test_a_longer_interval_counts_older_starts() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> float:
        limiter = RollingWindowLimiter(RateLimit(10, 1.0), clock=loop.time)
        for _ in range(10):
            await limiter.acquire()
        await asyncio.sleep(2)
        limiter.observe(headers(10, 10000))  # now 10 per 10 s: those 10 still count
        await limiter.acquire()
        return loop.time()

    assert run_virtual(main) == pytest.approx(10 + DEFAULT_MARGIN)


def test_a_looser_limit_wakes_the_waiters_at_once() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> list[float]:
        limiter = RollingWindowLimiter(clock=loop.time)  # the default, 100/10s
        times: list[float] = []

        async def one() -> None:
            await limiter.acquire()
            times.append(loop.time())

        tasks = [asyncio.ensure_future(one()) for _ in range(250)]
        await asyncio.sleep(1)
        limiter.observe(headers(190, 10000))
        await asyncio.gather(*tasks)
        return times

    times = run_virtual(main)
    assert times[:100] == [0.0] * 100
    assert times[100:190] == pytest.approx([1.0] * 90)  # not after 10 s
    assert times[190:] == pytest.approx([10 + DEFAULT_MARGIN] * 60)
    assert_never_over(times, RateLimit(190, 10.0))


def test_repeated_headers_are_not_parsed_again() -> None:
    limiter = RollingWindowLimiter()
    same = headers(190, 10000)
    limiter.observe(same)
    assert limiter.rate_limit == RateLimit(190, 10.0)
    calls = 0

    class Counting(dict[str, str]):
        def get(self, key: str, default: Any = None) -> Any:
            nonlocal calls
            calls += 1
            return super().get(key, default)

    limiter.observe(Counting(same))
    assert calls == 2  # two lookups, no parsing, no change
    assert limiter.rate_limit == RateLimit(190, 10.0)


# --- cancellation --------------------------------------------------------------------------


def test_cancelled_waiters_leave_no_slot_and_no_lock() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
        limiter = RollingWindowLimiter(RateLimit(2, 10.0), clock=loop.time)
        started: list[tuple[int, float]] = []

        async def one(i: int) -> None:
            await limiter.acquire()
            started.append((i, loop.time()))

        tasks = [asyncio.ensure_future(one(i)) for i in range(6)]
        await asyncio.sleep(1)
        assert [i for i, _ in started] == [0, 1]
        tasks[2].cancel()  # the head waiter, asleep on the timer
        tasks[4].cancel()  # one queued on the lock
        await asyncio.sleep(0)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
        # Then everybody else gives up too; a newcomer must not find the lock held.
        late = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
        await asyncio.sleep(0)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        before = loop.time()
        await limiter.acquire()
        return started, cancelled, before, loop.time()

    started, cancelled, before, last = run_virtual(main)
    step = 10 + DEFAULT_MARGIN
    assert cancelled == 2
    assert [i for i, _ in started] == [0, 1, 3, 5]  # FIFO among the survivors
    assert [t for _, t in started] == pytest.approx([0, 0, step, step])
    # The cancelled ones took no slot: the next start is one window after 3 and 5.
    assert before == pytest.approx(step)
    assert last == pytest.approx(2 * step)


def test_cancellation_through_a_timeout() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[int, float]:
        limiter = RollingWindowLimiter(RateLimit(5, 10.0), clock=loop.time)
        for _ in range(5):
            await limiter.acquire()
        timed_out = 0
        for _ in range(20):
            try:
                await asyncio.wait_for(limiter.acquire(), 0.1)
            except asyncio.TimeoutError:
                timed_out += 1
        await limiter.acquire()
        return timed_out, loop.time()

    timed_out, started = run_virtual(main)
    assert timed_out == 20
    assert started == pytest.approx(10 + DEFAULT_MARGIN)


# --- real time -----------------------------------------------------------------------------


def test_hundred_acquirers_fifo_and_spacing_at_a_short_window() -> None:
    """The real-time test below on virtual time: how long it takes, exactly."""
    limit = RateLimit(20, 0.2)

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[list[int], list[float]]:
        limiter = RollingWindowLimiter(limit, explicit=True, clock=loop.time)
        order, times, _ = await start_many(limiter, 100, loop)
        return order, times

    order, starts = run_virtual(main)
    assert order == list(range(100))
    assert_never_over(starts, limit)
    step = 0.2 + margin(0.2)
    assert starts == pytest.approx([(i // 20) * step for i in range(100)])
    assert rate_use(starts, limit) == pytest.approx(0.2 / step)  # 0.935


@pytest.mark.anyio
async def test_real_time_never_over_the_limit_and_fifo() -> None:
    limit = RateLimit(20, 0.2)
    limiter = RollingWindowLimiter(limit, explicit=True)
    order: list[int] = []
    starts: list[float] = []

    async def one(i: int) -> None:
        await limiter.acquire()
        starts.append(time.monotonic())
        order.append(i)

    with anyio.fail_after(60):  # a hang guard, not a timing claim
        await asyncio.gather(*(one(i) for i in range(100)))
    assert order == list(range(100))
    assert len(starts) == 100
    assert_never_over(starts, limit)  # so the last start is at least 4 windows on
    assert limiter.total_wait > 0


@pytest.mark.anyio
async def test_real_time_thousand_concurrent_acquirers() -> None:
    limit = RateLimit(250, 0.1)
    limiter = RollingWindowLimiter(limit, explicit=True)
    starts: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        starts.append(time.monotonic())

    with anyio.fail_after(60):  # a hang guard, not a timing claim
        await asyncio.gather(*(one() for _ in range(1000)))
    assert len(starts) == 1000
    assert_never_over(starts, limit)  # so the last start is at least 3 windows on
    assert limiter.total_wait > 0


def test_reuse_after_a_second_asyncio_run() -> None:
    limit = RateLimit(5, 0.3)
    limiter = RollingWindowLimiter(limit, explicit=True)
    starts: list[float] = []

    async def burst(count: int) -> None:
        async def one() -> None:
            await limiter.acquire()
            starts.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(count)))

    asyncio.run(burst(8))  # contended: the lock was bound to this loop
    asyncio.run(burst(8))  # a new loop; the window carries over
    assert len(starts) == 16
    assert_never_over(starts, limit)


# --- real HTTP against the emulator --------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.timing
@pytest.mark.hubspot_emulator(rate_limit=(20, 0.4))
async def test_emulator_sees_no_429_from_a_limited_burst(
    hubspot_emulator: Emulator,
) -> None:
    """200 concurrent creates through a limiter of 20 per 0.5 s, against HubSpot's 20 per 0.4 s.

    The 100 ms between the two windows is room for delivery: a grant reaches the emulator
    later than it was made (a new connection, a busy machine), and nothing but the limiter
    spaces the requests. That the limiter alone never exceeds its own window is asserted
    below from the recorded grant times, and exactly on virtual time above.
    """
    limit = RateLimit(20, 0.5)
    limiter = RollingWindowLimiter(limit, explicit=True)
    url = hubspot_emulator.base_url + "/crm/objects/2026-03/contacts"
    auth = {"Authorization": f"Bearer {hubspot_emulator.token}"}
    starts: list[float] = []
    statuses: list[int] = []

    # Collect the earlier tests' garbage now: a full collection during the burst freezes
    # the whole process (client and emulator thread) for tens of milliseconds between a
    # grant and its send, longer than the 20 ms margin of a half-second window.
    gc.collect()
    async with aiohttp.ClientSession() as http:

        async def create(i: int) -> None:
            await limiter.acquire()
            starts.append(time.monotonic())
            body = {"properties": {"email": f"rate{i}@example.com"}}
            async with http.post(url, json=body, headers=auth) as response:
                await response.read()
                statuses.append(response.status)
                limiter.observe(response.headers)

        await asyncio.gather(*(create(i) for i in range(200)))

    assert hubspot_emulator.stats.rate_limited == {}
    assert statuses == [201] * 200
    assert hubspot_emulator.count("contacts") == 200
    assert limiter.rate_limit == limit  # the announced one is looser: the user's is kept
    assert_never_over(starts, limit)


def test_each_429_episode_that_drains_the_window_widens_the_margin_up_to_a_quarter() -> None:
    now = [100.0]
    limiter = RollingWindowLimiter(RateLimit(10, 1.0), clock=lambda: now[0])
    first = limiter._margin
    limiter.penalize()  # an isolated 429: no drift shown yet
    assert limiter._margin == pytest.approx(first)
    now[0] += 0.5
    limiter.penalize()  # another within the window: drain it, and widen
    assert limiter._margin == pytest.approx(2 * first)
    limiter.penalize()  # another 429 of the same burst, during the pause: no change
    assert limiter._margin == pytest.approx(2 * first)
    for _ in range(10):
        now[0] += 2.0  # the pause is over; the last 429 was in the window before
        limiter.penalize()  # isolated
        now[0] += 0.5
        limiter.penalize()  # repeated: a new episode that drains the window
    assert limiter._margin == pytest.approx(0.25)


# --- pauses longer than a waiter may wait ----------------------------------------------------


def _limiters(loop: asyncio.AbstractEventLoop) -> list[RollingWindowLimiter | PauseOnlyLimiter]:
    return [
        RollingWindowLimiter(RateLimit(100, 10.0), clock=loop.time),
        PauseOnlyLimiter(clock=loop.time),
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["rolling", "pause-only"])
def test_a_pause_longer_than_max_pause_fails_at_once_and_counts_nothing(which: int) -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
        limiter = _limiters(loop)[which]
        await asyncio.sleep(1)
        limiter.penalize(3600.0)
        with pytest.raises(RateLimitError) as caught:
            await limiter.acquire(max_pause=2.0)
        failed_at = loop.time()
        # No pause: the bound changes nothing, and the refused call left no start behind.
        await asyncio.sleep(3600)
        waits = [await limiter.acquire(max_pause=2.0) for _ in range(100)]
        return caught.value, failed_at, waits, loop.time()

    error, failed_at, waits, end = run_virtual(main)
    assert failed_at == 1.0  # at once, not after 2 s, and not after an hour
    assert error.status == 429
    assert error.retry_after == pytest.approx(3600.0)
    assert error.policy_name == "TEN_SECONDLY_ROLLING"
    assert "not sent" in str(error)
    assert "rate_limit_deadline" in str(error)
    assert waits == [0.0] * 100  # all 100 fit the window: the refused call took no slot
    assert end == 3601.0


@pytest.mark.parametrize("which", [0, 1], ids=["rolling", "pause-only"])
def test_a_pause_within_max_pause_is_waited_out_in_order(which: int) -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[list[int], list[float]]:
        limiter = _limiters(loop)[which]
        limiter.penalize(2.0)
        order: list[int] = []
        times: list[float] = []

        async def one(i: int) -> None:
            await limiter.acquire(max_pause=2.0)
            order.append(i)
            times.append(loop.time())

        await asyncio.gather(*(one(i) for i in range(50)))
        return order, times

    order, times = run_virtual(main)
    assert order == list(range(50))
    assert times == pytest.approx([2.0] * 50)


def test_a_long_pause_fails_every_queued_waiter_when_it_begins() -> None:
    """300 waiters queued on the window (100 per 10 s); a 429 with Retry-After: 3600
    arrives at t=1. The 200 still waiting fail at t=1, none after."""

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[list[float], list[float], float]:
        limiter = RollingWindowLimiter(RateLimit(100, 10.0), clock=loop.time)
        granted: list[float] = []
        failed: list[float] = []

        async def one() -> None:
            try:
                await limiter.acquire(max_pause=2.0)
            except RateLimitError:
                failed.append(loop.time())
            else:
                granted.append(loop.time())

        tasks = [asyncio.ensure_future(one()) for _ in range(300)]
        await asyncio.sleep(1)
        limiter.penalize(3600.0)
        await asyncio.gather(*tasks)
        return granted, failed, loop.time()

    granted, failed, end = run_virtual(main)
    assert granted == [0.0] * 100
    assert failed == [1.0] * 200
    assert end == 1.0


def test_a_pause_extended_past_the_bound_fails_those_already_waiting_it_out() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> list[tuple[str, float]]:
        limiter = PauseOnlyLimiter(clock=loop.time)
        limiter.penalize(1.0)  # within the bound: waited out
        seen: list[tuple[str, float]] = []

        async def one(bound: float) -> None:
            try:
                await limiter.acquire(max_pause=bound)
            except RateLimitError:
                seen.append(("failed", loop.time()))
            else:
                seen.append(("granted", loop.time()))

        tasks = [asyncio.ensure_future(one(2.0)) for _ in range(3)]
        await asyncio.sleep(0.5)
        limiter.penalize(3600.0)  # now far past it
        await asyncio.gather(*tasks)
        return seen

    assert run_virtual(main) == [("failed", 0.5)] * 3


def test_waiters_with_different_bounds_each_keep_their_own() -> None:
    """A waiter that may wait an hour does not hold up, at the head of the queue, those
    behind it that may not: they fail at once, it is served when the pause ends."""

    async def main(loop: asyncio.AbstractEventLoop) -> list[tuple[int, str, float]]:
        limiter = RollingWindowLimiter(RateLimit(1, 10.0), clock=loop.time)
        await limiter.acquire()  # the window is full until t=10.21
        seen: list[tuple[int, str, float]] = []

        async def one(i: int, bound: float) -> None:
            try:
                await limiter.acquire(max_pause=bound)
            except RateLimitError:
                seen.append((i, "failed", loop.time()))
            else:
                seen.append((i, "granted", loop.time()))

        tasks = [asyncio.ensure_future(one(0, 5000.0))]
        tasks += [asyncio.ensure_future(one(i, 2.0)) for i in (1, 2, 3)]
        await asyncio.sleep(1)
        limiter.penalize(3600.0)
        await asyncio.gather(*tasks)
        return seen

    assert run_virtual(main) == [
        (1, "failed", 1.0),
        (2, "failed", 1.0),
        (3, "failed", 1.0),
        (0, "granted", 3601.0),
    ]


def test_a_cancelled_pause_waiter_leaves_the_others_waiting() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[list[float], int]:
        limiter = RollingWindowLimiter(RateLimit(100, 10.0), clock=loop.time)
        limiter.penalize(5.0)
        times: list[float] = []

        async def one() -> None:
            await limiter.acquire(max_pause=10.0)
            times.append(loop.time())

        tasks = [asyncio.ensure_future(one()) for _ in range(5)]
        await asyncio.sleep(1)
        tasks[0].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return times, limiter._queued

    times, queued = run_virtual(main)
    assert times == pytest.approx([5.0] * 4)
    assert queued == 0
