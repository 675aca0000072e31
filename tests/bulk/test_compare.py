"""differing_properties: which properties of a record read back differ from a write."""

from __future__ import annotations

import pytest

from hubcrm._write.compare import differing_properties


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Ada", "Ada"),
        ("Ada@Example.com", "ada@example.com"),  # emails: case-insensitive
        ("1.50", "1.5"),  # numbers as numbers
        ("1e3", "1000"),
        ("2024-03-05", "2024-03-05"),  # dates to the day
        ("2024-03-05", "2024-03-05T00:00:00.000Z"),
        ("2024-03-05", "1709596800000"),  # midnight UTC, in milliseconds
        ("2024-03-05", "1709650000000"),  # later that day
        ("2024-03-05T10:11:12.345Z", "2024-03-05T10:11:12.345Z"),  # datetimes to the ms
        ("2024-03-05T10:11:12.345Z", "2024-03-05T11:11:12.345+01:00"),
        ("2024-03-05T10:11:12.345Z", "1709633472345"),
        ("b;a;c", "a;b;c"),  # multi-selects as sets
        ("a;b", "b;a;"),
        ("", ""),  # a cleared value
    ],
)
def test_equal_values(sent: str, stored: str) -> None:
    assert differing_properties({"p": sent}, {"p": stored}) == []


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Ada", "ada"),  # text is compared exactly
        ("Ada", "Ada "),
        ("1.5", "1.51"),
        ("2024-03-05", "2024-03-06"),
        ("2024-03-05", "1709596799999"),  # the millisecond before that day
        ("2024-03-05T10:11:12.345Z", "2024-03-05T10:11:12.346Z"),
        ("a;b", "a;b;c"),
        ("x", ""),
        ("", "x"),
    ],
)
def test_different_values(sent: str, stored: str) -> None:
    assert differing_properties({"p": sent}, {"p": stored}) == ["p"]


def test_names_only_the_differing_properties_of_the_write_in_its_order() -> None:
    sent = {"b": "1", "a": "x", "email": "A@B.co", "c": "y"}
    stored = {"a": "x", "b": "2", "email": "a@b.co", "extra": "z", "c": None}
    assert differing_properties(sent, stored) == ["b", "c"]
    assert differing_properties({"p": "x"}, {}) == ["p"]  # absent from the record
