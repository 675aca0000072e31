"""`RawResponse`: what a ``with_raw_response`` method returns (see `hubcrm._resources.raw`).

In a module of its own, loaded by the first raw call: the clients' import does not pay
for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

if TYPE_CHECKING:
    from .._http.session import Response

__all__ = ["RawResponse"]

T = TypeVar("T")


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
