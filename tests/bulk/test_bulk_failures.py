"""One input, one callback, one iterator never sinks a bulk run (docs/guides/bulk.md).

- An input that cannot be sent fails alone, with an error naming the property.
- An exception from the caller's code (the input iterable, ``on_progress``) stops the
  run: no more inputs are taken, the requests in flight finish, and every outcome
  already known reaches the caller (``BulkRunError.result`` from ``create_many``; the
  outcomes first, then the exception itself, from ``iter_create_many``).
- Nothing arrives wrapped in an ``ExceptionGroup``.
"""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator, Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

import hubcrm._write.engine
from hubcrm import (
    AsyncHubCRM,
    BulkOutcome,
    BulkProgress,
    BulkRunError,
    HubCRM,
    HubCRMError,
    ObjectInput,
    OutcomeUnknownError,
)
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


def _deal(i: int) -> dict[str, Any]:
    return {"dealname": f"deal-{i}", "dealstage": "appointmentscheduled", "pipeline": "default"}


def _client(emu: Emulator) -> AsyncHubCRM:
    return AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=None)


def _stored(emu: Emulator) -> set[str]:
    return {o["properties"]["dealname"] for o in emu.objects("deals")}


class _Boom(Exception):
    """The caller's own exception."""


def _raising_after(n: int, error: Exception) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield _deal(i)
    raise error


async def _collect(outcomes: AsyncIterator[BulkOutcome], into: list[BulkOutcome]) -> None:
    async for outcome in outcomes:
        into.append(outcome)


class _ExplodingMapping(Mapping[str, Any]):
    """An input of the caller's whose methods raise."""

    def __getitem__(self, key: str) -> Any:
        raise _Boom("no")

    def __iter__(self) -> Iterator[str]:
        raise _Boom("no")

    def __len__(self) -> int:
        return 1


# --- inputs that cannot be sent ----------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_inputs_that_cannot_be_sent_fail_alone_naming_the_property(
    hubspot_emulator: Emulator,
) -> None:
    rows: list[Any] = [_deal(i) for i in range(250)]
    bad = {
        20: {**_deal(20), "dealname": "deal-\ud800"},  # a lone surrogate: valid JSON, no UTF-8
        120: {**_deal(120), "amount": 10**5000},  # longer than Python formats an int
        121: {**_deal(121), "amount": Decimal("1e999999999")},  # a billion digits
        122: {**_deal(122), "description": "x\udfff"},
        200: _ExplodingMapping(),  # its own exception
    }
    for index, row in bad.items():
        rows[index] = row
    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("deals", rows)
    assert result.total == 250
    assert [e.index for e in result.errors] == sorted(bad)
    assert all(e.status == "failed" for e in result.errors)
    messages = {e.index: str(e.error) for e in result.errors}
    assert messages[20].startswith("property 'dealname': the text holds a lone surrogate")
    assert messages[120].startswith("property 'amount': an int of about 5001 digits")
    assert messages[121].startswith("property 'amount': a Decimal of 1000000000 digits")
    assert messages[122].startswith("property 'description': the text holds a lone surrogate")
    assert isinstance(result.outcomes[200].error, _Boom)
    assert result.created == 245
    assert _stored(hubspot_emulator) == {f"deal-{i}" for i in range(250) if i not in bad}


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_an_input_changed_after_it_was_checked_fails_alone(
    hubspot_emulator: Emulator,
) -> None:
    # ObjectInput is frozen but its properties dict is not: a value changed after the
    # input was checked is caught when its batch's body cannot be encoded, before
    # anything is sent; the batch's other inputs are then sent without it.
    changed = ObjectInput(_deal(7))
    rows: list[Any] = [_deal(i) for i in range(30)]
    rows[7] = changed

    def source() -> Iterator[Any]:
        for i, row in enumerate(rows):
            if i == 8:
                changed.properties["dealname"] = "deal-7 \ud800"
            yield row

    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("deals", source(), batch_size=10, concurrency=1)
    assert [(e.index, e.status) for e in result.errors] == [(7, "failed")]
    assert isinstance(result.outcomes[7].error, ValueError)
    assert str(result.outcomes[7].error).startswith("property 'dealname': the text holds")
    assert result.created == 29
    assert _stored(hubspot_emulator) == {f"deal-{i}" for i in range(30) if i != 7}


