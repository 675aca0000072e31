"""AsyncSchemas: the custom object schemas of a portal (``crm.schemas``)."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .._core.config import RequestOptions
from .._core.convert import _parse_error, converter
from .._core.errors import ConflictError, HubCRMError, OutcomeUnknownError, ResponseParseError
from .._core.property_models import CrmProperty
from .._core.schema_models import ObjectSchema, ObjectTypeLabels, SchemaAssociation
from .._core.values import type_name
from .._http.retry import RequestKind, Retrier
from .._http.safety import FailureClass, classify
from .._http.session import object_type_segment
from .._write.recovery import settles_creates
from .paging import page_results
from .property_parts import load_property

__all__ = ["AsyncSchemas", "ObjectSchema", "ObjectTypeLabels", "SchemaAssociation"]

_SCHEMA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _property_json(prop: CrmProperty | Mapping[str, Any], where: str) -> dict[str, Any]:
    if isinstance(prop, CrmProperty):
        body: dict[str, Any] = {
            "name": prop.name,
            "label": prop.label,
            "type": prop.type,
            "fieldType": prop.field_type,
            "hasUniqueValue": prop.unique,
        }
        if prop.group_name:
            body["groupName"] = prop.group_name
        return body
    if isinstance(prop, Mapping):
        if not isinstance(prop.get("name"), str) or not prop["name"]:
            raise ValueError(f"{where} has no name")
        return dict(prop)
    raise TypeError(
        f"{where} must be a CrmProperty or a mapping in HubSpot's form, not {type_name(prop)}"
    )


def _names(value: Iterable[str], what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be an iterable of property names, not {type_name(value)}")
    names = list(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{what} must hold non-empty str names, found {name!r}")
    return names


def _types(value: Iterable[str]) -> list[str]:
    types = _names(value, "associated_objects")
    for object_type in types:
        object_type_segment(object_type)  # validates it
    return types


def _load_schema(data: Any) -> ObjectSchema:
    if not isinstance(data, Mapping):
        raise ResponseParseError(f"a schema answer is not a JSON object, but {type_name(data)}")
    raw_properties = data.get("properties") or []
    if not isinstance(raw_properties, list):
        raise ResponseParseError("a schema answer's properties is not a list", field="properties")
    rest = {k: v for k, v in data.items() if k != "properties"}
    try:
        schema: ObjectSchema = converter.structure(rest, ObjectSchema)
    except Exception as exc:
        raise _parse_error(rest, ObjectSchema, exc) from exc
    return attrs.evolve(schema, properties=tuple(load_property(p) for p in raw_properties))


class AsyncSchemas:
    """Custom object schemas: list, read and create the portal's custom object types.

    Reached as ``crm.schemas`` on a client; not constructed directly. A schema's type is
    then used like any other: ``crm.objects.create("p1234_cars", ...)`` or
    ``crm.objects.create("2-123", ...)``.
    """

    def __init__(self, retrier: Retrier, api_version: str, options: RequestOptions) -> None:
        self._retrier = retrier
        self._options = options
        self._path = f"/crm-object-schemas/{api_version}/schemas"

    async def list(self, *, archived: bool = False) -> builtins.list[ObjectSchema]:
        """Every custom object schema of the portal (HubSpot answers them in one page).

        Args:
            archived: list the archived schemas instead of the live ones.

        Returns:
            The schemas, with their properties and association definitions.

        Raises:
            APIError: HubSpot refused the request (a token without the schemas scope).
        """
        if not isinstance(archived, bool):
            raise TypeError(f"archived must be a bool, not {type_name(archived)}")
        response = await self._retrier.request(
            "GET",
            self._path,
            kind=RequestKind.READ,
            params={"archived": "true" if archived else "false"},
            options=self._options,
        )
        return [_load_schema(item) for item in page_results(response.json(), self._path)]

    async def get(self, object_type: str) -> ObjectSchema:
        """One custom object schema.

        Args:
            object_type: the type's id (``"2-123"``) or fully qualified name
                (``"p1234_cars"``).

        Raises:
            TypeError, ValueError: ``object_type`` is malformed (checked first).
            NotFoundError: the portal has no such custom object type.
        """
        path = f"{self._path}/{object_type_segment(object_type)}"
        response = await self._retrier.request(
            "GET", path, kind=RequestKind.READ, options=self._options
        )
        return _load_schema(response.json())

    async def create(
        self,
        name: str,
        *,
        labels: ObjectTypeLabels,
        properties: Iterable[CrmProperty | Mapping[str, Any]],
        primary_display_property: str | None = None,
        required_properties: Iterable[str] = (),
        searchable_properties: Iterable[str] = (),
        secondary_display_properties: Iterable[str] = (),
        associated_objects: Iterable[str] = (),
        description: str | None = None,
    ) -> ObjectSchema:
        """Create a custom object type.

        Args:
            name: the schema's name, unique in the portal: a letter, then letters,
                digits and underscores (``"cars"``; its fully qualified name is then
                ``"p<portal id>_cars"``).
            labels: the singular and plural labels (HubSpot never changes them later).
            properties: the type's property definitions: ``CrmProperty`` values, or
                mappings in HubSpot's form (``{"name", "label", "type", "fieldType",
                ...}``) for what ``CrmProperty`` does not hold (options, ...).
            primary_display_property: the property shown as a record's name.
            required_properties: properties every new record must set.
            searchable_properties: properties HubSpot's product search indexes.
            secondary_display_properties: properties shown under a record's name.
            associated_objects: types the new type can be associated with
                (``"CONTACT"``, ``"COMPANY"``, or type ids such as ``"0-1"``).
            description: a description of the type.

        Every property ``required_properties``, ``primary_display_property``,
        ``searchable_properties`` and ``secondary_display_properties`` name must be one
        of ``properties``: checked before anything is sent.

        A create that fails ambiguously (a 502 or 504, a connection dropped after
        sending, an unreadable answer) is settled by reading the schemas and looking for
        ``name``, which HubSpot keeps unique in a portal: found with the requested
        labels and required properties, it is returned as created; found with others, a
        ``ConflictError`` names it; absent, the create is sent once more (a 409 then
        means it was made meanwhile: it is read again). With ``retry_writes="never"``
        nothing is read or resent.

        Returns:
            The schema as HubSpot created it, with its ``object_type_id``.

        Raises:
            TypeError, ValueError: an argument is malformed (checked first).
            ConflictError: the portal already has a schema of that name (after an
                ambiguous failure: one with other labels or required properties).
            OutcomeUnknownError: the create failed ambiguously and reading the schemas
                failed too (or ``retry_writes="never"``).
            APIError: HubSpot refused the schema.
        """
        if not isinstance(name, str) or not _SCHEMA_NAME.match(name):
            raise ValueError(
                f"name must start with a letter and hold only letters, digits and "
                f"underscores, not {name!r}"
            )
        if not isinstance(labels, ObjectTypeLabels):
            raise TypeError(f"labels must be an ObjectTypeLabels, not {type_name(labels)}")
        if isinstance(properties, (str, bytes, Mapping)) or not isinstance(properties, Iterable):
            raise TypeError(f"properties must be an iterable, not {type_name(properties)}")
        defined = [_property_json(p, f"properties[{i}]") for i, p in enumerate(properties)]
        known = {p["name"] for p in defined}
        named = {
            "requiredProperties": _names(required_properties, "required_properties"),
            "searchableProperties": _names(searchable_properties, "searchable_properties"),
            "secondaryDisplayProperties": _names(
                secondary_display_properties, "secondary_display_properties"
            ),
        }
        if primary_display_property is not None:
            _names([primary_display_property], "primary_display_property")
        checked = [*named.items(), ("primaryDisplayProperty", [primary_display_property or ""])]
        for key, names in checked:
            for prop in names:
                if prop and prop not in known:
                    raise ValueError(
                        f"{key} names {prop!r}, which is not one of the schema's properties "
                        f"({', '.join(sorted(known)) or 'none'})"
                    )
        body: dict[str, Any] = {
            "name": name,
            "labels": {"singular": labels.singular, "plural": labels.plural},
            "properties": defined,
            **named,
            "associatedObjects": _types(associated_objects),
            "allowsSensitiveProperties": False,
            "shouldCreateSameObjectAssociation": False,
        }
        if primary_display_property is not None:
            body["primaryDisplayProperty"] = primary_display_property
        if description is not None:
            body["description"] = description
        what = f"the custom object schema {name!r}"
        try:
            return await self._send(body)
        except HubCRMError as exc:
            if classify(exc) is not FailureClass.AMBIGUOUS:
                raise
            cause = exc
        # The retrier never resends a create; settling does, by the unique name.
        if not settles_creates(self._options.retry):
            raise OutcomeUnknownError("schemas", cause=cause, definition=what) from cause
        found = await self._read_back(body, what, cause)
        if found is not None:
            return found
        try:
            return await self._send(body)
        except ConflictError as exc:
            found = await self._read_back(body, what, exc)
            if found is None:
                raise OutcomeUnknownError(
                    "schemas", cause=exc, retried=True, definition=what
                ) from exc
            return found
        except HubCRMError as exc:
            if classify(exc) is FailureClass.AMBIGUOUS:
                raise OutcomeUnknownError(
                    "schemas", cause=exc, retried=True, definition=what
                ) from exc
            raise

    async def _send(self, body: dict[str, Any]) -> ObjectSchema:
        response = await self._retrier.request(
            "POST", self._path, kind=RequestKind.CREATE, json_body=body, options=self._options
        )
        return _load_schema(response.json())

    async def _read_back(
        self, body: dict[str, Any], what: str, cause: HubCRMError
    ) -> ObjectSchema | None:
        """The schema ``body`` asked for, found by its name after an ambiguous create:
        None when there is none; a ``ConflictError`` when it differs from ``body``; an
        ``OutcomeUnknownError`` when the schemas cannot be read."""
        name = body["name"]
        try:
            schemas = await self.list()
        except HubCRMError as exc:
            raise OutcomeUnknownError("schemas", cause=exc, retried=True, definition=what) from exc
        found = next((s for s in schemas if s.name.lower() == name.lower()), None)
        if found is None:
            return None
        differs = [
            field
            for field, mine, theirs in (
                ("labels", body["labels"], attrs.asdict(found.labels)),
                (
                    "requiredProperties",
                    sorted(body["requiredProperties"]),
                    sorted(found.required_properties),
                ),
            )
            if mine != theirs
        ]
        if differs:
            raise ConflictError(
                f"the custom object schema {name!r} exists with other "
                f"{' and '.join(differs)} than requested; the create failed ambiguously, "
                "and it was not made by this call",
                status=409,
                category="OBJECT_ALREADY_EXISTS",
                method="POST",
                path=self._path,
            ) from cause
        return found
