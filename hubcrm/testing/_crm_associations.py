"""Associations between existing records: create (labelled or default), list, delete, labels.

Mixed into :class:`~._crm_records.CrmRecords`. An association made from one side is
linked from the other side too, under the inverse type where there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

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
from ._store import INVERSE_ASSOCIATIONS, Association, StoredObject

__all__ = [
    "INVERSE_ASSOCIATIONS",
    "MAX_ASSOCIATION_LIMIT",
    "PRIMARY_ASSOCIATIONS",
    "CrmAssociations",
]

MAX_ASSOCIATION_LIMIT = 500
PRIMARY_ASSOCIATIONS = frozenset((1, 2, 5, 6, 25, 26))


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

    def _associate(
        self,
        from_def: ObjectTypeDef,
        obj: StoredObject,
        to_def: ObjectTypeDef,
        target: StoredObject,
        specs: list[tuple[str, int]],
    ) -> list[str]:
        self.crm.store.link_both(obj, target, specs)
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
        """``POST /crm/associations/{v}/{from}/{to}/batch/archive``: 200 with a
        ``BatchResponse`` (HubSpot's 2026-03 answer; no result per input)."""
        raw = parse_batch(body)
        started = self.crm.now()
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
        answer = {
            "status": "COMPLETE",
            "results": [],
            "startedAt": started,
            "completedAt": self.crm.now(),
        }
        return 200, answer, []

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

    # --- labels: USER_DEFINED association types made through the API ------------------------

    def _user_label(self, from_def: ObjectTypeDef, to_def: ObjectTypeDef, type_id: int) -> Any:
        definition = self.crm.store.association_types.get(
            (from_def.object_type_id, "USER_DEFINED", type_id)
        )
        if definition is None or definition.to_type_id != to_def.object_type_id:
            raise ApiError(
                404,
                f"No USER_DEFINED association label with type id {type_id} from "
                f"{from_def.name} to {to_def.name}",
                "OBJECT_NOT_FOUND",
                context={"associationTypeId": [str(type_id)]},
            )
        return definition

    def create_label(self, from_def: ObjectTypeDef, to_def: ObjectTypeDef, body: Any) -> Result:
        """``POST .../{from}/{to}/labels``: a USER_DEFINED label (and its inverse): 200
        with the type ids made, the ``from`` side's first."""
        if not isinstance(body, dict):
            raise bad_json("body must be a JSON object")
        label, name, inverse = body.get("label"), body.get("name"), body.get("inverseLabel")
        if not isinstance(label, str) or not label.strip():
            raise bad_json("body.label is required")
        if not isinstance(name, str) or not name.strip():
            raise bad_json("body.name is required")
        if inverse is not None and (not isinstance(inverse, str) or not inverse.strip()):
            raise bad_json("body.inverseLabel must be a non-empty string")
        store = self.crm.store
        from_id, to_id = from_def.object_type_id, to_def.object_type_id
        if (from_id, to_id, name) in store.association_names:
            raise ApiError(
                409,
                f"An association label named {name!r} already exists from {from_def.name} "
                f"to {to_def.name}",
                "OBJECT_ALREADY_EXISTS",
                context={"name": [name]},
            )
        there = store.new_association_type_id()
        store.define_association_type(from_id, to_id, there, "USER_DEFINED", label)
        rows = [{"category": "USER_DEFINED", "typeId": there, "label": label}]
        if from_id != to_id or inverse is not None:
            back = store.new_association_type_id()
            store.define_association_type(to_id, from_id, back, "USER_DEFINED", inverse or label)
            store.association_inverse[(from_id, "USER_DEFINED", there)] = back
            store.association_inverse[(to_id, "USER_DEFINED", back)] = there
            rows.append({"category": "USER_DEFINED", "typeId": back, "label": inverse or label})
        store.association_names[(from_id, to_id, name)] = there
        return 200, {"results": rows}, []

    def update_label(self, from_def: ObjectTypeDef, to_def: ObjectTypeDef, body: Any) -> Result:
        """``PUT .../{from}/{to}/labels``: rename a label (and its inverse): 204."""
        if not isinstance(body, dict):
            raise bad_json("body must be a JSON object")
        type_id, label, inverse = (
            body.get("associationTypeId"),
            body.get("label"),
            body.get("inverseLabel"),
        )
        if isinstance(type_id, bool) or not isinstance(type_id, int):
            raise bad_json("body.associationTypeId must be an integer")
        if not isinstance(label, str) or not label.strip():
            raise bad_json("body.label is required")
        if inverse is not None and (not isinstance(inverse, str) or not inverse.strip()):
            raise bad_json("body.inverseLabel must be a non-empty string")
        store = self.crm.store
        definition = self._user_label(from_def, to_def, type_id)
        key = (from_def.object_type_id, "USER_DEFINED", type_id)
        store.association_types[key] = attrs.evolve(definition, label=label)
        back = store.association_inverse.get(key)
        if back is not None and inverse is not None:
            back_key = (to_def.object_type_id, "USER_DEFINED", back)
            store.association_types[back_key] = attrs.evolve(
                store.association_types[back_key], label=inverse
            )
        return 204, {}, []

    def delete_label(self, from_def: ObjectTypeDef, to_def: ObjectTypeDef, type_id: int) -> Result:
        """``DELETE .../{from}/{to}/labels/{associationTypeId}``: the label and its inverse
        are gone, and so are they from the associations that carried them: 204."""
        store = self.crm.store
        self._user_label(from_def, to_def, type_id)
        key = (from_def.object_type_id, "USER_DEFINED", type_id)
        gone = {key: to_def.object_type_id}  # (owner type, category, id) -> to type
        back = store.association_inverse.pop(key, None)
        if back is not None:
            back_key = (to_def.object_type_id, "USER_DEFINED", back)
            store.association_inverse.pop(back_key, None)
            gone[back_key] = from_def.object_type_id
        for dead in gone:
            store.association_types.pop(dead, None)
        for names_key, named in list(store.association_names.items()):
            if (names_key[0], "USER_DEFINED", named) in gone:
                del store.association_names[names_key]
        for (owner_type, _, dead_id), target_type in gone.items():
            for obj in store.objects[owner_type].values():
                kept: list[Association] = []
                for to_type, to_id, specs in obj.associations:
                    if to_type == target_type:
                        specs = tuple(x for x in specs if x != ("USER_DEFINED", dead_id))
                    if specs:
                        kept.append((to_type, to_id, specs))
                obj.associations[:] = kept
        return 204, {}, []
