"""Whether a record read back holds the values a write sent.

A write settled by reading its record back (a resend refused as a duplicate, a create
whose answer was lost) is only the write's record if the record holds what the write
sent: the input may have changed since the first attempt (a row edited between a killed
import and its ``--resume``). :func:`differing_properties` names the properties that
differ, never their values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

__all__ = ["differing_properties"]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MILLIS = re.compile(r"-?\d{1,16}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def differing_properties(sent: Mapping[str, str], stored: Mapping[str, str | None]) -> list[str]:
    """The names of the properties whose value in ``stored`` is not the one ``sent``.

    Compared: each property of ``sent``, as hubcrm encodes values
    (:func:`hubcrm._core.values.encode_value`), against the same property of ``stored``
    (a record's ``properties`` as HubSpot returns them). Two values are the same when:

    - they are the same text, exactly (case, spaces and all);
    - they are email addresses (the property is ``email``, or both values have the form
      ``local@domain``) that differ only in case: HubSpot stores emails in lower case;
    - both are numbers (decimal text) of equal value: ``"1.50"`` and ``"1.5"``;
    - one is a date (``YYYY-MM-DD``) and the other names the same day: a date, a
      datetime at any time of that day in UTC, or milliseconds since the epoch;
    - both are datetimes (ISO 8601 with an offset, or milliseconds since the epoch)
      naming the same millisecond;
    - either holds ``;`` and both hold the same set of options, in any order and
      without empty options (a multi-select);
    - ``sent`` is empty (it clears the value) and ``stored`` is empty or null.

    Not compared: properties of ``stored`` that ``sent`` does not name (HubSpot's own,
    and defaults it fills in); associations; the property types (no schema is read, so
    the rules above apply whatever the property's type: text ``"1.0"`` is taken as
    ``"1"``). Any other change HubSpot makes to a value (trimming, formatting a phone
    number, an option's label for its internal value) counts as a difference.

    Args:
        sent: The encoded property values a write sent.
        stored: The record's property values (``None`` where HubSpot sent null, absent
            where it sent nothing).

    Returns:
        The names of the differing properties, in the order of ``sent``.
    """
    return [name for name, value in sent.items() if not _same(name, value, stored.get(name))]


def _same(name: str, sent: str, stored: str | None) -> bool:
    if stored is None or stored == "":
        return sent == ""
    if sent == stored:
        return True
    if (name == "email" or (_EMAIL.fullmatch(sent) and _EMAIL.fullmatch(stored))) and (
        sent.casefold() == stored.casefold()
    ):
        return True
    if ";" in sent or ";" in stored:
        return _options(sent) == _options(stored)
    a, b = _number(sent), _number(stored)
    if a is not None and b is not None and a == b:
        return True
    if _DAY.fullmatch(sent) or _DAY.fullmatch(stored):
        day_a, day_b = _day(sent), _day(stored)
        return day_a is not None and day_a == day_b
    when_a, when_b = _instant(sent), _instant(stored)
    return when_a is not None and when_a == when_b


def _options(value: str) -> frozenset[str]:
    return frozenset(part for part in value.split(";") if part)


def _number(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _instant(value: str) -> int | None:
    """Milliseconds since the epoch that ``value`` names, if it names an instant."""
    if _MILLIS.fullmatch(value):
        return int(value)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    delta = when - epoch
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _day(value: str) -> date | None:
    """The UTC day that ``value`` names, if it names one."""
    if _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    millis = _instant(value)
    if millis is None:
        return None
    return date.fromordinal(_EPOCH_DAY + millis // 86_400_000)
