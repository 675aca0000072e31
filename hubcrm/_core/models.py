"""The attrs models hubcrm sends to and reads from HubSpot's CRM objects API."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .values import check_text, encode_properties, type_name

if TYPE_CHECKING:
    from .values import PropertyValue

__all__ = [
    "CONTACT_TYPES",
    "STANDARD_TYPE_IDS",
    "AssociatedId",
    "Association",
    "AssociationCategory",
    "AssociationSpec",
    "AssociationType",
    "CrmObject",
    "ObjectInput",
    "ObjectWarning",
    "ValueWithTimestamp",
    "input_of",
    "record_id",
    "redacted_properties",
    "redacted_value",
]

CONTACT_TYPES = frozenset({"contacts", "0-1"})
"""The contacts type by name and by id: the type whose email HubSpot keeps unique."""

STANDARD_TYPE_IDS: dict[str, str] = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tickets": "0-5",
    "products": "0-7",
    "line_items": "0-8",
    "quotes": "0-14",
    "communications": "0-18",
    "tasks": "0-27",
    "notes": "0-46",
    "meetings": "0-47",
    "calls": "0-48",
    "emails": "0-49",
    "invoices": "0-53",
    "leads": "0-136",
}
"""HubSpot's standard object types by name, to their type ids (``0-…``)."""

#: Who defined an association type: HubSpot, an integration, a user, or "WORK".
AssociationCategory = Literal["HUBSPOT_DEFINED", "INTEGRATOR_DEFINED", "USER_DEFINED", "WORK"]

_CATEGORIES = frozenset(("HUBSPOT_DEFINED", "INTEGRATOR_DEFINED", "USER_DEFINED", "WORK"))
_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1


class AssociationType(enum.IntEnum):
    """HubSpot's default (``HUBSPOT_DEFINED``) association type ids."""

    #: Contact to its primary company.
    CONTACT_TO_COMPANY_PRIMARY = 1
    #: Company to its primary contact.
    COMPANY_TO_CONTACT_PRIMARY = 2
    #: Contact to company.
    CONTACT_TO_COMPANY = 279
    #: Company to contact.
    COMPANY_TO_CONTACT = 280
    #: Deal to contact.
    DEAL_TO_CONTACT = 3
    #: Contact to deal.
    CONTACT_TO_DEAL = 4
    #: Deal to its primary company.
    DEAL_TO_COMPANY_PRIMARY = 5
    #: Company to a deal it is the primary company of.
    COMPANY_TO_DEAL_PRIMARY = 6
    #: Deal to company.
    DEAL_TO_COMPANY = 341
    #: Company to deal.
    COMPANY_TO_DEAL = 342
    #: Contact to ticket.
    CONTACT_TO_TICKET = 15
    #: Ticket to contact.
    TICKET_TO_CONTACT = 16
    #: Company to a ticket it is the primary company of.
    COMPANY_TO_TICKET_PRIMARY = 25
    #: Ticket to its primary company.
    TICKET_TO_COMPANY_PRIMARY = 26
    #: Ticket to company.
    TICKET_TO_COMPANY = 339
    #: Deal to ticket.
    DEAL_TO_TICKET = 27
    #: Ticket to deal.
    TICKET_TO_DEAL = 28
    #: Deal to line item.
    DEAL_TO_LINE_ITEM = 19
    #: Line item to deal.
    LINE_ITEM_TO_DEAL = 20
    #: Contact to call.
    CONTACT_TO_CALL = 193
    #: Contact to email.
    CONTACT_TO_EMAIL = 197
    #: Contact to meeting.
    CONTACT_TO_MEETING = 199
    #: Contact to note.
    CONTACT_TO_NOTE = 201
    #: Contact to task.
    CONTACT_TO_TASK = 203
    #: Note to company.
    NOTE_TO_COMPANY = 190
    #: Note to contact.
    NOTE_TO_CONTACT = 202
    #: Note to deal.
    NOTE_TO_DEAL = 214
    #: Task to company.
    TASK_TO_COMPANY = 192
    #: Task to contact.
    TASK_TO_CONTACT = 204
    #: Task to deal.
    TASK_TO_DEAL = 216


def _to_type_id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"an association type id must be an int, not {type_name(value)}")
    # A plain int keeps the dumped body JSON-ready whatever int subclass came in.
    return int(value)


def _check_type_id(_instance: object, _attribute: object, value: int) -> None:
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise ValueError(f"association type id {value} is out of the int32 range")


