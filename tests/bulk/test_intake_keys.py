"""The unique keys intake gives each input: the ones scheduling keeps apart."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hubcrm import ObjectInput
from hubcrm._write.intake import Intake, Item, unique_key
from hubcrm._write.schedule import KeyDeferral


def intake(inputs: list[object], *, id_property: str | None = None) -> list[Item]:
    taken = Intake(
        inputs,  # type: ignore[arg-type]
        id_property=id_property,
        upsert=False,
        contacts=True,
        single=False,
        trace_prefix="t-",
    )
    items = []
    while (item := taken.pull_now()) is not None:
        assert isinstance(item, Item), item
        items.append(item)
    return items


@given(st.text(min_size=1), st.text(), st.text(min_size=1), st.text())
def test_unique_keys_of_different_properties_or_values_differ(
    prop_a: str, value_a: str, prop_b: str, value_b: str
) -> None:
    same = (prop_a, value_a) == (prop_b, value_b)
    assert (unique_key(prop_a, value_a) == unique_key(prop_b, value_b)) is same


def test_a_property_name_ending_like_a_value_is_another_key() -> None:
    assert unique_key("a", "bc") != unique_key("ab", "c")


def test_a_contact_has_one_key_its_folded_email() -> None:
    (item,) = intake([{"email": " Ada@Example.com "}])
    assert item.keys == (unique_key("email", "ada@example.com"),)
    assert item.unique == "ada@example.com"


def test_email_as_id_property_is_one_key_not_two() -> None:
    (item,) = intake([{"email": "ada@example.com"}], id_property="email")
    assert item.keys == (unique_key("email", "ada@example.com"),)


def test_another_id_property_and_the_email_are_two_keys() -> None:
    (item,) = intake([{"email": "ada@example.com", "ext_id": "A7"}], id_property="ext_id")
    assert item.keys == (unique_key("ext_id", "a7"), unique_key("email", "ada@example.com"))
    assert item.unique == "a7"


def test_a_trace_id_never_shares_a_key_with_an_email() -> None:
    # A caller's trace id spelled like an email's key still keys its own input only.
    traced = ObjectInput({"firstname": "x"}, object_write_trace_id=unique_key("email", "a@b.c"))
    first, second = intake([traced, {"email": "a@b.c"}])
    assert len(first.keys) == 1
    assert not set(first.keys) & set(second.keys)
    keys: KeyDeferral[Item] = KeyDeferral()
    batch: list[Item] = []
    keys.take(first, batch)
    assert not keys.must_wait(second)


def test_inputs_sharing_an_email_wait_for_each_other() -> None:
    first, second, third = intake([{"email": "a@b.c"}, {"email": "A@B.C"}, {"email": "d@b.c"}])
    keys: KeyDeferral[Item] = KeyDeferral()
    batch: list[Item] = []
    keys.take(first, batch)
    assert keys.must_wait(second)
    assert not keys.must_wait(third)
    keys.release([first])
    assert not keys.must_wait(second)


def test_a_dict_input_is_sent_as_encoded_and_is_its_object_input_when_asked() -> None:
    raw = {"email": "a@b.c", "num": 7, "flag": True}
    (item,) = intake([raw])
    assert item.properties == {"email": "a@b.c", "num": "7", "flag": "true"}
    assert item.associations == ()
    assert item.obj == ObjectInput(raw)
    assert item.obj is item.obj  # made once


def test_an_object_input_is_kept_as_given() -> None:
    given_input = ObjectInput({"email": "a@b.c"}, object_write_trace_id="mine")
    (item,) = intake([given_input])
    assert item.obj is given_input
    assert item.properties is given_input.properties
    assert item.trace_id == "mine"


def test_a_lone_key_and_a_pair_of_keys_wait_for_each_other() -> None:
    pair = ObjectInput({"email": "a@b.c"}, object_write_trace_id="x")
    first, second, third, fourth = intake(
        [
            pair,
            {"email": "A@b.c"},
            ObjectInput({"email": "d@b.c"}, object_write_trace_id="x"),
            {"email": "e@b.c"},
        ]
    )
    assert first.keys == (unique_key("email", "a@b.c"), "tx")
    assert second.keys == (unique_key("email", "a@b.c"),)
    keys: KeyDeferral[Item] = KeyDeferral()
    batch: list[Item] = []
    keys.take(first, batch)
    assert keys.must_wait(second)  # its email
    assert keys.must_wait(third)  # its trace id
    assert not keys.must_wait(fourth)
    keys.hold(second)
    keys.hold(third)
    assert len(keys) == 2
    keys.take(fourth, batch)
    later: list[Item] = []
    keys.ready(later, 10)
    assert later == []  # both still wait for the first
    keys.release([first, fourth])
    (fifth,) = intake([{"email": "a@B.c"}])
    assert keys.must_wait(fifth)  # behind the held-back second
    keys.ready(later, 10)
    assert later == [second, third]
    assert keys.must_wait(first)  # the two taken again hold its keys
    keys.release(later)
    assert not keys.must_wait(first)
    assert not keys.must_wait(fourth)
