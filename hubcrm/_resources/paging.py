"""Paging: the one loop that follows HubSpot's ``paging.next.after`` cursors.

HubSpot hands out a list (``iter_all``), a search and a record's associations a page at
a time: ``{"results": [...], "paging": {"next": {"after": "<cursor>"}}}``, with no
cursor on the last page. :func:`paginate` sends each page's request through the
resource's retrier (so through its limiter, retried as a read), yields the page's
items, and asks for the next page with the cursor: in the query of a ``GET``, in the
body of a search's ``POST``. A resource with a rule of its own for the next page
(search's 10,000-result ceiling) passes it as ``next_page``.

Pages are read one at a time as the iteration goes; stopping early reads no further
page. The items of a page are yielded without an await between them, so the blocking
client's read-ahead (``hubcrm._portal``) hands over a whole page per thread crossing
and reads the next page meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, TypeVar

import attrs

from .._core.config import RequestOptions
from .._core.errors import ResponseParseError
from .._http.retry import RequestKind, Retrier

__all__ = ["NextPage", "PageRequest", "next_after", "page_results", "paginate"]

T = TypeVar("T")


@attrs.frozen
class PageRequest:
    """The request for one page: a ``GET`` with a query, or a ``POST`` with a JSON body.

    Attributes:
        method: ``"GET"``, or ``"POST"`` for a search.
        path: the path below the base URL.
        params: the query parameters (``limit``, ``after``, ...).
        json_body: the JSON body of a ``POST``; None for a ``GET``.
    """

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json_body: Mapping[str, Any] | None = None

    def after(self, cursor: str, **body: Any) -> PageRequest:
        """This request, asking for the page after ``cursor``: in the body of a
        ``POST`` (with ``body``'s other fields), else in the query."""
        if self.json_body is not None:
            return attrs.evolve(self, json_body={**self.json_body, "after": cursor, **body})
        return attrs.evolve(self, params={**(self.params or {}), "after": cursor})


#: The request for the next page, from the current one, the cursor and the page's
#: answer; raises to stop the iteration there.
NextPage = Callable[[PageRequest, str, Mapping[str, Any]], PageRequest]


def page_results(data: Any, path: str) -> list[Any]:
    """The ``results`` list of HubSpot's answer to ``path``.

    Raises:
        ResponseParseError: the answer is not a JSON object with a ``results`` list.
    """
    results = data.get("results") if isinstance(data, Mapping) else None
    if not isinstance(results, list):
        raise ResponseParseError(
            f"could not read HubSpot's answer to {path}: expected a 'results' list"
        )
    return results


def next_after(data: Mapping[str, Any]) -> str | None:
    """The ``paging.next.after`` cursor of a page (a number as its decimal text), or
    None on the last page: no cursor, an empty one, or one of another type."""
    paging = data.get("paging")
    following = paging.get("next") if isinstance(paging, Mapping) else None
    after = following.get("after") if isinstance(following, Mapping) else None
    if isinstance(after, int) and not isinstance(after, bool):
        return str(after)
    return after if isinstance(after, str) and after else None


def _after(request: PageRequest, cursor: str, data: Mapping[str, Any]) -> PageRequest:
    return request.after(cursor)


async def paginate(
    retrier: Retrier,
    request: PageRequest,
    load: Callable[[Any], T],
    *,
    options: RequestOptions,
    next_page: NextPage = _after,
) -> AsyncGenerator[T, None]:
    """Yield ``load(item)`` for every item of every page, from ``request``'s on.

    Args:
        retrier: the resource's retrier, which sends each page's request.
        request: the first page's request.
        load: reads one item of ``results`` (raising ``ResponseParseError`` when it
            cannot).
        options: the requests' options.
        next_page: the next page's request; by default ``request.after(cursor)``.

    Raises:
        ResponseParseError: a page is not a JSON object with a ``results`` list (once
            the pages before it are handed over).
        APIError, APIConnectionError: a page's request failed past its retries.
    """
    while True:
        response = await retrier.request(
            request.method,
            request.path,
            kind=RequestKind.READ,
            json_body=request.json_body,
            params=request.params,
            options=options,
        )
        data = response.json()
        for item in page_results(data, request.path):
            yield load(item)
        after = next_after(data)
        if after is None:
            return
        request = next_page(request, after, data)
