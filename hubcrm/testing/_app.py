"""The aiohttp application: routing, and the CRM objects API's handlers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.typedefs import Middleware

from ._admin import Admin, guarded
from ._api_errors import ApiError
from ._app_portal import PortalApi
from ._app_properties import PROPERTY_PREFIXES, PropertiesApi
from ._app_records import RecordsApi
from ._app_schemas import SchemasApi
from ._crm_core import Result
from ._faults import FaultRule
from ._http import (
    CORRELATION_HEADER,
    JSON_TYPE,
    after_commit,
    answer_error,
    drop,
    dumps,
    error_response,
    fault_response,
    json_response,
    method_not_allowed,
    pause,
    read_json,
    take_faults,
)
from ._oauth import Credentials
from ._rate_window import OAUTH_APP_PREFIX
from ._schema import ObjectTypeDef
from ._search_window import SEARCH_POLICY
from ._state import State

__all__ = [
    "PREFIXES",
    "PROPERTY_PREFIXES",
    "TOKEN_PATHS",
    "ObjectsApi",
    "build_app",
]

logger = logging.getLogger("hubcrm.testing")

PREFIXES = ("/crm/objects/2026-03", "/crm/v3/objects")
TOKEN_PATHS = ("/oauth/2026-03/token", "/oauth/v1/token")


def _recording(state: State) -> Middleware:
    """A middleware noting each request in ``state.received`` before it is served."""

    @web.middleware
    async def record(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        with state.lock:
            state.received.note(request)
        return await handler(request)

    return record


def build_app(state: State, credentials: Credentials) -> web.Application:
    """The aiohttp application serving the API, the token endpoint and the admin endpoints."""
    app = web.Application(client_max_size=state.max_body_bytes, middlewares=[_recording(state)])
    objects = ObjectsApi(state, credentials)
    admin = Admin(state)
    router = app.router
    objects.more.register(router)  # first: ".../{objectType}/search" before ".../{objectId}"
    PortalApi(state, objects.serve).register(router)
    for prefix in PREFIXES:
        router.add_route("*", prefix + "/{objectType}", objects.handle_collection)
        router.add_route("*", prefix + "/{objectType}/batch/create", objects.handle_batch_create)
        router.add_route("*", prefix + "/{objectType}/batch/upsert", objects.handle_batch_upsert)
        router.add_route("*", prefix + "/{objectType}/batch/read", objects.handle_batch_read)
        router.add_route("*", prefix + "/{objectType}/{objectId}", objects.handle_object)
    PropertiesApi(state, objects.serve).register(router)
    for path in TOKEN_PATHS:
        router.add_route("*", path, credentials.handle_token)
    router.add_route("*", "/_emulator/stats", guarded(admin.stats))
    router.add_route("*", "/_emulator/objects/{objectType}", guarded(admin.objects))
    router.add_route("*", "/_emulator/reset", guarded(admin.reset))
    router.add_route("*", "/_emulator/faults", guarded(admin.faults))
    router.add_route("*", "/_emulator/rate-limit", guarded(admin.rate_limit))
    router.add_route("*", "/_emulator/settings", guarded(admin.settings))
    SchemasApi(state, objects.serve).register(router)
    router.add_route("*", "/{tail:.*}", objects.handle_unknown)
    return app


def _location(
    request: web.Request, operation: str, status: int, payload: dict[str, Any]
) -> str | None:
    """The ``Location`` of a 201, where HubSpot's 2026-03 OpenAPI description gives one:
    a property create (the new property's URL) and a labelled association (its own
    URL). Record creates and batch creates have none."""
    if status != 201 or operation not in ("create_property", "associate"):
        return None
    # Built from the request's own parts: request.url asks yarl to validate the Host
    # header, which the oldest yarl hubcrm allows refuses for 127.0.0.1:port.
    url = f"{request.scheme}://{request.host}{request.raw_path.partition('?')[0]}"
    if operation == "associate":
        return url
    name = payload.get("name")
    return f"{url}/{quote(name, safe='')}" if isinstance(name, str) else None


class ObjectsApi:
    """The CRM objects endpoints: auth, rate limits and faults around the CRM logic."""

    def __init__(self, state: State, credentials: Credentials) -> None:
        self._state = state
        self._credentials = credentials
        self.more = RecordsApi(state, self.serve)

    def _rate_limit_error(self, policy: str, app: str) -> ApiError:
        portal_id = self._state.portal_id
        if policy == "DAILY":
            message = "You have reached your daily limit."
            group = f"publicapi:private-app-api-calls-daily:{portal_id}"
        elif policy == SEARCH_POLICY:
            message = "You have reached your secondly limit."
            group = f"publicapi:crm-search-secondly:{portal_id}"
        else:
            message = "You have reached your ten_secondly_rolling limit."
            if app.startswith(OAUTH_APP_PREFIX):
                client_id = app[len(OAUTH_APP_PREFIX) :]
                group = f"publicapi:oauth-app-api-calls-ten-secondly:{client_id}:{portal_id}"
            else:
                group = f"publicapi:private-app-api-calls-ten-secondly:{portal_id}"
        return ApiError(
            429,
            message,
            None,
            extra={"errorType": "RATE_LIMIT", "policyName": policy, "groupName": group},
        )

    # --- the API endpoints -----------------------------------------------------------------

    async def handle_collection(self, request: web.Request) -> web.StreamResponse:
        """``POST /crm/objects/2026-03/{objectType}``: create one object (``GET``: list)."""
        if request.method == "GET":
            return await self.more.list_objects(request)
        if request.method != "POST":
            return method_not_allowed(self._state, request, "GET, POST")
        return await self.serve(request, "create", self._state.crm.create)

    async def handle_batch_create(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/batch/create``."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")
        return await self.serve(request, "batch_create", self._state.crm.batch_create)

    async def handle_batch_upsert(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/batch/upsert``."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")
        return await self.serve(request, "batch_upsert", self._state.crm.batch_upsert)

    async def handle_batch_read(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/batch/read`` (``?archived=true``: archived records)."""
        if request.method != "POST":
            return method_not_allowed(self._state, request, "POST")
        crm = self._state.crm
        archived = request.query.get("archived", "false").lower()

        def read(tdef: ObjectTypeDef, body: Any) -> Result:
            if archived not in ("true", "false"):
                raise ApiError(400, f"Invalid value for archived: {request.query['archived']}")
            return crm.batch_read(tdef, body, archived == "true")

        return await self.serve(request, "batch_read", read)

    async def handle_object(self, request: web.Request) -> web.StreamResponse:
        """``GET .../{objectType}/{objectId}`` (``PATCH``: update, ``DELETE``: archive)."""
        if request.method == "PATCH":
            return await self.more.update(request)
        if request.method == "DELETE":
            return await self.more.archive(request)
        if request.method != "GET":
            return method_not_allowed(self._state, request, "GET, PATCH, DELETE")
        object_id = request.match_info["objectId"]
        raw_query = request.query
        query = {k: ",".join(raw_query.getall(k)) for k in raw_query}
        if query.get("archived", "").lower() == "true":
            return await self.more.read_archived(request)
        crm = self._state.crm

        def read(tdef: ObjectTypeDef, _: Any) -> Result:
            return crm.read(tdef, object_id, query)

        return await self.serve(request, "read", read)

    async def handle_unknown(self, request: web.Request) -> web.StreamResponse:
        """Any other path: an honest JSON 404 saying the emulator does not serve it.

        Never ``OBJECT_NOT_FOUND`` (that would read as "this record does not exist") and
        never a 405: the endpoint may well exist on HubSpot.
        """
        state = self._state
        cid = str(uuid.uuid4())
        with state.lock:
            state.counters.request("other")
        error = ApiError(
            404,
            f"not emulated: the hubcrm emulator does not serve {request.method} {request.path}",
            "NOT_EMULATED",
        )
        return error_response(state, error, cid, {CORRELATION_HEADER: cid})

    async def serve(
        self,
        request: web.Request,
        operation: str,
        process: Callable[[ObjectTypeDef, Any], Result],
        *,
        admit: Callable[[str, dict[str, str]], str | None] | None = None,
    ) -> web.StreamResponse:
        """Answer ``request`` by ``process``, after auth, the rate limits and faults
        (``admit`` replaces the burst window's admission, for searches)."""
        cid = str(uuid.uuid4())
        headers = {CORRELATION_HEADER: cid}
        try:
            return await self._serve_inner(request, operation, process, cid, headers, admit)
        except Exception:  # never a traceback to the client; the log says what broke
            logger.exception("emulator bug while serving %s (correlation id %s)", operation, cid)
            error = ApiError(500, "internal error in the emulator", "INTERNAL_ERROR")
            return error_response(self._state, error, cid, {CORRELATION_HEADER: cid})

    async def _serve_inner(
        self,
        request: web.Request,
        operation: str,
        process: Callable[[ObjectTypeDef, Any], Result],
        cid: str,
        headers: dict[str, str],
        admit: Callable[[str, dict[str, str]], str | None] | None = None,
    ) -> web.StreamResponse:
        state = self._state
        # A portal-wide route (the schemas list, the owners) has no type: its process
        # gets None.
        type_key = request.match_info.get("objectType")
        latency: FaultRule | None = None
        fault: FaultRule | None = None
        with state.lock:
            counters = state.counters
            counters.request(operation)
            app = self._credentials.authenticate(request.headers.get("Authorization"))
            if isinstance(app, ApiError):
                counters.response(401)
                return json_response(401, app.body(cid), headers)
            policy = (admit or state.limiter.admit)(app, headers)
            if policy is not None:
                rate_limited = counters.rate_limited
                rate_limited[policy] = rate_limited.get(policy, 0) + 1
                error = self._rate_limit_error(policy, app)
                counters.response(429)
                return json_response(429, error.body(cid), headers)
            tdef = None if type_key is None else state.store.resolve(type_key)
            type_name = None if tdef is None else tdef.name
            latency, fault = take_faults(state, operation, type_name, cid)
        # The body is read before any latency: like HubSpot, a request that has fully
        # arrived is processed even if the client gives up waiting for the answer.
        body: Any = None
        body_error: ApiError | None = None
        wants_body = request.method in ("POST", "PATCH") or (
            request.method == "PUT" and request.body_exists
        )
        if wants_body and (fault is None or fault.kind != "error_before"):
            try:
                body = await read_json(state, request)
            except ApiError as exc:
                body_error = exc
        if latency is not None and await pause(state, latency.delay):
            return drop(request)
        if fault is not None and fault.kind == "error_before":
            return fault_response(state, fault, cid, headers)
        ids: list[str] = []
        try:
            if tdef is None and type_key is not None:
                raise ApiError(400, f"Unable to infer object type from: {type_key}", None)
            if body_error is not None:
                raise body_error
            with state.lock:
                status, payload, ids = process(cast("ObjectTypeDef", tdef), body)
                if fault is None:
                    state.counters.response(status)
                    if status == 204:
                        return web.Response(status=204, headers=headers)
                    headers["Content-Type"] = JSON_TYPE
                    location = _location(request, operation, status, payload)
                    if location is not None:
                        headers["Location"] = location
                    return web.Response(
                        body=dumps(payload).encode(), status=status, headers=headers
                    )
        except ApiError as exc:
            if fault is None:
                return answer_error(state, request, exc, cid, headers)
            status, payload = exc.status, exc.body(cid)
        return await after_commit(
            state, request, fault, operation, type_name, cid, headers, status, payload, ids
        )
