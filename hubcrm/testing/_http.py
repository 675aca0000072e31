"""What every endpoint shares: JSON replies, error and fault answers, bodies, delays.

Functions whose docstring says so expect the caller to hold ``state.lock``; the others
take it themselves when they need it.
"""

from __future__ import annotations

import asyncio
import http
import json
import uuid
from typing import Any

from aiohttp import web

from ._api_errors import ApiError
from ._faults import FaultRecord, FaultRule
from ._state import State

__all__ = [
    "CORRELATION_HEADER",
    "JSON_TYPE",
    "NotJson",
    "after_commit",
    "answer_error",
    "bare_not_found",
    "drop",
    "dumps",
    "error_response",
    "fault_response",
    "json_response",
    "log_fault",
    "method_not_allowed",
    "pause",
    "read_body",
    "read_json",
    "take_faults",
]

CORRELATION_HEADER = "x-hubspot-correlation-id"
JSON_TYPE = "application/json;charset=utf-8"
_EXTRA_PHRASES = {
    477: "Migration In Progress",
    520: "Web Server Returned an Unknown Error",
    521: "Web Server Is Down",
    522: "Connection Timed Out",
    523: "Origin Is Unreachable",
    524: "A Timeout Occurred",
}


class NotJson(ValueError):
    """A token Python's decoder accepts but JSON does not (``NaN``, ``Infinity``)."""


def _reject_constant(name: str) -> Any:
    raise NotJson(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
dumps = json.JSONEncoder(separators=(",", ":")).encode


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return _EXTRA_PHRASES.get(status, "Error")


# --- responses ---------------------------------------------------------------------------


def json_response(status: int, payload: Any, headers: dict[str, str]) -> web.Response:
    """A compact JSON response with ``headers`` (which it completes)."""
    headers["Content-Type"] = JSON_TYPE
    return web.Response(body=dumps(payload).encode(), status=status, headers=headers)


def error_response(
    state: State, error: ApiError, cid: str, headers: dict[str, str]
) -> web.Response:
    """HubSpot's error body for ``error``, counted as a response sent."""
    if error.headers:
        headers.update(error.headers)
    with state.lock:
        state.counters.response(error.status)
    return json_response(error.status, error.body(cid), headers)


_NOT_FOUND_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
    "<title>404 Not Found</title></head>\n<body>\n<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on this server.</p>\n</body>\n</html>\n"
)


def answer_error(
    state: State, request: web.Request, error: ApiError, cid: str, headers: dict[str, str]
) -> web.Response:
    """Like :func:`error_response`, but a 404 to a ``GET`` takes the configured body."""
    if error.status == 404 and request.method == "GET":
        style = state.not_found_body
        if style != "json":
            with state.lock:
                state.counters.response(404)
            return bare_not_found(style, headers)
    return error_response(state, error, cid, headers)


def bare_not_found(style: str, headers: dict[str, str]) -> web.Response:
    """A 404 without HubSpot's JSON: no body (``"empty"``) or an HTML page (``"html"``)."""
    if style == "html":
        headers["Content-Type"] = "text/html;charset=utf-8"
        return web.Response(body=_NOT_FOUND_PAGE.encode(), status=404, headers=headers)
    return web.Response(status=404, headers=headers)


def fault_response(
    state: State, rule: FaultRule, cid: str, headers: dict[str, str]
) -> web.Response:
    """The answer of an injected error fault: a HubSpot-like JSON body or a gateway page."""
    status = rule.status
    retry_after = rule.retry_after
    if retry_after is None and status == 477:
        retry_after = 1
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    with state.lock:
        state.counters.response(status)
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
        body["groupName"] = f"publicapi:private-app-api-calls-ten-secondly:{state.portal_id}"
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
    return json_response(status, body, headers)


def method_not_allowed(state: State, request: web.Request, allowed: str) -> web.Response:
    """A 405 saying which methods the emulator serves here, counted as operation ``other``.

    It speaks for the emulator, not for HubSpot, which may serve more methods at the
    same path (``POST .../contacts/merge``, say): category ``NOT_EMULATED``.
    """
    cid = str(uuid.uuid4())
    with state.lock:
        state.counters.request("other")
    error = ApiError(
        405,
        f"not emulated: the hubcrm emulator serves only {allowed} at {request.path}, "
        f"not {request.method}",
        "NOT_EMULATED",
    )
    return error_response(state, error, cid, {CORRELATION_HEADER: cid, "Allow": allowed})


