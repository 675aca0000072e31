"""AsyncProperties: the CRM properties resource (defining the properties of a type)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._core.config import RequestOptions
from .._core.errors import (
    ConflictError,
    HubCRMError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseParseError,
)
from .._core.models import CrmProperty
from .._http.retry import RequestKind, Retrier
from .._http.safety import FailureClass, classify
from .._http.session import object_type_segment, path_segment
from .._write.recovery import settles_creates

__all__ = ["AsyncProperties", "CrmProperty"]


class AsyncProperties:
    """CRM properties: define new properties of a type, such as a unique key.

    Reached as ``crm.properties`` on a client; not constructed directly.
    """

    def __init__(self, retrier: Retrier, api_version: str, options: RequestOptions) -> None:
        self._retrier = retrier
        self._options = options
        if api_version == "v3":
            self._prefix = "/crm/v3/properties/"
        else:
            self._prefix = f"/crm/properties/{api_version}/"

    async def create(
        self,
        object_type: str,
        name: str,
        *,
        label: str,
        type: str = "string",
        field_type: str = "text",
        group_name: str | None = None,
        unique: bool = False,
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
            field_type: how the UI edits it (``"text"`` for a string).
            group_name: the property group. By default the main group of a contact,
                company, deal or ticket (``contactinformation``,
                ``companyinformation``, ...); other types need it.
            unique: whether values must be unique across the type (``hasUniqueValue``).

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
            ValueError: ``object_type`` or ``name`` is empty or malformed, or
                ``group_name`` is missing for a type other than the four above.
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
        body: dict[str, Any] = {
            "name": name,
            "label": label,
            "type": type,
            "fieldType": field_type,
            "groupName": group_name,
            "hasUniqueValue": unique,
        }
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

    async def _send(self, path: str, body: dict[str, Any]) -> CrmProperty:
        response = await self._retrier.request(
            "POST", path, kind=RequestKind.CREATE, json_body=body, options=self._options
        )
        return _load_property(response.json())

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
            found = _load_property(response.json())
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


def _load_property(data: Any) -> CrmProperty:
    if not isinstance(data, Mapping):
        raise ResponseParseError("a property answer is not a JSON object")
    try:
        return CrmProperty(
            name=str(data["name"]),
            label=str(data.get("label", "")),
            type=str(data.get("type", "")),
            field_type=str(data.get("fieldType", "")),
            group_name=str(data.get("groupName", "")),
            unique=data.get("hasUniqueValue") is True,
        )
    except KeyError as exc:
        raise ResponseParseError("a property answer has no name", field="name") from exc
