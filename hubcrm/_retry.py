"""Write safety and the retry decision.

Every failed request falls in one of three classes (see docs/architecture.md):

1. **not processed**: HubSpot certainly did not act on it (no connection was made, or it
   answered 429, 423 or 477). Always safe to send again.
2. **ambiguous**: the request may have been processed (a timeout or a dropped connection
   after the body was sent, or a 5xx). Repeating a create could duplicate the record.
3. **rejected**: HubSpot refused it (any other 4xx). Sending it again cannot help.

:func:`classify` and :func:`decide` are pure functions of their arguments, so the whole
policy is unit-tested without a network.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from typing import Any, Literal

import attrs

from ._errors import (
    APIConnectionError,
    APIError,
    DailyLimitError,
    HubCRMError,
    RateLimitError,
    ResponseParseError,
)

__all__ = [
    "Decision",
    "FailureClass",
    "RequestKind",
    "RetryPolicy",
    "RetryWrites",
    "backoff",
    "classify",
    "decide",
]

_NOT_PROCESSED_STATUSES = frozenset({423, 429, 477})

RetryWrites = Literal["safe", "always", "never"]
"""How creates are retried after an ambiguous failure.

``"safe"`` (default): only when a retry cannot duplicate the record (a unique
``id_property`` is looked up first, or a contact's email makes HubSpot answer 409).
``"always"``: at-least-once; a retry may create a duplicate. ``"never"``: never.
"""


class FailureClass(enum.Enum):
    """What a failure says about whether HubSpot acted on the request."""

    NOT_PROCESSED = "not processed"
    AMBIGUOUS = "ambiguous"
    REJECTED = "rejected"


class RequestKind(enum.Enum):
    """What repeating a request can do, which decides whether it may be retried."""

    READ = "read"
    """No side effect: always safe to repeat."""
    UPSERT = "upsert"
    """An idempotent write: repeating it updates the record it wrote."""
    CREATE = "create"
    """Not idempotent: repeating it after it was processed creates a second record."""


def classify(error: HubCRMError) -> FailureClass:
    """Return the write-safety class of a failed request's error."""
    if isinstance(error, ResponseParseError):
        # HubSpot answered 2xx but the body is unreadable: it did act, on what we can't
        # tell. Never "rejected": sending it again could write it twice.
        return FailureClass.AMBIGUOUS
    if isinstance(error, APIConnectionError):
        return FailureClass.AMBIGUOUS if error.request_sent else FailureClass.NOT_PROCESSED
    if isinstance(error, APIError):
        if error.status in _NOT_PROCESSED_STATUSES:
            return FailureClass.NOT_PROCESSED
        if error.status >= 500:
            return FailureClass.AMBIGUOUS
        return FailureClass.REJECTED
    return FailureClass.REJECTED


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{attribute.name} must be a number >= 0, not {value!r}")


def _check_retry_writes(_: object, __: object, value: str) -> None:
    if value not in ("safe", "always", "never"):
        raise ValueError(f"retry_writes must be 'safe', 'always' or 'never', not {value!r}")


@attrs.frozen
class RetryPolicy:
    """How hard a request tries before it gives up.

    Attributes:
        max_retries: retries after transient failures (connection errors, 5xx, 423,
            477). Rate-limit waits do not count here.
        backoff_base: the first backoff wait, in seconds; it doubles with each retry.
        backoff_max: the longest backoff wait.
        rate_limit_deadline: the most seconds one request may spend held by 429
            pauses before its ``RateLimitError`` is raised.
        retry_writes: see :data:`RetryWrites`.
    """

    max_retries: int = attrs.field(default=3, validator=_non_negative)
    backoff_base: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative)
    rate_limit_deadline: float = attrs.field(default=300.0, validator=_non_negative)
    retry_writes: RetryWrites = attrs.field(default="safe", validator=_check_retry_writes)


@attrs.frozen
class Decision:
    """What to do after a failed attempt."""

    retry: bool
    reason: str
    wait: float | None = None
    """Seconds to wait first; for a rate limit, ``None`` means "until the window drains"."""
    rate_limited: bool = False
    """A 429 for the burst window: every sender of the client pauses, not only this one."""


def backoff(policy: RetryPolicy, retry: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter for the ``retry``-th retry (1-based)."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0 ** max(retry - 1, 0))
    return ceiling * (0.5 + rand() / 2)


def decide(
    policy: RetryPolicy,
    kind: RequestKind,
    error: HubCRMError,
    retries_so_far: int,
    rand: Callable[[], float] = random.random,
) -> Decision:
    """Decide whether a failed attempt is retried, and after how long.

    Args:
        policy: the request's retry policy.
        kind: what repeating the request can do.
        error: how the attempt failed.
        retries_so_far: transient retries already made for this request (rate-limit
            waits are not counted; the session bounds them by ``rate_limit_deadline``).
        rand: a source of jitter in ``[0, 1)``.
    """
    if isinstance(error, DailyLimitError):
        return Decision(False, "daily limit reached: retrying today cannot succeed")
    if isinstance(error, RateLimitError):
        return Decision(True, "rate limited (429)", error.retry_after, rate_limited=True)
    failure = classify(error)
    if failure is FailureClass.REJECTED:
        return Decision(False, "rejected by HubSpot")
    if retries_so_far >= policy.max_retries:
        return Decision(False, f"gave up after {retries_so_far} retries")
    if (
        failure is FailureClass.AMBIGUOUS
        and kind is RequestKind.CREATE
        and policy.retry_writes != "always"
    ):
        return Decision(False, "a retried create could duplicate the record")
    wait = backoff(policy, retries_so_far + 1, rand)
    if isinstance(error, APIError):
        if error.retry_after is not None:
            wait = max(wait, error.retry_after)
        if error.status == 423:
            wait = max(wait, 2.0)  # HubSpot asks for at least 2 s after a 423
    reason = f"{error.status} answer" if isinstance(error, APIError) else type(error).__name__
    return Decision(True, f"{failure.value}: {reason}", wait)
