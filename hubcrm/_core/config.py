"""Configuration: the settings a client holds and each request reads.

:class:`Timeouts` and :class:`RetryPolicy` are public: ``AsyncHubCRM(timeouts=...,
retry=...)`` takes them next to the flat keyword arguments (``timeout=``,
``max_retries=``, ...), which override single fields. :class:`RequestOptions` bundles
both for one request; ``with_options`` makes a client with another one.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TIMEOUT",
    "OAUTH_TOKEN_PATH",
    "RequestOptions",
    "RetryPolicy",
    "RetryWrites",
    "Timeouts",
    "merge_options",
]

#: HubSpot's API root.
DEFAULT_BASE_URL = "https://api.hubapi.com"
#: The date-based version in CRM paths (``/crm/objects/2026-03/...``).
DEFAULT_API_VERSION = "2026-03"
#: Where OAuth refreshes go, under the base URL.
OAUTH_TOKEN_PATH = "/oauth/2026-03/token"
#: Seconds one request (or one OAuth refresh) may take in total.
DEFAULT_TIMEOUT = 30.0
#: Connections a client keeps open at most.
DEFAULT_MAX_CONNECTIONS = 100

RetryWrites = Literal["safe", "always", "never"]
"""How creates are retried after an ambiguous failure.

``"safe"`` (default): only when a retry cannot duplicate the record (a unique
``id_property`` is looked up first, or a contact's email makes HubSpot answer 409).
``"always"``: at-least-once; a retry may create a duplicate. ``"never"``: never.
"""


def _positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"timeout {attribute.name} must be a positive number, not {value!r}")


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{attribute.name} must be a number >= 0, not {value!r}")


def _check_retry_writes(_: object, __: object, value: object) -> None:
    if value not in ("safe", "always", "never"):
        raise ValueError(f"retry_writes must be 'safe', 'always' or 'never', not {value!r}")


@attrs.frozen
class Timeouts:
    """How long one HTTP exchange may take, in seconds.

    Attributes:
        total: the whole exchange, from the moment a connection slot is ours to the last
            byte of the response. Time spent queueing for a free connection is not
            counted, so a request that never left the client is never reported as a
            possibly-processed timeout.
        connect: opening a new TCP connection.
    """

    total: float = attrs.field(default=DEFAULT_TIMEOUT, validator=_positive)
    connect: float = attrs.field(default=10.0, validator=_positive)


@attrs.frozen
class RetryPolicy:
    """How hard a request tries before it gives up.

    Attributes:
        max_retries: retries after transient failures (connection errors, 5xx, 423,
            477). Rate-limit waits do not count here.
        backoff_base: the longest first backoff wait, in seconds (the wait is drawn
            between half of it and all of it); it doubles with each retry.
        backoff_max: the cap on that doubling: no backoff wait is longer.
        rate_limit_deadline: the most seconds one request may spend held by 429
            pauses before its ``RateLimitError`` is raised.
        retry_writes: ``"safe"``, ``"always"`` or ``"never"``: see ``RetryWrites``.
    """

    max_retries: int = attrs.field(default=3, validator=_non_negative)
    backoff_base: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative)
    rate_limit_deadline: float = attrs.field(default=300.0, validator=_non_negative)
    retry_writes: RetryWrites = attrs.field(default="safe", validator=_check_retry_writes)


@attrs.frozen
class RequestOptions:
    """The settings one request runs with: its timeouts and its retry policy."""

    timeouts: Timeouts = attrs.field(factory=Timeouts)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)


def _evolve(value: Any, changes: dict[str, Any]) -> Any:
    given = {name: v for name, v in changes.items() if v is not None}
    return attrs.evolve(value, **given) if given else value


def merge_options(
    base: RequestOptions,
    *,
    timeouts: Timeouts | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    connect_timeout: float | None = None,
    max_retries: int | None = None,
    retry_writes: RetryWrites | None = None,
    rate_limit_deadline: float | None = None,
) -> RequestOptions:
    """``base`` with the given config objects swapped in, then single fields overridden.

    Raises:
        TypeError: ``timeouts`` or ``retry`` is not a :class:`Timeouts` /
            :class:`RetryPolicy`.
        ValueError: a value is out of range.
    """
    if timeouts is not None and not isinstance(timeouts, Timeouts):
        raise TypeError(f"timeouts must be a hubcrm.Timeouts, not {type(timeouts).__name__}")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise TypeError(f"retry must be a hubcrm.RetryPolicy, not {type(retry).__name__}")
    new_timeouts = _evolve(
        timeouts or base.timeouts, {"total": timeout, "connect": connect_timeout}
    )
    new_retry = _evolve(
        retry or base.retry,
        {
            "max_retries": max_retries,
            "retry_writes": retry_writes,
            "rate_limit_deadline": rate_limit_deadline,
        },
    )
    if new_timeouts is base.timeouts and new_retry is base.retry:
        return base
    return RequestOptions(timeouts=new_timeouts, retry=new_retry)
