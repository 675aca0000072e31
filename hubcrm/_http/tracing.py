"""OpenTelemetry tracing: the one module that uses ``opentelemetry``.

With the ``otel`` extra installed (``opentelemetry-api``), a client traces through the
global tracer provider: each HTTP attempt is a client span named by HubSpot's route
template (``POST /crm/objects/2026-03/{objectType}``), a bulk run is one span with its
counts, and the settling of an ambiguous create is a child span. Rate-limit waits and
retries are events of the attempt they concern. Without a configured provider the API's
no-op tracer makes every hook a no-op; without the package, :func:`for_client` returns
``None`` and nothing of OpenTelemetry is imported.

No span name, attribute or event holds a token or a property value: paths are the
redacted paths logs use (``log_path``), turned into route templates where the route is
HubSpot's, and query values are written ``REDACTED``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .._core.errors import APIError
from .._core.version import version

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

__all__ = ["Attempt", "Tracing", "for_client", "route_template", "traced"]

_TRACER_NAME = "hubcrm"
_BATCH_ACTIONS = frozenset({"create", "read", "update", "upsert", "archive"})

# HubSpot's routes below /crm/<api>/<version>/ (or /crm/<version>/<api>/), segment by
# segment: "{name}" stands for any segment, "*" for a batch action (kept as written),
# anything else must be that word. Where two routes of one length could match, the one
# with a word in place of a placeholder comes first.
_ROUTES: dict[str, tuple[tuple[str, ...], ...]] = {
    "objects": (
        ("{objectType}",),
        ("{objectType}", "search"),
        ("{objectType}", "{objectId}"),
        ("{objectType}", "batch", "*"),
        ("{objectType}", "{objectId}", "associations", "{toObjectType}"),
        ("{objectType}", "{objectId}", "associations", "{toObjectType}", "{toObjectId}"),
        (
            "{objectType}",
            "{objectId}",
            "associations",
            "default",
            "{toObjectType}",
            "{toObjectId}",
        ),
    ),
    "properties": (("{objectType}",), ("{objectType}", "{propertyName}")),
    "associations": (
        ("{objectType}", "{toObjectType}", "labels"),
        ("{objectType}", "{toObjectType}", "batch", "*"),
    ),
}


# A route as matched: the (position, word) pairs that must be there, the position of a
# batch action (kept as written) or None, and the template's segments.
_Route = tuple[tuple[tuple[int, str], ...], int | None, tuple[str, ...]]


def _compile() -> dict[tuple[str, int], tuple[_Route, ...]]:
    table: dict[tuple[str, int], list[_Route]] = {}
    for api, routes in _ROUTES.items():
        for route in routes:
            words = tuple((i, w) for i, w in enumerate(route) if w != "*" and w[0] != "{")
            action = route.index("*") if "*" in route else None
            table.setdefault((api, len(route)), []).append((words, action, route))
    return {shape: tuple(routes) for shape, routes in table.items()}


# By (api, segments below the version): the few routes a path can be. Built by the first
# traced request (a client without tracing never needs it).
_SHAPES: dict[tuple[str, int], tuple[_Route, ...]] | None = None


def _is_version(segment: str) -> bool:
    if segment[:1] == "v":  # v3, v4
        return segment[1:].isdigit()
    # 2026-03
    return len(segment) == 7 and segment[4] == "-" and (segment[:4] + segment[5:]).isdigit()


def route_template(path: str) -> tuple[str, str | None] | None:
    """HubSpot's route template of ``path`` and the object type it names.

    ``path`` is the redacted path (``log_path``); ``None`` when it is not one of the CRM
    routes hubcrm knows, so that the caller falls back to the redacted path itself.

    >>> route_template("/crm/objects/2026-03/contacts/<email>")
    ('/crm/objects/2026-03/{objectType}/{objectId}', 'contacts')
    """
    segments = path.split("/")
    if len(segments) < 5 or segments[0] or segments[1] != "crm":
        return None
    if _is_version(segments[2]):  # /crm/v3/objects/...
        api = segments[3]
    elif _is_version(segments[3]):  # /crm/objects/2026-03/...
        api = segments[2]
    else:
        return None
    rest = segments[4:]
    global _SHAPES
    if _SHAPES is None:
        _SHAPES = _compile()
    for words, position, parts in _SHAPES.get((api, len(rest)), ()):
        if all(rest[i] == word for i, word in words):
            if position is not None:
                action = rest[position]
                if action not in _BATCH_ACTIONS:
                    continue
                parts = (*parts[:position], action, *parts[position + 1 :])
            return "/".join((*segments[:4], *parts)), unquote(rest[0])
    return None


class Attempt:
    """The span of one HTTP attempt, current while it is open. Only made when recording."""

    __slots__ = ("_ended", "_span", "_token")

    def __init__(self, span: Span) -> None:
        from opentelemetry import context, trace

        self._span = span
        self._ended = False
        self._token = context.attach(trace.set_span_in_context(span))

    def waited(self, seconds: float) -> None:
        """The rate limiter held the attempt for ``seconds`` before it was sent."""
        self._span.add_event("hubcrm.rate_limit.wait", {"hubcrm.wait_seconds": seconds})

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        """HubSpot answered with ``status``."""
        span = self._span
        span.set_attribute("http.response.status_code", status)
        correlation_id = headers.get("x-hubspot-correlation-id")
        if correlation_id:
            span.set_attribute("hubcrm.correlation_id", correlation_id)

    def failed(self, error: BaseException) -> None:
        """The attempt failed with ``error`` (its message is not recorded)."""
        from opentelemetry.trace import Status, StatusCode

        if isinstance(error, APIError):
            kind = str(error.status)
            self._span.set_attribute("http.response.status_code", error.status)
            if error.correlation_id:
                self._span.set_attribute("hubcrm.correlation_id", error.correlation_id)
        else:
            kind = type(error).__qualname__
        self._span.set_attribute("error.type", kind)
        self._span.set_status(Status(StatusCode.ERROR, kind))

    def retry(self, reason: str, wait: float, *, pause: bool = False) -> None:
        """The retrier sends the request again after ``wait`` seconds; ``pause``: a 429
        pause of every sender."""
        name = "hubcrm.rate_limit.pause" if pause else "hubcrm.retry"
        self._span.add_event(name, {"hubcrm.retry.reason": reason, "hubcrm.wait_seconds": wait})

    def end(self) -> None:
        """End the span and make the one before it current again. Safe to call twice."""
        if self._ended:
            return
        self._ended = True
        from opentelemetry import context

        context.detach(self._token)
        self._span.end()


class Tracing:
    """hubcrm's spans for one client, on the tracer of the global provider.

    Args:
        tracer: the tracer spans are started on.
        base_url: the client's API root (``server.address``, ``server.port``, ``url.full``).
    """

    def __init__(self, tracer: Tracer, base_url: str) -> None:
        self._tracer = tracer
        parts = urlsplit(base_url)
        host = parts.hostname or ""
        self._server: dict[str, Any] = {
            "server.address": host,
            "server.port": parts.port or (443 if parts.scheme == "https" else 80),
        }
        # No user info: only scheme, host, port and the root's own path.
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc = f"{netloc}:{parts.port}"
        self._origin = f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"

    def attempt(
        self,
        method: str,
        shown_path: str,
        params: Mapping[str, str] | None,
        attempt: int,
    ) -> Attempt | None:
        """Start the span of one attempt (current until ``end``); None when not recording.

        Args:
            method: the HTTP method.
            shown_path: the path as logs may show it (no personal data).
            params: the query parameters; only their names are recorded.
            attempt: 1 for the first attempt, 2 for the first retry, ...
        """
        from opentelemetry.trace import SpanKind

        route = route_template(shown_path)
        template, object_type = route if route is not None else (None, None)
        span = self._tracer.start_span(f"{method} {template or shown_path}", kind=SpanKind.CLIENT)
        if not span.is_recording():
            return None
        query = "&".join(f"{name}=REDACTED" for name in params) if params else ""
        attributes: dict[str, Any] = {
            "http.request.method": method,
            **self._server,
            "url.full": f"{self._origin}{shown_path}" + (f"?{query}" if query else ""),
            "hubcrm.attempt": attempt,
        }
        if template is not None:
            attributes["url.template"] = template
        if object_type is not None:
            attributes["hubcrm.object_type"] = object_type
        span.set_attributes(attributes)
        return Attempt(span)

    @contextmanager
    def run(
        self,
        name: str,
        attributes: Mapping[str, Any],
        at_end: Callable[[], Mapping[str, Any]] | None = None,
    ) -> Iterator[None]:
        """A span around a bulk run or a settling, current inside the block.

        ``at_end`` gives attributes to add as the span ends (the run's counts), whether
        the block returns or raises; an exception escaping the block sets ``error.type``
        (its message is not recorded).
        """
        from opentelemetry.trace import Status, StatusCode

        with self._tracer.start_as_current_span(
            name, attributes=dict(attributes), record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__qualname__))
                raise
            finally:
                if at_end is not None and span.is_recording():
                    span.set_attributes(dict(at_end()))


def traced(
    tracing: Tracing | None,
    name: str,
    attributes: Mapping[str, Any],
    at_end: Callable[[], Mapping[str, Any]] | None = None,
) -> AbstractContextManager[None]:
    """``tracing.run(...)``, or a block that does nothing when tracing is off."""
    if tracing is None:
        return nullcontext()
    return tracing.run(name, attributes, at_end)


def for_client(base_url: str) -> Tracing | None:
    """A client's tracing, on the global tracer provider; None without ``opentelemetry-api``."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return Tracing(trace.get_tracer(_TRACER_NAME, version()), base_url)
