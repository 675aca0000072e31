"""Property: ``objects.validate`` flags exactly the inputs the emulator then refuses.

Hypothesis draws deals and custom objects, clean or with mistakes of every kind the
check knows (unknown and read-only properties, bad options and multi-select parts,
numbers, dates, datetimes and bools HubSpot would not read, spaces around them, values
breaking a validation rule, stages outside their pipeline or archived or given by label,
missing or archived pipelines, unknown or archived owners, missing required properties,
unique values repeated in the run or already held by a record). The inputs are then
created one by one; the indexes ``validate`` flags must be the indexes the emulator
refuses, and each refused input's codes the codes of the emulator's answer.

The examples are capped (``HUBCRM_CHECK_EXAMPLES``: 60 by default, so that the suite
stays within CI's time).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from typing import Any

import pytest
from conftest import ARCHIVED_OWNER, LIVE_OWNER, set_up_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubcrm import APIError, HubCRM
from hubcrm.testing import Emulator

EXAMPLES = int(os.environ.get("HUBCRM_CHECK_EXAMPLES", "60"))

STAGES = {
    "default": ["appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost"],
    "p2": ["s1", "s2"],
}
KEYS = ["k1", "k2", "k3"]

# Each mistake: (kind, a change to a clean deal). A change maps names to values; None
# removes the property.
DEAL_MISTAKES: list[dict[str, Any]] = [
    {"dealnmae": "typo"},
    {"calc": "3"},
    {"hs_object_id": "12"},
    {"hs_lastmodifieddate": "2024-01-01"},
    {"tier": "platinum"},
    {"tier": "Gold"},
    {"tier": " gold"},
    {"tags": "a;z"},
    {"tags": "a;"},
    {"tags": "a, b"},
    {"score": " 5"},
    {"score": "5 "},
    {"score": "1e3"},
    {"score": "1,000"},
    {"score": "abc"},
    {"score": 150},
    {"score": "-1"},
    {"score": 100.5},
    {"signed_on": "2024-01-01T10:00:00Z"},
    {"signed_on": "2024-13-01"},
    {"signed_on": " 2024-01-01"},
    {"signed_on": datetime(2024, 1, 1, 10, tzinfo=timezone.utc)},
    {"vip": "yes"},
    {"vip": " true"},
    {"closedate": "tomorrow"},
    {"closedate": "2024-01-01T00:00:00Z "},
    {"code": "ab-123"},
    {"code": "ABC-1234"},
    {"code": "AB-1234"},
    {"pipeline": "p2", "dealstage": "closedwon"},
    {"pipeline": "p2", "dealstage": "old"},
    {"pipeline": "p2", "dealstage": "Trained"},
    {"pipeline": "default", "dealstage": "Closed Won"},
    {"pipeline": "nope"},
    {"pipeline": "gone", "dealstage": "g1"},
    {"hubspot_owner_id": "999"},
    {"hubspot_owner_id": ARCHIVED_OWNER},
    {"dealname": None},
    {"dealstage": None},
    {"pipeline": None},
    {"dealname": ""},
]

CAR_MISTAKES: list[dict[str, Any]] = [
    {"model": None},
    {"model": ""},
    {"color": "green"},
    {"colour": "red"},
    {"hs_object_id": "1"},
    {"hubspot_owner_id": "999"},
    {"hubspot_owner_id": ARCHIVED_OWNER},
    {"hs_pipeline_stage": "fixing"},
    {"hs_pipeline_stage": "scrapped"},
    {"hs_pipeline_stage": "Sold"},
    {"hs_pipeline": "retired", "hs_pipeline_stage": "r1"},
    {"hs_pipeline": "repair", "hs_pipeline_stage": "new"},
    {"hs_pipeline": "nope"},
]


@st.composite
def clean_deal(draw: st.DrawFn) -> dict[str, Any]:
    pipeline = draw(st.sampled_from(sorted(STAGES)))
    deal: dict[str, Any] = {
        "dealname": draw(st.sampled_from(["Deal", "Big one", "x"])),
        "pipeline": pipeline,
        "dealstage": draw(st.sampled_from(STAGES[pipeline])),
    }
    optional: dict[str, Any] = {
        "tier": st.sampled_from(["gold", "silver", "bronze"]),
        "tags": st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True).map(";".join),
        "score": st.one_of(st.integers(0, 100), st.sampled_from(["0", "99.5", "+7", ".5"])),
        "signed_on": st.one_of(
            st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.just("2024-02-29")
        ),
        "vip": st.one_of(st.booleans(), st.sampled_from(["TRUE", "false"])),
        "closedate": st.sampled_from(["2024-05-01T10:00:00Z", "1714557600000", "2024-05-01"]),
        "code": st.sampled_from(["AB-123", "ZZ-000"]),
        "hubspot_owner_id": st.just(LIVE_OWNER),
        "deal_key": st.sampled_from(KEYS),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=4)):
        deal[name] = draw(optional[name])
    return deal


@st.composite
def clean_car(draw: st.DrawFn) -> dict[str, Any]:
    car: dict[str, Any] = {"model": draw(st.sampled_from(["T", "Beetle"]))}
    if draw(st.booleans()):
        car["vin"] = draw(st.sampled_from(KEYS))
    if draw(st.booleans()):
        car["color"] = draw(st.sampled_from(["red", "blue"]))
    if draw(st.booleans()):
        car["hubspot_owner_id"] = LIVE_OWNER
    where = draw(st.sampled_from(["none", "stage only", "both"]))
    if where == "stage only":  # in the first live pipeline, "lot"
        car["hs_pipeline_stage"] = draw(st.sampled_from(["new", "sold"]))
    elif where == "both":
        pipeline = draw(st.sampled_from(["lot", "repair"]))
        car["hs_pipeline"] = pipeline
        car["hs_pipeline_stage"] = draw(
            st.sampled_from(["new", "sold"] if pipeline == "lot" else ["fixing"])
        )
    return car


def _apply(record: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    changed = dict(record)
    for name, value in change.items():
        if value is None:
            changed.pop(name, None)
        else:
            changed[name] = value
    return changed


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["deals", "cars"]))
    clean, mistakes = (
        (clean_deal(), DEAL_MISTAKES) if kind == "deals" else (clean_car(), CAR_MISTAKES)
    )
    inputs = []
    for _ in range(draw(st.integers(1, 10))):
        record = draw(clean)
        for change in draw(st.lists(st.sampled_from(mistakes), max_size=2)):
            record = _apply(record, change)
        inputs.append(record)
    existing = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=2))
    return {"kind": kind, "inputs": inputs, "existing": existing}


def _codes(error: APIError) -> set[str]:
    codes = {d.code for d in error.errors if d.code}
    return codes or {error.category or str(error.status)}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
@pytest.mark.hubspot_emulator(rate_limit=None)
def test_validate_flags_exactly_what_the_emulator_refuses(
    hubspot_emulator: Emulator, scenario: dict[str, Any]
) -> None:
    emu = hubspot_emulator
    set_up_portal(emu)
    emu.reset()
    kind = scenario["kind"]
    object_type = "deals" if kind == "deals" else f"p{emu.portal_id}_cars"
    key = "deal_key" if kind == "deals" else "vin"
    with HubCRM(emu.token, base_url=emu.base_url, rate_limit=None) as crm:
        for value in scenario["existing"]:
            base = (
                {"dealname": "old", "pipeline": "default", "dealstage": "closedwon"}
                if kind == "deals"
                else {"model": "old"}
            )
            crm.objects.create(object_type, {**base, key: value})
        inputs = scenario["inputs"]
        report = crm.objects.validate(object_type, inputs, check_existing=True)
        refused: dict[int, set[str]] = {}
        for index, item in enumerate(inputs):
            try:
                crm.objects.create(object_type, item)
            except APIError as exc:
                refused[index] = _codes(exc)
    flagged = {index: {p.code for p in found} for index, found in report.by_index().items()}
    assert set(flagged) == set(refused), (flagged, refused)
    assert flagged == refused
    assert report.checked == len(inputs)
