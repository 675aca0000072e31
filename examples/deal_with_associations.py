"""A deal associated with a contact and a company, in one create call.

Run it with ``python examples/deal_with_associations.py``. Without
``HUBSPOT_ACCESS_TOKEN`` it starts the bundled HubSpot emulator and, at the end, shows
the associations the emulator stored on the deal; with it, it creates the records in
your portal.

An association names the record to link to and the association type, from the new
record's side: a deal links to a contact with ``DEAL_TO_CONTACT``.
"""

from __future__ import annotations

import uuid

from _connect import client_for, emulator_unless_token

from hubcrm import Association, AssociationType


def main() -> None:
    with emulator_unless_token() as hubspot, client_for(hubspot) as crm:
        company = crm.objects.create("companies", {"name": "Harvard Mark I Co"})
        contact = crm.objects.create(
            "contacts",
            {"email": f"howard.{uuid.uuid4().hex[:8]}@example.com", "firstname": "Howard"},
            associations=[Association(company.id, AssociationType.CONTACT_TO_COMPANY)],
        )
        deal = crm.objects.create(
            "deals",
            {
                "dealname": "Relay upgrade",
                "dealstage": "appointmentscheduled",
                "pipeline": "default",
                "amount": 48_000,
            },
            associations=[
                Association(contact.id, AssociationType.DEAL_TO_CONTACT),
                Association(company.id, AssociationType.DEAL_TO_COMPANY),
            ],
        )
        print(f"deal {deal.id} -> contact {contact.id}, company {company.id}")

        if hubspot is not None:  # the emulator can show what it stored
            (stored,) = (d for d in hubspot.objects("deals") if d["id"] == deal.id)
            for link in stored["associations"]:
                names = ", ".join(
                    AssociationType(t["associationTypeId"]).name for t in link["types"]
                )
                target = f"{link['toObjectTypeId']}/{link['toObjectId']}"
                print(f"stored on the deal: {target} ({names})")


if __name__ == "__main__":
    main()
