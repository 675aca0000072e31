"""Reading what the check needs from the portal, once per object type, and keeping it
for a short while (:data:`~hubcrm._core.config.PORTAL_DEFINITIONS_TTL`).

A fixed number of requests per object type, whatever the number of inputs: the
properties (1), their validation rules (1), the schema of a custom type (1), the
pipelines of a type that has them (1), and the owners, live and archived (1 each per
500). A definition the token may not read (403) is left out, and the checks that need
it are reported as skipped; any other error is raised.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio

from .._core.config import PORTAL_DEFINITIONS_TTL, RequestOptions
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

__all__ = ["CountingRetrier", "DefinitionsReader"]

T = TypeVar("T")


class CountingRetrier(Retrier):
    """The client's retrier (same session, limiter and counters) counting the requests
    made through it (each with its retries counts once)."""

    def __init__(self, inner: Retrier) -> None:
        super().__init__(inner.session)
        self.sent = 0

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send as the client's retrier does, and count the request."""
        self.sent += 1
        return await super().request(method, path, **kwargs)


class DefinitionsReader:
    """Reads and caches, per object type, the :class:`PortalSnapshot` the check needs.

    One per client (``crm.objects`` holds it). Snapshots are reused for ``ttl`` seconds.
    """

    def __init__(
        self,
        retrier: Retrier,
        api_version: str,
        options: RequestOptions,
        *,
        ttl: float = PORTAL_DEFINITIONS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._counting = CountingRetrier(retrier)
        self._properties = AsyncProperties(self._counting, api_version, options)
        self._pipelines = AsyncPipelines(self._counting, api_version, options)
        self._owners = AsyncOwners(self._counting, api_version, options)
        self._schemas = AsyncSchemas(self._counting, api_version, options)
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, PortalSnapshot]] = {}
        self._lock = anyio.Lock()

    @property
    def requests(self) -> int:
        """Requests spent reading definitions so far."""
        return self._counting.sent

    async def snapshot(self, object_type: str, *, refresh: bool = False) -> PortalSnapshot:
        """The type's definitions: the cached ones unless stale or ``refresh``."""
        async with self._lock:
            cached = self._cache.get(object_type)
            now = self._clock()
            if cached is not None and not refresh and now - cached[0] < self._ttl:
                return cached[1]
            snapshot = await self._read(object_type)
            self._cache[object_type] = (self._clock(), snapshot)
            return snapshot

    async def _read(self, object_type: str) -> PortalSnapshot:
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
