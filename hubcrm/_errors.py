"""The exceptions hubcrm raises, and how they are built from HubSpot's error responses."""

from __future__ import annotations

import email.utils
import html
import http
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from ._models import ObjectInput

__all__ = [
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
    "RedisLimiterError",
    "ResponseParseError",
    "ServerError",
    "error_from_response",
]

_SNIPPET_CHARS = 200
_SNIPPET_SCAN_BYTES = 8192
_EXISTING_ID_IN_MESSAGE = re.compile(r"existing\s+(?:object\s+)?id\s*[:=#]?\s*(\d+)", re.I)
_EXISTING_ID_KEYS = ("existingId", "existingObjectId", "id", "objectId", "vid")
_SCOPE_KEYS = ("requiredGranularScopes", "requiredScopes")
_DROPPED_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


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


@attrs.frozen
class ErrorDetail:
    """One entry of the ``errors`` list in a HubSpot error body.

    Attributes:
        message: What went wrong.
        code: A machine-readable code, e.g. ``"PROPERTY_DOESNT_EXIST"``.
        in_: Where the problem is, e.g. ``"email"`` (``in`` on the wire).
        sub_category: A finer category.
        context: Extra details, name to list of values.
    """

    message: str
    code: str | None = None
    in_: str | None = None
    sub_category: str | None = None
    context: dict[str, list[str]] = attrs.field(factory=dict)


