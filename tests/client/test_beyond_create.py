"""The calls a create workflow needs, over real HTTP against the emulator: raw requests,
raw responses, update, archive, paging, search and associations, async and sync."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import anyio
import pytest
from support_time import VirtualTime

from hubcrm import (
    AssociationInput,
    AssociationSpec,
    AssociationType,
    AsyncHubCRM,
    BadRequestError,
    Filter,
    HubCRM,
    NotFoundError,
    ObjectUpdate,
    OutcomeUnknownError,
    RateLimit,
    RetryPolicy,
    SearchCapError,
    ServerError,
    Sort,
)
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"


def contacts(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"email": f"p{i}@example.com", "firstname": f"n{i}"} for i in range(start, start + n)]


async def seed(crm: AsyncHubCRM, n: int) -> list[str]:
    result = await crm.objects.create_many("contacts", contacts(n))
    assert result.ok
    return [record.id for record in result.results if record is not None]


# --- crm.request ---------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=(20, 0.8))
async def test_raw_requests_share_the_rolling_window(hubspot_emulator: Emulator) -> None:
    """60 concurrent ``crm.request`` GETs at 20 per 1 s draw no 429.

    The emulator counts 20 per 0.8 s: the 200 ms between its window and the client's is
    room for delivery (a grant reaches the server later than it was made on a busy
    machine), as in the limiter's own end-to-end test. Were the raw requests not passing
    the client's limiter, 60 at once would draw 40 429s.
    """
    emu = hubspot_emulator
    gc.collect()  # a full collection mid-burst would stall a grant past the margin
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=RateLimit(20, 1.0)) as crm:
        record = await crm.objects.create("contacts", {"email": "ada@example.com"})
        path = f"{V}/contacts/{record.id}"
        responses = await asyncio.gather(*(crm.request("GET", path) for _ in range(60)))
    assert {r.status for r in responses} == {200}
    assert all(r.json()["id"] == record.id for r in responses)
    assert emu.stats.rate_limited == {}
    assert emu.stats.requests_by_operation["read"] == 60
    assert crm.stats.rate_limited == 0
    assert crm.stats.requests == 61


async def test_raw_request_params_body_and_empty_answers(crm: AsyncHubCRM) -> None:
    created = await crm.request(
        "post", f"{V}/contacts", json={"properties": {"email": "ada@example.com"}}
    )
    assert created.status == 201
    record_id = created.json()["id"]
    read = await crm.request(
        "GET", f"{V}/contacts/{record_id}", params={"properties": ["email", "firstname"]}
    )
    assert set(read.json()["properties"]) >= {"email", "firstname"}
    assert read.headers["x-hubspot-correlation-id"]
    archived = await crm.request("DELETE", f"{V}/contacts/{record_id}")
    assert archived.status == 204
    assert archived.json() is None


async def test_raw_request_refuses_what_it_cannot_send(crm: AsyncHubCRM) -> None:
    with pytest.raises(ValueError, match="single '/'"):
        await crm.request("GET", "https://elsewhere.example/crm")
    with pytest.raises(ValueError, match="params="):
        await crm.request("GET", f"{V}/contacts?limit=1")
    with pytest.raises(ValueError, match="method"):
        await crm.request("TRACE", f"{V}/contacts")
    with pytest.raises(ValueError, match="safety"):
        await crm.request("POST", f"{V}/contacts", safety="maybe")  # type: ignore[arg-type]


@pytest.mark.hubspot_emulator(search_delay=0)  # not about indexing
async def test_raw_request_retries_by_write_safety(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    emu = hubspot_emulator
    fast = virtual_time.install(crm)  # backoffs on virtual time
    record = await fast.objects.create("contacts", {"email": "ada@example.com"})
    # A GET is idempotent: an ambiguous 502 is retried.
    emu.faults.error_after(502, times=1, operation="read")
    response = await fast.request("GET", f"{V}/contacts/{record.id}")
    assert response.status == 200
    # A POST is not: the 502 comes back, and only one contact was made.
    emu.faults.error_after(502, times=1, operation="create")
    with pytest.raises(ServerError):
        await fast.request("POST", f"{V}/contacts", json={"properties": {"firstname": "x"}})
    assert emu.count("contacts") == 2
    # ... unless the caller says it is safe to repeat.
    emu.faults.error_after(502, times=1, operation="search")
    found = await fast.request("POST", f"{V}/contacts/search", json={}, safety="read")
    assert found.json()["total"] == 2


async def test_unserved_endpoints_are_an_honest_404(crm: AsyncHubCRM) -> None:
    with pytest.raises(NotFoundError) as caught:
        await crm.request("GET", "/crm/lists/2026-03/folders")
    assert caught.value.category == "NOT_EMULATED"
    assert "not emulated" in str(caught.value)


# --- with_raw_response ---------------------------------------------------------------------


async def test_with_raw_response_gives_status_headers_and_the_record(crm: AsyncHubCRM) -> None:
    raw = await crm.objects.with_raw_response.create("contacts", {"email": "ada@example.com"})
    assert raw.status == 201
    assert raw.headers["x-hubspot-correlation-id"]
    record = raw.parse()
    read = await crm.objects.with_raw_response.get("contacts", record.id)
    assert (read.status, read.parse().id) == (200, record.id)
    assert "X-HubSpot-RateLimit-Max" in read.headers
    updated = await crm.objects.with_raw_response.update("contacts", record.id, {"firstname": "A"})
    assert updated.parse().properties["firstname"] == "A"
    gone = await crm.objects.with_raw_response.archive("contacts", record.id)
    assert (gone.status, gone.parse()) == (204, None)
    # Every argument of the plain call is taken (the raw call is made from it).
    read = await crm.objects.with_raw_response.get("contacts", record.id, archived=True)
    assert (read.status, read.parse().archived) == (200, True)


async def test_with_raw_response_of_a_settled_create_is_the_settling_read(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, object_type="contacts")
    raw = await crm.objects.with_raw_response.create(
        "contacts", {"email": "once@example.com"}, id_property="email"
    )
    assert raw.status == 200  # the read that found the record the 502 hid
    assert raw.parse().properties["email"] == "once@example.com"
    assert hubspot_emulator.stats.requests_by_operation["read"] == 1


def test_with_raw_response_sync(sync_crm: HubCRM) -> None:
    raw = sync_crm.objects.with_raw_response.create("contacts", {"email": "ada@example.com"})
    assert raw.status == 201
    assert raw.parse().properties["email"] == "ada@example.com"


# --- get, update, archive -----------------------------------------------------------------


async def test_get_reads_history_associations_and_archived(crm: AsyncHubCRM) -> None:
    company = await crm.objects.create("companies", {"name": "Acme"})
    contact = await crm.objects.create("contacts", {"email": "ada@example.com", "firstname": "Ada"})
    await crm.associations.create(
        "contacts", contact.id, "companies", company.id, AssociationType.CONTACT_TO_COMPANY
    )
    read = await crm.objects.get(
        "contacts", contact.id, associations=["companies"], properties_with_history=["firstname"]
    )
    assert read.associations is not None
    assert [a.id for a in read.associations["companies"]] == [company.id]
    assert read.properties_with_history is not None
    assert read.properties_with_history["firstname"][0].value == "Ada"
    await crm.objects.archive("contacts", contact.id)
    with pytest.raises(NotFoundError):
        await crm.objects.get("contacts", contact.id)
    archived = await crm.objects.get("contacts", contact.id, archived=True)
    assert archived.archived
    assert archived.archived_at is not None


async def test_update_by_id_and_by_unique_property(crm: AsyncHubCRM) -> None:
    record = await crm.objects.create("contacts", {"email": "ada@example.com"})
    updated = await crm.objects.update(
        "contacts", record.id, {"firstname": "Ada", "lastname": None}
    )
    assert updated.properties["firstname"] == "Ada"
    by_email = await crm.objects.update(
        "contacts", "ADA@example.com", {"lastname": "Lovelace"}, id_property="email"
    )
    assert by_email.id == record.id
    assert (await crm.objects.get("contacts", record.id, ["lastname"])).properties[
        "lastname"
    ] == "Lovelace"
    with pytest.raises(NotFoundError):
        await crm.objects.update("contacts", "424242", {"firstname": "x"})
    with pytest.raises(BadRequestError):
        await crm.objects.update("contacts", record.id, {"no_such_property": "x"})


async def test_update_is_retried_after_an_ambiguous_failure(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    fast = virtual_time.install(crm)  # backoffs on virtual time
    record = await fast.objects.create("contacts", {"email": "ada@example.com"})
    hubspot_emulator.faults.error_after(502, times=1, operation="update")
    updated = await fast.objects.update("contacts", record.id, {"firstname": "Ada"})
    assert updated.properties["firstname"] == "Ada"
    assert hubspot_emulator.stats.requests_by_operation["update"] == 2


async def test_an_update_left_unknown_says_it_is_safe_to_send_again(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    fast = virtual_time.install(crm).with_options(retry=RetryPolicy(max_retries=1))
    (record_id,) = await seed(crm, 1)
    hubspot_emulator.faults.error_after(502, times=2, operation="batch_update")
    update = ObjectUpdate(record_id, {"firstname": "a"})
    result = await fast.objects.update_many("contacts", [update])
    (outcome,) = result.outcomes
    assert outcome.status == "unknown"
    assert isinstance(outcome.error, OutcomeUnknownError)
    assert (outcome.error.operation, outcome.error.retried) == ("update", False)
    assert str(outcome.error).startswith("updating a 'contacts' record failed")
    assert hubspot_emulator.stats.requests_by_operation["batch_update"] == 2


async def test_update_many_accounts_for_every_input(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    ids = await seed(crm, 5)
    result = await crm.objects.update_many(
        "contacts",
        [
            ObjectUpdate(ids[0], {"firstname": "a"}),
            ObjectUpdate("424242", {"firstname": "b"}),  # no such record: a 207 entry
            ObjectUpdate(ids[1], {"no_such_property": "c"}),  # refused: a 207 entry
            {"id": ids[2], "properties": {"firstname": "d"}},
            ObjectUpdate("p3@example.com", {"firstname": "e"}, id_property="email"),
            ObjectUpdate(ids[0], {"firstname": "f"}),  # the same record again: later round
            "not an update",  # type: ignore[list-item]
        ],
        batch_size=10,
    )
    statuses = [o.status for o in result.outcomes]
    assert statuses == ["updated", "failed", "failed", "updated", "updated", "updated", "failed"]
    assert isinstance(result.outcomes[1].error, NotFoundError)
    assert isinstance(result.outcomes[2].error, BadRequestError)
    assert isinstance(result.outcomes[6].error, TypeError)
    assert not result.ok
    assert len(result.errors) == 3
    updated = result.outcomes[4].object
    assert updated is not None
    assert updated.id == ids[3]
    names = {
        o["id"]: o["properties"].get("firstname") for o in hubspot_emulator.objects("contacts")
    }
    assert names[ids[0]] == "f"  # applied in input order
    assert names[ids[2]] == "d"
    assert hubspot_emulator.stats.responses_by_status.get(207) == 1


async def test_archive_and_archive_many(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    ids = await seed(crm, 7)
    await crm.objects.archive("contacts", ids[0])
    await crm.objects.archive("contacts", ids[0])  # archiving twice is harmless
    result = await crm.objects.archive_many("contacts", [*ids[1:6], "", 424242], batch_size=2)
    assert [o.status for o in result.outcomes] == ["archived"] * 5 + ["failed", "archived"]
    assert isinstance(result.outcomes[5].error, ValueError)
    assert hubspot_emulator.count("contacts") == 1
    assert hubspot_emulator.stats.requests_by_operation["batch_archive"] == 3


# --- iter_all -------------------------------------------------------------------------------


async def test_iter_all_pages_to_the_end(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    ids = await seed(crm, 250)
    seen = [record.id async for record in crm.objects.iter_all("contacts", properties=["email"])]
    assert seen == sorted(ids, key=int)
    assert hubspot_emulator.stats.requests_by_operation["list"] == 3
    await crm.objects.archive_many("contacts", ids[:3])
    archived = [r async for r in crm.objects.iter_all("contacts", archived=True, page_size=2)]
    assert [r.id for r in archived] == ids[:3]
    assert all(r.archived for r in archived)


async def test_iter_all_checks_its_arguments_before_any_request(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    with pytest.raises(ValueError, match="page_size"):
        crm.objects.iter_all("contacts", page_size=101)
    with pytest.raises(TypeError, match="archived"):
        crm.objects.iter_all("contacts", archived="yes")  # type: ignore[arg-type]
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.hubspot_emulator(search_delay=0)  # not about indexing
def test_iter_all_and_search_sync(sync_crm: HubCRM) -> None:
    sync_crm.objects.create_many("contacts", contacts(120))
    assert len(list(sync_crm.objects.iter_all("contacts"))) == 120
    found = list(sync_crm.objects.search("contacts", filters=[Filter("firstname", "EQ", "n7")]))
    assert [r.properties["email"] for r in found] == ["p7@example.com"]


# --- search ---------------------------------------------------------------------------------


@pytest.mark.hubspot_emulator(search_delay=0)  # not about indexing
async def test_search_filters_groups_sorts_and_pages(crm: AsyncHubCRM) -> None:
    await crm.objects.create_many(
        "contacts",
        [{"email": f"p{i}@example.com", "total_revenue": i} for i in range(30)],
    )
    between = [
        r.properties["email"]
        async for r in crm.objects.search(
            "contacts",
            filters=[Filter("total_revenue", "BETWEEN", 10, high_value=19)],
            properties=["email"],
            sorts=["-total_revenue"],
            page_size=3,
        )
    ]
    assert between == [f"p{i}@example.com" for i in range(19, 9, -1)]
    either = [
        r.properties["email"]
        async for r in crm.objects.search(
            "contacts",
            filter_groups=[
                [Filter("email", "IN", ["p1@example.com", "p2@example.com"])],
                [Filter("total_revenue", "GTE", 28)],
            ],
            sorts=[Sort("total_revenue")],
        )
    ]
    assert either == ["p1@example.com", "p2@example.com", "p28@example.com", "p29@example.com"]


async def test_search_checks_hubspots_limits_before_any_request(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    f = Filter("email", "HAS_PROPERTY")
    with pytest.raises(ValueError, match="5 filter groups"):
        crm.objects.search("contacts", filter_groups=[[f]] * 6)
    with pytest.raises(ValueError, match="10 filters per group, not 11"):
        crm.objects.search("contacts", filters=[f] * 11)
    with pytest.raises(ValueError, match="25 filters in all, not 26"):
        crm.objects.search("contacts", filter_groups=[[f] * 6] * 4 + [[f] * 2])
    with pytest.raises(ValueError, match="query of at most 3,000 characters, not 3,001"):
        crm.objects.search("contacts", query="x" * 3001)
    with pytest.raises(ValueError, match="not both"):
        crm.objects.search("contacts", filters=[f], filter_groups=[[f]])
    with pytest.raises(ValueError, match="page_size"):
        crm.objects.search("contacts", page_size=201)
    with pytest.raises(ValueError, match="BETWEEN needs a high_value"):
        Filter("amount", "BETWEEN", 1)
    with pytest.raises(TypeError, match="list of values"):
        Filter("email", "IN", "a@example.com")
    with pytest.raises(ValueError, match="unknown search operator"):
        Filter("email", "LIKE", "a")  # type: ignore[arg-type]
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.hubspot_emulator(search_delay=0)  # not about indexing
async def test_search_takes_hubspots_current_limits(crm: AsyncHubCRM) -> None:
    """5 groups, 10 filters per group, 25 in all and a 3,000-character query (HubSpot's
    limits since August 2024) are sent, and HubSpot's search answers them."""
    await crm.objects.create_many("contacts", contacts(3))
    f = Filter("email", "HAS_PROPERTY")
    ten = [r async for r in crm.objects.search("contacts", filters=[f] * 10)]
    assert len(ten) == 3
    full = [r async for r in crm.objects.search("contacts", filter_groups=[[f] * 5] * 5)]
    assert len(full) == 3
    long_query = [r async for r in crm.objects.search("contacts", query="p1" + "x" * 2998)]
    assert long_query == []


