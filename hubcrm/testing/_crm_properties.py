"""The properties API: a type's property definitions (list, read, create, update,
archive), on the groups and validation rules of :mod:`._crm_property_meta`."""

from __future__ import annotations

import re
from typing import Any

import attrs

from ._api_errors import ApiError, bad_json
from ._crm_core import Result
from ._crm_input import _expect_object
from ._crm_property_meta import CrmPropertyMeta
from ._schema import ObjectTypeDef, PropertyDef

__all__ = ["FIELD_TYPES", "MAX_UNIQUE_PROPERTIES", "CrmProperties"]

MAX_UNIQUE_PROPERTIES = 10
_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}\Z")
_PROPERTY_TYPES = ("string", "number", "bool", "enumeration", "date", "datetime", "phone_number")
#: HubSpot's field types (``PropertyCreate.fieldType``).
FIELD_TYPES = frozenset(
    {
        "booleancheckbox",
        "calculation_equation",
        "checkbox",
        "date",
        "file",
        "html",
        "number",
        "phonenumber",
        "radio",
        "select",
        "text",
        "textarea",
    }
)
_REQUIRED = ("name", "label", "type", "fieldType", "groupName")


def _not_found(tdef: ObjectTypeDef, name: str) -> ApiError:
    return ApiError(
        404,
        f"Unable to find property {name!r} for object type {tdef.name}",
        "OBJECT_NOT_FOUND",
    )


def _options(raw: Any) -> list[dict[str, Any]]:
    """The ``options`` of a create or update, checked: objects with a string value and
    label, no value twice."""
    if not isinstance(raw, list):
        raise bad_json("body.options must be a JSON array")
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, option in enumerate(raw):
        option = _expect_object(option, f"body.options[{i}]")
        value, label = option.get("value"), option.get("label")
        if not isinstance(value, str) or not isinstance(label, str):
            raise bad_json(f"body.options[{i}] needs a string label and value")
        if value in seen:
            raise ApiError(
                400,
                f"Duplicate option value '{value}' in property options",
                context={"value": [value]},
            )
        seen.add(value)
        order = option.get("displayOrder", -1)
        options.append(
            {
                "label": label,
                "value": value,
                "displayOrder": order if isinstance(order, int) else -1,
                "hidden": option.get("hidden") is True,
                "description": option.get("description", "")
                if isinstance(option.get("description"), str)
                else "",
            }
        )
    return options


