"""Write safety: which failures may have changed HubSpot's data.

Every failed request falls in one of three classes (see docs/architecture.md):

1. **not processed**: HubSpot certainly did not act on it (no connection was made, or it
   answered 429, 423 or 477). Always safe to send again.
2. **ambiguous**: the request may have been processed (a timeout or a dropped connection
   after the body was sent, or a 5xx). Repeating a create could duplicate the record.
3. **rejected**: HubSpot refused it (any other 4xx). Sending it again cannot help.

:func:`classify` is a pure function of the exception, so it is tested on its own.
"""

from __future__ import annotations

import enum

from ._errors import APIConnectionError, APIError, HubCRMError

__all__ = ["FailureClass", "classify"]

_NOT_PROCESSED_STATUSES = frozenset({423, 429, 477})


class FailureClass(enum.Enum):
    """What a failure says about whether HubSpot acted on the request."""

    NOT_PROCESSED = "not processed"
    AMBIGUOUS = "ambiguous"
    REJECTED = "rejected"


def classify(error: HubCRMError) -> FailureClass:
    """Return the write-safety class of a failed request's error."""
    if isinstance(error, APIConnectionError):
        return FailureClass.AMBIGUOUS if error.request_sent else FailureClass.NOT_PROCESSED
    if isinstance(error, APIError):
        if error.status in _NOT_PROCESSED_STATUSES:
            return FailureClass.NOT_PROCESSED
        if error.status >= 500:
            return FailureClass.AMBIGUOUS
        return FailureClass.REJECTED
    return FailureClass.REJECTED