def _check_category(_instance: object, _attribute: object, value: object) -> None:
    if value not in _CATEGORIES:
        raise ValueError(
            f"association category must be one of {', '.join(sorted(_CATEGORIES))}, not {value!r}"
        )


@attrs.frozen
class AssociationSpec:
    """One association type: its id and who defined it.

    Attributes:
        type_id: The association type id (an int32), e.g. an `AssociationType`.
        category: Who defined the type; ``"HUBSPOT_DEFINED"`` for `AssociationType`.
    """

    type_id: int = attrs.field(converter=_to_type_id, validator=_check_type_id)
    category: AssociationCategory = attrs.field(
        default="HUBSPOT_DEFINED", validator=_check_category
    )


def record_id(value: str | int, field: str) -> str:
    """A record id given as a str or int, as a plain str; ``field`` names it in errors."""
    if type(value) is str:
        if not value:
            raise ValueError(f"{field} must be a non-empty record id")
        if not value.isascii():
            check_text(field, value)
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{field} must be a str or int, not {type_name(value)}")
    if isinstance(value, int):
        return int.__repr__(value)
    return record_id(str.__str__(value), field)  # a str subclass: as the plain str


def _to_id(value: str | int) -> str:
    return record_id(value, "an association's to_id")


def _to_spec(value: object) -> AssociationSpec:
    if isinstance(value, AssociationSpec):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return AssociationSpec(value)
    raise TypeError(
        f"an association type must be an int type id or an AssociationSpec, not {type_name(value)}"
    )


def _to_specs(
    value: int | AssociationSpec | Iterable[int | AssociationSpec],
) -> tuple[AssociationSpec, ...]:
    if isinstance(value, (int, AssociationSpec)):
        return (_to_spec(value),)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(
            "association types must be an int type id, an AssociationSpec, or an "
            f"iterable of those, not {type_name(value)}"
        )
    return tuple(_to_spec(item) for item in value)


def _check_not_empty(_instance: object, _attribute: object, value: tuple[object, ...]) -> None:
    if not value:
        raise ValueError("an association needs at least one type")


@attrs.frozen
class Association:
    """A link from the new record to an existing one.

    ``Association("123", AssociationType.CONTACT_TO_COMPANY)`` is the one-line form
    for the common single, HubSpot-defined type.

    Attributes:
        to_id: The id of the record to associate with (an int is converted to str).
        types: One or more association types: type ids, `AssociationSpec` values,
            or an iterable of those.

    Raises:
        TypeError: ``to_id`` is not a str or int, or a type is not a type id or spec.
        ValueError: ``to_id`` is empty, or no type is given.
    """

    to_id: str = attrs.field(converter=_to_id)
    types: tuple[AssociationSpec, ...] = attrs.field(
        converter=_to_specs, validator=_check_not_empty
    )


def redacted_value(value: object) -> str:
    """A repr that says whether there is a value, never what it is (personal data)."""
    return "None" if value is None else "..."


def redacted_properties(properties: Mapping[str, object] | None) -> str:
    """A repr of a property map that names the properties but never shows a value.

    Reprs end up in logs and tracebacks; property values are personal data.
    """
    if properties is None:
        return "None"
    return "{" + ", ".join(f"{name!r}: ..." for name in properties) + "}"


def _to_associations(value: Iterable[Association]) -> tuple[Association, ...]:
    if value == () and type(value) is tuple:
        return ()  # the common case, without the ABC checks below
    if isinstance(value, Association):
        raise TypeError("associations must be an iterable of Association; wrap one in a list")
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"associations must be an iterable of Association, not {type_name(value)}")
    associations = tuple(value)
    for item in associations:
        if not isinstance(item, Association):
            raise TypeError(
                f"associations must be an iterable of Association, found {type_name(item)}"
            )
    return associations


def _encode_input_properties(properties: Mapping[str, PropertyValue]) -> dict[str, str]:
    return encode_properties(properties)


def _check_trace_id(_instance: object, _attribute: object, value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"object_write_trace_id must be a str or None, not {type_name(value)}")
    if not value.isascii():
        check_text("object_write_trace_id", value)


