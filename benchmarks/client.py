"""Single creates through every client: workloads 1 and 2 of the suite, and the clients
that workload 3 (``ratelimit.py``) drives.

Each client creates a contact the way its README teaches:

- hubcrm: ``AsyncHubCRM(token, base_url=...)`` / ``HubCRM(...)`` and
  ``crm.objects.create("contacts", {...})``, default settings;
- hubspot-sdk: ``AsyncHubSpot(access_token=..., base_url=...)`` on httpx (its default)
  or with ``http_client=DefaultAioHttpClient()`` (its aiohttp extra), the blocking
  ``HubSpot(...)``, and ``client.crm.objects.generic_objects.create("contacts",
  properties={...}, associations=[])``: ``POST /crm/objects/2026-03/contacts``;
- hubspot-api-client: ``HubSpot(access_token=..., host=...)`` and
  ``client.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(...))``:
  ``POST /crm/v3/objects/contacts``;
- plain aiohttp posting prebuilt JSON bodies: no models, no retries, no limiter; the
  ceiling for a client on this machine.

Run them with ``suite.py``.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import itertools
import json
import threading
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AbstractContextManager, contextmanager
from contextlib import asynccontextmanager as acm
from typing import Any

import _sdks
import aiohttp
import attrs
from _harness import TOKEN, Props, Sample, interleave, props, set_limit

from hubcrm import AsyncHubCRM, HubCRM

AsyncCreate = Callable[[Any], Awaitable[object]]
SyncCreate = Callable[[Any], object]

_run_ids = itertools.count()


class HTTPStatusError(Exception):
    """Plain aiohttp's failure: any answer but 201."""


@acm
async def _hubcrm_async(base_url: str) -> AsyncIterator[AsyncCreate]:
    async with AsyncHubCRM(TOKEN, base_url=base_url) as crm:
        yield functools.partial(crm.objects.create, "contacts")


@contextmanager
def _hubcrm_sync(base_url: str) -> Iterator[SyncCreate]:
    with HubCRM(TOKEN, base_url=base_url) as crm:
        yield functools.partial(crm.objects.create, "contacts")


def _sdk_async(transport: str) -> Callable[[str], AbstractAsyncContextManager[AsyncCreate]]:
    @acm
    async def open_(base_url: str) -> AsyncIterator[AsyncCreate]:
        async with _sdks.sdk_async(base_url, TOKEN, transport) as client:
            create = client.crm.objects.generic_objects.create
            yield lambda p: create("contacts", properties=p, associations=[])

    return open_


@contextmanager
def _sdk_sync(base_url: str) -> Iterator[SyncCreate]:
    with _sdks.sdk_sync(base_url, TOKEN) as client:
        create = client.crm.objects.generic_objects.create
        yield lambda p: create("contacts", properties=p, associations=[])


@contextmanager
def _api_client(base_url: str) -> Iterator[SyncCreate]:
    api, model = _sdks.api_client_contacts(base_url, TOKEN), _sdks.api_client_model()
    try:
        yield lambda p: api.create(simple_public_object_input_for_create=model(properties=p))
    finally:
        api.api_client.close()


@acm
async def _plain_aiohttp(base_url: str) -> AsyncIterator[AsyncCreate]:
    url = f"{base_url}/crm/objects/2026-03/contacts"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:

        async def post(body: bytes) -> None:
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 201:
                    raise HTTPStatusError(f"HTTP {resp.status}")

        yield post


def _prebuilt(inputs: Sequence[Props]) -> list[bytes]:
    return [json.dumps({"properties": p, "associations": []}).encode() for p in inputs]


@attrs.frozen
class Client:
    """One library (and transport) creating contacts: async or blocking."""

    name: str
    open_async: Callable[[str], AbstractAsyncContextManager[AsyncCreate]] | None = None
    open_sync: Callable[[str], AbstractContextManager[SyncCreate]] | None = None
    # Turns the inputs into what the create callable takes, outside the timing: only
    # the ceiling prebuilds its request bodies.
    prepare: Callable[[Sequence[Props]], Sequence[Any]] = list
    needs: str | None = None  # the distribution it comes from, when not hubcrm

    @property
    def available(self) -> bool:
        return self.needs is None or _sdks.version(self.needs) is not None


