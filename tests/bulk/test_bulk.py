"""Bulk creation against the emulator: every input accounted for, asserting counts.

These are the promises of docs/guides/bulk.md: each input ends as exactly one outcome
(created, failed, unknown or not attempted), matched to its input by trace id; bad rows
never sink their neighbours; nothing is created twice; inputs stream with bounded memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from support_time import VirtualTime, wait_until

from hubcrm import (
    AsyncHubCRM,
    BulkOutcome,
    BulkProgress,
    BulkResult,
    ConflictError,
    DailyLimitError,
    HubCRM,
    HubCRMError,
    OutcomeUnknownError,
)
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


def _contact(i: int) -> dict[str, str]:
    return {"email": f"c{i}@example.com", "firstname": f"First{i}", "lastname": f"Last{i}"}


def _deal(i: int) -> dict[str, str]:
    return {"dealname": f"deal-{i}", "dealstage": "appointmentscheduled", "pipeline": "default"}


def _client(emu: Emulator, **kwargs: object) -> AsyncHubCRM:
    kwargs.setdefault("rate_limit", None)
    return AsyncHubCRM(emu.token, base_url=emu.base_url, **kwargs)  # type: ignore[arg-type]


def _assert_accounted(result: BulkResult, n: int) -> None:
    assert result.total == n
    assert [o.index for o in result.outcomes] == list(range(n))  # one each, in input order
    assert len(result.results) == n
    with_record = [i for i, r in enumerate(result.results) if r is not None]
    without = [e.index for e in result.errors]
    assert sorted(with_record + without) == list(range(n))  # exactly one outcome each
    assert result.created == len(with_record)
    assert result.failed + result.unknown + result.not_attempted == len(without)


# --- the big run ------------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_20000_contacts_each_input_has_its_own_record(hubspot_emulator: Emulator) -> None:
    inputs = [_contact(i) for i in range(20_000)]
    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("contacts", inputs)
    _assert_accounted(result, 20_000)
    assert result.ok
    assert result.created == 20_000
    assert result.errors == []
    for i, record in enumerate(result.results):
        assert record is not None
        assert record.properties["email"] == inputs[i]["email"]  # mapped by trace id
        assert record.properties["firstname"] == f"First{i}"
    assert hubspot_emulator.count("contacts") == 20_000
    assert len({r.id for r in result.results if r is not None}) == 20_000
    stats = hubspot_emulator.stats
    assert stats.requests_by_operation == {"batch_create": 200}  # 100 per request


# --- bad rows ---------------------------------------------------------------------------------

BAD_KINDS = ("bad email", "unknown property", "non-midnight date", "duplicate email")
EXPECTED_CODE = {
    "bad email": "INVALID_EMAIL",
    "unknown property": "PROPERTY_DOESNT_EXIST",
    "non-midnight date": "INVALID_DATE",
    "duplicate email": "CONFLICT",
}


def _rows_with_5_percent_bad(n: int) -> tuple[list[dict[str, str]], dict[int, str]]:
    """Every 20th row is bad, cycling through the four kinds."""
    rows = [_contact(i) for i in range(n)]
    bad: dict[int, str] = {}
    for k, i in enumerate(range(7, n, 20)):
        kind = BAD_KINDS[k % 4]
        bad[i] = kind
        if kind == "bad email":
            rows[i]["email"] = f"not-an-email-{i}"
        elif kind == "unknown property":
            rows[i]["favourite_colour"] = "teal"
        elif kind == "non-midnight date":
            rows[i]["date_of_birth"] = "1990-05-17T18:31:29.103Z"
        else:
            rows[i]["email"] = rows[i - 3]["email"].upper()  # an earlier row's email
    return rows, bad


def _check_bad_rows(
    result: BulkResult, rows: list[dict[str, str]], bad: dict[int, str], emu: Emulator
) -> None:
    _assert_accounted(result, len(rows))
    assert result.unknown == result.not_attempted == 0
    assert result.failed == len(bad) == len(rows) // 20
    assert {e.index: e.code for e in result.errors} == {i: EXPECTED_CODE[k] for i, k in bad.items()}
    for e in result.errors:
        assert e.status == "failed"
        assert e.input is rows[e.index]
        if bad[e.index] == "duplicate email":
            assert isinstance(e.error, ConflictError)
            first = result.results[e.index - 3]  # the earlier row won: it came first
            assert first is not None
            assert e.error.existing_id == first.id
    for i, record in enumerate(result.results):
        if i not in bad:
            assert record is not None
            assert record.properties["email"] == rows[i]["email"]
    stored = Counter(o["properties"]["email"] for o in emu.objects("contacts"))
    assert len(stored) == len(rows) - len(bad)
    assert set(stored.values()) == {1}  # nothing created twice


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_one_bad_row_per_batch_costs_only_itself(hubspot_emulator: Emulator) -> None:
    rows, bad = _rows_with_5_percent_bad(4000)
    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("contacts", rows)
    _check_bad_rows(result, rows, bad, hubspot_emulator)
    # 40 full batches, plus the batches the duplicates waited for: no bisecting needed.
    assert hubspot_emulator.stats.requests_by_operation["batch_create"] <= 40 + 50


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_single_mode_gives_the_same_outcomes(hubspot_emulator: Emulator) -> None:
    rows, bad = _rows_with_5_percent_bad(1000)
    async with _client(hubspot_emulator) as crm:
        single = await crm.objects.create_many("contacts", rows, mode="single")
    _check_bad_rows(single, rows, bad, hubspot_emulator)
    assert hubspot_emulator.stats.requests_by_operation == {"create": 1000}
    hubspot_emulator.reset()
    async with _client(hubspot_emulator) as crm:
        batch = await crm.objects.create_many("contacts", rows)
    assert [(e.index, e.status, e.code) for e in single.errors] == [
        (e.index, e.status, e.code) for e in batch.errors
    ]
    assert [r is None for r in single.results] == [r is None for r in batch.results]


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_batch_rejected_as_a_whole_is_split_and_good_rows_created_once(
    hubspot_emulator: Emulator,
) -> None:
    hubspot_emulator.faults.error_before(400, times=1, operation="batch_create")
    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("deals", [_deal(i) for i in range(10)])
    assert result.ok
    assert hubspot_emulator.count("deals") == 10
    assert hubspot_emulator.stats.requests_by_operation["batch_create"] == 3  # whole, 2 halves


# --- faults and limits ------------------------------------------------------------------------


def _arm_faults(emu: Emulator, object_type: str) -> None:
    emu.faults.error_before(503, probability=0.05, object_type=object_type)
    emu.faults.error_after(502, probability=0.02, object_type=object_type)
    emu.faults.disconnect_after(probability=0.01, object_type=object_type)
    emu.faults.timeout_after(3.0, probability=0.01, object_type=object_type)


@pytest.mark.hubspot_emulator(rate_limit=(20, 1.0), seed=5)
async def test_under_faults_and_a_limit_upserts_exist_exactly_once(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    _arm_faults(hubspot_emulator, "contacts")
    inputs = [_contact(i) for i in range(3000)]
    client = AsyncHubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, timeout=1.0, max_retries=6
    )
    async with virtual_time.install(client) as crm:
        result = await crm.objects.upsert_many("contacts", inputs, id_property="email")
    faults = [r for r in hubspot_emulator.faults.log if r.object_type == "contacts"]
    print(f"\nupserts under faults: {Counter(r.kind for r in faults)}, {result.updated} updated")
    assert len(faults) >= 3  # the run really was under fire
    _assert_accounted(result, 3000)
    assert result.ok
    stored = Counter(o["properties"]["email"] for o in hubspot_emulator.objects("contacts"))
    assert stored == Counter(row["email"] for row in inputs)  # each exactly once
    # A retried upsert after a committed attempt finds its own record, made moments
    # ago: whether this run made it cannot be told, so new is None, never False.
    assert result.updated == sum(1 for o in result.outcomes if o.ok and o.new is None)
    assert not any(o.new is False for o in result.outcomes)


@pytest.mark.hubspot_emulator(rate_limit=(20, 1.0), seed=11)
async def test_under_faults_and_a_limit_deals_are_never_duplicated(
    hubspot_emulator: Emulator,
) -> None:
    _arm_faults(hubspot_emulator, "deals")
    inputs = [_deal(i) for i in range(3000)]
    async with AsyncHubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, timeout=1.0
    ) as crm:
        result = await crm.objects.create_many("deals", inputs, batch_size=20)
    faults = [r for r in hubspot_emulator.faults.log if r.object_type == "deals"]
    print(f"\ndeal batches under faults: {Counter(r.kind for r in faults)}")
    assert len(faults) >= 3
    _assert_accounted(result, 3000)
    names = Counter(o["properties"]["dealname"] for o in hubspot_emulator.objects("deals"))
    assert set(names.values()) == {1}  # no duplicates
    # Each faulted batch is 20 unknown outcomes, neither resent nor guessed at.
    assert result.unknown == len(faults) * 20
    assert result.failed == result.not_attempted == 0
    assert result.created == 3000 - len(faults) * 20
    committed = {i for r in faults for i in r.ids}  # stored although their answer was lost
    assert len(names) == result.created + len(committed)
    for e in result.errors:
        assert isinstance(e.error, OutcomeUnknownError)
        assert e.error.input is not None
        assert e.error.input.properties["dealname"] == inputs[e.index]["dealname"]


@pytest.mark.hubspot_emulator(rate_limit=None, daily_limit=7)
async def test_daily_limit_stops_pulling_and_reports_the_rest_as_not_attempted(
    hubspot_emulator: Emulator,
) -> None:
    source = iter([_contact(i) for i in range(2000)])
    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("contacts", source, batch_size=100, concurrency=2)
    assert isinstance(result.stopped_by, DailyLimitError)
    assert not result.ok
    _assert_accounted(result, result.total)
    assert result.created == hubspot_emulator.count("contacts") == 700
    assert result.failed == result.unknown == 0
    assert result.total <= 700 + 2 * 100 + 100
    assert all(e.status == "not_attempted" for e in result.errors)
    # Tomorrow: the not attempted inputs, then what is left of the iterator.
    hubspot_emulator.set_rate_limit(None, daily_limit=None)
    async with _client(hubspot_emulator) as crm:
        rest = await crm.objects.create_many(
            "contacts", itertools.chain(result.not_attempted_inputs(), source)
        )
    assert rest.ok
    emails = Counter(o["properties"]["email"] for o in hubspot_emulator.objects("contacts"))
    assert emails == Counter(f"c{i}@example.com" for i in range(2000))


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_upsert_says_which_records_were_new(hubspot_emulator: Emulator) -> None:
    async with _client(hubspot_emulator) as crm:
        await crm.objects.create("contacts", {"email": "c1@example.com", "firstname": "Old"})
        result = await crm.objects.upsert_many(
            "contacts", [_contact(i) for i in range(3)], id_property="email"
        )
    assert [(o.status, o.new) for o in result.outcomes] == [
        ("created", True),
        ("updated", False),
        ("created", True),
    ]
    assert (result.created, result.updated) == (3, 1)
    assert hubspot_emulator.count("contacts") == 3


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_unsendable_inputs_fail_alone_and_progress_is_reported(
    hubspot_emulator: Emulator,
) -> None:
    rows: list[object] = [_contact(i) for i in range(300)]
    rows[3] = {"email": float("nan")}
    rows[4] = "not a mapping"
    seen: list[BulkProgress] = []
    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("contacts", rows, on_progress=seen.append)  # type: ignore[arg-type]
    assert [(e.index, e.code) for e in result.errors] == [(3, "ValueError"), (4, "TypeError")]
    assert result.created == 298
    assert seen
    assert (seen[-1].done, seen[-1].total, seen[-1].created, seen[-1].failed) == (300, 300, 298, 2)


# --- streaming --------------------------------------------------------------------------------


def _bulk_tasks() -> list[asyncio.Task[object]]:
    return [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "cr_code", None) is not None
        and t.get_coro().cr_code.co_filename.endswith("_bulk.py")  # type: ignore[union-attr]
    ]


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_million_inputs_stream_with_bounded_pulls(hubspot_emulator: Emulator) -> None:
    pulled = 0

    def million() -> Iterator[dict[str, str]]:
        nonlocal pulled
        for i in range(1_000_000):
            pulled += 1
            yield _deal(i)

    concurrency, batch_size = 8, 100
    async with _client(hubspot_emulator) as crm:
        stream = crm.objects.iter_create_many(
            "deals", million(), batch_size=batch_size, concurrency=concurrency
        )
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            outcomes: list[BulkOutcome] = []
            async for outcome in stream:
                outcomes.append(outcome)
                assert pulled <= len(outcomes) + concurrency * batch_size
                if len(outcomes) == 50_000:
                    break
        assert _bulk_tasks() == []  # nothing left running
    assert pulled <= 50_000 + concurrency * batch_size
    assert all(o.ok for o in outcomes)
    assert len({o.index for o in outcomes}) == 50_000
    for o in outcomes[:1000]:
        assert o.object is not None
        assert o.object.properties["dealname"] == f"deal-{o.index}"
    assert 50_000 <= hubspot_emulator.count("deals") <= pulled


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_async_iterable_input_and_cancellation_leave_no_tasks(
    hubspot_emulator: Emulator,
) -> None:
    async def rows() -> AsyncIterator[dict[str, str]]:
        for i in range(100_000):
            yield _deal(i)

    async with _client(hubspot_emulator) as crm:
        run = asyncio.ensure_future(crm.objects.create_many("deals", rows(), concurrency=4))
        await wait_until(lambda: hubspot_emulator.count("deals") > 0, "some batches landed")
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        assert _bulk_tasks() == []
    names = Counter(o["properties"]["dealname"] for o in hubspot_emulator.objects("deals"))
    assert 0 < len(names) < 100_000  # cancelled mid-run, after some batches landed
    assert set(names.values()) == {1}  # nothing created twice on the way out


# --- sync twins -------------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_sync_twins_give_identical_results(hubspot_emulator: Emulator) -> None:
    rows, bad = _rows_with_5_percent_bad(1000)
    with HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm:
        sync_result = crm.objects.create_many("contacts", rows)
        hubspot_emulator.reset()
        sync_outcomes = sorted(
            (o.index, o.status) for o in crm.objects.iter_create_many("contacts", rows)
        )
    _check_bad_rows(sync_result, rows, bad, hubspot_emulator)

    async def run_async() -> tuple[BulkResult, list[tuple[int, str]]]:
        hubspot_emulator.reset()
        async with AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as c:
            result = await c.objects.create_many("contacts", rows)
            hubspot_emulator.reset()
            outcomes: list[tuple[int, str]] = sorted(
                [(o.index, o.status) async for o in c.objects.iter_create_many("contacts", rows)]
            )
        return result, outcomes

    async_result, async_outcomes = asyncio.run(run_async())
    assert [(e.index, e.status, e.code) for e in sync_result.errors] == [
        (e.index, e.status, e.code) for e in async_result.errors
    ]
    assert [r and r.properties["email"] for r in sync_result.results] == [
        r and r.properties["email"] for r in async_result.results
    ]
    assert sync_outcomes == async_outcomes
    assert len(sync_outcomes) == 1000


def test_bulk_reprs_never_show_property_values() -> None:
    outcome = BulkOutcome(0, {"email": "ada@example.com"}, "failed", None, HubCRMError("x"))
    result = BulkResult(outcomes=[outcome])
    for text in (repr(outcome), repr(result), repr(result.errors)):
        assert "ada@example.com" not in text
        assert "'email'" in text


def test_sync_iter_create_many_checks_its_arguments_when_called(
    hubspot_emulator: Emulator,
) -> None:
    with (
        HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm,
        pytest.raises(ValueError, match="batch_size"),
    ):
        crm.objects.iter_create_many("contacts", [], batch_size=500)
    assert hubspot_emulator.stats.requests == 0
