"""The attrs models of the portal's definitions: pipelines, their stages, and owners."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from .models import redacted_value

__all__ = ["Owner", "OwnerTeam", "Pipeline", "PipelineStage"]


def _probability(metadata: Mapping[str, str]) -> float | None:
    raw = metadata.get("probability")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"a stage's probability is not a number: {raw[:20]!r}") from None


def _is_closed(metadata: Mapping[str, str]) -> bool | None:
    raw = metadata.get("isClosed")
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"a stage's isClosed is not true or false: {raw[:20]!r}")
    return lowered == "true"


@attrs.frozen(kw_only=True)
class PipelineStage:
    """A stage of a pipeline: the value a deal's ``dealstage`` (a ticket's
    ``hs_pipeline_stage``) holds is its ``id``.

    HubSpot sends stage metadata as strings; the deal and ticket entries are read into
    typed attributes, and the mapping is kept whole in ``metadata``.

    Attributes:
        id: The stage id (``"appointmentscheduled"``, ``"1"``).
        label: The name shown in HubSpot's UI.
        display_order: Its place in the pipeline.
        archived: Whether the stage is archived (HubSpot refuses it on records).
        metadata: HubSpot's stage metadata as sent (string values).
        probability: A deal stage's probability of closing, 0.0 to 1.0; None when the
            metadata has none (a ticket stage).
        is_closed: Whether a deal stage closes the deal; None when the metadata has no
            ``isClosed``.
        ticket_state: A ticket stage's ``ticketState`` (``"OPEN"`` or ``"CLOSED"``);
            None when the metadata has none.
        created_at: When the stage was created (time zero for default stages).
        updated_at: When it was last changed.
        archived_at: When it was archived, if it is.
        write_permissions: HubSpot's ``writePermissions`` (who may move records into
            it), when sent.
    """

    id: str
    label: str
    display_order: int = 0
    archived: bool = False
    metadata: dict[str, str] = attrs.field(factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived_at: datetime | None = None
    write_permissions: str | None = None
    probability: float | None = attrs.field(init=False)
    is_closed: bool | None = attrs.field(init=False)
    ticket_state: str | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "probability", _probability(self.metadata))
        object.__setattr__(self, "is_closed", _is_closed(self.metadata))
        object.__setattr__(self, "ticket_state", self.metadata.get("ticketState"))


@attrs.frozen(kw_only=True)
class Pipeline:
    """A pipeline of an object type (deals, tickets, a custom type with pipelines).

    Attributes:
        id: The pipeline id a record's ``pipeline`` (``hs_pipeline``) holds: ``"default"``
            for HubSpot's default deal pipeline, ``"0"`` for the default ticket one.
        label: The name shown in HubSpot's UI.
        display_order: Its place among the type's pipelines.
        archived: Whether the pipeline is archived.
        stages: Its stages, as HubSpot lists them.
        created_at: When it was created (time zero for the default pipelines).
        updated_at: When it was last changed.
        archived_at: When it was archived, if it is.
    """

    id: str
    label: str
    display_order: int = 0
    archived: bool = False
    stages: tuple[PipelineStage, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived_at: datetime | None = None

    def stage(self, stage_id: str) -> PipelineStage | None:
        """The stage with that id, archived or not; None when the pipeline has none."""
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        return None


@attrs.frozen(kw_only=True)
class OwnerTeam:
    """A team an owner belongs to.

    Attributes:
        id: The team id.
        name: The team's name.
        primary: Whether it is the owner's primary team.
    """

    id: str
    name: str = ""
    primary: bool = False


@attrs.frozen(kw_only=True)
class Owner:
    """A HubSpot owner: a user (or queue) records are assigned to with
    ``hubspot_owner_id``, which holds the owner's ``id`` (never its ``user_id``).

    The email address and the names are personal data: a repr shows whether they are
    set, never what they are.

    Attributes:
        id: The owner id, for ``hubspot_owner_id``.
        email: The user's email address.
        first_name: The user's first name.
        last_name: The user's last name.
        user_id: The user id (for HubSpot's settings APIs); None for an archived owner.
        user_id_including_inactive: The user id, archived or not.
        type: ``"PERSON"`` or ``"QUEUE"``.
        archived: Whether the owner is archived (HubSpot refuses it on records).
        teams: The owner's teams; empty when it has none.
        created_at: When the owner was created.
        updated_at: When the owner was last changed.
    """

    id: str
    email: str | None = attrs.field(default=None, repr=redacted_value)
    first_name: str | None = attrs.field(default=None, repr=redacted_value)
    last_name: str | None = attrs.field(default=None, repr=redacted_value)
    user_id: int | None = None
    user_id_including_inactive: int | None = None
    type: str = "PERSON"
    archived: bool = False
    teams: tuple[OwnerTeam, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
