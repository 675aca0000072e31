"""``create_many(..., validate=True)``: what the check refuses fails unsent, in place."""

from __future__ import annotations

import pytest
from conftest import ARCHIVED_OWNER

from hubcrm import AsyncHubCRM, BadRequestError, ConflictError, HubCRM
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

DEAL = {"dealname": "Deal", "pipeline": "default", "dealstage": "closedwon"}


def _inputs(n: int) -> list[dict[str, object]]:
    mistakes: list[dict[str, object]] = [
        {"tier": "none"},
        {"hubspot_owner_id": ARCHIVED_OWNER},
        {"pipeline": "p2"},
        {"score": " 1"},
        {"nope": "x"},
    ]
    rows: list[dict[str, object]] = []
    for i in range(n):
        row: dict[str, object] = {**DEAL, "deal_key": f"k{i}"}
        if i % 7 == 3:
            row.update(mistakes[i % len(mistakes)])
        if i % 50 == 49:
            row["deal_key"] = "k0"  # repeats the first input's unique value
        rows.append(row)
    return rows


async def test_refused_inputs_fail_unsent_and_the_rest_are_created(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    inputs = _inputs(250)
    report = await crm.objects.validate("deals", inputs)
    flagged = report.refused
    assert flagged == {i for i in range(250) if i % 7 == 3 or i % 50 == 49}
    before = len(portal.received)
    result = await crm.objects.create_many("deals", inputs, validate=True)
    sent = [r for r in portal.received[before:] if r.path.endswith("/batch/create")]
    assert len(sent) == 3  # 209 inputs sent, 100 per request; definitions were cached
    assert len(portal.received) - before == 3
    assert [o.index for o in result.outcomes] == list(range(250))
    failed = {o.index for o in result.outcomes if o.status == "failed"}
    created = {o.index for o in result.outcomes if o.status == "created"}
    assert failed == flagged
    assert created == set(range(250)) - flagged
    assert portal.count("deals") == len(created)
    stored = {o["properties"]["deal_key"] for o in portal.objects("deals")}
    assert stored == {f"k{i}" for i in created}
    by_index = report.by_index()
    for outcome in result.outcomes:
        if outcome.status == "failed":
            assert outcome.input is inputs[outcome.index]
            assert outcome.code == by_index[outcome.index][0].code
            error = outcome.error
            assert isinstance(error, (BadRequestError, ConflictError))
            names = {d.context["propertyName"][0] for d in error.errors}
            assert names == {p.property for p in by_index[outcome.index]}
    conflict = result.outcomes[49].error
    assert isinstance(conflict, ConflictError)
    assert conflict.status == 409


async def test_without_validate_the_refused_inputs_are_sent(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    inputs = _inputs(20)
    result = await crm.objects.create_many("deals", inputs)
    failed = {o.index for o in result.outcomes if o.status == "failed"}
    assert failed == {3, 10, 17}
    # HubSpot answered each refusal itself
    assert all(isinstance(o.error, BadRequestError) for o in result.errors)


def test_the_blocking_client_validates_too(portal: Emulator, sync_crm: HubCRM) -> None:
    inputs = _inputs(10)
    report = sync_crm.objects.validate("deals", inputs)
    assert report.refused == {3}
    result = sync_crm.objects.create_many("deals", inputs, validate=True)
    assert [o.status for o in result.outcomes].count("created") == 9
    assert result.outcomes[3].code == "INVALID_INTEGER"
    assert portal.count("deals") == 9
