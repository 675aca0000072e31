"""The calls around creation: update, archive, list, search, and associations.

Like :mod:`._crm`, every method runs synchronously under the emulator's lock and
returns ``(status, body, committed ids)`` or raises :class:`ApiError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm import Crm, _independent
from ._crm_core import Result, _Prepared
from ._crm_input import MAX_BATCH, _Input, parse_batch, parse_upsert
from ._crm_input import _parse_properties as parse_properties
from ._crm_reads import _split
from ._schema import (
    ASSOCIATION_CATEGORIES,
    HUBSPOT_DEFINED_ASSOCIATIONS,
    UNLABELED_ASSOCIATIONS,
    ObjectTypeDef,
    PropertyDef,
    _parse_instant,
)
from ._store import Association, StoredObject

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "DEFAULT_SEARCH_LIMIT",
    "INVERSE_ASSOCIATIONS",
    "MAX_ASSOCIATION_LIMIT",
    "MAX_BATCH",
    "MAX_FILTERS",
    "MAX_FILTERS_PER_GROUP",
    "MAX_FILTER_GROUPS",
    "MAX_LIST_LIMIT",
    "MAX_SEARCH_LIMIT",
    "OPERATORS",
    "PRIMARY_ASSOCIATIONS",
    "SEARCH_CAP",
    "CrmRecords",
]

MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 10
MAX_SEARCH_LIMIT = 200
DEFAULT_SEARCH_LIMIT = 10
SEARCH_CAP = 10_000
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_ASSOCIATION_LIMIT = 500
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
PRIMARY_ASSOCIATIONS = frozenset((1, 2, 5, 6, 25, 26))
# HUBSPOT_DEFINED type id -> the id of the same association read from the other side
INVERSE_ASSOCIATIONS = {
    1: 2, 2: 1, 279: 280, 280: 279, 3: 4, 4: 3, 5: 6, 6: 5, 341: 342, 342: 341,
    15: 16, 16: 15, 25: 26, 26: 25, 27: 28, 28: 27, 19: 20, 20: 19,
    201: 202, 202: 201, 203: 204, 204: 203,
}  # fmt: skip
_TOKEN_SPLIT = re.compile(r"[^\w@.+-]+")


def _not_found(tdef: ObjectTypeDef, object_id: str) -> ApiError:
    return ApiError(
        404,
        "Object not found.  objectId are usually numeric.",
        "OBJECT_NOT_FOUND",
        context={"id": [object_id]},
    )


def _int_param(query: Mapping[str, str], name: str, default: int, most: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ApiError(400, f"Invalid value for {name}: {text}")
    if int(text) > most:
        raise ApiError(400, f"{name} must be at most {most}, not {text}")
    return int(text)


def _archived_flag(query: Mapping[str, str]) -> bool:
    archived = query.get("archived", "false").lower()
    if archived not in ("true", "false"):
        raise ApiError(400, f"Invalid value for archived: {query.get('archived')}")
    return archived == "true"


def _numeric_id(object_id: str) -> Any:
    return int(object_id) if object_id.isdigit() else object_id


class CrmRecords:
    """Update, archive, list, search and associate against the same store as :class:`Crm`."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    # --- finding and rendering ---------------------------------------------------------

    def find(
        self, tdef: ObjectTypeDef, object_id: str, id_property: str | None
    ) -> StoredObject | None:
        """A live record by id, or by the value of a unique property."""
        store = self.crm.store
        objects = store.objects[tdef.object_type_id]
        if id_property is None or id_property == "hs_object_id":
            return objects.get(object_id)
        prop = tdef.properties.get(id_property)
        if prop is None or not prop.unique:
            raise ApiError(
                400,
                f"{id_property} is not a unique property of {tdef.name}",
                context={"idProperty": [id_property]},
            )
        holder = store.unique[(tdef.object_type_id, id_property)].get(
            store.unique_key(prop, object_id)
        )
        return None if holder is None else objects[holder]

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

    def read_archived(
        self, tdef: ObjectTypeDef, object_id: str, query: Mapping[str, str]
    ) -> Result:
        """``GET .../{objectType}/{objectId}?archived=true``."""
        entry = self.crm.store.archived[tdef.object_type_id].get(object_id)
        if entry is None:
            raise _not_found(tdef, object_id)
        obj, archived_at = entry
        return 200, self.render_read(tdef, obj, query, archived_at), []

    # --- update --------------------------------------------------------------------------

    def update(
        self, tdef: ObjectTypeDef, object_id: str, query: Mapping[str, str], body: Any
    ) -> Result:
        """``PATCH .../{objectType}/{objectId}``."""
        if not isinstance(body, dict):
            raise bad_json("body must be a JSON object")
        properties = parse_properties(body.get("properties"), "body")
        obj = self.find(tdef, object_id, query.get("idProperty"))
        if obj is None:
            raise _not_found(tdef, object_id)
        crm = self.crm
        prepared = crm._prepare(tdef, _Input(properties, [], None), existing=obj, pending=None)
        obj = crm._commit(tdef, prepared, crm.now())
        return 200, crm.store.render(obj), [obj.id]

    def batch_update(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST .../{objectType}/batch/update``: 200, or 207 naming the failed inputs."""
        crm = self.crm
        raw = parse_batch(body)
        items = [parse_upsert(v, f"inputs[{i}]") for i, v in enumerate(raw)]
        seen: set[tuple[str | None, str]] = set()
        duplicates = []
        for item in items:
            assert item.id is not None
            key = (item.id_property, item.id)
            if key in seen:
                duplicates.append(item.id)
            seen.add(key)
        if duplicates:
            raise ApiError(
                400,
                f"Duplicate IDs found in batch input: [{', '.join(duplicates)}]. "
                "IDs must be unique",
            )
        independent = _independent(items)
        started = crm.now()
        targets: list[StoredObject | None] = []
        errors: list[dict[str, Any]] = []
        prepared_all: list[_Prepared | None] = []
        for item in items:
            assert item.id is not None
            obj = self.find(tdef, item.id, item.id_property)
            targets.append(obj)
            if obj is None:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": f"Could not get some {tdef.singular.upper()} objects, they "
                        "may be deleted or not exist. Check that ids are valid.",
                        "context": {"ids": [item.id]},
                        "errors": [],
                        "links": {},
                    }
                )
                prepared_all.append(None)
                continue
            try:
                prepared = crm._prepare(
                    tdef, _Input(item.properties, [], item.trace_id), existing=obj, pending=None
                )
            except ApiError as exc:
                if not independent:
                    raise
                assert item.trace_id is not None
                errors.append(exc.batch_entry(item.trace_id))
                prepared_all.append(None)
                continue
            prepared_all.append(prepared)
        results: list[dict[str, Any]] = []
        committed: list[str] = []
        for ready in prepared_all:
            if ready is None:
                continue
            obj = crm._commit(tdef, ready, crm.now())
            result = crm.store.render(obj)
            if ready.trace_id is not None:
                result["objectWriteTraceId"] = ready.trace_id
            results.append(result)
            committed.append(obj.id)
        crm.rng.shuffle(results)
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            answer["numErrors"] = len(errors)
            answer["errors"] = errors
        answer["startedAt"] = started
        answer["completedAt"] = crm.now()
        return (207 if errors else 200), answer, committed

    # --- archive -------------------------------------------------------------------------

    def _archive_one(self, tdef: ObjectTypeDef, object_id: str) -> bool:
        store = self.crm.store
        obj = store.objects[tdef.object_type_id].pop(object_id, None)
        if obj is None:
            return False
        for name in tdef.unique_properties:
            value = obj.properties.get(name)
            if value is not None:
                key = store.unique_key(tdef.properties[name], value)
                index = store.unique[(tdef.object_type_id, name)]
                if index.get(key) == obj.id:
                    del index[key]
        store.archived[tdef.object_type_id][object_id] = (obj, self.crm.now())
        return True

    def archive(self, tdef: ObjectTypeDef, object_id: str) -> Result:
        """``DELETE .../{objectType}/{objectId}``: 204, whether or not it existed."""
        done = self._archive_one(tdef, object_id)
        return 204, {}, [object_id] if done else []

    def batch_archive(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST .../{objectType}/batch/archive``: 204."""
        raw = parse_batch(body)
        ids: list[str] = []
        for i, item in enumerate(raw):
            if not isinstance(item, dict):
                raise bad_json(f"inputs[{i}] must be a JSON object")
            object_id = item.get("id")
            if isinstance(object_id, bool) or not isinstance(object_id, (str, int)):
                raise bad_json(f"inputs[{i}].id must be a string")
            ids.append(str(object_id))
        done = [object_id for object_id in ids if self._archive_one(tdef, object_id)]
        return 204, {}, done

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
        sorts = body.get("sorts") or []
        if not isinstance(sorts, list):
            raise bad_json("body.sorts must be a JSON array")
        objects = list(self.crm.store.objects[tdef.object_type_id].values())
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

    # --- associations --------------------------------------------------------------------

    def _api_label(self, from_def: ObjectTypeDef, category: str, type_id: int) -> str | None:
        if category == "HUBSPOT_DEFINED":
            return "Primary" if type_id in PRIMARY_ASSOCIATIONS else None
        definition = self.crm.store.association_types.get(
            (from_def.object_type_id, category, type_id)
        )
        return None if definition is None else definition.label

    def _live(self, tdef: ObjectTypeDef, object_id: str) -> StoredObject:
        obj = self.crm.store.objects[tdef.object_type_id].get(object_id)
        if obj is None:
            raise _not_found(tdef, object_id)
        return obj

    def _parse_specs(self, value: Any, where: str) -> list[tuple[str, int]]:
        if not isinstance(value, list) or not value:
            raise bad_json(f"{where} must be a non-empty JSON array of association types")
        specs: list[tuple[str, int]] = []
        for j, spec in enumerate(value):
            if not isinstance(spec, dict):
                raise bad_json(f"{where}[{j}] must be a JSON object")
            category = spec.get("associationCategory", "HUBSPOT_DEFINED")
            type_id = spec.get("associationTypeId")
            if not isinstance(category, str) or category not in ASSOCIATION_CATEGORIES:
                raise bad_json(f"{where}[{j}].associationCategory is not a valid category")
            if isinstance(type_id, bool) or not isinstance(type_id, int):
                raise bad_json(f"{where}[{j}].associationTypeId must be an integer")
            specs.append((category, type_id))
        return specs

    def _check_specs(
        self, from_def: ObjectTypeDef, to_def: ObjectTypeDef, specs: list[tuple[str, int]]
    ) -> None:
        for category, type_id in specs:
            target = self.crm.store.association_target(from_def.object_type_id, category, type_id)
            if target != to_def.object_type_id:
                raise ApiError(
                    400,
                    f"{category} association type id {type_id} is not valid for associations "
                    f"from {from_def.name} to {to_def.name}",
                    context={"associationTypeId": [str(type_id)]},
                )

    @staticmethod
    def _link(obj: StoredObject, to_type: str, to_id: str, specs: list[tuple[str, int]]) -> None:
        for i, (t, oid, have) in enumerate(obj.associations):
            if t == to_type and oid == to_id:
                merged = tuple(dict.fromkeys([*have, *specs]))
                obj.associations[i] = (t, oid, merged)
                return
        entry: Association = (to_type, to_id, tuple(specs))
        obj.associations.append(entry)

    def _associate(
        self,
        from_def: ObjectTypeDef,
        obj: StoredObject,
        to_def: ObjectTypeDef,
        target: StoredObject,
        specs: list[tuple[str, int]],
    ) -> list[str]:
        self._link(obj, to_def.object_type_id, target.id, specs)
        inverse: list[tuple[str, int]] = []
        for category, type_id in specs:
            if category == "HUBSPOT_DEFINED":
                other = INVERSE_ASSOCIATIONS.get(type_id)
                if other is not None:
                    inverse.append((category, other))
            elif (
                self.crm.store.association_target(to_def.object_type_id, category, type_id)
                == from_def.object_type_id
            ):
                inverse.append((category, type_id))
        if inverse:
            self._link(target, from_def.object_type_id, obj.id, inverse)
        labels = [self._api_label(from_def, c, t) for c, t in specs]
        return [label for label in labels if label]

    def _link_body(
        self,
        from_def: ObjectTypeDef,
        from_id: str,
        to_def: ObjectTypeDef,
        to_id: str,
        labels: list[str],
    ) -> dict[str, Any]:
        return {
            "fromObjectTypeId": from_def.object_type_id,
            "fromObjectId": _numeric_id(from_id),
            "toObjectTypeId": to_def.object_type_id,
            "toObjectId": _numeric_id(to_id),
            "labels": labels,
        }

    def associate(
        self, from_def: ObjectTypeDef, from_id: str, to_def: ObjectTypeDef, to_id: str, body: Any
    ) -> Result:
        """``PUT .../{type}/{id}/associations/{toType}/{toId}`` with a list of types: 201."""
        specs = self._parse_specs(body, "body")
        obj = self._live(from_def, from_id)
        target = self._live(to_def, to_id)
        self._check_specs(from_def, to_def, specs)
        labels = self._associate(from_def, obj, to_def, target, specs)
        return 201, self._link_body(from_def, from_id, to_def, to_id, labels), [from_id]

    def default_type(self, from_def: ObjectTypeDef, to_def: ObjectTypeDef) -> int:
        """The unlabelled HUBSPOT_DEFINED type id between two object types."""
        pair = (from_def.object_type_id, to_def.object_type_id)
        candidates = [t for t, p in HUBSPOT_DEFINED_ASSOCIATIONS.items() if p == pair]
        for type_id in candidates:
            if type_id in UNLABELED_ASSOCIATIONS:
                return type_id
        for type_id in candidates:
            if type_id not in PRIMARY_ASSOCIATIONS:
                return type_id
        raise ApiError(
            400,
            f"There is no default association type from {from_def.name} to {to_def.name}",
        )

    def associate_default(
        self, from_def: ObjectTypeDef, from_id: str, to_def: ObjectTypeDef, to_id: str
    ) -> Result:
        """``PUT .../{type}/{id}/associations/default/{toType}/{toId}``: 200."""
        obj = self._live(from_def, from_id)
        target = self._live(to_def, to_id)
        type_id = self.default_type(from_def, to_def)
        self._associate(from_def, obj, to_def, target, [("HUBSPOT_DEFINED", type_id)])
        now = self.crm.now()
        body = {
            "status": "COMPLETE",
            "results": [
                {
                    "from": {"id": from_id},
                    "to": {"id": to_id},
                    "associationSpec": {
                        "associationCategory": "HUBSPOT_DEFINED",
                        "associationTypeId": type_id,
                    },
                }
            ],
            "startedAt": now,
            "completedAt": now,
        }
        return 200, body, [from_id]

    def list_associations(
        self, from_def: ObjectTypeDef, from_id: str, to_def: ObjectTypeDef, query: Mapping[str, str]
    ) -> Result:
        """``GET .../{type}/{id}/associations/{toType}``: a page of associated records."""
        limit = _int_param(query, "limit", MAX_ASSOCIATION_LIMIT, MAX_ASSOCIATION_LIMIT)
        after = query.get("after") or "0"
        if not after.isascii() or not after.isdigit():
            raise ApiError(400, f"Invalid value for after: {after}")
        offset = int(after)
        obj = self._live(from_def, from_id)
        rows: list[dict[str, Any]] = []
        for to_type, to_id, specs in obj.associations:
            if to_type != to_def.object_type_id:
                continue
            rows.append(
                {
                    "toObjectId": _numeric_id(to_id),
                    "associationTypes": [
                        {"category": c, "typeId": t, "label": self._api_label(from_def, c, t)}
                        for c, t in specs
                    ],
                }
            )
        body: dict[str, Any] = {"results": rows[offset : offset + limit]}
        if offset + limit < len(rows):
            body["paging"] = {"next": {"after": str(offset + limit), "link": None}}
        return 200, body, []

    def _unlink(self, obj: StoredObject, to_type: str, to_id: str) -> None:
        obj.associations[:] = [
            a for a in obj.associations if not (a[0] == to_type and a[1] == to_id)
        ]

    def delete_association(
        self, from_def: ObjectTypeDef, from_id: str, to_def: ObjectTypeDef, to_id: str
    ) -> Result:
        """``DELETE .../{type}/{id}/associations/{toType}/{toId}``: 204."""
        store = self.crm.store
        obj = store.objects[from_def.object_type_id].get(from_id)
        target = store.objects[to_def.object_type_id].get(to_id)
        if obj is not None:
            self._unlink(obj, to_def.object_type_id, to_id)
        if target is not None:
            self._unlink(target, from_def.object_type_id, from_id)
        return 204, {}, []

    def batch_associate(self, from_def: ObjectTypeDef, to_def: ObjectTypeDef, body: Any) -> Result:
        """``POST /crm/associations/{v}/{from}/{to}/batch/create``: 201, or 207 with errors."""
        raw = parse_batch(body)
        store = self.crm.store
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        committed: list[str] = []
        started = self.crm.now()
        for i, item in enumerate(raw):
            where = f"inputs[{i}]"
            if not isinstance(item, dict):
                raise bad_json(f"{where} must be a JSON object")
            ids: list[str] = []
            for side in ("from", "to"):
                ref = item.get(side)
                ref_id = ref.get("id") if isinstance(ref, dict) else None
                if isinstance(ref_id, bool) or not isinstance(ref_id, (str, int)):
                    raise bad_json(f"{where}.{side}.id must be a string")
                ids.append(str(ref_id))
            from_id, to_id = ids
            specs = self._parse_specs(item.get("types"), f"{where}.types")
            obj = store.objects[from_def.object_type_id].get(from_id)
            target = store.objects[to_def.object_type_id].get(to_id)
            if obj is None or target is None:
                missing = "fromObjectId" if obj is None else "toObjectId"
                missing_id = from_id if obj is None else to_id
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "subCategory": "crm.associations.INVALID_OBJECT_IDS",
                        "message": f"No {(from_def if obj is None else to_def).singular} "
                        f"with id {missing_id} exists",
                        "context": {missing: [missing_id]},
                        "errors": [],
                        "links": {},
                    }
                )
                continue
            try:
                self._check_specs(from_def, to_def, specs)
            except ApiError as exc:
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": exc.message,
                        "context": {"fromObjectId": [from_id], "toObjectId": [to_id]},
                        "errors": [],
                        "links": {},
                    }
                )
                continue
            labels = self._associate(from_def, obj, to_def, target, specs)
            results.append(self._link_body(from_def, from_id, to_def, to_id, labels))
            committed.append(from_id)
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            answer["numErrors"] = len(errors)
            answer["errors"] = errors
        answer["startedAt"] = started
        answer["completedAt"] = self.crm.now()
        return (207 if errors else 201), answer, committed

    def batch_disassociate(
        self, from_def: ObjectTypeDef, to_def: ObjectTypeDef, body: Any
    ) -> Result:
        """``POST /crm/associations/{v}/{from}/{to}/batch/archive``: 204."""
        raw = parse_batch(body)
        store = self.crm.store
        for i, item in enumerate(raw):
            ref = item.get("from") if isinstance(item, dict) else None
            from_id = ref.get("id") if isinstance(ref, dict) else None
            tos = item.get("to") if isinstance(item, dict) else None
            if (
                isinstance(from_id, bool)
                or not isinstance(from_id, (str, int))
                or not isinstance(tos, list)
            ):
                raise bad_json(f"inputs[{i}] needs from.id and a 'to' array")
            obj = store.objects[from_def.object_type_id].get(str(from_id))
            for to in tos:
                to_id = str(to.get("id")) if isinstance(to, dict) else None
                if to_id is None:
                    raise bad_json(f"inputs[{i}].to needs ids")
                if obj is not None:
                    self._unlink(obj, to_def.object_type_id, to_id)
                target = store.objects[to_def.object_type_id].get(to_id)
                if target is not None:
                    self._unlink(target, from_def.object_type_id, str(from_id))
        return 204, {}, []

    def labels(self, from_def: ObjectTypeDef, to_def: ObjectTypeDef) -> Result:
        """``GET /crm/associations/{v}/{from}/{to}/labels``: every type between the two."""
        pair = (from_def.object_type_id, to_def.object_type_id)
        rows = [
            {
                "category": "HUBSPOT_DEFINED",
                "typeId": t,
                "label": self._api_label(from_def, "HUBSPOT_DEFINED", t),
            }
            for t, p in sorted(HUBSPOT_DEFINED_ASSOCIATIONS.items())
            if p == pair
        ]
        for (from_id, category, type_id), definition in sorted(
            self.crm.store.association_types.items()
        ):
            if from_id == pair[0] and definition.to_type_id == pair[1]:
                rows.append({"category": category, "typeId": type_id, "label": definition.label})
        return 200, {"results": rows}, []


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
