"""Scheduling a bulk run: how many batches run at once, and deferral by unique key.

Two inputs with the same unique value (an email, an ``id_property`` value, a caller's
trace id) never travel at once: HubSpot would make the first and refuse the second, or
settle them against one record. :class:`KeyDeferral` holds a later input back while
an earlier one with a key it shares is in a batch in flight or being settled, and lets
the held-back inputs go in input order. :func:`in_flight` is the concurrency target.

:class:`SeenKeys` remembers, in a few bits per key, which unique values a run has taken:
settling asks it whether an earlier input of the run had an input's value (then the
record read back may be that input's, not this one's).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterable
from typing import Generic, Protocol, TypeVar

from .._core.values import type_name
from .._http.ratelimit import RateLimit

__all__ = [
    "MAX_BATCH_SIZE",
    "KeyDeferral",
    "Keyed",
    "SeenKeys",
    "check_batch_size",
    "check_concurrency",
    "in_flight",
]

MAX_BATCH_SIZE = 100

# With a rate limiter, requests in flight = permitted rate x the time one request may
# take. HubSpot answers a batch of 100 well within this, so this many keeps the window
# full; more would only wait in the limiter holding inputs in memory.
_ASSUMED_LATENCY = 1.0
# Without a limiter there is no window to fill: this many batches saturate one server.
_UNLIMITED_CONCURRENCY = 16


class _Pool(Protocol):
    @property
    def max_connections(self) -> int: ...

    @property
    def rate_limit(self) -> RateLimit | None: ...


def check_batch_size(batch_size: int) -> None:
    """Raise unless ``batch_size`` is an int from 1 to 100."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size must be an int, not {type_name(batch_size)}")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}, not {batch_size}")


def check_concurrency(concurrency: int | None) -> None:
    """Raise unless ``concurrency`` is None or an int of at least 1."""
    if concurrency is None:
        return
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int or None, not {type_name(concurrency)}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")


def in_flight(requester: _Pool, concurrency: int | None) -> int:
    """How many requests a bulk run keeps in flight: the caller's ``concurrency``, or
    enough to fill the rate limit, and never more than the connection pool."""
    pool = requester.max_connections
    if concurrency is not None:
        return max(1, min(concurrency, pool))
    rate_limit = requester.rate_limit
    if rate_limit is not None:
        want = math.ceil(rate_limit.per_second * _ASSUMED_LATENCY) + 1
        return max(1, min(want, rate_limit.max_requests, pool))
    return max(1, min(_UNLIMITED_CONCURRENCY, pool))


class Keyed(Protocol):
    """An input as scheduling sees it: its unique keys (no key twice), a lone key as
    itself (a str), several in a tuple."""

    @property
    def key(self) -> str | tuple[str, ...]: ...


K = TypeVar("K", bound=Keyed)


def _count(counts: dict[str, int], keys: str | tuple[str, ...], step: int) -> None:
    if type(keys) is str:
        left = counts.get(keys, 0) + step
        if left:
            counts[keys] = left
        else:
            del counts[keys]
        return
    for key in keys:
        left = counts.get(key, 0) + step
        if left:
            counts[key] = left
        else:
            del counts[key]


