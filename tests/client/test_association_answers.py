"""``associations.create_many`` reads each entry of a 207 by its class, end to end: the
emulator commits the links, then answers with the body the test gives."""

from __future__ import annotations

from typing import Any

import pytest

from hubcrm import (
    AssociationInput,
    AssociationType,
    AsyncHubCRM,
    BadRequestError,
    HubCRMError,
    RateLimitError,
    ServerError,
)
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


def _entry(from_id: str, to_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": "m",
        "context": {"fromObjectId": [from_id], "toObjectId": [to_id]},
        **fields,
    }


async def test_rate_limited_and_5xx_entries_of_a_207_keep_their_class(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    made = await crm.objects.create_many(
        "contacts", [{"email": f"p{i}@example.com"} for i in range(4)]
    )
    ids = [r.id for r in made.results if r is not None]
    company = await crm.objects.create("companies", {"name": "Acme"})
    answer = {
        "status": "COMPLETE",
        "results": [
            {
                "fromObjectTypeId": "0-1",
                "fromObjectId": int(ids[0]),
                "toObjectTypeId": "0-2",
                "toObjectId": int(company.id),
                "labels": [],
            }
        ],
        "errors": [
            _entry(ids[1], company.id, category="RATE_LIMIT"),
            _entry(ids[2], company.id, status="502"),
            _entry(ids[3], company.id, category="VALIDATION_ERROR"),
        ],
    }
    hubspot_emulator.faults.answer_after(answer, 207, operation="batch_associate")
    result = await crm.associations.create_many(
        "contacts",
        "companies",
        [AssociationInput(i, company.id, AssociationType.CONTACT_TO_COMPANY) for i in ids],
    )
    statuses = [o.status for o in result.outcomes]
    # A rate-limited entry was not acted on: send it again. A 5xx entry may have been:
    # unknown. Only a rejected one failed.
    assert statuses == ["created", "not_attempted", "unknown", "failed"]
    errors = [o.error for o in result.outcomes]
    assert errors[0] is None
    assert isinstance(errors[1], RateLimitError)
    assert isinstance(errors[2], ServerError)
    assert isinstance(errors[3], BadRequestError)
    assert all(isinstance(e, HubCRMError) for e in errors[1:])
