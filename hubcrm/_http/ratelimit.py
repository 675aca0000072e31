"""What a rate limit is, and everything the session asks of a limiter.

HubSpot counts the requests of an app in a rolling window (100, 110, 190 or 250 per
10 seconds, depending on the plan) and answers 429 past it. :class:`RateLimit` is such a
limit, with HubSpot's per plan; HubSpot's ``X-HubSpot-RateLimit-*`` headers, and the
reading of the limit a response announces, are here too.

The session talks to a limiter only through the :class:`Limiter` protocol, so that a
limiter shared between processes can replace the in-process ones (``_limiters.py``).
Every method the session calls is declared there; the optional ones have no-op bodies
that a subclass inherits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from .._core.errors import DailyLimitError, RateLimitPauseError

__all__ = [
    "DAILY_HEADER",
    "DAILY_REMAINING_HEADER",
    "DEFAULT_SEARCH_RATE_LIMIT",
    "INTERVAL_HEADER",
    "MAX_HEADER",
    "REMAINING_HEADER",
    "Limiter",
    "RateLimit",
    "held_back",
]

MAX_HEADER = "X-HubSpot-RateLimit-Max"
INTERVAL_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
REMAINING_HEADER = "X-HubSpot-RateLimit-Remaining"
DAILY_HEADER = "X-HubSpot-RateLimit-Daily"
DAILY_REMAINING_HEADER = "X-HubSpot-RateLimit-Daily-Remaining"

# Waits shorter than this are float dust (a timer fires a hair early, a sum of floats is
# off in its last bit): sleeping again for them would only spin the loop.
_NEGLIGIBLE = 1e-6

# Compiled (and cached by re) by the first rate limit written as text.
_PARSE_RE = r"\s*(\d+)\s*/\s*(\d+(?:\.\d*)?|\.\d+)\s*s?\s*"


def _check_max_requests(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_requests must be an int, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"max_requests must be at least 1, not {value}")
    return value


def _check_interval(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"interval must be a number of seconds, not {type(value).__name__}")
    interval = float(value)
    if not (0.0 < interval < math.inf):
        raise ValueError(f"interval must be a positive, finite number of seconds, not {value!r}")
    return interval


@attrs.frozen
class RateLimit:
    """At most ``max_requests`` request starts in any ``interval`` seconds.

    The class attributes are HubSpot's burst limits per plan (private apps unless
    noted): ``FREE`` and ``STARTER`` (100 per 10 s), ``PROFESSIONAL`` and
    ``ENTERPRISE`` (190), ``API_LIMIT_INCREASE`` (250), ``OAUTH_APP`` (110 per
    installing account) and ``DEFAULT`` (100 per 10 s, safe for every plan).

    Attributes:
        max_requests: how many requests may start in one window; at least 1.
        interval: the window's length in seconds; positive.

    Raises:
        TypeError: ``max_requests`` is not an int, or ``interval`` not a number.
        ValueError: either is zero or negative, or ``interval`` is not finite.
    """

    max_requests: int = attrs.field(converter=_check_max_requests)
    interval: float = attrs.field(converter=_check_interval)

    FREE: ClassVar[RateLimit]
    STARTER: ClassVar[RateLimit]
    PROFESSIONAL: ClassVar[RateLimit]
    ENTERPRISE: ClassVar[RateLimit]
    API_LIMIT_INCREASE: ClassVar[RateLimit]
    OAUTH_APP: ClassVar[RateLimit]
    DEFAULT: ClassVar[RateLimit]

    @property
    def per_second(self) -> float:
        """The sustained rate this limit permits, in requests per second."""
        return self.max_requests / self.interval

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Read a limit written as ``"190/10"`` or ``"190/10s"`` (requests / seconds).

        Raises:
            ValueError: ``text`` is not of that form, or a number in it is zero.
        """
        match = re.fullmatch(_PARSE_RE, text, re.IGNORECASE) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"a rate limit is written REQUESTS/SECONDS, such as '190/10' or '20/0.5s', "
                f"not {text!r}"
            )
        return cls(int(match[1]), float(match[2]))

    def __str__(self) -> str:
        return f"{self.max_requests}/{self.interval:g}s"


RateLimit.FREE = RateLimit(100, 10.0)
RateLimit.STARTER = RateLimit(100, 10.0)
RateLimit.PROFESSIONAL = RateLimit(190, 10.0)
RateLimit.ENTERPRISE = RateLimit(190, 10.0)
RateLimit.API_LIMIT_INCREASE = RateLimit(250, 10.0)
RateLimit.OAUTH_APP = RateLimit(110, 10.0)
RateLimit.DEFAULT = RateLimit(100, 10.0)

#: The default limit of the client's search limiter: HubSpot's 5 searches per second
#: (searches are counted apart from the other requests).
DEFAULT_SEARCH_RATE_LIMIT = RateLimit(5, 1.0)