# --- the caller's code raises: create_many ------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, None])
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_an_iterable_that_raises_gives_every_known_outcome(
    hubspot_emulator: Emulator, concurrency: int | None
) -> None:
    boom = _Boom("the source broke")
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(BulkRunError) as info:
            await crm.objects.create_many(
                "deals", _raising_after(500, boom), concurrency=concurrency
            )
    error = info.value
    assert error.__cause__ is boom
    assert "the input iterable raised _Boom" in str(error)
    result = error.result
    assert result.total == 500
    assert [o.index for o in result.outcomes] == list(range(500))
    assert result.created == hubspot_emulator.count("deals")
    assert {r.properties["dealname"] for r in result.results if r} == _stored(hubspot_emulator)
    # Sent before the iterable raised: created. Taken but not yet sent: not attempted.
    assert result.created + result.not_attempted == 500
    if concurrency == 1:  # one batch at a time: each was sent before the next was taken
        assert result.created == 500
    assert result.stopped_by is error
    assert not result.ok


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_inputs_taken_but_not_sent_when_the_iterable_raises_are_not_attempted(
    hubspot_emulator: Emulator,
) -> None:
    boom = _Boom("the source broke")
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(BulkRunError) as info:
            await crm.objects.create_many(
                "deals", _raising_after(25, boom), batch_size=10, concurrency=1
            )
    result = info.value.result
    assert result.total == 25
    assert result.created == 20 == hubspot_emulator.count("deals")  # two full batches
    assert [e.index for e in result.errors] == list(range(20, 25))
    assert all(e.status == "not_attempted" and e.error is boom for e in result.errors)
    assert result.not_attempted_inputs() == [_deal(i) for i in range(20, 25)]


