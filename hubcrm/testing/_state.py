"""The emulator's shared state: store, counters, limits, faults, clock, and their lock."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Literal

from ._clock import Clock
from ._counters import Counters
from ._crm import Crm
from ._faults import Faults
from ._rate_window import RateLimiter
from ._received import Received
from ._search_window import SearchLimiter
from ._store import Store

__all__ = [
    "COMPANY_NAME_OR_DOMAIN",
    "NOT_FOUND_BODIES",
    "NotFoundBody",
    "State",
]

NotFoundBody = Literal["json", "empty", "html"]
NOT_FOUND_BODIES: tuple[NotFoundBody, ...] = ("json", "empty", "html")
COMPANY_NAME_OR_DOMAIN = ("domain", "name")


class State:
    """Everything the endpoints share, and the lock that guards it.

    Handlers run on the server's event loop; configuration and inspection come from other
    threads. ``lock`` guards every piece of mutable state (the OAuth tables too), and is
    never held across an ``await``.
    """

    def __init__(
        self,
        *,
        rate_limit: tuple[int, float] | None,
        daily_limit: int | None,
        seed: int | None,
        max_body_bytes: int,
        portal_id: int,
        conflict_style: str,
        not_found_body: NotFoundBody = "json",
        require_company_domain_or_name: bool = False,
        search_rate_limit: tuple[int, float] | None = (5, 1.0),
    ) -> None:
        self.lock = threading.Lock()
        self.clock = Clock()
        self.max_body_bytes = max_body_bytes
        self.portal_id = portal_id
        self.seed = seed
        self.store = Store(portal_id)
        self.counters = Counters()
        self.received = Received()
        self.rng = random.Random(seed)
        self.crm = Crm(self.store, self.clock, self.rng, self.counters, conflict_style)
        self.limiter = RateLimiter(self.clock, rate_limit, daily_limit)
        self.search_limiter = SearchLimiter(self.clock, search_rate_limit)
        self.faults = Faults(self.lock, seed, self._canonical_type)
        # the body of a 404 answering a GET: HubSpot's JSON error, nothing, or an HTML page
        self.not_found_body: NotFoundBody = not_found_body
        self.require_company_domain_or_name = False
        self.set_company_requirement(require_company_domain_or_name)
        # set while serving: slow responses wait on it and give up when the emulator stops
        self.stopping: asyncio.Event | None = None

    def _canonical_type(self, key: str) -> str | None:
        tdef = self.store.resolve(key)
        return None if tdef is None else tdef.name

    def set_company_requirement(self, required: bool) -> None:
        """Make companies need ``domain`` or ``name`` at creation, or neither.

        The caller holds the lock (or is the constructor).
        """
        self.store.set_required_one_of("companies", COMPANY_NAME_OR_DOMAIN if required else ())
        self.require_company_domain_or_name = required

    def set_search_delay(self, seconds: float) -> None:
        """Set how long writes take to reach search; ``0`` also indexes every pending
        write now. The caller holds the lock."""
        self.crm.search_delay = float(seconds)
        if seconds == 0:
            self.store.index_all()

    def reset(self) -> None:
        """Objects, counters, received requests, faults, fault log and rate-limit windows
        back to empty."""
        with self.lock:
            self.store.clear()
            counters = Counters()
            self.counters = counters
            self.crm.counters = counters
            self.received.clear()
            self.limiter.reset()
            self.search_limiter.reset()
            self.rng.seed(self.seed)
        self.faults.reset()