class CrmProperties(CrmPropertyMeta):
    """``/crm/properties/2026-03/{objectType}[/{propertyName}]``, mixed into
    :class:`~._crm.Crm`."""

    def create_property(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST /crm/properties/2026-03/{objectType}``: a new property of a type."""
        body = _expect_object(body, "body")
        missing = [k for k in _REQUIRED if body.get(k) is None]
        if missing:
            raise bad_json(f"Some required fields were not set: [{', '.join(missing)}]")
        name = body["name"]
        label = body["label"]
        kind = body["type"]
        field_type = body["fieldType"]
        group = body["groupName"]
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
        if field_type not in FIELD_TYPES:
            raise ApiError(
                400,
                f"Invalid property fieldType: {field_type}",
                context={"fieldType": [str(field_type)]},
            )
        if not isinstance(group, str) or not group:
            raise bad_json("body.groupName must be a non-empty string")
        if not isinstance(unique, bool):
            raise bad_json("body.hasUniqueValue must be a boolean")
        options = _options(body.get("options", []))
        if kind == "enumeration" and not options:
            raise ApiError(
                400,
                f"Enumeration property '{name}' must have at least one option",
                context={"options": []},
            )
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
            options=[o["value"] for o in options],
            multiple=field_type == "checkbox",
            unique=unique,
        )
        self.store.add_property(tdef.object_type_id, prop)
        self.store.archived_properties.pop((tdef.object_type_id, name), None)
        now = self.now()
        description = body.get("description")
        order = body.get("displayOrder", -1)
        answer = {
            "name": name,
            "label": label,
            "type": kind,
            "fieldType": field_type,
            "groupName": group,
            "description": description if isinstance(description, str) else "",
            "options": options,
            "hasUniqueValue": unique,
            "calculated": False,
            "externalOptions": False,
            "formField": body.get("formField") is True,
            "hidden": body.get("hidden") is True,
            "displayOrder": order if isinstance(order, int) else -1,
            "hubspotDefined": False,
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

    def definition(self, tdef: ObjectTypeDef, name: str) -> dict[str, Any]:
        """HubSpot's ``Property`` for one property of the type (``ApiError`` 404 if none):
        what its create answered, or for a property of the type's own schema, HubSpot's
        definition as far as the emulator knows it; either way with what the emulator
        validates by (options, read-only, calculated, unique) as it is now."""
        prop = tdef.properties.get(name)
        if prop is None:
            raise _not_found(tdef, name)
        type_id = tdef.object_type_id
        hubspot = (type_id, name) in self.store.hubspot_defined
        answer = self.store.property_answers.get((type_id, name))
        if answer is None:
            answer = {
                "name": name,
                "label": name,
                "type": prop.type,
                "fieldType": "checkbox"
                if prop.multiple
                else ("calculation_equation" if prop.calculated else _FIELD_TYPES[prop.type]),
                "groupName": f"{tdef.singular}information",
                "description": "",
                "options": [],
                "displayOrder": -1,
                "hidden": False,
                "formField": False,
                "externalOptions": False,
                "hubspotDefined": hubspot,
                "archived": False,
            }
        answer = dict(answer)
        if [o["value"] for o in answer["options"]] != list(prop.options):
            answer["options"] = [
                {"label": o, "value": o, "displayOrder": i, "hidden": False, "description": ""}
                for i, o in enumerate(prop.options)
            ]
        answer["hasUniqueValue"] = prop.unique
        answer["externalOptions"] = prop.external_options
        answer["calculated"] = prop.calculated
        answer["modificationMetadata"] = {
            "archivable": not hubspot and not prop.read_only,
            "readOnlyDefinition": hubspot and (prop.read_only or prop.calculated),
            "readOnlyValue": prop.read_only or prop.calculated,
        }
        return answer

    def read_property(self, tdef: ObjectTypeDef, name: str) -> Result:
        """``GET /crm/properties/2026-03/{objectType}/{propertyName}``: one definition."""
        return 200, self.definition(tdef, name), []

    def list_properties(self, tdef: ObjectTypeDef, archived: bool) -> Result:
        """``GET /crm/properties/2026-03/{objectType}``: every (or every archived) one."""
        if archived:
            results = [
                dict(answer)
                for (type_id, _), answer in self.store.archived_properties.items()
                if type_id == tdef.object_type_id
            ]
        else:
            results = [self.definition(tdef, name) for name in tdef.properties]
        return 200, {"results": results}, []

    def update_property(self, tdef: ObjectTypeDef, name: str, body: Any) -> Result:
        """``PATCH …/{propertyName}``: change a definition (``PropertyUpdate``)."""
        body = _expect_object(body, "body")
        current = self.definition(tdef, name)
        prop = tdef.properties[name]
        if current["modificationMetadata"]["readOnlyDefinition"]:
            raise ApiError(
                400,
                f"Property '{name}' has a read-only definition and cannot be modified",
                context={"propertyName": [name]},
            )
        changed = dict(current)
        for key in ("label", "description", "groupName"):
            if key in body:
                if not isinstance(body[key], str) or (key != "description" and not body[key]):
                    raise bad_json(f"body.{key} must be a non-empty string")
                changed[key] = body[key]
        for key in ("hidden", "formField"):
            if key in body:
                if not isinstance(body[key], bool):
                    raise bad_json(f"body.{key} must be a boolean")
                changed[key] = body[key]
        if "displayOrder" in body:
            order = body["displayOrder"]
            if isinstance(order, bool) or not isinstance(order, int):
                raise bad_json("body.displayOrder must be an integer")
            changed["displayOrder"] = order
        if "type" in body and body["type"] != prop.type:
            raise ApiError(
                400,
                f"Changing the type of property '{name}' is not supported by the emulator",
                context={"type": [str(body["type"])]},
            )
        field_type = body.get("fieldType", current["fieldType"])
        if field_type not in FIELD_TYPES:
            raise ApiError(
                400,
                f"Invalid property fieldType: {field_type}",
                context={"fieldType": [str(field_type)]},
            )
        changed["fieldType"] = field_type
        options = prop.options
        if "options" in body:
            changed["options"] = _options(body["options"])
            options = tuple(o["value"] for o in changed["options"])
            if prop.type == "enumeration" and not options:
                raise ApiError(
                    400,
                    f"Enumeration property '{name}' must have at least one option",
                    context={"options": []},
                )
        changed["updatedAt"] = self.now()
        new = attrs.evolve(prop, options=options, multiple=field_type == "checkbox")
        if new != prop:
            self.store.add_property(tdef.object_type_id, new)
        self.store.property_answers[(tdef.object_type_id, name)] = changed
        return 200, self.definition(self.store.require(tdef.object_type_id), name), []

    def archive_property(self, tdef: ObjectTypeDef, name: str) -> Result:
        """``DELETE …/{propertyName}``: archive a property (204)."""
        current = self.definition(tdef, name)
        if not current["modificationMetadata"]["archivable"]:
            raise ApiError(
                400,
                f"Property '{name}' is defined by HubSpot and cannot be archived",
                context={"propertyName": [name]},
            )
        self.store.remove_property(tdef, name)
        key = (tdef.object_type_id, name)
        self.store.property_answers.pop(key, None)
        self.store.validation_rules.pop(key, None)
        now = self.now()
        self.store.archived_properties[key] = {
            **current,
            "archived": True,
            "archivedAt": now,
            "updatedAt": now,
        }
        return 204, {}, []


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
