"""Sync quickstart: the blocking ``HubCRM`` client creates a deal and a contact.

Run it with ``python examples/sync_quickstart.py``. Without ``HUBSPOT_ACCESS_TOKEN`` it
starts the bundled HubSpot emulator; with it, it creates the records in your portal.
Python values (floats, dates, booleans) are written in HubSpot's formats for you.
"""

from __future__ import annotations

import uuid
from datetime import date

from _connect import client_for, emulator_unless_token


def main() -> None:
    with emulator_unless_token() as hubspot, client_for(hubspot) as crm:
        deal = crm.objects.create(
            "deals",
            {
                "dealname": "First order",
                "dealstage": "appointmentscheduled",
                "pipeline": "default",
                "amount": 1250.50,
            },
        )
        print(f"deal {deal.id}: amount {deal.properties['amount']}")
        contact = crm.objects.create(
            "contacts",
            {
                "email": f"grace.{uuid.uuid4().hex[:8]}@example.com",
                "date_of_birth": date(1906, 12, 9),
            },
        )
        print(f"contact {contact.id}: born {contact.properties['date_of_birth']}")


if __name__ == "__main__":
    main()
