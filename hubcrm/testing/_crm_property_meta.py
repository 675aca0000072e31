"""Around the property definitions: property groups and property validation rules.

Mixed into :class:`~._crm_properties.CrmProperties` (and so into :class:`~._crm.Crm`).
"""

from __future__ import annotations

import re
from typing import Any

from ._api_errors import ApiError, bad_json
from ._crm_core import CrmCore, Result
from ._crm_input import _expect_object
from ._schema import ObjectTypeDef

__all__ = ["CrmPropertyMeta", "main_group"]

_GROUP_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}\Z")


def main_group(tdef: ObjectTypeDef) -> dict[str, Any]:
    """The group every type has: ``contactinformation``, ``dealinformation``, ..."""
    return {
        "name": f"{tdef.singular}information",
        "label": f"{tdef.singular.capitalize()} information",
        "displayOrder": -1,
        "archived": False,
    }


class CrmPropertyMeta(CrmCore):
    """``…/{objectType}/groups[/{groupName}]`` and
    ``/crm/property-validations/2026-03/{objectTypeId}[/{propertyName}]``."""

    def _groups(self, tdef: ObjectTypeDef) -> dict[str, dict[str, Any]]:
        groups = self.store.property_groups.setdefault(tdef.object_type_id, {})
        main = main_group(tdef)
        groups.setdefault(main["name"], main)
        return groups

    def list_groups(self, tdef: ObjectTypeDef, _: Any = None) -> Result:
        """``GET …/{objectType}/groups``: every group of the type."""
        return 200, {"results": list(self._groups(tdef).values())}, []

    def read_group(self, tdef: ObjectTypeDef, name: str) -> Result:
        """``GET …/{objectType}/groups/{groupName}``."""
        group = self._groups(tdef).get(name)
        if group is None:
            raise ApiError(
                404,
                f"Unable to find property group {name!r} for object type {tdef.name}",
                "OBJECT_NOT_FOUND",
            )
        return 200, group, []

    def create_group(self, tdef: ObjectTypeDef, body: Any) -> Result:
        """``POST …/{objectType}/groups``: a new property group."""
        body = _expect_object(body, "body")
        name = body.get("name")
        label = body.get("label")
        order = body.get("displayOrder", -1)
        missing = [k for k in ("name", "label") if body.get(k) is None]
        if missing:
            raise bad_json(f"Some required fields were not set: [{', '.join(missing)}]")
        if not isinstance(name, str) or not _GROUP_NAME.match(name):
            raise ApiError(
                400,
                "Property group name must start with a lowercase letter and hold only "
                "lowercase letters, digits and underscores",
                context={"name": [str(name)]},
            )
        if not isinstance(label, str) or not label:
            raise bad_json("body.label must be a non-empty string")
        if isinstance(order, bool) or not isinstance(order, int):
            raise bad_json("body.displayOrder must be an integer")
        groups = self._groups(tdef)
        if name in groups:
            raise ApiError(
                409, f"A property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS"
            )
        group = {"name": name, "label": label, "displayOrder": order, "archived": False}
        groups[name] = group
        return 201, group, []

    def read_validations(self, tdef: ObjectTypeDef, _: Any = None) -> Result:
        """``GET /crm/property-validations/2026-03/{objectTypeId}``: rules by property."""
        results = [
            {"propertyName": name, "propertyValidationRules": list(rules)}
            for (type_id, name), rules in self.store.validation_rules.items()
            if type_id == tdef.object_type_id and rules
        ]
        return 200, {"results": results}, []

    def read_property_validations(self, tdef: ObjectTypeDef, name: str) -> Result:
        """``GET …/{objectTypeId}/{propertyName}``: one property's rules."""
        if name not in tdef.properties:
            raise ApiError(
                404,
                f"Unable to find property {name!r} for object type {tdef.name}",
                "OBJECT_NOT_FOUND",
            )
        rules = self.store.validation_rules.get((tdef.object_type_id, name), [])
        return 200, {"results": list(rules)}, []
