"""The reads behind a :class:`~hubcrm._check.reader.DefinitionsReader` snapshot: one
object type's definitions through the resources, a 403 reported as a skipped check.

Loaded on the first snapshot, with the resources it reads through (properties, schemas,
pipelines, owners).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from .._core.config import RequestOptions
from .._core.errors import ForbiddenError
from .._core.property_models import ValidationRule
from .._http.retry import Retrier
from .._resources.owners import AsyncOwners
from .._resources.pipelines import AsyncPipelines
from .._resources.properties import AsyncProperties
from .._resources.schemas import AsyncSchemas
from .report import SkippedCheck
from .snapshot import (
    OWNER_PROPERTY,
    STANDARD_REQUIRED,
    PortalSnapshot,
    pipeline_property_names,
    standard_type_id,
)

__all__ = ["DefinitionReads"]

T = TypeVar("T")


class DefinitionReads:
    """Reads one object type's definitions, a fixed number of requests per type."""

    def __init__(self, retrier: Retrier, api_version: str, options: RequestOptions) -> None:
        self._properties = AsyncProperties(retrier, api_version, options)
        self._pipelines = AsyncPipelines(retrier, api_version, options)
        self._owners = AsyncOwners(retrier, api_version, options)
        self._schemas = AsyncSchemas(retrier, api_version, options)

    async def read(self, object_type: str) -> PortalSnapshot:
        """The type's definitions as they are now (nothing cached here)."""
        skipped: list[SkippedCheck] = []

        async def guarded(check: str, read: Callable[[], Awaitable[T]]) -> T | None:
            try:
                return await read()
            except ForbiddenError as exc:
                scopes = ", ".join(exc.required_scopes) or "a scope it lacks"
                skipped.append(
                    SkippedCheck(check, f"the token may not read them (403; it needs {scopes})")
                )
                return None

        type_id = standard_type_id(object_type)
        required: tuple[str, ...] | None = STANDARD_REQUIRED.get(type_id or "", ())
        if type_id is None:  # a custom type: its schema gives its id and required properties
            schema = await guarded("required_properties", lambda: self._schemas.get(object_type))
            required = None if schema is None else schema.required_properties
            if schema is not None:
                type_id = schema.object_type_id
            elif object_type.startswith("2-"):
                type_id = object_type
        listed = await guarded("properties", lambda: self._properties.list(object_type))
        properties = None if listed is None else {p.name: p for p in listed}
        rules: Mapping[str, tuple[ValidationRule, ...]] | None = None
        if type_id is None:
            skipped.append(
                SkippedCheck(
                    "validation_rules", "the type's id is unknown: its schema could not be read"
                )
            )
        else:
            found = await guarded("validation_rules", lambda: self._properties.validations(type_id))
            rules = None if found is None else {k: tuple(v) for k, v in found.items()}
        pipelines = None
        names = pipeline_property_names(type_id)
        if type_id in ("0-3", "0-5") or (
            properties is not None and any(n in properties for n in names)
        ):
            got = await guarded("pipelines", lambda: self._pipelines.list(object_type))
            pipelines = None if got is None else tuple(got)
        elif properties is None:
            skipped.append(SkippedCheck("pipelines", "whether the type has pipelines is unknown"))
        owners = archived = None
        if properties is None or OWNER_PROPERTY in properties:
            live = await guarded("owners", lambda: self._owners.list())
            if live is not None:
                owners = frozenset(o.id for o in live)
                try:  # only to say "archived" rather than "no owner" in a message
                    gone = await self._owners.list(archived=True)
                except ForbiddenError:
                    gone = []
                archived = frozenset(o.id for o in gone)
        return PortalSnapshot(
            object_type=object_type,
            type_id=type_id,
            properties=properties,
            rules=rules,
            pipelines=pipelines,
            owners=owners,
            archived_owners=archived or frozenset(),
            required=required,
            skipped=tuple(skipped),
        )
