"""The test-control API under ``/_emulator/``: stats, objects, reset, faults, rate limit.

No authentication, no counting: these endpoints let a test (or another process) inspect
and steer the emulator.
"""

from __future__ import annotations

from typing import Any

import attrs
from aiohttp import web

from ._api_errors import ApiError
from ._faults import FaultRule
from ._http import json_response, read_json
from ._state import State


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
                return _error(exc.status, exc.message)
            except (TypeError, ValueError) as exc:
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
            body = await read_json(state, request)
            if not isinstance(body, dict):
                raise ValueError("the body is a JSON object")
            with state.lock:
                rate_limit = state.limiter.rate_limit
                daily_limit = state.limiter.daily_limit
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
                with state.lock:
                    state.limiter.daily_used = 0
            with state.lock:
                state.limiter.configure(rate_limit, daily_limit)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except ValueError as exc:
            return _error(400, str(exc))
        body = {
            "rate_limit": None if rate_limit is None else list(rate_limit),
            "daily_limit": daily_limit,
        }
        return json_response(200, body, {})


def _error(status: int, message: str) -> web.Response:
    return json_response(status, {"status": "error", "message": message}, {})
