"""Reading records: one by id or by a unique value, a batch of them, and their associations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm_core import CrmCore, Result
from ._crm_input import _expect_object, parse_batch
from ._schema import ObjectTypeDef, PropertyDef
from ._store import StoredObject

__all__ = ["CrmReads"]


def _not_found(tdef: ObjectTypeDef, object_id: str) -> ApiError:
    return ApiError(
        404,
        "Object not found.  objectId are usually numeric.",
        "OBJECT_NOT_FOUND",
        context={"id": [object_id]},
    )


class CrmReads(CrmCore):
    """``GET`` of one record and ``batch/read``, mixed into :class:`~._crm.Crm`."""

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

    def batch_read(self, tdef: ObjectTypeDef, body: Any, archived: bool = False) -> Result:
        """``POST .../{objectType}/batch/read``: by id or by a unique ``idProperty``;
        with ``?archived=true`` (``archived``) among archived records only.

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
        gone = self.store.archived[tdef.object_type_id]
        archived_at: dict[str, str] = {}
        if archived:
            objects = {key: entry[0] for key, entry in gone.items()}
            archived_at = {key: entry[1] for key, entry in gone.items()}
            if prop is not None:  # archived records leave the unique index: look them up
                index = {}
                for record in objects.values():
                    stored = record.properties.get(prop.name)
                    if stored is not None:
                        index.setdefault(self.store.unique_key(prop, stored), record.id)
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
                result = self.store.render(obj, self._read_properties(tdef, obj, names))
                if archived:
                    result["archived"] = True
                    result["archivedAt"] = archived_at[obj.id]
                results.append(result)
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


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [p.strip() for p in value.split(",") if p.strip()]
