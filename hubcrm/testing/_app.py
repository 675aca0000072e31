"""The aiohttp application: routing, auth, rate limits, faults, admin endpoints."""

from __future__ import annotations

import asyncio
import http
import json
import logging
import random
import secrets
import threading
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import attrs
from aiohttp import web

from ._api_errors import AUTH_MISSING_MESSAGE, ApiError
from ._clock import Clock
from ._counters import Counters
from ._crm import Crm, Result
from ._faults import FaultRecord, FaultRule, Faults
from ._rate_window import RateLimiter
from ._schema import ObjectTypeDef
from ._store import Store

logger = logging.getLogger("hubcrm.testing")

CORRELATION_HEADER = "x-hubspot-correlation-id"
JSON_TYPE = "application/json;charset=utf-8"
PREFIXES = ("/crm/objects/2026-03", "/crm/v3/objects")
TOKEN_PATHS = ("/oauth/2026-03/token", "/oauth/v1/token")
_EXTRA_PHRASES = {
    477: "Migration In Progress",
    520: "Web Server Returned an Unknown Error",
    521: "Web Server Is Down",
    522: "Connection Timed Out",
    523: "Origin Is Unreachable",
    524: "A Timeout Occurred",
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return _EXTRA_PHRASES.get(status, "Error")


class OAuthError(Exception):
    """A refused token request: HubSpot's OAuth errors carry their code in ``status``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@attrs.define
class OAuthApp:
    """A registered OAuth app and its live refresh tokens."""

    client_id: str
    client_secret: str
    rotate_refresh_tokens: bool
    refresh_tokens: set[str] = attrs.field(factory=set)


class Api:
    """All the emulator's state and its request handlers.

    Handlers run on the server's event loop; configuration and inspection come from other
    threads. ``lock`` guards every piece of mutable state, and is never held across an
    ``await``.
    """

    def __init__(
        self,
        *,
        tokens: list[str],
        rate_limit: tuple[int, float] | None,
        daily_limit: int | None,
        access_token_ttl: float,
        seed: int | None,
        max_body_bytes: int,
        portal_id: int,
        conflict_style: str,
    ) -> None:
        self.lock = threading.Lock()
        self.clock = Clock()
        self.tokens = set(tokens)
        self.access_token_ttl = access_token_ttl
        self.max_body_bytes = max_body_bytes
        self.portal_id = portal_id
        self.seed = seed
        self.store = Store(portal_id)
        self.counters = Counters()
        self.rng = random.Random(seed)
        self.crm = Crm(self.store, self.clock, self.rng, self.counters, conflict_style)
        self.limiter = RateLimiter(self.clock, rate_limit, daily_limit)
        self.faults = Faults(self.lock, seed, self._canonical_type)
        self.oauth_apps: dict[str, OAuthApp] = {}
        # access token -> (client id, expiry on the monotonic clock)
        self.access_tokens: dict[str, tuple[str, float]] = {}
        self.stopping: asyncio.Event | None = None

    def _canonical_type(self, key: str) -> str | None:
        tdef = self.store.resolve(key)
        return None if tdef is None else tdef.name

    def reset(self) -> None:
        """Objects, counters, faults, fault log and rate-limit windows back to empty."""
        with self.lock:
            self.store.clear()
            counters = Counters()
            self.counters = counters
            self.crm.counters = counters
            self.limiter.reset()
            self.rng.seed(self.seed)
        self.faults.reset()

    # --- application -------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application serving the API and the admin endpoints."""
        app = web.Application(client_max_size=self.max_body_bytes)
        router = app.router
        for prefix in PREFIXES:
            router.add_route("*", prefix + "/{objectType}", self.handle_collection)
            router.add_route("*", prefix + "/{objectType}/batch/create", self.handle_batch_create)
            router.add_route("*", prefix + "/{objectType}/batch/upsert", self.handle_batch_upsert)
            router.add_route("*", prefix + "/{objectType}/{objectId}", self.handle_object)
        for path in TOKEN_PATHS:
            router.add_route("*", path, self.handle_token)
        router.add_route("*", "/_emulator/stats", self.admin_stats)
        router.add_route("*", "/_emulator/objects/{objectType}", self.admin_objects)
        router.add_route("*", "/_emulator/reset", self.admin_reset)
        router.add_route("*", "/_emulator/faults", self.admin_faults)
        router.add_route("*", "/_emulator/rate-limit", self.admin_rate_limit)
        router.add_route("*", "/{tail:.*}", self.handle_unknown)
        return app

    # --- responses ---------------------------------------------------------------------

    def _json(self, status: int, payload: Any, headers: dict[str, str]) -> web.Response:
        headers["Content-Type"] = JSON_TYPE
        return web.Response(body=_dumps(payload).encode(), status=status, headers=headers)

    def _error_response(self, error: ApiError, cid: str, headers: dict[str, str]) -> web.Response:
        if error.headers:
            headers.update(error.headers)
        with self.lock:
            self._count_status(error.status)
        return self._json(error.status, error.body(cid), headers)

    def _count_status(self, status: int) -> None:
        by_status = self.counters.responses_by_status
        by_status[status] = by_status.get(status, 0) + 1

    def _fault_response(self, rule: FaultRule, cid: str, headers: dict[str, str]) -> web.Response:
        status = rule.status
        retry_after = rule.retry_after
        if retry_after is None and status == 477:
            retry_after = 1
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        with self.lock:
            self._count_status(status)
        if rule.html:
            title = f"{status} {_phrase(status)}"
            page = (
                f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            headers["Content-Type"] = "text/html"
            return web.Response(body=page.encode(), status=status, headers=headers)
        body: dict[str, Any] = {"status": "error", "correlationId": cid}
        if status == 429:
            body["message"] = "You have reached your ten_secondly_rolling limit."
            body["errorType"] = "RATE_LIMIT"
            body["policyName"] = "TEN_SECONDLY_ROLLING"
            body["groupName"] = f"publicapi:private-app-api-calls-ten-secondly:{self.portal_id}"
        elif status == 423:
            body["message"] = "The resource is locked. Wait at least 2 seconds, then retry."
            body["category"] = "LOCKED"
        elif status == 477:
            body["message"] = "This account is being migrated. Retry after the given delay."
            body["category"] = "MIGRATION_IN_PROGRESS"
        elif status >= 500:
            body["message"] = f"{status} {_phrase(status)}: internal error"
            body["category"] = "INTERNAL_ERROR"
        else:
            body["message"] = f"{status} {_phrase(status)}"
            body["category"] = "VALIDATION_ERROR"
        return self._json(status, body, headers)

    async def _sleep(self, delay: float) -> bool:
        """Wait ``delay`` seconds; True when interrupted because the emulator stops."""
        stopping = self.stopping
        if stopping is None:
            await asyncio.sleep(delay)
            return False
        try:
            await asyncio.wait_for(stopping.wait(), delay)
        except asyncio.TimeoutError:
            return False
        return True

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=499)

    def _method_not_allowed(self, request: web.Request, allowed: str) -> web.Response:
        cid = str(uuid.uuid4())
        with self.lock:
            self.counters.requests += 1
            by_op = self.counters.requests_by_operation
            by_op["other"] = by_op.get("other", 0) + 1
        error = ApiError(405, f"Method {request.method} is not allowed here; use {allowed}", None)
        return self._error_response(error, cid, {CORRELATION_HEADER: cid, "Allow": allowed})

    # --- request body ------------------------------------------------------------------

    async def _read_body(self, request: web.Request, expected_type: str) -> bytes:
        if request.content_type != expected_type:
            given = request.headers.get("Content-Type", "")
            raise ApiError(415, f"Content type '{given}' not supported; send {expected_type}")
        length = request.content_length
        if length is not None and length > self.max_body_bytes:
            raise self._too_large()
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise self._too_large() from None
        except Exception:
            raise ApiError(400, "The request body could not be read") from None

    def _too_large(self) -> ApiError:
        return ApiError(
            413, f"The request body is larger than the limit of {self.max_body_bytes} bytes"
        )

    async def _read_json(self, request: web.Request) -> Any:
        raw = await self._read_body(request, "application/json")
        try:
            return _DECODER.decode(raw.decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise ApiError(
                400, f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except UnicodeDecodeError:
            raise ApiError(400, "Invalid input JSON: the body is not UTF-8") from None
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, f"Invalid input JSON: {exc}") from None

    # --- auth and rate limit -------------------------------------------------------------

    def _authenticate(self, header: str | None) -> str | ApiError:
        """The app a request counts against, or the 401 to send. Caller holds the lock."""
        if header is None or header[:7].lower() != "bearer ":
            return ApiError(401, AUTH_MISSING_MESSAGE, "INVALID_AUTHENTICATION")
        token = header[7:].strip()
        if token in self.tokens:
            return "token:" + token
        issued = self.access_tokens.get(token)
        if issued is None:
            return ApiError(401, AUTH_MISSING_MESSAGE, "INVALID_AUTHENTICATION")
        client_id, expires_at = issued
        now = self.clock.monotonic()
        if now >= expires_at:
            ago = int(now - expires_at)
            return ApiError(
                401,
                f"The OAuth token used to make this call expired {ago} second(s) ago.",
                "EXPIRED_AUTHENTICATION",
            )
        return "oauth:" + client_id

    def _rate_limit_error(self, policy: str, app: str) -> ApiError:
        if policy == "DAILY":
            message = "You have reached your daily limit."
            group = f"publicapi:private-app-api-calls-daily:{self.portal_id}"
        else:
            message = "You have reached your ten_secondly_rolling limit."
            if app.startswith("oauth:"):
                group = f"publicapi:oauth-app-api-calls-ten-secondly:{app[6:]}:{self.portal_id}"
            else:
                group = f"publicapi:private-app-api-calls-ten-secondly:{self.portal_id}"
        return ApiError(
            429,
            message,
            None,
            extra={"errorType": "RATE_LIMIT", "policyName": policy, "groupName": group},
        )

    # --- the API endpoints -----------------------------------------------------------------

    async def handle_collection(self, request: web.Request) -> web.StreamResponse:
        """``POST /crm/objects/2026-03/{objectType}``: create one object."""
        if request.method != "POST":
            return self._method_not_allowed(request, "POST")
        return await self._serve(request, "create", self.crm.create)

    async def handle_batch_create(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/batch/create``."""
        if request.method != "POST":
            return self._method_not_allowed(request, "POST")
        return await self._serve(request, "batch_create", self.crm.batch_create)

    async def handle_batch_upsert(self, request: web.Request) -> web.StreamResponse:
        """``POST .../{objectType}/batch/upsert``."""
        if request.method != "POST":
            return self._method_not_allowed(request, "POST")
        return await self._serve(request, "batch_upsert", self.crm.batch_upsert)

    async def handle_object(self, request: web.Request) -> web.StreamResponse:
        """``GET .../{objectType}/{objectId}``."""
        if request.method != "GET":
            return self._method_not_allowed(request, "GET")
        object_id = request.match_info["objectId"]
        raw_query = request.query
        query = {k: ",".join(raw_query.getall(k)) for k in raw_query}

        def read(tdef: ObjectTypeDef, _: Any) -> Result:
            return self.crm.read(tdef, object_id, query)

        return await self._serve(request, "read", read)

    async def _serve(
        self,
        request: web.Request,
        operation: str,
        process: Callable[[ObjectTypeDef, Any], Result],
    ) -> web.StreamResponse:
        cid = str(uuid.uuid4())
        headers = {CORRELATION_HEADER: cid}
        try:
            return await self._serve_inner(request, operation, process, cid, headers)
        except Exception:  # never a traceback to the client; the log says what broke
            logger.exception("emulator bug while serving %s (correlation id %s)", operation, cid)
            error = ApiError(500, "internal error in the emulator", "INTERNAL_ERROR")
            return self._error_response(error, cid, {CORRELATION_HEADER: cid})

    async def _serve_inner(
        self,
        request: web.Request,
        operation: str,
        process: Callable[[ObjectTypeDef, Any], Result],
        cid: str,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        type_key = request.match_info["objectType"]
        latency: FaultRule | None = None
        fault: FaultRule | None = None
        with self.lock:
            counters = self.counters
            counters.requests += 1
            by_op = counters.requests_by_operation
            by_op[operation] = by_op.get(operation, 0) + 1
            app = self._authenticate(request.headers.get("Authorization"))
            if isinstance(app, ApiError):
                self._count_status(401)
                return self._json(401, app.body(cid), headers)
            policy = self.limiter.admit(app, headers)
            if policy is not None:
                rate_limited = counters.rate_limited
                rate_limited[policy] = rate_limited.get(policy, 0) + 1
                error = self._rate_limit_error(policy, app)
                self._count_status(429)
                return self._json(429, error.body(cid), headers)
            tdef = self.store.resolve(type_key)
            type_name = None if tdef is None else tdef.name
            if self.faults.active:
                latency, fault = self.faults.pick(operation, type_name)
                for rule in (latency, fault):
                    if rule is not None:
                        self.counters.fault(rule.kind, operation)
                if latency is not None:
                    self._log_fault(latency, operation, type_name, cid, ())
                if fault is not None and fault.kind == "error_before":
                    self._log_fault(fault, operation, type_name, cid, ())
        # The body is read before any latency: like HubSpot, a request that has fully
        # arrived is processed even if the client gives up waiting for the answer.
        body: Any = None
        body_error: ApiError | None = None
        if request.method == "POST" and (fault is None or fault.kind != "error_before"):
            try:
                body = await self._read_json(request)
            except ApiError as exc:
                body_error = exc
        if latency is not None and await self._sleep(latency.delay):
            return self._drop(request)
        if fault is not None and fault.kind == "error_before":
            return self._fault_response(fault, cid, headers)
        ids: list[str] = []
        try:
            if tdef is None:
                raise ApiError(400, f"Unable to infer object type from: {type_key}", None)
            if body_error is not None:
                raise body_error
            with self.lock:
                status, payload, ids = process(tdef, body)
                if fault is None:
                    self._count_status(status)
                    headers["Content-Type"] = JSON_TYPE
                    return web.Response(
                        body=_dumps(payload).encode(), status=status, headers=headers
                    )
        except ApiError as exc:
            if fault is None:
                return self._error_response(exc, cid, headers)
            status, payload = exc.status, exc.body(cid)
        return await self._after_commit(
            request, fault, operation, type_name, cid, headers, status, payload, ids
        )

    def _log_fault(
        self,
        rule: FaultRule,
        operation: str,
        type_name: str | None,
        cid: str,
        ids: tuple[str, ...],
    ) -> None:
        status = rule.status if rule.kind in ("error_before", "error_after") else None
        self.faults.record(
            FaultRecord(
                kind=rule.kind,
                operation=operation,
                object_type=type_name,
                status=status,
                ids=ids,
                correlation_id=cid,
            )
        )

    async def _after_commit(
        self,
        request: web.Request,
        fault: FaultRule,
        operation: str,
        type_name: str | None,
        cid: str,
        headers: dict[str, str],
        status: int,
        payload: Any,
        ids: list[str],
    ) -> web.StreamResponse:
        with self.lock:
            self._log_fault(fault, operation, type_name, cid, tuple(ids))
        if fault.kind == "error_after":
            return self._fault_response(fault, cid, headers)
        if fault.kind == "disconnect_after":
            return self._drop(request)
        # timeout_after: the write is done; the answer comes too late, if ever
        if await self._sleep(fault.delay):
            return self._drop(request)
        with self.lock:
            self._count_status(status)
        return self._json(status, payload, headers)

    # --- OAuth ---------------------------------------------------------------------------

    def register_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        rotate_refresh_tokens: bool,
        refresh_token: str | None,
    ) -> str:
        """Register an app (or add a refresh token to it); returns the refresh token."""
        token = refresh_token or f"emu-rt-{secrets.token_hex(16)}"
        with self.lock:
            app = self.oauth_apps.get(client_id)
            if app is None or app.client_secret != client_secret:
                app = OAuthApp(client_id, client_secret, rotate_refresh_tokens)
                self.oauth_apps[client_id] = app
            app.rotate_refresh_tokens = rotate_refresh_tokens
            app.refresh_tokens.add(token)
        return token

    def _refresh(self, form: dict[str, list[str]]) -> dict[str, Any]:
        """The refresh-token grant; caller holds the lock."""

        def field(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values else None

        grant_type = field("grant_type")
        if grant_type != "refresh_token":
            raise OAuthError("BAD_GRANT_TYPE", "grant_type must be refresh_token")
        app = self.oauth_apps.get(field("client_id") or "")
        if app is None:
            raise OAuthError("BAD_CLIENT_ID", "missing or unknown client id")
        if not secrets.compare_digest(app.client_secret, field("client_secret") or ""):
            raise OAuthError("BAD_CLIENT_SECRET", "missing or invalid client secret")
        refresh_token = field("refresh_token") or ""
        if refresh_token not in app.refresh_tokens:
            raise OAuthError("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        if app.rotate_refresh_tokens:
            app.refresh_tokens.discard(refresh_token)
            refresh_token = f"emu-rt-{secrets.token_hex(16)}"
            app.refresh_tokens.add(refresh_token)
        access_token = f"emu-at-{secrets.token_hex(24)}"
        ttl = self.access_token_ttl
        self.access_tokens[access_token] = (app.client_id, self.clock.monotonic() + ttl)
        self.counters.oauth_refreshes += 1
        return {
            "token_type": "bearer",
            "refresh_token": refresh_token,
            "access_token": access_token,
            "expires_in": int(ttl),
        }

    async def handle_token(self, request: web.Request) -> web.StreamResponse:
        """``POST /oauth/2026-03/token`` (and ``/oauth/v1/token``): refresh-token grant."""
        if request.method != "POST":
            return self._method_not_allowed(request, "POST")
        cid = str(uuid.uuid4())
        headers = {CORRELATION_HEADER: cid}
        with self.lock:
            self.counters.requests += 1
            by_op = self.counters.requests_by_operation
            by_op["token"] = by_op.get("token", 0) + 1
            latency, fault = self.faults.pick("token", None) if self.faults.active else (None, None)
            for rule in (latency, fault):
                if rule is not None:
                    self.counters.fault(rule.kind, "token")
                    if rule.kind in ("latency", "error_before"):
                        self._log_fault(rule, "token", None, cid, ())
        if latency is not None and await self._sleep(latency.delay):
            return self._drop(request)
        if fault is not None and fault.kind == "error_before":
            return self._fault_response(fault, cid, headers)
        try:
            raw = await self._read_body(request, "application/x-www-form-urlencoded")
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
            with self.lock:
                payload = self._refresh(form)
            status = 200
        except ApiError as exc:
            status, payload = exc.status, exc.body(cid)
        except UnicodeDecodeError:
            status = 400
            payload = ApiError(400, "the body is not UTF-8").body(cid)
        except OAuthError as exc:
            status = 400
            payload = {"status": exc.code, "message": exc.message, "correlationId": cid}
        if fault is None:
            with self.lock:
                self._count_status(status)
            return self._json(status, payload, headers)
        return await self._after_commit(
            request, fault, "token", None, cid, headers, status, payload, []
        )

    # --- admin endpoints (no auth) ----------------------------------------------------------

    def stats_json(self) -> dict[str, Any]:
        """Counters plus object counts per type, as ``GET /_emulator/stats`` returns them."""
        with self.lock:
            stats = self.counters.snapshot().to_json()
            stats["objects"] = {
                t.name: len(self.store.objects[t.object_type_id])
                for t in self.store.types()
                if self.store.objects[t.object_type_id]
            }
        return stats

    async def admin_stats(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/stats``."""
        if request.method != "GET":
            return self._admin_error(405, "use GET")
        return self._json(200, self.stats_json(), {})

    async def admin_objects(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/objects/{objectType}``."""
        if request.method != "GET":
            return self._admin_error(405, "use GET")
        with self.lock:
            tdef = self.store.resolve(request.match_info["objectType"])
            if tdef is None:
                return self._admin_error(404, "unknown object type")
            objects = self.store.objects[tdef.object_type_id]
            results = [
                self.store.render_with_associations(objects[k]) for k in sorted(objects, key=int)
            ]
        body = {
            "objectTypeId": tdef.object_type_id,
            "name": tdef.name,
            "count": len(results),
            "results": results,
        }
        return self._json(200, body, {})

    async def admin_reset(self, request: web.Request) -> web.StreamResponse:
        """``POST /_emulator/reset``."""
        if request.method != "POST":
            return self._admin_error(405, "use POST")
        self.reset()
        return self._json(200, {"status": "ok"}, {})

    async def admin_faults(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/faults`` (rules and log), ``POST`` to arm or clear rules."""
        if request.method == "POST":
            try:
                body = await self._read_json(request)
                specs = body if isinstance(body, list) else [body]
                rules: list[FaultRule] = []
                clear = False
                for spec in specs:
                    if not isinstance(spec, dict):
                        raise ValueError("each fault is a JSON object")
                    if spec.get("clear") is True and len(spec) == 1:
                        clear = True
                        continue
                    rules.append(FaultRule(**spec))
            except ApiError as exc:
                return self._admin_error(exc.status, exc.message)
            except (TypeError, ValueError) as exc:
                return self._admin_error(400, f"invalid fault: {exc}")
            if clear:
                self.faults.clear()
            for rule in rules:
                self.faults.add(rule)
        elif request.method != "GET":
            return self._admin_error(405, "use GET or POST")
        body = {
            "rules": [attrs.asdict(r) for r in self.faults.rules],
            "log": [r.to_json() for r in self.faults.log],
        }
        return self._json(200, body, {})

    async def admin_rate_limit(self, request: web.Request) -> web.StreamResponse:
        """``POST /_emulator/rate-limit``: ``{"rate_limit": [N, W] | null, "daily_limit": ...}``."""
        if request.method != "POST":
            return self._admin_error(405, "use POST")
        try:
            body = await self._read_json(request)
            if not isinstance(body, dict):
                raise ValueError("the body is a JSON object")
            with self.lock:
                rate_limit = self.limiter.rate_limit
                daily_limit = self.limiter.daily_limit
            if "rate_limit" in body:
                value = body["rate_limit"]
                if value is None:
                    rate_limit = None
                elif (
                    isinstance(value, list)
                    and len(value) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                ):
                    rate_limit = (int(value[0]), float(value[1]))
                else:
                    raise ValueError("rate_limit is [N, W] or null")
            if "daily_limit" in body:
                value = body["daily_limit"]
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise ValueError("daily_limit is an integer or null")
                daily_limit = value
                with self.lock:
                    self.limiter.daily_used = 0
            with self.lock:
                self.limiter.configure(rate_limit, daily_limit)
        except ApiError as exc:
            return self._admin_error(exc.status, exc.message)
        except ValueError as exc:
            return self._admin_error(400, str(exc))
        body = {
            "rate_limit": None if rate_limit is None else list(rate_limit),
            "daily_limit": daily_limit,
        }
        return self._json(200, body, {})

    def _admin_error(self, status: int, message: str) -> web.Response:
        return self._json(status, {"status": "error", "message": message}, {})

    async def handle_unknown(self, request: web.Request) -> web.StreamResponse:
        """Any other path: a JSON 404."""
        cid = str(uuid.uuid4())
        with self.lock:
            self.counters.requests += 1
            by_op = self.counters.requests_by_operation
            by_op["other"] = by_op.get("other", 0) + 1
        error = ApiError(404, f"No endpoint at {request.method} {request.path}", "OBJECT_NOT_FOUND")
        return self._error_response(error, cid, {CORRELATION_HEADER: cid})
