"""hubcrm.testing: a local HubSpot CRM objects API to test against.

``Emulator`` serves HubSpot's 2026-03 (and v3) objects endpoints over real HTTP, with
HubSpot's validation, error bodies, rate limits, OAuth refresh and injected faults. See
docs/emulator.md.
"""

from __future__ import annotations

from ._counters import Stats
from ._emulator import FIXTURE_SEARCH_DELAY, ConflictStyle, Emulator
from ._faults import FaultKind, FaultRecord, FaultRule, Faults, Operation
from ._portal import OwnerDef, PipelineDef, StageDef, TeamDef
from ._received import ReceivedRequest
from ._schema import (
    AssociationCategory,
    AssociationTypeDef,
    ObjectTypeDef,
    PropertyDef,
    PropertyType,
)

__all__ = [
    "FIXTURE_SEARCH_DELAY",
    "AssociationCategory",
    "AssociationTypeDef",
    "ConflictStyle",
    "Emulator",
    "FaultKind",
    "FaultRecord",
    "FaultRule",
    "Faults",
    "ObjectTypeDef",
    "Operation",
    "OwnerDef",
    "PipelineDef",
    "PropertyDef",
    "PropertyType",
    "ReceivedRequest",
    "StageDef",
    "Stats",
    "TeamDef",
]
