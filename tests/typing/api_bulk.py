"""Bulk creation as users' type checkers see it: create_many, upsert_many,
iter_create_many, their results, and a run stopped by the caller's own code.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Mapping
from typing import TYPE_CHECKING, Literal

from hubcrm import (
    AsyncHubCRM,
    BulkInput,
    BulkInputs,
    BulkOutcome,
    BulkProgress,
    BulkResult,
    BulkRunError,
    CrmObject,
    HubCRM,
    HubCRMError,
    ObjectInput,
    PropertyValue,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type


def progress(p: BulkProgress) -> None:
    assert_type(p.done, int)
    assert_type(p.created, int)
    assert_type(p.failed, int)
    assert_type(p.unknown, int)
    assert_type(p.not_attempted, int)
    assert_type(p.total, int | None)
    assert_type(p.elapsed, float)
    assert_type(p.rate, float)


Status = Literal["created", "updated", "failed", "unknown", "not_attempted"]


def result(r: BulkResult) -> None:
    assert_type(r.outcomes, list[BulkOutcome])
    assert_type(r.results, list[CrmObject | None])
    assert_type(r.errors, list[BulkOutcome])
    assert_type(r.created, int)
    assert_type(r.updated, int)
    assert_type(r.failed, int)
    assert_type(r.unknown, int)
    assert_type(r.not_attempted, int)
    assert_type(r.total, int)
    assert_type(r.stopped_by, HubCRMError | None)
    assert_type(r.ok, bool)
    assert_type(r.not_attempted_inputs(), list[BulkInput])
    for error in r.errors:
        assert_type(error.index, int)
        assert_type(error.input, ObjectInput | Mapping[str, PropertyValue])
        assert_type(error.error, Exception | None)
        assert_type(error.attempted, bool)
        assert_type(error.status, Status)
        assert_type(error.code, str | None)
    made = BulkResult(outcomes=[BulkOutcome(0, {"email": "a@example.com"}, "failed")])
    assert_type(made, BulkResult)
    assert_type(BulkResult(outcomes=[], stopped_by=None).ok, bool)


def outcome(o: BulkOutcome) -> None:
    assert_type(o.index, int)
    assert_type(o.input, BulkInput)
    assert_type(o.object, CrmObject | None)
    assert_type(o.error, Exception | None)
    assert_type(o.new, bool | None)
    assert_type(o.read_back, bool)
    assert_type(o.attempted, bool)
    assert_type(o.status, Status)
    assert_type(o.ok, bool)
    assert_type(o.code, str | None)
    assert_type(
        BulkOutcome(
            index=0,
            input=ObjectInput({"email": "a@example.com"}),
            status="created",
            object=None,
            error=None,
            new=True,
            read_back=False,
        ),
        BulkOutcome,
    )


def stopped(e: BulkRunError) -> None:
    """A run that ended because the caller's code (on_progress, the iterable) raised."""
    assert_type(e.result, BulkResult)
    assert_type(e.result.outcomes, list[BulkOutcome])
    assert_type(e.__cause__, BaseException | None)
    assert_type(BulkRunError("stopped", outcomes=[], stopped_by=None), BulkRunError)


async def rows() -> AsyncIterator[Mapping[str, PropertyValue]]:
    for i in range(3):
        yield {"email": f"user{i}@example.com", "employees": i}


async def async_bulk(crm: AsyncHubCRM) -> None:
    inputs: BulkInputs = [ObjectInput({"email": "a@example.com"}), {"email": "b@example.com"}]
    r = await crm.objects.create_many(
        "contacts",
        inputs,
        batch_size=50,
        concurrency=4,
        id_property="email",
        mode="batch",
        on_progress=progress,
    )
    assert_type(r, BulkResult)
    assert_type(await crm.objects.create_many("contacts", rows(), mode="single"), BulkResult)
    upserted = await crm.objects.upsert_many(
        "contacts",
        rows(),
        id_property="email",
        batch_size=100,
        concurrency=None,
        on_progress=progress,
    )
    assert_type(upserted, BulkResult)
    stream = crm.objects.iter_create_many("contacts", rows(), on_progress=print)
    assert_type(stream, AsyncGenerator[BulkOutcome, None])
    async for o in stream:
        assert_type(o, BulkOutcome)
    # An early stop closes the stream, as the docstring suggests.
    async with contextlib.aclosing(crm.objects.iter_create_many("contacts", rows())) as first:
        async for o in first:
            assert_type(o, BulkOutcome)
            break
    try:
        await crm.objects.create_many("contacts", inputs, on_progress=progress)
    except BulkRunError as exc:
        assert_type(exc.result, BulkResult)


def sync_bulk(crm: HubCRM) -> None:
    r = crm.objects.create_many("contacts", ({"email": f"{i}@example.com"} for i in range(3)))
    assert_type(r, BulkResult)
    upserted = crm.objects.upsert_many(
        "contacts", [{"email": "a@example.com"}], id_property="email"
    )
    assert_type(upserted, BulkResult)
    stream = crm.objects.iter_create_many("contacts", [{"email": "a@example.com"}])
    assert_type(stream, Generator[BulkOutcome, None, None])
    for o in stream:
        assert_type(o, BulkOutcome)
    with contextlib.closing(crm.objects.iter_create_many("contacts", [])) as first:
        for o in first:
            assert_type(o, BulkOutcome)
            break
