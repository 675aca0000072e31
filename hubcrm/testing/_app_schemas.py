"""Handlers of the custom object schemas API (``/crm-object-schemas/2026-03/schemas``).

They go through the same :class:`~._app_records.Serve` as every CRM endpoint (auth, rate
limits, faults); the logic is :class:`~._crm_schemas.CrmSchemas`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._app_records import Serve
from ._crm_core import Result
from ._crm_schemas import CrmSchemas
from ._http import method_not_allowed
from ._schema import ObjectTypeDef
from ._state import State

__all__ = ["SCHEMA_PREFIXES", "SchemasApi"]

SCHEMA_PREFIXES = ("/crm-object-schemas/2026-03/schemas", "/crm-object-schemas/v3/schemas")


class SchemasApi:
    """List, read and create custom object schemas."""

    def __init__(self, state: State, serve: Serve) -> None:
        self._state = state
        self._serve = serve
        self._schemas = CrmSchemas(state.crm)

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes (before the catch-all of paths the emulator does not serve)."""
        for prefix in SCHEMA_PREFIXES:
            router.add_route("*", prefix, self.collection)
            router.add_route("*", prefix + "/{schemaType}", self.schema)

    async def collection(self, request: web.Request) -> web.StreamResponse:
        """``GET .../schemas`` (every schema), ``POST .../schemas`` (create one)."""
        if request.method == "POST":

            def create(_: ObjectTypeDef, body: Any) -> Result:
                return self._schemas.create_schema(body)

            return await self._serve(request, "create_schema", create)
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET, POST")
        query = {k: ",".join(request.query.getall(k)) for k in request.query}

        def listing(_: ObjectTypeDef, __: Any) -> Result:
            return self._schemas.list_schemas(query)

        return await self._serve(request, "list_schemas", listing)

    async def schema(self, request: web.Request) -> web.StreamResponse:
        """``GET .../schemas/{objectType}``: one schema, by id or fully qualified name."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        key = request.match_info["schemaType"]

        def read(_: ObjectTypeDef, __: Any) -> Result:
            return self._schemas.get_schema(key)

        return await self._serve(request, "read_schema", read)
