"""The converter speaks HubSpot's JSON: camelCase, the association shape, timestamps."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubcrm._core import convert
from hubcrm._core.convert import converter, dump_input, load_object, parse_datetime
from hubcrm._core.errors import HubCRMError, ResponseParseError
from hubcrm._core.models import (
    Association,
    AssociationSpec,
    AssociationType,
    CrmObject,
    ObjectInput,
    ObjectWarning,
    ValueWithTimestamp,
)
from hubcrm._core.values import format_utc

T = TypeVar("T")
UTC = timezone.utc


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# -- strategies ------------------------------------------------------------------------

zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
# HubSpot timestamps carry milliseconds, so only those survive a round trip.
instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
categories = st.sampled_from(["HUBSPOT_DEFINED", "INTEGRATOR_DEFINED", "USER_DEFINED", "WORK"])
specs = st.builds(AssociationSpec, st.integers(-(2**31), 2**31 - 1), categories)
associations = st.builds(
    Association,
    st.one_of(st.text(min_size=1), st.integers(min_value=0)),
    st.one_of(
        st.sampled_from(list(AssociationType)),
        specs,
        st.lists(st.one_of(specs, st.integers(0, 2**31 - 1)), min_size=1),
    ),
)
inputs = st.builds(
    ObjectInput,
    st.dictionaries(st.text(min_size=1), st.one_of(st.text(), st.integers(), st.booleans())),
    associations=st.lists(associations, max_size=3),
    object_write_trace_id=st.none() | st.text(),
)
history = st.builds(
    ValueWithTimestamp,
    st.none() | st.text(),
    instants,
    st.text(),
    source_id=st.none() | st.text(),
    source_label=st.none() | st.text(),
    updated_by_user_id=st.none() | st.integers(),
)
warnings = st.builds(
    ObjectWarning, st.text(), st.text(), st.dictionaries(st.text(), st.text(), max_size=3)
)
objects = st.builds(
    CrmObject,
    id=st.text(),
    properties=st.dictionaries(st.text(), st.none() | st.text(), max_size=8),
    created_at=instants,
    updated_at=instants,
    archived=st.booleans(),
    archived_at=st.none() | instants,
    properties_with_history=st.none()
    | st.dictionaries(st.text(), st.lists(history, max_size=3).map(tuple), max_size=3),
    object_write_trace_id=st.none() | st.text(),
    url=st.none() | st.text(),
    warnings=st.none() | st.lists(warnings, max_size=3).map(tuple),
)


def through_json(value: object, cls: type[T]) -> T:
    wire = json.loads(json.dumps(converter.unstructure(value, cls)))
    structured: T = converter.structure(wire, cls)
    return structured


# -- round trips -----------------------------------------------------------------------


@given(specs)
def test_association_spec_round_trips(value: AssociationSpec) -> None:
    assert converter.structure(converter.unstructure(value), AssociationSpec) == value
    assert through_json(value, AssociationSpec) == value


@given(associations)
def test_association_round_trips(value: Association) -> None:
    assert converter.structure(converter.unstructure(value), Association) == value
    assert through_json(value, Association) == value


@given(inputs)
def test_object_input_round_trips(value: ObjectInput) -> None:
    assert converter.structure(dump_input(value), ObjectInput) == value
    assert through_json(value, ObjectInput) == value


@given(inputs)
def test_dump_input_is_what_the_converter_makes(value: ObjectInput) -> None:
    # dump_input reads an input without associations directly: the same body, key order
    # and all, and a body of its own (changing it leaves the input as it was).
    body = dump_input(value)
    assert body == converter.unstructure(value, ObjectInput)
    assert list(body) == list(converter.unstructure(value, ObjectInput))
    body["properties"]["changed"] = "x"
    assert "changed" not in value.properties


@given(history)
def test_value_with_timestamp_round_trips(value: ValueWithTimestamp) -> None:
    assert converter.structure(converter.unstructure(value), ValueWithTimestamp) == value
    assert through_json(value, ValueWithTimestamp) == value


@given(warnings)
def test_object_warning_round_trips(value: ObjectWarning) -> None:
    assert converter.structure(converter.unstructure(value), ObjectWarning) == value
    assert through_json(value, ObjectWarning) == value


@given(objects)
def test_crm_object_round_trips(value: CrmObject) -> None:
    assert converter.structure(converter.unstructure(value), CrmObject) == value
    assert load_object(json.loads(json.dumps(converter.unstructure(value)))) == value


wire_instants = instants.map(format_utc)
# HubSpot's usual record: what a create or a plain read answers (no history, warnings
# or associations), with the odd values the converter also reads.
usual_records = st.fixed_dictionaries(
    {"id": st.text(), "createdAt": wire_instants, "updatedAt": wire_instants},
    optional={
        "properties": st.dictionaries(
            st.text(), st.none() | st.text() | st.integers() | st.floats(), max_size=6
        ),
        "archived": st.booleans() | st.sampled_from(["true", "false"]),
        "archivedAt": st.none() | wire_instants,
        "objectWriteTraceId": st.none() | st.text() | st.integers(),
        "url": st.none() | st.text(),
        "propertiesWithHistory": st.none(),
        "warnings": st.none(),
        "associations": st.none(),
        "somethingNew": st.integers(),
    },
)


@given(usual_records)
def test_the_usual_record_is_read_as_the_converter_reads_it(wire: dict[str, Any]) -> None:
    loaded = load_object(wire)
    assert loaded == converter.structure(wire, CrmObject)
    assert repr(loaded) == repr(converter.structure(wire, CrmObject))
    assert attrs.evolve(loaded) == loaded
    assert pickle.loads(pickle.dumps(loaded)) == loaded
    assert loaded.properties is not wire.get("properties")


@given(usual_records)
def test_a_fresh_answer_record_is_read_as_the_converter_reads_it(wire: dict[str, Any]) -> None:
    expected = converter.structure(wire, CrmObject)
    assert load_object(wire, fresh=True) == expected


def test_a_fresh_answer_record_keeps_its_properties_object_when_it_needs_no_conversion() -> None:
    # A batch answer's record is read once: its decoded properties are not copied.
    props: dict[str, Any] = {"email": "a@b.c", "phone": None}
    assert load_object({**GOOD, "properties": props}, fresh=True).properties is props
    assert load_object({**GOOD, "properties": props}).properties is not props
    numbers: dict[str, Any] = {"n": 7}
    assert load_object({**GOOD, "properties": numbers}, fresh=True).properties == {"n": "7"}


def test_records_in_a_row_each_read_their_own_times() -> None:
    # The time read last is reused for the same text, and only for it.
    first = load_object({**GOOD, "createdAt": "2024-01-01T00:00:00.001Z"})
    again = load_object({**GOOD, "createdAt": "2024-01-01T00:00:00.001Z"})
    assert first.created_at == again.created_at == utc(2024, 1, 1, us=1000)
    assert first.updated_at == utc(2024, 1, 1)
    later = load_object(
        {**GOOD, "createdAt": "2024-01-01T00:00:00.002Z", "updatedAt": "2024-01-01T00:00:00.002Z"}
    )
    assert later.created_at == later.updated_at == utc(2024, 1, 1, us=2000)
    other = load_object({**GOOD, "createdAt": "2024-01-01T00:00:00.002+01:00"})
    assert other.created_at == utc(2023, 12, 31, 23, us=2000)
    assert parse_error({**GOOD, "createdAt": ""}).field == "createdAt"
    assert parse_error({**GOOD, "updatedAt": ""}).field == "updatedAt"


def test_the_usual_record_is_read_without_the_converter(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bulk answers' hot path: the converter is for the rarer shapes and the errors.
    class Refusing:
        def structure(self, *_args: object) -> object:
            raise AssertionError("the converter was used")

    monkeypatch.setattr(convert, "converter", Refusing())
    loaded = load_object({**GOOD, "properties": {"email": "a@b.c"}, "objectWriteTraceId": "t"})
    assert loaded.properties == {"email": "a@b.c"}
    assert loaded.object_write_trace_id == "t"
    with pytest.raises(ResponseParseError, match="converter was used"):
        load_object({**GOOD, "warnings": []})


# -- request shape ---------------------------------------------------------------------


def test_dump_input_matches_hubspots_request_body() -> None:
    obj = ObjectInput(
        {"email": "ada@example.com", "firstname": "Ada"},
        associations=[Association("123", AssociationType.CONTACT_TO_COMPANY)],
    )
    assert dump_input(obj) == {
        "properties": {"email": "ada@example.com", "firstname": "Ada"},
        "associations": [
            {
                "to": {"id": "123"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ],
    }


def test_dump_input_always_sends_associations_and_omits_a_missing_trace_id() -> None:
    assert dump_input(ObjectInput({})) == {"properties": {}, "associations": []}


def test_dump_input_sends_the_trace_id_when_set() -> None:
    body = dump_input(ObjectInput({"a": "1"}, object_write_trace_id="row-17"))
    assert body == {"properties": {"a": "1"}, "associations": [], "objectWriteTraceId": "row-17"}


def test_dump_input_several_types_and_categories() -> None:
    obj = ObjectInput(
        {},
        associations=[
            Association(
                5, [AssociationType.DEAL_TO_COMPANY_PRIMARY, AssociationSpec(9, "USER_DEFINED")]
            )
        ],
    )
    assert dump_input(obj)["associations"] == [
        {
            "to": {"id": "5"},
            "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5},
                {"associationCategory": "USER_DEFINED", "associationTypeId": 9},
            ],
        }
    ]


def test_dump_input_is_json_ready_with_plain_types() -> None:
    obj = ObjectInput({"n": 1.5}, associations=[Association(1, AssociationType.CONTACT_TO_DEAL)])
    body = dump_input(obj)
    type_id = body["associations"][0]["types"][0]["associationTypeId"]
    assert type(type_id) is int
    assert json.loads(json.dumps(body)) == body


def test_dump_input_copies_the_properties() -> None:
    obj = ObjectInput({"a": "1"})
    dump_input(obj)["properties"]["a"] = "changed"
    assert obj.properties == {"a": "1"}


def test_object_input_from_the_wire_without_associations() -> None:
    obj = converter.structure({"properties": {"a": "1"}}, ObjectInput)
    assert obj == ObjectInput({"a": "1"})


def test_association_to_id_as_a_number_is_accepted() -> None:
    wire = {"to": {"id": 123}, "types": [{"associationCategory": "WORK", "associationTypeId": 7}]}
    assert converter.structure(wire, Association) == Association("123", AssociationSpec(7, "WORK"))


@pytest.mark.parametrize(
    "wire",
    [
        {"to": "123", "types": [{"associationTypeId": 1}]},
        {"to": {"id": "1"}, "types": {"associationTypeId": 1}},
        {"to": {"id": "1"}, "types": []},
        {"types": [{"associationTypeId": 1}]},
        ["1"],
    ],
)
def test_malformed_associations_fail(wire: Any) -> None:
    with pytest.raises((TypeError, ValueError, KeyError)):
        converter.structure(wire, Association)


# -- response shape --------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "id": "1",
    "createdAt": "2024-01-01T00:00:00Z",
    "updatedAt": "2024-01-01T00:00:00Z",
}


def test_the_207_examples_result_object() -> None:
    wire = {
        "id": "1145814089",
        "objectWriteTraceId": "a1",
        "properties": {},
        "createdAt": "2024-08-15T17:09:13.610Z",
        "updatedAt": "2024-08-15T17:09:13.610Z",
        "archived": False,
    }
    assert load_object(wire) == CrmObject(
        id="1145814089",
        object_write_trace_id="a1",
        created_at=utc(2024, 8, 15, 17, 9, 13, 610000),
        updated_at=utc(2024, 8, 15, 17, 9, 13, 610000),
    )


def test_a_full_response() -> None:
    wire = {
        "id": "512",
        "properties": {
            "email": "ada@example.com",
            "firstname": None,
            "createdate": "2024-11-20T20:12:09.236Z",
        },
        "propertiesWithHistory": {
            "email": [
                {
                    "value": "ada@example.com",
                    "timestamp": "2024-11-20T20:12:09.236Z",
                    "sourceType": "API",
                    "sourceId": "sample-app",
                    "sourceLabel": "Sample app",
                    "updatedByUserId": 1234,
                    "sourceMetadata": "ignored",
                },
                {
                    "value": "old@example.com",
                    "timestamp": "2023-11-07T05:31:56Z",
                    "sourceType": "CRM_UI",
                },
            ]
        },
        "createdAt": "2023-11-07T05:31:56Z",
        "updatedAt": "2024-11-20T21:12:09.236+01:00",
        "archived": True,
        "archivedAt": "2024-12-01T00:00:00.5Z",
        "url": "https://app.hubspot.com/contacts/1/record/0-1/512",
        "warnings": [
            {"category": "DEPRECATION", "message": "going away", "context": {"field": "x"}},
            {"category": "OTHER", "message": "no context"},
        ],
        "somethingNew": {"nested": [1, 2]},
    }
    assert load_object(wire) == CrmObject(
        id="512",
        properties={
            "email": "ada@example.com",
            "firstname": None,
            "createdate": "2024-11-20T20:12:09.236Z",
        },
        properties_with_history={
            "email": (
                ValueWithTimestamp(
                    "ada@example.com",
                    utc(2024, 11, 20, 20, 12, 9, 236000),
                    "API",
                    source_id="sample-app",
                    source_label="Sample app",
                    updated_by_user_id=1234,
                ),
                ValueWithTimestamp("old@example.com", utc(2023, 11, 7, 5, 31, 56), "CRM_UI"),
            )
        },
        created_at=utc(2023, 11, 7, 5, 31, 56),
        updated_at=utc(2024, 11, 20, 20, 12, 9, 236000),
        archived=True,
        archived_at=utc(2024, 12, 1, 0, 0, 0, 500000),
        url="https://app.hubspot.com/contacts/1/record/0-1/512",
        warnings=(
            ObjectWarning("DEPRECATION", "going away", {"field": "x"}),
            ObjectWarning("OTHER", "no context"),
        ),
    )


def test_loaded_datetimes_are_utc() -> None:
    obj = load_object(
        {"id": "1", "createdAt": "2024-01-01T01:00:00+01:00", "updatedAt": "2024-01-01T00:00:00Z"}
    )
    assert obj.created_at.tzinfo is UTC
    assert obj.created_at == utc(2024, 1, 1)


def test_missing_optional_keys_become_defaults() -> None:
    obj = load_object(
        {"id": "1", "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}
    )
    assert obj.properties == {}
    assert obj.archived is False
    assert (obj.archived_at, obj.properties_with_history, obj.url, obj.warnings) == (None,) * 4


def test_nulls_for_optional_fields_become_none() -> None:
    obj = load_object(
        {
            "id": "1",
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-01-01T00:00:00Z",
            "archivedAt": None,
            "propertiesWithHistory": None,
            "objectWriteTraceId": None,
            "url": None,
            "warnings": None,
        }
    )
    assert obj == CrmObject(id="1", created_at=utc(2024, 1, 1), updated_at=utc(2024, 1, 1))


def test_numbers_where_strings_are_expected_are_read_as_strings() -> None:
    obj = load_object(
        {
            "id": 42,
            "properties": {"n": 7, "f": 1.5},
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-01-01T00:00:00Z",
        }
    )
    assert obj.id == "42"
    assert obj.properties == {"n": "7", "f": "1.5"}


def test_loaded_properties_do_not_alias_the_decoded_json() -> None:
    wire = {**GOOD, "properties": {"a": "1", "b": None}}
    obj = load_object(wire)
    wire["properties"]["a"] = "changed"
    assert obj.properties == {"a": "1", "b": None}


def test_unstructured_crm_object_uses_camel_case_and_omits_nones() -> None:
    obj = CrmObject(
        id="1",
        properties={"a": None},
        created_at=utc(2024, 1, 1, 0, 0, 0, 123456),
        updated_at=utc(2024, 1, 1),
        object_write_trace_id="t",
    )
    assert converter.unstructure(obj) == {
        "id": "1",
        "properties": {"a": None},
        "createdAt": "2024-01-01T00:00:00.123Z",
        "updatedAt": "2024-01-01T00:00:00.000Z",
        "archived": False,
        "objectWriteTraceId": "t",
    }


# -- responses that cannot be read -----------------------------------------------------


def parse_error(data: Any) -> ResponseParseError:
    with pytest.raises(ResponseParseError) as info:
        load_object(data)
    assert isinstance(info.value, HubCRMError)
    assert info.value.__cause__ is not None
    return info.value


def test_missing_id() -> None:
    error = parse_error({"createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"})
    assert (
        str(error)
        == "could not read HubSpot's response as a CrmObject: required field id is missing"
    )
    assert error.field == "id"


def test_several_missing_fields_are_counted() -> None:
    error = parse_error({})
    assert str(error) == (
        "could not read HubSpot's response as a CrmObject: required field id is missing "
        "(and 2 more problems)"
    )


def test_created_at_not_a_date() -> None:
    error = parse_error({**GOOD, "createdAt": "yesterday"})
    assert str(error) == (
        "could not read HubSpot's response as a CrmObject: field createdAt: "
        "expected an ISO 8601 date-time, got 'yesterday'"
    )
    assert error.field == "createdAt"


def test_updated_at_of_the_wrong_type() -> None:
    error = parse_error({**GOOD, "updatedAt": 1700000000000})
    assert error.field == "updatedAt"
    assert str(error).endswith("field updatedAt: expected an ISO 8601 date-time string, got int")


def test_nested_field_is_named_by_its_wire_path() -> None:
    wire = {
        **GOOD,
        "propertiesWithHistory": {
            "email": [{"value": "a", "timestamp": "bad", "sourceType": "API"}]
        },
    }
    error = parse_error(wire)
    assert error.field == 'propertiesWithHistory["email"][0].timestamp'


def test_null_id_is_an_error_not_the_string_none() -> None:
    error = parse_error({**GOOD, "id": None})
    assert error.field == "id"
    assert str(error).endswith("field id: expected a string, got NoneType")


def test_properties_not_an_object() -> None:
    error = parse_error({**GOOD, "properties": ["a"]})
    assert error.field == "properties"
    assert str(error).endswith("field properties: expected a JSON object")


def test_archived_must_be_a_bool() -> None:
    assert parse_error({**GOOD, "archived": "yes"}).field == "archived"
    assert load_object({**GOOD, "archived": "true"}).archived is True


@pytest.mark.parametrize(("data", "shown"), [([], "list"), (None, "NoneType"), ("x", "str")])
def test_not_an_object_at_all(data: Any, shown: str) -> None:
    error = parse_error(data)
    assert (
        str(error)
        == f"could not read HubSpot's response as a CrmObject: expected a JSON object, got {shown}"
    )
    assert error.field is None


def test_property_values_are_not_quoted_in_errors() -> None:
    error = parse_error({**GOOD, "properties": {"email": {"secret": "ada@example.com"}}})
    assert error.field == 'properties["email"]'
    assert "ada@example.com" not in str(error)


# -- datetimes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-20T20:12:09.236Z", utc(2024, 11, 20, 20, 12, 9, 236000)),
        ("2023-11-07T05:31:56Z", utc(2023, 11, 7, 5, 31, 56)),
        ("2023-11-07T05:31:56z", utc(2023, 11, 7, 5, 31, 56)),
        ("2023-11-07t05:31:56.1Z", utc(2023, 11, 7, 5, 31, 56, 100000)),
        ("2023-11-07T05:31:56.12Z", utc(2023, 11, 7, 5, 31, 56, 120000)),
        ("2023-11-07T05:31:56.1234Z", utc(2023, 11, 7, 5, 31, 56, 123400)),
        ("2023-11-07T05:31:56.123456Z", utc(2023, 11, 7, 5, 31, 56, 123456)),
        ("2023-11-07T05:31:56.123456789Z", utc(2023, 11, 7, 5, 31, 56, 123456)),
        ("2023-11-07T05:31:56,5Z", utc(2023, 11, 7, 5, 31, 56, 500000)),
        ("2023-11-07T05:31:56.236+00:00", utc(2023, 11, 7, 5, 31, 56, 236000)),
        ("2023-11-07T07:31:56+02:00", utc(2023, 11, 7, 5, 31, 56)),
        ("2023-11-07T00:01:56-0530", utc(2023, 11, 7, 5, 31, 56)),
        ("2023-11-07T07:31:56+02", utc(2023, 11, 7, 5, 31, 56)),
        ("2023-11-07T05:31Z", utc(2023, 11, 7, 5, 31)),
        ("2023-11-07 05:31:56Z", utc(2023, 11, 7, 5, 31, 56)),
        ("2023-11-07T05:31:56", utc(2023, 11, 7, 5, 31, 56)),
        ("2024-01-01T00:30:00+01:00", utc(2023, 12, 31, 23, 30)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2024-11-20",
        "2024-13-01T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "2024-11-20T24:00:00Z",
        "2024-11-20T20:12:60Z",
        "2024-11-20T20:12:09.Z",
        "2024-11-20T20:12:09.236Zjunk",
        "2024-11-20T20:12:09.236 Z",
        "0001-01-01T00:00:00+01:00",
        "2024-11-20T20:12:09.23xZ",
    ],
)
def test_parse_datetime_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="date-time"):
        parse_datetime(text)


@given(instants)
def test_format_then_parse_is_identity(value: datetime) -> None:
    assert parse_datetime(format_utc(value)) == value


def test_format_utc() -> None:
    assert format_utc(utc(2024, 11, 20, 20, 12, 9, 236999)) == "2024-11-20T20:12:09.236Z"
    cet = timezone(timedelta(hours=1))
    assert format_utc(datetime(2024, 1, 1, 0, 30, tzinfo=cet)) == "2023-12-31T23:30:00.000Z"
    with pytest.raises(ValueError, match="naive datetime"):
        format_utc(datetime(2024, 1, 1))


def test_the_shared_converter_skips_detailed_validation() -> None:
    # Detailed validation is several times slower; it only runs after a failure.
    assert converter.detailed_validation is False


_DETAILED_ON_FIRST_FAILURE = """
from hubcrm._core import convert
from hubcrm._core.errors import ResponseParseError
made = [convert._detailed_converter.cache_info().currsize]
convert.load_object({"id": "1", "properties": {}, "createdAt": "2024-11-20T20:12:09Z",
                     "updatedAt": "2024-11-20T20:12:09Z", "archived": False})
made.append(convert._detailed_converter.cache_info().currsize)
try:
    convert.load_object({"id": "1", "properties": {}, "createdAt": 7})
except ResponseParseError as exc:
    made.append(convert._detailed_converter.cache_info().currsize)
    print(made, "createdAt" in str(exc))
"""


def test_the_detailed_converter_is_made_by_the_first_answer_it_must_explain() -> None:
    # Importing the converter (and reading good answers) does not build the second,
    # slower converter that names a bad answer's field; the first bad answer does.
    done = subprocess.run(
        [sys.executable, "-c", _DETAILED_ON_FIRST_FAILURE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.split("\n")[0] == "[0, 0, 1] True"
