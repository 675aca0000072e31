"""The emulator's state: object types, stored objects, unique indexes, association types.

Nothing here locks: the emulator holds its lock around every call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ._schema import (
    HUBSPOT_DEFINED_ASSOCIATIONS,
    UNLABELED_ASSOCIATIONS,
    AssociationCategory,
    AssociationTypeDef,
    ObjectTypeDef,
    PropertyDef,
    standard_types,
    with_system_properties,
)

__all__ = [
    "FIRST_CUSTOM_TYPE",
    "FIRST_OBJECT_ID",
    "Association",
    "Store",
    "StoredObject",
]

FIRST_OBJECT_ID = 1_000_001
FIRST_CUSTOM_TYPE = 1_000_001

# (to object type id, to object id, ((category, type id), ...))
Association = tuple[str, str, tuple[tuple[str, int], ...]]


class StoredObject:
    """One stored record; ``properties`` includes the system ones."""

    __slots__ = (
        "associations",
        "created_at",
        "id",
        "properties",
        "search_versions",
        "type_id",
        "updated_at",
    )

    def __init__(
        self,
        object_id: str,
        type_id: str,
        properties: dict[str, str],
        created_at: str,
        associations: list[Association],
    ) -> None:
        self.id = object_id
        self.type_id = type_id
        self.properties = properties
        self.created_at = created_at
        self.updated_at = created_at
        self.associations = associations
        # What search sees while writes are being indexed: (visible from, on the clock's
        # monotonic time; properties; updatedAt), oldest first. Empty: search sees the
        # record as it is.
        self.search_versions: list[tuple[float, dict[str, str], str]] = []


class Store:
    """Object types and objects of one emulated portal."""

    def __init__(self, portal_id: int) -> None:
        self.portal_id = portal_id
        self._types: dict[str, ObjectTypeDef] = {}  # by lowercased name and by id
        self.objects: dict[str, dict[str, StoredObject]] = {}
        # archived records by type id: {object id: (record, archivedAt)}
        self.archived: dict[str, dict[str, tuple[StoredObject, str]]] = {}
        # (type id, property name) -> {normalized value: object id}
        self.unique: dict[tuple[str, str], dict[str, str]] = {}
        # (from type id, category, type id) -> definition (not HUBSPOT_DEFINED)
        self.association_types: dict[tuple[str, str, int], AssociationTypeDef] = {}
        # (type id, property name) -> the definition a property create answered with
        self.property_answers: dict[tuple[str, str], dict[str, Any]] = {}
        self.next_id = FIRST_OBJECT_ID
        self._next_custom = FIRST_CUSTOM_TYPE
        for tdef in standard_types():
            self._register(tdef)

    # --- object types ------------------------------------------------------------------

    def _register(self, tdef: ObjectTypeDef) -> None:
        self._types[tdef.object_type_id] = tdef
        self._types[tdef.name.lower()] = tdef
        self.objects.setdefault(tdef.object_type_id, {})
        self.archived.setdefault(tdef.object_type_id, {})
        for name in tdef.unique_properties:
            self.unique.setdefault((tdef.object_type_id, name), {})

    def resolve(self, key: str) -> ObjectTypeDef | None:
        """The type named by a path segment: a name (any case) or an id."""
        tdef = self._types.get(key)
        if tdef is None:
            tdef = self._types.get(key.lower())
        return tdef

    def require(self, key: str) -> ObjectTypeDef:
        """Like :meth:`resolve`, raising ``ValueError`` for an unknown type."""
        tdef = self.resolve(key)
        if tdef is None:
            raise ValueError(f"unknown object type {key!r}")
        return tdef

    def types(self) -> list[ObjectTypeDef]:
        """Every known type, once each."""
        return list({t.object_type_id: t for t in self._types.values()}.values())

    def define_type(
        self,
        name: str,
        properties: Iterable[PropertyDef],
        *,
        required: Iterable[str],
        singular: str | None,
        type_number: int | None,
        default_read_properties: Iterable[str] | None,
    ) -> ObjectTypeDef:
        """Declare a custom object type ``2-<n>`` / ``p<portal>_<name>``."""
        if not name or not name.replace("_", "").isalnum():
            raise ValueError("a custom object name is letters, digits and underscores")
        full_name = f"p{self.portal_id}_{name}".lower()
        if full_name in self._types:
            raise ValueError(f"object type {full_name!r} already exists")
        if type_number is None:
            type_number = self._next_custom
        type_id = f"2-{type_number}"
        if type_id in self._types:
            raise ValueError(f"object type {type_id!r} already exists")
        self._next_custom = max(self._next_custom, type_number + 1)
        props = with_system_properties(properties, "hs_createdate", "hs_lastmodifieddate")
        required = tuple(required)
        for req in required:
            if req not in props:
                raise ValueError(f"required property {req!r} is not defined")
        tdef = ObjectTypeDef(
            object_type_id=type_id,
            name=full_name,
            singular=singular or name,
            properties=props,
            required=required,
            default_read_properties=(
                None if default_read_properties is None else tuple(default_read_properties)
            ),
        )
        self._register(tdef)
        return tdef

    def add_property(self, object_type: str, prop: PropertyDef) -> ObjectTypeDef:
        """Add (or replace) a property of a type."""
        tdef = self.require(object_type)
        if prop.name in ("hs_object_id", tdef.created_property, tdef.modified_property):
            raise ValueError(f"{prop.name!r} is a system property")
        if prop.unique and self.objects[tdef.object_type_id]:
            values = [
                o.properties.get(prop.name) for o in self.objects[tdef.object_type_id].values()
            ]
            present = [v for v in values if v is not None]
            if len(present) != len(set(present)):
                raise ValueError(f"existing objects have duplicate values for {prop.name!r}")
        properties = dict(tdef.properties)
        properties[prop.name] = prop
        new = attrs.evolve(tdef, properties=properties)
        self._register(new)
        index = self.unique.get((new.object_type_id, prop.name))
        if index is not None and not index:
            for obj in self.objects[new.object_type_id].values():
                value = obj.properties.get(prop.name)
                if value is not None:
                    index[self.unique_key(prop, value)] = obj.id
        return new

    def set_required_one_of(self, object_type: str, names: Iterable[str]) -> ObjectTypeDef:
        """Replace the properties of which a type needs at least one at creation."""
        tdef = self.require(object_type)
        names = tuple(names)
        for name in names:
            if name not in tdef.properties:
                raise ValueError(f"property {name!r} is not defined")
        new = attrs.evolve(tdef, required_one_of=names)
        self._register(new)
        return new

    def define_association_type(
        self,
        from_type: str,
        to_type: str,
        type_id: int,
        category: AssociationCategory,
        label: str | None,
    ) -> AssociationTypeDef:
        """Declare a non-HUBSPOT_DEFINED association type id."""
        if category == "HUBSPOT_DEFINED":
            raise ValueError("HUBSPOT_DEFINED association types are built in")
        if category not in ("USER_DEFINED", "INTEGRATOR_DEFINED", "WORK"):
            raise ValueError(f"unknown association category {category!r}")
        if not 0 < type_id < 2**31:
            raise ValueError("association type ids are positive int32")
        definition = AssociationTypeDef(
            from_type_id=self.require(from_type).object_type_id,
            to_type_id=self.require(to_type).object_type_id,
            type_id=type_id,
            category=category,
            label=label,
        )
        self.association_types[(definition.from_type_id, category, type_id)] = definition
        return definition

    def association_target(self, from_type_id: str, category: str, type_id: int) -> str | None:
        """The ``to`` type an association type id implies from this type, if valid."""
        if category == "HUBSPOT_DEFINED":
            pair = HUBSPOT_DEFINED_ASSOCIATIONS.get(type_id)
            if pair is None or pair[0] != from_type_id:
                return None
            return pair[1]
        definition = self.association_types.get((from_type_id, category, type_id))
        return None if definition is None else definition.to_type_id

    def association_label(self, from_def: ObjectTypeDef, category: str, type_id: int) -> str:
        """The ``type`` a read's association results carry."""
        if category == "HUBSPOT_DEFINED":
            pair = HUBSPOT_DEFINED_ASSOCIATIONS[type_id]
            to_def = self.require(pair[1])
            label = f"{from_def.singular}_to_{to_def.singular}"
            return label + "_unlabeled" if type_id in UNLABELED_ASSOCIATIONS else label
        definition = self.association_types.get((from_def.object_type_id, category, type_id))
        if definition is not None and definition.label:
            return definition.label
        return str(type_id)

    # --- objects ---------------------------------------------------------------------

    @staticmethod
    def unique_key(prop: PropertyDef, value: str) -> str:
        """Index key of a unique value: emails compare case-insensitively."""
        return value.lower() if prop.email else value

    def clear(self) -> None:
        """Drop every object (types and association types stay; ids keep counting)."""
        for objects in self.objects.values():
            objects.clear()
        for archived in self.archived.values():
            archived.clear()
        for index in self.unique.values():
            index.clear()

    def index_all(self) -> None:
        """Make every pending write visible to search now."""
        for objects in self.objects.values():
            for obj in objects.values():
                obj.search_versions.clear()

    def render(self, obj: StoredObject, properties: dict[str, Any] | None = None) -> dict[str, Any]:
        """A ``SimplePublicObject``; ``properties`` overrides the full property map."""
        return {
            "id": obj.id,
            "properties": dict(obj.properties) if properties is None else properties,
            "createdAt": obj.created_at,
            "updatedAt": obj.updated_at,
            "archived": False,
        }

    def render_with_associations(self, obj: StoredObject) -> dict[str, Any]:
        """What :meth:`Emulator.objects` returns: the object plus its associations."""
        body = self.render(obj)
        body["associations"] = [
            {
                "toObjectTypeId": to_type,
                "toObjectId": to_id,
                "types": [
                    {"associationCategory": cat, "associationTypeId": tid} for cat, tid in types
                ],
            }
            for to_type, to_id, types in obj.associations
        ]
        return body
