"""Property values are encoded in HubSpot's string formats (hubspot-api.md section 7)."""

from __future__ import annotations

import enum
import math
from collections import OrderedDict, deque
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubcrm._core.values import encode_properties, encode_value
from hubcrm._http.session import encode_json


class Color(str, enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    LARGE = 3


class Name(str):
    pass


class Float(float):
    def __repr__(self) -> str:
        return "Float(!)"


CET = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  spaced  ", "  spaced  "),
        ("", ""),
        (Color.RED, "red"),
        (Name("plain"), "plain"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-42, "-42"),
        (10**30, "1000000000000000000000000000000"),
        (Size.LARGE, "3"),
        (1.5, "1.5"),
        (1.0, "1.0"),
        (-0.25, "-0.25"),
        (1e-05, "0.00001"),
        (1e20, "100000000000000000000"),
        (1.5e-10, "0.00000000015"),
        (0.1, "0.1"),
        (123456789.123, "123456789.123"),
        (Float(2.5), "2.5"),
        (Decimal("12.50"), "12.50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-1E-7"), "-0.0000001"),
        (date(2024, 11, 20), "2024-11-20"),
        (date(9, 1, 2), "0009-01-02"),
        (
            datetime(2024, 11, 20, 20, 12, 9, 236000, tzinfo=timezone.utc),
            "2024-11-20T20:12:09.236Z",
        ),
        (datetime(2024, 11, 20, 20, 12, 9, tzinfo=timezone.utc), "2024-11-20T20:12:09.000Z"),
        (datetime(2024, 11, 20, 21, 12, 9, 236999, tzinfo=CET), "2024-11-20T20:12:09.236Z"),
        (datetime(2024, 1, 1, 0, 30, tzinfo=CET), "2023-12-31T23:30:00.000Z"),
        (["a", "b"], "a;b"),
        (("b", "a"), "b;a"),
        ({"b", "a", "c"}, "a;b;c"),
        (frozenset({"z", "y"}), "y;z"),
        ([], ""),
        (set(), ""),
        ([Color.RED, "blue"], "red;blue"),
        (deque(["x", "y"]), "x;y"),
        (None, ""),
    ],
)
def test_encodes_each_supported_type(value: object, expected: str) -> None:
    encoded = encode_value("prop", value)
    assert encoded == expected
    assert type(encoded) is str


def test_str_is_returned_unchanged() -> None:
    value = "unchanged"
    assert encode_value("prop", value) is value


def test_str_enum_gives_its_value_not_its_name() -> None:
    assert str(Color.RED) == "Color.RED"  # why str() alone would be wrong
    assert encode_value("prop", Color.RED) == "red"


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (b"bytes", "bytes"),
        (bytearray(b"x"), "bytearray"),
        (memoryview(b"x"), "memoryview"),
        ({"a": 1}, "dict"),
        (object(), "object"),
        (1 + 2j, "complex"),
        (timedelta(seconds=1), "datetime.timedelta"),
        (Decimal, "type"),
    ],
)
def test_unsupported_types_raise_type_error_naming_property_and_type(
    value: object, type_name: str
) -> None:
    with pytest.raises(TypeError) as info:
        encode_value("age", value)
    assert str(info.value) == (
        f"property 'age': cannot encode {type_name} as a HubSpot property value; pass str, "
        "bool, int, float, Decimal, date, aware datetime, a list of str, or None"
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, Float("nan")])
def test_non_finite_floats_are_rejected(value: float) -> None:
    with pytest.raises(ValueError, match=r"^property 'score': .* not a number HubSpot can store"):
        encode_value("score", value)


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_decimals_are_rejected(value: str) -> None:
    with pytest.raises(ValueError, match=r"^property 'amount': .* not a number HubSpot can store"):
        encode_value("amount", Decimal(value))


def test_naive_datetime_is_rejected_with_an_explanation() -> None:
    with pytest.raises(ValueError, match="naive datetime") as info:
        encode_value("closedate", datetime(2024, 1, 2, 3, 4, 5))
    message = str(info.value)
    assert message.startswith("property 'closedate': naive datetime: it has no time zone")
    assert "2024" not in message  # never the value
    assert "HubSpot stores instants" in message
    assert "will not guess your local zone" in message
    assert "timezone.utc" in message


