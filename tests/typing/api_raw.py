"""Raw HTTP as users' type checkers see it: crm.request and its Response, and
with_raw_response's RawResponse (status and headers next to the parsed record).

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from hubcrm import (
    AsyncHubCRM,
    AsyncObjectsWithRawResponse,
    CrmObject,
    HubCRM,
    ObjectsWithRawResponse,
    RawResponse,
    RequestSafety,
    Response,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type

P = ParamSpec("P")
T = TypeVar("T")


def same_arguments(
    plain: Callable[P, Awaitable[T]], raw: Callable[P, Awaitable[RawResponse[T]]]
) -> None:
    """Type-checks when ``raw`` takes every argument ``plain`` takes, typed alike
    (pyright holds the two to one parameter list), and returns a RawResponse of it."""


def same_arguments_sync(plain: Callable[P, T], raw: Callable[P, RawResponse[T]]) -> None:
    """``same_arguments`` for the blocking client."""


def response(r: Response) -> None:
    assert_type(r.status, int)
    assert_type(r.headers, Mapping[str, str])
    assert_type(r.body, bytes)
    # HubSpot's JSON, as json.loads gives it: Any, for the caller to narrow.
    assert_type(r.json(), Any)


def raw(r: RawResponse[CrmObject]) -> None:
    assert_type(r.status, int)
    assert_type(r.headers, Mapping[str, str])
    assert_type(r.http_response, Response)
    assert_type(r.parse(), CrmObject)


async def async_raw(crm: AsyncHubCRM, safety: RequestSafety) -> None:
    answer = await crm.request(
        "POST",
        "/crm/objects/2026-03/contacts/search",
        json={"limit": 1},
        params={"archived": False, "properties": ["email"]},
        safety="read",
    )
    assert_type(answer, Response)
    assert_type(await crm.request("GET", "/account-info/2026-03/details"), Response)
    assert_type(await crm.request("PUT", "/x", safety=safety), Response)
    assert_type(await crm.request("GET", "/x", headers={"X-Request-Id": "r-1"}), Response)
    objects = crm.objects.with_raw_response
    assert_type(objects, AsyncObjectsWithRawResponse)
    created = await objects.create("contacts", {"email": "a@example.com"}, id_property="email")
    assert_type(created, RawResponse[CrmObject])
    assert_type(created.parse(), CrmObject)
    assert_type(await objects.get("contacts", "1", ["email"]), RawResponse[CrmObject])
    assert_type(await objects.update("contacts", "1", {"firstname": "A"}), RawResponse[CrmObject])
    archived = await objects.archive("contacts", "1")
    assert_type(archived, RawResponse[None])
    assert_type(archived.parse(), None)
    read = await objects.get(
        "contacts",
        "ada@example.com",
        ["email"],
        id_property="email",
        properties_with_history=["lifecyclestage"],
        associations=["companies"],
        archived=False,
    )
    assert_type(read, RawResponse[CrmObject])
    # Each raw call is its plain call's twin: the same parameters, names and defaults.
    same_arguments(crm.objects.create, objects.create)
    same_arguments(crm.objects.get, objects.get)
    same_arguments(crm.objects.update, objects.update)
    same_arguments(crm.objects.archive, objects.archive)


def sync_raw(crm: HubCRM) -> None:
    assert_type(crm.request("GET", "/crm/objects/2026-03/contacts", params={"limit": 1}), Response)
    assert_type(crm.request("GET", "/x", headers={"X-Request-Id": "r-1"}), Response)
    objects = crm.objects.with_raw_response
    assert_type(objects, ObjectsWithRawResponse)
    assert_type(objects.create("contacts", {"email": "a@example.com"}), RawResponse[CrmObject])
    assert_type(objects.get("contacts", "1"), RawResponse[CrmObject])
    assert_type(objects.update("contacts", "1", {"firstname": "A"}), RawResponse[CrmObject])
    assert_type(objects.archive("contacts", "1"), RawResponse[None])
    assert_type(objects.get("contacts", "1", archived=True), RawResponse[CrmObject])
    same_arguments_sync(crm.objects.create, objects.create)
    same_arguments_sync(crm.objects.get, objects.get)
    same_arguments_sync(crm.objects.update, objects.update)
    same_arguments_sync(crm.objects.archive, objects.archive)
