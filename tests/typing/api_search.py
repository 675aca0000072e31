"""Searching as users' type checkers see it: objects.search, Filter, Sort, the cap error.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import date
from typing import TYPE_CHECKING, Any

from hubcrm import (
    AsyncHubCRM,
    CrmObject,
    Filter,
    FilterOperator,
    HubCRM,
    SearchCapError,
    Sort,
    SortDirection,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type


def filters(operator: FilterOperator, direction: SortDirection) -> None:
    eq = Filter("email", "EQ", "ada@example.com")
    assert_type(eq.property, str)
    assert_type(eq.operator, FilterOperator)
    assert_type(eq.value, str | None)
    assert_type(eq.values, tuple[str, ...] | None)
    assert_type(eq.high_value, str | None)
    assert_type(eq.to_json(), dict[str, Any])
    Filter("closedate", "BETWEEN", date(2026, 1, 1), high_value=date(2026, 2, 1))
    Filter("lifecyclestage", "IN", ["lead", "customer"])
    Filter("phone", "HAS_PROPERTY")
    assert_type(Filter("employees", operator, 10), Filter)
    sort = Sort("createdate", "DESCENDING")
    assert_type(sort.property, str)
    assert_type(sort.direction, SortDirection)
    assert_type(sort.to_json(), dict[str, str])
    assert_type(Sort("email", direction), Sort)


async def async_search(crm: AsyncHubCRM) -> None:
    found = crm.objects.search(
        "contacts",
        filters=[Filter("email", "CONTAINS_TOKEN", "*@example.com")],
        properties=["email"],
        sorts=[Sort("createdate", "ASCENDING"), "lastname"],
        query="ada",
        page_size=100,
    )
    assert_type(found, AsyncGenerator[CrmObject, None])
    try:
        async for obj in found:
            assert_type(obj, CrmObject)
    except SearchCapError as exc:
        assert_type(exc.cap, int)
        assert_type(exc.total, int | None)
    either = crm.objects.search(
        "deals",
        filter_groups=[[Filter("amount", "GT", 100)], [Filter("dealstage", "EQ", "won")]],
    )
    assert_type(either, AsyncGenerator[CrmObject, None])


def sync_search(crm: HubCRM) -> None:
    found = crm.objects.search("contacts", filters=[Filter("email", "EQ", "ada@example.com")])
    assert_type(found, Generator[CrmObject, None, None])
    for obj in found:
        assert_type(obj, CrmObject)
