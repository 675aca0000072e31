"""The portal's pipelines and owners as users' type checkers see them, on both clients.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import datetime
from typing import TYPE_CHECKING

from hubcrm import (
    AsyncHubCRM,
    AsyncOwners,
    AsyncPipelines,
    HubCRM,
    Owner,
    Owners,
    OwnerTeam,
    Pipeline,
    Pipelines,
    PipelineStage,
)
from hubcrm.testing import Emulator, OwnerDef, PipelineDef, StageDef, TeamDef

if TYPE_CHECKING:
    from typing_extensions import assert_type


async def async_reads(crm: AsyncHubCRM) -> None:
    assert_type(crm.pipelines, AsyncPipelines)
    assert_type(crm.owners, AsyncOwners)
    pipelines = await crm.pipelines.list("deals")
    assert_type(pipelines, list[Pipeline])
    pipeline = await crm.pipelines.get("tickets", "0")
    assert_type(pipeline.stages, tuple[PipelineStage, ...])
    assert_type(pipeline.stage("1"), PipelineStage | None)
    assert_type(pipeline.created_at, datetime | None)
    stage = pipeline.stages[0]
    assert_type(stage.probability, float | None)
    assert_type(stage.is_closed, bool | None)
    assert_type(stage.ticket_state, str | None)
    assert_type(stage.metadata, dict[str, str])
    owners = await crm.owners.list(email="ada@example.com", archived=False, page_size=500)
    assert_type(owners, list[Owner])
    assert_type(crm.owners.iter_all(page_size=10), AsyncGenerator[Owner, None])
    owner = await crm.owners.get(123, archived=True)
    assert_type(owner.email, str | None)
    assert_type(owner.user_id, int | None)
    assert_type(owner.teams, tuple[OwnerTeam, ...])
    assert_type(owner.teams[0].primary, bool)


def sync_reads(crm: HubCRM) -> None:
    assert_type(crm.pipelines, Pipelines)
    assert_type(crm.owners, Owners)
    assert_type(crm.pipelines.list("deals"), list[Pipeline])
    assert_type(crm.pipelines.get("deals", "default"), Pipeline)
    assert_type(crm.owners.list(), list[Owner])
    assert_type(crm.owners.iter_all(), Generator[Owner, None, None])
    assert_type(crm.owners.get("1"), Owner)


def emulator_setup(emu: Emulator) -> None:
    stage = StageDef(id="won", label="Won", metadata={"probability": "1.0"})
    assert_type(emu.add_pipeline("deals", "p", "P", [stage], display_order=1), PipelineDef)
    team = TeamDef(id="1", name="Sales", primary=True)
    owner = emu.add_owner("ada@example.com", "Ada", owner_id="5", teams=[team])
    assert_type(owner, OwnerDef)
    assert_type(owner.id, str)
