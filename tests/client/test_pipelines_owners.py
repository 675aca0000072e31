"""crm.pipelines and crm.owners over HTTP against the emulator, on both clients."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import pytest
from support_time import VirtualTime

from hubcrm import (
    AsyncHubCRM,
    HubCRM,
    NotFoundError,
    Owner,
    Pipeline,
    PipelineStage,
    ResponseParseError,
)
from hubcrm.testing import Emulator, StageDef, TeamDef

pytestmark = pytest.mark.anyio

DEFAULT_DEAL_STAGES = [
    ("appointmentscheduled", 0.2, False),
    ("qualifiedtobuy", 0.4, False),
    ("presentationscheduled", 0.6, False),
    ("decisionmakerboughtin", 0.8, False),
    ("contractsent", 0.9, False),
    ("closedwon", 1.0, True),
    ("closedlost", 0.0, True),
]


def renewals(emu: Emulator) -> None:
    emu.add_pipeline(
        "deals",
        "renewals",
        "Renewals",
        [
            StageDef(id="due", label="Due", metadata={"probability": "0.5", "isClosed": "false"}),
            StageDef(id="old", label="Old", archived=True, metadata={"probability": "0.1"}),
        ],
        display_order=1,
    )


# --- pipelines ----------------------------------------------------------------------------


async def test_deal_pipelines_are_typed(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    renewals(hubspot_emulator)
    pipelines = await crm.pipelines.list("deals")
    assert [p.id for p in pipelines] == ["default", "renewals"]
    default = pipelines[0]
    assert isinstance(default, Pipeline)
    assert (default.label, default.archived, default.display_order) == ("Sales Pipeline", False, 0)
    assert default.created_at is not None
    assert default.created_at.year == 1970
    got = [(s.id, s.probability, s.is_closed) for s in default.stages]
    assert got == DEFAULT_DEAL_STAGES
    won = default.stage("closedwon")
    assert isinstance(won, PipelineStage)
    assert won.metadata == {"isClosed": "true", "probability": "1.0"}
    assert won.ticket_state is None
    old = pipelines[1].stage("old")
    assert old is not None
    assert (old.archived, old.probability, old.is_closed) == (True, 0.1, None)
    assert old.archived_at is not None


async def test_ticket_pipeline_by_id(crm: AsyncHubCRM) -> None:
    pipeline = await crm.pipelines.get("tickets", "0")
    got = [(s.id, s.label, s.ticket_state, s.probability) for s in pipeline.stages]
    assert got == [
        ("1", "New", "OPEN", None),
        ("2", "Waiting on contact", "OPEN", None),
        ("3", "Waiting on us", "OPEN", None),
        ("4", "Closed", "CLOSED", None),
    ]
    with pytest.raises(NotFoundError) as caught:
        await crm.pipelines.get("0-5", "nope")
    assert caught.value.category == "OBJECT_NOT_FOUND"


def test_pipelines_on_the_blocking_client(sync_crm: HubCRM, hubspot_emulator: Emulator) -> None:
    renewals(hubspot_emulator)
    assert [p.id for p in sync_crm.pipelines.list("deals")] == ["default", "renewals"]
    due = sync_crm.pipelines.get("deals", "renewals").stage("due")
    assert due is not None
    assert due.probability == 0.5
    assert [p.id for p in sync_crm.pipelines.list("tickets")] == ["0"]


async def test_pipeline_arguments_are_checked_before_sending(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    with pytest.raises(ValueError, match="pipeline_id"):
        await crm.pipelines.get("deals", "")
    with pytest.raises(ValueError, match="object_type"):
        await crm.pipelines.list("de/als")
    assert hubspot_emulator.received == []


async def test_pipeline_reads_are_retried_as_reads(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, virtual_time: VirtualTime
) -> None:
    fast = virtual_time.install(crm)
    hubspot_emulator.faults.error_after(502, times=1, operation="read_pipelines")
    assert [p.id for p in await fast.pipelines.list("deals")] == ["default"]
    assert hubspot_emulator.stats.requests_by_operation["read_pipelines"] == 2


# --- owners -------------------------------------------------------------------------------


def add_owners(emu: Emulator, count: int) -> list[str]:
    return [emu.add_owner(f"user{i}@example.com", f"First{i}", f"Last{i}").id for i in range(count)]


async def test_owners_are_read_across_pages(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    ids = add_owners(hubspot_emulator, 7)
    owners = await crm.owners.list(page_size=3)
    assert [o.id for o in owners] == ids
    pages = [r for r in hubspot_emulator.received if r.path == "/crm/owners/2026-03"]
    assert len(pages) == 3
    queries = [dict(parse_qsl(r.query)) for r in pages]
    assert [q.get("after") for q in queries] == [None, "3", "6"]
    assert {q["limit"] for q in queries} == {"3"}
    first = owners[0]
    assert isinstance(first, Owner)
    assert (first.email, first.first_name, first.last_name) == (
        "user0@example.com",
        "First0",
        "Last0",
    )
    assert first.user_id is not None
    assert first.user_id == first.user_id_including_inactive
    assert (first.type, first.archived, first.teams) == ("PERSON", False, ())


async def test_iterating_owners_stops_reading_when_stopped(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    ids = add_owners(hubspot_emulator, 5)
    before = len(hubspot_emulator.received)
    owners = crm.owners.iter_all(page_size=2)
    first = await owners.__anext__()
    await owners.aclose()
    assert first.id == ids[0]
    assert len(hubspot_emulator.received) - before == 1


async def test_owners_filtered_by_email_and_archived(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    add_owners(hubspot_emulator, 2)
    hubspot_emulator.add_owner("here@example.com", "Here")
    gone = hubspot_emulator.add_owner("left@example.com", archived=True)
    [found] = await crm.owners.list(email="USER1@example.com")
    assert found.email == "user1@example.com"
    assert await crm.owners.list(email="nobody@example.com") == []
    [archived] = await crm.owners.list(archived=True)
    assert (archived.id, archived.archived, archived.user_id) == (gone.id, True, None)
    assert archived.user_id_including_inactive is not None
    with pytest.raises(NotFoundError):
        await crm.owners.get(gone.id)
    assert (await crm.owners.get(int(gone.id), archived=True)).id == gone.id


async def test_owner_by_id_with_teams(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    made = hubspot_emulator.add_owner(
        "ada@example.com", "Ada", teams=[TeamDef(id="9", name="Support", primary=True)]
    )
    owner = await crm.owners.get(made.id)
    assert owner.teams[0].name == "Support"
    assert owner.teams[0].primary is True
    with pytest.raises(NotFoundError):
        await crm.owners.get("123")


def test_owners_on_the_blocking_client(sync_crm: HubCRM, hubspot_emulator: Emulator) -> None:
    ids = add_owners(hubspot_emulator, 5)
    assert [o.id for o in sync_crm.owners.list(page_size=2)] == ids
    assert [o.id for o in sync_crm.owners.iter_all(page_size=2)] == ids
    assert sync_crm.owners.get(ids[4]).last_name == "Last4"
    assert [o.id for o in sync_crm.owners.list(email="user2@example.com")] == [ids[2]]


async def test_owner_arguments_are_checked_before_sending(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    with pytest.raises(ValueError, match="between 1 and 500"):
        crm.owners.iter_all(page_size=501)
    with pytest.raises(ValueError, match="between 1 and 500"):
        await crm.owners.list(page_size=0)
    with pytest.raises(ValueError, match="numeric owner id"):
        await crm.owners.get("../contacts")
    with pytest.raises(TypeError, match="owner_id"):
        await crm.owners.get(True)
    assert hubspot_emulator.received == []


async def test_an_owners_email_and_names_stay_out_of_reprs_and_logs(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    hubspot_emulator.add_owner("secret.person@example.com", "Secretfirst", "Secretlast")
    caplog.set_level(logging.DEBUG, logger="hubcrm")
    [owner] = await crm.owners.list(email="secret.person@example.com")
    hubspot_emulator.faults.error_before(404, times=1, operation="read_owners")
    with pytest.raises(NotFoundError) as caught:
        await crm.owners.list(email="secret.person@example.com")
    shown = repr(owner) + str(owner) + str(caught.value) + repr(caught.value) + caplog.text
    for secret in ("secret.person", "Secretfirst", "Secretlast"):
        assert secret not in shown
    assert "email=..." in repr(owner)


async def test_an_unreadable_stage_names_the_field(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    hubspot_emulator.add_pipeline(
        "deals", "odd", "Odd", [StageDef(id="x", label="X", metadata={"probability": "high"})]
    )
    with pytest.raises(ResponseParseError, match=r"stages\[0\].*probability"):
        await crm.pipelines.get("deals", "odd")
