"""The portal's pipelines and owners: what the emulator serves and checks records against.

Deals and tickets have pipelines from the start: HubSpot's default deal pipeline
``default`` and default ticket pipeline ``0``, with their real stage ids. A test adds
more (to any type, custom ones included) with ``Emulator.add_pipeline``, and owners
with ``Emulator.add_owner``; the emulator starts with no owner at all.

On a create, an upsert or an update, a record's stage must be a live stage of its
pipeline (the row's, else the record's own, else the type's default), its pipeline must
exist and be live, and its ``hubspot_owner_id`` must name a live owner. What breaks a
rule is refused as HubSpot does: 400 ``VALIDATION_ERROR``, one entry per property.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ._schema import ObjectTypeDef, PropertyError

__all__ = [
    "DEAL_TYPE_ID",
    "EPOCH",
    "FIRST_OWNER_ID",
    "FIRST_USER_ID",
    "OWNER_PROPERTY",
    "TICKET_TYPE_ID",
    "OwnerDef",
    "PipelineDef",
    "PortalDefs",
    "StageDef",
    "TeamDef",
    "default_pipelines",
    "pipeline_properties",
]

DEAL_TYPE_ID = "0-3"
TICKET_TYPE_ID = "0-5"
#: HubSpot's ``createdAt`` of the default pipelines and their stages: time zero.
EPOCH = "1970-01-01T00:00:00Z"
FIRST_OWNER_ID = 100_000_001
FIRST_USER_ID = 9_000_001
OWNER_PROPERTY = "hubspot_owner_id"


def _metadata(value: Mapping[str, object]) -> dict[str, str]:
    return {str(key): str(item) for key, item in value.items()}


def _stages(value: Iterable[StageDef]) -> tuple[StageDef, ...]:
    stages = tuple(value)
    for stage in stages:
        if not isinstance(stage, StageDef):
            raise TypeError(f"a pipeline's stages are StageDef values, not {stage!r}")
    return stages


@attrs.frozen(kw_only=True)
class StageDef:
    """A stage of an emulated pipeline.

    Attributes:
        id: the stage id a record's stage property holds (``closedwon``, ``"1"``).
        label: the name shown in HubSpot's UI.
        display_order: its place in the pipeline.
        archived: an archived stage is served (with ``archived: true``) but refused on
            records.
        metadata: HubSpot's stage metadata, as strings: ``probability`` and
            ``isClosed`` for a deal stage, ``ticketState`` (``OPEN`` / ``CLOSED``) for
            a ticket stage.
    """

    id: str
    label: str
    display_order: int = 0
    archived: bool = False
    metadata: Mapping[str, str] = attrs.field(factory=dict, converter=_metadata)

    def to_json(self, now: str) -> dict[str, Any]:
        """The stage as HubSpot's ``PipelineStage``."""
        body: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": self.archived,
            "metadata": dict(self.metadata),
            "createdAt": now,
            "updatedAt": now,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }
        if self.archived:
            body["archivedAt"] = now
        return body


@attrs.frozen(kw_only=True)
class PipelineDef:
    """An emulated pipeline of an object type.

    Attributes:
        id: the pipeline id a record's pipeline property holds (``default``, ``"0"``).
        label: the name shown in HubSpot's UI.
        display_order: its place among the type's pipelines.
        archived: an archived pipeline is served but refused on records.
        stages: its stages, in order.
        created_at: HubSpot's ``createdAt`` (time zero for the default pipelines).
    """

    id: str
    label: str
    display_order: int = 0
    archived: bool = False
    stages: tuple[StageDef, ...] = attrs.field(default=(), converter=_stages)
    created_at: str = EPOCH

    def stage(self, stage_id: str) -> StageDef | None:
        """The stage of that id, archived or not; None when it has none."""
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        return None

    def to_json(self) -> dict[str, Any]:
        """The pipeline as HubSpot's ``Pipeline``, its stages included."""
        body: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": self.archived,
            "stages": [stage.to_json(self.created_at) for stage in self.stages],
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
        }
        if self.archived:
            body["archivedAt"] = self.created_at
        return body


