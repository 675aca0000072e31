"""AsyncProperties: the CRM properties resource (defining the properties of a type)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._core.config import RequestOptions
from .._core.errors import ResponseParseError
from .._core.models import CrmProperty
from .._http.retry import RequestKind, Retrier
from .._http.session import object_type_segment
from .._write.recovery import send_kind

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

        Returns:
            The property as HubSpot created it.

        Raises:
            ValueError: ``object_type`` or ``name`` is empty or malformed, or
                ``group_name`` is missing for a type other than the four above.
            ConflictError: the type already has a property of that name.
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
        response = await self._retrier.request(
            "POST",
            self._prefix + segment,
            kind=send_kind(RequestKind.CREATE, self._options.retry),
            json_body=body,
            options=self._options,
        )
        return _load_property(response.json())


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
