"""CRM search: filters, sorts, the request body, and HubSpot's limits on both.

HubSpot's search (``POST .../{objectType}/search``) has limits of its own:

- at most 5 filter groups, 10 filters per group and 25 filters in all (groups are ORed,
  the filters of a group ANDed; HubSpot's limits since August 2024), and a ``query`` of
  at most 3,000 characters; these are checked here, before any request;
- at most 200 results per page, and no paging past 10,000 results per query (HubSpot
  answers 400 there; :class:`SearchCapError` is raised before that request);
- about 5 requests per second per account, counted apart from the ten-secondly burst
  window and answered without rate-limit headers. The client sends searches through a
  limiter of their own (``search_rate_limit``), never through the main window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args

import attrs

from .._core.errors import SearchCapError
from .._core.models import redacted_value
from .._core.values import encode_value, type_name
from .paging import NextPage, PageRequest

__all__ = [
    "MAX_FILTERS",
    "MAX_FILTERS_PER_GROUP",
    "MAX_FILTER_GROUPS",
    "MAX_SEARCH_PAGE_SIZE",
    "MAX_SEARCH_QUERY_LENGTH",
    "SEARCH_RESULT_CAP",
    "Filter",
    "FilterOperator",
    "Sort",
    "SortDirection",
    "search_body",
    "search_next_page",
]

#: HubSpot's search operators (the CRM search API's filter operators).
FilterOperator = Literal[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]
#: The order of a :class:`Sort`: ascending or descending values.
SortDirection = Literal["ASCENDING", "DESCENDING"]

_OPERATORS = frozenset(get_args(FilterOperator))
_NO_VALUE = frozenset({"HAS_PROPERTY", "NOT_HAS_PROPERTY"})
_LIST_VALUE = frozenset({"IN", "NOT_IN"})

MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
MAX_SEARCH_PAGE_SIZE = 200
#: The longest search ``query`` HubSpot takes, in characters.
MAX_SEARCH_QUERY_LENGTH = 3_000
SEARCH_RESULT_CAP = 10_000


def _check_property(_: object, __: object, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"a filter's property must be a non-empty str, not {value!r}")


def _check_operator(_: object, __: object, value: Any) -> None:
    if value not in _OPERATORS:
        raise ValueError(
            f"unknown search operator {value!r}; use one of {', '.join(sorted(_OPERATORS))}"
        )


def _encode_scalar(name: str, value: object) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError(f"filter on {name!r}: one value is expected here, not a list")
    return encode_value(name, value)


@attrs.frozen(init=False)
class Filter:
    """One condition of a search: ``Filter("email", "EQ", "ada@example.com")``.

    The value is written as a property value is (``bool`` as ``"true"``, ``date`` as
    ``YYYY-MM-DD``, numbers as decimal strings). ``IN`` and ``NOT_IN`` take a list of
    values; ``BETWEEN`` takes ``value`` and ``high_value``; ``HAS_PROPERTY`` and
    ``NOT_HAS_PROPERTY`` take none.

    Args:
        property: The property's internal name.
        operator: One of ``EQ``, ``NEQ``, ``LT``, ``LTE``, ``GT``, ``GTE``, ``BETWEEN``,
            ``IN``, ``NOT_IN``, ``HAS_PROPERTY``, ``NOT_HAS_PROPERTY``,
            ``CONTAINS_TOKEN``, ``NOT_CONTAINS_TOKEN``.
        value: The value to compare with (a list for ``IN`` / ``NOT_IN``).
        high_value: The upper bound of ``BETWEEN``.

    Attributes:
        property: The property's internal name.
        operator: The operator.
        value: The encoded value, or None (``IN``, ``NOT_IN``, ``HAS_PROPERTY``...).
        values: The encoded values of ``IN`` / ``NOT_IN``, else None.
        high_value: The encoded upper bound of ``BETWEEN``, else None.

    Raises:
        TypeError: A value has a type that cannot be sent.
        ValueError: The operator is unknown, or the values do not fit it.
    """

    property: str = attrs.field(validator=_check_property)
    operator: FilterOperator = attrs.field(validator=_check_operator)
    value: str | None = attrs.field(default=None, repr=redacted_value)
    values: tuple[str, ...] | None = attrs.field(default=None, repr=redacted_value)
    high_value: str | None = attrs.field(default=None, repr=redacted_value)

    def __init__(
        self,
        property: str,
        operator: FilterOperator,
        value: object = None,
        *,
        high_value: object = None,
    ) -> None:
        _check_property(None, None, property)
        _check_operator(None, None, operator)
        encoded: str | None = None
        values: tuple[str, ...] | None = None
        high: str | None = None
        if operator in _NO_VALUE:
            if value is not None or high_value is not None:
                raise ValueError(f"{operator} takes no value")
        elif operator in _LIST_VALUE:
            if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
                raise TypeError(f"{operator} takes a list of values, not {type_name(value)}")
            values = tuple(_encode_scalar(property, item) for item in value)
            if not values:
                raise ValueError(f"{operator} needs at least one value")
            if high_value is not None:
                raise ValueError(f"{operator} takes no high_value")
        else:
            if value is None:
                raise ValueError(f"{operator} needs a value")
            encoded = _encode_scalar(property, value)
            if operator == "BETWEEN":
                if high_value is None:
                    raise ValueError("BETWEEN needs a high_value")
                high = _encode_scalar(property, high_value)
            elif high_value is not None:
                raise ValueError(f"{operator} takes no high_value; BETWEEN does")
        self.__attrs_init__(property, operator, encoded, values, high)

    def to_json(self) -> dict[str, Any]:
        """The filter as HubSpot's JSON: ``{"propertyName", "operator", "value"...}``."""
        body: dict[str, Any] = {"propertyName": self.property, "operator": self.operator}
        if self.value is not None:
            body["value"] = self.value
        if self.values is not None:
            body["values"] = list(self.values)
        if self.high_value is not None:
            body["highValue"] = self.high_value
        return body


