"""The requests the emulator received: what tests read to see what a client sent."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import attrs
from aiohttp import web

__all__ = ["RECEIVED_KEPT", "Received", "ReceivedRequest"]

#: How many of the latest requests are kept.
RECEIVED_KEPT = 1000


@attrs.frozen
class ReceivedRequest:
    """One API request as it arrived (``emu.received``).

    Attributes:
        method: the HTTP method.
        path: the path as sent, still percent-encoded, without the query.
        query: the query string as sent (``""`` when none).
        headers: the request's headers by lower-case name (repeated ones joined with
            ``", "``); the token in ``authorization`` is replaced by ``<redacted>``.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]


def _headers(request: web.Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key in ("authorization", "proxy-authorization"):
            scheme = value.partition(" ")[0]
            value = f"{scheme} <redacted>" if scheme != value else "<redacted>"
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


class Received:
    """The latest :data:`RECEIVED_KEPT` API requests; guarded by the emulator's lock."""

    def __init__(self) -> None:
        self.requests: deque[ReceivedRequest] = deque(maxlen=RECEIVED_KEPT)

    def note(self, request: web.Request) -> None:
        """Keep ``request`` (the admin endpoints under ``/_emulator/`` are not kept)."""
        raw = request.raw_path
        path, _, query = raw.partition("?")
        if path.startswith("/_emulator/"):
            return
        self.requests.append(ReceivedRequest(request.method, path, query, _headers(request)))

    def clear(self) -> None:
        """Forget every request."""
        self.requests.clear()