HUBCRM_ASYNC = Client("hubcrm async", open_async=_hubcrm_async)
HUBCRM_SYNC = Client("hubcrm sync", open_sync=_hubcrm_sync)
SDK_HTTPX = Client("hubspot-sdk async (httpx)", open_async=_sdk_async("httpx"), needs=_sdks.SDK)
SDK_AIOHTTP = Client(
    "hubspot-sdk async (aiohttp)", open_async=_sdk_async("aiohttp"), needs=_sdks.SDK
)
SDK_SYNC = Client("hubspot-sdk sync", open_sync=_sdk_sync, needs=_sdks.SDK)
API_CLIENT = Client("hubspot-api-client", open_sync=_api_client, needs=_sdks.API_CLIENT)
PLAIN_AIOHTTP = Client("plain aiohttp", open_async=_plain_aiohttp, prepare=_prebuilt)


@attrs.frozen
class Case:
    """A client at a concurrency: requests in flight (async; None: every create at once,
    through ``asyncio.gather``) or threads sharing one client (blocking)."""

    client: Client
    concurrency: int | None

    @property
    def name(self) -> str:
        c, n = self.client, self.concurrency
        if n is None:
            return f"{c.name}, all at once"
        if n == 1:
            return f"{c.name}, sequential"
        return f"{c.name}, {n} {'in flight' if c.open_async else 'threads'}"


async def _calls_async(
    create: AsyncCreate, args: Sequence[Any], concurrency: int | None
) -> collections.Counter[str]:
    errors: collections.Counter[str] = collections.Counter()

    async def one(arg: Any) -> None:
        try:
            await create(arg)
        except Exception as exc:
            errors[type(exc).__name__] += 1

    if concurrency is None:
        await asyncio.gather(*(one(arg) for arg in args))
    else:
        todo = iter(args)

        async def worker() -> None:
            for arg in todo:
                await one(arg)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return errors


def _calls_sync(create: SyncCreate, args: Sequence[Any], threads: int) -> collections.Counter[str]:
    errors: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    def one(arg: Any) -> None:
        try:
            create(arg)
        except Exception as exc:
            with lock:
                errors[type(exc).__name__] += 1

    if threads == 1:
        for arg in args:
            one(arg)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, args))
    return errors


def run_case(base_url: str, case: Case, inputs: Sequence[Props], warm_up: bool) -> Sample:
    """Open the client, create every input, close it; time the creates only.

    ``warm_up`` creates one extra contact first, outside the timing, so that opening
    connections and first-call setup aren't measured (off under a rate limit, where the
    cold start is part of what a user meets).
    """
    client = case.client
    args = client.prepare(inputs)
    spare = client.prepare([{**inputs[0], "email": f"warm-{inputs[0]['email']}"}])[0]

    if client.open_async is not None:
        opener = client.open_async

        async def main() -> Sample:
            async with opener(base_url) as create:
                if warm_up:
                    await create(spare)
                stop = _stopwatch(len(args))
                return stop(await _calls_async(create, args, case.concurrency))

        return asyncio.run(main())
    assert client.open_sync is not None
    with client.open_sync(base_url) as create_sync:
        if warm_up:
            create_sync(spare)
        stop = _stopwatch(len(args))
        return stop(_calls_sync(create_sync, args, case.concurrency or 1))


def _stopwatch(ops: int) -> Callable[[collections.Counter[str]], Sample]:
    """Start timing now; the returned function stops it and makes the Sample."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    return lambda errors: Sample(
        ops, time.perf_counter() - wall0, time.process_time() - cpu0, errors
    )


def new_inputs(n: int) -> list[Props]:
    """``n`` contacts with emails no earlier run used."""
    run = next(_run_ids)
    return [props(run, i) for i in range(n)]


def single_creates(
    base_url: str, cases: Sequence[Case], creates: int, repeats: int
) -> dict[str, list[Sample]]:
    """Workloads 1 and 2: the cases interleaved, unthrottled, on an emptied store each."""

    def variant(case: Case) -> Callable[[list[Sample]], None]:
        def run(samples: list[Sample]) -> None:
            set_limit(base_url, None)
            samples.append(run_case(base_url, case, new_inputs(creates), warm_up=True))

        return run

    return interleave([(c.name, variant(c)) for c in cases if c.client.available], repeats)


SEQUENTIAL = [
    Case(c, 1) for c in (HUBCRM_ASYNC, HUBCRM_SYNC, SDK_HTTPX, SDK_AIOHTTP, SDK_SYNC, API_CLIENT)
]
IN_FLIGHT = [
    Case(HUBCRM_ASYNC, 64),
    Case(HUBCRM_SYNC, 16),
    Case(SDK_HTTPX, 64),
    Case(SDK_AIOHTTP, 64),
    Case(API_CLIENT, 16),
    Case(PLAIN_AIOHTTP, 64),
]
