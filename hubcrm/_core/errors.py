"""The exceptions hubcrm raises.

The hierarchy:

* HubCRMError
  + APIError: HubSpot answered with an error status.
    - BadRequestError (400)
    - AuthenticationError (401)
    - ForbiddenError (403)
    - NotFoundError (404)
    - ConflictError (409)
    - RateLimitError (429)
      · DailyLimitError (429 DAILY)
      · RateLimitPauseError (a 429 pause outlasts the request's deadline)
    - ServerError (5xx)
  + APIConnectionError: no HTTP response.
    - APITimeoutError
  + BulkRunError: a bulk run ended early because your code raised; ``.result``
    holds every outcome (defined beside the bulk results, which it carries)
  + OutcomeUnknownError
  + ResponseParseError
  + RedisLimiterError
  + SearchCapError

`ErrorDetail` is not an exception: it is one entry of an `APIError`'s ``errors``
(defined, with what the classes read from an error answer, in `hubcrm._core.error_detail`).
`hubcrm._core.error_bodies` builds these exceptions from HubSpot's error responses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .error_detail import ErrorDetail
    from .models import ObjectInput

__all__ = [
    "CLIENT_CLOSED",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DailyLimitError",
    "ErrorDetail",
    "ForbiddenError",
    "HubCRMError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitError",
    "RateLimitPauseError",
    "RedisLimiterError",
    "ResponseParseError",
    "SearchCapError",
    "ServerError",
]


def __getattr__(name: str) -> object:
    # ErrorDetail lives with the readers of an error answer, loaded by the first error
    # (or the first use of this name): a client that only succeeds never needs them.
    if name == "ErrorDetail":
        from .error_detail import ErrorDetail

        return ErrorDetail
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The message of the ``HubCRMError`` every call of a closed client raises.
CLIENT_CLOSED = "this hubcrm client is closed; create a new one"


def _rebuild(cls: type[HubCRMError], args: tuple[Any, ...], state: dict[str, Any]) -> HubCRMError:
    """Recreate a pickled hubcrm exception without calling its ``__init__``."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    cause = state.get("cause")
    if isinstance(cause, BaseException):
        error.__cause__ = cause
    return error


