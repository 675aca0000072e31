"""Testing your own code against the HubSpot emulator with the ``hubspot_emulator`` fixture.

Run it with ``pytest examples/test_with_emulator.py``. The fixture comes with hubcrm
(nothing to add to ``conftest.py``): a fresh local HubSpot per test, on a background
thread, so it serves sync and async tests alike. ``@pytest.mark.hubspot_emulator(...)``
passes keyword arguments to ``hubcrm.testing.Emulator``; ``hubspot_emulator.faults``
injects the failures that are hard to provoke against the real HubSpot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubcrm import Association, AssociationType, AsyncHubCRM, HubCRM, OutcomeUnknownError
from hubcrm.testing import Emulator

DEAL = {"dealname": "Big one", "dealstage": "appointmentscheduled", "pipeline": "default"}


@pytest.fixture
def anyio_backend() -> str:
    """hubcrm runs on asyncio; anyio's plugin before 4.12 would also try trio."""
    return "asyncio"


@pytest.fixture
def crm(hubspot_emulator: Emulator) -> Iterator[HubCRM]:
    with HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as client:
        yield client


def test_contact_is_stored(crm: HubCRM, hubspot_emulator: Emulator) -> None:
    contact = crm.objects.create("contacts", {"email": "Ada@Example.com", "firstname": "Ada"})

    (stored,) = hubspot_emulator.objects("contacts")
    assert stored["id"] == contact.id
    assert stored["properties"]["email"] == "ada@example.com"  # HubSpot lower-cases it


@pytest.mark.anyio
async def test_async_deal_with_a_contact(hubspot_emulator: Emulator) -> None:
    async with AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm:
        contact = await crm.objects.create("contacts", {"email": "grace@example.com"})
        await crm.objects.create(
            "deals", DEAL, associations=[Association(contact.id, AssociationType.DEAL_TO_CONTACT)]
        )

    (deal,) = hubspot_emulator.objects("deals")
    assert [link["toObjectId"] for link in deal["associations"]] == [contact.id]


@pytest.mark.hubspot_emulator(rate_limit=(4, 1.0))  # 4 requests per rolling second
def test_client_holds_the_rate_limit(crm: HubCRM, hubspot_emulator: Emulator) -> None:
    for i in range(10):
        crm.objects.create("contacts", {"email": f"user{i}@example.com"})

    # Ten requests, ten 201s and no 429: hubcrm waited for the window instead.
    assert hubspot_emulator.stats.responses_by_status == {201: 10}
    assert crm.stats.rate_limit_wait > 0


def test_deal_whose_answer_is_lost_is_not_resent(crm: HubCRM, hubspot_emulator: Emulator) -> None:
    hubspot_emulator.faults.error_after(502, operation="create", object_type="deals")

    with pytest.raises(OutcomeUnknownError) as excinfo:
        crm.objects.create("deals", DEAL)

    # HubSpot made the deal but its answer was lost: hubcrm says so rather than guess,
    # and does not send it again (that would make a second deal).
    assert hubspot_emulator.count("deals") == 1
    assert excinfo.value.input is not None
    assert excinfo.value.input.properties["dealname"] == "Big one"


def test_contact_whose_answer_is_lost_is_recovered(crm: HubCRM, hubspot_emulator: Emulator) -> None:
    hubspot_emulator.faults.error_after(502, operation="create", object_type="contacts")

    # A contact's email is unique, so a retry cannot duplicate it: hubcrm resends and
    # gets HubSpot's 409 naming the contact its first attempt made.
    contact = crm.objects.create("contacts", {"email": "alan@example.com"})

    (fault,) = hubspot_emulator.faults.log
    assert fault.ids == (contact.id,)
    assert hubspot_emulator.count("contacts") == 1
