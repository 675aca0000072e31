"""Listing and searching records: pages, filters, sorts, the query, the 10,000 cap, and
the indexing delay (a write is visible to search only ``search_delay`` seconds later).

Mixed into :class:`~._crm_records.CrmRecords`, and rendering records the way a read
does (:meth:`CrmSearch.render_read`), archived ones too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm import Crm
from ._crm_core import Result
from ._crm_input import _int_param
from ._crm_reads import _split
from ._schema import ObjectTypeDef, PropertyDef, _parse_instant
from ._store import StoredObject

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "DEFAULT_SEARCH_LIMIT",
    "MAX_FILTERS",
    "MAX_FILTERS_PER_GROUP",
    "MAX_FILTER_GROUPS",
    "MAX_LIST_LIMIT",
    "MAX_SEARCH_LIMIT",
    "MAX_SEARCH_QUERY_LENGTH",
    "OPERATORS",
    "SEARCH_CAP",
    "CrmSearch",
]

MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 10
MAX_SEARCH_LIMIT = 200
DEFAULT_SEARCH_LIMIT = 10
SEARCH_CAP = 10_000
MAX_FILTER_GROUPS = 5
# HubSpot's limits since August 2024 ("Expanded Filtering Capabilities")
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
MAX_SEARCH_QUERY_LENGTH = 3_000
OPERATORS = frozenset(
    (
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
    )
)
_TOKEN_SPLIT = re.compile(r"[^\w@.+-]+")


def _archived_flag(query: Mapping[str, str]) -> bool:
    archived = query.get("archived", "false").lower()
    if archived not in ("true", "false"):
        raise ApiError(400, f"Invalid value for archived: {query.get('archived')}")
    return archived == "true"


class CrmSearch:
    """``GET .../{objectType}`` (a page) and ``POST .../{objectType}/search``."""

    crm: Crm

    def render_read(
        self,
        tdef: ObjectTypeDef,
        obj: StoredObject,
        query: Mapping[str, str],
        archived_at: str | None = None,
    ) -> dict[str, Any]:
        """A record as a read (or a list page) renders it: chosen properties, associations."""
        wanted = _split(query.get("properties"))
        if not wanted:
            wanted = (
                list(tdef.default_read_properties)
                if tdef.default_read_properties is not None
                else [p for p in obj.properties if p in tdef.properties]
            )
        wanted += ["hs_object_id", tdef.created_property, tdef.modified_property]
        props = {p: obj.properties.get(p) for p in wanted if p in tdef.properties}
        body = self.crm.store.render(obj, props)
        if archived_at is not None:
            body["archived"] = True
            body["archivedAt"] = archived_at
        history = _split(query.get("propertiesWithHistory"))
        if history:
            body["propertiesWithHistory"] = {
                p: [{"value": obj.properties[p], "timestamp": obj.updated_at, "sourceType": "API"}]
                if p in obj.properties
                else []
                for p in history
                if p in tdef.properties
            }
        names = _split(query.get("associations"))
        if names:
            body["associations"] = self.crm._read_associations(tdef, obj, names)
        return body

    # --- list ----------------------------------------------------------------------------

    def list_objects(self, tdef: ObjectTypeDef, query: Mapping[str, str]) -> Result:
        """``GET .../{objectType}?limit=&after=``: a page, and the cursor of the next."""
        limit = _int_param(query, "limit", DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
        after = query.get("after") or "0"
        if not after.isascii() or not after.isdigit():
            raise ApiError(400, f"Invalid value for after: {after}")
        start = int(after)
        store = self.crm.store
        archived = _archived_flag(query)
        entries: list[tuple[StoredObject, str | None]]
        if archived:
            entries = list(store.archived[tdef.object_type_id].values())
        else:
            entries = [(obj, None) for obj in store.objects[tdef.object_type_id].values()]
        entries = sorted((e for e in entries if int(e[0].id) >= start), key=lambda e: int(e[0].id))
        page = entries[:limit]
        body: dict[str, Any] = {
            "results": [self.render_read(tdef, obj, query, at) for obj, at in page]
        }
        if len(entries) > limit:
            following = entries[limit][0].id
            body["paging"] = {
                "next": {
                    "after": following,
                    "link": f"?after={following}&limit={limit}",
                }
            }
        return 200, body, []

    # --- search --------------------------------------------------------------------------

    def search(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST .../{objectType}/search``: filters, sorts, query, paging, the 10,000 cap."""
        if not isinstance(body, dict):
            raise bad_json("body must be a JSON object")
        groups = body.get("filterGroups") or []
        if not isinstance(groups, list):
            raise bad_json("body.filterGroups must be a JSON array")
        if len(groups) > MAX_FILTER_GROUPS:
            raise ApiError(400, f"Too many filter groups: at most {MAX_FILTER_GROUPS} are allowed")
        parsed_groups: list[list[dict[str, Any]]] = []
        total_filters = 0
        for g, group in enumerate(groups):
            filters = group.get("filters") if isinstance(group, dict) else None
            if not isinstance(filters, list):
                raise bad_json(f"body.filterGroups[{g}].filters must be a JSON array")
            if len(filters) > MAX_FILTERS_PER_GROUP:
                raise ApiError(
                    400, f"Too many filters in a group: at most {MAX_FILTERS_PER_GROUP} are allowed"
                )
            total_filters += len(filters)
            parsed_groups.append([self._check_filter(tdef, f, g, i) for i, f in enumerate(filters)])
        if total_filters > MAX_FILTERS:
            raise ApiError(400, f"Too many filters: at most {MAX_FILTERS} are allowed in all")
        limit = body.get("limit", DEFAULT_SEARCH_LIMIT)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 0 < limit <= MAX_SEARCH_LIMIT
        ):
            raise ApiError(400, f"limit must be between 1 and {MAX_SEARCH_LIMIT}")
        after_text = body.get("after") or "0"
        after_text = str(after_text)
        if not after_text.isascii() or not after_text.isdigit():
            raise ApiError(400, f"Invalid value for after: {after_text}")
        offset = int(after_text)
        if offset >= SEARCH_CAP:
            raise ApiError(
                400,
                f"The search API returns at most {SEARCH_CAP} results per query; paging "
                f"past them (after={offset}) is not allowed",
            )
        query_text = body.get("query")
        if query_text is not None and not isinstance(query_text, str):
            raise bad_json("body.query must be a string")
        if query_text is not None and len(query_text) > MAX_SEARCH_QUERY_LENGTH:
            raise ApiError(
                400,
                f"body.query is {len(query_text)} characters long; at most "
                f"{MAX_SEARCH_QUERY_LENGTH} are allowed",
            )
        sorts = body.get("sorts") or []
        if not isinstance(sorts, list):
            raise bad_json("body.sorts must be a JSON array")
        now = self.crm.clock.monotonic()
        objects = [
            view
            for obj in self.crm.store.objects[tdef.object_type_id].values()
            if (view := _indexed(obj, now)) is not None
        ]
        matched = [
            obj
            for obj in objects
            if (
                not parsed_groups
                or any(all(self._matches(tdef, obj, f) for f in group) for group in parsed_groups)
            )
            and (not query_text or self._query_matches(obj, query_text))
        ]
        matched.sort(key=lambda o: int(o.id))
        for sort in reversed(sorts):
            if not isinstance(sort, dict) or not isinstance(sort.get("propertyName"), str):
                raise bad_json("each sort needs a propertyName")
            name = sort["propertyName"]
            prop = tdef.properties.get(name)
            if prop is None:
                raise ApiError(
                    400, f'Property "{name}" does not exist', context={"propertyName": [name]}
                )
            descending = sort.get("direction", "ASCENDING") == "DESCENDING"
            present = [o for o in matched if o.properties.get(name) is not None]
            absent = [o for o in matched if o.properties.get(name) is None]
            present.sort(key=lambda o: _sort_key(prop, o.properties[name]), reverse=descending)
            matched = present + absent
        total = len(matched)
        end = min(offset + limit, total, SEARCH_CAP)
        page = matched[offset:end]
        wanted = body.get("properties") or []
        if not isinstance(wanted, list) or not all(isinstance(p, str) for p in wanted):
            raise bad_json("body.properties must be an array of strings")
        read_query = {"properties": ",".join(wanted)} if wanted else {}
        answer: dict[str, Any] = {
            "total": total,
            "results": [self.render_read(tdef, obj, read_query) for obj in page],
        }
        if end < total:
            answer["paging"] = {"next": {"after": str(end), "link": None}}
        return 200, answer, []

    def _check_filter(self, tdef: ObjectTypeDef, value: Any, g: int, i: int) -> dict[str, Any]:
        where = f"body.filterGroups[{g}].filters[{i}]"
        if not isinstance(value, dict):
            raise bad_json(f"{where} must be a JSON object")
        name = value.get("propertyName")
        operator = value.get("operator")
        if not isinstance(name, str) or name not in tdef.properties:
            raise ApiError(
                400, f'Property "{name}" does not exist', context={"propertyName": [str(name)]}
            )
        if operator not in OPERATORS:
            raise bad_json(f"{where}.operator is not a valid operator: {operator}")
        if operator in ("IN", "NOT_IN"):
            values = value.get("values")
            if not isinstance(values, list) or not values:
                raise ApiError(400, f"{where}: {operator} needs a non-empty 'values' array")
        elif operator == "BETWEEN":
            if not isinstance(value.get("value"), str) or not isinstance(
                value.get("highValue"), str
            ):
                raise ApiError(400, f"{where}: BETWEEN needs 'value' and 'highValue'")
        elif operator not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY") and (
            not isinstance(value.get("value"), (str, int, float))
            or isinstance(value.get("value"), bool)
        ):
            raise ApiError(400, f"{where}: {operator} needs a 'value'")
        return value

    def _matches(self, tdef: ObjectTypeDef, obj: StoredObject, f: Mapping[str, Any]) -> bool:
        name = f["propertyName"]
        operator = f["operator"]
        prop = tdef.properties[name]
        stored = obj.properties.get(name)
        if operator == "HAS_PROPERTY":
            return stored is not None and stored != ""
        if operator == "NOT_HAS_PROPERTY":
            return stored is None or stored == ""
        if stored is None:
            return operator in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
        have = _sort_key(prop, stored)
        if operator in ("IN", "NOT_IN"):
            found = any(have == _sort_key(prop, str(v)) for v in f["values"])
            return found if operator == "IN" else not found
        if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            found = _contains_token(stored, str(f["value"]))
            return found if operator == "CONTAINS_TOKEN" else not found
        given = _sort_key(prop, str(f["value"]))
        try:
            if operator == "EQ":
                return bool(have == given)
            if operator == "NEQ":
                return bool(have != given)
            if operator == "LT":
                return bool(have < given)
            if operator == "LTE":
                return bool(have <= given)
            if operator == "GT":
                return bool(have > given)
            if operator == "GTE":
                return bool(have >= given)
            high = _sort_key(prop, str(f["highValue"]))
            return bool(given <= have <= high)
        except TypeError:  # a number compared with text that is not one
            return False

    @staticmethod
    def _query_matches(obj: StoredObject, text: str) -> bool:
        needle = text.lower().strip("*")
        return any(needle in str(v).lower() for v in obj.properties.values() if v)


