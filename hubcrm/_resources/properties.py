"""AsyncProperties: the CRM properties resource: a type's property definitions, their
groups and their validation rules."""

from __future__ import annotations

import builtins
from typing import Any

from .._core.config import RequestOptions
from .._core.errors import (
    ConflictError,
    HubCRMError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseParseError,
)
from .._core.property_models import (
    CrmProperty,
    PropertyGroup,
    PropertyOption,
    ValidationRule,
)
from .._http.retry import RequestKind, Retrier
from .._http.safety import FailureClass, classify
from .._http.session import object_type_segment, path_segment
from .._write.recovery import settles_creates
from .property_parts import (
    OptionsArg,
    check_field_type,
    default_field_type,
    load_group,
    load_property,
    load_rule,
    options_body,
    type_id_of,
)

__all__ = ["AsyncProperties", "CrmProperty", "PropertyGroup", "PropertyOption", "ValidationRule"]


class AsyncProperties:
    """CRM properties: the property definitions of a type (list, read, create, update,
    archive), their groups, and the validation rules the portal applies to their values.

    Reached as ``crm.properties`` on a client; not constructed directly.
    """

    def __init__(self, retrier: Retrier, api_version: str, options: RequestOptions) -> None:
        self._retrier = retrier
        self._options = options
        if api_version == "v3":
            self._prefix = "/crm/v3/properties/"
            self._validations = "/crm/property-validations/v3/"
        else:
            self._prefix = f"/crm/properties/{api_version}/"
            self._validations = f"/crm/property-validations/{api_version}/"

    async def create(
        self,
        object_type: str,
        name: str,
        *,
        label: str,
        type: str = "string",
        field_type: str | None = None,
        group_name: str | None = None,
        unique: bool = False,
        options: OptionsArg | None = None,
        description: str | None = None,
    ) -> CrmProperty:
        """Create a property of an object type.

        A property with ``unique=True`` holds a value no two records of the type share
        (HubSpot allows 10 per type, and only when the property is created). It can
        then be the ``id_property`` of reads, creates and ``create_many``: a key that
        makes bulk creation exactly-once.

        Args:
            object_type: a type name or id, as for ``crm.objects.create``.
            name: the internal name: lowercase letters, digits and underscores.
            label: the name shown in HubSpot's UI.
            type: HubSpot's data type: ``"string"``, ``"number"``, ``"bool"``,
                ``"enumeration"``, ``"date"``, ``"datetime"`` or ``"phone_number"``.
            field_type: how the UI edits it; by default the usual one of ``type``
                (``"text"`` for a string, ``"select"`` for an enumeration,
                ``"booleancheckbox"`` for a bool, ``"number"``, ``"date"``,
                ``"phonenumber"``). A field type HubSpot does not allow for ``type``
                (``"checkbox"`` for a string) is refused before sending.
            group_name: the property group. By default the main group of a contact,
                company, deal or ticket (``contactinformation``,
                ``companyinformation``, ...); other types need it.
            unique: whether values must be unique across the type (``hasUniqueValue``).
            options: the options of an enumeration (required for one, and allowed for a
                bool): :class:`PropertyOption` values, plain strings (each its own
                label), or a mapping of value to label. Strings and mapping entries are
                ordered as given.
            description: the help text shown with the property.

        A create that fails ambiguously (a 502 or 504, a connection dropped after
        sending, an unreadable answer) is settled by reading the property by its name,
        which HubSpot keeps unique: found with the requested ``label``, ``type``,
        ``field_type`` and ``unique``, it is returned as created (a property another
        writer made with the same definition meanwhile cannot be told apart from it);
        found with another definition, a ``ConflictError`` names it; absent, the
        create is sent once more (a 409 then means it was made meanwhile: it is read
        again). With ``retry_writes="never"`` nothing is read or resent.

        Returns:
            The property as HubSpot created it.

        Raises:
            ValueError: ``object_type`` or ``name`` is empty or malformed,
                ``group_name`` is missing for a type other than the four above, ``type``
                or ``field_type`` is not HubSpot's or they do not go together, or the
                options are missing or empty for an enumeration, repeat a value, or are
                given for a type that has none.
            ConflictError: the type already has a property of that name (after an
                ambiguous failure: one whose definition differs from the request).
            OutcomeUnknownError: the create failed ambiguously and reading the property
                back failed too (or ``retry_writes="never"``); its ``property_name``
                names the property.
            APIError: HubSpot rejected the request (a bad name or type, an 11th unique
                property, ...).
        """
        segment = object_type_segment(object_type)
        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty property name")
        if group_name is None:
            group_name = _MAIN_GROUPS.get(segment.lower())
            if group_name is None:
                raise ValueError(
                    f"group_name is needed for object type {object_type!r}: hubcrm knows "
                    "the main property group of contacts, companies, deals and tickets only"
                )
        if field_type is None:
            field_type = default_field_type(type)
        check_field_type(type, field_type)
        body: dict[str, Any] = {
            "name": name,
            "label": label,
            "type": type,
            "fieldType": field_type,
            "groupName": group_name,
            "hasUniqueValue": unique,
        }
        if options is not None:
            if type not in ("enumeration", "bool"):
                raise ValueError(
                    f"options are for enumeration (and bool) properties, not type {type!r}"
                )
            body["options"] = options_body(options)
        elif type == "enumeration":
            raise ValueError(
                f"the enumeration property {name!r} needs options: HubSpot refuses one without them"
            )
        if description is not None:
            body["description"] = description
        path = self._prefix + segment
        try:
            return await self._send(path, body)
        except HubCRMError as exc:
            if classify(exc) is not FailureClass.AMBIGUOUS:
                raise
            cause = exc
        # The retrier never resends a create; settling does, by the unique name.
        if not settles_creates(self._options.retry):
            raise OutcomeUnknownError(object_type, cause=cause, property_name=name) from cause
        found = await self._read_back(path, object_type, body, cause)
        if found is not None:
            return found
        try:
            return await self._send(path, body)
        except ConflictError as exc:
            # Made meanwhile (or the read lagged behind the first attempt): read again.
            found = await self._read_back(path, object_type, body, exc)
            if found is None:
                raise OutcomeUnknownError(
                    object_type, cause=exc, retried=True, property_name=name
                ) from exc
            return found
        except HubCRMError as exc:
            if classify(exc) is FailureClass.AMBIGUOUS:
                raise OutcomeUnknownError(
                    object_type, cause=exc, retried=True, property_name=name
                ) from exc
            raise

    async def list(self, object_type: str, *, archived: bool = False) -> builtins.list[CrmProperty]:
        """Every property of a type (HubSpot answers them all at once, unpaged).

        Args:
            object_type: a type name or id, as for ``crm.objects.create``.
            archived: list the archived properties instead of the active ones.

        Returns:
            The definitions, in HubSpot's order.

        Raises:
            ValueError: ``object_type`` is empty or malformed.
            APIError: HubSpot refused the read (an unknown type, a missing scope, ...).
        """
        path = self._prefix + object_type_segment(object_type)
        query = {"archived": "true"} if archived else None
        data = await self._read(path, query)
        return [load_property(item) for item in _results(data, "a property list")]

    async def get(self, object_type: str, name: str) -> CrmProperty:
        """One property of a type, by its internal name.

        Returns:
            The definition; ``read_only_value`` and ``calculated`` say whether a write
            may set its value (``writable``), ``options`` the values of an enumeration.

        Raises:
            ValueError: ``object_type`` or ``name`` is empty or malformed.
            NotFoundError: the type has no such property.
        """
        path = self._property_path(object_type, name)
        return load_property(await self._read(path))

    async def update(
        self,
        object_type: str,
        name: str,
        *,
        label: str | None = None,
        description: str | None = None,
        group_name: str | None = None,
        options: OptionsArg | None = None,
        display_order: int | None = None,
        hidden: bool | None = None,
        field_type: str | None = None,
        form_field: bool | None = None,
    ) -> CrmProperty:
        """Change a property's definition (``PATCH``): only what is given is sent.

        An update sets the fields to the values given, so it is retried after ambiguous
        failures like a record update. ``options`` replaces the whole list: pass every
        option to keep (with ``hidden=True`` to retire one without losing the values
        records hold).

        Args:
            object_type: a type name or id.
            name: the property's internal name.
            label: the name shown in HubSpot's UI.
            description: the help text.
            group_name: move it to another property group.
            options: the options of an enumeration, in any form ``create`` takes.
            display_order: its place in its group.
            hidden: hide it in HubSpot's UI.
            field_type: how the UI edits it (HubSpot checks it against the type).
            form_field: whether forms may use it.

        Returns:
            The definition after the change.

        Raises:
            ValueError: nothing to change, a malformed name, or bad options (empty, a
                value twice).
            NotFoundError: the type has no such property.
            APIError: HubSpot refused the change (a read-only definition, ...).
        """
        body: dict[str, Any] = {}
        for key, value in (
            ("label", label),
            ("description", description),
            ("groupName", group_name),
            ("displayOrder", display_order),
            ("hidden", hidden),
            ("fieldType", field_type),
            ("formField", form_field),
        ):
            if value is not None:
                body[key] = value
        if options is not None:
            body["options"] = options_body(options)
        if not body:
            raise ValueError(f"nothing to update for the property {name!r}: pass a field")
        path = self._property_path(object_type, name)
        response = await self._retrier.request(
            "PATCH", path, kind=RequestKind.UPSERT, json_body=body, options=self._options
        )
        return load_property(response.json())

    async def archive(self, object_type: str, name: str) -> None:
        """Archive a property (``DELETE``): records keep their values, hidden, and HubSpot
        can restore it for 90 days. ``list(..., archived=True)`` lists archived ones.

        Raises:
            ValueError: ``object_type`` or ``name`` is empty or malformed.
            NotFoundError: the type has no such (active) property.
            APIError: HubSpot refused (a property HubSpot defined is not archivable).
        """
        path = self._property_path(object_type, name)
        await self._retrier.request("DELETE", path, kind=RequestKind.UPSERT, options=self._options)

    async def groups(self, object_type: str) -> builtins.list[PropertyGroup]:
        """The property groups of a type (unpaged).

        Raises:
            ValueError: ``object_type`` is empty or malformed.
            APIError: HubSpot refused the read.
        """
        path = self._prefix + object_type_segment(object_type) + "/groups"
        data = await self._read(path)
        return [load_group(item) for item in _results(data, "a property group list")]

    async def create_group(
        self, object_type: str, name: str, *, label: str, display_order: int | None = None
    ) -> PropertyGroup:
        """Create a property group, a heading for ``group_name`` to name.

        A create that fails ambiguously (a 502 or 504, a dropped connection) is settled
        by reading the group by its name, which HubSpot keeps unique: found with the
        requested ``label``, it is returned as created; found with another, a
        ``ConflictError`` says so; absent, the create is sent once more. With
        ``retry_writes="never"`` nothing is read or resent.

        Args:
            object_type: a type name or id.
            name: the internal name: lowercase letters, digits and underscores.
            label: the heading shown in HubSpot's UI.
            display_order: its place among the groups (by default, last).

        Returns:
            The group as HubSpot created it.

        Raises:
            ValueError: ``object_type`` or ``name`` is empty or malformed.
            ConflictError: the type already has a group of that name.
            OutcomeUnknownError: the create failed ambiguously and could not be settled.
        """
        segment = object_type_segment(object_type)
        path = self._prefix + segment + "/groups"
        one = f"{path}/{path_segment(name, 'name')}"
        body: dict[str, Any] = {"name": name, "label": label}
        if display_order is not None:
            body["displayOrder"] = display_order
        cause: HubCRMError | None = None
        sends = 0
        while sends < 2:
            sends += 1
            try:
                response = await self._retrier.request(
                    "POST", path, kind=RequestKind.CREATE, json_body=body, options=self._options
                )
                return load_group(response.json())
            except ConflictError as exc:
                if cause is None:
                    raise
                cause = exc
            except HubCRMError as exc:
                if classify(exc) is not FailureClass.AMBIGUOUS:
                    raise
                cause = exc
            if not settles_creates(self._options.retry):
                break
            try:
                found = load_group(await self._read(one))
            except NotFoundError:
                continue
            except HubCRMError as exc:
                raise OutcomeUnknownError(
                    object_type, cause=exc, retried=True, group_name=name
                ) from exc
            if found.label != label:
                raise ConflictError(
                    f"the property group {name!r} of {object_type!r} exists with another "
                    "label than the one requested; the create failed ambiguously, and it "
                    "was not made by this call",
                    status=409,
                    category="OBJECT_ALREADY_EXISTS",
                    method="POST",
                    path=path,
                ) from cause
            return found
        raise OutcomeUnknownError(
            object_type, cause=cause, retried=sends > 1, group_name=name
        ) from cause

    async def validations(self, object_type: str) -> dict[str, builtins.list[ValidationRule]]:
        """The validation rules the portal applies to a type's properties, by property
        name (properties without rules are absent).

        Args:
            object_type: a standard type's name (``"contacts"``) or any type's id
                (``"0-1"``, ``"2-123"``): this API takes the id in its path.

        Raises:
            ValueError: a custom type given by name (pass its ``2-…`` id).
            APIError: HubSpot refused the read.
        """
        path = self._validations + path_segment(type_id_of(object_type), "object_type")
        rules: dict[str, builtins.list[ValidationRule]] = {}
        for item in _results(await self._read(path), "a validation rule list"):
            if not isinstance(item, dict) or not isinstance(item.get("propertyName"), str):
                raise ResponseParseError(
                    "a validation rule list entry has no propertyName", field="propertyName"
                )
            raw = item.get("propertyValidationRules")
            found = [load_rule(rule) for rule in raw] if isinstance(raw, list) else []
            rules.setdefault(item["propertyName"], []).extend(found)
        return rules

    async def validation_rules(self, object_type: str, name: str) -> builtins.list[ValidationRule]:
        """The validation rules of one property (empty when it has none).

        Args:
            object_type: a standard type's name or any type's id, as for
                :meth:`validations`.
            name: the property's internal name.

        Raises:
            ValueError: a custom type given by name, or a malformed name.
            APIError: HubSpot refused the read.
        """
        path = (
            self._validations
            + path_segment(type_id_of(object_type), "object_type")
            + "/"
            + path_segment(name, "name")
        )
        return [load_rule(rule) for rule in _results(await self._read(path), "a rule list")]

    def _property_path(self, object_type: str, name: str) -> str:
        return f"{self._prefix}{object_type_segment(object_type)}/{path_segment(name, 'name')}"

    async def _read(self, path: str, query: dict[str, str] | None = None) -> Any:
        response = await self._retrier.request(
            "GET", path, kind=RequestKind.READ, params=query, options=self._options
        )
        return response.json()

    async def _send(self, path: str, body: dict[str, Any]) -> CrmProperty:
        response = await self._retrier.request(
            "POST", path, kind=RequestKind.CREATE, json_body=body, options=self._options
        )
        return load_property(response.json())

    async def _read_back(
        self, path: str, object_type: str, body: dict[str, Any], cause: HubCRMError
    ) -> CrmProperty | None:
        """The property ``body`` asked for, read by its name after an ambiguous create:
        None when there is none; a ``ConflictError`` when it differs from ``body``; an
        ``OutcomeUnknownError`` when it cannot be read."""
        name = body["name"]
        try:
            response = await self._retrier.request(
                "GET",
                f"{path}/{path_segment(name, 'name')}",
                kind=RequestKind.READ,
                options=self._options,
            )
            found = load_property(response.json())
        except NotFoundError:
            return None
        except HubCRMError as exc:
            raise OutcomeUnknownError(
                object_type, cause=exc, retried=True, property_name=name
            ) from exc
        differs = [
            field
            for field, mine, theirs in (
                ("label", body["label"], found.label),
                ("type", body["type"], found.type),
                ("fieldType", body["fieldType"], found.field_type),
                ("hasUniqueValue", body["hasUniqueValue"], found.unique),
            )
            if mine != theirs
        ]
        if differs:
            raise ConflictError(
                f"the property {name!r} of {object_type!r} exists with another definition "
                f"than the one requested (its {' and '.join(differs)} "
                f"{'differs' if len(differs) == 1 else 'differ'}); the create "
                "failed ambiguously, and it was not made by this call",
                status=409,
                category="OBJECT_ALREADY_EXISTS",
                method="POST",
                path=path,
            ) from cause
        return found


#: HubSpot's main property group of each standard type, by name and by type id.
_MAIN_GROUPS = {
    "contacts": "contactinformation",
    "0-1": "contactinformation",
    "companies": "companyinformation",
    "0-2": "companyinformation",
    "deals": "dealinformation",
    "0-3": "dealinformation",
    "tickets": "ticketinformation",
    "0-5": "ticketinformation",
}


def _results(data: Any, what: str) -> list[Any]:
    """The ``results`` list of one of HubSpot's unpaged collection answers."""
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise ResponseParseError(f"{what} answer has no results list", field="results")
    return results
