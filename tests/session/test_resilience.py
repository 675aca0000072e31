"""Rate limits, retries and write safety against the emulator, asserting counts.

These are the promises of docs/guides/rate-limits-and-retries.md: the limit is held,
nothing is lost, nothing is duplicated, and what cannot be known is reported.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from aiohttp import web
from support_servers import Serve
from support_time import VirtualTime, wait_until

from hubcrm import (
    APIError,
    AsyncHubCRM,
    ConflictError,
    CrmObject,
    DailyLimitError,
    HubCRM,
    OAuth,
    OutcomeUnknownError,
    RateLimit,
    RateLimitError,
    TokenSet,
)
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

FAULT_KINDS = ("error_before", "error_after", "disconnect_after", "timeout_after")


def _deal(i: int) -> dict[str, str]:
    return {"dealname": f"deal-{i}", "dealstage": "appointmentscheduled", "pipeline": "default"}


def _share_of_429s(emu: Emulator) -> float:
    stats = emu.stats
    return sum(stats.rate_limited.values()) / stats.requests


# Six windows of the emulator's 50 per 1 s: enough to cross window boundaries many times.
# That no window is ever exceeded is asserted exactly, on virtual time, by
# test_ratelimit.py::test_2000_acquirers_learn_50_per_1s_from_the_first_answer_and_keep_to_it.
# Over real HTTP a loaded machine delays a granted request now and then past the limiter's
# margin, so the share of 429s is a measurement: at most 1% over 1,000 creates is a goal of
# benchmarks/ratelimit.py (workload 3), with permitted-rate use >= 0.95. A first 429 without
# Retry-After holds nobody (only a second within the window drains it), so on a machine
# whose CPU is taken by other work the emulator's late counting draws a few percent (6.8%
# seen once). A client that sent without a limiter would draw far more than MOST_429S: of
# its first burst of 300 against 50/1 s, 250 are refused.
CREATES = 300
MOST_429S = 0.15


# --- rate limits ---------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=(50, 1.0))
async def test_concurrent_creates_hold_the_limit_with_default_settings(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    """No user-side throttling, no limit configured: the client learns 50/1 s from
    HubSpot's headers (after a one-request slow start) and stays under it."""
    results = await asyncio.gather(
        *(crm.objects.create("contacts", {"email": f"c{i}@example.com"}) for i in range(CREATES))
    )
    stats = crm.stats
    assert len({r.id for r in results}) == CREATES
    emails = Counter(o["properties"]["email"] for o in hubspot_emulator.objects("contacts"))
    assert len(emails) == CREATES
    assert set(emails.values()) == {1}
    share = _share_of_429s(hubspot_emulator)
    print(f"\n{CREATES} async creates at 50/1 s: 429s {share:.2%} of {stats.requests} requests")
    assert share <= MOST_429S
    assert stats.rate_limit is not None
    assert stats.rate_limit.max_requests == 50


@pytest.mark.hubspot_emulator(rate_limit=(50, 1.0))
def test_sync_facade_from_16_threads_holds_the_limit(hubspot_emulator: Emulator) -> None:
    with HubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=RateLimit(50, 1.0)
    ) as crm:

        def create(i: int) -> CrmObject:
            return crm.objects.create("contacts", {"email": f"t{i}@example.com"})

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(create, range(CREATES)))
    assert len({r.id for r in results}) == CREATES
    assert hubspot_emulator.count("contacts") == CREATES
    share = _share_of_429s(hubspot_emulator)
    print(f"\n{CREATES} sync creates from 16 threads at 50/1 s: 429s {share:.2%}")
    assert share <= MOST_429S


