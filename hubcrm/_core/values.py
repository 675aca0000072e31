"""Encode Python values as the strings HubSpot stores in CRM properties.

Error messages name the property and what is wrong, never the value itself: values are
often personal data, and messages end up in logs and on terminals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TypeAlias

__all__ = [
    "MAX_NUMBER_DIGITS",
    "PropertyValue",
    "check_text",
    "encode_properties",
    "encode_value",
    "format_utc",
    "type_name",
]

#: The Python values hubcrm accepts for a CRM property (written in HubSpot's formats).
PropertyValue: TypeAlias = (
    str | bool | int | float | Decimal | date | datetime | Sequence[str] | Set[str] | None
)

_ACCEPTED = "pass str, bool, int, float, Decimal, date, aware datetime, a list of str, or None"

# Sequences that are not lists of str even though they are Sequences.
_BYTES_LIKE = (bytes, bytearray, memoryview)

# The most digits a Decimal may spell out (before and after the point). The same as
# Python's default limit for formatting an int; beyond it, an exponent such as
# Decimal("1e999999999") would be written out as a billion digits.
MAX_NUMBER_DIGITS = 4300


def type_name(value: object) -> str:
    """The name error messages use for ``value``'s type (qualified unless a builtin)."""
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _unsupported(name: str, value: object) -> TypeError:
    return TypeError(
        f"property {name!r}: cannot encode {type_name(value)} as a HubSpot property "
        f"value; {_ACCEPTED}"
    )


def check_text(label: str, value: str) -> None:
    """Check that ``value`` has a UTF-8 form, that is no lone surrogate.

    A lone surrogate is a valid Python str and passes ``json.dumps``, but has no UTF-8
    form: a request body holding one cannot be sent.

    Args:
        label: What the text is, for the message: ``"property 'name'"``.
        value: The text.

    Raises:
        ValueError: ``value`` holds a lone surrogate (the message gives its code
            point and index, never the text).
    """
    try:
        value.encode()  # the cheapest complete check (a regex search costs more)
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{label}: the text holds a lone surrogate (U+{ord(value[exc.start]):04X} at "
            f"index {exc.start}), which is not valid Unicode and cannot be sent as UTF-8"
        ) from None


def _encode_text(name: str, value: str) -> str:
    # str.isascii() reads a flag in CPython: only non-ASCII text is encoded to check it,
    # and the label is only built for the message.
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            check_text(f"property {name!r}", value)
    return value


def _encode_int(name: str, value: int) -> str:
    try:
        return int.__repr__(value)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        digits = int(value.bit_length() * 0.30103) + 1
        raise ValueError(
            f"property {name!r}: an int of about {digits} digits is longer than Python "
            "will format (see sys.set_int_max_str_digits); pass such a number as a str"
        ) from None


def _encode_decimal(name: str, value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(
            f"property {name!r}: a non-finite Decimal is not a number HubSpot can store; "
            "pass a finite Decimal"
        )
    # The plain form has the digits from the most significant one (adjusted()) down to
    # the exponent, and at least the units digit: checked before it is built.
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    digits = max(value.adjusted(), 0) - min(exponent, 0) + 1
    if digits > MAX_NUMBER_DIGITS:
        raise ValueError(
            f"property {name!r}: a Decimal of {digits} digits once written without an "
            f"exponent is longer than hubcrm sends (at most {MAX_NUMBER_DIGITS})"
        )
    try:
        # The "f" format never uses an exponent and, without a precision, never rounds.
        return format(value, "f")
    except (MemoryError, OverflowError, ValueError) as exc:
        raise ValueError(
            f"property {name!r}: the Decimal cannot be written out ({type(exc).__name__})"
        ) from None


def _encode_float(name: str, value: float) -> str:
    # float.__repr__ gives the shortest digits that round-trip, and sidesteps
    # subclasses (numpy.float64) whose repr is not a plain number.
    text = float.__repr__(value)
    if "e" not in text and "n" not in text:
        return text
    if not math.isfinite(value):
        raise ValueError(
            f"property {name!r}: a non-finite float is not a number HubSpot can store; "
            "pass a finite float"
        )
    # Spell out the exponent (1e-05 -> 0.00001) without changing the digits.
    return format(Decimal(text), "f")


def format_utc(value: datetime) -> str:
    """Format an aware datetime as ISO 8601 UTC with milliseconds and ``Z``.

    Args:
        value: A timezone-aware datetime.

    Returns:
        Text like ``"2024-11-20T20:12:09.236Z"``; microseconds are truncated.

    Raises:
        ValueError: ``value`` is naive or out of range once converted to UTC.
    """
    if value.utcoffset() is None:
        raise ValueError(
            "naive datetime: it has no time zone; HubSpot stores instants "
            "and hubcrm will not guess your local zone, so attach a tzinfo (for example "
            "value.replace(tzinfo=timezone.utc))"
        )
    try:
        utc = value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("the datetime is out of range once converted to UTC") from None
    # %-formatting is about twice as fast as the equivalent f-string here.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond // 1000,
    )


