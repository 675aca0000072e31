"""The :class:`~._emulator.Emulator` methods that set up the portal: pipelines and owners."""

from __future__ import annotations

from collections.abc import Iterable

from ._portal import OwnerDef, PipelineDef, StageDef, TeamDef, pipeline_properties
from ._schema import PropertyDef
from ._state import State

__all__ = ["PortalSetup"]


class PortalSetup:
    """Pipelines and owners of the emulated portal; mixed into ``Emulator``."""

    _state: State

    def add_pipeline(
        self,
        object_type: str,
        pipeline_id: str,
        label: str,
        stages: Iterable[StageDef],
        *,
        display_order: int = 0,
        archived: bool = False,
    ) -> PipelineDef:
        """Add a pipeline to a type (or replace the one with that id).

        Deals start with HubSpot's default pipeline ``default`` and tickets with
        ``0``; any type may get more, custom types included (which then get the
        ``hs_pipeline`` and ``hs_pipeline_stage`` properties if they lack them).
        Records are then checked against it: their stage must be a live stage of
        their pipeline. Like properties, pipelines stay across :meth:`reset`.

        Args:
            object_type: a type name or id (``deals``, ``0-5``, ``p123_cars``).
            pipeline_id: the id a record's pipeline property holds.
            label: the name HubSpot's UI shows.
            stages: its stages, e.g. ``StageDef(id="won", label="Won",
                metadata={"probability": "1.0", "isClosed": "true"})``; an archived
                one is served but refused on records.
            display_order: its place among the type's pipelines.
            archived: an archived pipeline is served but refused on records.

        Returns:
            The pipeline as the emulator keeps it.

        Raises:
            ValueError: the type is unknown, or two stages share an id.
        """
        pipeline = PipelineDef(
            id=pipeline_id,
            label=label,
            display_order=display_order,
            archived=archived,
            stages=stages,
        )
        ids = [stage.id for stage in pipeline.stages]
        if len(set(ids)) != len(ids):
            raise ValueError(f"pipeline {pipeline_id!r} has two stages with one id")
        with self._state.lock:
            store = self._state.store
            tdef = store.require(object_type)
            for name in pipeline_properties(tdef):
                if name not in tdef.properties:
                    prop = PropertyDef(name=name, type="enumeration", external_options=True)
                    tdef = store.add_property(object_type, prop)
            self._state.crm.portal.add_pipeline(tdef, pipeline)
        return pipeline

    def add_owner(
        self,
        email: str,
        first_name: str = "",
        last_name: str = "",
        *,
        owner_id: str | None = None,
        user_id: int | None = None,
        archived: bool = False,
        teams: Iterable[TeamDef] = (),
    ) -> OwnerDef:
        """Add an owner: a user records can be assigned to with ``hubspot_owner_id``.

        The emulator starts with no owner, so that a test sees exactly the owners it
        added. Owners stay across :meth:`reset`.

        Args:
            email: the user's email address.
            first_name: the user's first name.
            last_name: the user's last name.
            owner_id: the owner id; by default the next of ``100000001``, ``100000002``...
            user_id: the user id; by default the next of ``9000001``, ``9000002``...
            archived: an archived owner is listed only with ``archived=true``, and a
                record naming it is refused.
            teams: the owner's teams.

        Returns:
            The owner, with its ``id``.

        Raises:
            ValueError: an owner with ``owner_id`` exists already.
        """
        if owner_id is not None and not owner_id.isdigit():
            raise ValueError("owner_id is HubSpot's numeric owner id, as a string of digits")
        with self._state.lock:
            return self._state.crm.portal.new_owner(
                email,
                first_name,
                last_name,
                owner_id=owner_id,
                user_id=user_id,
                archived=archived,
                teams=teams,
            )
