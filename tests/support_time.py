"""Time for tests without sleeping: a clock moved by hand, and waiting on conditions.

A test never sleeps for a while and then asserts: it either moves a :class:`VirtualClock`
(and, when HubSpot's side must agree, the emulator's clock by the same amount), or it
waits with :func:`wait_until` for the condition it is about to rely on, which fails
with a clear message instead of passing or failing by luck on a slow machine.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

import pytest

# Far enough from anything a real clock reads that a test mixing the two fails loudly.
_WALL_START = 2_000_000_000.0
_MONOTONIC_START = 1_000.0

# Generous: these only bound how long a broken test hangs, they never make one pass.
DEFAULT_TIMEOUT = 30.0


class VirtualClock:
    """A :class:`hubcrm._clock.Clock` whose readings move only when :meth:`advance` is called."""

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