def test_datetime_whose_tzinfo_gives_no_offset_counts_as_naive() -> None:
    class NoOffset(tzinfo):
        def utcoffset(self, dt: datetime | None) -> None:
            return None

        def dst(self, dt: datetime | None) -> None:
            return None

        def tzname(self, dt: datetime | None) -> str:
            return "?"

    with pytest.raises(ValueError, match="naive datetime"):
        encode_value("d", datetime(2024, 1, 1, tzinfo=NoOffset()))


def test_datetime_out_of_range_in_utc_is_a_value_error() -> None:
    ahead = timezone(timedelta(hours=2))
    with pytest.raises(ValueError, match="out of range") as info:
        encode_value("d", datetime(1, 1, 1, tzinfo=ahead))
    assert "0001" not in str(info.value)  # never the value


@pytest.mark.parametrize("value", [["a", 1], ("a", None), {"a", 2}, [b"a"]])
def test_multi_select_elements_must_be_str(value: object) -> None:
    with pytest.raises(TypeError, match=r"^property 'tags': a multi-select value holds only str"):
        encode_value("tags", value)


def test_multi_select_element_containing_separator_is_rejected() -> None:
    with pytest.raises(ValueError, match="contains ';'") as info:
        encode_value("tags", ["ok", "a;b"])
    assert str(info.value) == (
        "property 'tags': option 2 contains ';', which HubSpot uses to separate the "
        "options of a multi-select value"
    )  # the position, never the value
    with pytest.raises(ValueError, match=r"^property 'tags': an option contains ';'"):
        encode_value("tags", {"ok", "SECRET;VALUE"})


def test_set_with_mixed_types_reports_the_type_not_a_sort_error() -> None:
    with pytest.raises(TypeError, match="holds only str, not int"):
        encode_value("tags", {"a", 1})


def test_encode_properties_encodes_every_value_in_order() -> None:
    encoded = encode_properties(
        {"email": "ada@example.com", "age": 36, "vip": True, "tags": ["a", "b"], "gone": None}
    )
    assert encoded == {
        "email": "ada@example.com",
        "age": "36",
        "vip": "true",
        "tags": "a;b",
        "gone": "",
    }
    assert list(encoded) == ["email", "age", "vip", "tags", "gone"]


def test_encode_properties_returns_a_new_dict() -> None:
    source = {"a": "1"}
    encoded = encode_properties(source)
    assert encoded == source
    assert encoded is not source


@pytest.mark.parametrize(
    "mapping",
    [MappingProxyType({"a": 1}), OrderedDict(a=1)],
)
def test_encode_properties_accepts_any_mapping(mapping: object) -> None:
    assert encode_properties(mapping) == {"a": "1"}  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [[("a", "1")], "a=1", None, 3])
def test_encode_properties_requires_a_mapping(value: object) -> None:
    with pytest.raises(TypeError, match=r"^properties must be a mapping of property name to value"):
        encode_properties(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "shown"), [(1, "int: 1"), (None, "NoneType: None"), (b"x", "bytes: b'x'")]
)
def test_property_names_must_be_str(key: object, shown: str) -> None:
    with pytest.raises(TypeError) as info:
        encode_properties({key: "v"})  # type: ignore[dict-item]
    assert str(info.value) == f"property names must be non-empty str, not {shown}"


def test_property_names_must_not_be_empty() -> None:
    with pytest.raises(TypeError) as info:
        encode_properties({"": "v"})
    assert str(info.value) == "property names must be non-empty str, got ''"


def test_str_subclass_names_become_plain_str() -> None:
    encoded = encode_properties({Color.RED: "x"})
    assert encoded == {"red": "x"}
    assert [type(key) for key in encoded] == [str]


def test_encode_properties_names_the_property_with_the_bad_value() -> None:
    with pytest.raises(TypeError, match=r"^property 'photo': cannot encode bytes"):
        encode_properties({"email": "a@b.c", "photo": b"\x89PNG"})


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_encoding_is_exact_and_round_trips(value: float) -> None:
    encoded = encode_value("x", value)
    assert "e" not in encoded.lower()
    assert float(encoded) == value
    assert Decimal(encoded) == Decimal(repr(value))


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_encoding_is_exact(value: Decimal) -> None:
    encoded = encode_value("x", value)
    assert "e" not in encoded.lower()
    assert Decimal(encoded) == value


