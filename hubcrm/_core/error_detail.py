"""What the parts of a HubSpot error answer say, for the exceptions in `hubcrm._core.errors`.

`ErrorDetail` is one entry of an error body's ``errors`` list; the readers find the wait
a ``Retry-After`` header asks for, the scopes a 403 needs and the id of the record a
409 names.
"""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

import attrs

__all__ = ["ErrorDetail", "find_existing_id", "parse_retry_after", "required_scopes"]


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


_EXISTING_ID_IN_MESSAGE = re.compile(r"existing\s+(?:object\s+)?id\s*[:=#]?\s*(\d+)", re.I)
_EXISTING_ID_KEYS = ("existingId", "existingObjectId", "id", "objectId", "vid")
_SCOPE_KEYS = ("requiredGranularScopes", "requiredScopes")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date), else None."""
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


def required_scopes(
    context: Mapping[str, Sequence[str]], errors: Sequence[ErrorDetail]
) -> tuple[str, ...]:
    """The scopes a 403 names, from ``errors[]`` then ``context``, without repeats."""
    scopes: list[str] = []
    contexts: list[Mapping[str, Sequence[str]]] = [detail.context for detail in errors]
    contexts.append(context)
    for ctx in contexts:
        for key in _SCOPE_KEYS:
            for scope in ctx.get(key, ()):
                if scope not in scopes:
                    scopes.append(scope)
    return tuple(scopes)


def find_existing_id(
    message: str, context: Mapping[str, Sequence[str]], errors: Sequence[ErrorDetail]
) -> str | None:
    """The id of the existing record a 409 names, else None."""
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
