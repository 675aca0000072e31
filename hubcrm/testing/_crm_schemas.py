"""The custom object schemas API: list, read and create schemas.

A schema made here is an object type like one declared with
:meth:`Emulator.define_object_type`: records of it are created, read and searched by its
id (``2-<n>``) or its fully qualified name (``p<portal>_<name>``), and its required
properties are enforced on create. Every custom type, however declared, is listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm import Crm
from ._crm_core import Result
from ._crm_input import _expect_object
from ._schema import ObjectTypeDef

__all__ = ["MAX_SCHEMA_UNIQUE_PROPERTIES", "CrmSchemas"]

MAX_SCHEMA_UNIQUE_PROPERTIES = 10
_SCHEMA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}\Z")
_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}\Z")
_PROPERTY_TYPES = ("string", "number", "bool", "enumeration", "date", "datetime", "phone_number")
_SYSTEM_PROPERTIES = frozenset(("hs_object_id", "hs_createdate", "hs_lastmodifieddate"))


def _names(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_json(f"body.{key} must be a JSON array of strings")
    return list(value)


class CrmSchemas:
    """``/crm-object-schemas/2026-03/schemas``: the custom object types of the portal."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    def _custom(self, key: str) -> ObjectTypeDef:
        tdef = self.crm.store.resolve(key)
        if tdef is None or not tdef.object_type_id.startswith("2-"):
            raise ApiError(
                404,
                f"Unable to find object type {key!r}: it is not a custom object schema "
                "of this portal",
                "OBJECT_NOT_FOUND",
                context={"objectType": [key]},
            )
        return tdef

    def _render(self, tdef: ObjectTypeDef) -> dict[str, Any]:
        store = self.crm.store
        meta = store.schemas.get(tdef.object_type_id, {})
        prefix = f"p{store.portal_id}_"
        name = meta.get("name") or tdef.name.removeprefix(prefix)
        properties = [
            self.crm.read_property(tdef, prop)[1]
            for prop in tdef.properties
            if prop not in _SYSTEM_PROPERTIES
        ]
        now = meta.get("createdAt") or self.crm.now()
        return {
            "id": tdef.object_type_id.split("-", 1)[1],
            "objectTypeId": tdef.object_type_id,
            "fullyQualifiedName": tdef.name,
            "name": name,
            "labels": meta.get("labels") or {"singular": tdef.singular, "plural": name},
            "description": meta.get("description", ""),
            "requiredProperties": list(tdef.required),
            "searchableProperties": meta.get("searchableProperties", []),
            "secondaryDisplayProperties": meta.get("secondaryDisplayProperties", []),
            "primaryDisplayProperty": meta.get("primaryDisplayProperty"),
            "properties": properties,
            "associations": meta.get("associations", []),
            "allowsSensitiveProperties": False,
            "archived": False,
            "createdAt": now,
            "updatedAt": now,
        }

    def list_schemas(self, query: Mapping[str, str]) -> Result:
        """``GET .../schemas``: every custom type (none is archived in the emulator)."""
        if query.get("archived", "").lower() == "true":
            return 200, {"results": []}, []
        types = [t for t in self.crm.store.types() if t.object_type_id.startswith("2-")]
        types.sort(key=lambda t: int(t.object_type_id.split("-", 1)[1]))
        return 200, {"results": [self._render(t) for t in types]}, []

    def get_schema(self, key: str) -> Result:
        """``GET .../schemas/{objectType}``: by id or fully qualified name; 404 if none."""
        return 200, self._render(self._custom(key)), []

    def create_schema(self, body: Any) -> Result:
        """``POST .../schemas``: a new custom object type, usable at once (201)."""
        body = _expect_object(body, "body")
        store = self.crm.store
        name = body.get("name")
        if not isinstance(name, str) or not _SCHEMA_NAME.match(name):
            raise ApiError(
                400,
                "A schema name starts with a letter and holds only letters, digits and underscores",
                context={"name": [str(name)]},
            )
        labels = body.get("labels")
        if not isinstance(labels, dict) or not all(
            isinstance(labels.get(k), str) and labels.get(k) for k in ("singular", "plural")
        ):
            raise bad_json("body.labels needs a singular and a plural label")
        raw_properties = body.get("properties", [])
        if not isinstance(raw_properties, list):
            raise bad_json("body.properties must be a JSON array")
        defined: dict[str, dict[str, Any]] = {}
        for i, prop in enumerate(raw_properties):
            prop = _expect_object(prop, f"body.properties[{i}]")
            prop_name = prop.get("name")
            if not isinstance(prop_name, str) or not _PROPERTY_NAME.match(prop_name):
                raise ApiError(
                    400,
                    f"properties[{i}]: a property name starts with a lowercase letter and "
                    "holds only lowercase letters, digits and underscores",
                    context={"name": [str(prop_name)]},
                )
            if prop_name in defined or prop_name in _SYSTEM_PROPERTIES:
                raise ApiError(
                    400,
                    f"Property {prop_name!r} is defined twice (or is a system property)",
                    context={"name": [prop_name]},
                )
            for key in ("label", "fieldType"):
                if not isinstance(prop.get(key), str) or not prop.get(key):
                    raise bad_json(f"body.properties[{i}].{key} is required")
            if prop.get("type") not in _PROPERTY_TYPES:
                raise ApiError(
                    400,
                    f"properties[{i}]: invalid property type: {prop.get('type')}",
                    context={"type": [str(prop.get("type"))]},
                )
            if not isinstance(prop.get("hasUniqueValue", False), bool):
                raise bad_json(f"body.properties[{i}].hasUniqueValue must be a boolean")
            defined[prop_name] = prop
        if sum(1 for p in defined.values() if p.get("hasUniqueValue")) > (
            MAX_SCHEMA_UNIQUE_PROPERTIES
        ):
            raise ApiError(
                400,
                f"An object type can have at most {MAX_SCHEMA_UNIQUE_PROPERTIES} "
                "unique-value properties",
            )
        named = {
            key: _names(body, key)
            for key in ("requiredProperties", "searchableProperties", "secondaryDisplayProperties")
        }
        primary = body.get("primaryDisplayProperty")
        if primary is not None and not isinstance(primary, str):
            raise bad_json("body.primaryDisplayProperty must be a string")
        for key, names in [
            *named.items(),
            ("primaryDisplayProperty", [primary] if primary else []),
        ]:
            for prop_name in names:
                if prop_name not in defined:
                    raise ApiError(
                        400,
                        f"{key} names {prop_name!r}, which is not one of the schema's properties",
                        context={key: [prop_name]},
                    )
        associated: list[ObjectTypeDef] = []
        for key in _names(body, "associatedObjects"):
            found = store.resolve(key) or next(
                (t for t in store.types() if t.singular.lower() == key.lower()), None
            )
            if found is None:
                raise ApiError(
                    400,
                    f"associatedObjects names {key!r}, which is not an object type",
                    context={"associatedObjects": [key]},
                )
            associated.append(found)
        full_name = f"p{store.portal_id}_{name}".lower()
        if store.resolve(full_name) is not None:
            raise ApiError(
                409,
                f"An object type named {name!r} already exists ({full_name})",
                "OBJECT_ALREADY_EXISTS",
            )
        # Everything is checked: from here on nothing fails.
        tdef = store.define_type(
            name,
            [],
            required=(),
            singular=labels["singular"],
            type_number=None,
            default_read_properties=None,
        )
        type_id = tdef.object_type_id
        for prop in defined.values():
            # A schema's property may leave its group out: it goes to the type's own.
            group = prop.get("groupName") or f"{name}_information"
            self.crm.create_property(store.require(type_id), {**prop, "groupName": group})
        store.set_required(type_id, named["requiredProperties"])
        now = self.crm.now()
        associations: list[dict[str, Any]] = []
        for other in associated:
            there = store.new_association_type_id()
            store.define_association_type(
                type_id, other.object_type_id, there, "USER_DEFINED", None
            )
            back = store.new_association_type_id()
            store.define_association_type(other.object_type_id, type_id, back, "USER_DEFINED", None)
            store.association_inverse[(type_id, "USER_DEFINED", there)] = back
            store.association_inverse[(other.object_type_id, "USER_DEFINED", back)] = there
            associations.append(
                {
                    "id": str(there),
                    "fromObjectTypeId": type_id,
                    "toObjectTypeId": other.object_type_id,
                    "name": f"{tdef.name}_to_{other.name}",
                    "createdAt": now,
                    "updatedAt": now,
                }
            )
        store.schemas[type_id] = {
            "name": name,
            "labels": {"singular": labels["singular"], "plural": labels["plural"]},
            "description": body.get("description")
            if isinstance(body.get("description"), str)
            else "",
            "searchableProperties": named["searchableProperties"],
            "secondaryDisplayProperties": named["secondaryDisplayProperties"],
            "primaryDisplayProperty": primary,
            "associations": associations,
            "createdAt": now,
        }
        return 201, self._render(store.require(type_id)), []