@given(st.integers())
def test_int_encoding_is_exact(value: int) -> None:
    assert int(encode_value("x", value)) == value


@given(st.datetimes(timezones=st.timezones()))
def test_aware_datetimes_encode_as_utc_milliseconds(value: datetime) -> None:
    try:
        expected = value.astimezone(timezone.utc)
    except OverflowError:
        return
    encoded = encode_value("x", value)
    assert len(encoded) == 24
    assert encoded.endswith("Z")
    parsed = datetime.strptime(encoded, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert parsed == expected.replace(microsecond=expected.microsecond // 1000 * 1000)


@given(st.lists(st.text().filter(lambda s: ";" not in s)))
def test_multi_select_lists_join_in_order(values: list[str]) -> None:
    assert encode_value("x", values) == ";".join(values)


# --- encoding is total: a value either encodes to sendable text or fails naming itself --------


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("\ud800", r"lone surrogate \(U\+D800 at index 0\)"),
        ("ok \udfff", r"lone surrogate \(U\+DFFF at index 3\)"),
        (Name("a\ud83d"), "lone surrogate"),
        (["ok", "b\udc00"], "lone surrogate"),
        (10**5000, "int of about 5001 digits is longer than Python will format"),
        (Decimal("1e999999999"), "a Decimal of 1000000000 digits"),
        (Decimal("1e-999999999999999999"), "digits once written without an exponent"),
        (Decimal("9" * 4301), "a Decimal of 4301 digits"),
    ],
    ids=[
        "surrogate",
        "late-surrogate",
        "str-subclass",
        "multi-select",
        "long-int",
        "huge-exponent",
        "tiny-exponent",
        "long-decimal",
    ],
)
def test_a_value_that_cannot_be_sent_is_a_value_error_naming_the_property(
    value: object, says: str
) -> None:
    with pytest.raises(ValueError, match=rf"^property 'note': .*{says}"):
        encode_value("note", value)
    with pytest.raises(ValueError, match=rf"^property 'note': .*{says}"):
        encode_properties({"ok": "fine", "note": value})


def test_the_longest_decimal_allowed_is_written_out() -> None:
    assert encode_value("n", Decimal("9" * 4300)) == "9" * 4300
    assert encode_value("n", Decimal("1e4299")) == "1" + "0" * 4299
    assert encode_value("n", Decimal("1e-4298")) == "0." + "0" * 4297 + "1"


def test_a_decimal_that_fails_to_format_is_a_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # However the formatting fails (memory, overflow), the input fails, named.
    class Huge(Decimal):
        def __format__(self, spec: str) -> str:
            raise MemoryError

    with pytest.raises(ValueError, match=r"^property 'n': the Decimal cannot be written out"):
        encode_value("n", Huge("1"))


def test_a_property_name_with_a_lone_surrogate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^property name 'a\\ud800': .*lone surrogate"):
        encode_properties({"a\ud800": "x"})
    with pytest.raises(ValueError, match="lone surrogate"):
        encode_properties({"a\ud800": 3})


def test_text_outside_ascii_is_kept_as_is() -> None:
    assert encode_properties({"città": "Zürich 😀"}) == {"città": "Zürich 😀"}


# Any character, with the surrogates (and their neighbours) often enough to matter.
_ANY_CHAR = st.characters(blacklist_categories=()) | st.characters(
    min_codepoint=0xD7F0, max_codepoint=0xE00F, blacklist_categories=()
)


@given(
    st.dictionaries(
        st.text(_ANY_CHAR, min_size=1, max_size=5),
        st.text(_ANY_CHAR, max_size=8) | st.lists(st.text(_ANY_CHAR, max_size=4), max_size=3),
        max_size=4,
    )
)
def test_whatever_encodes_can_be_sent_as_utf8_json(properties: dict[str, object]) -> None:
    try:
        encoded = encode_properties(properties)
    except ValueError as exc:
        message = str(exc)
    else:
        encode_json({"properties": encoded})  # never raises
        return
    assert message.startswith("property ")
