"""Configuration: the settings a client holds and each request reads.

:class:`Timeouts` and :class:`RetryPolicy` are public: ``AsyncHubCRM(timeouts=...,
retry=...)`` takes them next to the flat keyword arguments (``timeout=``,
``max_retries=``, ...), which override single fields. :class:`RequestOptions` bundles
both, and the extra headers, for one request; ``with_options`` makes a client with
another one. :func:`check_headers` is the one judge of a header a user adds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import attrs

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_TIMEOUT",
    "MAX_OWNER_PAGE_SIZE",
    "OAUTH_TOKEN_PATH",
    "PORTAL_DEFINITIONS_TTL",
    "RESERVED_HEADERS",
    "TOKEN",
    "RequestOptions",
    "RetryPolicy",
    "RetryWrites",
    "Timeouts",
    "check_headers",
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


#: Headers a user may not set, by lower-case name, and why: hubcrm (or the connection)
#: owns them.
RESERVED_HEADERS: Mapping[str, str] = {
    "authorization": "it carries the client's access token",
    "proxy-authorization": "it carries the proxy's credentials (put them in proxy=)",
    "user-agent": "it is hubcrm's; pass app_name= to add your application to it",
    "content-type": "it describes the JSON body hubcrm encodes",
    "content-length": "the connection sets it from the body",
    "transfer-encoding": "the connection sets it",
    "host": "it follows base_url",
    "connection": "the connection pool owns it",
}
#: An RFC 9110 token, the pattern ``re.fullmatch`` takes: a header name, or a product
#: name or version in a User-Agent. Compiled (and cached by ``re``) at its first use.
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# A field value: visible ASCII, spaces and tabs inside; never CR, LF, NUL or another
# control character (a line break would start another header: header injection).
_FIELD_VALUE = r"[\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?"


def check_headers(headers: object, *, argument: str) -> tuple[tuple[str, str], ...]:
    """Validate headers a user adds to requests; returns them as ``(name, value)`` pairs.

    Values never appear in the errors: a header may hold a secret.

    Args:
        headers: a mapping of header names to values (both ``str``).
        argument: the argument's name, for messages (``"extra_headers"``, ``"headers"``).

    Raises:
        TypeError: ``headers`` is not a mapping, or a name or value is not a ``str``.
        ValueError: a name is not a valid header name, is one hubcrm owns
            (:data:`RESERVED_HEADERS`) or is given twice (in any case), or a value is
            empty, has leading or trailing whitespace, or holds a line break, another
            control character or a non-ASCII character.
    """
    if not isinstance(headers, Mapping):
        raise TypeError(
            f"{argument} must be a mapping of header names to values, not {type(headers).__name__}"
        )
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str):
            raise TypeError(f"{argument}: header names must be str, not {type(name).__name__}")
        if not re.fullmatch(TOKEN, name):
            raise ValueError(
                f"{argument}: {name!r} is not a valid header name (letters, digits and "
                f"!#$%&'*+.^_`|~- only; no spaces, colons or line breaks)"
            )
        key = name.lower()
        reason = RESERVED_HEADERS.get(key)
        if reason is not None:
            raise ValueError(f"{argument} cannot set the {name!r} header: {reason}")
        if key in seen:
            raise ValueError(f"{argument} gives the {name!r} header twice (names ignore case)")
        seen.add(key)
        if not isinstance(value, str):
            raise TypeError(
                f"{argument}: the value of header {name!r} must be a str, "
                f"not {type(value).__name__}"
            )
        if not re.fullmatch(_FIELD_VALUE, value):
            raise ValueError(
                f"{argument}: the value of header {name!r} is empty, starts or ends with "
                f"whitespace, or holds a line break, a control or a non-ASCII character"
            )
        pairs.append((name, value))
    return tuple(pairs)


def _merge_headers(
    base: tuple[tuple[str, str], ...], added: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    replaced = {name.lower() for name, _ in added}
    return tuple(pair for pair in base if pair[0].lower() not in replaced) + added


@attrs.frozen
class RequestOptions:
    """The settings one request runs with: its timeouts, its retry policy, and the
    headers added to it (validated ``(name, value)`` pairs: :func:`check_headers`)."""

    timeouts: Timeouts = attrs.field(factory=Timeouts)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    extra_headers: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        # Header values may be secrets: only their names are shown.
        names = [name for name, _ in self.extra_headers]
        return (
            f"RequestOptions(timeouts={self.timeouts!r}, retry={self.retry!r}, "
            f"extra_headers={names!r})"
        )


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
    extra_headers: Mapping[str, str] | None = None,
    headers_argument: str = "extra_headers",
) -> RequestOptions:
    """``base`` with the given config objects swapped in, then single fields overridden.

    ``extra_headers`` are added to ``base``'s: a name given again (in any case)
    replaces its value.

    Raises:
        TypeError: ``timeouts`` or ``retry`` is not a :class:`Timeouts` /
            :class:`RetryPolicy`, or the headers are of the wrong type.
        ValueError: a value is out of range, or a header is refused
            (:func:`check_headers`, whose messages name ``headers_argument``).
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
    new_headers = base.extra_headers
    if extra_headers is not None:
        added = check_headers(extra_headers, argument=headers_argument)
        if added:
            new_headers = _merge_headers(base.extra_headers, added)
    if (
        new_timeouts is base.timeouts
        and new_retry is base.retry
        and new_headers is base.extra_headers
    ):
        return base
    return RequestOptions(timeouts=new_timeouts, retry=new_retry, extra_headers=new_headers)


#: Seconds the portal definitions read by ``objects.validate`` (properties, validation
#: rules, pipelines, owners, a custom type's schema) are reused before they are read
#: again; ``validate(..., refresh=True)`` reads them again at once.
PORTAL_DEFINITIONS_TTL = 60.0

#: HubSpot's largest page of owners: the default page size of ``owners.list`` and
#: ``owners.iter_all`` (here rather than with the owners resource, so that the blocking
#: client's signatures can name it without loading that resource).
MAX_OWNER_PAGE_SIZE = 500
