"""Time for tests without sleeping: clocks moved by hand or by virtual sleeps, and
waiting on conditions.

A test never sleeps for a while and then asserts: it either moves a :class:`VirtualClock`
(and, when HubSpot's side must agree, the emulator's clock by the same amount), puts a
client's retries on :class:`VirtualTime`, or waits with :func:`wait_until` for the
condition it is about to rely on, which fails with a clear message instead of passing
or failing by luck on a slow machine.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from hubcrm import AsyncHubCRM, HubCRM
from hubcrm.testing import Emulator

_Client = TypeVar("_Client", AsyncHubCRM, HubCRM)

# Far enough from anything a real clock reads that a test mixing the two fails loudly.
_WALL_START = 2_000_000_000.0
_MONOTONIC_START = 1_000.0

# Generous: these only bound how long a broken test hangs, they never make one pass.
DEFAULT_TIMEOUT = 30.0


class VirtualClock:
    """A :class:`hubcrm.Clock` whose readings move only when :meth:`advance` is called."""

    __slots__ = ("_elapsed",)

    def __init__(self) -> None:
        self._elapsed = 0.0

    def time(self) -> float:
        """Virtual seconds since the epoch."""
        return _WALL_START + self._elapsed

    def monotonic(self) -> float:
        """Virtual monotonic seconds."""
        return _MONOTONIC_START + self._elapsed

    def advance(self, seconds: float) -> None:
        """Move both readings forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._elapsed += seconds


class VirtualTime:
    """A client's clock, sleep and jitter on virtual time: backoffs cost no real time.

    :meth:`install` hands them to a client's session (``Session.use_time``), so every
    wait of its retry loop and of its write settling is virtual, and the retrier and
    the bulk engines read this clock. Readings are real time plus an offset. A
    :meth:`sleep` yields to the event loop once (other tasks, and the servers the test
    talks to, run meanwhile), then moves the offset so that the clock reads at least
    ``seconds`` later than when the sleep began; sleeps that overlap share the advance,
    as they would on a real clock. With ``emulator``, HubSpot's clock moves by the same
    amounts, so the ``createdAt`` it stamps agrees with the client's clock.

    The limiters keep their own clocks, and timeouts stay real: this is for backoffs.

    Args:
        emulator: the emulator whose clock moves with this one.
        seed: seeds the jitter, so a test's backoffs are the same on every run.
    """

    def __init__(self, emulator: Emulator | None = None, *, seed: int = 0) -> None:
        self._offset = 0.0
        self._emulator = emulator
        self._jitter = random.Random(seed)
        self.slept: list[float] = []
        """Every sleep asked for, in seconds, in order."""

    def time(self) -> float:
        """Virtual seconds since the epoch."""
        return time.time() + self._offset

    def monotonic(self) -> float:
        """Virtual monotonic seconds."""
        return time.monotonic() + self._offset

    def random(self) -> float:
        """Seeded jitter in ``[0, 1)``."""
        return self._jitter.random()

    def advance(self, seconds: float) -> None:
        """Move the clock (and the emulator's) forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        if self._emulator is not None:
            self._emulator.advance_clock(seconds)

    async def sleep(self, seconds: float) -> None:
        """Yield to the event loop once, then be ``seconds`` later on the virtual clock."""
        deadline = self.monotonic() + seconds
        self.slept.append(seconds)
        await asyncio.sleep(0)
        behind = deadline - self.monotonic()
        if behind > 0:
            self.advance(behind)

    def install(self, client: _Client) -> _Client:
        """Put ``client`` (and the clients ``with_options`` makes from it) on this time;
        returns it."""
        inner = client._async_client if isinstance(client, HubCRM) else client
        inner._session.use_time(clock=self, sleep=self.sleep, random=self.random)
        return client


async def wait_until(
    predicate: Callable[[], object | Awaitable[object]],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.005,
) -> None:
    """Poll ``predicate`` (awaited if it returns an awaitable) until it is true.

    Args:
        predicate: The condition the test is about to rely on.
        what: The condition in words, for the failure message.
        timeout: Seconds after which the test fails.
        interval: Seconds between polls.

    Raises:
        pytest.fail.Exception: ``predicate`` was still false after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting until {what}")
        await asyncio.sleep(interval)


def wait_until_sync(
    predicate: Callable[[], object],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.02,
) -> None:
    """:func:`wait_until` for code without an event loop: blocks the calling thread."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting until {what}")
        time.sleep(interval)
