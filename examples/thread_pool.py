"""Concurrent creation from a ``ThreadPoolExecutor`` through one shared ``HubCRM``.

Run it with ``python examples/thread_pool.py``. Without ``HUBSPOT_ACCESS_TOKEN`` it
starts the bundled HubSpot emulator; with it, it creates the contacts in your portal.

One ``HubCRM`` is safe to share between threads, and should be: its connection pool and
its rate limit are shared by every thread, so together they stay inside HubSpot's
limits. Make it once, at startup, not once per thread or per task.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from _connect import client_for, emulator_unless_token

WORKERS = 8
CONTACTS = 40


def main() -> None:
    run = uuid.uuid4().hex[:8]  # unique emails, so the example can run again
    with emulator_unless_token() as hubspot, client_for(hubspot) as crm:

        def signup(i: int) -> tuple[str, str]:
            """What each worker does, e.g. handle a web request or a queue message."""
            contact = crm.objects.create(
                "contacts",
                {"email": f"worker{i}.{run}@example.com", "firstname": f"Worker {i}"},
            )
            return contact.id, threading.current_thread().name

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            created = list(pool.map(signup, range(CONTACTS)))

        ids = {contact_id for contact_id, _ in created}
        threads = {thread for _, thread in created}
        print(f"{len(ids)} contacts created from {len(threads)} threads through one client")
        stats = crm.stats
        print(
            f"one connection pool and rate limit: {stats.requests} requests, "
            f"{stats.rate_limited} answered 429"
        )


if __name__ == "__main__":
    main()
