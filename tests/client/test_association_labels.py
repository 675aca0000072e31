"""``associations.create_label``, ``update_label`` and ``delete_label`` over HTTP against
the emulator, async and sync; and the associations they make possible."""

from __future__ import annotations

import pytest

from hubcrm import (
    AssociationLabel,
    AsyncHubCRM,
    BadRequestError,
    ConflictError,
    HubCRM,
    NotFoundError,
    OutcomeUnknownError,
)
from hubcrm.testing import Emulator

pytestmark = [pytest.mark.anyio, pytest.mark.hubspot_emulator(rate_limit=None)]


async def _pair(crm: AsyncHubCRM) -> tuple[str, str]:
    contact = await crm.objects.create("contacts", {"email": "ada@example.com"})
    company = await crm.objects.create("companies", {"name": "Acme"})
    return contact.id, company.id


async def test_a_label_is_made_used_renamed_and_deleted(crm: AsyncHubCRM) -> None:
    contact, company = await _pair(crm)
    made = await crm.associations.create_label(
        "contacts", "companies", "Manager", name="manager", inverse_label="Managed company"
    )
    assert [(x.category, x.label) for x in made] == [
        ("USER_DEFINED", "Manager"),
        ("USER_DEFINED", "Managed company"),
    ]
    manager, inverse = made
    assert manager in await crm.associations.labels("contacts", "companies")
    assert inverse in await crm.associations.labels("companies", "contacts")

    link = await crm.associations.create("contacts", contact, "companies", company, manager.spec)
    assert link.labels == ("Manager",)
    seen = [r async for r in crm.associations.list("companies", company, "contacts")]
    assert [(r.to_id, r.types) for r in seen] == [(contact, (inverse,))]

    await crm.associations.update_label(
        "contacts", "companies", manager.type_id, "Boss", inverse_label="Bossed company"
    )
    labels = await crm.associations.labels("contacts", "companies")
    assert AssociationLabel("USER_DEFINED", manager.type_id, "Boss") in labels

    await crm.associations.delete_label("contacts", "companies", manager.type_id)
    assert all(
        x.category == "HUBSPOT_DEFINED"
        for x in await crm.associations.labels("contacts", "companies")
    )
    with pytest.raises(NotFoundError):
        await crm.associations.delete_label("contacts", "companies", manager.type_id)
    with pytest.raises(NotFoundError):
        await crm.associations.update_label("contacts", "companies", manager.type_id, "X")
    # A label that no longer exists cannot be used.
    with pytest.raises(BadRequestError, match="is not valid"):
        await crm.associations.create("contacts", contact, "companies", company, manager.spec)


async def test_a_label_name_is_unique_between_two_types(crm: AsyncHubCRM) -> None:
    await crm.associations.create_label("contacts", "companies", "Owner", name="owner")
    with pytest.raises(ConflictError):
        await crm.associations.create_label("contacts", "companies", "Owner", name="owner")


async def test_arguments_are_checked_before_sending(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    before = hubspot_emulator.stats.requests
    with pytest.raises(ValueError, match="label"):
        await crm.associations.create_label("contacts", "companies", " ", name="x")
    with pytest.raises(ValueError, match="name"):
        await crm.associations.create_label("contacts", "companies", "X", name="")
    with pytest.raises(TypeError, match="association_type_id"):
        await crm.associations.delete_label("contacts", "companies", "7")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        await crm.associations.update_label("contacts", "companies", 0, "X")
    assert hubspot_emulator.stats.requests == before


async def test_an_ambiguous_label_create_is_not_sent_again(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    hubspot_emulator.faults.error_after(502, operation="create_association_label")
    with pytest.raises(OutcomeUnknownError) as caught:
        await crm.associations.create_label("contacts", "companies", "Owner", name="owner")
    assert caught.value.definition == (
        "the association label 'owner' from 'contacts' to 'companies'"
    )
    calls = hubspot_emulator.stats.requests_by_operation
    assert calls.get("create_association_label") == 1
    # It was made: the label is there.
    labels = await crm.associations.labels("contacts", "companies")
    assert [x.label for x in labels if x.category == "USER_DEFINED"] == ["Owner"]


def test_sync_client(sync_crm: HubCRM) -> None:
    made = sync_crm.associations.create_label("contacts", "deals", "Buyer", name="buyer")
    assert made[0] in sync_crm.associations.labels("contacts", "deals")
    sync_crm.associations.update_label("contacts", "deals", made[0].type_id, "Payer")
    assert sync_crm.associations.labels("contacts", "deals")[-1].label == "Payer"
    sync_crm.associations.delete_label("contacts", "deals", made[0].type_id)
    assert made[0].type_id not in {
        x.type_id for x in sync_crm.associations.labels("contacts", "deals")
    }