@runtime_checkable
class Limiter(Protocol):
    """Everything the session asks of a rate limiter.

    The in-process :class:`RollingWindowLimiter` implements it, and so does
    :class:`~hubcrm.RedisRateLimiter`, which shares one budget between processes. A
    limiter of your own may subclass this protocol: it then inherits the no-op bodies of
    :meth:`daily_limit_reached` and :meth:`aclose` and the default of
    :attr:`rate_limit`, and only :meth:`acquire`, :meth:`observe` and :meth:`penalize`
    are left to write. The session passes every :meth:`acquire` a ``max_pause``: a
    limiter that pauses must not hold the call longer than that.
    """

    async def acquire(self, max_pause: float = math.inf) -> float:
        """Wait until one more request may start, count it, and return the seconds waited.

        Args:
            max_pause: the longest a :meth:`penalize` pause may hold this call, in
                seconds from the call. When a pause (on already, or begun while the call
                waits) would hold it longer, the call raises at once instead of waiting.
                The session passes what is left of the request's ``rate_limit_deadline``.

        Raises:
            RateLimitPauseError: a pause outlasts ``max_pause``; nothing was counted and the
                request must not be sent. Its ``retry_after`` is the pause left.
        """
        ...

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's ``X-HubSpot-RateLimit-*`` headers."""
        ...

    def penalize(self, wait: float | None = None) -> float:
        """Hold every sender after a 429 ``TEN_SECONDLY_ROLLING``; return the pause length."""
        ...

    @property
    def rate_limit(self) -> RateLimit | None:
        """The limit kept to now, or ``None`` when the limiter keeps no window.

        The bulk engine sizes its concurrency from it; a limiter with a window learns
        the real limit from HubSpot's first response, so the session sends one request
        alone until then.
        """
        return None

    def daily_limit_reached(self, error: DailyLimitError) -> None:
        """HubSpot answered 429 ``DAILY``: a shared limiter tells the other processes."""
        return None  # noqa: RET501 - a real body: subclasses inherit it

    async def aclose(self) -> None:
        """Release what the limiter owns (its connections), on the client's loop."""
        return None  # noqa: RET501 - a real body: subclasses inherit it


def _margin(interval: float) -> float:
    # A request starts here but HubSpot stamps it when it arrives. If an earlier request
    # was delayed on its way (a new connection, a busy loop) and a later one was not, the
    # server would see both inside one window: a 429. Waiting a little past the window
    # absorbs that jitter. It keeps 98% of the permitted rate on HubSpot's 10-second
    # windows, 97% at 50 per second and 96% at 20 per half second.
    return 0.02 * interval + 0.010


def _parse_announced(max_text: str | None, interval_text: str | None) -> RateLimit | None:
    if not max_text or not interval_text:
        return None
    max_text = max_text.strip()
    interval_text = interval_text.strip()
    # int() alone would accept "+5", "1_000" and non-ASCII digits.
    if not (max_text.isascii() and max_text.isdigit()):
        return None
    if not (interval_text.isascii() and interval_text.isdigit()):
        return None
    max_requests, interval_ms = int(max_text), int(interval_text)
    if max_requests <= 0 or interval_ms <= 0:
        return None
    return RateLimit(max_requests, interval_ms / 1000)


def _within_both(a: RateLimit, b: RateLimit) -> RateLimit:
    """The fastest single limit that keeps to both ``a`` and ``b``.

    With equal intervals that is simply the lower ``max_requests``. With different ones,
    keeping N starts per window W keeps at most ``N * ceil(W' / W)`` in any window W', so
    each candidate window (``a``'s or ``b``'s) gets the largest N that fits both.
    """
    if a == b:
        return a
    best: RateLimit | None = None
    for window in (a.interval, b.interval):
        n = min(limit.max_requests // math.ceil(limit.interval / window - 1e-9) for limit in (a, b))
        if n >= 1:
            candidate = RateLimit(n, window)
            if best is None or candidate.per_second > best.per_second:
                best = candidate
    assert best is not None  # the longer window always fits min(max_requests) >= 1
    return best


def held_back(left: float, allowed: float) -> RateLimitPauseError:
    """The error for a waiter that a pause of ``left`` more seconds would hold too long."""
    from .._core.errors import RateLimitPauseError

    return RateLimitPauseError(
        f"every request is paused for {left:.1f} s more after a 429, longer than this "
        f"request may still wait ({max(allowed, 0.0):.1f} s left of its "
        f"rate_limit_deadline); the request was not sent",
        status=429,
        category="RATE_LIMITS",
        headers={"Retry-After": repr(left)},
        body={"status": "error", "policyName": "TEN_SECONDLY_ROLLING"},
    )
