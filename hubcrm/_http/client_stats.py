"""The public snapshots of a client's counters, as ``crm.stats`` returns them: loaded
on the first read of ``crm.stats``, not with the client."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .ratelimit import (
    DAILY_HEADER,
    DAILY_REMAINING_HEADER,
    INTERVAL_HEADER,
    MAX_HEADER,
    REMAINING_HEADER,
)

__all__ = ["ClientStats", "RateLimitStatus"]


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


@attrs.frozen
class RateLimitStatus:
    """HubSpot's rate-limit headers from the most recent response that had them.

    Attributes:
        max_requests: ``X-HubSpot-RateLimit-Max``: requests allowed per interval.
        remaining: ``X-HubSpot-RateLimit-Remaining``: left in the current interval.
        interval_ms: ``X-HubSpot-RateLimit-Interval-Milliseconds``: the interval.
        daily: ``X-HubSpot-RateLimit-Daily``: requests allowed per day (absent on
            OAuth calls).
        daily_remaining: ``X-HubSpot-RateLimit-Daily-Remaining``: left today.
    """

    max_requests: int | None
    remaining: int | None
    interval_ms: int | None
    daily: int | None
    daily_remaining: int | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitStatus | None:
        """Read the ``X-HubSpot-RateLimit-*`` headers; ``None`` when there are none."""
        if MAX_HEADER not in headers and DAILY_HEADER not in headers:
            return None
        return cls(
            max_requests=_header_int(headers, MAX_HEADER),
            remaining=_header_int(headers, REMAINING_HEADER),
            interval_ms=_header_int(headers, INTERVAL_HEADER),
            daily=_header_int(headers, DAILY_HEADER),
            daily_remaining=_header_int(headers, DAILY_REMAINING_HEADER),
        )


@attrs.frozen
class ClientStats:
    """Counters of one client (shared by clients made with ``with_options``).

    Attributes:
        requests: HTTP requests sent, retries included.
        retries: retries made, by reason.
        rate_limited: 429 answers received.
        rate_limit_wait: seconds requests spent waiting for the client's rate limiter.
        pauses: pauses of every sender after a 429.
        pause_time: seconds of those pauses, in total.
        rate_limit: the latest rate-limit headers (including the daily remaining count).
        read_backs: reads made to settle ambiguous creates (a ``batch/read`` of a
            batch's inputs by unique key, or the look-up of one record); their retries
            are in ``requests``.
        settle_resends: batches and single creates sent again to settle ambiguous
            creates; their retries are in ``requests``.
    """

    requests: int
    retries: Mapping[str, int]
    rate_limited: int
    rate_limit_wait: float
    pauses: int
    pause_time: float
    rate_limit: RateLimitStatus | None
    read_backs: int = 0
    settle_resends: int = 0
