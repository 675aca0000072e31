"""The portal's pipelines and owners endpoints (reads), served like every other endpoint.

``GET /crm/pipelines/2026-03/{objectType}`` and ``.../{pipelineId}``; ``GET
/crm/owners/2026-03`` (paged with ``after``, ``limit`` up to 500, ``email=``,
``archived=``) and ``.../{ownerId}``; the v3 paths too. They go through the same
:class:`~._app_records.Serve` as the objects endpoints: auth, rate limits, faults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ._api_errors import ApiError
from ._app_records import Serve
from ._crm_core import Result
from ._http import method_not_allowed
from ._schema import ObjectTypeDef
from ._state import State

__all__ = ["MAX_OWNER_PAGE", "OWNER_PREFIXES", "PIPELINE_PREFIXES", "PortalApi"]

PIPELINE_PREFIXES = ("/crm/pipelines/2026-03", "/crm/v3/pipelines")
OWNER_PREFIXES = ("/crm/owners/2026-03", "/crm/v3/owners")
MAX_OWNER_PAGE = 500


def _query(request: web.Request) -> dict[str, str]:
    raw = request.query
    return {k: ",".join(raw.getall(k)) for k in raw}


def _flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in ("true", "false"):
        raise ApiError(400, f"Invalid value for {name}: {query.get(name)}")
    return value == "true"


def _limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_OWNER_PAGE:
        raise ApiError(
            400,
            f"limit must be a whole number from 1 to {MAX_OWNER_PAGE}, not {raw}",
            context={"limit": [raw]},
        )
    return int(raw)


class PortalApi:
    """The pipelines and owners endpoints, registered before the catch-all route."""

    def __init__(self, state: State, serve: Serve) -> None:
        self._state = state
        self._serve = serve

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes."""
        for prefix in PIPELINE_PREFIXES:
            router.add_route("*", prefix + "/{objectType}", self.pipelines)
            router.add_route("*", prefix + "/{objectType}/{pipelineId}", self.pipeline)
        for prefix in OWNER_PREFIXES:
            router.add_route("*", prefix, self.owners)
            router.add_route("*", prefix + "/", self.owners)
            router.add_route("*", prefix + "/{ownerId}", self.owner)

    async def pipelines(self, request: web.Request) -> web.StreamResponse:
        """``GET /crm/pipelines/2026-03/{objectType}``: every pipeline of the type."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        portal = self._state.crm.portal

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            results = [p.to_json() for p in portal.type_pipelines(tdef)]
            return 200, {"results": results}, []

        return await self._serve(request, "read_pipelines", run)

    async def pipeline(self, request: web.Request) -> web.StreamResponse:
        """``GET /crm/pipelines/2026-03/{objectType}/{pipelineId}``."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        pipeline_id = request.match_info["pipelineId"]
        portal = self._state.crm.portal

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            found = portal.pipelines.get(tdef.object_type_id, {}).get(pipeline_id)
            if found is None:
                raise ApiError(
                    404,
                    f"Unable to find pipeline with id {pipeline_id} for {tdef.name}",
                    "OBJECT_NOT_FOUND",
                    context={"pipelineId": [pipeline_id]},
                )
            return 200, found.to_json(), []

        return await self._serve(request, "read_pipelines", run)

    async def owners(self, request: web.Request) -> web.StreamResponse:
        """``GET /crm/owners/2026-03``: a page of owners, live or archived."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        query = _query(request)
        portal = self._state.crm.portal

        def run(_: ObjectTypeDef, __: Any) -> Result:
            archived = _flag(query, "archived")
            limit = _limit(query)
            after = query.get("after", "0")
            if not after.isdigit():
                raise ApiError(400, f"Invalid paging cursor: {after}", context={"after": [after]})
            email = query.get("email")
            found = [
                o
                for o in portal.owners.values()
                if o.archived == archived and (email is None or o.email.lower() == email.lower())
            ]
            start = int(after)
            page = found[start : start + limit]
            body: dict[str, Any] = {"results": [o.to_json() for o in page]}
            if start + limit < len(found):
                following = str(start + limit)
                body["paging"] = {
                    "next": {"after": following, "link": f"?after={following}&limit={limit}"}
                }
            return 200, body, []

        return await self._serve(request, "read_owners", run)

    async def owner(self, request: web.Request) -> web.StreamResponse:
        """``GET /crm/owners/2026-03/{ownerId}`` (``archived=true`` for an archived one)."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        owner_id = request.match_info["ownerId"]
        query = _query(request)
        portal = self._state.crm.portal

        def run(_: ObjectTypeDef, __: Any) -> Result:
            archived = _flag(query, "archived")
            if not owner_id.isdigit():
                raise ApiError(
                    400,
                    f"Invalid owner id: {owner_id}",
                    context={"ownerId": ["Must be a valid ID"]},
                )
            found = portal.owners.get(owner_id)
            if found is None or found.archived != archived:
                raise ApiError(
                    404,
                    f"No owner found with id {owner_id}",
                    "OBJECT_NOT_FOUND",
                    context={"ownerId": [owner_id]},
                )
            return 200, found.to_json(), []

        return await self._serve(request, "read_owners", run)