def _encode_datetime(name: str, value: datetime) -> str:
    try:
        return format_utc(value)
    except ValueError as exc:
        raise ValueError(f"property {name!r}: {exc}") from None


def _encode_multi(name: str, items: list[object], *, sort: bool) -> str:
    parts: list[str] = []
    for position, item in enumerate(items, 1):
        if type(item) is not str:
            if not isinstance(item, str):
                raise TypeError(
                    f"property {name!r}: a multi-select value holds only str, not {type_name(item)}"
                )
            item = str.__str__(item)
        if ";" in item:
            raise ValueError(
                f"property {name!r}: {'an option' if sort else f'option {position}'} contains "
                "';', which HubSpot uses to separate the options of a multi-select value"
            )
        parts.append(item)
    if sort:
        parts.sort()
    return _encode_text(name, ";".join(parts))


def encode_value(name: str, value: object) -> str:
    """Encode one property value as the string HubSpot expects.

    Args:
        name: The property's name, used in error messages only.
        value: A `PropertyValue`: str, bool, int, float, Decimal, date, aware
            datetime, a list, tuple or set of str, or None (clears the value).

    Returns:
        The HubSpot string form of ``value``.

    Raises:
        TypeError: ``value`` is of a type hubcrm cannot encode.
        ValueError: ``value`` is of an accepted type but cannot be stored: NaN or
            infinity, a naive datetime, a multi-select option containing ``;``, text
            with a lone surrogate (no UTF-8 form), an int longer than Python formats,
            a Decimal of more than 4,300 digits once written out.
    """
    cls = type(value)
    # Exact-type checks first: this runs once per value in bulk loads. mypy does not
    # narrow on `type(x) is T`, hence the ignores; isinstance() would cost more here.
    if cls is str:
        return _encode_text(name, value)  # type: ignore[arg-type]
    if value is None:
        return ""
    if cls is bool:
        return "true" if value else "false"
    if cls is int:
        return _encode_int(name, value)  # type: ignore[arg-type]
    if cls is float:
        return _encode_float(name, value)  # type: ignore[arg-type]
    # Subclasses and the rarer types.
    if isinstance(value, str):
        # str.__str__ gives the plain string of a str subclass (a str enum's value,
        # not "Color.RED").
        return _encode_text(name, str.__str__(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _encode_int(name, value)
    if isinstance(value, float):
        return _encode_float(name, value)
    if isinstance(value, Decimal):
        return _encode_decimal(name, value)
    if isinstance(value, datetime):
        return _encode_datetime(name, value)
    if isinstance(value, date):
        return date.isoformat(value)
    if isinstance(value, (list, tuple)):
        return _encode_multi(name, list(value), sort=False)
    if isinstance(value, Set):
        return _encode_multi(name, list(value), sort=True)
    if isinstance(value, Sequence) and not isinstance(value, _BYTES_LIKE):
        return _encode_multi(name, list(value), sort=False)
    raise _unsupported(name, value)


def encode_properties(properties: Mapping[str, object]) -> dict[str, str]:
    """Encode a mapping of property names to Python values as HubSpot strings.

    Args:
        properties: Property name to value; see `encode_value` for the values.

    Returns:
        A new dict of property name to HubSpot string, in the input's order.

    Raises:
        TypeError: ``properties`` is not a mapping, a name is not a non-empty str,
            or a value is of a type hubcrm cannot encode.
        ValueError: A value is of an accepted type but cannot be stored.
    """
    # type() first: an isinstance() check against the Mapping ABC costs more than the
    # whole encoding of a typical row, and bulk loads do this millions of times.
    if type(properties) is not dict and not isinstance(properties, Mapping):
        raise TypeError(
            f"properties must be a mapping of property name to value, not {type_name(properties)}"
        )
    encoded: dict[str, str] = {}
    for name, value in properties.items():
        if type(name) is not str:
            if not isinstance(name, str):
                raise TypeError(
                    f"property names must be non-empty str, not {type_name(name)}: {name!r}"
                )
            name = str.__str__(name)
        if not name:
            raise TypeError(f"property names must be non-empty str, got {name!r}")
        if not name.isascii():
            _encode_name(name)
        # A str value is checked here (see _encode_text), the rest by encode_value.
        if type(value) is str:
            if not value.isascii():
                _encode_text(name, value)
            encoded[name] = value
        else:
            encoded[name] = encode_value(name, value)
    return encoded


def _encode_name(name: str) -> None:
    try:
        name.encode()
    except UnicodeEncodeError:
        check_text(f"property name {name!r}", name)
