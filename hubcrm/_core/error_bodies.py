"""Reading HubSpot's error responses into hubcrm's exceptions.

Every field of an error body may be missing or of the wrong type, and a body may not
be JSON at all (an HTML page from a proxy, garbage, nothing): the readers here never
fail on one, they fall back to what the status and the headers say.
"""

from __future__ import annotations

import http
import json
import re
from collections.abc import Mapping
from typing import Any

from .error_detail import ErrorDetail
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DailyLimitError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

__all__ = ["error_from_batch_entry", "error_from_response"]

_SNIPPET_CHARS = 200
_SNIPPET_SCAN_BYTES = 8192
_DROPPED_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")

_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def _text(value: object) -> str | None:
    """A non-empty str field, else None; anything else is not trusted."""
    if isinstance(value, str) and value:
        return value
    return None


def _context(value: object) -> dict[str, list[str]]:
    """A ``context`` field as name to list of strings; other values become JSON text."""
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
    """An ``errors`` field as `ErrorDetail`s, skipping entries that are neither object nor str."""
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


def _snippet(body: bytes) -> str:
    """The readable text at the head of a body, tags dropped, at most 200 characters."""
    # Only the head matters for a snippet; do not run regexes over megabytes.
    text = body[:_SNIPPET_SCAN_BYTES].decode("utf-8", errors="replace")
    text = _DROPPED_BLOCKS.sub(" ", text)
    text = _TAG.sub(" ", text)
    import html  # here, not at module level: only a non-JSON error body needs it (2 ms)

    text = _SPACES.sub(" ", html.unescape(text)).strip()
    if len(text) > _SNIPPET_CHARS:
        text = text[: _SNIPPET_CHARS - 1].rstrip() + "…"
    return text


def _unreadable_message(body: bytes, what: str) -> str:
    """The message for a body that is not a JSON object: ``what`` it is, and a snippet."""
    if not body.strip():
        return "HubSpot returned an empty error body"
    snippet = _snippet(body)
    if not snippet:
        return f"HubSpot returned {what} with no readable text"
    return f"HubSpot returned {what}: {snippet!r}"


def _body_message(value: object, status: int) -> str:
    """The message for a body's ``message`` field, the status's phrase when it has none."""
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
    """The HTTP status a batch entry stands for: its own when numeric, else inferred."""
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
