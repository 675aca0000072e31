"""Associations between existing records: create (labelled or default), list, delete, labels.

Mixed into :class:`~._crm_records.CrmRecords`. An association made from one side is
linked from the other side too, under the inverse type where there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm import Crm
from ._crm_core import Result
from ._crm_input import _int_param, parse_batch
from ._crm_reads import _not_found
from ._schema import (
    ASSOCIATION_CATEGORIES,
    HUBSPOT_DEFINED_ASSOCIATIONS,
    UNLABELED_ASSOCIATIONS,
    ObjectTypeDef,
)
from ._store import Association, StoredObject

__all__ = [
    "INVERSE_ASSOCIATIONS",
    "MAX_ASSOCIATION_LIMIT",
    "PRIMARY_ASSOCIATIONS",
    "CrmAssociations",
]

MAX_ASSOCIATION_LIMIT = 500
PRIMARY_ASSOCIATIONS = frozenset((1, 2, 5, 6, 25, 26))
# HUBSPOT_DEFINED type id -> the id of the same association read from the other side
INVERSE_ASSOCIATIONS = {
    1: 2, 2: 1, 279: 280, 280: 279, 3: 4, 4: 3, 5: 6, 6: 5, 341: 342, 342: 341,
    15: 16, 16: 15, 25: 26, 26: 25, 27: 28, 28: 27, 19: 20, 20: 19,
    201: 202, 202: 201, 203: 204, 204: 203,
}  # fmt: skip


def _numeric_id(object_id: str) -> Any:
    return int(object_id) if object_id.isdigit() else object_id


class CrmAssociations:
    """The associations endpoints on records, and the labels between two object types."""

    crm: Crm

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
