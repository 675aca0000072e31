"""Handlers of the properties API (definitions and groups) and of the property-validations
reads, through the same :class:`~._app_records.Serve` as the objects endpoints."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._app_records import Serve
from ._crm_core import Result
from ._http import method_not_allowed
from ._schema import ObjectTypeDef
from ._state import State

__all__ = ["PROPERTY_PREFIXES", "VALIDATION_PREFIXES", "PropertiesApi"]

PROPERTY_PREFIXES = ("/crm/properties/2026-03", "/crm/v3/properties")
VALIDATION_PREFIXES = ("/crm/property-validations/2026-03", "/crm/property-validations/v3")


class PropertiesApi:
    """``/crm/properties/…`` and ``/crm/property-validations/…``."""

    def __init__(self, state: State, serve: Serve) -> None:
        self._state = state
        self._serve = serve

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes (the groups' before ``…/{propertyName}``, which would match)."""
        for prefix in PROPERTY_PREFIXES:
            router.add_route("*", prefix + "/{objectType}/groups", self.groups)
            router.add_route("*", prefix + "/{objectType}/groups/{groupName}", self.group)
            router.add_route("*", prefix + "/{objectType}", self.collection)
            router.add_route("*", prefix + "/{objectType}/{propertyName}", self.one)
        for prefix in VALIDATION_PREFIXES:
            router.add_route("*", prefix + "/{objectType}", self.validations)
            router.add_route("*", prefix + "/{objectType}/{propertyName}", self.validations)

    async def collection(self, request: web.Request) -> web.StreamResponse:
        """``POST /crm/properties/2026-03/{objectType}``: define a property (``GET``: list)."""
        crm = self._state.crm
        if request.method == "GET":
            archived = request.query.get("archived", "").lower() == "true"

            def listing(tdef: ObjectTypeDef, _: Any) -> Result:
                return crm.list_properties(tdef, archived)

            return await self._serve(request, "list_properties", listing)
        if request.method != "POST":
            return method_not_allowed(self._state, request, "GET, POST")
        return await self._serve(request, "create_property", crm.create_property)

    async def one(self, request: web.Request) -> web.StreamResponse:
        """``GET …/{propertyName}`` (``PATCH``: update, ``DELETE``: archive)."""
        name = request.match_info["propertyName"]
        crm = self._state.crm
        if request.method == "PATCH":

            def update(tdef: ObjectTypeDef, body: Any) -> Result:
                return crm.update_property(tdef, name, body)

            return await self._serve(request, "update_property", update)
        if request.method == "DELETE":

            def archive(tdef: ObjectTypeDef, _: Any) -> Result:
                return crm.archive_property(tdef, name)

            return await self._serve(request, "archive_property", archive)
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET, PATCH, DELETE")

        def read(tdef: ObjectTypeDef, _: Any) -> Result:
            return crm.read_property(tdef, name)

        return await self._serve(request, "read_property", read)

    async def groups(self, request: web.Request) -> web.StreamResponse:
        """``GET …/{objectType}/groups`` (``POST``: create a group)."""
        crm = self._state.crm
        if request.method == "POST":
            return await self._serve(request, "create_property_group", crm.create_group)
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET, POST")
        return await self._serve(request, "property_groups", crm.list_groups)

    async def group(self, request: web.Request) -> web.StreamResponse:
        """``GET …/{objectType}/groups/{groupName}``."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        name = request.match_info["groupName"]
        crm = self._state.crm

        def read(tdef: ObjectTypeDef, _: Any) -> Result:
            return crm.read_group(tdef, name)

        return await self._serve(request, "read_property_group", read)

    async def validations(self, request: web.Request) -> web.StreamResponse:
        """``GET /crm/property-validations/2026-03/{objectTypeId}[/{propertyName}]``."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        name = request.match_info.get("propertyName")
        crm = self._state.crm

        def read(tdef: ObjectTypeDef, _: Any) -> Result:
            if name is None:
                return crm.read_validations(tdef)
            return crm.read_property_validations(tdef, name)

        return await self._serve(request, "property_validations", read)