class APIError(HubCRMError):
    """HubSpot answered with an error status.

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
        message: HubSpot's message, or a description of an unreadable body.
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
        self.retry_after = _parse_retry_after(self.headers.get("retry-after"))
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
        text = f"{head}: {self.message}"
        if self.correlation_id:
            text = f"{text} (correlation id {self.correlation_id})"
        return text


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
        scopes: list[str] = []
        contexts = [detail.context for detail in self.errors]
        contexts.append(self.context)
        for context in contexts:
            for key in _SCOPE_KEYS:
                for scope in context.get(key, ()):
                    if scope not in scopes:
                        scopes.append(scope)
        self.required_scopes = tuple(scopes)


class NotFoundError(APIError):
    """The record or path does not exist (404)."""


class ConflictError(APIError):
    """The record already exists (409), e.g. a contact with the same email.

    Attributes:
        existing_id: The id of the existing record, when HubSpot names it.
    """

    existing_id: str | None

    def _derive(self) -> None:
        self.existing_id = _find_existing_id(self.message, self.context, self.errors)


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
    """A write failed in a way that leaves unknown whether HubSpot made the record.

    Args:
        object_type: The object type written to, e.g. ``"contacts"``.
        input: The input that was sent, when there was one.
        cause: The failure (timeout, dropped connection, 5xx); also ``__cause__``.

    Attributes:
        object_type: The object type written to.
        input: The input that was sent, to retry or check by hand.
        cause: The failure that left the outcome unknown.
    """

    object_type: str
    input: ObjectInput | None
    cause: BaseException | None

    def __init__(
        self,
        object_type: str,
        input: ObjectInput | None = None,
        *,
        cause: BaseException | None = None,
    ) -> None:
        self.object_type = object_type
        self.input = input
        self.cause = cause
        self.__cause__ = cause
        reason = f": {cause}" if cause is not None else ""
        super().__init__(
            f"creating a {object_type!r} record failed in a way that leaves its outcome "
            f"unknown{reason}. The record may or may not exist in HubSpot, and hubcrm did "
            "not retry because a retried create can make a duplicate. To make such writes "
            "safe to retry, give the records a property with unique values and pass it as "
            'id_property, or pass retry_writes="always" to accept at-least-once creation '
            "(possible duplicates)."
        )


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


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
        return max(seconds, 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _text(value: object) -> str | None:
    """A non-empty str field, else None; anything else is not trusted."""
    if isinstance(value, str) and value:
        return value
    return None


def _context(value: object) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        return {}
    context: dict[str, list[str]] = {}
    for key, values in value.items():
        if isinstance(values, (list, tuple)):
            context[str(key)] = [v if isinstance(v, str) else json.dumps(v) for v in values]
        elif values is not None:
            context[str(key)] = [values if isinstance(values, str) else json.dumps(values)]
    return context


def _error_details(value: object) -> tuple[ErrorDetail, ...]:
    if not isinstance(value, list):
        return ()
    details = []
    for item in value:
        if isinstance(item, Mapping):
            details.append(
                ErrorDetail(
                    message=_text(item.get("message")) or "",
                    code=_text(item.get("code")),
                    in_=_text(item.get("in")),
                    sub_category=_text(item.get("subCategory")),
                    context=_context(item.get("context")),
                )
            )
        elif isinstance(item, str):
            details.append(ErrorDetail(message=item))
    return tuple(details)


def _find_existing_id(
    message: str, context: Mapping[str, Sequence[str]], errors: Sequence[ErrorDetail]
) -> str | None:
    # The classic shape says "Contact already exists. Existing ID: 123" in the message;
    # newer ones may name it in context or in errors[]. Look everywhere, message first.
    messages = [message, *(detail.message for detail in errors)]
    contexts = [context, *(detail.context for detail in errors)]
    for text in messages:
        match = _EXISTING_ID_IN_MESSAGE.search(text)
        if match:
            return match.group(1)
    for ctx in contexts:
        for key in _EXISTING_ID_KEYS:
            for candidate in ctx.get(key, ()):
                candidate = candidate.strip()
                if candidate:
                    return candidate
    return None


def _snippet(body: bytes) -> str:
    # Only the head matters for a snippet; do not run regexes over megabytes.
    text = body[:_SNIPPET_SCAN_BYTES].decode("utf-8", errors="replace")
    text = _DROPPED_BLOCKS.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _SPACES.sub(" ", html.unescape(text)).strip()
    if len(text) > _SNIPPET_CHARS:
        text = text[: _SNIPPET_CHARS - 1].rstrip() + "…"
    return text


def _unreadable_message(body: bytes, what: str) -> str:
    if not body.strip():
        return "HubSpot returned an empty error body"
    snippet = _snippet(body)
    if not snippet:
        return f"HubSpot returned {what} with no readable text"
    return f"HubSpot returned {what}: {snippet!r}"


def _body_message(value: object, status: int) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or isinstance(value, str):
        return _status_phrase(status)
    return json.dumps(value)


def _status_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    method: str | None = None,
    path: str | None = None,
) -> APIError:
    """Build the exception for an HTTP error response from HubSpot.

    The body is read defensively: every field may be missing or of the wrong type,
    and a body that is not a JSON object (an HTML error page, garbage, nothing)
    still gives an error whose message quotes a short snippet of it.

    Args:
        status: The HTTP status (normally 400 or more).
        body: The raw response body.
        headers: The response headers.
        method: The request's HTTP method, for the message.
        path: The request's path, for the message.

    Returns:
        The `APIError` subclass for ``status`` (`DailyLimitError` for a daily 429);
        a plain `APIError` for other statuses.
    """
    fields: dict[str, Any] = {}
    is_object = False
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # includes invalid UTF-8 (UnicodeDecodeError)
        message = _unreadable_message(body, "a non-JSON error body")
    else:
        if isinstance(data, dict):
            fields, is_object = data, True
            message = _body_message(fields.get("message"), status)
        else:
            message = _unreadable_message(body, "an error body that is not a JSON object")

    category = _text(fields.get("category")) or _text(fields.get("errorType"))
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerError if 500 <= status <= 599 else APIError
    if cls is RateLimitError and fields.get("policyName") == "DAILY":
        cls = DailyLimitError
    return cls(
        message,
        status=status,
        category=category,
        sub_category=_text(fields.get("subCategory")),
        correlation_id=_text(fields.get("correlationId")),
        errors=_error_details(fields.get("errors")),
        context=_context(fields.get("context")),
        headers=headers,
        method=method,
        path=path,
        body=fields if is_object else None,
    )


# --- errors of one input of a batch ----------------------------------------------------

# A batch answer's ``errors[]`` entries carry ``status: "error"``, not an HTTP status:
# the category says which status a single request would have had.
_CATEGORY_STATUS = {
    "VALIDATION_ERROR": 400,
    "INVALID_PARAMS": 400,
    "CONFLICT": 409,
    "OBJECT_ALREADY_EXISTS": 409,
    "OBJECT_NOT_FOUND": 404,
    "INVALID_AUTHENTICATION": 401,
    "EXPIRED_AUTHENTICATION": 401,
    "MISSING_SCOPES": 403,
    "RATE_LIMIT": 429,
}


def _entry_status(entry: Mapping[str, Any], category: str | None, message: str) -> int:
    status = entry.get("status")
    if isinstance(status, str) and status.isascii() and status.isdigit():
        status = int(status)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599:
        return status
    if category is not None and category in _CATEGORY_STATUS:
        return _CATEGORY_STATUS[category]
    if "already exists" in message.lower():
        return 409
    return 400


def error_from_batch_entry(
    entry: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    method: str | None = None,
    path: str | None = None,
) -> APIError:
    """Build the exception for one entry of a batch answer's ``errors`` list.

    The entry (HubSpot's ``StandardError``) has no HTTP status of its own; it is
    inferred from its ``category`` (``CONFLICT`` and ``OBJECT_ALREADY_EXISTS`` give a
    `ConflictError` with ``existing_id``, ``VALIDATION_ERROR`` a `BadRequestError`, ...).
    The correlation id is the batch response's.

    Args:
        entry: The decoded entry.
        headers: The batch response's headers.
        method: The request's HTTP method, for the message.
        path: The request's path, for the message.

    Returns:
        The `APIError` subclass for the inferred status.
    """
    category = _text(entry.get("category")) or _text(entry.get("errorType"))
    message = _body_message(entry.get("message"), 400)
    status = _entry_status(entry, category, message)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerError if 500 <= status <= 599 else APIError
    return cls(
        message,
        status=status,
        category=category,
        sub_category=_text(entry.get("subCategory")),
        correlation_id=_text(entry.get("correlationId")),
        errors=_error_details(entry.get("errors")),
        context=_context(entry.get("context")),
        headers=headers,
        method=method,
        path=path,
        body=entry,
    )


__all__ += ["error_from_batch_entry"]
