"""Which REGEX validation rules Python's ``re`` reads as HubSpot's Java engine does.

A portal's REGEX rule is written for ``java.util.regex``. Python's ``re`` shares most of
its syntax, but not all: possessive quantifiers, ``\\p{…}``, class unions and
intersections, ``\\Q…\\E``, look-arounds, inline flags, ``\\b`` and ``\\z`` differ or do
not exist in one of them. A pattern is evaluated only when it uses nothing but a small
common subset; and for a given value only when both engines read the pattern's classes
the same way for that value's characters (``\\d``, ``\\w`` and ``\\s`` are ASCII in Java
and Unicode in Python; Java's ``.`` also stops at ``\\r``, ``\\u0085``, ``\\u2028`` and
``\\u2029``). Anything else is reported as not checked, never guessed.
"""

from __future__ import annotations

import functools

__all__ = ["java_compatible", "same_reading"]

_SPECIAL = set("\\^$.|?*+()[]{}")
_CLASS_ESCAPES = set("dDwWsS")
_LITERAL_ESCAPES = set("\\^$.|?*+()[]{}-/")
_CONTROL_ESCAPES = set("tnrf")
_JAVA_LINE_ENDS = frozenset("\r\x85\u2028\u2029")


def _escape_problem(pattern: str, at: int) -> str | None:
    if at + 1 >= len(pattern):
        return "the pattern ends with a lone backslash"
    char = pattern[at + 1]
    if char in _CLASS_ESCAPES or char in _LITERAL_ESCAPES or char in _CONTROL_ESCAPES:
        return None
    return f"the escape \\{char} is not read the same way by Java and Python (or not by both)"


def _quantifier_end(pattern: str, at: int) -> int | None:
    """The index after a ``{n}``, ``{n,}`` or ``{n,m}`` quantifier at ``at``, or None."""
    close = pattern.find("}", at)
    if close < 0:
        return None
    body = pattern[at + 1 : close]
    low, comma, high = body.partition(",")
    if not (low.isascii() and low.isdigit()):
        return None
    if comma and high and not (high.isascii() and high.isdigit()):
        return None
    return close + 1


def _class_end(pattern: str, at: int) -> tuple[int, str | None]:
    """The index after the character class opening at ``at``, or the problem in it."""
    i = at + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        return i, "a character class starting with ] is read differently"
    while i < len(pattern):
        char = pattern[i]
        if char == "]":
            return i + 1, None
        if char == "[":
            return i, "a [ inside a character class is a union in Java"
        if pattern.startswith("&&", i):
            return i, "&& inside a character class is an intersection in Java"
        if char == "\\":
            problem = _escape_problem(pattern, i)
            if problem is not None:
                return i, problem
            i += 2
            continue
        i += 1
    return i, "a character class is not closed"


@functools.lru_cache(maxsize=256)
def java_compatible(pattern: str) -> str | None:
    """Why Python may read ``pattern`` differently from Java, or None when it reads it
    the same way (for values :func:`same_reading` accepts)."""
    i = 0
    depth = 0
    quantifiable = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            problem = _escape_problem(pattern, i)
            if problem is not None:
                return problem
            i += 2
            quantifiable = True
            continue
        if char == "[":
            i, problem = _class_end(pattern, i)
            if problem is not None:
                return problem
            quantifiable = True
            continue
        if char == "(":
            if pattern.startswith("(?:", i):
                i += 3
            elif pattern.startswith("(?", i):
                return "groups with (? other than (?: are read differently by Java and Python"
            else:
                i += 1
            depth += 1
            quantifiable = False
            continue
        if char == ")":
            if depth == 0:
                return "the pattern has an unbalanced )"
            depth -= 1
            i += 1
            quantifiable = True
            continue
        if char in "*+?{":
            if not quantifiable:
                return "a quantifier follows nothing it can repeat"
            if char == "{":
                end = _quantifier_end(pattern, i)
                if end is None:
                    return "a { that is not a quantifier is read differently by Java and Python"
                i = end
            else:
                i += 1
            if i < len(pattern) and pattern[i] == "+":
                return "possessive quantifiers are not read the same way by every Python"
            if i < len(pattern) and pattern[i] == "?":
                i += 1  # a lazy quantifier: the same in both
            quantifiable = False
            continue
        if char == "^" and i != 0:
            return "a ^ other than at the start is read differently by Java and Python"
        if char == "$" and i != len(pattern) - 1:
            return "a $ other than at the end is read differently by Java and Python"
        if char == "]" or char == "}":
            return f"a lone {char} is read differently by Java and Python"
        quantifiable = char not in "|^$"
        i += 1
    if depth:
        return "the pattern has an unclosed ("
    return None


def same_reading(pattern: str, value: str) -> bool:
    """Whether Java and Python read a :func:`java_compatible` ``pattern`` the same way
    for the characters of ``value``."""
    if not value.isascii() and any(f"\\{c}" in pattern for c in _CLASS_ESCAPES):
        return False
    return "." not in pattern or _JAVA_LINE_ENDS.isdisjoint(value)
