"""The attrs models validate their input so that bad values fail before any I/O."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubcrm._core.models import (
    Association,
    AssociationSpec,
    AssociationType,
    CrmObject,
    ObjectInput,
    ObjectWarning,
    ValueWithTimestamp,
    input_of,
)

NOW = datetime(2024, 11, 20, 20, 12, 9, 236000, tzinfo=timezone.utc)


# -- AssociationType -------------------------------------------------------------------

# hubspot-api.md section 8, entry by entry.
SECTION_8 = {
    "CONTACT_TO_COMPANY_PRIMARY": 1,
    "COMPANY_TO_CONTACT_PRIMARY": 2,
    "CONTACT_TO_COMPANY": 279,
    "COMPANY_TO_CONTACT": 280,
    "DEAL_TO_CONTACT": 3,
    "CONTACT_TO_DEAL": 4,
    "DEAL_TO_COMPANY_PRIMARY": 5,
    "COMPANY_TO_DEAL_PRIMARY": 6,
    "DEAL_TO_COMPANY": 341,
    "COMPANY_TO_DEAL": 342,
    "CONTACT_TO_TICKET": 15,
    "TICKET_TO_CONTACT": 16,
    "COMPANY_TO_TICKET_PRIMARY": 25,
    "TICKET_TO_COMPANY_PRIMARY": 26,
    "TICKET_TO_COMPANY": 339,
    "DEAL_TO_TICKET": 27,
    "TICKET_TO_DEAL": 28,
    "DEAL_TO_LINE_ITEM": 19,
    "LINE_ITEM_TO_DEAL": 20,
    "CONTACT_TO_CALL": 193,
    "CONTACT_TO_EMAIL": 197,
    "CONTACT_TO_MEETING": 199,
    "CONTACT_TO_NOTE": 201,
    "CONTACT_TO_TASK": 203,
    "NOTE_TO_COMPANY": 190,
    "NOTE_TO_CONTACT": 202,
    "NOTE_TO_DEAL": 214,
    "TASK_TO_COMPANY": 192,
    "TASK_TO_CONTACT": 204,
    "TASK_TO_DEAL": 216,
}


def test_association_type_lists_every_default_id_of_the_reference() -> None:
    assert {member.name: member.value for member in AssociationType} == SECTION_8


def test_association_type_ids_are_ints() -> None:
    assert int(AssociationType.CONTACT_TO_COMPANY) == 279
    assert isinstance(AssociationType.DEAL_TO_CONTACT, int)


# -- AssociationSpec -------------------------------------------------------------------


def test_spec_defaults_to_hubspot_defined_and_takes_positional_arguments() -> None:
    assert AssociationSpec(279) == AssociationSpec(type_id=279, category="HUBSPOT_DEFINED")
    assert AssociationSpec(7, "USER_DEFINED").category == "USER_DEFINED"


@pytest.mark.parametrize(
    "category", ["HUBSPOT_DEFINED", "INTEGRATOR_DEFINED", "USER_DEFINED", "WORK"]
)
def test_spec_accepts_every_category(category: str) -> None:
    assert AssociationSpec(1, category).category == category  # type: ignore[arg-type]


@pytest.mark.parametrize("category", ["hubspot_defined", "", None, "OTHER"])
def test_spec_rejects_unknown_categories(category: object) -> None:
    with pytest.raises(ValueError, match="association category must be one of"):
        AssociationSpec(1, category)  # type: ignore[arg-type]


def test_spec_stores_a_plain_int_for_an_enum_member() -> None:
    spec = AssociationSpec(AssociationType.CONTACT_TO_COMPANY)
    assert spec.type_id == 279
    assert type(spec.type_id) is int


@pytest.mark.parametrize("type_id", [True, "279", 279.0, None])
def test_spec_type_id_must_be_an_int(type_id: object) -> None:
    with pytest.raises(TypeError, match="association type id must be an int"):
        AssociationSpec(type_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("type_id", [-(2**31), 0, 2**31 - 1])
def test_spec_type_id_accepts_the_int32_range(type_id: int) -> None:
    assert AssociationSpec(type_id).type_id == type_id


@pytest.mark.parametrize("type_id", [-(2**31) - 1, 2**31])
def test_spec_type_id_rejects_values_outside_int32(type_id: int) -> None:
    with pytest.raises(ValueError, match="out of the int32 range"):
        AssociationSpec(type_id)


def test_spec_is_frozen() -> None:
    spec = AssociationSpec(1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        spec.type_id = 2  # type: ignore[misc]


# -- Association -----------------------------------------------------------------------


def test_one_line_shorthand_for_a_single_default_type() -> None:
    association = Association("123", AssociationType.CONTACT_TO_COMPANY)
    assert association.to_id == "123"
    assert association.types == (AssociationSpec(279, "HUBSPOT_DEFINED"),)


def test_association_accepts_a_spec_or_an_iterable_of_ids_and_specs() -> None:
    spec = AssociationSpec(12, "USER_DEFINED")
    assert Association("1", spec).types == (spec,)
    assert Association("1", [1, spec]).types == (AssociationSpec(1), spec)
    assert Association("1", (t for t in (4,))).types == (AssociationSpec(4),)


def test_association_to_id_int_becomes_str() -> None:
    assert Association(37765128953, 1).to_id == "37765128953"


@pytest.mark.parametrize("to_id", [True, 1.5, None, b"1", ["1"]])
def test_association_to_id_rejects_other_types(to_id: object) -> None:
    with pytest.raises(TypeError, match="to_id must be a str or int"):
        Association(to_id, 1)  # type: ignore[arg-type]


def test_association_to_id_rejects_an_empty_string() -> None:
    with pytest.raises(ValueError, match=r"^an association's to_id must be a non-empty record id$"):
        Association("", 1)


def test_association_input_errors_name_their_field() -> None:
    from hubcrm import AssociationInput

    with pytest.raises(ValueError, match=r"^an association input's from_id must be a non-empty"):
        AssociationInput("", "2", 1)
    with pytest.raises(TypeError, match=r"^an association input's to_id must be a str or int"):
        AssociationInput("1", None, 1)  # type: ignore[arg-type]


def test_association_needs_at_least_one_type() -> None:
    with pytest.raises(ValueError, match=r"^an association needs at least one type$"):
        Association("1", [])


@pytest.mark.parametrize("types", ["279", b"1", {"associationTypeId": 1}, None, 1.0, True])
def test_association_types_reject_other_shapes(types: object) -> None:
    with pytest.raises(TypeError, match="association type"):
        Association("1", types)  # type: ignore[arg-type]


@pytest.mark.parametrize("item", ["1", None, True, {"id": 1}])
def test_association_types_reject_bad_items(item: object) -> None:
    with pytest.raises(TypeError, match="must be an int type id or an AssociationSpec"):
        Association("1", [1, item])  # type: ignore[list-item]


# -- ObjectInput -----------------------------------------------------------------------


def test_object_input_encodes_properties_at_construction() -> None:
    obj = ObjectInput(
        {
            "email": "ada@example.com",
            "age": 36,
            "amount": Decimal("10.50"),
            "birthday": date(1815, 12, 10),
            "seen": NOW,
            "tags": {"b", "a"},
            "vip": False,
            "gone": None,
        }
    )
    assert obj.properties == {
        "email": "ada@example.com",
        "age": "36",
        "amount": "10.50",
        "birthday": "1815-12-10",
        "seen": "2024-11-20T20:12:09.236Z",
        "tags": "a;b",
        "vip": "false",
        "gone": "",
    }
    assert obj.associations == ()
    assert obj.object_write_trace_id is None


def test_object_input_copies_the_properties() -> None:
    source = {"a": "1"}
    obj = ObjectInput(source)
    source["a"] = "2"
    assert obj.properties == {"a": "1"}


def test_object_input_rejects_bad_values_before_any_io() -> None:
    with pytest.raises(TypeError, match=r"^property 'photo': cannot encode bytes"):
        ObjectInput({"photo": b"x"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"^property 'when': naive datetime"):
        ObjectInput({"when": datetime(2024, 1, 1)})
    with pytest.raises(TypeError, match="property names must be non-empty str"):
        ObjectInput({1: "x"})  # type: ignore[dict-item]


def test_object_input_rejects_a_non_mapping() -> None:
    with pytest.raises(TypeError, match="properties must be a mapping"):
        ObjectInput([("a", "b")])  # type: ignore[arg-type]


def test_object_input_keyword_only_options() -> None:
    association = Association("1", AssociationType.CONTACT_TO_COMPANY)
    obj = ObjectInput({}, associations=[association], object_write_trace_id="row-1")
    assert obj.associations == (association,)
    assert obj.object_write_trace_id == "row-1"
    with pytest.raises(TypeError):
        ObjectInput({}, [association])  # type: ignore[call-arg]


def test_object_input_accepts_any_iterable_of_associations() -> None:
    association = Association("1", 1)
    assert ObjectInput({}, associations=iter([association])).associations == (association,)


def test_object_input_rejects_a_bare_association() -> None:
    with pytest.raises(TypeError, match="wrap one in a list"):
        ObjectInput({}, associations=Association("1", 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("associations", [None, "1", 5, {"to": "1"}])
def test_object_input_rejects_non_iterable_associations(associations: object) -> None:
    with pytest.raises(TypeError, match="associations must be an iterable of Association"):
        ObjectInput({}, associations=associations)  # type: ignore[arg-type]


def test_object_input_rejects_associations_that_are_not_associations() -> None:
    with pytest.raises(TypeError, match="found dict"):
        ObjectInput({}, associations=[{"to": {"id": "1"}}])  # type: ignore[list-item]


def test_object_input_trace_id_must_be_a_str() -> None:
    with pytest.raises(TypeError):
        ObjectInput({}, object_write_trace_id=17)  # type: ignore[arg-type]


# -- Response models -------------------------------------------------------------------


def test_crm_object_defaults() -> None:
    obj = CrmObject(id="1", created_at=NOW, updated_at=NOW)
    assert obj.properties == {}
    assert obj.archived is False
    assert obj.archived_at is None
    assert obj.properties_with_history is None
    assert obj.object_write_trace_id is None
    assert obj.url is None
    assert obj.warnings is None


def test_crm_object_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        CrmObject("1", {}, NOW, NOW)  # type: ignore[call-arg]


@pytest.mark.parametrize("field", ["created_at", "updated_at", "archived_at"])
def test_crm_object_datetimes_must_be_aware(field: str) -> None:
    values: dict[str, Any] = {"created_at": NOW, "updated_at": NOW, field: datetime(2024, 1, 1)}
    with pytest.raises(ValueError, match=f"^{field} must be a timezone-aware datetime$"):
        CrmObject(id="1", **values)


def test_crm_object_datetimes_must_be_datetimes() -> None:
    with pytest.raises(TypeError, match="created_at must be a datetime, not str"):
        CrmObject(id="1", created_at="2024-01-01", updated_at=NOW)  # type: ignore[arg-type]


def test_value_with_timestamp_positional_and_defaults() -> None:
    value = ValueWithTimestamp("a", NOW, "API")
    assert (value.source_id, value.source_label, value.updated_by_user_id) == (None, None, None)
    with pytest.raises(ValueError, match="timestamp must be a timezone-aware datetime"):
        ValueWithTimestamp("a", datetime(2024, 1, 1), "API")


def test_object_warning_context_defaults_to_empty() -> None:
    assert ObjectWarning("CATEGORY", "message").context == {}


def test_any_aware_zone_is_accepted() -> None:
    zone = timezone(timedelta(hours=-5))
    assert CrmObject(id="1", created_at=NOW.astimezone(zone), updated_at=NOW).created_at == NOW


def test_reprs_name_properties_but_never_show_values() -> None:
    """Reprs reach logs and tracebacks; property values are personal data."""
    from datetime import datetime, timezone

    from hubcrm import CrmObject, ObjectInput, OutcomeUnknownError

    obj_input = ObjectInput({"email": "ada@example.com", "phone": "+1 555 0100"})
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    record = CrmObject(
        id="1", properties={"email": "ada@example.com"}, created_at=now, updated_at=now
    )
    unknown = OutcomeUnknownError("contacts", obj_input)
    for text in (repr(obj_input), repr(record), repr(unknown), str(unknown)):
        assert "ada@example.com" not in text
        assert "555 0100" not in text
    assert "'email'" in repr(obj_input)
    assert "'email'" in repr(record)


def test_reprs_of_filters_updates_histories_and_batch_entries_never_show_values() -> None:
    from datetime import datetime, timezone

    from hubcrm import Filter, ObjectUpdate, ValueWithTimestamp
    from hubcrm._write.batch_settling import BatchEntry

    secret = "ada@example.com"
    shown = [
        Filter("email", "EQ", secret),
        Filter("email", "IN", [secret, "b@example.com"]),
        Filter("createdate", "BETWEEN", secret, high_value=secret),
        ObjectUpdate(secret, {"phone": secret}, id_property="email"),
        ValueWithTimestamp(secret, datetime(2024, 1, 1, tzinfo=timezone.utc), "API"),
        BatchEntry(ObjectInput({"email": secret}), {"properties": {"email": secret}}, secret),
    ]
    for value in shown:
        assert secret not in repr(value), repr(value)
    assert "id='12'" in repr(ObjectUpdate("12", {}))  # a record id is no personal data
    assert "property='email'" in repr(shown[0])


def test_object_input_trace_id_and_association_ids_must_have_a_utf8_form() -> None:
    with pytest.raises(ValueError, match=r"^object_write_trace_id: .*lone surrogate"):
        ObjectInput({}, object_write_trace_id="row-\ud800")
    with pytest.raises(ValueError, match=r"^an association's to_id: .*lone surrogate"):
        Association("1\udc00", 1)
    assert ObjectInput({}, object_write_trace_id="zeile-ü").object_write_trace_id == "zeile-ü"


_VALUES = st.one_of(
    st.text(),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.text(), max_size=3),
    st.binary(max_size=2),
)


@given(st.dictionaries(st.text(max_size=5), _VALUES, max_size=4))
def test_input_of_a_dict_is_the_object_input_of_it(properties: dict[str, Any]) -> None:
    expected: ObjectInput | Exception
    try:
        expected = ObjectInput(properties)
    except (TypeError, ValueError) as exc:
        expected = exc
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)) as info:
            input_of(properties)
        assert str(info.value) == str(expected)
        return
    made = input_of(properties)
    assert made == expected
    assert repr(made) == repr(expected)
    assert attrs.evolve(made) == made
    assert made.properties is not properties
