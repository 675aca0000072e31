"""Bulk load: 3,000 contacts from a generator, with progress and a per-row error report.

Run it with ``python examples/bulk_from_generator.py``. Without ``HUBSPOT_ACCESS_TOKEN``
it starts the bundled HubSpot emulator; with it, it creates the contacts in your portal.

``create_many`` takes the rows lazily (the generator is never held in memory as a
whole), sends them 100 per batch request, and returns one outcome per row. Two rows are
bad on purpose: HubSpot rejects them, and the other rows are still created.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from _connect import client_for, emulator_unless_token

from hubcrm import BulkProgress, PropertyValue

ROWS = 3_000


def contacts(run: str) -> Iterator[dict[str, PropertyValue]]:
    """Rows as they might come from a database cursor or a file."""
    for i in range(ROWS):
        if i == 1_000:
            yield {"email": "not-an-email", "firstname": "Typo"}  # INVALID_EMAIL
        elif i == 2_000:
            yield {"email": f"user{i}.{run}@example.com", "shoe_size": 42}  # no such property
        else:
            yield {"email": f"user{i}.{run}@example.com", "firstname": f"User {i}"}


def show_progress(progress: BulkProgress) -> None:
    print(
        f"progress: {progress.done} rows done, {progress.created} created, "
        f"{progress.failed} failed, {progress.rate:.0f} rows/s"
    )


def main() -> None:
    run = uuid.uuid4().hex[:8]  # unique emails, so the example can run again
    with emulator_unless_token() as hubspot, client_for(hubspot) as crm:
        result = crm.objects.create_many("contacts", contacts(run), on_progress=show_progress)
    print(f"summary: {result.total} rows, {result.created} created, {result.failed} failed")
    for error in result.errors:
        print(f"  row {error.index}: {error.status} {error.code}")


if __name__ == "__main__":
    main()
