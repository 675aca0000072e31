"""Handlers for the calls around creation: list, update, archive, search, associations.

They go through the same :class:`Serve` as the create endpoints (``ObjectsApi.serve``:
auth, rate limits, faults), except that searches pass HubSpot's search limit instead of the burst
window, and their answers carry no rate-limit headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from ._api_errors import ApiError
from ._crm_core import Result
from ._crm_records import CrmRecords
from ._http import method_not_allowed
from ._schema import ObjectTypeDef
from ._search_window import SEARCH_POLICY
from ._state import State

__all__ = [
    "ASSOCIATION_RECORD_PREFIXES",
    "ASSOCIATION_SCHEMA_PREFIXES",
    "OBJECT_PREFIXES",
    "RecordsApi",
    "Serve",
]

OBJECT_PREFIXES = ("/crm/objects/2026-03", "/crm/v3/objects")
ASSOCIATION_RECORD_PREFIXES = ("/crm/objects/2026-03", "/crm/v4/objects")
ASSOCIATION_SCHEMA_PREFIXES = ("/crm/associations/2026-03", "/crm/v4/associations")


def _query(request: web.Request) -> dict[str, str]:
    raw = request.query
    return {k: ",".join(raw.getall(k)) for k in raw}


class Serve(Protocol):
    """How a handler is answered: auth, rate limits and faults around ``process``."""

    async def __call__(
        self,
        request: web.Request,
        operation: str,
        process: Callable[[ObjectTypeDef, Any], Result],
        *,
        admit: Callable[[str, dict[str, str]], str | None] | None = None,
    ) -> web.StreamResponse: ...


class RecordsApi:
    """The endpoints around creation, registered next to the create ones."""

    def __init__(self, state: State, serve: Serve) -> None:
        self._state = state
        self._serve = serve
        self._crm = CrmRecords(state.crm)

    def _other_type(self, request: web.Request, key: str) -> ObjectTypeDef:
        name = request.match_info[key]
        tdef = self._state.store.resolve(name)
        if tdef is None:
            raise ApiError(400, f"Unable to infer object type from: {name}", None)
        return tdef

    def _search_admit(self, app: str, headers: dict[str, str]) -> str | None:
        """Searches: HubSpot's per-second search limit, and the daily cap; no headers."""
        limiter = self._state.limiter
        if limiter.daily_limit is not None and limiter.daily_used >= limiter.daily_limit:
            return "DAILY"
        if not self._state.search_limiter.admit():
            return SEARCH_POLICY
        limiter.daily_used += 1
        return None

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes; call before the create routes (``.../search`` must win)."""
        for prefix in OBJECT_PREFIXES:
            router.add_route("*", prefix + "/{objectType}/search", self.search)
            router.add_route("*", prefix + "/{objectType}/batch/update", self.batch_update)
            router.add_route("*", prefix + "/{objectType}/batch/archive", self.batch_archive)
        for prefix in ASSOCIATION_RECORD_PREFIXES:
            base = prefix + "/{objectType}/{objectId}/associations"
            router.add_route(
                "*", base + "/default/{toObjectType}/{toObjectId}", self.associate_default
            )
            router.add_route("*", base + "/{toObjectType}/{toObjectId}", self.association)
            router.add_route("*", base + "/{toObjectType}", self.list_associations)
        for prefix in ASSOCIATION_SCHEMA_PREFIXES:
            base = prefix + "/{objectType}/{toObjectType}"
            router.add_route("*", base + "/batch/create", self.batch_associate)
            router.add_route("*", base + "/batch/archive", self.batch_disassociate)
            router.add_route("*", base + "/labels", self.labels)
            router.add_route("*", base + "/labels/{associationTypeId}", self.delete_label)

    # --- objects ---------------------------------------------------------------------------

    async def list_objects(self, request: web.Request) -> web.StreamResponse:
        """``GET .../{objectType}``: a page of records."""
        query = _query(request)

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            return self._crm.list_objects(tdef, query)

        return await self._serve(request, "list", run)

    async def read_archived(self, request: web.Request) -> web.StreamResponse:
        """``GET .../{objectType}/{objectId}?archived=true``."""
        query = _query(request)
        object_id = request.match_info["objectId"]

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            return self._crm.read_archived(tdef, object_id, query)

        return await self._serve(request, "read", run)

    async def update(self, request: web.Request) -> web.StreamResponse:
        """``PATCH .../{objectType}/{objectId}``."""
        query = _query(request)
        object_id = request.match_info["objectId"]

        def run(tdef: ObjectTypeDef, body: Any) -> Result:
            return self._crm.update(tdef, object_id, query, body)

        return await self._serve(request, "update", run)

    async def archive(self, request: web.Request) -> web.StreamResponse:
        """``DELETE .../{objectType}/{objectId}``."""
        object_id = request.match_info["objectId"]

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            return self._crm.archive(tdef, object_id)

        return await self._serve(request, "archive", run)

    async def batch_update(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/batch/update``."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")
        return await self._serve(request, "batch_update", self._crm.batch_update)

    async def batch_archive(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/batch/archive``."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")
        return await self._serve(request, "batch_archive", self._crm.batch_archive)

    async def search(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/search``: its own per-second limit, no rate-limit headers."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")
        return await self._serve(request, "search", self._crm.search, admit=self._search_admit)

    # --- associations ------------------------------------------------------------------------

    async def associate_default(self, request: web.Request) -> web.StreamResponse:
        """``PUT .../{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}``."""
        if request.method != "PUT":
            return method_not_allowed(self._state, request, "PUT")
        from_id = request.match_info["objectId"]
        to_id = request.match_info["toObjectId"]

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            return self._crm.associate_default(
                tdef, from_id, self._other_type(request, "toObjectType"), to_id
            )

        return await self._serve(request, "associate", run)

    async def association(self, request: web.Request) -> web.StreamResponse:
        """``PUT`` (associate with types) or ``DELETE`` one association between two records."""
        if request.method not in ("PUT", "DELETE"):
            return method_not_allowed(self._state, request, "PUT, DELETE")
        from_id = request.match_info["objectId"]
        to_id = request.match_info["toObjectId"]
        if request.method == "DELETE":

            def remove(tdef: ObjectTypeDef, _: Any) -> Result:
                return self._crm.delete_association(
                    tdef, from_id, self._other_type(request, "toObjectType"), to_id
                )

            return await self._serve(request, "delete_association", remove)

        def run(tdef: ObjectTypeDef, body: Any) -> Result:
            return self._crm.associate(
                tdef, from_id, self._other_type(request, "toObjectType"), to_id, body
            )

        return await self._serve(request, "associate", run)

    async def list_associations(self, request: web.Request) -> web.StreamResponse:
        """``GET .../{objectType}/{objectId}/associations/{toObjectType}``."""
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET")
        from_id = request.match_info["objectId"]
        query = _query(request)

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            return self._crm.list_associations(
                tdef, from_id, self._other_type(request, "toObjectType"), query
            )

        return await self._serve(request, "list_associations", run)

    async def batch_associate(self, request: web.Request) -> web.StreamResponse:
        """``POST /crm/associations/2026-03/{from}/{to}/batch/create``."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")

        def run(tdef: ObjectTypeDef, body: Any) -> Result:
            return self._crm.batch_associate(tdef, self._other_type(request, "toObjectType"), body)

        return await self._serve(request, "batch_associate", run)

    async def batch_disassociate(self, request: web.Request) -> web.StreamResponse:
        """``POST /crm/associations/2026-03/{from}/{to}/batch/archive``."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")

        def run(tdef: ObjectTypeDef, body: Any) -> Result:
            return self._crm.batch_disassociate(
                tdef, self._other_type(request, "toObjectType"), body
            )

        return await self._serve(request, "batch_disassociate", run)

    async def labels(self, request: web.Request) -> web.StreamResponse:
        """``GET`` (list), ``POST`` (create) or ``PUT`` (rename) the labels between two types."""
        if request.method not in ("GET", "POST", "PUT"):
            return method_not_allowed(self._state, request, "GET, POST, PUT")
        operation = {
            "GET": "association_labels",
            "POST": "create_association_label",
            "PUT": "update_association_label",
        }[request.method]

        def run(tdef: ObjectTypeDef, body: Any) -> Result:
            to_def = self._other_type(request, "toObjectType")
            if request.method == "POST":
                return self._crm.create_label(tdef, to_def, body)
            if request.method == "PUT":
                return self._crm.update_label(tdef, to_def, body)
            return self._crm.labels(tdef, to_def)

        return await self._serve(request, operation, run)

    async def delete_label(self, request: web.Request) -> web.StreamResponse:
        """``DELETE /crm/associations/2026-03/{from}/{to}/labels/{associationTypeId}``."""
        if request.method != "DELETE":
            return method_not_allowed(self._state, request, "DELETE")
        raw_id = request.match_info["associationTypeId"]

        def run(tdef: ObjectTypeDef, _: Any) -> Result:
            if not raw_id.isascii() or not raw_id.isdigit():
                raise ApiError(400, f"Invalid association type id: {raw_id}")
            to_def = self._other_type(request, "toObjectType")
            return self._crm.delete_label(tdef, to_def, int(raw_id))

        return await self._serve(request, "delete_association_label", run)
