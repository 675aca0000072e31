"""Property validation rules: what the emulator keeps of each, and how a value is checked.

A rule is kept as HubSpot's ``PublicPropertyValidationRule`` JSON (``ruleType``,
``ruleArguments``, ``shouldApplyNormalization``), served as it is by the
property-validations reads. Seven rule types are enforced on create and update; the
others are kept and served but not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ._schema import PropertyDef, PropertyError

__all__ = ["ENFORCED_RULES", "RULE_TYPES", "RULE_VIOLATION", "check_rules", "make_rule"]

#: The rule types of HubSpot's 2026-03 property-validations API.
RULE_TYPES = frozenset(
    {
        "AFTER_DATETIME_DURATION",
        "AFTER_DURATION",
        "ALPHANUMERIC",
        "BEFORE_DATETIME_DURATION",
        "BEFORE_DURATION",
        "DAYS_OF_WEEK",
        "DECIMAL",
        "DOMAIN",
        "EMAIL",
        "EMAIL_ALLOWED_DOMAINS",
        "EMAIL_BLOCKED_DOMAINS",
        "END_DATE",
        "END_DATETIME",
        "FORMAT",
        "MAX_LENGTH",
        "MAX_NUMBER",
        "MIN_LENGTH",
        "MIN_NUMBER",
        "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE",
        "REGEX",
        "SPECIAL_CHARACTERS",
        "START_DATE",
        "START_DATETIME",
        "URL",
        "URL_ALLOWED_DOMAINS",
        "URL_BLOCKED_DOMAINS",
        "WHITESPACE",
    }
)

#: The rule types a create or update is checked against.
ENFORCED_RULES = frozenset(
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

#: The error code of a value that breaks a rule (HubSpot's own is not confirmed).
RULE_VIOLATION = "INVALID_VALUE"


def make_rule(
    prop: PropertyDef, rule_type: str, arguments: Iterable[str], normalize: bool
) -> dict[str, Any]:
    """A rule's JSON, its arguments checked for the rule types the emulator enforces."""
    if rule_type not in RULE_TYPES:
        raise ValueError(
            f"unknown rule type {rule_type!r}: HubSpot's are {', '.join(sorted(RULE_TYPES))}"
        )
    args = list(arguments)
    if not all(isinstance(a, str) for a in args):
        raise TypeError("rule arguments are strings, as HubSpot gives them")
    if rule_type in ("MAX_LENGTH", "MIN_LENGTH"):
        if len(args) != 1 or not args[0].isdigit():
            raise ValueError(f"{rule_type} takes one argument, a length such as '10'")
    elif rule_type in ("MIN_NUMBER", "MAX_NUMBER"):
        if len(args) != 1 or _number(args[0]) is None:
            raise ValueError(f"{rule_type} takes one argument, a number such as '0'")
    elif rule_type == "REGEX":
        if len(args) != 1:
            raise ValueError("REGEX takes one argument, the pattern")
        try:
            re.compile(args[0])
        except re.error as exc:
            raise ValueError(f"REGEX pattern {args[0]!r} does not compile: {exc}") from None
    elif rule_type in ("EMAIL_ALLOWED_DOMAINS", "EMAIL_BLOCKED_DOMAINS") and not args:
        raise ValueError(f"{rule_type} takes the domains as arguments")
    if rule_type in ("MIN_NUMBER", "MAX_NUMBER") and prop.type != "number":
        raise ValueError(f"{rule_type} applies to number properties; {prop.name!r} is not one")
    return {"ruleType": rule_type, "ruleArguments": args, "shouldApplyNormalization": normalize}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check_rules(name: str, value: str, rules: Sequence[dict[str, Any]]) -> PropertyError | None:
    """The first enforced rule ``value`` breaks, as an error naming the property and the
    rule (never the value), or None."""
    for rule in rules:
        kind = rule["ruleType"]
        args: list[str] = rule["ruleArguments"]
        broken: str | None = None
        if kind == "MAX_LENGTH" and len(value) > int(args[0]):
            broken = f"at most {args[0]} characters"
        elif kind == "MIN_LENGTH" and len(value) < int(args[0]):
            broken = f"at least {args[0]} characters"
        elif kind == "REGEX" and re.fullmatch(args[0], value) is None:
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
                    "its email domain is not allowed"
                    if kind == "EMAIL_ALLOWED_DOMAINS"
                    else "its email domain is blocked"
                )
        if broken is not None:
            return PropertyError(
                name,
                RULE_VIOLATION,
                f'Property "{name}" does not pass its {kind} validation rule: {broken}',
            )
    return None