def _check_direction(_: object, __: object, value: Any) -> None:
    if value not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"a sort direction is 'ASCENDING' or 'DESCENDING', not {value!r}")


@attrs.frozen
class Sort:
    """The order of search results: ``Sort("createdate", "DESCENDING")``.

    A plain string also works where a sort is expected: ``"createdate"`` sorts
    ascending, ``"-createdate"`` descending.

    Attributes:
        property: The property to sort by.
        direction: ``"ASCENDING"`` (the default) or ``"DESCENDING"``.
    """

    property: str = attrs.field(validator=_check_property)
    direction: SortDirection = attrs.field(default="ASCENDING", validator=_check_direction)

    def to_json(self) -> dict[str, str]:
        """The sort as HubSpot's JSON: ``{"propertyName", "direction"}``."""
        return {"propertyName": self.property, "direction": self.direction}


def _sort(value: Sort | str) -> Sort:
    if isinstance(value, Sort):
        return value
    if isinstance(value, str) and value:
        if value.startswith("-"):
            return Sort(value[1:], "DESCENDING")
        return Sort(value)
    raise TypeError(f"a sort is a hubcrm.Sort or a property name, not {type_name(value)}")


def _filters(value: Iterable[Filter], where: str) -> list[Filter]:
    if isinstance(value, Filter):
        raise TypeError(f"{where} must be an iterable of Filter; wrap one in a list")
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{where} must be an iterable of Filter, not {type_name(value)}")
    filters = list(value)
    for item in filters:
        if not isinstance(item, Filter):
            raise TypeError(f"{where} must hold hubcrm.Filter values, found {type_name(item)}")
    return filters


def _names(value: Iterable[str], what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    names = list(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{what} must be non-empty strs, found {name!r}")
    return names


def search_body(
    *,
    filters: Iterable[Filter],
    filter_groups: Iterable[Iterable[Filter]],
    properties: Iterable[str],
    sorts: Iterable[Sort | str],
    query: str | None,
    page_size: int,
) -> dict[str, Any]:
    """Check a search's arguments against HubSpot's limits and build its first body.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: too many groups or filters, both ``filters`` and ``filter_groups``,
            a query over 3,000 characters, or a page size outside 1 to 200.
    """
    groups = [_filters(group, "each filter group") for group in filter_groups]
    flat = _filters(filters, "filters")
    if flat and groups:
        raise ValueError(
            "pass filters (one group of ANDed filters) or filter_groups (ORed groups), not both"
        )
    if flat:
        groups = [flat]
    if len(groups) > MAX_FILTER_GROUPS:
        raise ValueError(
            f"HubSpot takes at most {MAX_FILTER_GROUPS} filter groups, not {len(groups)}"
        )
    for group in groups:
        if not group:
            raise ValueError("a filter group needs at least one filter")
        if len(group) > MAX_FILTERS_PER_GROUP:
            raise ValueError(
                f"HubSpot takes at most {MAX_FILTERS_PER_GROUP} filters per group, not {len(group)}"
            )
    total = sum(len(group) for group in groups)
    if total > MAX_FILTERS:
        raise ValueError(f"HubSpot takes at most {MAX_FILTERS} filters in all, not {total}")
    if query is not None and not isinstance(query, str):
        raise TypeError(f"query must be a str or None, not {type_name(query)}")
    if query is not None and len(query) > MAX_SEARCH_QUERY_LENGTH:
        raise ValueError(
            f"HubSpot takes a search query of at most {MAX_SEARCH_QUERY_LENGTH:,} characters, "
            f"not {len(query):,}"
        )
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError(f"page_size must be an int, not {type_name(page_size)}")
    if not 1 <= page_size <= MAX_SEARCH_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_SEARCH_PAGE_SIZE}, not {page_size}")
    if isinstance(sorts, (str, Sort)):
        sorts = [sorts]
    body: dict[str, Any] = {
        "filterGroups": [{"filters": [f.to_json() for f in group]} for group in groups],
        "sorts": [_sort(s).to_json() for s in sorts],
        "properties": _names(properties, "properties"),
        "limit": page_size,
    }
    if query:
        body["query"] = query
    return body


def search_next_page(page_size: int) -> NextPage:
    """The next-page rule of one search: the cursor and a limit that stops at the
    10,000-result ceiling, or :class:`SearchCapError` where the next page would pass it.

    Its cursor is the offset of the next result (HubSpot's ``"after": "200"``); the
    match count it names is the ``total`` of the first page that gives one.
    """
    total: int | None = None

    def next_page(request: PageRequest, after: str, data: Mapping[str, Any]) -> PageRequest:
        nonlocal total
        if total is None:
            count = data.get("total")
            total = count if isinstance(count, int) and not isinstance(count, bool) else None
        offset = int(after) if after.isascii() and after.isdigit() else None
        if offset is None:
            return request.after(after, limit=page_size)
        if offset >= SEARCH_RESULT_CAP:
            raise SearchCapError(
                f"this search matches "
                f"{total if total is not None else f'more than {SEARCH_RESULT_CAP:,}'} "
                f"records, and HubSpot pages through at most {SEARCH_RESULT_CAP:,} "
                f"per query. To read past them, sort by a unique increasing property "
                f"(Sort('hs_object_id')) and search again with "
                f"Filter('hs_object_id', 'GT', <the last id read>)",
                cap=SEARCH_RESULT_CAP,
                total=total,
            )
        return request.after(after, limit=min(page_size, SEARCH_RESULT_CAP - offset))

    return next_page
