"""Bulk creation as users' type checkers see it: create_many, iter_create_many, results.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Literal

from hubcrm import (
    AsyncHubCRM,
    BulkError,
    BulkInput,
    BulkInputs,
    BulkOutcome,
    BulkProgress,
    BulkResult,
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


def result(r: BulkResult) -> None:
    assert_type(r.results, list[CrmObject | None])
    assert_type(r.new, list[bool | None])
    assert_type(r.errors, list[BulkError])
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
        assert_type(error.error, Exception)
        assert_type(error.attempted, bool)
        assert_type(error.status, Literal["failed", "unknown", "not_attempted"])
        assert_type(error.code, str | None)


def outcome(o: BulkOutcome) -> None:
    assert_type(o.index, int)
    assert_type(o.input, BulkInput)
    assert_type(o.object, CrmObject | None)
    assert_type(o.error, Exception | None)
    assert_type(o.new, bool | None)
    assert_type(o.attempted, bool)
    assert_type(o.status, Literal["created", "updated", "failed", "unknown", "not_attempted"])
    assert_type(o.ok, bool)


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
    stream = crm.objects.iter_create_many("contacts", rows(), on_progress=print)
    # An AsyncIterator: contextlib.aclosing(stream), which the docstring suggests for an
    # early stop, does not type-check until it is typed as an AsyncGenerator.
    assert_type(stream, AsyncIterator[BulkOutcome])
    async for o in stream:
        assert_type(o, BulkOutcome)


def sync_bulk(crm: HubCRM) -> None:
    r = crm.objects.create_many("contacts", ({"email": f"{i}@example.com"} for i in range(3)))
    assert_type(r, BulkResult)
    stream = crm.objects.iter_create_many("contacts", [{"email": "a@example.com"}])
    assert_type(stream, Iterator[BulkOutcome])
    for o in stream:
        assert_type(o, BulkOutcome)
