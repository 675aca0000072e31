"""Changing and archiving records as users' type checkers see it: update, archive,
update_many, archive_many and their BatchResult of UpdateOutcome / ArchiveOutcome.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from hubcrm import (
    ArchiveOutcome,
    AsyncHubCRM,
    BatchResult,
    CrmObject,
    HubCRM,
    HubCRMError,
    ObjectUpdate,
    UpdateOutcome,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type


def object_update() -> None:
    change = ObjectUpdate("42", {"firstname": "Ada", "employees": 12})
    assert_type(change.id, str)
    assert_type(change.properties, dict[str, str])
    assert_type(change.id_property, str | None)
    by_email = ObjectUpdate("ada@example.com", {"lastname": "Lovelace"}, id_property="email")
    assert_type(by_email, ObjectUpdate)
    assert_type(ObjectUpdate(42, {}), ObjectUpdate)  # an int id is turned into a str


def update_outcome(o: UpdateOutcome) -> None:
    assert_type(o.index, int)
    assert_type(o.input, ObjectUpdate)
    assert_type(o.status, Literal["updated", "failed", "unknown", "not_attempted"])
    assert_type(o.object, CrmObject | None)
    assert_type(o.error, Exception | None)
    assert_type(o.ok, bool)


def archive_outcome(o: ArchiveOutcome) -> None:
    assert_type(o.index, int)
    assert_type(o.id, str)
    assert_type(o.status, Literal["archived", "failed", "unknown", "not_attempted"])
    assert_type(o.error, Exception | None)
    assert_type(o.ok, bool)


def batch_result(
    updated: BatchResult[UpdateOutcome], archived: BatchResult[ArchiveOutcome]
) -> None:
    assert_type(updated.outcomes, list[UpdateOutcome])
    assert_type(updated.errors, list[UpdateOutcome])
    assert_type(updated.stopped_by, HubCRMError | None)
    assert_type(updated.ok, bool)
    assert_type(updated.count("updated"), int)
    assert_type(archived.outcomes, list[ArchiveOutcome])
    assert_type(archived.errors, list[ArchiveOutcome])
    assert_type(archived.count("archived"), int)
    made = BatchResult([ArchiveOutcome(0, "42", "archived")], stopped_by=None)
    assert_type(made, BatchResult[ArchiveOutcome])


async def async_update(crm: AsyncHubCRM) -> None:
    changed = await crm.objects.update("contacts", "42", {"firstname": "Ada"})
    assert_type(changed, CrmObject)
    by_email = await crm.objects.update(
        "contacts", "ada@example.com", {"lastname": "Lovelace"}, id_property="email"
    )
    assert_type(by_email, CrmObject)
    assert_type(await crm.objects.archive("contacts", "42"), None)
    updated = await crm.objects.update_many(
        "contacts",
        [ObjectUpdate("1", {"firstname": "A"}), {"id": "2", "properties": {"firstname": "B"}}],
        batch_size=100,
        concurrency=2,
    )
    assert_type(updated, BatchResult[UpdateOutcome])
    archived = await crm.objects.archive_many(
        "contacts", ["1", 2], batch_size=100, concurrency=None
    )
    assert_type(archived, BatchResult[ArchiveOutcome])


def sync_update(crm: HubCRM) -> None:
    assert_type(crm.objects.update("deals", "7", {"amount": 10}), CrmObject)
    assert_type(crm.objects.archive("deals", "7"), None)
    updated = crm.objects.update_many("deals", [ObjectUpdate("7", {"amount": 12})])
    assert_type(updated, BatchResult[UpdateOutcome])
    assert_type(crm.objects.archive_many("deals", ["7", "8"]), BatchResult[ArchiveOutcome])
