"""The transport: how a request reaches HubSpot, and the one mapping of its failures.

:class:`Transport` is the seam: the session sends every API request through one, and
OAuth refreshes made for a client go through that client's. It declares all that is
asked of a transport: connection slots on the running loop, one exchange (request sent,
whole answer read), closing. :class:`AiohttpTransport`, the default and only one, owns
the ``aiohttp.ClientSession`` of one client on one event loop; the connection settings
(pool size, default headers, and whatever else a connector takes) live here, so that
nothing above the transport changes when one is added.

This is the only module of hubcrm's client that imports aiohttp (a test checks).
:data:`TRANSPORT_ERRORS` names aiohttp's exceptions and :func:`transport_error` maps
them; each failure leaves an exchange as an :class:`APIConnectionError` or
:class:`APITimeoutError` whose ``request_sent`` says whether the server may have acted.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import netrc
import os
import platform
import re
import urllib.request
from collections.abc import AsyncGenerator, Mapping, Sequence
from ssl import SSLContext
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp import TraceConfig

from .._core.config import TOKEN, Timeouts
from .._core.errors import CLIENT_CLOSED, APIConnectionError, APITimeoutError, HubCRMError
from .._core.version import version
from .slots import Slots

__all__ = [
    "TRANSPORT_ERRORS",
    "AiohttpTransport",
    "Reply",
    "TraceConfig",
    "Transport",
    "check_app_name",
    "proxy_from_environment",
    "shown_proxy",
    "transport_error",
    "user_agent",
]


#: Every exception of aiohttp's that a request can raise: catch these, and map them with
#: :func:`transport_error`. ``asyncio.TimeoutError`` is aiohttp's total timeout.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError)
# The errors about the proxy itself, which carry its URL and credentials.
_PROXY_ERRORS = (aiohttp.ClientHttpProxyError, aiohttp.ClientProxyConnectionError)


def transport_error(
    exc: BaseException, *, target: str, method: str, path: str, total: float, connect: float
) -> APIConnectionError:
    """The hubcrm error for one of :data:`TRANSPORT_ERRORS`, to raise ``from exc``.

    Used as ``except TRANSPORT_ERRORS as exc: raise transport_error(exc, ...) from exc``:
    a ``try`` costs nothing when the request succeeds, unlike a context manager object
    made per request. An error about the proxy (its URL may hold credentials) is raised
    without ``exc`` chained: its message says all that the proxy's error said.

    Args:
        exc: the aiohttp (or timeout) exception.
        target: what was being reached, for messages (a base URL, "the OAuth token
            endpoint").
        method: the request's method.
        path: the request's path as it may appear in logs and messages.
        total: the exchange's time limit in seconds, for messages.
        connect: the connect time limit in seconds, for messages.

    Returns:
        An ``APIConnectionError`` with ``request_sent=False`` when no connection was
        made (so the request was certainly not processed), else ``True``; an
        ``APITimeoutError`` when connecting (not sent) or answering (maybe processed)
        took too long.
    """
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        # The proxy refused the tunnel (a CONNECT answered other than 200): the request
        # never reached the server. The proxy's own URL (it may hold credentials) is
        # never shown.
        return APIConnectionError(
            f"the proxy refused to connect to {target} (it answered {exc.status} "
            f"{exc.message}); the request was not sent",
            method=method,
            path=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return APIConnectionError(
            f"could not connect to the proxy for {target}: {exc.os_error or type(exc).__name__}",
            method=method,
            path=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return APIConnectionError(
            f"could not connect to {target}: its TLS certificate could not be verified "
            f"({exc.certificate_error}); pass ssl= an SSLContext that trusts its CA",
            method=method,
            path=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        # No connection was made, so the request was certainly not processed.
        return APIConnectionError(
            f"could not connect to {target}: {exc.os_error or exc}",
            method=method,
            path=path,
            request_sent=False,
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError(
            f"connecting to {target} took longer than {connect} s",
            method=method,
            path=path,
            request_sent=False,
        )
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return APITimeoutError(
            f"no complete response from {target} within {total} s; the request "
            f"may have been processed",
            method=method,
            path=path,
            request_sent=True,
        )
    return APIConnectionError(
        # The exception's name only: some aiohttp errors print the whole URL, whose
        # path may hold a unique value (an email) that the error's own path hides.
        f"the connection to {target} failed before a complete response "
        f"({type(exc).__name__}); the request may have been processed",
        method=method,
        path=path,
        request_sent=True,
    )


class Reply(NamedTuple):
    """An HTTP answer of any status, its body fully read."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    """What the session (and OAuth, for a client's refreshes) sends requests through.

    One transport serves one client (and the clients ``with_options`` makes from it) on
    one event loop at a time. Every method here is called by hubcrm; nothing else is.
    """

    @property
    def max_connections(self) -> int:
        """The most exchanges in flight at once: the number of connection slots."""
        ...

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        ...

    def slots(self) -> Slots | None:
        """The connection slots, when the transport is open on the running loop; else
        ``None``, and :meth:`open` must be awaited first. Called once per request."""
        ...

    async def open(self) -> Slots:
        """Make the transport usable on the running loop; returns its connection slots.

        Raises:
            HubCRMError: the transport is closed, or in use on another live loop.
        """
        ...

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeouts: Timeouts,
        target: str,
        log_path: str,
    ) -> Reply:
        """Send one request and read its whole answer, whatever its status.

        The caller holds one of :meth:`slots` for the duration, and the transport is
        open on the running loop.

        Args:
            method: the HTTP method.
            url: the absolute URL, without its query.
            data: the body, or ``None``.
            params: the query parameters.
            headers: the request's own headers (on top of the transport's defaults).
            timeouts: the exchange's time limits.
            target: what is being reached, for error messages (a base URL, "the OAuth
                token endpoint"); never holds a credential.
            log_path: the path as it may appear in errors (no personal data).

        Raises:
            APIConnectionError: the exchange failed at the transport level
                (``request_sent`` says whether the server may have acted).
            APITimeoutError: it took longer than ``timeouts`` allow.
        """
        ...

    async def aclose(self) -> bool:
        """Close the connections; True when they were closed on their own loop (not
        abandoned with a loop that is gone). Safe to call twice."""
        ...


def check_app_name(app_name: object) -> str | None:
    """Validate an application's name for the ``User-Agent``; returns it.

    One or more products separated by single spaces, each a name and an optional
    ``/version`` (``"acme-sync/2.1"``), so that it cannot break the header (no line
    breaks: header injection) nor pass for another field.

    Raises:
        TypeError: ``app_name`` is not a str (nor None).
        ValueError: it is not of that form.
    """
    if app_name is None:
        return None
    if not isinstance(app_name, str):
        raise TypeError(
            f"app_name must be a str such as 'acme-sync/2.1', not {type(app_name).__name__}"
        )
    for product in app_name.split(" "):
        name, slash, product_version = product.partition("/")
        if not re.fullmatch(TOKEN, name) or (slash and not re.fullmatch(TOKEN, product_version)):
            raise ValueError(
                f"app_name must be a product such as 'acme-sync/2.1' (a name and an "
                f"optional /version, several separated by single spaces; letters, digits "
                f"and !#$%&'*+.^_`|~- only, no line breaks), not {app_name!r}"
            )
    return app_name


def user_agent(app_name: str | None = None) -> str:
    """The ``User-Agent`` hubcrm's requests carry: hubcrm's, Python's and aiohttp's
    versions, then ``app_name`` when given (checked by :func:`check_app_name`)."""
    agent = f"hubcrm/{version()} Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
    app_name = check_app_name(app_name)
    return agent if app_name is None else f"{agent} {app_name}"


@functools.lru_cache(maxsize=64)
def _client_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
    # Made once per distinct Timeouts, not per request.
    return aiohttp.ClientTimeout(total=timeouts.total, sock_connect=timeouts.connect)


def shown_proxy(url: str) -> str:
    """A proxy URL as it may be shown: any user name and password replaced."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"<redacted>@{host}").geturl()


def _proxy(proxy: object) -> str | None:
    if proxy is None:
        return None
    if not isinstance(proxy, str):
        raise TypeError(f"proxy must be a str (a URL) or None, not {type(proxy).__name__}")
    try:
        parts = urlsplit(proxy)
        port = parts.port  # a malformed port raises here
    except ValueError:
        raise ValueError(f"proxy is not a valid URL: {shown_proxy(proxy)!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "proxy must be an http:// (or https://) URL with a host, such as "
            f"'http://proxy.example.com:3128', not {shown_proxy(proxy)!r}"
        )
    del port
    return proxy


def _netrc_credentials(host: str) -> tuple[str, str] | None:
    """The login and password ``.netrc`` (``$NETRC``, else ``~/.netrc``) holds for ``host``."""
    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    try:
        entry = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry is None:
        return None
    login, _, password = entry
    return login, password or ""


def proxy_from_environment(url: str) -> str | None:
    """The proxy the environment names for ``url``, as ``trust_env=True`` reads it.

    ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` (either case) by the URL's scheme;
    ``None`` for a host ``NO_PROXY`` lists. A proxy without credentials takes the ones
    ``.netrc`` holds for its host. The server's own host is never looked up in
    ``.netrc``: its requests carry their bearer token.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    # NO_PROXY entries may name a host, a domain suffix or a host:port.
    if urllib.request.proxy_bypass(host) or (
        parts.port is not None and urllib.request.proxy_bypass(f"{host}:{parts.port}")
    ):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    proxy_parts = urlsplit(proxy)
    if proxy_parts.scheme not in ("http", "https") or not proxy_parts.hostname:
        return None
    if "@" not in proxy_parts.netloc:
        credentials = _netrc_credentials(proxy_parts.hostname)
        if credentials is not None:
            login, password = (quote(part, safe="") for part in credentials)
            netloc = f"{login}:{password}@{proxy_parts.netloc}"
            return proxy_parts._replace(netloc=netloc).geturl()
    return proxy


# TCPConnector arguments that other settings own; the value says which.
_OWNED_CONNECTOR_OPTIONS = {
    "limit": "max_connections",
    "limit_per_host": "max_connections",
    "ssl": "ssl",
    "verify_ssl": "ssl",
    "ssl_context": "ssl",
    "fingerprint": "ssl",
    "loop": "the running event loop",
}


def _connector_options(options: object) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(
            f"connector_options must be a mapping of aiohttp.TCPConnector keyword "
            f"arguments, not {type(options).__name__}"
        )
    known = inspect.signature(aiohttp.TCPConnector).parameters
    for name in options:
        if name in _OWNED_CONNECTOR_OPTIONS:
            raise ValueError(
                f"connector_options cannot set {name!r}: it follows "
                f"{_OWNED_CONNECTOR_OPTIONS[name]}"
            )
        if not isinstance(name, str) or name not in known:
            raise TypeError(f"connector_options: aiohttp.TCPConnector takes no {name!r}")
    return dict(options)


class AiohttpTransport:
    """The default :class:`Transport`: one ``aiohttp.ClientSession`` and its slots.

    A ClientSession belongs to the loop that made it, so it is made lazily inside the
    running loop, made afresh when that loop has finished (a second ``asyncio.run``) or
    in a forked child, and refused while another live loop owns it.

    Args:
        max_connections: connections kept open at most, and so exchanges in flight.
        headers: default headers of every request; by default hubcrm's ``User-Agent``
            (see ``app_name``) and ``Accept: application/json``.
        app_name: the application's name and version (``"acme-sync/2.1"``), appended
            to the default ``User-Agent``: :func:`user_agent`.
        proxy: an HTTP proxy's URL, credentials allowed
            (``http://user:password@proxy:3128``); HTTPS targets are tunnelled through
            it with ``CONNECT``. It is never shown whole: :func:`shown_proxy`.
        trust_env: read the proxy from ``HTTP_PROXY``/``HTTPS_PROXY`` (honouring
            ``NO_PROXY``) and its credentials from ``.netrc``, when ``proxy`` is None:
            :func:`proxy_from_environment`, once per host and event loop.
        ssl: ``True`` verifies certificates against the system's CAs; an
            ``ssl.SSLContext`` verifies (or not) as it is set up; ``False`` turns
            verification off.
        trace_configs: aiohttp ``TraceConfig`` objects, to follow each request's
            connection, DNS and header events.
        connector_options: further keyword arguments of ``aiohttp.TCPConnector``
            (``keepalive_timeout``, ``ttl_dns_cache``, ``family``, ...).

    Raises:
        TypeError, ValueError: a setting has the wrong type or value.
    """

    def __init__(
        self,
        *,
        max_connections: int,
        headers: Mapping[str, str] | None = None,
        app_name: str | None = None,
        proxy: str | None = None,
        trust_env: bool = False,
        ssl: SSLContext | bool = True,
        trace_configs: Sequence[TraceConfig] = (),
        connector_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._max_connections = max_connections
        agent = user_agent(app_name)
        if headers is None:
            headers = {"User-Agent": agent, "Accept": "application/json"}
        self._headers = dict(headers)
        self._proxy = _proxy(proxy)
        if not isinstance(trust_env, bool):
            raise TypeError(f"trust_env must be a bool, not {type(trust_env).__name__}")
        self._trust_env = trust_env
        self._env_proxies: dict[str, str | None] = {}  # by scheme and host, per loop
        if not isinstance(ssl, (SSLContext, bool)):
            raise TypeError(
                f"ssl must be an ssl.SSLContext, True (verify) or False (do not verify), "
                f"not {type(ssl).__name__}"
            )
        self._ssl = ssl
        configs: list[object] = list(trace_configs) if isinstance(trace_configs, Sequence) else []
        if not isinstance(trace_configs, Sequence) or not all(
            isinstance(config, TraceConfig) for config in configs
        ):
            raise TypeError("trace_configs must be a sequence of aiohttp.TraceConfig objects")
        self._trace_configs = list(trace_configs)
        self._connector_options = _connector_options(connector_options)
        self.client: aiohttp.ClientSession | None = None
        self._slots: Slots | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pid = os.getpid()
        self._closed = False
        self._loop_guard: AsyncGenerator[None, None] | None = None
        # The last request's Timeouts and aiohttp's form of them: nearly every request
        # passes the same object, which an identity check finds cheaper than a hash.
        self._timeouts: Timeouts | None = None
        self._aiohttp_timeout: aiohttp.ClientTimeout | None = None

    @property
    def max_connections(self) -> int:
        """The most exchanges in flight at once."""
        return self._max_connections

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    def slots(self) -> Slots | None:
        """The connection slots when open on the running loop, else ``None``."""
        if self.loop is asyncio.get_running_loop() and self.client is not None:
            return self._slots
        return None

    async def open(self) -> Slots:
        """Make the pool usable on the running loop; returns its connection slots.

        Raises:
            HubCRMError: the pool is closed, or in use on another live loop.
        """
        if self._closed:
            raise HubCRMError(CLIENT_CLOSED)
        loop = asyncio.get_running_loop()
        if self.client is not None and self._slots is not None and self.loop is loop:
            return self._slots
        if self.client is not None and os.getpid() == self._pid:
            old = self.loop
            if old is not None and not old.is_closed():
                raise HubCRMError(
                    "this AsyncHubCRM is already in use on another event loop; an async "
                    "client belongs to one loop. Create one client per loop, or use the "
                    "sync HubCRM, which runs its own loop"
                )
        # First use, a finished loop, or a forked child: the old ClientSession belongs
        # to a loop that is gone, so it is abandoned, not closed.
        self._pid = os.getpid()
        self.loop = loop
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            ssl=self._ssl,
            **self._connector_options,
        )
        self.client = client = aiohttp.ClientSession(
            connector=connector,
            headers=self._headers,
            raise_for_status=False,
            trace_configs=self._trace_configs or None,
        )
        self._env_proxies = {}  # the environment is read again on a new loop
        self._slots = slots = Slots(self._max_connections)
        # asyncio.run() (and asyncio.Runner) close every unfinished async generator of
        # their loop before closing it. This one's ``finally`` then closes the pool on
        # that loop while it still runs, so a client reused across asyncio.run() calls
        # leaks no sockets.
        self._loop_guard = self._close_with_loop(client)
        await self._loop_guard.__anext__()
        return slots

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeouts: Timeouts,
        target: str,
        log_path: str,
    ) -> Reply:
        """Send one request and read its whole answer: see :meth:`Transport.exchange`."""
        client = self.client
        if client is None:  # closed while this request waited for its slot
            raise HubCRMError(CLIENT_CLOSED)
        proxy = self._proxy
        if proxy is None and self._trust_env:
            proxy = self._proxy_for(url)
        timeout = self._aiohttp_timeout
        if timeouts is not self._timeouts or timeout is None:
            timeout = self._aiohttp_timeout = _client_timeout(timeouts)
            self._timeouts = timeouts
        try:
            async with client.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
            ) as resp:
                body = await resp.read()
                return Reply(resp.status, resp.headers, body)
        except TRANSPORT_ERRORS as exc:
            error = transport_error(
                exc,
                target=target,
                method=method,
                path=log_path,
                total=timeouts.total,
                connect=timeouts.connect,
            )
            if not isinstance(exc, _PROXY_ERRORS):
                raise error from exc
        # aiohttp's proxy errors hold the proxy's URL, credentials and all (in their
        # request info, headers and connection key): such an error is neither the cause
        # nor, raised outside the ``except``, the context of hubcrm's.
        raise error

    def _proxy_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        try:
            return self._env_proxies[origin]
        except KeyError:
            proxy = self._env_proxies[origin] = proxy_from_environment(url)
            return proxy

    def __repr__(self) -> str:
        proxy = None if self._proxy is None else shown_proxy(self._proxy)
        return (
            f"AiohttpTransport(max_connections={self._max_connections}, proxy={proxy!r}, "
            f"trust_env={self._trust_env}, ssl={self._ssl!r})"
        )

    @staticmethod
    async def _close_with_loop(client: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
        try:
            yield
            await asyncio.Event().wait()  # pragma: no cover - never resumed
        finally:
            if not client.closed:
                await client.close()

    async def aclose(self) -> bool:
        """Close the pool; True when it was closed on its own loop (not abandoned)."""
        self._closed = True
        client, self.client = self.client, None
        guard, self._loop_guard = self._loop_guard, None
        if client is None:
            return False
        if os.getpid() == self._pid and self.loop is asyncio.get_running_loop():
            if guard is not None:
                await guard.aclose()  # its ``finally`` closes the pool
            await client.close()
            return True
        # Made on a loop that is gone, or inherited through fork(): its sockets belong
        # to that loop (or to the parent process), so they are left alone.
        client.detach()
        return False
