"""The objects API itself: create, batch create and batch upsert, and batch semantics.

:class:`Crm` is the whole of it: the reads (``_crm_reads.py``) and the properties API
(``_crm_properties.py``) are mixed in, on the state, validation and commit of
:class:`~._crm_core.CrmCore`. Every public method runs synchronously under the
emulator's lock and either returns ``(status, body, committed ids)`` or raises
:class:`ApiError` for a whole-request error.
"""

from __future__ import annotations

from typing import Any

from ._api_errors import ApiError
from ._crm_core import Result, _Prepared
from ._crm_input import _Input, parse_batch, parse_create, parse_upsert
from ._crm_properties import CrmProperties
from ._crm_reads import CrmReads
from ._schema import ObjectTypeDef

__all__ = ["Crm"]


def _independent(inputs: list[_Input]) -> bool:
    """HubSpot answers per input only when every input has its own trace id."""
    seen: set[str] = set()
    for item in inputs:
        if item.trace_id is None or item.trace_id in seen:
            return False
        seen.add(item.trace_id)
    return True


class Crm(CrmReads, CrmProperties):
    """Create, batch create, batch upsert and read against a :class:`Store`."""

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