def _indexed(obj: StoredObject, now: float) -> StoredObject | None:
    """The record as search sees it at ``now``: its latest indexed version, or None when
    its creation is not indexed yet. Versions older than the one seen are dropped."""
    versions = obj.search_versions
    if not versions:
        return obj
    seen = -1
    for i, (visible_at, _, _) in enumerate(versions):
        if visible_at > now:
            break
        seen = i
    if seen < 0:
        return None
    if seen == len(versions) - 1:
        versions.clear()
        return obj
    del versions[:seen]
    _, properties, updated_at = versions[0]
    view = StoredObject(obj.id, obj.type_id, properties, obj.created_at, [])
    view.updated_at = updated_at
    return view


def _sort_key(prop: PropertyDef, value: str) -> Any:
    """What a stored or given value compares as, by the property's type."""
    if prop.type == "number":
        try:
            return float(value)
        except ValueError:
            return value
    if prop.type in ("date", "datetime"):
        instant = _parse_instant(value)
        return value if instant is None else instant.timestamp()
    return value.lower()


def _contains_token(stored: str, token: str) -> bool:
    token = token.lower()
    text = stored.lower()
    if "*" in token:
        pattern = re.escape(token).replace(r"\*", ".*")
        return any(re.fullmatch(pattern, word) for word in [text, *_TOKEN_SPLIT.split(text)])
    return token == text or token in _TOKEN_SPLIT.split(text)
