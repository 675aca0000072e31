"""Async quickstart: create a company, then a contact associated with it.

Run it with ``python examples/async_quickstart.py``. Without ``HUBSPOT_ACCESS_TOKEN`` it
starts the bundled HubSpot emulator; with it, it creates the records in your portal.
"""

from __future__ import annotations

import asyncio
import uuid

from _connect import async_client_for, emulator_unless_token

from hubcrm import Association, AssociationType


async def main() -> None:
    async with emulator_unless_token() as hubspot, async_client_for(hubspot) as crm:
        company = await crm.objects.create("companies", {"name": "Analytical Engines Ltd"})
        contact = await crm.objects.create(
            "contacts",
            {
                "email": f"ada.{uuid.uuid4().hex[:8]}@example.com",
                "firstname": "Ada",
                "hs_email_optout": False,
            },
            associations=[Association(company.id, AssociationType.CONTACT_TO_COMPANY)],
        )
        print(f"company {company.id}: {company.properties['name']}")
        print(f"contact {contact.id}: {contact.properties['email']}, created {contact.created_at}")


if __name__ == "__main__":
    asyncio.run(main())