@attrs.frozen(kw_only=True)
class TeamDef:
    """A team an owner belongs to."""

    id: str
    name: str
    primary: bool = False


def _teams(value: Iterable[TeamDef]) -> tuple[TeamDef, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class OwnerDef:
    """An emulated owner (a HubSpot user records can be assigned to).

    Attributes:
        id: the owner id that ``hubspot_owner_id`` holds.
        email: the user's email address (never shown in a repr).
        first_name, last_name: the user's name.
        user_id: the user id; None when archived, as HubSpot answers.
        user_id_including_inactive: the user id, archived or not.
        archived: an archived owner is listed with ``archived=true`` only, and refused
            on records.
        teams: the owner's teams.
        created_at: HubSpot's ``createdAt`` and ``updatedAt``.
    """

    id: str
    email: str = attrs.field(repr=False)
    first_name: str = attrs.field(default="", repr=False)
    last_name: str = attrs.field(default="", repr=False)
    user_id: int | None = None
    user_id_including_inactive: int | None = None
    archived: bool = False
    teams: tuple[TeamDef, ...] = attrs.field(default=(), converter=_teams)
    created_at: str = EPOCH

    def to_json(self) -> dict[str, Any]:
        """The owner as HubSpot's ``PublicOwner``."""
        body: dict[str, Any] = {
            "id": self.id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "type": "PERSON",
            "archived": self.archived,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "userIdIncludingInactive": self.user_id_including_inactive,
            "teams": [{"id": t.id, "name": t.name, "primary": t.primary} for t in self.teams],
        }
        if self.user_id is not None:
            body["userId"] = self.user_id
        return body


def _deal_stage(stage_id: str, label: str, order: int, probability: str) -> StageDef:
    closed = "true" if probability in ("0.0", "1.0") else "false"
    return StageDef(
        id=stage_id,
        label=label,
        display_order=order,
        metadata={"isClosed": closed, "probability": probability},
    )


def _ticket_stage(stage_id: str, label: str, order: int, state: str) -> StageDef:
    return StageDef(id=stage_id, label=label, display_order=order, metadata={"ticketState": state})


def default_pipelines() -> dict[str, dict[str, PipelineDef]]:
    """HubSpot's default pipelines of a new portal, by type id and pipeline id."""
    deals = PipelineDef(
        id="default",
        label="Sales Pipeline",
        stages=(
            _deal_stage("appointmentscheduled", "Appointment Scheduled", 0, "0.2"),
            _deal_stage("qualifiedtobuy", "Qualified To Buy", 1, "0.4"),
            _deal_stage("presentationscheduled", "Presentation Scheduled", 2, "0.6"),
            _deal_stage("decisionmakerboughtin", "Decision Maker Bought-In", 3, "0.8"),
            _deal_stage("contractsent", "Contract Sent", 4, "0.9"),
            _deal_stage("closedwon", "Closed Won", 5, "1.0"),
            _deal_stage("closedlost", "Closed Lost", 6, "0.0"),
        ),
    )
    tickets = PipelineDef(
        id="0",
        label="Support Pipeline",
        stages=(
            _ticket_stage("1", "New", 0, "OPEN"),
            _ticket_stage("2", "Waiting on contact", 1, "OPEN"),
            _ticket_stage("3", "Waiting on us", 2, "OPEN"),
            _ticket_stage("4", "Closed", 3, "CLOSED"),
        ),
    )
    return {DEAL_TYPE_ID: {"default": deals}, TICKET_TYPE_ID: {"0": tickets}}


def pipeline_properties(tdef: ObjectTypeDef) -> tuple[str, str]:
    """The (pipeline, stage) property names of a type: deals name theirs apart."""
    if tdef.object_type_id == DEAL_TYPE_ID:
        return "pipeline", "dealstage"
    return "hs_pipeline", "hs_pipeline_stage"


class PortalDefs:
    """The portal's pipelines by type id, and its owners by id. Guarded by the state lock."""

    def __init__(self) -> None:
        self.pipelines = default_pipelines()
        self.owners: dict[str, OwnerDef] = {}
        self._next_owner = FIRST_OWNER_ID
        self._next_user = FIRST_USER_ID

    def add_pipeline(self, tdef: ObjectTypeDef, pipeline: PipelineDef) -> None:
        """Add a pipeline to a type, or replace the one with its id."""
        self.pipelines.setdefault(tdef.object_type_id, {})[pipeline.id] = pipeline

    def type_pipelines(self, tdef: ObjectTypeDef) -> list[PipelineDef]:
        """The type's pipelines in display order (none for a type without pipelines)."""
        found = self.pipelines.get(tdef.object_type_id, {}).values()
        return sorted(found, key=lambda p: (p.display_order, p.label))

    def new_owner(
        self,
        email: str,
        first_name: str,
        last_name: str,
        *,
        owner_id: str | None,
        user_id: int | None,
        archived: bool,
        teams: Iterable[TeamDef],
    ) -> OwnerDef:
        """Add an owner, numbering it when no id is given; its user id too."""
        if owner_id is None:
            owner_id = str(self._next_owner)
            self._next_owner += 1
        if owner_id in self.owners:
            raise ValueError(f"the emulator already has an owner with id {owner_id}")
        if user_id is None:
            user_id = self._next_user
            self._next_user += 1
        owner = OwnerDef(
            id=owner_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            user_id=None if archived else user_id,
            user_id_including_inactive=user_id,
            archived=archived,
            teams=tuple(teams),
        )
        self.owners[owner_id] = owner
        return owner

    # --- the rules on records ------------------------------------------------------------

    def check_record(
        self,
        tdef: ObjectTypeDef,
        written: Mapping[str, str | None],
        current: Mapping[str, str] | None,
    ) -> list[PropertyError]:
        """What HubSpot refuses in the values ``written`` to a record of ``tdef``
        (``current``: the record's values before an update or upsert, else None)."""
        errors: list[PropertyError] = []
        pipelines = self.pipelines.get(tdef.object_type_id)
        if pipelines:
            errors.extend(self._check_stage(tdef, pipelines, written, current or {}))
        owner_id = written.get(OWNER_PROPERTY)
        if owner_id is not None and OWNER_PROPERTY in tdef.properties:
            owner = self.owners.get(owner_id)
            if owner is None or owner.archived:
                errors.append(
                    PropertyError(
                        OWNER_PROPERTY, "INVALID_OWNER_ID", f"{owner_id} is not a valid owner id"
                    )
                )
        return errors

    def _check_stage(
        self,
        tdef: ObjectTypeDef,
        pipelines: Mapping[str, PipelineDef],
        written: Mapping[str, str | None],
        current: Mapping[str, str],
    ) -> list[PropertyError]:
        pipeline_name, stage_name = pipeline_properties(tdef)
        pipeline_id = written.get(pipeline_name)
        stage_id = written.get(stage_name)
        live = [p.id for p in self.type_pipelines(tdef) if not p.archived]
        if pipeline_id is not None:
            pipeline = pipelines.get(pipeline_id)
            if pipeline is None or pipeline.archived:
                return [_invalid_option(pipeline_name, pipeline_id, live)]
        if stage_id is None:
            return []
        if pipeline_id is None:
            pipeline_id = current.get(pipeline_name) or _default_pipeline(tdef, live)
        pipeline = pipelines.get(pipeline_id) if pipeline_id is not None else None
        if pipeline is None:
            return []  # no pipeline to check the stage against
        stage = pipeline.stage(stage_id)
        if stage is None or stage.archived:
            options = [s.id for s in pipeline.stages if not s.archived]
            return [_invalid_option(stage_name, stage_id, options)]
        return []


def _default_pipeline(tdef: ObjectTypeDef, live: list[str]) -> str | None:
    if tdef.object_type_id == DEAL_TYPE_ID:
        return "default"
    if tdef.object_type_id == TICKET_TYPE_ID:
        return "0"
    return live[0] if live else None


def _invalid_option(name: str, value: str, options: list[str]) -> PropertyError:
    return PropertyError(
        name,
        "INVALID_OPTION",
        f"{value} was not one of the allowed options: [{', '.join(options)}]",
    )
