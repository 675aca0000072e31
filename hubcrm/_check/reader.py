"""Reading what the check needs from the portal, once per object type, and keeping it
for a short while (:data:`~hubcrm._core.config.PORTAL_DEFINITIONS_TTL`).

A fixed number of requests per object type, whatever the number of inputs: the
properties (1), their validation rules (1), the schema of a custom type (1), the
pipelines of a type that has them (1), and the owners, live and archived (1 each per
500). A definition the token may not read (403) is left out, and the checks that need
it are reported as skipped; any other error is raised.

The reads themselves (:mod:`hubcrm._check.reading`, and the resources they go
through) load on the first snapshot, so that a client which never validates does not
import them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from .._core.config import PORTAL_DEFINITIONS_TTL, RequestOptions
from .._http.retry import Retrier

if TYPE_CHECKING:
    from .reading import DefinitionReads
    from .snapshot import PortalSnapshot

__all__ = ["CountingRetrier", "DefinitionsReader"]


class CountingRetrier(Retrier):
    """The client's retrier (same session, limiter and counters) counting the requests
    made through it (each with its retries counts once)."""

    def __init__(self, inner: Retrier) -> None:
        super().__init__(inner.session)
        self.sent = 0

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send as the client's retrier does, and count the request."""
        self.sent += 1
        return await super().request(method, path, **kwargs)


class DefinitionsReader:
    """Reads and caches, per object type, the :class:`PortalSnapshot` the check needs.

    One per client (``crm.objects`` holds it). Snapshots are reused for ``ttl`` seconds.
    """

    def __init__(
        self,
        retrier: Retrier,
        api_version: str,
        options: RequestOptions,
        *,
        ttl: float = PORTAL_DEFINITIONS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._counting = CountingRetrier(retrier)
        self._api_version = api_version
        self._options = options
        self._reads: DefinitionReads | None = None
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, PortalSnapshot]] = {}
        # Made by the first snapshot: a client that never validates does not load
        # anyio's synchronization primitives.
        self._lock: anyio.Lock | None = None

    @property
    def requests(self) -> int:
        """Requests spent reading definitions so far."""
        return self._counting.sent

    async def snapshot(self, object_type: str, *, refresh: bool = False) -> PortalSnapshot:
        """The type's definitions: the cached ones unless stale or ``refresh``."""
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            cached = self._cache.get(object_type)
            now = self._clock()
            if cached is not None and not refresh and now - cached[0] < self._ttl:
                return cached[1]
            if self._reads is None:
                from .reading import DefinitionReads

                self._reads = DefinitionReads(self._counting, self._api_version, self._options)
            snapshot = await self._reads.read(object_type)
            self._cache[object_type] = (self._clock(), snapshot)
            return snapshot
