"""Would HubSpot take this value? One encoded value against its property definition,
and against the property's validation rules.

HubSpot receives every value as a string; these functions judge that string as HubSpot
reads it and return the value as HubSpot stores it (a date as ``YYYY-MM-DD``, a bool
lower-cased), which is what its validation rules and unique values are compared with.
Messages name the property and what it allows, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from .._core.property_models import CrmProperty, ValidationRule
from .regex import java_compatible, same_reading

__all__ = [
    "CHECKED_RULES",
    "RULE_VIOLATION",
    "ValueProblem",
    "check_rules",
    "check_value",
    "unchecked_rule_reason",
]

#: The code of a value that breaks a validation rule (HubSpot's own is not documented).
RULE_VIOLATION = "INVALID_VALUE"

#: The rule types hubcrm evaluates; any other is reported as not checked.
CHECKED_RULES = frozenset(
    {
        "MAX_LENGTH",
        "MIN_LENGTH",
        "REGEX",
        "MIN_NUMBER",
        "MAX_NUMBER",
        "EMAIL_ALLOWED_DOMAINS",
        "EMAIL_BLOCKED_DOMAINS",
    }
)

#: (code, message) of a refused value.
ValueProblem = tuple[str, str]

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z")
_EMAIL_RE = re.compile(r"[^@\s\"(),:;<>\[\]\\]+@[^@\s\"(),:;<>\[\]\\]+\.[^@\s\"(),:;<>\[\]\\.]+\Z")
_EMAIL_FORBIDDEN_RE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_EPOCH_MS_RE = re.compile(r"-?\d{1,15}\Z")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _instant(value: str) -> datetime | None:
    """Epoch milliseconds, ``YYYY-MM-DD`` or ISO 8601 (``Z`` allowed), in UTC."""
    if value != value.strip():
        return None  # refused since 2025: no leading or trailing spaces
    try:
        if _EPOCH_MS_RE.match(value):
            return _EPOCH + timedelta(milliseconds=int(value))
        if _DATE_RE.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _iso_ms(dt: datetime) -> str:
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def _options_text(options: Sequence[str]) -> str:
    shown = ", ".join(options[:20])
    if len(options) > 20:
        shown += f", … ({len(options)} in all)"
    return f"[{shown}]"


def check_value(
    prop: CrmProperty, value: str, *, email: bool = False
) -> tuple[str, ValueProblem | None]:
    """Judge one non-empty value of ``prop`` (``email``: it must be an email address).

    Returns:
        The value as HubSpot stores it, and the problem, or None when it is accepted.
    """
    name = prop.name
    kind = prop.type
    if kind == "number":
        if _NUMBER_RE.match(value):
            return value, None
        return value, ("INVALID_INTEGER", f'"{name}" takes a number, written as digits')
    if kind == "bool":
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered, None
        return value, ("INVALID_BOOLEAN", f'"{name}" takes true or false')
    if kind == "enumeration":
        if prop.external_options:
            return value, None  # pipelines and owners are checked against their own APIs
        options = [o.value for o in prop.options]
        parts = value.split(";") if prop.field_type == "checkbox" else [value]
        for part in parts:
            if part not in options:
                what = "a part of the value" if len(parts) > 1 else "the value"
                return value, (
                    "INVALID_OPTION",
                    f'{what} of "{name}" is not one of its options: {_options_text(options)}',
                )
        return value, None
    if kind == "date":
        instant = _instant(value)
        if instant is None:
            return value, ("INVALID_DATE", f'"{name}" takes a date: YYYY-MM-DD or epoch ms')
        if instant.hour or instant.minute or instant.second or instant.microsecond:
            return value, ("INVALID_DATE", f'"{name}" takes a date at midnight UTC')
        return f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}", None
    if kind == "datetime":
        instant = _instant(value)
        if instant is None:
            return value, ("INVALID_LONG", f'"{name}" takes a datetime: ISO 8601 or epoch ms')
        return _iso_ms(instant), None
    if email:
        if _EMAIL_FORBIDDEN_RE.search(value) or not _EMAIL_RE.match(value):
            return value, ("INVALID_EMAIL", f'"{name}" takes an email address')
        return value.lower(), None
    return value, None  # string, phone_number and any type hubcrm does not know


def unchecked_rule_reason(rule: ValidationRule) -> str | None:
    """Why hubcrm does not evaluate a rule, or None when it does."""
    if rule.rule_type not in CHECKED_RULES:
        return f"hubcrm does not evaluate {rule.rule_type} rules"
    args = rule.rule_arguments
    if rule.rule_type in ("MAX_LENGTH", "MIN_LENGTH"):
        if len(args) != 1 or not args[0].isdigit():
            return f"the {rule.rule_type} rule's argument is not a length"
    elif rule.rule_type in ("MIN_NUMBER", "MAX_NUMBER"):
        if len(args) != 1 or _number(args[0]) is None:
            return f"the {rule.rule_type} rule's argument is not a number"
    elif rule.rule_type == "REGEX":
        if len(args) != 1:
            return "the REGEX rule has no single pattern"
        return java_compatible(args[0])
    elif not args:
        return f"the {rule.rule_type} rule names no domain"
    return None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check_rules(
    name: str, value: str, rules: Sequence[ValidationRule]
) -> tuple[ValueProblem | None, bool]:
    """The first rule ``value`` breaks (``rules`` holds only rules hubcrm evaluates).

    Returns:
        The problem or None, and whether a rule could not be judged for this value (a
        pattern Java reads differently for the characters it holds).
    """
    undecided = False
    for rule in rules:
        kind = rule.rule_type
        args = rule.rule_arguments
        broken: str | None = None
        if kind == "MAX_LENGTH" and len(value) > int(args[0]):
            broken = f"at most {args[0]} characters"
        elif kind == "MIN_LENGTH" and len(value) < int(args[0]):
            broken = f"at least {args[0]} characters"
        elif kind == "REGEX":
            if not same_reading(args[0], value):
                undecided = True
            elif re.fullmatch(args[0], value) is None:
                broken = "the value must match its pattern"
        elif kind in ("MIN_NUMBER", "MAX_NUMBER"):
            number = _number(value)
            limit = float(args[0])
            if number is not None and (number < limit if kind == "MIN_NUMBER" else number > limit):
                broken = f"{'at least' if kind == 'MIN_NUMBER' else 'at most'} {args[0]}"
        elif kind in ("EMAIL_ALLOWED_DOMAINS", "EMAIL_BLOCKED_DOMAINS"):
            domain = value.rpartition("@")[2].lower()
            listed = domain in {a.lower() for a in args}
            if listed != (kind == "EMAIL_ALLOWED_DOMAINS"):
                broken = (
                    "its email domain is not one allowed"
                    if kind == "EMAIL_ALLOWED_DOMAINS"
                    else "its email domain is blocked"
                )
        if broken is not None:
            return (
                RULE_VIOLATION,
                f'"{name}" breaks its {kind} validation rule: {broken}',
            ), undecided
    return None, undecided
