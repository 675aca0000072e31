"""Write safety: what a failed request says about whether HubSpot acted on it.

Every failure falls in one of three classes:

1. **not processed**: HubSpot certainly did not act on it (no connection was made, or it
   answered 429, 423 or 477). Always safe to send again.
2. **ambiguous**: the request may have been processed (a timeout or a dropped connection
   after the body was sent, or a 5xx). Repeating a create could duplicate the record.
3. **rejected**: HubSpot refused it (any other 4xx). Sending it again cannot help.

:func:`classify` is pure; the retry decisions (``_retry``) and the reading of batch
answers (``_bulk_answer``) both build on it.
"""

from __future__ import annotations

import enum

from .._core.errors import APIConnectionError, APIError, HubCRMError, ResponseParseError

__all__ = ["FailureClass", "RequestKind", "classify"]

_NOT_PROCESSED_STATUSES = frozenset({423, 429, 477})


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
