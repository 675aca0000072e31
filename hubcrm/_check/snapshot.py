"""A snapshot of what a portal defines for one object type: what inputs are checked
against. Built by :mod:`.reader` from the client's resources; the check itself
(:mod:`.check`) reads nothing else."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from .._core.models import STANDARD_TYPE_IDS
from .._core.pipeline_owner_models import Pipeline
from .._core.property_models import CrmProperty, ValidationRule
from .report import SkippedCheck

__all__ = [
    "OWNER_PROPERTY",
    "STANDARD_REQUIRED",
    "PortalSnapshot",
    "default_pipeline_id",
    "pipeline_property_names",
    "standard_type_id",
]

OWNER_PROPERTY = "hubspot_owner_id"


#: The properties HubSpot's documentation says a new record of a standard type must
#: set (by type id). A custom type's come from its schema.
STANDARD_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "0-3": ("dealname", "dealstage", "pipeline"),
    "0-5": ("subject", "hs_pipeline", "hs_pipeline_stage"),
    "0-14": ("hs_title", "hs_expiration_date"),
    "0-18": ("hs_timestamp",),
    "0-27": ("hs_timestamp",),
    "0-46": ("hs_timestamp",),
    "0-47": ("hs_timestamp",),
    "0-48": ("hs_timestamp",),
    "0-49": ("hs_timestamp",),
}


def standard_type_id(object_type: str) -> str | None:
    """The type id of a standard type's name or id; None for a custom type."""
    if object_type.startswith("0-") and object_type[2:].isdigit():
        return object_type
    return STANDARD_TYPE_IDS.get(object_type.lower())


def pipeline_property_names(type_id: str | None) -> tuple[str, str]:
    """The (pipeline, stage) property names of a type: deals name theirs apart."""
    if type_id == "0-3":
        return "pipeline", "dealstage"
    return "hs_pipeline", "hs_pipeline_stage"


def default_pipeline_id(type_id: str | None, pipelines: tuple[Pipeline, ...]) -> str | None:
    """The pipeline a record that names none goes into: ``default`` for deals, ``0``
    for tickets, else the first live pipeline in display order."""
    if type_id == "0-3":
        return "default"
    if type_id == "0-5":
        return "0"
    live = sorted(
        (p for p in pipelines if not p.archived), key=lambda p: (p.display_order, p.label)
    )
    return live[0].id if live else None


@attrs.frozen(kw_only=True)
class PortalSnapshot:
    """The portal's definitions for one object type, as far as they could be read.

    A part that could not be read is None, and its checks are not run (``skipped``
    says why).

    Attributes:
        object_type: The type as the caller named it.
        type_id: Its object type id (``0-3``, ``2-123``), when known.
        properties: Its property definitions by name.
        rules: Its properties' validation rules, by property name.
        pipelines: Its pipelines with their stages (empty for a type without any).
        owners: The live owners' ids.
        archived_owners: The archived owners' ids.
        required: The properties a new record must set.
        skipped: The checks that cannot run, and why.
    """

    object_type: str
    type_id: str | None
    properties: Mapping[str, CrmProperty] | None
    rules: Mapping[str, tuple[ValidationRule, ...]] | None
    pipelines: tuple[Pipeline, ...] | None
    owners: frozenset[str] | None
    archived_owners: frozenset[str] = frozenset()
    required: tuple[str, ...] | None
    skipped: tuple[SkippedCheck, ...] = ()

    @property
    def contacts(self) -> bool:
        """Whether the type is contacts (whose ``email`` must be an email address)."""
        return self.type_id == "0-1"
