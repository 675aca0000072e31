"""AsyncHubCRM: the async client. Holds settings, owns the Session, exposes resources."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping, Sequence
from ssl import SSLContext
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._core.config import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONNECTIONS,
    RequestOptions,
    RetryPolicy,
    RetryWrites,
    Timeouts,
    merge_options,
)
from ._core.errors import CLIENT_CLOSED, HubCRMError
from ._core.values import type_name
from ._http.auth import OAuth, StaticToken, TokenProvider
from ._http.limiters import PauseOnlyLimiter, RollingWindowLimiter
from ._http.ratelimit import DEFAULT_SEARCH_RATE_LIMIT, Limiter, RateLimit
from ._http.retry import Retrier
from ._http.session import Response, Session, request_path
from ._http.transport import AiohttpTransport, TraceConfig
from ._resources.objects import AsyncObjects
from ._resources.raw import RequestSafety, query_params, request_kind, shown_path
from ._write.recovery import send_kind

# The rarer resources load on first access of their attribute (see AsyncHubCRM).
if TYPE_CHECKING:
    from ._http.client_stats import ClientStats
    from ._resources.associations import AsyncAssociations
    from ._resources.owners import AsyncOwners
    from ._resources.pipelines import AsyncPipelines
    from ._resources.properties import AsyncProperties
    from ._resources.schemas import AsyncSchemas

__all__ = ["AsyncHubCRM"]

_API_VERSION = r"\d{4}-\d{2}|v3"  # compiled (and cached by re) by the first client
_R = TypeVar("_R")


def _token_provider(access_token: str | TokenProvider) -> TokenProvider:
    if isinstance(access_token, str):
        return StaticToken(access_token)
    if not isinstance(access_token, TokenProvider):
        raise TypeError(
            "access_token must be a str or a token provider (a hubcrm.TokenProvider "
            "subclass, or an object with 'async def token() -> str' and "
            f"'def invalidate(token: str) -> None'), not {type(access_token).__name__}"
        )
    return access_token


def _limiter(rate_limit: RateLimit | Limiter | None) -> Limiter:
    if rate_limit is None:
        return PauseOnlyLimiter()
    if isinstance(rate_limit, RateLimit):
        # The default adapts to the limit HubSpot announces; a chosen one is a ceiling.
        return RollingWindowLimiter(rate_limit, explicit=rate_limit is not RateLimit.DEFAULT)
    if isinstance(rate_limit, Limiter):
        return rate_limit
    raise TypeError(
        "rate_limit must be a RateLimit, a Limiter (subclass hubcrm.Limiter, or implement "
        "every method it declares) or None, not "
        f"{type(rate_limit).__name__}"
    )


def _search_limiter(rate_limit: RateLimit | Limiter | None) -> Limiter:
    if rate_limit is None:
        return PauseOnlyLimiter()
    if isinstance(rate_limit, RateLimit):
        return RollingWindowLimiter(rate_limit, explicit=True)
    if isinstance(rate_limit, Limiter):
        return rate_limit
    raise TypeError(
        f"search_rate_limit must be a RateLimit, a Limiter or None, not {type(rate_limit).__name__}"
    )


class AsyncHubCRM:
    """Async client for HubSpot's CRM objects API.

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with AsyncHubCRM("pat-na1-...") as crm:
            contact = await crm.objects.create("contacts", {"email": "ada@example.com"})

    The client and its connection pool belong to the event loop that first uses it.
    Share one client between the tasks of a loop; it is cheap to share and costly to
    recreate. For code without an event loop, use :class:`HubCRM`.
    """

    _sync_doc = """Blocking client for HubSpot's CRM objects API.

    Use it as a context manager, or call :meth:`close` when done::

        with HubCRM("pat-na1-...") as crm:
            contact = crm.objects.create("contacts", {"email": "ada@example.com"})

    It runs :class:`AsyncHubCRM` on one event loop thread of its own, started on first
    use and kept for the client's life, so connections are reused across calls. One
    client may be shared by any number of threads; after ``os.fork()`` the child's
    first call starts a fresh loop. Calls from inside a running event loop work too
    (they block that loop); in async code, prefer :class:`AsyncHubCRM`.
    """

    objects: AsyncObjects
    """CRM objects: ``create`` contacts, companies, deals, tickets and custom objects."""

    # The other resources are made, and their modules imported, on first access: a
    # client that only creates records does not pay for them at import.
    @property
    def properties(self) -> AsyncProperties:
        """CRM properties: a type's definitions (``list``, ``get``, ``create``, ``update``,
        ``archive``), their ``groups`` and the portal's ``validations``."""
        from ._resources.properties import AsyncProperties

        return self._resource("properties", AsyncProperties)

    @property
    def associations(self) -> AsyncAssociations:
        """Associations between existing records: ``create``, ``list``, ``delete``, ``labels``."""
        from ._resources.associations import AsyncAssociations

        return self._resource("associations", AsyncAssociations)

    @property
    def pipelines(self) -> AsyncPipelines:
        """The pipelines of deals, tickets and custom types, with their stages:
        ``list``, ``get``."""
        from ._resources.pipelines import AsyncPipelines

        return self._resource("pipelines", AsyncPipelines)

    @property
    def owners(self) -> AsyncOwners:
        """The portal's owners (for ``hubspot_owner_id``): ``list``, ``iter_all``, ``get``."""
        from ._resources.owners import AsyncOwners

        return self._resource("owners", AsyncOwners)

    @property
    def schemas(self) -> AsyncSchemas:
        """Custom object schemas: ``list``, ``get`` and ``create`` the portal's custom types."""
        from ._resources.schemas import AsyncSchemas

        return self._resource("schemas", AsyncSchemas)

    def __init__(
        self,
        access_token: str | TokenProvider | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = DEFAULT_API_VERSION,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        rate_limit: RateLimit | Limiter | None = RateLimit.DEFAULT,
        max_retries: int | None = None,
        retry_writes: RetryWrites | None = None,
        rate_limit_deadline: float | None = None,
        search_rate_limit: RateLimit | Limiter | None = DEFAULT_SEARCH_RATE_LIMIT,
        proxy: str | None = None,
        trust_env: bool = False,
        ssl: SSLContext | bool = True,
        trace_configs: Sequence[TraceConfig] = (),
        connector_options: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        app_name: str | None = None,
    ) -> None:
        """Create a client. No connection is made until the first request.

        Args:
            access_token: a private-app token (``pat-...``), an OAuth access token, or a
                token provider such as :class:`OAuth`. Defaults to the
                ``HUBSPOT_ACCESS_TOKEN`` environment variable.
            base_url: where HubSpot's API lives; point it at ``hubcrm.testing``'s
                emulator in tests.
            api_version: the date-based API version used in paths, e.g. ``"2026-03"``
                (or ``"v3"`` for the legacy paths).
            timeouts: all timeouts as one :class:`Timeouts` (default: 30 s per request,
                10 s to connect). ``timeout`` and ``connect_timeout`` override its fields.
            retry: the whole retry policy as one :class:`RetryPolicy` (default: 3
                retries, ``retry_writes="safe"``, a 300 s rate-limit deadline).
                ``max_retries``, ``retry_writes`` and ``rate_limit_deadline`` override
                its fields.
            timeout: seconds one request may take once it has a connection (30).
            connect_timeout: seconds to open a new connection (10).
            max_connections: the most requests in flight at once; further requests
                wait for a free connection.
            rate_limit: the most requests to start in a rolling window, shared by every
                task (and, with :class:`HubCRM`, every thread) using this client. The
                default, 100 per 10 s, is safe for every HubSpot plan and adapts to the
                limit HubSpot announces in its headers; a limit you pass is never
                exceeded. A :class:`Limiter` shares one budget more widely; ``None``
                turns limiting off.
            max_retries: retries after transient failures (connection errors, 5xx, 423,
                477); 3. Waits for rate limits are bounded by ``rate_limit_deadline``.
            retry_writes: ``"safe"`` (the default) retries a create after an ambiguous
                failure only when that cannot duplicate it; ``"always"`` retries anyway
                (at-least-once); ``"never"`` never does.
            rate_limit_deadline: the most seconds one request may be held by 429 pauses
                before its ``RateLimitError`` is raised (300).
            search_rate_limit: the limit searches keep to (5 per second by default,
                HubSpot's search limit per account). HubSpot counts searches apart from
                the burst window, so they pass this limiter only and leave
                ``rate_limit``'s budget to the other calls. ``None`` turns it off.
            proxy: an HTTP proxy to send every request through (OAuth refreshes
                included), as a URL: ``"http://proxy.example.com:3128"``, credentials
                allowed (``"http://user:password@proxy.example.com:3128"``); HTTPS is
                tunnelled with ``CONNECT``. The credentials are never logged nor shown
                in errors or reprs.
            trust_env: take the proxy from the ``HTTPS_PROXY`` / ``HTTP_PROXY``
                environment variables (hosts in ``NO_PROXY`` are reached directly) and
                its credentials from ``.netrc``, when ``proxy`` is not given. Off by
                default.
            ssl: how HubSpot's TLS certificate is checked: ``True`` (the default)
                against the system's CAs; an ``ssl.SSLContext`` as it is set up (a
                corporate CA, a client certificate); ``False`` not at all, which lets
                anyone on the network read and change the traffic, token included.
            trace_configs: ``aiohttp.TraceConfig`` objects, called on each request's
                connection, DNS and header events (for tracing and metrics).
            connector_options: further keyword arguments of ``aiohttp.TCPConnector``
                (``keepalive_timeout``, ``ttl_dns_cache``, ``family``, ``local_addr``,
                ...); ``limit`` and the TLS ones follow ``max_connections`` and ``ssl``.
            extra_headers: headers added to every API request (not to OAuth
                refreshes), such as ``{"X-Request-Source": "nightly-sync"}``. Names
                hubcrm owns are refused (``Authorization``, ``User-Agent``,
                ``Content-Type``, ``Host``, ...), and so are names or values that are
                not valid in a header (a line break: header injection). Their values
                are never logged nor shown in reprs or errors.
            app_name: your application's name and version, such as
                ``"acme-sync/2.1"``, appended to hubcrm's ``User-Agent``.

        Connection settings (``max_connections`` to ``connector_options``, and
        ``app_name``) belong to the connection pool: clients made by
        :meth:`with_options` share them.

        Raises:
            HubCRMError: no token was given and ``HUBSPOT_ACCESS_TOKEN`` is not set.
            TypeError, ValueError: a setting has the wrong type or value (or an
                ``OAuth`` is shared with a client of another ``base_url``).
        """
        if access_token is None:
            access_token = os.environ.get("HUBSPOT_ACCESS_TOKEN") or None
            if access_token is None:
                raise HubCRMError(
                    "no HubSpot access token: pass access_token=... or set the "
                    "HUBSPOT_ACCESS_TOKEN environment variable"
                )
        provider = _token_provider(access_token)
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL, not {base_url!r}")
        if not isinstance(api_version, str) or not re.fullmatch(_API_VERSION, api_version):
            raise ValueError(f"api_version must look like '2026-03' (or 'v3'), not {api_version!r}")
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise TypeError(f"max_connections must be an int, not {type_name(max_connections)}")
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if isinstance(provider, OAuth):
            provider._use_base_url(base_url.rstrip("/"))
        self._base_url = base_url
        self._api_version = api_version
        self._options = merge_options(
            RequestOptions(),
            timeouts=timeouts,
            retry=retry,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_writes=retry_writes,
            rate_limit_deadline=rate_limit_deadline,
            extra_headers=extra_headers,
        )
        self._session = Session(
            base_url=base_url,
            token_provider=provider,
            options=self._options,
            limiter=_limiter(rate_limit),
            transport=AiohttpTransport(
                max_connections=max_connections,
                app_name=app_name,
                proxy=proxy,
                trust_env=trust_env,
                ssl=ssl,
                trace_configs=trace_configs,
                connector_options=connector_options,
            ),
        )
        self._retrier = Retrier(self._session)
        self._search_retrier = Retrier(
            self._session.with_limiter(_search_limiter(search_rate_limit))
        )
        self._make_resources()

    def _make_resources(self) -> None:
        """The resources, all sending through this client's retriers with its options."""
        retrier, version, options = self._retrier, self._api_version, self._options
        self.objects = AsyncObjects(retrier, version, options, search_retrier=self._search_retrier)
        self._resources: dict[str, object] = {}  # the others, made on first access

    def _resource(self, name: str, make: Callable[[Retrier, str, RequestOptions], _R]) -> _R:
        """The resource ``name``, made by ``make`` on first access and kept (one per
        client: threads that race to make it all get the one kept)."""
        resource = self._resources.get(name)
        if resource is None:
            resource = self._resources.setdefault(
                name, make(self._retrier, self._api_version, self._options)
            )
        return cast(_R, resource)

    def with_options(
        self,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        retry_writes: RetryWrites | None = None,
        rate_limit_deadline: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncHubCRM:
        """A client with other per-request options, sharing this one's connections
        (and their settings: proxy, TLS, connector), rate limiter and counters.

        ``crm.with_options(timeout=5).objects.create(...)`` changes one call; closing
        either client closes the connections of both. Every argument is as in the
        constructor; ``None`` keeps this client's setting.

        Args:
            timeouts: replaces this client's :class:`Timeouts`.
            retry: replaces this client's :class:`RetryPolicy`.
            timeout: seconds one request may take once it has a connection.
            connect_timeout: seconds to open a new connection.
            max_retries: retries after transient failures.
            retry_writes: ``"safe"``, ``"always"`` or ``"never"``.
            rate_limit_deadline: the most seconds one request may be held by 429 pauses.
            extra_headers: headers added to every API request of the new client, on
                top of this client's (a name given again replaces its value); refused
                as in the constructor.

        Returns:
            The new client.
        """
        options = merge_options(
            self._options,
            timeouts=timeouts,
            retry=retry,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_writes=retry_writes,
            rate_limit_deadline=rate_limit_deadline,
            extra_headers=extra_headers,
        )
        clone = copy.copy(self)
        clone._options = options
        clone._make_resources()
        return clone

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        safety: RequestSafety | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Call any HubSpot endpoint through this client's limiter, retries and token.

        For endpoints hubcrm has no method for: the request counts against the same
        rolling window as every other call, and is retried by its write-safety class.
        ``GET``, ``HEAD``, ``PUT`` and ``DELETE`` are idempotent and retried after
        ambiguous failures (a timeout, a dropped connection, a 5xx); ``POST`` and
        ``PATCH`` are not (unless the client has ``retry_writes="always"``), as a
        second send could act twice. ``safety`` overrides that: ``"read"`` or
        ``"idempotent"`` for a ``POST`` that is safe to repeat (a search, a batch read),
        ``"unsafe"`` for one that is not. Requests HubSpot certainly did not process
        (429, 423, 477, no connection) are always retried.

        Args:
            method: the HTTP method: ``GET``, ``HEAD``, ``OPTIONS``, ``PUT``,
                ``DELETE``, ``POST`` or ``PATCH``.
            path: the path below the base URL, starting with ``/``, with its segments
                already URL-quoted (``/crm/objects/2026-03/contacts/123``). A segment
                that reads as ``.`` or ``..`` (``/../``, ``/%2e%2e/``, in any case or
                encoding) is refused: it would leave the base URL's path.
            json: a JSON-ready value to send as the body.
            params: query parameters; numbers and bools are written as HubSpot expects
                them, lists comma-joined.
            safety: how safe the request is to send twice: ``"read"``,
                ``"idempotent"`` or ``"unsafe"``; by default from the method.
            headers: headers added to this request, on top of the client's
                ``extra_headers`` (a name given again replaces its value); refused as
                ``extra_headers`` are (``Authorization`` and hubcrm's other headers
                are not yours to set).

        Returns:
            The 2xx response: ``status``, ``headers`` and ``json()`` (``None`` for a 204).

        Raises:
            ValueError, TypeError: the method, path, params or headers cannot be sent.
            APIError: HubSpot answered with an error status (the subclass says which).
            APIConnectionError: the exchange failed at the transport level.
        """
        if not isinstance(method, str):
            raise TypeError(f"method must be a str, not {type(method).__name__}")
        method = method.upper()
        kind = request_kind(method, safety)
        path = request_path(path)
        options = self._options
        if headers is not None:
            options = merge_options(options, extra_headers=headers, headers_argument="headers")
        return await self._retrier.request(
            method,
            path,
            kind=send_kind(kind, options.retry),
            json_body=json,
            params=query_params(params),
            options=options,
            log_path=shown_path(path),
        )

    @property
    def timeouts(self) -> Timeouts:
        """The timeouts this client's requests run with."""
        return self._options.timeouts

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy this client's requests run with."""
        return self._options.retry

    @property
    def stats(self) -> ClientStats:
        """Counters: requests, retries by reason, 429s, time held by the rate limiter,
        and the latest rate-limit headers (with the daily remaining count)."""
        return self._session.stats()

    @property
    def closed(self) -> bool:
        """Whether the client has been closed."""
        return self._session.closed

    async def aclose(self) -> None:
        """Close the client's connections. Safe to call more than once."""
        await self._session.aclose()

    async def __aenter__(self) -> AsyncHubCRM:
        if self._session.closed:
            raise HubCRMError(CLIENT_CLOSED)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<AsyncHubCRM {self._base_url} api_version={self._api_version} {state}>"