def drop(request: web.Request) -> web.Response:
    """Abort the connection: the client gets no HTTP response at all."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=499)


async def pause(state: State, delay: float) -> bool:
    """Wait ``delay`` seconds; True when interrupted because the emulator stops."""
    stopping = state.stopping
    if stopping is None:
        await asyncio.sleep(delay)
        return False
    try:
        await asyncio.wait_for(stopping.wait(), delay)
    except asyncio.TimeoutError:
        return False
    return True


# --- request bodies ----------------------------------------------------------------------


async def read_body(state: State, request: web.Request, expected_type: str) -> bytes:
    """The raw body, or the 415, 413 or 400 ``ApiError`` HubSpot would answer."""
    if request.content_type != expected_type:
        given = request.headers.get("Content-Type", "")
        raise ApiError(415, f"Content type '{given}' not supported; send {expected_type}")
    length = request.content_length
    if length is not None and length > state.max_body_bytes:
        raise _too_large(state)
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(state) from None
    except Exception:
        raise ApiError(400, "The request body could not be read") from None


def _too_large(state: State) -> ApiError:
    return ApiError(
        413, f"The request body is larger than the limit of {state.max_body_bytes} bytes"
    )


async def read_json(state: State, request: web.Request) -> Any:
    """The JSON body (strict: no NaN or Infinity), or the ``ApiError`` to answer."""
    raw = await read_body(state, request, "application/json")
    try:
        return _DECODER.decode(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except UnicodeDecodeError:
        raise ApiError(400, "Invalid input JSON: the body is not UTF-8") from None
    except RecursionError:
        raise ApiError(400, "Invalid input JSON: the document is nested too deeply") from None
    except ValueError as exc:
        if isinstance(exc, NotJson):
            raise ApiError(400, f"Invalid input JSON: {exc}") from None
        # Python refuses to convert integers of more than 4,300 digits
        raise ApiError(400, "Invalid input JSON: a number has too many digits") from None


# --- injected faults ---------------------------------------------------------------------


def take_faults(
    state: State, operation: str, type_name: str | None, cid: str
) -> tuple[FaultRule | None, FaultRule | None]:
    """Pick a request's (latency, other) faults; count them, log those that act first.

    The caller holds the lock.
    """
    if not state.faults.active:
        return None, None
    latency, fault = state.faults.pick(operation, type_name)
    for rule in (latency, fault):
        if rule is not None:
            state.counters.fault(rule.kind, operation)
            if rule.kind in ("latency", "error_before"):
                log_fault(state, rule, operation, type_name, cid, ())
    return latency, fault


def log_fault(
    state: State,
    rule: FaultRule,
    operation: str,
    type_name: str | None,
    cid: str,
    ids: tuple[str, ...],
) -> None:
    """Add an injected fault to the fault log; the caller holds the lock."""
    status = rule.status if rule.kind in ("error_before", "error_after", "answer_after") else None
    state.faults.record(
        FaultRecord(
            kind=rule.kind,
            operation=operation,
            object_type=type_name,
            status=status,
            ids=ids,
            correlation_id=cid,
        )
    )


async def after_commit(
    state: State,
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
    """Answer a processed request that a fault strikes after the commit."""
    with state.lock:
        log_fault(state, fault, operation, type_name, cid, tuple(ids))
    if fault.kind == "error_after":
        return fault_response(state, fault, cid, headers)
    if fault.kind == "disconnect_after":
        return drop(request)
    if fault.kind == "answer_after":
        with state.lock:
            state.counters.response(fault.status)
        return json_response(fault.status, fault.body, headers)
    # timeout_after: the write is done; the answer comes too late, if ever
    if await pause(state, fault.delay):
        return drop(request)
    with state.lock:
        state.counters.response(status)
        style = state.not_found_body
    if status == 404 and request.method == "GET" and style != "json":
        return bare_not_found(style, headers)
    return json_response(status, payload, headers)
