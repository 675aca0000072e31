"""Each check of ``objects.validate``, one mistake at a time, against the emulator's
portal (tests/check/conftest.py); and that the emulator refuses the same input."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from conftest import ARCHIVED_OWNER, LIVE_OWNER

from hubcrm import APIError, AsyncHubCRM, ObjectInput
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

DEAL = {"dealname": "Deal", "pipeline": "default", "dealstage": "closedwon"}

# (change to a clean deal, the property flagged, its code)
DEAL_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"dealnmae": "x"}, "dealnmae", "PROPERTY_DOESNT_EXIST"),
    ({"calc": "1"}, "calc", "READ_ONLY_VALUE"),
    ({"hs_object_id": "1"}, "hs_object_id", "READ_ONLY_VALUE"),
    ({"hs_lastmodifieddate": ""}, "hs_lastmodifieddate", "READ_ONLY_VALUE"),
    ({"tier": "platinum"}, "tier", "INVALID_OPTION"),
    ({"tags": "a;z"}, "tags", "INVALID_OPTION"),
    ({"tags": "a;"}, "tags", "INVALID_OPTION"),
    ({"score": "12a"}, "score", "INVALID_INTEGER"),
    ({"score": " 12"}, "score", "INVALID_INTEGER"),
    ({"vip": "yes"}, "vip", "INVALID_BOOLEAN"),
    ({"signed_on": "2024-02-30"}, "signed_on", "INVALID_DATE"),
    ({"signed_on": datetime(2024, 1, 1, 9, tzinfo=timezone.utc)}, "signed_on", "INVALID_DATE"),
    ({"closedate": "soon"}, "closedate", "INVALID_LONG"),
    ({"score": 101}, "score", "INVALID_VALUE"),
    ({"score": -0.5}, "score", "INVALID_VALUE"),
    ({"code": "ab-123"}, "code", "INVALID_VALUE"),
    ({"pipeline": "p2", "dealstage": "closedwon"}, "dealstage", "INVALID_OPTION"),
    ({"pipeline": "p2", "dealstage": "old"}, "dealstage", "INVALID_OPTION"),
    ({"pipeline": "nope"}, "pipeline", "INVALID_OPTION"),
    ({"pipeline": "gone", "dealstage": "g1"}, "pipeline", "INVALID_OPTION"),
    ({"hubspot_owner_id": "4242"}, "hubspot_owner_id", "INVALID_OWNER_ID"),
    ({"hubspot_owner_id": ARCHIVED_OWNER}, "hubspot_owner_id", "INVALID_OWNER_ID"),
    ({"dealname": ""}, "dealname", "MISSING_REQUIRED_PROPERTY"),
]


@pytest.mark.parametrize(("change", "name", "code"), DEAL_CASES)
async def test_each_mistake_is_flagged_as_the_emulator_refuses_it(
    portal: Emulator, crm: AsyncHubCRM, change: dict[str, Any], name: str, code: str
) -> None:
    clean = {
        **DEAL,
        "tier": "gold",
        "tags": "a;c",
        "score": 100,
        "vip": True,
        "signed_on": date(2024, 2, 29),
        "closedate": datetime(2024, 5, 1, 10, tzinfo=timezone.utc),
        "code": "AB-123",
        "hubspot_owner_id": LIVE_OWNER,
    }
    report = await crm.objects.validate("deals", [clean, {**clean, **change}])
    assert [(p.index, p.property, p.code) for p in report.problems] == [(1, name, code)]
    assert not report.ok
    await crm.objects.create("deals", clean)
    with pytest.raises(APIError) as refused:
        await crm.objects.create("deals", {**clean, **change})
    assert {d.code for d in refused.value.errors} == {code}


async def test_a_stage_given_by_its_label_names_the_id_it_probably_meant(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    report = await crm.objects.validate("deals", [{**DEAL, "dealstage": "closed won"}])
    (problem,) = report.problems
    assert problem.code == "INVALID_OPTION"
    assert "'closedwon'" in problem.message


async def test_a_stage_of_another_pipeline_is_named_so(portal: Emulator, crm: AsyncHubCRM) -> None:
    report = await crm.objects.validate("deals", [{**DEAL, "pipeline": "p2"}])
    (problem,) = report.problems
    assert "a stage of pipeline 'default'" in problem.message
    assert "[s1, s2]" in problem.message


async def test_a_stage_is_checked_against_the_default_pipeline_when_none_is_given(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    # a deal must name its pipeline; the stage is still checked against "default"
    report = await crm.objects.validate("deals", [{"dealname": "d", "dealstage": "s1"}])
    assert {(p.property, p.code) for p in report.problems} == {
        ("pipeline", "MISSING_REQUIRED_PROPERTY"),
        ("dealstage", "INVALID_OPTION"),
    }


async def test_a_custom_objects_required_property_and_options(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    cars = f"p{portal.portal_id}_cars"
    report = await crm.objects.validate(
        cars, [{"model": "T"}, {"color": "red"}, {"model": "T", "color": "green"}]
    )
    assert [(p.index, p.property, p.code) for p in report.problems] == [
        (1, "model", "MISSING_REQUIRED_PROPERTY"),
        (2, "color", "INVALID_OPTION"),
    ]


async def test_a_custom_types_stage_is_checked_against_its_first_live_pipeline(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    cars = f"p{portal.portal_id}_cars"
    inputs = [
        {"model": "T", "hs_pipeline_stage": "sold"},
        {"model": "T", "hs_pipeline_stage": "fixing"},  # a stage of "repair"
        {"model": "T", "hs_pipeline": "repair", "hs_pipeline_stage": "fixing"},
        {"model": "T", "hs_pipeline_stage": "scrapped"},
    ]
    report = await crm.objects.validate(cars, inputs)
    assert [(p.index, p.property, p.code) for p in report.problems] == [
        (1, "hs_pipeline_stage", "INVALID_OPTION"),
        (3, "hs_pipeline_stage", "INVALID_OPTION"),
    ]
    assert "pipeline 'lot'" in report.problems[0].message
    assert "archived stage 'scrapped'" in report.problems[1].message


async def test_a_unique_value_repeated_in_the_inputs_flags_the_later_ones(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    inputs = [
        {**DEAL, "deal_key": "k"},
        {**DEAL, "deal_key": "k"},
        {**DEAL, "deal_key": "K"},  # another value: unique values compare exactly
        {**DEAL, "deal_key": "k"},
    ]
    report = await crm.objects.validate("deals", inputs)
    assert [(p.index, p.code) for p in report.problems] == [(1, "CONFLICT"), (3, "CONFLICT")]
    assert [p.held_by for p in report.problems] == [0, 0]
    assert "input 0" in report.problems[0].message


async def test_an_input_refused_otherwise_does_not_claim_its_unique_value(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    # HubSpot refuses the first (bad option) without keeping its key: the second is made
    inputs = [{**DEAL, "deal_key": "k", "tier": "none"}, {**DEAL, "deal_key": "k"}]
    report = await crm.objects.validate("deals", inputs)
    assert [(p.index, p.code) for p in report.problems] == [(0, "INVALID_OPTION")]


async def test_contact_emails_are_unique_whatever_their_case_and_must_be_emails(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    inputs = [{"email": "ada@example.com"}, {"email": "ADA@example.com"}, {"email": "ada@"}]
    report = await crm.objects.validate("contacts", inputs)
    assert [(p.index, p.code) for p in report.problems] == [
        (1, "CONFLICT"),
        (2, "INVALID_EMAIL"),
    ]


async def test_check_existing_flags_values_records_already_hold(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    await crm.objects.create("contacts", {"email": "taken@example.com"})
    inputs = [{"email": f"new{i}@example.com"} for i in range(150)]
    inputs.append({"email": "Taken@Example.com"})
    before = len(portal.received)
    plain = await crm.objects.validate("contacts", inputs)
    assert plain.ok
    report = await crm.objects.validate("contacts", inputs, check_existing=True)
    assert [(p.index, p.property, p.code) for p in report.problems] == [(150, "email", "CONFLICT")]
    assert report.problems[0].held_by is None  # held by a record, not by an input
    # the definitions were cached: only the look-ups, 100 values per request
    assert report.requests == 2
    reads = [r for r in portal.received[before:] if r.path.endswith("/batch/read")]
    assert len(reads) == 2


async def test_check_existing_compares_other_unique_values_exactly(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    await crm.objects.create("deals", {**DEAL, "deal_key": "abc"})
    inputs = [{**DEAL, "deal_key": "ABC"}, {**DEAL, "deal_key": "abc"}]
    report = await crm.objects.validate("deals", inputs, check_existing=True)
    assert [(p.index, p.code) for p in report.problems] == [(1, "CONFLICT")]
    assert "record " in report.problems[0].message
    await crm.objects.create("deals", inputs[0])  # HubSpot takes the case variant


async def test_an_input_that_cannot_be_encoded_is_flagged_with_its_error_type(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    report = await crm.objects.validate(
        "deals",
        [DEAL, {**DEAL, "score": float("nan")}, "not an input"],  # type: ignore[list-item]
    )
    assert [(p.index, p.property, p.code) for p in report.problems] == [
        (1, None, "ValueError"),
        (2, None, "TypeError"),
    ]


async def test_object_inputs_and_async_iterables_are_checked_alike(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    async def rows() -> Any:
        yield ObjectInput({**DEAL, "tier": "none"})
        yield {**DEAL}

    report = await crm.objects.validate("deals", rows())
    assert report.checked == 2
    assert list(report.by_index()) == [0]
