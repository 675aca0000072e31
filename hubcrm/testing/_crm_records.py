"""The calls around creation: update, archive, list, search, and associations.

:class:`CrmRecords` updates and archives records itself; listing and searching
(``_crm_search.py``) and associations (``_crm_associations.py``) are mixed in. Like
:mod:`._crm`, every method runs synchronously under the emulator's lock and returns
``(status, body, committed ids)`` or raises :class:`ApiError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm import Crm, _independent
from ._crm_associations import CrmAssociations
from ._crm_core import Result, _Prepared
from ._crm_input import _Input, parse_batch, parse_upsert
from ._crm_input import _parse_properties as parse_properties
from ._crm_reads import _not_found
from ._crm_search import CrmSearch
from ._schema import ObjectTypeDef
from ._store import StoredObject

__all__ = ["CrmRecords"]


class CrmRecords(CrmSearch, CrmAssociations):
    """Update, archive, list, search and associate against the same store as :class:`Crm`."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    # --- finding -----------------------------------------------------------------------

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
