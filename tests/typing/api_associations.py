"""Associations between existing records as users' type checkers see it:
crm.associations (create, create_many, list, labels, delete, create_label,
update_label, delete_label) and its records.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Literal

from hubcrm import (
    AssociatedRecord,
    AssociationInput,
    AssociationLabel,
    AssociationLink,
    AssociationOutcome,
    Associations,
    AssociationSpec,
    AssociationType,
    AsyncAssociations,
    AsyncHubCRM,
    BatchResult,
    HubCRM,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type


def records(link: AssociationLink, record: AssociatedRecord, label: AssociationLabel) -> None:
    assert_type(link.from_type_id, str)
    assert_type(link.from_id, str)
    assert_type(link.to_type_id, str)
    assert_type(link.to_id, str)
    assert_type(link.labels, tuple[str, ...])
    assert_type(record.to_id, str)
    assert_type(record.types, tuple[AssociationLabel, ...])
    assert_type(label.category, str)
    assert_type(label.type_id, int)
    assert_type(label.label, str | None)
    assert_type(label.spec, AssociationSpec)


def inputs() -> None:
    one = AssociationInput("1", 2, AssociationType.CONTACT_TO_COMPANY)
    assert_type(one.from_id, str)
    assert_type(one.to_id, str)
    assert_type(one.types, tuple[AssociationSpec, ...])
    AssociationInput(1, "2", [279, AssociationSpec(7, "USER_DEFINED")])


def outcome(o: AssociationOutcome) -> None:
    assert_type(o.index, int)
    assert_type(o.input, AssociationInput)
    assert_type(o.status, Literal["created", "failed", "unknown", "not_attempted"])
    assert_type(o.link, AssociationLink | None)
    assert_type(o.error, Exception | None)
    assert_type(o.ok, bool)


async def async_associations(crm: AsyncHubCRM) -> None:
    associations = crm.associations
    assert_type(associations, AsyncAssociations)
    link = await associations.create("contacts", "1", "companies", "2")
    assert_type(link, AssociationLink)
    typed = await associations.create(
        "deals", "3", "contacts", "1", [AssociationType.DEAL_TO_CONTACT, AssociationSpec(7)]
    )
    assert_type(typed, AssociationLink)
    assert_type(await associations.create("deals", "3", "contacts", "1", 3), AssociationLink)
    many = await associations.create_many(
        "contacts",
        "companies",
        [AssociationInput("1", "2", AssociationType.CONTACT_TO_COMPANY)],
        batch_size=100,
        concurrency=2,
    )
    assert_type(many, BatchResult[AssociationOutcome])
    assert_type(many.outcomes, list[AssociationOutcome])
    listed = associations.list("contacts", "1", "companies", page_size=500)
    assert_type(listed, AsyncGenerator[AssociatedRecord, None])
    async for record in listed:
        assert_type(record, AssociatedRecord)
    assert_type(await associations.labels("contacts", "companies"), list[AssociationLabel])
    assert_type(await associations.delete("contacts", "1", "companies", "2"), None)
    made = await associations.create_label(
        "contacts", "companies", "Manager", name="manager", inverse_label="Employer"
    )
    assert_type(made, list[AssociationLabel])
    assert_type(await associations.update_label("contacts", "companies", 7, "Boss"), None)
    assert_type(await associations.delete_label("contacts", "companies", 7), None)


def sync_associations(crm: HubCRM) -> None:
    associations = crm.associations
    assert_type(associations, Associations)
    assert_type(associations.create("contacts", "1", "companies", "2"), AssociationLink)
    many = associations.create_many("contacts", "companies", [AssociationInput("1", "2", 279)])
    assert_type(many, BatchResult[AssociationOutcome])
    listed = associations.list("contacts", "1", "companies")
    assert_type(listed, Generator[AssociatedRecord, None, None])
    for record in listed:
        assert_type(record, AssociatedRecord)
    assert_type(associations.labels("contacts", "companies"), list[AssociationLabel])
    assert_type(associations.delete("contacts", "1", "companies", "2"), None)
    made = associations.create_label("contacts", "companies", "Manager", name="manager")
    assert_type(made, list[AssociationLabel])
    assert_type(
        associations.update_label("contacts", "companies", 7, "Boss", inverse_label="B"), None
    )
    assert_type(associations.delete_label("contacts", "companies", 7), None)