class HubCRMError(Exception):
    """The base class of every exception hubcrm raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The subclasses take keyword-only arguments, which the default
        # ``cls(*self.args)`` cannot replay; restore the attributes instead.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class APIError(HubCRMError):
    """HubSpot answered with an error status.

    ``str(error)`` is safe to log: HubSpot's message, except that a validation
    failure's message, which quotes the values it refused ("Property values were not
    valid: ..."), is shown as the property names and error codes only. ``message``
    and ``body`` keep HubSpot's whole answer, values included.

    Args:
        message: HubSpot's message (or a description of an unreadable body).
        status: The HTTP status.
        category: HubSpot's ``category`` (``errorType`` on 429s).
        sub_category: HubSpot's ``subCategory``.
        correlation_id: The id HubSpot support asks for.
        errors: The body's ``errors`` list.
        context: The body's ``context``, name to list of values.
        headers: The response headers (names are stored lower-cased).
        method: The request's HTTP method.
        path: The request's path.
        body: The decoded JSON body, when it was a JSON object.

    Attributes:
        status: The HTTP status.
        category: HubSpot's error category, e.g. ``"VALIDATION_ERROR"`` (``errorType``
            on 429s).
        sub_category: HubSpot's finer category.
        message: HubSpot's message, or a description of an unreadable body. It may
            quote property values (personal data): log ``str(error)`` instead.
        correlation_id: HubSpot's correlation id, to quote to HubSpot support.
        errors: The body's ``errors`` list.
        context: The body's ``context``: name to list of values.
        headers: The response headers, names lower-cased.
        method: The request's HTTP method, when known.
        path: The request's path, when known.
        body: The decoded JSON body when it was an object, else None.
        retry_after: Seconds to wait from the ``Retry-After`` header, when present and
            valid.
    """

    status: int
    category: str | None
    sub_category: str | None
    message: str
    correlation_id: str | None
    errors: tuple[ErrorDetail, ...]
    context: dict[str, list[str]]
    headers: dict[str, str]
    method: str | None
    path: str | None
    body: dict[str, Any] | None
    retry_after: float | None

    def __init__(
        self,
        message: str,
        *,
        status: int,
        category: str | None = None,
        sub_category: str | None = None,
        correlation_id: str | None = None,
        errors: Iterable[ErrorDetail] = (),
        context: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
        path: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.category = category
        self.sub_category = sub_category
        self.message = message
        self.errors = tuple(errors)
        self.context = {key: list(values) for key, values in (context or {}).items()}
        self.headers = {key.lower(): value for key, value in (headers or {}).items()}
        self.correlation_id = correlation_id or self.headers.get("x-hubspot-correlation-id")
        self.method = method
        self.path = path
        self.body = dict(body) if body is not None else None
        # The readers of an error answer load with the first error (a client that only
        # succeeds never needs them).
        from .error_detail import parse_retry_after

        self.retry_after = parse_retry_after(self.headers.get("retry-after"))
        self._derive()
        super().__init__(self._describe())

    def _derive(self) -> None:
        """Set the attributes a subclass reads from the body; none here."""

    def _describe(self) -> str:
        head = str(self.status)
        if self.category:
            head = f"{head} {self.category}"
        if self.method and self.path:
            head = f"{head} on {self.method} {self.path}"
        elif self.path:
            head = f"{head} on {self.path}"
        text = f"{head}: {_loggable(self.message)}"
        if self.correlation_id:
            text = f"{text} (correlation id {self.correlation_id})"
        return text


_INVALID_VALUES = "Property values were not valid: "


def _loggable(message: str) -> str:
    """HubSpot's ``message``, with the values a validation failure quotes left out.

    HubSpot embeds a JSON list of the failed properties, each with its own message,
    which quotes the value; only each property's name and error code are kept.
    """
    if not message.startswith(_INVALID_VALUES):
        return message
    try:
        items = json.loads(message[len(_INVALID_VALUES) :])
        failed = [
            f"{item['name']} ({item['error']})" if item.get("error") else str(item["name"])
            for item in items
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        return "Property values were not valid (the values are in the error's message)"
    return _INVALID_VALUES + ", ".join(failed)


class BadRequestError(APIError):
    """HubSpot rejected the request as invalid (400), e.g. an unknown property."""


class AuthenticationError(APIError):
    """HubSpot did not accept the access token (401).

    Attributes:
        expired: True when the token has expired (``EXPIRED_AUTHENTICATION``) and a
            refresh may help.
    """

    expired: bool

    def _derive(self) -> None:
        self.expired = self.category == "EXPIRED_AUTHENTICATION"


class ForbiddenError(APIError):
    """The token lacks a scope the call needs (403).

    Attributes:
        required_scopes: The scopes HubSpot says the call needs, when it says.
    """

    required_scopes: tuple[str, ...]

    def _derive(self) -> None:
        from .error_detail import required_scopes

        self.required_scopes = required_scopes(self.context, self.errors)


class NotFoundError(APIError):
    """The record or path does not exist (404)."""


class ConflictError(APIError):
    """The record already exists (409), e.g. a contact with the same email.

    Attributes:
        existing_id: The id of the existing record, when HubSpot names it.
    """

    existing_id: str | None

    def _derive(self) -> None:
        from .error_detail import find_existing_id

        self.existing_id = find_existing_id(self.message, self.context, self.errors)


class RateLimitError(APIError):
    """HubSpot's rate limit was reached (429).

    Attributes:
        policy_name: The limit that was hit: ``"TEN_SECONDLY_ROLLING"``, ``"DAILY"``, or
            None.
    """

    policy_name: str | None

    def _derive(self) -> None:
        policy = self.body.get("policyName") if self.body is not None else None
        self.policy_name = policy if isinstance(policy, str) and policy else None


class DailyLimitError(RateLimitError):
    """The account's daily request limit was reached (429 ``DAILY``); retrying today is futile."""


class RateLimitPauseError(RateLimitError):
    """A pause after a 429 would hold this request past its ``rate_limit_deadline``.

    Raised by the client's own rate limiter, not by HubSpot: the request was not sent,
    so it is safe to send again later. ``retry_after`` says how long the pause lasts.
    """


class ServerError(APIError):
    """HubSpot failed on its side (5xx); a write may or may not have happened."""


