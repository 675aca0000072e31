"""Custom object schemas as users' type checkers see it: crm.schemas (list, get,
create), ObjectSchema, ObjectTypeLabels and SchemaAssociation.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubcrm import (
    AsyncHubCRM,
    AsyncSchemas,
    CrmProperty,
    HubCRM,
    ObjectSchema,
    ObjectTypeLabels,
    SchemaAssociation,
    Schemas,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type

LABELS = ObjectTypeLabels(singular="Car", plural="Cars")
VIN = CrmProperty(
    name="vin", label="VIN", type="string", field_type="text", group_name="", unique=True
)


def schema_fields(schema: ObjectSchema, link: SchemaAssociation) -> None:
    assert_type(schema.object_type_id, str)
    assert_type(schema.fully_qualified_name, str)
    assert_type(schema.name, str)
    assert_type(schema.labels, ObjectTypeLabels)
    assert_type(schema.labels.singular, str)
    assert_type(schema.labels.plural, str)
    assert_type(schema.required_properties, tuple[str, ...])
    assert_type(schema.primary_display_property, str | None)
    assert_type(schema.searchable_properties, tuple[str, ...])
    assert_type(schema.secondary_display_properties, tuple[str, ...])
    assert_type(schema.properties, tuple[CrmProperty, ...])
    assert_type(schema.associations, tuple[SchemaAssociation, ...])
    assert_type(schema.archived, bool)
    assert_type(link.id, str)
    assert_type(link.from_object_type_id, str)
    assert_type(link.to_object_type_id, str)
    assert_type(link.name, str | None)


async def async_schemas(crm: AsyncHubCRM) -> None:
    schemas = crm.schemas
    assert_type(schemas, AsyncSchemas)
    assert_type(await schemas.list(), list[ObjectSchema])
    assert_type(await schemas.list(archived=True), list[ObjectSchema])
    assert_type(await schemas.get("2-123"), ObjectSchema)
    made = await schemas.create(
        "cars",
        labels=LABELS,
        properties=[VIN, {"name": "model", "label": "Model", "type": "string"}],
        primary_display_property="vin",
        required_properties=["vin"],
        searchable_properties=("vin",),
        secondary_display_properties=["model"],
        associated_objects=["CONTACT"],
        description="Cars",
    )
    assert_type(made, ObjectSchema)


def sync_schemas(crm: HubCRM) -> None:
    schemas = crm.schemas
    assert_type(schemas, Schemas)
    assert_type(schemas.list(), list[ObjectSchema])
    assert_type(schemas.get("p1234_cars"), ObjectSchema)
    assert_type(schemas.create("cars", labels=LABELS, properties=[VIN]), ObjectSchema)
