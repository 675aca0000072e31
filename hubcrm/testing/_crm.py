"""The objects API itself: input checks, validation, batch semantics, reads.

Every public method runs synchronously under the emulator's lock and either returns
``(status, body, committed ids)`` or raises :class:`ApiError` for a whole-request error.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from ._api_errors import ApiError, bad_json, conflict, property_errors, unique_refused
from ._clock import Clock
from ._counters import Counters
from ._schema import (
    ASSOCIATION_CATEGORIES,
    ObjectTypeDef,
    PropertyDef,
    PropertyError,
    iso_ms,
    validate_value,
)
from ._store import Association, Store, StoredObject

__all__ = [
    "INT32_MAX",
    "MAX_BATCH",
    "MAX_UNIQUE_PROPERTIES",
    "UNIQUE_REFUSALS",
    "Crm",
    "Result",
    "UniqueRefusal",
    "parse_batch",
    "parse_create",
    "parse_upsert",
]

MAX_BATCH = 100
INT32_MAX = 2**31 - 1

Result = tuple[int, dict[str, Any], list[str]]
UniqueRefusal = Literal["409", "400"]
UNIQUE_REFUSALS: tuple[UniqueRefusal, ...] = ("409", "400")
MAX_UNIQUE_PROPERTIES = 10
_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}\Z")
_PROPERTY_TYPES = ("string", "number", "bool", "enumeration", "date", "datetime", "phone_number")


class _Input:
    """One structurally valid object input."""

    __slots__ = ("associations", "id", "id_property", "properties", "trace_id")

    def __init__(
        self,
        properties: dict[str, str | None],
        associations: list[tuple[str, list[tuple[str, int]]]],
        trace_id: str | None,
        object_id: str | None = None,
        id_property: str | None = None,
    ) -> None:
        self.properties = properties
        self.associations = associations
        self.trace_id = trace_id
        self.id = object_id
        self.id_property = id_property


class _Prepared:
    """An input that passed every check, ready to commit."""

    __slots__ = ("associations", "existing", "properties", "trace_id", "unique_keys")

    def __init__(
        self,
        properties: dict[str, str | None],
        associations: list[Association],
        unique_keys: list[tuple[str, str]],
        trace_id: str | None,
        existing: StoredObject | None,
    ) -> None:
        self.properties = properties
        self.associations = associations
        self.unique_keys = unique_keys
        self.trace_id = trace_id
        self.existing = existing


# --- structural parsing: failures reject the whole request ---------------------------


def _expect_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_json(f"{where} must be a JSON object")
    return value


def _parse_properties(value: Any, where: str) -> dict[str, str | None]:
    if value is None:
        raise bad_json(f"{where}.properties is required")
    props = _expect_object(value, f"{where}.properties")
    for name, item in props.items():
        if item is not None and not isinstance(item, str):
            raise bad_json(f"{where}.properties.{name} must be a string")
    return props


def _parse_associations(value: Any, where: str) -> list[tuple[str, list[tuple[str, int]]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_json(f"{where}.associations must be a JSON array")
    parsed: list[tuple[str, list[tuple[str, int]]]] = []
    for i, item in enumerate(value):
        at = f"{where}.associations[{i}]"
        item = _expect_object(item, at)
        to = _expect_object(item.get("to"), f"{at}.to")
        to_id = to.get("id")
        if isinstance(to_id, bool) or not isinstance(to_id, (str, int)):
            raise bad_json(f"{at}.to.id must be a string")
        types = item.get("types")
        if not isinstance(types, list):
            raise bad_json(f"{at}.types must be a JSON array")
        specs: list[tuple[str, int]] = []
        for j, spec in enumerate(types):
            spec = _expect_object(spec, f"{at}.types[{j}]")
            category = spec.get("associationCategory")
            type_id = spec.get("associationTypeId")
            if not isinstance(category, str) or category not in ASSOCIATION_CATEGORIES:
                raise bad_json(
                    f"{at}.types[{j}].associationCategory must be one of "
                    "HUBSPOT_DEFINED, USER_DEFINED, INTEGRATOR_DEFINED, WORK"
                )
            if isinstance(type_id, bool) or not isinstance(type_id, int):
                raise bad_json(f"{at}.types[{j}].associationTypeId must be an integer")
            if not -INT32_MAX - 1 <= type_id <= INT32_MAX:
                raise bad_json(f"{at}.types[{j}].associationTypeId is out of int32 range")
            specs.append((category, type_id))
        parsed.append((str(to_id), specs))
    return parsed


def _parse_trace_id(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_json(f"{where}.objectWriteTraceId must be a string")
    return value or None


def parse_create(value: Any, where: str = "body") -> _Input:
    """A ``SimplePublicObjectInputForCreate`` (or a batch input)."""
    item = _expect_object(value, where)
    return _Input(
        _parse_properties(item.get("properties"), where),
        _parse_associations(item.get("associations"), where),
        _parse_trace_id(item.get("objectWriteTraceId"), where),
    )


def parse_upsert(value: Any, where: str) -> _Input:
    """A batch upsert input: ``{id, idProperty, properties, objectWriteTraceId}``."""
    item = _expect_object(value, where)
    object_id = item.get("id")
    if isinstance(object_id, bool) or not isinstance(object_id, (str, int)):
        raise bad_json(f"{where}.id must be a string")
    if isinstance(object_id, str) and not object_id.strip():
        raise ApiError(
            400,
            f"{where}.id must not be blank: an upsert names its record by a non-empty id",
            context={"id": [object_id]},
        )
    id_property = item.get("idProperty")
    if id_property is not None and not isinstance(id_property, str):
        raise bad_json(f"{where}.idProperty must be a string")
    return _Input(
        _parse_properties(item.get("properties"), where),
        [],
        _parse_trace_id(item.get("objectWriteTraceId"), where),
        str(object_id),
        id_property,
    )


def parse_batch(body: Any) -> list[Any]:
    """The ``inputs`` list of a batch body, at most 100 long."""
    body = _expect_object(body, "body")
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise bad_json("body.inputs must be a JSON array")
    if len(inputs) > MAX_BATCH:
        raise ApiError(
            400,
            f"The maximum number of inputs supported in a batch request is {MAX_BATCH}. "
            f"Received {len(inputs)}. Please reduce the number of items and try again.",
            context={"limit": [str(MAX_BATCH)], "received": [str(len(inputs))]},
        )
    return inputs


def _independent(inputs: list[_Input]) -> bool:
    """HubSpot answers per input only when every input has its own trace id."""
    seen: set[str] = set()
    for item in inputs:
        if item.trace_id is None or item.trace_id in seen:
            return False
        seen.add(item.trace_id)
    return True


class Crm:
    """Create, batch create, batch upsert and read against a :class:`Store`."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        rng: random.Random,
        counters: Counters,
        conflict_style: str,
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.counters = counters
        self.conflict_style = conflict_style
        # how a clash on a custom unique-value property is refused: HubSpot documents no
        # body for it, so the emulator gives either shape (409 as for email, or a 400)
        self.unique_refusal: UniqueRefusal = "409"
        # whether batch upsert results echo objectWriteTraceId (HubSpot does not promise it)
        self.upsert_trace_ids = True

    def now(self) -> str:
        """The emulator's wall time, HubSpot-formatted."""
        return iso_ms(datetime.fromtimestamp(self.clock.time(), timezone.utc))

    # --- per-input validation ----------------------------------------------------------

    def _prepare(
        self,
        tdef: ObjectTypeDef,
        item: _Input,
        *,
        existing: StoredObject | None,
        pending: dict[tuple[str, str], str] | None,
    ) -> _Prepared:
        """Validate one input against the schema and the store; raise ApiError if bad."""
        schema = tdef.properties
        errors: list[PropertyError] = []
        normalized: dict[str, str | None] = {}
        for name, value in item.properties.items():
            prop = schema.get(name)
            if prop is None:
                errors.append(
                    PropertyError(
                        name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
                    )
                )
                continue
            if prop.read_only:
                errors.append(
                    PropertyError(name, "READ_ONLY_VALUE", f'Property "{name}" is read-only')
                )
                continue
            if value is None or value == "":
                normalized[name] = None
                continue
            value, error = validate_value(prop, value)
            if error is not None:
                errors.append(error)
            else:
                normalized[name] = value
        if existing is None:
            for name in tdef.required:
                if normalized.get(name) is None:
                    errors.append(
                        PropertyError(
                            name, "MISSING_REQUIRED_PROPERTY", f'Property "{name}" is required'
                        )
                    )
            if tdef.required_one_of and all(
                normalized.get(n) is None for n in tdef.required_one_of
            ):
                names = " or ".join(f'"{n}"' for n in tdef.required_one_of)
                errors.append(
                    PropertyError(
                        tdef.required_one_of[0],
                        "MISSING_REQUIRED_PROPERTY",
                        f"One of the properties {names} is required",
                    )
                )
        if errors:
            raise property_errors(errors)

        associations = self._check_associations(tdef, item.associations)

        unique_keys: list[tuple[str, str]] = []
        for name in tdef.unique_properties:
            value = normalized.get(name)
            if value is None:
                continue
            key = self.store.unique_key(schema[name], value)
            holder = self.store.unique[(tdef.object_type_id, name)].get(key)
            if holder is not None and (existing is None or holder != existing.id):
                if self.unique_refusal == "400" and not schema[name].email:
                    raise unique_refused(name)
                raise conflict(holder, tdef.singular, name, self.conflict_style)
            if pending is not None and (name, key) in pending:
                raise ApiError(
                    400,
                    f'Duplicate values for unique property "{name}" in batch input',
                    context={"propertyName": [name]},
                )
            unique_keys.append((name, key))
        if pending is not None:
            for name_key in unique_keys:
                pending[name_key] = ""
        return _Prepared(normalized, associations, unique_keys, item.trace_id, existing)

    def _check_associations(
        self, tdef: ObjectTypeDef, associations: list[tuple[str, list[tuple[str, int]]]]
    ) -> list[Association]:
        checked: list[Association] = []
        for to_id, specs in associations:
            if not specs:
                raise ApiError(
                    400, f"Association to {to_id} must have at least one association type"
                )
            target: str | None = None
            for category, type_id in specs:
                to_type = self.store.association_target(tdef.object_type_id, category, type_id)
                if to_type is None:
                    raise ApiError(
                        400,
                        f"{category} association type id {type_id} is not valid for "
                        f"associations from {tdef.object_type_id} ({tdef.name})",
                        context={"associationTypeId": [str(type_id)]},
                    )
                if target is not None and to_type != target:
                    raise ApiError(
                        400,
                        f"Association types of the association to {to_id} point to "
                        f"different object types ({target}, {to_type})",
                    )
                target = to_type
            assert target is not None
            if to_id not in self.store.objects[target]:
                raise ApiError(
                    400,
                    f"Could not create associations: no object of type {target} "
                    f"with id {to_id} exists",
                    context={"toObjectId": [to_id], "toObjectTypeId": [target]},
                )
            checked.append((target, to_id, tuple(specs)))
        return checked

    # --- commits -----------------------------------------------------------------------

    def _commit(self, tdef: ObjectTypeDef, prepared: _Prepared, now: str) -> StoredObject:
        type_id = tdef.object_type_id
        existing = prepared.existing
        if existing is None:
            object_id = str(self.store.next_id)
            self.store.next_id += 1
            props = {k: v for k, v in prepared.properties.items() if v is not None}
            props.setdefault(tdef.created_property, now)
            props[tdef.modified_property] = now
            props["hs_object_id"] = object_id
            obj = StoredObject(object_id, type_id, props, now, prepared.associations)
            self.store.objects[type_id][object_id] = obj
            self.counters.objects_created += 1
        else:
            obj = existing
            for name in tdef.unique_properties:
                old = obj.properties.get(name)
                if old is not None and name in prepared.properties:
                    key = self.store.unique_key(tdef.properties[name], old)
                    self.store.unique[(type_id, name)].pop(key, None)
            for name, value in prepared.properties.items():
                if value is None:
                    obj.properties.pop(name, None)
                else:
                    obj.properties[name] = value
            obj.properties[tdef.modified_property] = now
            obj.updated_at = now
            obj.associations.extend(prepared.associations)
            self.counters.objects_updated += 1
        for name, key in prepared.unique_keys:
            self.store.unique[(type_id, name)][key] = obj.id
        return obj

    # --- endpoints ---------------------------------------------------------------------

    def create(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST /crm/objects/2026-03/{objectType}``."""
        item = parse_create(body)
        prepared = self._prepare(tdef, item, existing=None, pending=None)
        obj = self._commit(tdef, prepared, self.now())
        return 201, self.store.render(obj), [obj.id]

    def batch_create(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST .../{objectType}/batch/create``."""
        raw = parse_batch(body)
        items = [parse_create(v, f"inputs[{i}]") for i, v in enumerate(raw)]
        return self._batch(tdef, items, upsert=False)

    def batch_upsert(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST .../{objectType}/batch/upsert``."""
        raw = parse_batch(body)
        items = [parse_upsert(v, f"inputs[{i}]") for i, v in enumerate(raw)]
        seen: set[tuple[str | None, str]] = set()
        duplicates: list[str] = []
        for item in items:
            assert item.id is not None
            prop = tdef.properties.get(item.id_property or "")
            key = (item.id_property, self.store.unique_key(prop, item.id) if prop else item.id)
            if key in seen:
                duplicates.append(item.id)
            seen.add(key)
        if duplicates:
            raise ApiError(
                400,
                f"Duplicate IDs found in batch input: [{', '.join(duplicates)}]. "
                "IDs must be unique",
            )
        return self._batch(tdef, items, upsert=True)

    def _prepare_upsert(
        self, tdef: ObjectTypeDef, item: _Input, pending: dict[tuple[str, str], str] | None
    ) -> _Prepared:
        assert item.id is not None
        id_property = item.id_property
        if id_property is None or id_property == "hs_object_id":
            existing = self.store.objects[tdef.object_type_id].get(item.id)
            if existing is None:
                raise ApiError(
                    404,
                    f"Object not found. No {tdef.singular} with id {item.id} exists",
                    "OBJECT_NOT_FOUND",
                    context={"id": [item.id]},
                )
            return self._prepare(tdef, item, existing=existing, pending=pending)
        prop = tdef.properties.get(id_property)
        if prop is None or not prop.unique:
            raise ApiError(
                400,
                f"{id_property} is not a unique property of {tdef.name}; "
                f"use one of {list(tdef.unique_properties)}",
                context={"idProperty": [id_property]},
            )
        given = item.properties.get(id_property)
        if given is not None and given != item.id:
            raise ApiError(
                400,
                f'Property "{id_property}" must equal the input id when both are given',
                context={"propertyName": [id_property]},
            )
        properties = dict(item.properties)
        properties[id_property] = item.id
        key = self.store.unique_key(prop, item.id.strip())
        holder = self.store.unique[(tdef.object_type_id, id_property)].get(key)
        existing = None if holder is None else self.store.objects[tdef.object_type_id][holder]
        with_id = _Input(properties, [], item.trace_id, item.id, id_property)
        return self._prepare(tdef, with_id, existing=existing, pending=pending)

    def _batch(self, tdef: ObjectTypeDef, items: list[_Input], *, upsert: bool) -> Result:
        started = self.now()
        results: list[dict[str, Any]] = []
        committed: list[str] = []
        if _independent(items):
            errors: list[dict[str, Any]] = []
            for item in items:
                try:
                    if upsert:
                        prepared = self._prepare_upsert(tdef, item, None)
                    else:
                        prepared = self._prepare(tdef, item, existing=None, pending=None)
                except ApiError as exc:
                    assert item.trace_id is not None
                    errors.append(exc.batch_entry(item.trace_id))
                    continue
                results.append(self._result(tdef, prepared, upsert))
                committed.append(results[-1]["id"])
            self.rng.shuffle(results)
            body: dict[str, Any] = {"status": "COMPLETE", "results": results}
            if errors:
                body["numErrors"] = len(errors)
                body["errors"] = errors
            body["startedAt"] = started
            body["completedAt"] = self.now()
            ok = 200 if upsert else 201
            return (207 if errors else ok), body, committed
        pending: dict[tuple[str, str], str] = {}
        prepared_all = [
            self._prepare_upsert(tdef, item, pending)
            if upsert
            else self._prepare(tdef, item, existing=None, pending=pending)
            for item in items
        ]
        for prepared in prepared_all:
            results.append(self._result(tdef, prepared, upsert))
            committed.append(results[-1]["id"])
        self.rng.shuffle(results)
        body = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": self.now(),
        }
        return (200 if upsert else 201), body, committed

    def _result(self, tdef: ObjectTypeDef, prepared: _Prepared, upsert: bool) -> dict[str, Any]:
        is_new = prepared.existing is None
        obj = self._commit(tdef, prepared, self.now())
        result = self.store.render(obj)
        if prepared.trace_id is not None and (self.upsert_trace_ids or not upsert):
            result["objectWriteTraceId"] = prepared.trace_id
        if upsert:
            result["new"] = is_new
        return result

    def read(self, tdef: ObjectTypeDef, object_id: str, query: Mapping[str, str]) -> Result:
        """``GET .../{objectType}/{objectId}``."""
        archived = query.get("archived", "false").lower()
        if archived not in ("true", "false"):
            raise ApiError(400, f"Invalid value for archived: {query.get('archived')}")
        id_property = query.get("idProperty")
        objects = self.store.objects[tdef.object_type_id]
        obj: StoredObject | None
        if id_property is None or id_property == "hs_object_id":
            obj = objects.get(object_id)
        else:
            prop = tdef.properties.get(id_property)
            if prop is None or not prop.unique:
                raise ApiError(
                    400,
                    f"{id_property} is not a unique property of {tdef.name}",
                    context={"idProperty": [id_property]},
                )
            holder = self.store.unique[(tdef.object_type_id, id_property)].get(
                self.store.unique_key(prop, object_id)
            )
            obj = None if holder is None else objects[holder]
        if obj is None or archived == "true":
            raise ApiError(
                404,
                "Object not found.  objectId are usually numeric.",
                "OBJECT_NOT_FOUND",
                context={"id": [object_id]},
            )
        wanted = _split(query.get("properties"))
        if not wanted:
            wanted = (
                list(tdef.default_read_properties)
                if tdef.default_read_properties is not None
                else [p for p in obj.properties if p in tdef.properties]
            )
        wanted += ["hs_object_id", tdef.created_property, tdef.modified_property]
        props = {p: obj.properties.get(p) for p in wanted if p in tdef.properties}
        body = self.store.render(obj, props)
        history = _split(query.get("propertiesWithHistory"))
        if history:
            body["propertiesWithHistory"] = {
                p: [{"value": obj.properties[p], "timestamp": obj.updated_at, "sourceType": "API"}]
                if p in obj.properties
                else []
                for p in history
                if p in tdef.properties
            }
        assoc_types = _split(query.get("associations"))
        if assoc_types:
            body["associations"] = self._read_associations(tdef, obj, assoc_types)
        return 200, body, []

    def _read_associations(
        self, tdef: ObjectTypeDef, obj: StoredObject, names: list[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            to_def = self.store.resolve(name)
            if to_def is None:
                continue
            results: list[dict[str, str]] = []
            seen: set[tuple[str, str]] = set()
            for to_type, to_id, specs in obj.associations:
                if to_type != to_def.object_type_id:
                    continue
                for category, type_id in specs:
                    label = self.store.association_label(tdef, category, type_id)
                    if (to_id, label) not in seen:
                        seen.add((to_id, label))
                        results.append({"id": to_id, "type": label})
            if results:
                out[to_def.name] = {"results": results}
        return out

    # --- batch read and the properties API ----------------------------------------------

    def batch_read(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST .../{objectType}/batch/read``: by id or by a unique ``idProperty``.

        Ids with no record are named by one ``OBJECT_NOT_FOUND`` error entry (a 207).
        """
        raw = parse_batch(body)
        id_property = body.get("idProperty")
        if id_property is not None and not isinstance(id_property, str):
            raise bad_json("body.idProperty must be a string")
        prop: PropertyDef | None = None
        if id_property is not None and id_property != "hs_object_id":
            prop = tdef.properties.get(id_property)
            if prop is None or not prop.unique:
                raise ApiError(
                    400,
                    f"{id_property} is not a unique property of {tdef.name}",
                    context={"idProperty": [id_property]},
                )
        names = body.get("properties")
        if names is not None and (
            not isinstance(names, list) or not all(isinstance(n, str) for n in names)
        ):
            raise bad_json("body.properties must be a JSON array of strings")
        started = self.now()
        objects = self.store.objects[tdef.object_type_id]
        index = None if prop is None else self.store.unique[(tdef.object_type_id, prop.name)]
        results: list[dict[str, Any]] = []
        missing: list[str] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            item = _expect_object(item, f"inputs[{i}]")
            value = item.get("id")
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise bad_json(f"inputs[{i}].id must be a string")
            value = str(value)
            if prop is None or index is None:
                obj = objects.get(value)
            else:
                holder = index.get(self.store.unique_key(prop, value))
                obj = None if holder is None else objects[holder]
            if obj is None:
                missing.append(value)
            elif obj.id not in seen:
                seen.add(obj.id)
                results.append(self.store.render(obj, self._read_properties(tdef, obj, names)))
        self.rng.shuffle(results)
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if missing:
            answer["numErrors"] = 1
            answer["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {tdef.name} objects, they may be deleted "
                    "or not exist. Check that ids are valid.",
                    "context": {"ids": missing},
                    "errors": [],
                    "links": {},
                }
            ]
        answer["startedAt"] = started
        answer["completedAt"] = self.now()
        return (207 if missing else 200), answer, []

    def _read_properties(
        self, tdef: ObjectTypeDef, obj: StoredObject, names: list[str] | None
    ) -> dict[str, Any]:
        wanted = list(names or ())
        if not wanted:
            wanted = (
                list(tdef.default_read_properties)
                if tdef.default_read_properties is not None
                else [p for p in obj.properties if p in tdef.properties]
            )
        wanted += ["hs_object_id", tdef.created_property, tdef.modified_property]
        return {p: obj.properties.get(p) for p in wanted if p in tdef.properties}

    def create_property(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST /crm/properties/2026-03/{objectType}``: a new property of a type."""
        body = _expect_object(body, "body")
        name = body.get("name")
        label = body.get("label")
        kind = body.get("type", "string")
        field_type = body.get("fieldType", "text")
        group = body.get("groupName", f"{tdef.singular}information")
        unique = body.get("hasUniqueValue", False)
        if not isinstance(name, str) or not _PROPERTY_NAME.match(name):
            raise ApiError(
                400,
                "Property name must start with a lowercase letter and hold only lowercase "
                "letters, digits and underscores",
                context={"name": [str(name)]},
            )
        if not isinstance(label, str) or not label:
            raise bad_json("body.label is required")
        if kind not in _PROPERTY_TYPES:
            raise ApiError(400, f"Invalid property type: {kind}", context={"type": [str(kind)]})
        if not isinstance(field_type, str) or not isinstance(group, str):
            raise bad_json("body.fieldType and body.groupName must be strings")
        if not isinstance(unique, bool):
            raise bad_json("body.hasUniqueValue must be a boolean")
        options: list[str] = []
        raw_options = body.get("options", [])
        if not isinstance(raw_options, list):
            raise bad_json("body.options must be a JSON array")
        for option in raw_options:
            value = option.get("value") if isinstance(option, dict) else None
            if not isinstance(value, str):
                raise bad_json("each option needs a string value")
            options.append(value)
        if name in tdef.properties:
            raise ApiError(
                409, f"A property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS"
            )
        if unique and len(tdef.unique_properties) - _builtin_unique(tdef) >= MAX_UNIQUE_PROPERTIES:
            raise ApiError(
                400,
                f"An object type can have at most {MAX_UNIQUE_PROPERTIES} unique-value properties",
                context={"hasUniqueValue": ["true"]},
            )
        prop = PropertyDef(
            name=name,
            type=kind,
            options=options,
            multiple=field_type == "checkbox",
            unique=unique,
        )
        self.store.add_property(tdef.object_type_id, prop)
        now = self.now()
        answer = {
            "name": name,
            "label": label,
            "type": kind,
            "fieldType": field_type,
            "groupName": group,
            "description": body.get("description", "")
            if isinstance(body.get("description"), str)
            else "",
            "options": [o for o in raw_options if isinstance(o, dict)],
            "hasUniqueValue": unique,
            "calculated": False,
            "externalOptions": False,
            "formField": False,
            "hidden": False,
            "displayOrder": -1,
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "modificationMetadata": {
                "archivable": True,
                "readOnlyDefinition": False,
                "readOnlyValue": False,
            },
        }
        return 201, answer, []


def _builtin_unique(tdef: ObjectTypeDef) -> int:
    """Unique properties a type has of its own (a contact's email), not counted in the 10."""
    return sum(1 for p in tdef.properties.values() if p.unique and p.email)


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [p.strip() for p in value.split(",") if p.strip()]
