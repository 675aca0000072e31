"""Counters of one client; ``crm.stats`` reads a snapshot of them (a
:class:`~hubcrm._http.client_stats.ClientStats`, whose module loads on the first read)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._core.errors import APIError, HubCRMError
from .ratelimit import DAILY_HEADER, MAX_HEADER

if TYPE_CHECKING:
    from .client_stats import ClientStats

__all__ = ["Counters"]

logger = logging.getLogger("hubcrm")


class Counters:
    """The live counters behind :class:`ClientStats`: plain attributes, updated on the
    client's event loop only, so the hot path pays an addition and nothing more."""

    __slots__ = (
        "pause_time",
        "pauses",
        "rate_limit_headers",
        "rate_limit_wait",
        "rate_limited",
        "read_backs",
        "requests",
        "retries",
        "settle_resends",
    )

    def __init__(self) -> None:
        self.requests: int = 0
        self.retries: dict[str, int] = {}
        self.rate_limited: int = 0
        self.rate_limit_wait: float = 0.0
        self.pauses: int = 0
        self.pause_time: float = 0.0
        self.read_backs: int = 0
        self.settle_resends: int = 0
        # Kept as received; parsed only when stats are read.
        self.rate_limit_headers: Mapping[str, str] | None = None

    def saw_headers(self, headers: Mapping[str, str]) -> None:
        """Keep a response's headers if they carry HubSpot's rate-limit counts."""
        if MAX_HEADER in headers or DAILY_HEADER in headers:
            self.rate_limit_headers = headers

    def retry(self, reason: str, wait: float, method: str, path: str, error: HubCRMError) -> None:
        """Count a retry and log it (never with property values)."""
        self.retries[reason] = self.retries.get(reason, 0) + 1
        correlation_id = error.correlation_id if isinstance(error, APIError) else None
        logger.info(
            "retrying %s %s in %.2f s: %s (correlation id %s)",
            method,
            path,
            wait,
            reason,
            correlation_id or "-",
        )

    def snapshot(self) -> ClientStats:
        """A frozen copy of the counters."""
        from .client_stats import ClientStats, RateLimitStatus

        headers = self.rate_limit_headers
        return ClientStats(
            requests=self.requests,
            retries=dict(self.retries),
            rate_limited=self.rate_limited,
            rate_limit_wait=self.rate_limit_wait,
            pauses=self.pauses,
            pause_time=self.pause_time,
            rate_limit=None if headers is None else RateLimitStatus.from_headers(headers),
            read_backs=self.read_backs,
            settle_resends=self.settle_resends,
        )
