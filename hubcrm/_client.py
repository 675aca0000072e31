"""AsyncHubCRM: the async client. Holds settings, owns the Session, exposes resources."""

from __future__ import annotations

import os
import re
from types import TracebackType

from ._auth import StaticToken
from ._errors import HubCRMError
from ._objects import AsyncObjects
from ._session import DEFAULT_BASE_URL, Session, Timeouts

__all__ = ["AsyncHubCRM"]

_API_VERSION = re.compile(r"\d{4}-\d{2}|v3")


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

    def __init__(
        self,
        access_token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = "2026-03",
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_connections: int = 100,
    ) -> None:
        """Create a client. No connection is made until the first request.

        Args:
            access_token: a private-app token (``pat-...``) or an OAuth access token.
                Defaults to the ``HUBSPOT_ACCESS_TOKEN`` environment variable.
            base_url: where HubSpot's API lives; point it at ``hubcrm.testing``'s
                emulator in tests.
            api_version: the date-based API version used in paths, e.g. ``"2026-03"``
                (or ``"v3"`` for the legacy paths).
            timeout: seconds one request may take once it has a connection.
            connect_timeout: seconds to open a new connection.
            max_connections: the most requests in flight at once; further requests
                wait for a free connection.

        Raises:
            HubCRMError: no token was given and ``HUBSPOT_ACCESS_TOKEN`` is not set.
            TypeError, ValueError: a setting has the wrong type or value.
        """
        if access_token is None:
            access_token = os.environ.get("HUBSPOT_ACCESS_TOKEN") or None
            if access_token is None:
                raise HubCRMError(
                    "no HubSpot access token: pass access_token=... or set the "
                    "HUBSPOT_ACCESS_TOKEN environment variable"
                )
        token = StaticToken(access_token)
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL, not {base_url!r}")
        if not isinstance(api_version, str) or not _API_VERSION.fullmatch(api_version):
            raise ValueError(f"api_version must look like '2026-03' (or 'v3'), not {api_version!r}")
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise TypeError("max_connections must be an int")
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._base_url = base_url
        self._api_version = api_version
        self._session = Session(
            base_url=base_url,
            token_provider=token,
            timeouts=Timeouts(total=timeout, connect=connect_timeout),
            max_connections=max_connections,
        )
        self.objects = AsyncObjects(self._session, api_version)

    @property
    def closed(self) -> bool:
        """Whether the client has been closed."""
        return self._session.closed

    async def aclose(self) -> None:
        """Close the client's connections. Safe to call more than once."""
        await self._session.aclose()

    async def __aenter__(self) -> AsyncHubCRM:
        if self._session.closed:
            raise HubCRMError("this hubcrm client is closed; create a new one")
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
