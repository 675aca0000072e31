"""The properties API: defining a new property of an object type, and reading one."""

from __future__ import annotations

import re
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm_core import CrmCore, Result
from ._crm_input import _expect_object
from ._schema import ObjectTypeDef, PropertyDef

__all__ = ["MAX_UNIQUE_PROPERTIES", "CrmProperties"]

MAX_UNIQUE_PROPERTIES = 10
_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}\Z")
_PROPERTY_TYPES = ("string", "number", "bool", "enumeration", "date", "datetime", "phone_number")


class CrmProperties(CrmCore):
    """``POST /crm/properties/2026-03/{objectType}`` and ``GET .../{propertyName}``, mixed
    into :class:`~._crm.Crm`."""

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
        self.store.property_answers[(tdef.object_type_id, name)] = answer
        return 201, answer, []

    def read_property(self, tdef: ObjectTypeDef, name: str) -> Result:
        """``GET /crm/properties/2026-03/{objectType}/{propertyName}``: one definition."""
        answer = self.store.property_answers.get((tdef.object_type_id, name))
        if answer is not None and name in tdef.properties:
            return 200, answer, []
        prop = tdef.properties.get(name)
        if prop is None:
            raise ApiError(
                404,
                f"Unable to find property {name!r} for object type {tdef.name}",
                "OBJECT_NOT_FOUND",
            )
        # A property of the type's own schema: HubSpot's definition, as far as the
        # emulator knows it.
        return (
            200,
            {
                "name": name,
                "label": name,
                "type": prop.type,
                "fieldType": _FIELD_TYPES.get(prop.type, "text")
                if not prop.multiple
                else "checkbox",
                "groupName": f"{tdef.singular}information",
                "options": [{"label": o, "value": o} for o in prop.options],
                "externalOptions": prop.external_options,
                "hasUniqueValue": prop.unique,
                "calculated": False,
                "hidden": False,
                "archived": False,
            },
            [],
        )


_FIELD_TYPES = {
    "string": "text",
    "number": "number",
    "bool": "booleancheckbox",
    "enumeration": "select",
    "date": "date",
    "datetime": "date",
    "phone_number": "phonenumber",
}


def _builtin_unique(tdef: ObjectTypeDef) -> int:
    """Unique properties a type has of its own (a contact's email), not counted in the 10."""
    return sum(1 for p in tdef.properties.values() if p.unique and p.email)
