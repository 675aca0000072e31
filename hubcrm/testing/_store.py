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
    "FIRST_ASSOCIATION_LABEL",
    "FIRST_CUSTOM_TYPE",
    "FIRST_OBJECT_ID",
    "INVERSE_ASSOCIATIONS",
    "Association",
    "Store",
    "StoredObject",
]

FIRST_OBJECT_ID = 1_000_001
FIRST_CUSTOM_TYPE = 1_000_001
FIRST_ASSOCIATION_LABEL = 1_001

# HUBSPOT_DEFINED type id -> the id of the same association read from the other side
INVERSE_ASSOCIATIONS = {
    1: 2, 2: 1, 279: 280, 280: 279, 3: 4, 4: 3, 5: 6, 6: 5, 341: 342, 342: 341,
    15: 16, 16: 15, 25: 26, 26: 25, 27: 28, 28: 27, 19: 20, 20: 19,
    201: 202, 202: 201, 203: 204, 204: 203,
}  # fmt: skip

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
        # (from type id, category, type id) -> the type id of the other direction, for
        # labels made in pairs (a label and its inverse)
        self.association_inverse: dict[tuple[str, str, int], int] = {}
        # (from type id, to type id, label name) -> the type id of a label made by the API
        self.association_names: dict[tuple[str, str, str], int] = {}
        self.next_association_label = FIRST_ASSOCIATION_LABEL
        # type id -> what a custom object schema says beyond its ObjectTypeDef
        self.schemas: dict[str, dict[str, Any]] = {}
        # (type id, property name) -> the definition a property create answered with
        self.property_answers: dict[tuple[str, str], dict[str, Any]] = {}
        # (type id, property name) -> the definition of an archived property
        self.archived_properties: dict[tuple[str, str], dict[str, Any]] = {}
        # type id -> {group name: PropertyGroup answer}, for groups made through the API
        self.property_groups: dict[str, dict[str, dict[str, Any]]] = {}
        # (type id, property name) -> its validation rules (PublicPropertyValidationRule)
        self.validation_rules: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # (type id, property name) of the properties HubSpot defines (not archivable)
        self.hubspot_defined: set[tuple[str, str]] = set()
        self.next_id = FIRST_OBJECT_ID
        self._next_custom = FIRST_CUSTOM_TYPE
        for tdef in standard_types():
            self._register(tdef)
            self.hubspot_defined.update((tdef.object_type_id, n) for n in tdef.properties)

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
        self.hubspot_defined.update(
            (type_id, n) for n in ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")
        )
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

    def remove_property(self, tdef: ObjectTypeDef, name: str) -> ObjectTypeDef:
        """Drop a property from a type (an archive): records keep their values."""
        properties = dict(tdef.properties)
        del properties[name]
        new = attrs.evolve(
            tdef,
            properties=properties,
            required=tuple(n for n in tdef.required if n != name),
            required_one_of=tuple(n for n in tdef.required_one_of if n != name),
        )
        self._register(new)
        self.unique.pop((tdef.object_type_id, name), None)
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

    def set_required(self, object_type: str, names: Iterable[str]) -> ObjectTypeDef:
        """Replace the properties a type needs at creation."""
        tdef = self.require(object_type)
        names = tuple(names)
        for name in names:
            if name not in tdef.properties:
                raise ValueError(f"required property {name!r} is not defined")
        new = attrs.evolve(tdef, required=names)
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
        self.next_association_label = max(self.next_association_label, type_id + 1)
        return definition

    def new_association_type_id(self) -> int:
        """A type id no association type of the portal uses yet."""
        used = {key[2] for key in self.association_types}
        while self.next_association_label in used:
            self.next_association_label += 1
        type_id = self.next_association_label
        self.next_association_label += 1
        return type_id

    def inverse_specs(
        self, from_type_id: str, to_type_id: str, specs: Iterable[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """The types of an association read from its ``to`` side: HubSpot's inverse ids,
        a label's inverse, or the same id where it is valid the other way round."""
        inverse: list[tuple[str, int]] = []
        for category, type_id in specs:
            if category == "HUBSPOT_DEFINED":
                other = INVERSE_ASSOCIATIONS.get(type_id)
                if other is not None:
                    inverse.append((category, other))
                continue
            other = self.association_inverse.get((from_type_id, category, type_id))
            if other is not None:
                inverse.append((category, other))
            elif self.association_target(to_type_id, category, type_id) == from_type_id:
                inverse.append((category, type_id))
        return inverse

    @staticmethod
    def link(obj: StoredObject, to_type: str, to_id: str, specs: Iterable[tuple[str, int]]) -> None:
        """Add association types from ``obj`` to one record (merged with those it has)."""
        specs = tuple(specs)
        for i, (t, oid, have) in enumerate(obj.associations):
            if t == to_type and oid == to_id:
                obj.associations[i] = (t, oid, tuple(dict.fromkeys([*have, *specs])))
                return
        obj.associations.append((to_type, to_id, specs))

    def link_both(
        self, obj: StoredObject, target: StoredObject, specs: Iterable[tuple[str, int]]
    ) -> None:
        """Associate two records, stored from both sides as HubSpot does."""
        specs = tuple(specs)
        self.link(obj, target.type_id, target.id, specs)
        inverse = self.inverse_specs(obj.type_id, target.type_id, specs)
        if inverse:
            self.link(target, obj.type_id, obj.id, inverse)

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
