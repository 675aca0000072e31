"""Raw responses: ``crm.request`` (any endpoint, same pipeline) and ``with_raw_response``.

``crm.request`` sends a request hubcrm has no method for through the client's own
retrier, session, limiter and token. ``crm.objects.with_raw_response.create(...)``
returns the HTTP response (status and headers) next to the parsed record.

The raw variants cost the normal calls nothing: ``with_raw_response`` runs the very same
method on a copy of the resource whose retrier notes the last response it returned. One
wrapper, :func:`raw_response`, makes each raw method from the plain one, so that its
signature is the plain method's, not a copy of it::

    class AsyncObjectsWithRawResponse(WithRawResponse[AsyncObjects]):
        create = raw_response(AsyncObjects.create)

``python -m hubcrm._codegen`` writes the blocking twin from those lines.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    Protocol,
    TypeVar,
    cast,
)

from .._http.retry import RequestKind, Retrier
from .._http.session import Response

if TYPE_CHECKING:
    from .raw_response import RawResponse

__all__ = [
    "RawResponse",
    "Recorder",
    "RequestSafety",
    "WithRawResponse",
    "query_params",
    "raw_doc",
    "raw_response",
    "request_kind",
    "shown_path",
]

T = TypeVar("T")
P = ParamSpec("P")


def __getattr__(name: str) -> object:
    # RawResponse loads with the first raw call (or the first use of this name), not
    # with the clients.
    if name == "RawResponse":
        from .raw_response import RawResponse

        return RawResponse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


_Send = TypeVar("_Send", bound=Callable[..., Awaitable[Response]])


def _noting_the_response(send: _Send) -> _Send:
    """``send`` (``Retrier.request``), noting on its recorder the response it returns."""

    async def request(self: Recorder, /, *args: Any, **kwargs: Any) -> Response:
        response: Response = await send(self, *args, **kwargs)
        self.last = response
        return response

    request.__doc__ = send.__doc__
    return cast(_Send, request)


class Recorder(Retrier):
    """A retrier sharing another's session that remembers the last response it returned."""

    def __init__(self, retrier: Retrier) -> None:
        super().__init__(retrier.session)
        self.last: Response | None = None

    # Retrier.request itself, signature and all: every request of a create (its
    # settling's reads too) passes here, and the last one is what the raw call shows.
    request = _noting_the_response(Retrier.request)


_Self = TypeVar("_Self", bound="_Resource")


class _Resource(Protocol):
    """A resource: it sends its requests through ``self._retrier``."""

    _retrier: Retrier

    def _sending_through(self: _Self, retrier: Retrier) -> _Self:
        """A copy of the resource whose requests all go through ``retrier``."""
        ...


R = TypeVar("R", bound=_Resource)
_MADE_BY_RAW_RESPONSE = "raw_response.<locals>.raw"


class WithRawResponse(Generic[R]):
    """The base of a resource's ``with_raw_response``: holds the resource, whose
    methods :func:`raw_response` turns into this class's."""

    def __init__(self, resource: R) -> None:
        self._resource = resource

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The methods raw_response made take this class's name and module, as methods
        # written in it would (for tracebacks, help() and the reference docs).
        for name, member in vars(cls).items():
            if getattr(member, "__qualname__", None) == _MADE_BY_RAW_RESPONSE:
                member.__qualname__ = f"{cls.__qualname__}.{name}"
                member.__module__ = cls.__module__


def raw_doc(owner: str, name: str) -> str:
    """The docstring of the raw variant of method ``name`` of class ``owner``
    (``raw_doc("AsyncObjects", "get")``)."""
    resource = owner.removeprefix("Async").lower()
    return (
        f"Like ``{resource}.{name}``, with the HTTP response it was read from; raises\n"
        f"what ``{resource}.{name}`` raises.\n\n"
        f"Returns:\n"
        f"    The response, whose ``parse()`` is what ``{resource}.{name}`` returns."
    )


def raw_response(
    method: Callable[Concatenate[R, P], Awaitable[T]],
) -> Callable[Concatenate[WithRawResponse[R], P], Coroutine[Any, Any, RawResponse[T]]]:
    """The method of ``with_raw_response`` that runs ``method`` (a resource's ``async``
    method) and returns a :class:`RawResponse` of the last response it read.

    The result takes the same arguments as ``method``, for type checkers too
    (``ParamSpec``); its docstring is :func:`raw_doc`'s.
    """
    owner, name = method.__qualname__.split(".")[-2:]

    async def raw(self: WithRawResponse[R], /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        recorder = Recorder(self._resource._retrier)
        value = await method(self._resource._sending_through(recorder), *args, **kwargs)
        assert recorder.last is not None, f"{name}() returned without a response"
        from .raw_response import RawResponse

        return RawResponse(recorder.last, value)

    assert raw.__qualname__ == _MADE_BY_RAW_RESPONSE
    raw.__name__ = name
    raw.__doc__ = raw_doc(owner, name)
    # inspect.signature (help(), the docs) shows the plain method's parameters.
    plain = inspect.signature(method)
    returns = plain.return_annotation
    returns = returns if isinstance(returns, str) else inspect.formatannotation(returns)
    raw.__signature__ = plain.replace(  # type: ignore[attr-defined]
        return_annotation=f"RawResponse[{returns}]"
    )
    return raw