@pytest.mark.hubspot_emulator(rate_limit=(10, 0.5))
async def test_429s_pause_every_sender_even_without_a_local_limit(
    hubspot_emulator: Emulator,
) -> None:
    async with AsyncHubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None
    ) as crm:
        await asyncio.gather(
            *(crm.objects.create("contacts", {"email": f"p{i}@example.com"}) for i in range(60))
        )
        stats = crm.stats
    assert hubspot_emulator.count("contacts") == 60
    assert stats.rate_limited > 0  # without a limiter the burst does hit the limit...
    assert stats.pauses > 0  # ...and every 429 became a pause for all senders
    # Held senders restart together after each pause, so each pause costs one burst
    # (about 50 + 40 + 30 + 20 + 10 here): the price of rate_limit=None. Without the
    # pause every task would retry at once, thousands of times within the window.
    assert stats.rate_limited <= 200


@pytest.mark.hubspot_emulator(daily_limit=5, rate_limit=None)
async def test_daily_limit_raises_within_one_request(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    for i in range(5):
        await crm.objects.create("contacts", {"email": f"d{i}@example.com"})
    before = hubspot_emulator.stats.requests
    with pytest.raises(DailyLimitError) as info:
        await crm.objects.create("contacts", {"email": "d5@example.com"})
    status = crm.stats.rate_limit
    assert hubspot_emulator.stats.requests == before + 1
    assert info.value.policy_name == "DAILY"
    assert status is not None
    assert status.daily == 5
    assert status.daily_remaining == 0


# --- faults and write safety ---------------------------------------------------------------


def _arm_faults(emu: Emulator, object_type: str) -> None:
    emu.faults.error_before(503, probability=0.05, object_type=object_type)
    emu.faults.error_after(502, probability=0.02, object_type=object_type)
    emu.faults.disconnect_after(probability=0.01, object_type=object_type)
    emu.faults.timeout_after(3.0, probability=0.01, object_type=object_type)


def _faults_on(emu: Emulator, object_type: str) -> Counter[str]:
    return Counter(r.kind for r in emu.faults.log if r.object_type == object_type)


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_contacts_under_faults_exist_exactly_once(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    _arm_faults(hubspot_emulator, "contacts")
    async with virtual_time.install(
        AsyncHubCRM(
            hubspot_emulator.token,
            base_url=hubspot_emulator.base_url,
            timeout=1.0,
            max_retries=5,
            rate_limit=None,
        )
    ) as crm:
        results = await asyncio.gather(
            *(crm.objects.create("contacts", {"email": f"f{i}@example.com"}) for i in range(400))
        )
    injected = _faults_on(hubspot_emulator, "contacts")
    print(f"\nfaults injected into contact creates: {dict(injected)}")
    assert sum(injected.values()) >= 10  # the run really was under fire
    stored = hubspot_emulator.objects("contacts")
    assert Counter(o["properties"]["email"] for o in stored) == Counter(
        f"f{i}@example.com" for i in range(400)
    )
    # Every call returned its own record.
    assert sorted(r.id for r in results) == sorted(o["id"] for o in stored)
    assert [r.properties["email"] for r in results] == [f"f{i}@example.com" for i in range(400)]


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_deals_under_faults_are_never_duplicated(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    _arm_faults(hubspot_emulator, "deals")
    async with virtual_time.install(
        AsyncHubCRM(
            hubspot_emulator.token, base_url=hubspot_emulator.base_url, timeout=1.0, rate_limit=None
        )
    ) as crm:
        outcomes = await asyncio.gather(
            *(crm.objects.create("deals", _deal(i)) for i in range(400)), return_exceptions=True
        )
    unknown = [o for o in outcomes if isinstance(o, OutcomeUnknownError)]
    created = [o for o in outcomes if isinstance(o, CrmObject)]
    assert len(unknown) + len(created) == 400, [o for o in outcomes if isinstance(o, Exception)]
    names = Counter(o["properties"]["dealname"] for o in hubspot_emulator.objects("deals"))
    assert set(names.values()) == {1}  # no duplicates at all
    injected = _faults_on(hubspot_emulator, "deals")
    print(f"\nfaults injected into deal creates: {dict(injected)}; unknown: {len(unknown)}")
    assert len(unknown) == sum(injected.values())
    # Each unknown outcome's record exists once (committed, then the answer was lost) or
    # not at all (a 503 before processing); the fault log says which.
    committed = {i for r in hubspot_emulator.faults.log if r.object_type == "deals" for i in r.ids}
    assert len(committed) == sum(v for k, v in injected.items() if k != "error_before")
    for err in unknown:
        assert err.input is not None
        assert names[err.input.properties["dealname"]] in (0, 1)
    assert len(names) == len(created) + len(committed)


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_deals_with_retry_writes_always_all_exist_and_duplicates_are_counted(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
) -> None:
    _arm_faults(hubspot_emulator, "deals")
    async with virtual_time.install(
        AsyncHubCRM(
            hubspot_emulator.token,
            base_url=hubspot_emulator.base_url,
            timeout=1.0,
            max_retries=8,
            retry_writes="always",
            rate_limit=None,
        )
    ) as crm:
        await asyncio.gather(*(crm.objects.create("deals", _deal(i)) for i in range(400)))
    names = Counter(o["properties"]["dealname"] for o in hubspot_emulator.objects("deals"))
    assert set(names) == {f"deal-{i}" for i in range(400)}  # at least once: nothing lost
    duplicates = sum(n - 1 for n in names.values())
    committed_then_failed = sum(
        1 for r in hubspot_emulator.faults.log if r.object_type == "deals" and r.ids
    )
    print(f"\nretry_writes='always': {duplicates} duplicate deals of 400")
    assert duplicates == committed_then_failed  # each lost answer cost one duplicate


async def test_id_property_makes_a_create_safe_to_retry(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    virtual_time.install(crm)
    hubspot_emulator.faults.error_after(502, times=1, object_type="contacts")
    obj = await crm.objects.create(
        "contacts", {"email": "once@example.com", "firstname": "Once"}, id_property="email"
    )
    retries = crm.stats.retries
    assert [o["id"] for o in hubspot_emulator.objects("contacts")] == [obj.id]
    assert obj.properties["firstname"] == "Once"
    assert hubspot_emulator.stats.requests_by_operation["read"] == 1  # looked up, found
    assert retries == {"ambiguous create: looking the record up by id_property": 1}


async def test_contact_retry_answered_409_returns_the_record_the_first_attempt_made(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    virtual_time.install(crm)
    hubspot_emulator.faults.disconnect_after(times=1, object_type="contacts")
    obj = await crm.objects.create("contacts", {"email": "x@example.com", "lastname": "X"})
    stored = hubspot_emulator.objects("contacts")
    assert [o["id"] for o in stored] == [obj.id]
    assert obj.properties["lastname"] == "X"
    assert hubspot_emulator.stats.responses_by_status[409] == 1


async def test_locked_and_migrating_answers_are_retried(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    virtual_time.install(crm)
    hubspot_emulator.faults.error_before(477, times=1, retry_after=0.2, object_type="deals")
    hubspot_emulator.faults.error_before(423, times=1, object_type="deals")
    await crm.objects.create("deals", _deal(1))
    retries = crm.stats.retries
    assert hubspot_emulator.count("deals") == 1
    assert sum(retries.values()) == 2
    # Waited on virtual time: HubSpot's Retry-After, then at least 2 s after the 423.
    first, second = virtual_time.slept
    assert first >= 0.2
    assert second >= 2.0


async def test_with_options_changes_one_call_and_shares_the_pool(
    hubspot_emulator: Emulator,
) -> None:
    hubspot_emulator.faults.timeout_after(5.0, times=1, object_type="deals")
    async with AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm:
        quick = crm.with_options(timeout=0.3)
        with pytest.raises(OutcomeUnknownError):
            await quick.objects.create("deals", _deal(1))
        await crm.objects.create("deals", _deal(2))  # the original keeps its 30 s
        assert quick._session is crm._session
        assert crm.stats.requests == 2  # one set of counters
    assert quick.closed  # closing either closes the shared connections


async def test_logs_name_requests_and_retries_but_never_secrets_or_values(
    hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture, virtual_time: VirtualTime
) -> None:
    hubspot_emulator.faults.error_before(503, times=2, operation="read")
    caplog.set_level(logging.DEBUG, logger="hubcrm")
    async with virtual_time.install(
        AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    ) as crm:
        await crm.objects.create(
            "contacts", {"email": "secret.person@example.com", "phone": "+1 555 0100"}
        )
        await crm.objects.get("contacts", "secret.person@example.com", id_property="email")
        await crm.objects.create("companies", {"name": "Private Name Ltd"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /crm/objects/2026-03/contacts -> 201" in text
    assert "retrying GET /crm/objects/2026-03/contacts/<email>" in text
    assert "GET /crm/objects/2026-03/contacts/<email> -> 200" in text
    assert "attempt 3" in text
    for secret in (hubspot_emulator.token, "secret.person", "555 0100", "Private Name"):
        assert secret not in text


# --- OAuth ------------------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None, access_token_ttl=1800.0)
async def test_oauth_expiry_during_1000_calls_costs_one_refresh_each_and_no_failure(
    hubspot_emulator: Emulator,
) -> None:
    refresh_token = hubspot_emulator.register_oauth_app("app", "secret")
    seen: list[TokenSet] = []
    oauth = OAuth("app", "secret", refresh_token, on_refresh=seen.append)
    async with AsyncHubCRM(oauth, base_url=hubspot_emulator.base_url, rate_limit=None) as crm:
        for batch in range(4):
            if batch:
                # HubSpot's clock passes the token's expiry while hubcrm's does not: the
                # next calls meet 401 EXPIRED_AUTHENTICATION, all with the same token.
                hubspot_emulator.advance_clock(1801)
            await asyncio.gather(
                *(
                    crm.objects.create("contacts", {"email": f"o{batch}-{i}@example.com"})
                    for i in range(250)
                )
            )
    assert hubspot_emulator.count("contacts") == 1000
    assert hubspot_emulator.stats.oauth_refreshes == 4  # the first token, then one per expiry
    assert len(seen) == 4
    assert oauth.refreshes == 4


async def test_a_failing_token_endpoint_never_makes_a_create_unknown(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
) -> None:
    refresh_token = hubspot_emulator.register_oauth_app("app", "secret")
    hubspot_emulator.faults.error_before(503, times=1, operation="token")
    oauth = OAuth("app", "secret", refresh_token)
    async with virtual_time.install(AsyncHubCRM(oauth, base_url=hubspot_emulator.base_url)) as crm:
        deal = await crm.objects.create("deals", _deal(7))  # a deal: no safe retry of its own
        retries = crm.stats.retries
    assert [o["id"] for o in hubspot_emulator.objects("deals")] == [deal.id]
    assert sum(retries.values()) == 1


# --- once an attempt may have written, only a settled answer is not "unknown" ------------------


@pytest.mark.hubspot_emulator(rate_limit=None, daily_limit=1)
async def test_a_daily_limit_met_while_recovering_is_an_unknown_outcome(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, object_type="contacts")
    async with virtual_time.install(
        AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None)
    ) as crm:
        with pytest.raises(OutcomeUnknownError) as info:
            await crm.objects.create("contacts", {"email": "late@example.com"})
    assert isinstance(info.value.cause, DailyLimitError)
    assert hubspot_emulator.count("contacts") == 1  # why "not created" would be false


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_retries_running_out_while_recovering_is_an_unknown_outcome(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, object_type="contacts")
    hubspot_emulator.faults.error_before(477, times=10, retry_after=0.01, object_type="contacts")
    async with virtual_time.install(
        AsyncHubCRM(
            hubspot_emulator.token,
            base_url=hubspot_emulator.base_url,
            rate_limit=None,
            max_retries=1,
        )
    ) as crm:
        with pytest.raises(OutcomeUnknownError) as info:
            await crm.objects.create("contacts", {"email": "busy@example.com"})
    assert isinstance(info.value.cause, APIError)
    assert info.value.cause.status == 477
    assert hubspot_emulator.count("contacts") == 1


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_retry_writes_always_resolves_its_own_409_to_the_record(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, object_type="contacts")
    async with virtual_time.install(
        AsyncHubCRM(
            hubspot_emulator.token,
            base_url=hubspot_emulator.base_url,
            rate_limit=None,
            retry_writes="always",
        )
    ) as crm:
        obj = await crm.objects.create("contacts", {"email": "mine@example.com"})
    assert [o["id"] for o in hubspot_emulator.objects("contacts")] == [obj.id]
    assert hubspot_emulator.stats.responses_by_status[409] == 1


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_slow_first_attempt_that_commits_late_is_found_not_duplicated(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
) -> None:
    """The client gives up at 0.3 s; HubSpot still processes the request at 1 s."""
    hubspot_emulator.faults.latency(1.0, times=1, operation="create")
    async with virtual_time.install(
        AsyncHubCRM(
            hubspot_emulator.token,
            base_url=hubspot_emulator.base_url,
            rate_limit=None,
            timeout=0.3,
        )
    ) as crm:
        obj = await crm.objects.create("contacts", {"email": "slow@example.com"})
    # The first attempt timed out and another was made, while the first still waits.
    assert hubspot_emulator.stats.requests_by_operation["create"] >= 2
    await wait_until(
        lambda: (
            sum(hubspot_emulator.stats.responses_by_status.values())
            == hubspot_emulator.stats.requests
        ),
        "the emulator has answered every attempt, the slow first one included",
    )
    stored = hubspot_emulator.objects("contacts")
    assert [o["id"] for o in stored] == [obj.id]  # one record, whichever attempt made it


async def test_id_property_409_on_the_repeat_resolves_to_the_first_attempts_record(
    serve: Serve,
    virtual_time: VirtualTime,
) -> None:
    """The first attempt commits between the lookup and the repeat (a fake HubSpot)."""
    created = "2030-01-01T00:00:00.000Z"  # after the create began, whatever the clock says
    record = {
        "id": "77",
        "properties": {"vin": "WVW123", "hs_object_id": "77"},
        "createdAt": created,
        "updatedAt": created,
        "archived": False,
    }
    seen: list[tuple[str, str]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        seen.append((request.method, request.query.get("idProperty", "")))
        step = len(seen)
        if step == 1:  # the first attempt: the client times out, the write lands later
            await asyncio.sleep(0.5)
            return web.json_response(record, status=201)
        if step == 2:  # the lookup, before the first attempt landed
            return web.json_response(
                {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"},
                status=404,
            )
        if step == 3:  # the repeat meets the record the first attempt made
            return web.json_response(
                {"status": "error", "message": "vin already taken", "category": "CONFLICT"},
                status=409,
            )
        return web.json_response(record)  # the lookup after the 409

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with virtual_time.install(
        AsyncHubCRM("t", base_url=url, rate_limit=None, timeout=0.2)
    ) as crm:
        obj = await crm.objects.create("p1_cars", {"vin": "WVW123"}, id_property="vin")
    assert obj.id == "77"
    assert seen == [("POST", ""), ("GET", "vin"), ("POST", ""), ("GET", "vin")]


async def test_a_409_naming_an_older_record_is_a_real_conflict(
    serve: Serve, virtual_time: VirtualTime
) -> None:
    """An ambiguous first attempt, then a repeat meets a contact that existed long
    before this create began: that is HubSpot's ConflictError, not "created"."""
    old = "2020-01-01T00:00:00.000Z"
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        seen.append(f"{request.method} {request.path}")
        if len(seen) == 1:  # the first attempt: a 503, which might have been processed
            return web.json_response({"status": "error", "message": "busy"}, status=503)
        if len(seen) == 2:
            return web.json_response(
                {
                    "status": "error",
                    "message": "Contact already exists. Existing ID: 5",
                    "category": "CONFLICT",
                },
                status=409,
            )
        return web.json_response(
            {"id": "5", "properties": {}, "createdAt": old, "updatedAt": old, "archived": False}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with virtual_time.install(AsyncHubCRM("t", base_url=url, rate_limit=None)) as crm:
        with pytest.raises(ConflictError) as info:
            await crm.objects.create("contacts", {"email": "taken@example.com"})
    assert info.value.existing_id == "5"
    assert seen == [
        "POST /crm/objects/2026-03/contacts",
        "POST /crm/objects/2026-03/contacts",
        "GET /crm/objects/2026-03/contacts/5",
    ]


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_record_older_than_the_create_by_the_clients_clock_is_a_conflict(
    hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    """The create's start is read on the session's clock: two minutes after the record
    was made (on both clocks), a lost answer's resend that finds it is a conflict."""
    async with virtual_time.install(
        AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None)
    ) as crm:
        old = await crm.objects.create("contacts", {"email": "old@example.com"})
        virtual_time.advance(120)  # past the clock-skew tolerance, HubSpot's clock too
        hubspot_emulator.faults.error_after(502, times=1, object_type="contacts")
        with pytest.raises(ConflictError) as info:
            await crm.objects.create("contacts", {"email": "old@example.com"})
    assert info.value.existing_id == old.id
    assert hubspot_emulator.count("contacts") == 1


# --- a Retry-After longer than rate_limit_deadline ---------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_429_retry_after_an_hour_ends_create_many_within_its_deadline(
    hubspot_emulator: Emulator, concurrency: int
) -> None:
    """One 429 with ``Retry-After: 3600`` and ``rate_limit_deadline=2``: the run ends in
    seconds, every input not sent is "not attempted", and none is lost or made twice."""
    emu = hubspot_emulator
    inputs = [{"email": f"hour{i}@example.com"} for i in range(600)]
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit_deadline=2) as crm:
        first = await crm.objects.create_many("contacts", inputs[:100])
        emu.faults.error_before(429, retry_after=3600, operation="batch_create")
        with anyio.fail_after(10):  # an hour's wait, or the deadline's 2 s per request
            result = await crm.objects.create_many(
                "contacts", inputs[100:], concurrency=concurrency
            )
            # A later request is refused at once too, unsent: the pause is still on.
            requests_before = emu.stats.requests
            with pytest.raises(RateLimitError, match="not sent"):
                await crm.objects.create("contacts", {"email": "later@example.com"})
            assert emu.stats.requests == requests_before

    assert first.created == 100
    assert [o.index for o in result.outcomes] == list(range(500))
    # Batches already sent when the 429 came back were created; the one that met it and
    # every batch after were not sent: not attempted, with a RateLimitError that says so.
    by_status = Counter(o.status for o in result.outcomes)
    assert set(by_status) <= {"created", "not_attempted"}
    assert by_status["not_attempted"] >= 100
    skipped = [o for o in result.outcomes if o.status == "not_attempted"]
    assert all(isinstance(o.error, RateLimitError) and not o.attempted for o in skipped)
    assert sum("not sent" in str(o.error) for o in skipped) == len(skipped) - 100
    assert emu.stats.responses_by_status[429] == 1  # one answer, no retry of it
    # Nothing lost, nothing twice: HubSpot has exactly the records reported as created.
    emails = Counter(o["properties"]["email"] for o in emu.objects("contacts"))
    made = [o.input["email"] for o in result.outcomes if o.status == "created"]  # type: ignore[index]
    assert emails == Counter(i["email"] for i in inputs[:100]) + Counter(made)
    if concurrency == 1:  # nothing in flight beside the batch that met the 429
        assert by_status == {"not_attempted": 500}


@pytest.mark.parametrize("status", [423, 477, 503])
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_retry_after_past_the_deadline_gives_up_at_once(
    hubspot_emulator: Emulator, status: int
) -> None:
    emu = hubspot_emulator
    async with AsyncHubCRM(emu.token, base_url=emu.base_url) as crm:
        created = await crm.objects.create("contacts", {"email": "there@example.com"})
        emu.faults.error_before(status, retry_after=3600, operation="read")
        with anyio.fail_after(10):
            with pytest.raises(APIError) as caught:
                await crm.objects.get("contacts", created.id)
    assert caught.value.status == status
    assert caught.value.retry_after == 3600.0
    assert crm.stats.retries == {}
