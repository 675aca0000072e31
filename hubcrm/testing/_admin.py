"""The test-control API under ``/_emulator/``: stats, objects, reset, faults, rate limit,
settings.

No authentication, no counting: these endpoints let a test (or another process) inspect
and steer the emulator. Bad input gets a JSON 400 ``{"status": "error", "message": ...}``
whose message says what the endpoint takes; nothing reaches the client as a traceback.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web

from ._api_errors import ApiError
from ._crm_core import UNIQUE_REFUSALS
from ._faults import FAULT_KINDS, OPERATIONS, FaultRule
from ._http import json_response, read_json
from ._state import NOT_FOUND_BODIES, NotFoundBody, State

__all__ = [
    "Admin",
    "BadInput",
    "Handler",
    "guarded",
]

logger = logging.getLogger("hubcrm.testing")


class Admin:
    """The handlers of the ``/_emulator/`` endpoints."""

    def __init__(self, state: State) -> None:
        self._state = state

    def stats_json(self) -> dict[str, Any]:
        """Counters plus object counts per type, as ``GET /_emulator/stats`` returns them."""
        state = self._state
        with state.lock:
            stats = state.counters.snapshot().to_json()
            stats["objects"] = {
                t.name: len(state.store.objects[t.object_type_id])
                for t in state.store.types()
                if state.store.objects[t.object_type_id]
            }
        return stats

    async def stats(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/stats``."""
        if request.method != "GET":
            return _error(405, "use GET")
        return json_response(200, self.stats_json(), {})

    async def objects(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/objects/{objectType}``."""
        if request.method != "GET":
            return _error(405, "use GET")
        state = self._state
        with state.lock:
            tdef = state.store.resolve(request.match_info["objectType"])
            if tdef is None:
                return _error(404, "unknown object type")
            objects = state.store.objects[tdef.object_type_id]
            results = [
                state.store.render_with_associations(objects[k]) for k in sorted(objects, key=int)
            ]
        body = {
            "objectTypeId": tdef.object_type_id,
            "name": tdef.name,
            "count": len(results),
            "results": results,
        }
        return json_response(200, body, {})

    async def reset(self, request: web.Request) -> web.StreamResponse:
        """``POST /_emulator/reset``."""
        if request.method != "POST":
            return _error(405, "use POST")
        self._state.reset()
        return json_response(200, {"status": "ok"}, {})

    async def faults(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/faults`` (rules and log), ``POST`` to arm or clear rules."""
        faults = self._state.faults
        if request.method == "POST":
            try:
                body = await read_json(self._state, request)
                clear, rules = _fault_specs(body)
            except ApiError as exc:
                return _error(exc.status, exc.message)
            except BadInput as exc:
                return _error(400, f"invalid fault: {exc}")
            if clear:
                faults.clear()
            for rule in rules:
                faults.add(rule)
        elif request.method != "GET":
            return _error(405, "use GET or POST")
        body = {
            "rules": [attrs.asdict(r) for r in faults.rules],
            "log": [r.to_json() for r in faults.log],
        }
        return json_response(200, body, {})

    async def rate_limit(self, request: web.Request) -> web.StreamResponse:
        """``POST /_emulator/rate-limit``: ``{"rate_limit": [N, W] | null, "daily_limit": ...}``."""
        if request.method != "POST":
            return _error(405, "use POST")
        state = self._state
        try:
            body = _object(await read_json(state, request), ("rate_limit", "daily_limit"))
            with state.lock:
                rate_limit = state.limiter.rate_limit
                daily_limit = state.limiter.daily_limit
            if "rate_limit" in body:
                rate_limit = _rate_limit(body["rate_limit"])
            if "daily_limit" in body:
                daily_limit = _count("daily_limit", body["daily_limit"], minimum=0, null=True)
            with state.lock:
                state.limiter.configure(rate_limit, daily_limit)
                if "daily_limit" in body:
                    state.limiter.daily_used = 0
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except BadInput as exc:
            return _error(400, str(exc))
        body = {
            "rate_limit": None if rate_limit is None else list(rate_limit),
            "daily_limit": daily_limit,
        }
        return json_response(200, body, {})

    def settings_json(self) -> dict[str, Any]:
        """The fidelity settings, as ``GET /_emulator/settings`` returns them."""
        state = self._state
        with state.lock:
            return {
                "not_found_body": state.not_found_body,
                "require_company_domain_or_name": state.require_company_domain_or_name,
                "unique_refusal": state.crm.unique_refusal,
                "upsert_trace_ids": state.crm.upsert_trace_ids,
                "clock_skew": state.clock.skew,
                "search_delay": state.crm.search_delay,
            }

    async def settings(self, request: web.Request) -> web.StreamResponse:
        """``GET /_emulator/settings``; ``POST`` changes the settings it names."""
        if request.method == "POST":
            state = self._state
            try:
                body = _object(
                    await read_json(state, request),
                    (
                        "not_found_body",
                        "require_company_domain_or_name",
                        "unique_refusal",
                        "upsert_trace_ids",
                        "clock_skew",
                        "search_delay",
                    ),
                )
                not_found_body: NotFoundBody | None = None
                if "not_found_body" in body:
                    value = body["not_found_body"]
                    if value not in NOT_FOUND_BODIES:
                        choices = ", ".join(NOT_FOUND_BODIES)
                        raise BadInput(f"not_found_body is one of {choices}")
                    not_found_body = value
                company: bool | None = None
                if "require_company_domain_or_name" in body:
                    company = body["require_company_domain_or_name"]
                    if not isinstance(company, bool):
                        raise BadInput("require_company_domain_or_name is true or false")
                refusal = body.get("unique_refusal")
                if refusal is not None and refusal not in UNIQUE_REFUSALS:
                    raise BadInput(f"unique_refusal is one of {', '.join(UNIQUE_REFUSALS)}")
                trace_ids = body.get("upsert_trace_ids")
                if trace_ids is not None and not isinstance(trace_ids, bool):
                    raise BadInput("upsert_trace_ids is true or false")
                skew = body.get("clock_skew")
                if skew is not None and (
                    isinstance(skew, bool)
                    or not isinstance(skew, (int, float))
                    or not math.isfinite(skew)
                ):
                    raise BadInput("clock_skew is a number of seconds")
                delay = body.get("search_delay")
                if delay is not None and (
                    isinstance(delay, bool)
                    or not isinstance(delay, (int, float))
                    or not math.isfinite(delay)
                    or delay < 0
                ):
                    raise BadInput("search_delay is a number of seconds >= 0")
            except ApiError as exc:
                return _error(exc.status, exc.message)
            except BadInput as exc:
                return _error(400, str(exc))
            with state.lock:
                if not_found_body is not None:
                    state.not_found_body = not_found_body
                if company is not None:
                    state.set_company_requirement(company)
                if refusal is not None:
                    state.crm.unique_refusal = refusal
                if trace_ids is not None:
                    state.crm.upsert_trace_ids = trace_ids
                if skew is not None:
                    state.clock.skew = float(skew)
                if delay is not None:
                    state.set_search_delay(delay)
        elif request.method != "GET":
            return _error(405, "use GET or POST")
        return json_response(200, self.settings_json(), {})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guarded(handler: Handler) -> Handler:
    """``handler``, answering an unexpected exception with a JSON 500 instead of a traceback.

    Bad input never gets here (each handler answers it with a 400); this is a net for
    bugs, which it logs.
    """

    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            logger.exception("emulator bug in %s %s", request.method, request.path)
            return _error(500, "internal error in the emulator's admin endpoint")

    return run


class BadInput(Exception):
    """An admin request whose JSON is well-formed but not what the endpoint takes."""


def _object(value: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """``value`` as a JSON object holding only ``fields``."""
    if not isinstance(value, dict):
        raise BadInput("the body is a JSON object")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise BadInput(f"unknown field {unknown[0]!r}; expected {', '.join(fields)}")
    return value


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
    )


def _count(name: str, value: Any, *, minimum: int, null: bool = False) -> Any:
    """An integer >= ``minimum`` (an integral float is fine), or null when allowed."""
    if value is None and null:
        return None
    if _is_number(value) and value == int(value) and value >= minimum:
        return int(value)
    raise BadInput(f"{name} is an integer >= {minimum}{' or null' if null else ''}")


def _seconds(name: str, value: Any, *, null: bool = False, positive: bool = False) -> Any:
    """A finite number of seconds (>= 0, or > 0 when ``positive``), or null when allowed."""
    if value is None and null:
        return None
    if _is_number(value) and (value > 0 if positive else value >= 0):
        return float(value)
    bound = "> 0" if positive else ">= 0"
    raise BadInput(f"{name} is a finite number {bound}{' or null' if null else ''}")


def _rate_limit(value: Any) -> tuple[int, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise BadInput("rate_limit is [N, W] (N >= 1 requests in W > 0 seconds) or null")
    try:
        return (
            _count("rate_limit's N", value[0], minimum=1),
            _seconds("rate_limit's W", value[1], positive=True),
        )
    except BadInput as exc:
        raise BadInput(f"rate_limit is [N, W] or null: {exc}") from None


_FAULT_FIELDS = tuple(a.name for a in attrs.fields(FaultRule))


def _fault_specs(body: Any) -> tuple[bool, list[FaultRule]]:
    """What ``POST /_emulator/faults`` asks: whether to clear, and the rules to arm."""
    specs = body if isinstance(body, list) else [body]
    clear = False
    rules: list[FaultRule] = []
    for index, spec in enumerate(specs):
        where = f"fault {index}: " if isinstance(body, list) else ""
        if isinstance(spec, dict) and "clear" in spec:
            if spec != {"clear": True}:
                raise BadInput(f'{where}{{"clear": true}} takes no other field')
            clear = True
            continue
        try:
            rules.append(_fault_rule(spec))
        except BadInput as exc:
            raise BadInput(f"{where}{exc}") from None
    return clear, rules


def _fault_rule(spec: Any) -> FaultRule:
    """One ``FaultRule`` from its JSON form, every field checked."""
    if not isinstance(spec, dict):
        raise BadInput("each fault is a JSON object")
    spec = _object(spec, _FAULT_FIELDS)
    kind = spec.get("kind")
    if kind not in FAULT_KINDS:
        raise BadInput(f"kind is one of {', '.join(FAULT_KINDS)}")
    operation = spec.get("operation")
    if operation is not None and operation not in OPERATIONS:
        raise BadInput(f"operation is null or one of {', '.join(OPERATIONS)}")
    object_type = spec.get("object_type")
    if object_type is not None and not isinstance(object_type, str):
        raise BadInput("object_type is a type name or id, or null")
    html = spec.get("html", False)
    if not isinstance(html, bool):
        raise BadInput("html is true or false")
    times = _count("times", spec.get("times"), minimum=1, null=True)
    probability = spec.get("probability")
    if probability is not None and not (_is_number(probability) and 0 <= probability <= 1):
        raise BadInput("probability is a number within [0, 1], or null")
    if times is not None and probability is not None:
        raise BadInput("give either times or probability, not both")
    status = spec.get("status", 502)
    if not (_is_number(status) and status == int(status) and 100 <= status <= 599):
        raise BadInput("status is an HTTP status code (100 to 599)")
    fields: dict[str, Any] = {
        "kind": kind,
        "times": times,
        "probability": None if probability is None else float(probability),
        "operation": operation,
        "object_type": object_type,
        "status": int(status),
        "html": html,
        "retry_after": _seconds("retry_after", spec.get("retry_after"), null=True),
    }
    if spec.get("delay") is not None:
        fields["delay"] = _seconds("delay", spec["delay"])
    if kind == "answer_after":
        fields["body"] = spec.get("body")
        if "status" not in spec:
            fields["status"] = 200
    elif spec.get("body") is not None:
        raise BadInput("body is for answer_after only")
    try:
        return FaultRule(**fields)
    except (TypeError, ValueError) as exc:  # pragma: no cover - every field is checked above
        raise BadInput(str(exc)) from None


def _error(status: int, message: str) -> web.Response:
    return json_response(status, {"status": "error", "message": message}, {})
