"""Raw responses: ``crm.request`` (any endpoint, same pipeline) and ``with_raw_response``.

``crm.request`` sends a request hubcrm has no method for through the client's own
retrier, session, limiter and token. ``crm.objects.with_raw_response.create(...)``
returns the HTTP response (status and headers) next to the parsed record.

The raw variants cost the normal calls nothing: ``with_raw_response`` runs the very same
method on a copy of the resource whose retrier notes the last response it returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar

import attrs

from ._config import RequestOptions
from ._retry import RequestKind, Retrier
from ._session import Response

__all__ = [
    "RawResponse",
    "Recorder",
    "RequestSafety",
    "query_params",
    "request_kind",
    "shown_path",
]

T = TypeVar("T")

#: How safe a request made with ``crm.request`` is to send twice:
#: ``"read"`` (no side effect), ``"idempotent"`` (a second send changes nothing more:
#: PUT, DELETE, an update) or ``"unsafe"`` (a second send may act twice: a create).
RequestSafety = Literal["read", "idempotent", "unsafe"]

_METHOD_KINDS = {
    "GET": RequestKind.READ,
    "HEAD": RequestKind.READ,
    "OPTIONS": RequestKind.READ,
    "PUT": RequestKind.UPSERT,
    "DELETE": RequestKind.UPSERT,
    "POST": RequestKind.CREATE,
    "PATCH": RequestKind.CREATE,
}
_SAFETY_KINDS = {
    "read": RequestKind.READ,
    "idempotent": RequestKind.UPSERT,
    "unsafe": RequestKind.CREATE,
}


def request_kind(method: str, safety: RequestSafety | None) -> RequestKind:
    """The retry class of a raw request: from ``safety`` if given, else from its method.

    Raises:
        ValueError: an unknown method or safety.
    """
    if safety is not None:
        kind = _SAFETY_KINDS.get(safety)
        if kind is None:
            raise ValueError(f"safety must be 'read', 'idempotent' or 'unsafe', not {safety!r}")
        return kind
    kind = _METHOD_KINDS.get(method)
    if kind is None:
        raise ValueError(f"method must be one of {', '.join(_METHOD_KINDS)}, not {method!r}")
    return kind


def query_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Query parameters as strings: bools as ``true``/``false``, lists comma-joined.

    Raises:
        TypeError: a name is not a str, or a value is of another type.
    """
    if params is None:
        return None
    out: dict[str, str] = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"query parameter names must be str, not {type(name).__name__}")
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            out[name] = str(value)
        elif isinstance(value, Sequence):
            out[name] = ",".join(str(item) for item in value)
        else:
            raise TypeError(
                f"query parameter {name!r} must be a str, number, bool or list, "
                f"not {type(value).__name__}"
            )
    return out


def shown_path(path: str) -> str:
    """``path`` as logs may show it: segments that look like an email are masked."""
    if "@" not in path and "%40" not in path:
        return path
    return "/".join(
        "<redacted>" if ("@" in part or "%40" in part) else part for part in path.split("/")
    )


@attrs.frozen
class RawResponse(Generic[T]):
    """An HTTP response and the value a typed method read from it.

    Attributes:
        http_response: The response: ``status``, ``headers`` and the body.
    """

    http_response: Response
    _parsed: T

    @property
    def status(self) -> int:
        """The HTTP status (for a settled create, of the request that settled it)."""
        return self.http_response.status

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive), e.g. ``x-hubspot-correlation-id``."""
        return self.http_response.headers

    def parse(self) -> T:
        """The value the typed method returns (a ``CrmObject``, or None for an archive)."""
        return self._parsed


class Recorder(Retrier):
    """A retrier sharing another's session that remembers the last response it returned."""

    def __init__(self, retrier: Retrier) -> None:
        super().__init__(retrier.session)
        self.last: Response | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        kind: RequestKind,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        options: RequestOptions | None = None,
        log_path: str | None = None,
    ) -> Response:
        """:meth:`Retrier.request`, remembering the response it returns."""
        response = await super().request(
            method,
            path,
            kind=kind,
            json_body=json_body,
            params=params,
            options=options,
            log_path=log_path,
        )
        self.last = response
        return response