class APIConnectionError(HubCRMError):
    """The request did not get an HTTP response: connection refused, reset, DNS, TLS...

    Args:
        message: What went wrong.
        method: The request's HTTP method.
        path: The request's path.
        request_sent: Whether the request may have reached HubSpot (False only when
            it certainly did not, e.g. the connection was refused).

    Attributes:
        message: What went wrong.
        method: The request's HTTP method, when known.
        path: The request's path, when known.
        request_sent: Whether HubSpot may have received the request (and so may have
            acted on it).
    """

    message: str
    method: str | None
    path: str | None
    request_sent: bool

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        request_sent: bool = True,
    ) -> None:
        self.message = message
        self.method = method
        self.path = path
        self.request_sent = request_sent
        if method and path:
            super().__init__(f"{method} {path}: {message}")
        else:
            super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request timed out before a full response arrived."""


class OutcomeUnknownError(HubCRMError):
    """A write failed in a way that leaves unknown whether HubSpot applied it.

    Args:
        object_type: The object type written to, e.g. ``"contacts"``.
        input: The input that was sent, when there was one.
        cause: The failure (timeout, dropped connection, 5xx); also ``__cause__``.
        operation: ``"create"`` or ``"update"``: what was written.
        retried: For a create, whether hubcrm tried to settle the outcome (by reading
            the record back or sending it again) before giving up. An update's retries
            are ordinary retries: it is ``False`` there.
        property_name: For the creation of a property (``properties.create``) rather
            than a record: the property's name.
        definition: For the creation of another definition of the portal (a custom
            object schema, an association label): what it is, in words, such as
            ``"the custom object schema 'cars'"``.
        group_name: For the creation of a property group
            (``properties.create_group``): the group's name.

    Attributes:
        object_type: The object type written to.
        input: The input that was sent, to retry or check by hand.
        cause: The failure that left the outcome unknown.
        operation: ``"create"`` or ``"update"``.
        retried: For a create, whether hubcrm tried to settle it before giving up.
        property_name: The property whose creation is in doubt, or None for a record.
        definition: The schema or label whose creation is in doubt, or None.
        group_name: The property group whose creation is in doubt, or None.
    """

    object_type: str
    input: ObjectInput | None
    cause: BaseException | None
    operation: Literal["create", "update"]
    retried: bool
    property_name: str | None
    definition: str | None
    group_name: str | None

    def __init__(
        self,
        object_type: str,
        input: ObjectInput | None = None,
        *,
        cause: BaseException | None = None,
        operation: Literal["create", "update"] = "create",
        retried: bool = False,
        property_name: str | None = None,
        definition: str | None = None,
        group_name: str | None = None,
    ) -> None:
        self.object_type = object_type
        self.input = input
        self.cause = cause
        self.__cause__ = cause
        self.operation = operation
        self.retried = retried
        self.property_name = property_name
        self.definition = definition
        self.group_name = group_name
        reason = f": {cause}" if cause is not None else ""
        if group_name is not None:
            super().__init__(
                f"creating the property group {group_name!r} of {object_type!r} failed in "
                f"a way that leaves its outcome unknown{reason}. Read the type's groups "
                "before creating it again."
            )
            return
        if definition is not None:
            settled = (
                "hubcrm could not read it back to tell"
                if retried
                else "hubcrm does not send it again, and did not read it back"
            )
            super().__init__(
                f"creating {definition} failed in a way that leaves its outcome "
                f"unknown{reason}. {settled}: look it up before creating it again."
            )
            return
        if property_name is not None:
            settled = (
                "hubcrm could not read it back to tell"
                if retried
                else "hubcrm did not read it back (retry_writes='never')"
            )
            super().__init__(
                f"creating the property {property_name!r} of {object_type!r} failed in a "
                f"way that leaves its outcome unknown{reason}. {settled}: read the "
                "property before creating it again."
            )
            return
        what = "creating" if operation == "create" else "updating"
        head = (
            f"{what} a {object_type!r} record failed in a way that leaves its outcome "
            f"unknown{reason}. "
        )
        if operation == "update":
            advice = (
                "hubcrm retries updates after such failures, and its retries ran out (or "
                "the run was stopped). An update is safe to send again."
            )
        elif retried:
            advice = (
                "hubcrm tried to settle it (reading the record back or sending it again) "
                "and could not before its retries ran out. The record may or may not exist "
                "in HubSpot: look it up before creating it again."
            )
        else:
            advice = (
                "The record may or may not exist in HubSpot, and hubcrm did not retry "
                "because a retried create can make a duplicate. To make such writes safe to "
                "retry, give the records a property with unique values and pass it as "
                'id_property, or pass retry_writes="always" to accept at-least-once '
                "creation (possible duplicates)."
            )
        super().__init__(head + advice)


class ResponseParseError(HubCRMError):
    """A successful HubSpot response could not be read as the expected model.

    Args:
        message: What could not be read, naming the field.
        field: The path of the offending field on the wire, e.g. ``"createdAt"``.

    Attributes:
        field: The path of the offending field on the wire, when known.
    """

    field: str | None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class RedisLimiterError(HubCRMError):
    """A :class:`~hubcrm.RedisRateLimiter` could not check the shared budget in Redis.

    The request was not sent. Raised only with ``on_redis_error="raise"`` (the
    default); with ``"local"`` the limiter falls back to a local share instead.

    Args:
        message: What went wrong; the underlying error is the ``__cause__``.
        key: The name of the shared budget.

    Attributes:
        key: The name of the shared budget (the limiter's ``key``).
    """

    key: str

    def __init__(self, message: str, *, key: str) -> None:
        self.key = key
        super().__init__(message)


class SearchCapError(HubCRMError):
    """A search would page past the most results HubSpot returns for one query.

    HubSpot's search stops at 10,000 results per query and answers 400 to a request
    for the next page; hubcrm raises this before sending that request. To read past
    the cap, split the query: sort by a unique, increasing property such as
    ``hs_object_id`` and start each new query after the last value read (a ``GT``
    filter), so that no query passes the cap.

    Args:
        message: What happened, and how to read further.
        cap: The most results one query can page through.
        total: How many records HubSpot said match the query, when it said.

    Attributes:
        cap: The most results one query can page through (10,000).
        total: How many records match the query, when HubSpot said.
    """

    cap: int
    total: int | None

    def __init__(self, message: str, *, cap: int, total: int | None = None) -> None:
        self.cap = cap
        self.total = total
        super().__init__(message)