class KeyDeferral(Generic[K]):
    """The keys of inputs taken (in flight or settling) and the inputs held back.

    Touched only on the event loop's thread.
    """

    def __init__(self) -> None:
        self._busy: dict[str, int] = {}  # keys of inputs taken and not released
        self._held: deque[K] = deque()
        self._held_keys: dict[str, int] = {}

    def __len__(self) -> int:
        """How many inputs are held back."""
        return len(self._held)

    def must_wait(self, item: K) -> bool:
        """Whether ``item`` shares a key with an input taken or held back before it."""
        busy, held = self._busy, self._held_keys
        keys = item.key
        if type(keys) is str:  # the usual input: one key
            return keys in busy or keys in held
        for key in keys:  # noqa: SIM110 - cheaper than any(): runs once per input
            if key in busy or key in held:
                return True
        return False

    def take(self, item: K, batch: list[K]) -> None:
        """Put ``item`` in ``batch``: its keys are busy until released."""
        busy = self._busy
        keys = item.key
        if type(keys) is str:
            busy[keys] = busy.get(keys, 0) + 1
        else:
            for key in keys:
                busy[key] = busy.get(key, 0) + 1
        batch.append(item)

    def release(self, items: Iterable[K]) -> None:
        """``items`` are done (or left for good): their keys are free again."""
        for item in items:
            _count(self._busy, item.key, -1)

    def hold(self, item: K) -> None:
        """Hold ``item`` back until no earlier input shares its keys."""
        self._held.append(item)
        _count(self._held_keys, item.key, 1)

    def ready(self, batch: list[K], size: int) -> None:
        """Move held-back inputs that may go now into ``batch`` (up to ``size``), in
        input order: a later input never passes an earlier one with a key it shares."""
        if not self._held:
            return
        kept: deque[K] = deque()
        blocked: set[str] = set()
        busy = self._busy
        while self._held:
            item = self._held.popleft()
            key = item.key
            keys = (key,) if type(key) is str else key
            if len(batch) < size and not any(k in busy for k in keys) and blocked.isdisjoint(keys):
                _count(self._held_keys, key, -1)
                self.take(item, batch)
            else:
                kept.append(item)
                blocked.update(keys)
        self._held = kept

    def drain(self) -> list[K]:
        """Take every held-back input out (the run stops taking inputs)."""
        held, self._held = list(self._held), deque()
        self._held_keys.clear()
        return held


class SeenKeys:
    """The unique values a run has taken, as a Bloom filter that grows with the run.

    :meth:`add` answers whether a value may have been taken before: never "no" for one
    that was (no false negatives), and "yes" for one that was not about once in a
    hundred; a run of a million values holds under 2 MB. A "yes" only makes settling
    compare times as well (see ``readback.judge``); a "no" is certain.
    """

    _PROBES = 5
    _BITS_PER_VALUE = 12  # with 5 probes: about 0.6% false "yes" per filter
    _FIRST_CAPACITY = 1 << 16
    _GROWTH = 4  # each new filter holds this many times the last one's values

    __slots__ = ("_capacity", "_count", "_filters")

    def __init__(self) -> None:
        self._filters: list[tuple[bytearray, int]] = []  # (bits, number of bits)
        self._capacity = 0  # values the newest filter holds at its error rate
        self._count = 0  # values added to the newest filter
        self._grow()

    def _grow(self) -> None:
        self._capacity = self._FIRST_CAPACITY * self._GROWTH ** len(self._filters)
        size = self._capacity * self._BITS_PER_VALUE
        self._filters.append((bytearray(size // 8), size))
        self._count = 0

    def add(self, key: Hashable) -> bool:
        """Add ``key``; return whether it may have been added before."""
        h = hash(key)
        h1, h2 = h & 0xFFFF_FFFF, ((h >> 32) & 0xFFFF_FFFF) | 1  # probes: h1 + i * h2
        # The _PROBES (5) probes written out, checked in every filter and set in the
        # newest: this runs once per input of a run.
        p0 = p1 = p2 = p3 = p4 = 0
        table, bits = self._filters[-1]
        for table, bits in self._filters:
            p0, p1, p2 = h1 % bits, (h1 + h2) % bits, (h1 + 2 * h2) % bits
            p3, p4 = (h1 + 3 * h2) % bits, (h1 + 4 * h2) % bits
            if (
                table[p0 >> 3] >> (p0 & 7) & 1
                and table[p1 >> 3] >> (p1 & 7) & 1
                and table[p2 >> 3] >> (p2 & 7) & 1
                and table[p3 >> 3] >> (p3 & 7) & 1
                and table[p4 >> 3] >> (p4 & 7) & 1
            ):
                return True  # every bit set in one filter: maybe seen
        if self._count >= self._capacity:
            self._grow()
            table, bits = self._filters[-1]
            p0, p1, p2 = h1 % bits, (h1 + h2) % bits, (h1 + 2 * h2) % bits
            p3, p4 = (h1 + 3 * h2) % bits, (h1 + 4 * h2) % bits
        self._count += 1
        table[p0 >> 3] |= 1 << (p0 & 7)
        table[p1 >> 3] |= 1 << (p1 & 7)
        table[p2 >> 3] |= 1 << (p2 & 7)
        table[p3 >> 3] |= 1 << (p3 & 7)
        table[p4 >> 3] |= 1 << (p4 & 7)
        return False
