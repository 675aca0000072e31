"""Exactly-once bulk creation by read-back, and the calls it is built on.

An ambiguous ``batch/create`` (a 5xx, a dropped connection) is settled by reading its
inputs back by their unique key: a contact's email, or the ``id_property`` value.
These tests hold the promises of docs/guides/bulk.md's table of outcomes: under the
fault mix of issue 13, every record exists exactly once and no input is unknown.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from aiohttp import web
from support_servers import Serve
from support_time import VirtualTime

from hubcrm import (
    Association,
    AssociationType,
    AsyncHubCRM,
    BadRequestError,
    ConflictError,
    CrmProperty,
    HubCRM,
    ObjectInput,
    OutcomeUnknownError,
    RetryPolicy,
)
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

N = 2_000  # the CI size of the 20,000-record benchmark workload (benchmarks/exactly_once.py)


def _client(emu: Emulator, **kwargs: Any) -> AsyncHubCRM:
    """A client of ``emu`` whose backoffs are on virtual time (the emulator's moves too)."""
    kwargs.setdefault("rate_limit", None)
    return VirtualTime(emu).install(AsyncHubCRM(emu.token, base_url=emu.base_url, **kwargs))


def _arm_issue_13_faults(emu: Emulator, object_type: str) -> None:
    """5% 5xx before processing, 2% 5xx after commit, 1% dropped after commit."""
    emu.faults.error_before(503, probability=0.05, object_type=object_type)
    emu.faults.error_after(502, probability=0.02, object_type=object_type)
    emu.faults.disconnect_after(probability=0.01, object_type=object_type)


def _deal(i: int, key: str | None = None) -> dict[str, str]:
    deal = {"dealname": f"deal-{i}", "dealstage": "appointmentscheduled", "pipeline": "default"}
    if key is not None:
        deal["import_key"] = key
    return deal


# --- get_many ------------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_get_many_is_aligned_with_none_for_missing(hubspot_emulator: Emulator) -> None:
    async with _client(hubspot_emulator) as crm:
        made = await crm.objects.create_many(
            "contacts", [{"email": f"g{i}@example.com"} for i in range(250)]
        )
        ids = [r.id for r in made.results if r is not None]
        wanted = [ids[3], "999999999", ids[249], ids[3], *ids[100:200]]
        by_id = await crm.objects.get_many("contacts", wanted, properties=["email"])
        by_email = await crm.objects.get_many(
            "contacts",
            ["G7@Example.com", "nobody@example.com", "g8@example.com"],
            id_property="email",
        )
        requests = hubspot_emulator.stats.requests_by_operation["batch_read"]
        assert await crm.objects.get_many("contacts", []) == []
    assert [r.id if r else None for r in by_id] == [ids[3], None, ids[249], ids[3], *ids[100:200]]
    assert by_id[0] is not None
    assert by_id[0].properties["email"] == "g3@example.com"
    assert [r.properties["email"] if r else None for r in by_email] == [
        "g7@example.com",
        None,
        "g8@example.com",
    ]
    assert requests == 2 + 1  # 102 distinct ids in two requests, three emails in one


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_get_many_rejects_bad_ids_before_sending(hubspot_emulator: Emulator) -> None:
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(ValueError, match="non-empty"):
            await crm.objects.get_many("contacts", ["1", " "])
        with pytest.raises(TypeError, match="strings"):
            await crm.objects.get_many("contacts", [1])  # type: ignore[list-item]
        with pytest.raises(BadRequestError, match="not a unique property"):
            await crm.objects.get_many("deals", ["x"], id_property="dealname")
    assert hubspot_emulator.stats.requests_by_operation == {"batch_read": 1}


def test_get_many_and_properties_create_have_sync_twins(sync_crm: HubCRM) -> None:
    prop = sync_crm.properties.create("deals", "sync_key", label="Sync key", unique=True)
    assert prop == CrmProperty(
        name="sync_key",
        label="Sync key",
        type="string",
        field_type="text",
        group_name="dealinformation",
        unique=True,
    )
    deal = sync_crm.objects.create("deals", {**_deal(1), "sync_key": "k-1"})
    got = sync_crm.objects.get_many("deals", ["k-1", "k-2"], id_property="sync_key")
    assert [r.id if r else None for r in got] == [deal.id, None]
    assert got[0] is not None
    assert got[0].properties["sync_key"] == "k-1"


# --- the unique key: a property created once -------------------------------------------


@pytest.mark.parametrize(
    ("object_type", "group"),
    [
        ("contacts", "contactinformation"),
        ("companies", "companyinformation"),
        ("0-2", "companyinformation"),
        ("deals", "dealinformation"),
        ("tickets", "ticketinformation"),
    ],
)
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_property_goes_to_its_type_s_main_group(
    hubspot_emulator: Emulator, object_type: str, group: str
) -> None:
    async with _client(hubspot_emulator) as crm:
        prop = await crm.properties.create(object_type, "region", label="Region")
    assert prop.group_name == group  # the emulator answers with the groupName it was sent


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_property_of_another_type_needs_its_group(hubspot_emulator: Emulator) -> None:
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(ValueError, match="group_name is needed for object type 'p_cars'"):
            await crm.properties.create("p_cars", "region", label="Region")
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.parametrize("refusal", ["409", "400"])
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_a_unique_property_refuses_a_second_record(
    hubspot_emulator: Emulator, refusal: str
) -> None:
    hubspot_emulator.configure(unique_refusal=refusal)  # type: ignore[arg-type]
    async with _client(hubspot_emulator) as crm:
        prop = await crm.properties.create("deals", "import_key", label="Import key", unique=True)
        assert prop.unique
        assert prop.name == "import_key"
        with pytest.raises(ConflictError):
            await crm.properties.create("deals", "import_key", label="Again")
        first = await crm.objects.create("deals", _deal(1, "row-1"))
        error: type[Exception] = ConflictError if refusal == "409" else BadRequestError
        with pytest.raises(error) as info:
            await crm.objects.create("deals", _deal(2, "row-1"))
        batch = await crm.objects.create_many("deals", [_deal(3, "row-1"), _deal(4, "row-4")])
    if refusal == "409":
        assert isinstance(info.value, ConflictError)
        assert info.value.existing_id == first.id
    else:
        assert info.value.context == {"propertyName": ["import_key"]}
    assert [o.status for o in batch.outcomes] == ["failed", "created"]
    assert hubspot_emulator.count("deals") == 2


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_create_many_with_id_property_creates_and_refuses_existing_keys(
    hubspot_emulator: Emulator,
) -> None:
    async with _client(hubspot_emulator) as crm:
        await crm.properties.create("deals", "import_key", label="Import key", unique=True)
        company = await crm.objects.create("companies", {"name": "Acme"})
        old = await crm.objects.create("deals", _deal(0, "k0"))
        link = [Association(company.id, AssociationType.DEAL_TO_COMPANY)]
        inputs = [ObjectInput(_deal(i, f"k{i}"), associations=link) for i in range(3)]
        result = await crm.objects.create_many("deals", inputs, id_property="import_key")
    assert [o.status for o in result.outcomes] == ["failed", "created", "created"]
    error = result.outcomes[0].error
    assert isinstance(error, ConflictError)
    assert error.existing_id == old.id
    stored = {o["properties"]["import_key"]: o for o in hubspot_emulator.objects("deals")}
    assert stored["k0"]["properties"]["dealname"] == "deal-0"  # not updated
    assert [a["toObjectId"] for a in stored["k1"]["associations"]] == [company.id]


# --- settling ambiguous batches against the emulator ----------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=(100, 1.0), seed=13)
async def test_contacts_with_defaults_exist_exactly_once_and_none_is_unknown(
    hubspot_emulator: Emulator,
    virtual_time: VirtualTime,
) -> None:
    _arm_issue_13_faults(hubspot_emulator, "contacts")
    inputs = [{"email": f"x{i}@example.com", "firstname": f"F{i}"} for i in range(N)]
    async with virtual_time.install(
        AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    ) as crm:
        result = await crm.objects.create_many("contacts", inputs, batch_size=20)
        stats = crm.stats
    faults = [r for r in hubspot_emulator.faults.log if r.operation == "batch_create"]
    assert len(faults) >= 5  # the run really was under fire
    assert (result.created, result.unknown, result.failed) == (N, 0, 0)
    stored = Counter(o["properties"]["email"] for o in hubspot_emulator.objects("contacts"))
    assert stored == Counter(row["email"] for row in inputs)  # each exactly once
    for outcome in result.outcomes:
        assert outcome.object is not None
        assert outcome.object.properties["email"] == inputs[outcome.index]["email"]
        assert outcome.new is True
    # One read or one resend per ambiguous batch, plus one per round that had to go on.
    assert len(faults) <= stats.read_backs + stats.settle_resends <= 3 * len(faults)
    reads = hubspot_emulator.stats.requests_by_operation["batch_read"]
    assert reads >= stats.read_backs  # each read back is a batch/read (retries included)


@pytest.mark.parametrize("refusal", ["409", "400"])
@pytest.mark.hubspot_emulator(rate_limit=(100, 1.0), seed=7)
async def test_deals_with_companies_and_an_id_property_exist_exactly_once(
    hubspot_emulator: Emulator, refusal: str, virtual_time: VirtualTime
) -> None:
    hubspot_emulator.configure(unique_refusal=refusal)  # type: ignore[arg-type]
    async with virtual_time.install(
        AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    ) as crm:
        await crm.properties.create("deals", "import_key", label="Import key", unique=True)
        companies = await crm.objects.create_many(
            "companies", [{"name": f"co-{i}"} for i in range(50)]
        )
        company_ids = [r.id for r in companies.results if r is not None]
        _arm_issue_13_faults(hubspot_emulator, "deals")
        inputs = [
            ObjectInput(
                _deal(i, f"file.csv:{i + 2}"),
                associations=[Association(company_ids[i % 50], AssociationType.DEAL_TO_COMPANY)],
            )
            for i in range(N)
        ]
        result = await crm.objects.create_many(
            "deals", inputs, id_property="import_key", batch_size=20
        )
        stats = crm.stats
    faults = [r for r in hubspot_emulator.faults.log if r.operation == "batch_create"]
    assert len(faults) >= 5
    assert (result.created, result.unknown, result.failed) == (N, 0, 0)
    stored = hubspot_emulator.objects("deals")
    keys = Counter(o["properties"]["import_key"] for o in stored)
    assert keys == Counter(f"file.csv:{i + 2}" for i in range(N))
    for obj in stored:
        i = int(obj["properties"]["import_key"].split(":")[1]) - 2
        assert [a["toObjectId"] for a in obj["associations"]] == [company_ids[i % 50]]
    assert stats.read_backs + stats.settle_resends >= len(faults)


@pytest.mark.hubspot_emulator(rate_limit=None, seed=3)
async def test_keyless_inputs_stay_unknown_and_say_why(hubspot_emulator: Emulator) -> None:
    hubspot_emulator.faults.error_after(502, times=1, operation="batch_create")
    async with _client(hubspot_emulator) as crm:
        result = await crm.objects.create_many("deals", [_deal(i) for i in range(5)])
        assert crm.stats.read_backs == 0
    assert result.unknown == 5
    error = result.outcomes[0].error
    assert isinstance(error, OutcomeUnknownError)
    assert "id_property" in str(error)  # how to get a key, and so exactly-once
    assert hubspot_emulator.stats.requests_by_operation == {"batch_create": 1}


@pytest.mark.hubspot_emulator(rate_limit=None, seed=3)
async def test_retry_writes_always_settles_the_batch_that_met_its_own_records(
    hubspot_emulator: Emulator,
) -> None:
    hubspot_emulator.faults.error_after(502, times=2, operation="batch_create")
    inputs = [{"email": f"a{i}@example.com"} for i in range(10)]
    async with _client(hubspot_emulator, retry_writes="always") as crm:
        result = await crm.objects.create_many("contacts", inputs, batch_size=5)
        deals = await crm.objects.create_many("deals", [_deal(i) for i in range(3)])
    assert (result.created, result.failed, result.unknown) == (10, 0, 0)
    assert hubspot_emulator.count("contacts") == 10
    assert deals.created == 3  # no key: sent again, at-least-once as the policy says


@pytest.mark.hubspot_emulator(rate_limit=None, seed=3)
async def test_a_keyed_input_the_read_backs_cannot_settle_says_they_were_tried(
    hubspot_emulator: Emulator,
) -> None:
    # Every request after the ambiguous batch fails too: the rounds run out.
    hubspot_emulator.faults.error_after(502, times=50)
    retry = RetryPolicy(max_retries=2)  # the default backoffs, on virtual time
    async with _client(hubspot_emulator, retry=retry) as crm:
        result = await crm.objects.create_many("contacts", [{"email": "k@example.com"}])
    (outcome,) = result.outcomes
    assert outcome.status == "unknown"
    assert isinstance(outcome.error, OutcomeUnknownError)
    assert outcome.error.retried is True
    assert "hubcrm tried to settle it" in str(outcome.error)
    assert "retry_writes" not in str(outcome.error)


@pytest.mark.hubspot_emulator(rate_limit=None, seed=3)
async def test_retry_writes_never_leaves_ambiguous_batches_unknown(
    hubspot_emulator: Emulator,
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, operation="batch_create")
    async with _client(hubspot_emulator, retry_writes="never") as crm:
        result = await crm.objects.create_many("contacts", [{"email": "n@example.com"}])
    assert result.unknown == 1
    assert "batch_read" not in hubspot_emulator.stats.requests_by_operation


# --- settling, scripted: existed before, reads that lag -----------------------------------

OLD = "2020-01-01T00:00:00.000Z"
NEW = "2030-01-01T00:00:00.000Z"  # after the batch was sent, whatever the clock says


def _record(object_id: str, email: str, created: str) -> dict[str, Any]:
    return {
        "id": object_id,
        "properties": {"email": email, "hs_object_id": object_id},
        "createdAt": created,
        "updatedAt": created,
        "archived": False,
    }


async def test_a_record_older_than_the_batch_is_a_conflict_and_a_missing_one_is_resent(
    serve: Serve,
    virtual_time: VirtualTime,
) -> None:
    seen: list[tuple[str, Any]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        seen.append((request.path.rsplit("/", 1)[1], body))
        if len(seen) == 1:  # after commit, or not: a 502 says nothing of when
            return web.json_response({"status": "error", "message": "bad gateway"}, status=502)
        if len(seen) == 2:  # the read back: one existed long before, one is missing
            return web.json_response(
                {
                    "status": "COMPLETE",
                    "results": [_record("5", "old@example.com", OLD)],
                    "errors": [
                        {
                            "status": "error",
                            "category": "OBJECT_NOT_FOUND",
                            "message": "not found",
                            "context": {"ids": ["new@example.com"]},
                        }
                    ],
                },
                status=207,
            )
        trace = body["inputs"][0]["objectWriteTraceId"]
        result = {**_record("6", "new@example.com", NEW), "objectWriteTraceId": trace}
        return web.json_response({"status": "COMPLETE", "results": [result]}, status=201)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with virtual_time.install(AsyncHubCRM("t", base_url=url, rate_limit=None)) as crm:
        result = await crm.objects.create_many(
            "contacts", [{"email": "old@example.com"}, {"email": "new@example.com"}]
        )
        assert crm.stats.read_backs == 1
    assert [p for p, _ in seen] == ["create", "read", "create"]
    assert seen[1][1]["idProperty"] == "email"
    assert [i["id"] for i in seen[1][1]["inputs"]] == ["old@example.com", "new@example.com"]
    assert [i["properties"]["email"] for i in seen[2][1]["inputs"]] == ["new@example.com"]
    old, new = result.outcomes
    assert old.status == "failed"
    assert isinstance(old.error, ConflictError)
    assert old.error.existing_id == "5"
    assert (new.status, new.object and new.object.id) == ("created", "6")


async def test_after_a_503_the_batch_is_resent_first_and_only_the_refused_read_back(
    serve: Serve,
) -> None:
    """A 503 most likely came before commit: the cheapest sound order is to resend at
    once (a keyed input cannot be duplicated) and read back only what is refused."""
    seen: list[tuple[str, Any]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        seen.append((request.path.rsplit("/", 1)[1], body))
        if len(seen) == 1:
            return web.json_response({"status": "error", "message": "busy"}, status=503)
        if len(seen) == 2:  # the resend: one is taken (it existed long before), one made
            old_trace = body["inputs"][0]["objectWriteTraceId"]
            new_trace = body["inputs"][1]["objectWriteTraceId"]
            made = {**_record("6", "new@example.com", NEW), "objectWriteTraceId": new_trace}
            taken = {
                "status": "error",
                "category": "CONFLICT",
                "message": "Contact already exists. Existing ID: 5",
                "context": {"objectWriteTraceId": [old_trace]},
            }
            return web.json_response(
                {"status": "COMPLETE", "results": [made], "numErrors": 1, "errors": [taken]},
                status=207,
            )
        # The read back of the refused input.
        return web.json_response(
            {"status": "COMPLETE", "results": [_record("5", "old@example.com", OLD)]}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with AsyncHubCRM("t", base_url=url, rate_limit=None) as crm:
        result = await crm.objects.create_many(
            "contacts", [{"email": "old@example.com"}, {"email": "new@example.com"}]
        )
        stats = crm.stats
    assert [p for p, _ in seen] == ["create", "create", "read"]
    assert (stats.settle_resends, stats.read_backs) == (1, 1)
    assert [i["id"] for i in seen[2][1]["inputs"]] == ["old@example.com"]
    old, new = result.outcomes
    assert old.status == "failed"
    assert isinstance(old.error, ConflictError)
    assert old.error.existing_id == "5"
    assert (new.status, new.object and new.object.id) == ("created", "6")


@pytest.mark.parametrize("shape", ["409", "400"])
async def test_a_resend_refused_because_a_lagging_read_missed_the_record_is_settled(
    serve: Serve, shape: str, virtual_time: VirtualTime
) -> None:
    """The read back does not see the record the first attempt made yet; the resend is
    refused as a duplicate (a 409, or a 400 naming the key); the next read finds it."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        seen.append(request.path.rsplit("/", 1)[1])
        trace = body["inputs"][0].get("objectWriteTraceId")
        if len(seen) == 1:  # committed, then the connection answer is lost: a 502
            return web.json_response({"status": "error", "message": "bad gateway"}, status=502)
        if len(seen) == 2:  # the read lags: nothing yet
            return web.json_response(
                {
                    "status": "COMPLETE",
                    "results": [],
                    "errors": [{"category": "OBJECT_NOT_FOUND", "context": {"ids": ["k"]}}],
                },
                status=207,
            )
        if len(seen) == 3:
            entry: dict[str, Any] = {
                "status": "error",
                "context": {"objectWriteTraceId": [trace]},
            }
            if shape == "409":
                entry.update(category="CONFLICT", message="Deal already exists. Existing ID: 9")
            else:
                entry.update(
                    category="VALIDATION_ERROR",
                    message="value already used",
                    context={"objectWriteTraceId": [trace], "propertyName": ["key"]},
                )
            return web.json_response(
                {"status": "COMPLETE", "results": [], "numErrors": 1, "errors": [entry]},
                status=207,
            )
        record = _record("9", "-", NEW)
        record["properties"] = {"key": "k", "dealname": "d"}
        return web.json_response({"status": "COMPLETE", "results": [record]})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with virtual_time.install(AsyncHubCRM("t", base_url=url, rate_limit=None)) as crm:
        result = await crm.objects.create_many(
            "deals", [{"key": "k", "dealname": "d"}], id_property="key"
        )
        assert crm.stats.read_backs == 2
    assert seen == ["create", "read", "create", "read"]
    (outcome,) = result.outcomes
    assert (outcome.status, outcome.object and outcome.object.id) == ("created", "9")


@pytest.mark.parametrize("shape", ["409", "400"])
async def test_a_single_create_whose_resend_a_lagging_read_let_through_is_settled(
    serve: Serve, shape: str, virtual_time: VirtualTime
) -> None:
    """The single-create twin: the look-up does not see the record yet, the resend is
    refused as a duplicate, and the next look-up finds the record the first attempt made.
    A 400 naming the key is such a refusal, not a rejection of the input."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(request.method)
        if len(seen) == 1:  # committed, then the answer is lost: a 502
            return web.json_response({"status": "error", "message": "bad gateway"}, status=502)
        if len(seen) == 2:  # the look-up lags: not found yet
            return web.json_response(
                {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "not found"},
                status=404,
            )
        if len(seen) == 3:
            if shape == "409":
                error = {"category": "CONFLICT", "message": "Deal already exists. Existing ID: 9"}
                return web.json_response({"status": "error", **error}, status=409)
            refusal = {
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": "value already used",
                "context": {"propertyName": ["key"]},
            }
            return web.json_response(refusal, status=400)
        record = _record("9", "-", NEW)
        record["properties"] = {"key": "k", "dealname": "d"}
        return web.json_response(record)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with virtual_time.install(AsyncHubCRM("t", base_url=url, rate_limit=None)) as crm:
        made = await crm.objects.create("deals", {"key": "k", "dealname": "d"}, id_property="key")
    assert made.id == "9"
    assert seen == ["POST", "GET", "POST", "GET"]


# --- upserts ---------------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None, upsert_trace_ids=False)
async def test_upsert_results_without_trace_ids_are_matched_by_key(
    hubspot_emulator: Emulator,
) -> None:
    async with _client(hubspot_emulator) as crm:
        await crm.objects.create("contacts", {"email": "u7@example.com", "firstname": "Old"})
        rows = [{"email": f"U{i}@example.com", "firstname": f"New{i}"} for i in range(300)]
        result = await crm.objects.upsert_many("contacts", rows, id_property="email")
    assert (result.created, result.updated, result.unknown) == (300, 1, 0)
    for outcome in result.outcomes:
        assert outcome.object is not None
        assert outcome.object.properties["firstname"] == f"New{outcome.index}"
    assert result.outcomes[7].new is False


@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_upsert_many_needs_an_id_property_and_takes_no_associations(
    hubspot_emulator: Emulator,
) -> None:
    async with _client(hubspot_emulator) as crm:
        with pytest.raises(ValueError, match="an upsert needs an id_property"):
            await crm.objects.upsert_many("contacts", [], id_property=None)  # type: ignore[arg-type]
        linked = ObjectInput(
            {"email": "l@example.com"},
            associations=[Association("1", AssociationType.CONTACT_TO_COMPANY)],
        )
        result = await crm.objects.upsert_many("contacts", [linked], id_property="email")
    assert result.outcomes[0].code == "ValueError"
    assert "create_many with id_property" in str(result.outcomes[0].error)