@pytest.mark.parametrize("error", [ValueError("bad row"), TypeError("bad type")])
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_value_or_type_error_from_the_iterable_is_never_in_a_group(
    hubspot_emulator: Emulator, error: Exception
) -> None:
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(BulkRunError) as info:
            await crm.objects.create_many("deals", _raising_after(0, error))
    assert info.value.__cause__ is error
    assert info.value.result.total == 0
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_on_progress_that_raises_stops_the_run_and_loses_no_outcome(
    hubspot_emulator: Emulator,
) -> None:
    calls: list[BulkProgress] = []

    def on_progress(progress: BulkProgress) -> None:
        calls.append(progress)
        raise KeyError("the dashboard is gone")

    rows = (_deal(i) for i in range(5000))
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(BulkRunError) as info:
            await crm.objects.create_many(
                "deals", rows, batch_size=100, concurrency=2, on_progress=on_progress
            )
    assert len(calls) == 1  # never called again
    assert isinstance(info.value.__cause__, KeyError)
    assert "on_progress raised KeyError" in str(info.value)
    result = info.value.result
    # Inputs stopped being taken: at most the batches in flight, and a batch assembled.
    assert 0 < result.total <= 400
    assert result.created == hubspot_emulator.count("deals")
    assert result.created + result.not_attempted == result.total
    assert {r.properties["dealname"] for r in result.results if r} == _stored(hubspot_emulator)
    assert next(rows)["dealname"] == f"deal-{result.total}"  # the rest is left in the iterator


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_on_progress_raising_at_the_end_keeps_the_whole_result(
    hubspot_emulator: Emulator,
) -> None:
    def on_progress(progress: BulkProgress) -> None:
        if progress.done == 150:
            raise _Boom("last call")

    async with _client(hubspot_emulator) as crm:
        with pytest.raises(BulkRunError) as info:
            await crm.objects.create_many(
                "deals", [_deal(i) for i in range(150)], on_progress=on_progress
            )
    assert info.value.result.created == 150 == hubspot_emulator.count("deals")


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_an_unexpected_error_in_a_batch_is_accounted_for_not_grouped(
    hubspot_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = hubcrm._write.engine.map_batch_answer
    calls = 0

    def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(hubcrm._write.engine, "map_batch_answer", flaky)
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(BulkRunError) as info:
            await crm.objects.create_many(
                "deals", [_deal(i) for i in range(300)], batch_size=100, concurrency=1
            )
    result = info.value.result
    assert isinstance(info.value.__cause__, RuntimeError)
    assert result.created == 100
    # The second batch was sent (and stored) but its answer was not read: unknown.
    assert [o.status for o in result.outcomes[100:200]] == ["unknown"] * 100
    assert isinstance(result.outcomes[100].error, OutcomeUnknownError)
    assert result.total == result.created + result.unknown + result.not_attempted


# --- the caller's code raises: iter_create_many -------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_iter_create_many_yields_every_known_outcome_then_raises_the_original(
    hubspot_emulator: Emulator,
) -> None:
    boom = ValueError("the source broke")
    seen: list[BulkOutcome] = []
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(ValueError, match="the source broke") as info:
            await _collect(
                crm.objects.iter_create_many("deals", _raising_after(250, boom), concurrency=1),
                seen,
            )
    assert info.value is boom  # itself: not wrapped, not in a group
    assert sorted(o.index for o in seen) == list(range(250))
    assert sum(o.ok for o in seen) == 200 == hubspot_emulator.count("deals")
    # The batch being filled when the iterable raised was never sent.
    assert sorted(o.index for o in seen if not o.ok) == list(range(200, 250))
    assert all(o.status == "not_attempted" and o.error is boom for o in seen if not o.ok)


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_iter_create_many_with_on_progress_raising(hubspot_emulator: Emulator) -> None:
    def on_progress(progress: BulkProgress) -> None:
        raise TypeError("wrong signature")

    async def rows() -> AsyncIterator[dict[str, Any]]:
        for i in range(1000):
            yield _deal(i)

    seen: list[BulkOutcome] = []
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(TypeError, match="wrong signature"):
            await _collect(
                crm.objects.iter_create_many(
                    "deals", rows(), concurrency=2, on_progress=on_progress
                ),
                seen,
            )
    assert sorted(o.index for o in seen) == list(range(len(seen)))
    assert sum(o.ok for o in seen) == hubspot_emulator.count("deals") > 0
    assert all(o.ok or o.status == "not_attempted" for o in seen)


def test_the_blocking_client_raises_the_same(hubspot_emulator: Emulator) -> None:
    boom = _Boom("x")
    with HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None) as crm:
        with pytest.raises(BulkRunError) as info:
            crm.objects.create_many(
                "deals", _raising_after(120, boom), batch_size=10, concurrency=1
            )
        assert info.value.result.created == 120
        seen: list[BulkOutcome] = []
        with pytest.raises(_Boom):
            seen.extend(crm.objects.iter_create_many("deals", _raising_after(30, boom)))
    assert sorted(o.index for o in seen) == list(range(30))
    assert hubspot_emulator.count("deals") == 120 + sum(o.ok for o in seen)


def test_bulk_run_error_is_a_hubcrm_error_and_survives_pickle() -> None:
    outcome = BulkOutcome(0, {"dealname": "a"}, "not_attempted", error=_Boom("x"))
    error = BulkRunError("stopped", outcomes=[outcome])
    assert isinstance(error, HubCRMError)
    assert error.result.stopped_by is error
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is BulkRunError
    assert str(copy) == "stopped"
    assert copy.result.stopped_by is copy
    assert copy.result.outcomes[0].input == {"dealname": "a"}
