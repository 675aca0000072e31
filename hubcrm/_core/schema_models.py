"""Custom object schemas, as ``crm.schemas`` reads them (attrs models, read by cattrs)."""

from __future__ import annotations

import attrs

from .property_models import CrmProperty

__all__ = ["ObjectSchema", "ObjectTypeLabels", "SchemaAssociation"]


@attrs.frozen(kw_only=True)
class ObjectTypeLabels:
    """The names HubSpot's UI gives the records of a type.

    Attributes:
        singular: The word for one record (``"Car"``).
        plural: The word for several (``"Cars"``).
    """

    singular: str
    plural: str


@attrs.frozen(kw_only=True)
class SchemaAssociation:
    """An association definition of a custom object schema: which types it links.

    Attributes:
        id: The association definition's id.
        from_object_type_id: The type associated from (``"2-123"``).
        to_object_type_id: The type associated to (``"0-1"``).
        name: Its name, when HubSpot gives one.
    """

    id: str
    from_object_type_id: str
    to_object_type_id: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class ObjectSchema:
    """A custom object type of the portal, as its schema describes it.

    Records of the type are created, read and searched by ``object_type_id``
    (``"2-123"``) or ``fully_qualified_name`` (``"p1234_cars"``), as any other type.

    Attributes:
        object_type_id: The type's id, ``"2-<n>"``.
        fully_qualified_name: ``"p<portal id>_<name>"``.
        name: The name the schema was created with (``"cars"``).
        labels: The singular and plural labels.
        required_properties: The properties every new record must set: HubSpot refuses
            a create that leaves one out.
        primary_display_property: The property HubSpot shows as the record's name.
        searchable_properties: The properties HubSpot's product search indexes.
        secondary_display_properties: Properties shown under the record's name.
        properties: The type's property definitions.
        associations: The association definitions between the type and others.
        archived: Whether the schema is archived.
    """

    object_type_id: str
    fully_qualified_name: str
    name: str
    labels: ObjectTypeLabels
    required_properties: tuple[str, ...] = ()
    primary_display_property: str | None = None
    searchable_properties: tuple[str, ...] = ()
    secondary_display_properties: tuple[str, ...] = ()
    properties: tuple[CrmProperty, ...] = ()
    associations: tuple[SchemaAssociation, ...] = ()
    archived: bool = False
