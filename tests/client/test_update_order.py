"""update_many applies the updates of one record in input order, however it is named.

A record named by its id and by its email (or by two cases of one email) is one record:
its updates go in successive rounds. The first batch is held back by the emulator, so
were two names of one record in one round, the earlier update would land last.
"""

from __future__ import annotations

import random

import pytest
from support_time import VirtualTime

from hubcrm import AsyncHubCRM, NotFoundError, ObjectUpdate, RetryPolicy, ServerError
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

N = 400


async def _seed(crm: AsyncHubCRM, n: int) -> list[str]:
    made = await crm.objects.create_many(
        "contacts", [{"email": f"r{i}@example.com"} for i in range(n)]
    )
    assert made.ok
    return [record.id for record in made.results if record is not None]


def _email(i: int, variant: int = 0) -> str:
    email = f"r{i}@example.com"
    return email.upper() if variant == 1 else email.capitalize() if variant == 2 else email


def _stored(emu: Emulator) -> dict[str, str | None]:
    return {o["id"]: o["properties"].get("firstname") for o in emu.objects("contacts")}


def _last(updates: list[ObjectUpdate], record_of: dict[str, str]) -> dict[str, str]:
    want: dict[str, str] = {}
    for update in updates:
        want[record_of[update.id.lower()]] = update.properties["firstname"]
    return want


async def test_ids_and_emails_of_one_record_apply_in_input_order(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    ids = await _seed(crm, N)
    rng = random.Random(21)
    updates: list[ObjectUpdate] = []
    for step in range(3):
        block = []
        for i in range(N):
            if step == 2 and i % 4:
                continue  # a quarter of the records are named a third time
            by_id = (i + step) % 2 == 0
            block.append(
                ObjectUpdate(ids[i], {"firstname": f"s{step}"})
                if by_id
                else ObjectUpdate(_email(i, rng.randrange(3)), {"firstname": f"s{step}"},
                                  id_property="email")
            )  # fmt: skip
        updates += block
    updates.append(ObjectUpdate("nobody@example.com", {"firstname": "x"}, id_property="email"))
    record_of = {_email(i): ids[i] for i in range(N)} | {ids[i]: ids[i] for i in range(N)}
    emu.faults.latency(0.3, times=1, operation="batch_update")  # the first batch lands last
    before = dict(emu.stats.requests_by_operation)
    result = await crm.objects.update_many("contacts", updates)
    outcomes = result.outcomes
    assert [o.status for o in outcomes] == ["updated"] * (len(updates) - 1) + ["failed"]
    assert isinstance(outcomes[-1].error, NotFoundError)
    assert all(o.input is u for o, u in zip(outcomes, updates, strict=True))  # as given
    assert all(
        o.object is not None and o.object.id == record_of[u.id.lower()]
        for o, u in zip(outcomes[:-1], updates[:-1], strict=True)
    )
    stored = _stored(emu)
    assert {i: stored[i] for i in ids} == _last(updates[:-1], record_of)
    # 4 reads of 401 distinct emails; rounds of 400, 400 and 100 (+1 unknown email)
    reads = emu.stats.requests_by_operation["batch_read"] - before.get("batch_read", 0)
    writes = emu.stats.requests_by_operation["batch_update"] - before.get("batch_update", 0)
    assert (reads, writes) == (5, 10)


async def test_case_variants_of_an_email_are_one_record_at_no_extra_request(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    ids = await _seed(crm, 150)
    updates = [ObjectUpdate(_email(i), {"firstname": "a"}, id_property="email") for i in range(150)]
    updates += [ObjectUpdate(_email(i, 1), {"firstname": "b"}, id_property="email")
                for i in range(150)]  # fmt: skip
    emu.faults.latency(0.3, times=1, operation="batch_update")
    result = await crm.objects.update_many("contacts", updates)
    assert result.ok
    assert set(_stored(emu).values()) == {"b"}
    assert "batch_read" not in emu.stats.requests_by_operation  # nothing to resolve
    assert emu.stats.requests_by_operation["batch_update"] == 4  # 2 rounds of 100 + 50
    assert len(ids) == 150


async def test_a_run_by_ids_only_reads_nothing(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    emu = hubspot_emulator
    ids = await _seed(crm, 3)
    updates = [ObjectUpdate(i, {"firstname": f"{n}"}) for n in range(2) for i in ids]
    result = await crm.objects.update_many("contacts", updates)
    assert result.ok
    assert set(_stored(emu).values()) == {"1"}
    assert "batch_read" not in emu.stats.requests_by_operation
    assert emu.stats.requests_by_operation["batch_update"] == 2


async def test_an_unknown_id_property_is_refused_as_before(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    ids = await _seed(crm, 2)
    updates = [
        ObjectUpdate(ids[0], {"firstname": "a"}),
        ObjectUpdate("v", {"firstname": "b"}, id_property="no_such_property"),
        ObjectUpdate(_email(1), {"firstname": "c"}, id_property="email"),
    ]
    result = await crm.objects.update_many("contacts", updates)
    assert [o.status for o in result.outcomes] == ["updated", "failed", "updated"]
    assert result.stopped_by is None


async def test_a_run_that_cannot_be_ordered_sends_nothing(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    emu = hubspot_emulator
    fast = virtual_time.install(crm).with_options(retry=RetryPolicy(max_retries=1))
    ids = await _seed(crm, 2)
    emu.faults.error_before(503, times=2, operation="batch_read")
    updates = [
        ObjectUpdate(ids[0], {"firstname": "a"}),
        ObjectUpdate(_email(0), {"firstname": "b"}, id_property="email"),
    ]
    result = await fast.objects.update_many("contacts", updates)
    assert [o.status for o in result.outcomes] == ["not_attempted"] * 2
    assert isinstance(result.stopped_by, ServerError)
    assert "batch_update" not in emu.stats.requests_by_operation
    assert emu.stats.requests_by_operation["batch_read"] == 2