@pytest.mark.hubspot_emulator(rate_limit=None, search_rate_limit=None, search_delay=0)
async def test_search_raises_at_the_10000_cap(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    async with AsyncHubCRM(
        emu.token, base_url=emu.base_url, rate_limit=None, search_rate_limit=None
    ) as crm:
        await crm.objects.create_many("contacts", contacts(10_050))
        read: list[str] = []

        async def read_all() -> None:
            async for record in crm.objects.search("contacts", page_size=200):
                read.append(record.id)

        with pytest.raises(SearchCapError) as caught:
            await read_all()
        assert len(read) == 10_000
        assert caught.value.total == 10_050
        assert caught.value.cap == 10_000
        # the request HubSpot would refuse was never sent
        assert emu.stats.responses_by_status.get(400) is None
        # the keyset pattern reads on past the cap
        rest = [
            r
            async for r in crm.objects.search(
                "contacts",
                filters=[Filter("hs_object_id", "GT", _last_id(emu, 10_000))],
                sorts=["hs_object_id"],
                page_size=200,
            )
        ]
        assert len(rest) == 50


def _last_id(emu: Emulator, n: int) -> str:
    return str(emu.objects("contacts")[n - 1]["id"])


# The emulator forgets a search after 0.8 s, the client after 1 s: room for delivery on a busy
# machine (a grant may reach the server later than it was made). Without the search limiter
# the four concurrent listings would draw 429s; through the main window they would wait 60 s.
@pytest.mark.hubspot_emulator(rate_limit=(3, 60.0), search_rate_limit=(5, 0.8), search_delay=0)
async def test_searches_keep_their_own_limit_and_leave_the_window_alone(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=RateLimit(3, 60.0)) as crm:
        for i in range(3):  # the whole burst window, for a minute
            await crm.objects.create("contacts", {"email": f"p{i}@example.com"})
        with anyio.fail_after(10):  # far less than the 60 s the main window would hold
            pages = await asyncio.gather(
                *(_search_all(crm, page_size=1) for _ in range(4))
            )  # 4 x 3 = 12 searches at 5 per second
            # A client made by with_options searches through the same search limiter.
            pages.append(await _search_all(crm.with_options(timeout=30), page_size=1))
    assert [len(p) for p in pages] == [3, 3, 3, 3, 3]
    assert emu.stats.requests_by_operation["search"] == 15
    assert emu.stats.rate_limited == {}
    assert crm.stats.rate_limit_wait > 1.0  # the search limiter spaced them out


@pytest.mark.hubspot_emulator(rate_limit=None, search_rate_limit=(2, 1.0), search_delay=0)
async def test_a_search_429_pauses_searches_and_is_retried(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, search_rate_limit=None) as crm:
        await crm.objects.create("contacts", {"email": "ada@example.com"})
        found = await asyncio.gather(*(_search_all(crm, page_size=1) for _ in range(4)))
    assert [len(f) for f in found] == [1, 1, 1, 1]
    assert emu.stats.rate_limited.get("SECONDLY", 0) >= 1
    assert crm.stats.rate_limited >= 1


async def _search_all(crm: AsyncHubCRM, page_size: int) -> list[str]:
    return [r.id async for r in crm.objects.search("contacts", page_size=page_size)]


# --- associations ---------------------------------------------------------------------------


async def test_associations_create_list_delete(crm: AsyncHubCRM) -> None:
    contact = await crm.objects.create("contacts", {"email": "ada@example.com"})
    companies = [(await crm.objects.create("companies", {"name": f"c{i}"})).id for i in range(5)]
    for company in companies:
        link = await crm.associations.create(
            "contacts", contact.id, "companies", company, AssociationType.CONTACT_TO_COMPANY
        )
        assert (link.from_id, link.to_id, link.to_type_id) == (contact.id, company, "0-2")
    await crm.associations.create(
        "contacts",
        contact.id,
        "companies",
        companies[0],
        AssociationType.CONTACT_TO_COMPANY_PRIMARY,
    )
    listed = [
        r async for r in crm.associations.list("contacts", contact.id, "companies", page_size=2)
    ]
    assert [r.to_id for r in listed] == companies
    assert {t.type_id for t in listed[0].types} == {279, 1}
    assert {t.label for t in listed[0].types} == {None, "Primary"}
    back = [r async for r in crm.associations.list("companies", companies[1], "contacts")]
    assert [(r.to_id, [t.type_id for t in r.types]) for r in back] == [(contact.id, [280])]
    await crm.associations.delete("contacts", contact.id, "companies", companies[0])
    left = [r.to_id async for r in crm.associations.list("contacts", contact.id, "companies")]
    assert left == companies[1:]
    default = await crm.associations.create("contacts", contact.id, "companies", companies[0])
    assert default.to_id == companies[0]
    with pytest.raises(NotFoundError):
        await crm.associations.create("contacts", "424242", "companies", companies[0], 279)
    with pytest.raises(BadRequestError):
        await crm.associations.create(
            "contacts", contact.id, "companies", companies[0], AssociationType.DEAL_TO_CONTACT
        )


async def test_labels_and_user_defined_types(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    hubspot_emulator.define_association_type("contacts", "deals", 77, label="Decision maker")
    labels = await crm.associations.labels("contacts", "deals")
    assert (labels[-1].type_id, labels[-1].category, labels[-1].label) == (
        77,
        "USER_DEFINED",
        "Decision maker",
    )
    decision_maker = next(label for label in labels if label.label == "Decision maker")
    contact = await crm.objects.create("contacts", {"email": "ada@example.com"})
    deal = await crm.objects.create(
        "deals", {"dealname": "d", "dealstage": "appointmentscheduled", "pipeline": "default"}
    )
    link = await crm.associations.create(
        "contacts",
        contact.id,
        "deals",
        deal.id,
        [decision_maker.spec, AssociationType.CONTACT_TO_DEAL],
    )
    assert link.labels == ("Decision maker",)
    assert decision_maker.spec == AssociationSpec(77, "USER_DEFINED")


async def test_associations_create_many_reports_207_partials(crm: AsyncHubCRM) -> None:
    contacts_ = (await crm.objects.create_many("contacts", contacts(3))).results
    company = await crm.objects.create("companies", {"name": "Acme"})
    ids = [c.id for c in contacts_ if c is not None]
    result = await crm.associations.create_many(
        "contacts",
        "companies",
        [
            AssociationInput(ids[0], company.id, AssociationType.CONTACT_TO_COMPANY),
            AssociationInput("424242", company.id, AssociationType.CONTACT_TO_COMPANY),
            AssociationInput(ids[1], company.id, AssociationType.CONTACT_TO_COMPANY),
            AssociationInput(ids[2], "999999", AssociationType.CONTACT_TO_COMPANY),
        ],
    )
    assert [o.status for o in result.outcomes] == ["created", "failed", "created", "failed"]
    assert isinstance(result.outcomes[1].error, BadRequestError)
    back = [r.to_id async for r in crm.associations.list("companies", company.id, "contacts")]
    assert back == [ids[0], ids[1]]


def test_associations_sync(sync_crm: HubCRM) -> None:
    contact = sync_crm.objects.create("contacts", {"email": "ada@example.com"})
    company = sync_crm.objects.create("companies", {"name": "Acme"})
    sync_crm.associations.create("contacts", contact.id, "companies", company.id, 279)
    assert [r.to_id for r in sync_crm.associations.list("contacts", contact.id, "companies")] == [
        company.id
    ]
    assert any(
        label.type_id == 279 for label in sync_crm.associations.labels("contacts", "companies")
    )
    sync_crm.associations.delete("contacts", contact.id, "companies", company.id)
    assert list(sync_crm.associations.list("contacts", contact.id, "companies")) == []


def test_update_archive_and_raw_request_sync(sync_crm: HubCRM, hubspot_emulator: Emulator) -> None:
    record = sync_crm.objects.create("contacts", {"email": "ada@example.com"})
    assert (
        sync_crm.objects.update("contacts", record.id, {"firstname": "A"}).properties["firstname"]
        == "A"
    )
    result = sync_crm.objects.update_many("contacts", [ObjectUpdate(record.id, {"lastname": "L"})])
    assert result.ok
    assert sync_crm.request("GET", f"{V}/contacts/{record.id}").json()["id"] == record.id
    assert sync_crm.objects.archive_many("contacts", [record.id]).ok
    assert hubspot_emulator.count("contacts") == 0


def test_an_association_error_fails_only_the_pair_it_names() -> None:
    # Two links from one record, each refused for its own reason: each input gets the
    # error that names both its ids, not the first error that names its from id.
    from hubcrm._resources.associations import _map_association_answer

    def refused(to_id: str, message: str) -> dict[str, Any]:
        context = {"fromObjectId": ["1"], "toObjectId": [to_id]}
        return {"status": "error", "category": "VALIDATION_ERROR", "message": message,
                "context": context}  # fmt: skip

    chunk = [
        AssociationInput("1", "10", AssociationType.CONTACT_TO_COMPANY),
        AssociationInput("1", "11", AssociationType.CONTACT_TO_COMPANY),
    ]
    data = {"status": "COMPLETE", "results": [], "errors": [refused("11", "b"), refused("10", "a")]}
    answer = _map_association_answer(chunk, data, {}, "/crm/associations/x")
    assert answer.status == ["failed", "failed"]
    messages = [error.message for error in answer.error if isinstance(error, BadRequestError)]
    assert messages == ["a", "b"]


@pytest.mark.parametrize(
    ("status", "category", "outcome"),
    [(429, "RATE_LIMITS", "not_attempted"), (503, "SERVICE_UNAVAILABLE", "unknown")],
)
def test_an_association_entry_of_a_rate_limit_or_5xx_is_not_a_failure(
    status: int, category: str, outcome: str
) -> None:
    # A 207 entry keeps its own write-safety class: a rate limit was not acted on, a 5xx
    # may have been; neither is HubSpot refusing the link.
    from hubcrm._resources.associations import _map_association_answer

    chunk = [AssociationInput("1", "10", AssociationType.CONTACT_TO_COMPANY)]
    entry = {"status": "error", "category": category, "message": "m",
             "context": {"fromObjectId": ["1"], "toObjectId": ["10"]}}  # fmt: skip
    entry["status"] = str(status)
    answer = _map_association_answer(chunk, {"results": [], "errors": [entry]}, {}, "/x")
    assert answer.status == [outcome]


async def test_a_wrong_argument_type_is_named_in_the_error(crm: AsyncHubCRM) -> None:
    with pytest.raises(TypeError, match=r"^page_size must be an int, not str$"):
        crm.objects.iter_all("contacts", page_size="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^page_size must be an int, not float$"):
        crm.objects.search("contacts", page_size=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^page_size must be an int, not bool$"):
        crm.associations.list("contacts", "1", "companies", page_size=True)
    with pytest.raises(TypeError, match=r"^associations must be non-empty strs, found int$"):
        await crm.objects.get("contacts", "1", associations=[3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^max_connections must be an int, not str$"):
        AsyncHubCRM("t", max_connections="8")  # type: ignore[arg-type]
