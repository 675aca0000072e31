"""Workload 6 of the suite: reading back, paging and searching, against hubspot-sdk.

- ``iter_all`` over 10,000 contacts (100 per page, ``after`` cursors): hubcrm's
  ``crm.objects.iter_all("contacts")`` against hubspot-sdk's auto-paging
  ``client.crm.objects.generic_objects.list("contacts", limit=100)``, async and blocking.
  The emulator announces an unthrottled window, so this measures the clients.
- search over the 2,000 of them whose ``firstname`` is ``Grace``, 100 per page: hubcrm's
  auto-paging ``crm.objects.search(..., filters=[Filter("firstname", "EQ", "Grace")])``
  against hubspot-sdk's ``generic_objects.search(...)``, paged by hand with ``after`` (it
  does not auto-page searches). HubSpot allows 5 searches per second per account, and so
  does the emulator: 20 pages take at least 3.8 s, whatever the client; what differs is
  whether the client keeps to the limit (hubcrm's search limiter) or meets 429s.

Run it with ``suite.py --only 6``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import _sdks
from _harness import TOKEN, Sample, admin, interleave, set_limit, timed

from hubcrm import AsyncHubCRM, Filter, HubCRM

RECORDS = 10_000
GRACE_EVERY = 5  # every 5th contact is a Grace: 2,000 search results
PAGE = 100


def seed(base_url: str, records: int) -> None:
    """An emptied store holding ``records`` contacts, unthrottled."""
    set_limit(base_url, None)
    inputs = [
        {
            "email": f"read{i}@example.com",
            "firstname": "Grace" if i % GRACE_EVERY == 0 else "Ada",
            "lastname": "Hopper",
        }
        for i in range(records)
    ]
    with HubCRM(TOKEN, base_url=base_url) as crm:
        result = crm.objects.create_many("contacts", inputs)
    assert result.ok, result.errors[:3]


def _rate_limited(base_url: str) -> int:
    return sum(admin(base_url, "stats")["rate_limited"].values())


def _counted(base_url: str, run: Callable[[], int], samples: list[Sample], expected: int) -> None:
    # Let the emulator's search window (1 s) drain: a run must not inherit the searches
    # of the one before, which a fresh client's limiter cannot know of.
    time.sleep(1.2)
    before = _rate_limited(base_url)
    errors: dict[str, int] = {}
    got = 0
    with timed(expected, samples):
        try:
            got = run()
        except Exception as exc:  # a client giving up is a result here, not a crash
            errors[type(exc).__name__] = 1
    sample = samples[-1]
    sample.errors.update(errors)
    if got != expected and not errors:
        sample.errors[f"read {got} of {expected}"] += 1
    sample.errors["429s"] += _rate_limited(base_url) - before


# --- iter_all / list --------------------------------------------------------------------


def hubcrm_async_list(base_url: str) -> int:
    async def go() -> int:
        async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
            return sum([1 async for _ in crm.objects.iter_all("contacts", page_size=PAGE)])

    return asyncio.run(go())


def hubcrm_sync_list(base_url: str) -> int:
    with HubCRM(TOKEN, base_url=base_url) as crm:
        return sum(1 for _ in crm.objects.iter_all("contacts", page_size=PAGE))


def sdk_async_list(base_url: str) -> int:
    async def go() -> int:
        async with _sdks.sdk_async(base_url, TOKEN, "aiohttp") as client:
            pages = client.crm.objects.generic_objects.list("contacts", limit=PAGE)
            return sum([1 async for _ in pages])

    return asyncio.run(go())


def sdk_sync_list(base_url: str) -> int:
    with _sdks.sdk_sync(base_url, TOKEN) as client:
        return sum(1 for _ in client.crm.objects.generic_objects.list("contacts", limit=PAGE))


# --- search -------------------------------------------------------------------------------


def hubcrm_async_search(base_url: str) -> int:
    async def go() -> int:
        async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
            found = crm.objects.search(
                "contacts", filters=[Filter("firstname", "EQ", "Grace")], page_size=PAGE
            )
            return sum([1 async for _ in found])

    return asyncio.run(go())


def sdk_async_search(base_url: str) -> int:
    async def go() -> int:
        async with _sdks.sdk_async(base_url, TOKEN, "aiohttp") as client:
            search = client.crm.objects.generic_objects.search
            groups: Any = [
                {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Grace"}]}
            ]
            after = "0"
            count = 0
            while True:
                page = await search(
                    "contacts",
                    after=after,
                    filter_groups=groups,
                    limit=PAGE,
                    properties=[],
                    sorts=[],
                )
                count += len(page.results)
                following = page.paging.next if page.paging is not None else None
                if following is None or not following.after:
                    return count
                after = following.after

    return asyncio.run(go())


LIST_CASES: list[tuple[str, Callable[[str], int], bool]] = [
    ("hubcrm async iter_all", hubcrm_async_list, False),
    ("hubcrm sync iter_all", hubcrm_sync_list, False),
    ("hubspot-sdk async list (aiohttp, auto-paging)", sdk_async_list, True),
    ("hubspot-sdk sync list (auto-paging)", sdk_sync_list, True),
]
SEARCH_CASES: list[tuple[str, Callable[[str], int], bool]] = [
    ("hubcrm async search (auto-paging, search limiter)", hubcrm_async_search, False),
    ("hubspot-sdk async search (paged by hand)", sdk_async_search, True),
]


def reading(base_url: str, records: int, repeats: int) -> dict[str, dict[str, list[Sample]]]:
    """Workload 6: the list and search cases interleaved over one seeded store."""
    seed(base_url, records)
    have_sdk = _sdks.version(_sdks.SDK) is not None
    grace = len(range(0, records, GRACE_EVERY))

    def variants(
        cases: list[tuple[str, Callable[[str], int], bool]], expected: int
    ) -> list[tuple[str, Callable[[list[Sample]], None]]]:
        out = []
        for name, run, needs_sdk in cases:
            if needs_sdk and not have_sdk:
                continue

            def variant(samples: list[Sample], run: Callable[[str], int] = run) -> None:
                _counted(base_url, lambda: run(base_url), samples, expected)

            out.append((name, variant))
        return out

    return {
        "iter_all": interleave(variants(LIST_CASES, records), repeats),
        "search": interleave(variants(SEARCH_CASES, grace), repeats),
    }