@attrs.frozen
class ObjectInput:
    """A record to create: its properties and associations.

    Properties are encoded as HubSpot strings when the input is built, so a bad value
    fails here, before any I/O.

    Attributes:
        properties: Property name to value: a ``PropertyValue`` (str, bool, int, float,
            Decimal, date, aware datetime, a list or set of str, or None).
        associations: Records to associate the new record with.
        object_write_trace_id: An id HubSpot echoes back in batch results.

    Raises:
        TypeError: A property name or value, or an association, has the wrong type.
        ValueError: A property value cannot be stored (NaN, naive datetime, text with
            a lone surrogate, a number too long to write out, ...); the message names
            the property.
    """

    properties: dict[str, str] = attrs.field(
        converter=_encode_input_properties, repr=redacted_properties
    )
    associations: tuple[Association, ...] = attrs.field(
        default=(), converter=_to_associations, kw_only=True
    )
    object_write_trace_id: str | None = attrs.field(
        default=None, validator=_check_trace_id, kw_only=True
    )


def input_of(properties: Mapping[str, PropertyValue]) -> ObjectInput:
    """``ObjectInput(properties)`` of a plain dict, without the attrs call (a bulk run
    makes one for its inputs given as dicts): the same encoding, the same errors, the
    same input."""
    obj: ObjectInput = object.__new__(ObjectInput)
    _set_input_properties(obj, encode_properties(properties))
    _set_input_associations(obj, ())
    _set_input_trace_id(obj, None)
    return obj


# The fields' slots, set through their descriptors (cheaper than object.__setattr__).
_set_input_properties, _set_input_associations, _set_input_trace_id = (
    ObjectInput.__dict__[a.name].__set__ for a in attrs.fields(ObjectInput)
)
assert tuple(a.name for a in attrs.fields(ObjectInput)) == (
    "properties",
    "associations",
    "object_write_trace_id",
)


def _check_aware(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None or (type(value) is datetime and value.tzinfo is timezone.utc):
        return  # what the converter always builds: checked without a utcoffset() call
    if not isinstance(value, datetime):
        raise TypeError(f"{attribute.name} must be a datetime, not {type_name(value)}")
    if value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be a timezone-aware datetime")


@attrs.frozen
class ValueWithTimestamp:
    """One past value of a property, from ``propertiesWithHistory``."""

    #: The value (None if HubSpot sent null); never shown in the repr.
    value: str | None = attrs.field(repr=redacted_value)
    #: When the value was set (timezone-aware).
    timestamp: datetime = attrs.field(validator=_check_aware)
    #: What kind of source set it, e.g. ``"API"`` or ``"CRM_UI"``.
    source_type: str
    #: The id of the source that set it, if known.
    source_id: str | None = None
    #: A readable label for the source, if known.
    source_label: str | None = None
    #: The HubSpot user who set it, if known.
    updated_by_user_id: int | None = None


@attrs.frozen
class ObjectWarning:
    """A warning HubSpot attached to a created record."""

    #: The warning's category.
    category: str
    #: What HubSpot says about it.
    message: str
    #: Extra details, name to value.
    context: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class AssociatedId:
    """One record a read record is associated with (``get(..., associations=[...])``)."""

    #: The associated record's id.
    id: str
    #: HubSpot's name for the association type, e.g. ``"contact_to_company"``.
    type: str | None = None


@attrs.frozen(kw_only=True)
class CrmObject:
    """A CRM record as HubSpot returns it."""

    #: The record's id.
    id: str
    #: Property name to value; None where HubSpot sent null.
    properties: dict[str, str | None] = attrs.field(factory=dict, repr=redacted_properties)
    #: When the record was created (timezone-aware).
    created_at: datetime = attrs.field(validator=_check_aware)
    #: When the record was last updated (timezone-aware).
    updated_at: datetime = attrs.field(validator=_check_aware)
    #: Whether the record is archived.
    archived: bool = False
    #: When the record was archived, if it is.
    archived_at: datetime | None = attrs.field(default=None, validator=_check_aware)
    #: Past values per property, when asked for.
    properties_with_history: dict[str, tuple[ValueWithTimestamp, ...]] | None = attrs.field(
        default=None, repr=redacted_properties
    )
    #: The trace id of the batch input this record was created from.
    object_write_trace_id: str | None = None
    #: A link to the record in HubSpot's UI.
    url: str | None = None
    #: Warnings HubSpot attached to the record.
    warnings: tuple[ObjectWarning, ...] | None = None
    #: Associated records by object type name (``"companies"``), when asked for.
    associations: dict[str, tuple[AssociatedId, ...]] | None = None
