"""AsyncOwners: the portal's owners, the users ``hubspot_owner_id`` names.

An owner's email address and names are personal data: they are never logged, and an
``email=`` filter travels in the query, which hubcrm's logs and traces never show.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator

from .._core.config import MAX_OWNER_PAGE_SIZE, RequestOptions
from .._core.convert import load_owner
from .._core.pipeline_owner_models import Owner, OwnerTeam
from .._core.values import type_name
from .._http.retry import RequestKind, Retrier
from .paging import PageRequest, paginate

__all__ = ["MAX_OWNER_PAGE_SIZE", "AsyncOwners", "Owner", "OwnerTeam"]


def _owner_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"owner_id must be a str or int, not {type_name(value)}")
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise ValueError("owner_id must be HubSpot's numeric owner id")
    return text


class AsyncOwners:
    """The portal's owners: who records can be assigned to with ``hubspot_owner_id``.

    Reached as ``crm.owners`` on a client; not constructed directly.
    """

    def __init__(self, retrier: Retrier, api_version: str, options: RequestOptions) -> None:
        self._retrier = retrier
        self._options = options
        if api_version == "v3":
            self._path = "/crm/v3/owners"
        else:
            self._path = f"/crm/owners/{api_version}"

    def iter_all(
        self,
        *,
        email: str | None = None,
        archived: bool = False,
        page_size: int = MAX_OWNER_PAGE_SIZE,
    ) -> AsyncGenerator[Owner, None]:
        """Iterate over the owners, page after page (``after`` cursors).

        Pages are read one at a time as the iteration goes, each through the client's
        rate limiter; stopping early reads no further page. Arguments are checked by
        this call, before any request.

        Args:
            email: only the owner with this email address.
            archived: iterate over archived owners instead of live ones.
            page_size: owners per request, 1 to 500.

        Returns:
            The owners: an async generator on the async client, a generator on the
            blocking one.

        Raises:
            TypeError, ValueError: an argument is invalid.
        """
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise TypeError(f"page_size must be an int, not {type_name(page_size)}")
        if not 1 <= page_size <= MAX_OWNER_PAGE_SIZE:
            raise ValueError(
                f"page_size must be between 1 and {MAX_OWNER_PAGE_SIZE}, not {page_size}"
            )
        if not isinstance(archived, bool):
            raise TypeError(f"archived must be a bool, not {type_name(archived)}")
        params = {"limit": str(page_size), "archived": "true" if archived else "false"}
        if email is not None:
            if not isinstance(email, str) or not email:
                raise ValueError("email must be a non-empty str")
            params["email"] = email
        request = PageRequest("GET", self._path, params)
        return paginate(self._retrier, request, load_owner, options=self._options)

    async def list(
        self,
        *,
        email: str | None = None,
        archived: bool = False,
        page_size: int = MAX_OWNER_PAGE_SIZE,
    ) -> builtins.list[Owner]:
        """Every owner, all pages read: :meth:`iter_all` gathered into a list.

        Args:
            email: only the owner with this email address (an empty list when none).
            archived: the archived owners instead of the live ones.
            page_size: owners per request, 1 to 500.

        Returns:
            The owners, in HubSpot's order.

        Raises:
            TypeError, ValueError: an argument is invalid (checked first).
            APIError: a page's request failed past its retries.
        """
        pages = self.iter_all(email=email, archived=archived, page_size=page_size)
        try:
            return [owner async for owner in pages]
        finally:
            await pages.aclose()

    async def get(self, owner_id: str | int, *, archived: bool = False) -> Owner:
        """One owner by its owner id (the value ``hubspot_owner_id`` holds).

        Args:
            owner_id: the owner id, as a str or int.
            archived: read an archived owner (HubSpot finds none otherwise).

        Returns:
            The owner.

        Raises:
            TypeError, ValueError: ``owner_id`` is not a numeric owner id (checked first).
            NotFoundError: no owner has that id (or it is archived and ``archived`` is
                false).
            APIError: HubSpot rejected the request.
        """
        path = f"{self._path}/{_owner_id(owner_id)}"
        params = {"archived": "true"} if archived else None
        response = await self._retrier.request(
            "GET", path, kind=RequestKind.READ, params=params, options=self._options
        )
        return load_owner(response.json())
