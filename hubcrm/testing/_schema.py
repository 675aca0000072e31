"""Object types, their property schemas, value validation and association types."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any, Literal, NamedTuple

import attrs

__all__ = [
    "ASSOCIATION_CATEGORIES",
    "HUBSPOT_DEFINED_ASSOCIATIONS",
    "STANDARD_TYPES_FILE",
    "UNLABELED_ASSOCIATIONS",
    "AssociationCategory",
    "AssociationTypeDef",
    "ObjectTypeDef",
    "PropertyDef",
    "PropertyError",
    "PropertyType",
    "iso_ms",
    "standard_types",
    "validate_value",
    "with_system_properties",
]

PropertyType = Literal[
    "string", "number", "bool", "enumeration", "date", "datetime", "phone_number"
]
"""HubSpot's property data types."""

AssociationCategory = Literal["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED", "WORK"]
ASSOCIATION_CATEGORIES: frozenset[str] = frozenset(
    ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED", "WORK")
)


def _to_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class PropertyDef:
    """One property of an object type, as the emulator validates it.

    Attributes:
        name: the internal name (``email``, ``amount``, ...).
        type: HubSpot's data type: ``string``, ``number``, ``bool``, ``enumeration``,
            ``date`` (midnight UTC only), ``datetime`` or ``phone_number``.
        options: allowed values of an ``enumeration``.
        multiple: an ``enumeration`` that takes several options joined with ``;``
            (checkbox / multi-select).
        unique: values must be unique across the type (like a contact's ``email``); such
            a property can be used as ``idProperty`` to read and upsert.
        email: the value must be an email address (``INVALID_EMAIL``).
        read_only: writing it is rejected (``READ_ONLY_VALUE``).
        external_options: an ``enumeration`` whose options live outside the definition
            (a pipeline, a stage): any value passes here; the portal's pipelines
            decide.
        calculated: HubSpot computes its value (a calculation or rollup): writing it is
            rejected like a read-only one, with a message saying it is calculated.
    """

    name: str
    type: PropertyType = "string"
    options: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)
    multiple: bool = False
    unique: bool = False
    email: bool = False
    read_only: bool = False
    external_options: bool = False
    calculated: bool = False


@attrs.frozen(kw_only=True)
class ObjectTypeDef:
    """An object type: its ids, its property schema and the properties it requires.

    Attributes:
        object_type_id: ``0-1`` for contacts, ``2-<n>`` for a custom type.
        name: ``contacts``, or ``p<portal>_<name>`` for a custom type.
        singular: singular label used in messages (``contact``).
        properties: every property the type accepts, by name (system ones included).
        required: properties that must be set (non-empty) at creation.
        required_one_of: at least one of these must be set at creation (companies:
            ``domain`` or ``name`` when the emulator is built with
            ``require_company_domain_or_name=True``; empty otherwise).
        created_property / modified_property: the system properties holding the
            creation and last-modification timestamps (``createdate`` /
            ``lastmodifieddate`` for contacts, ``hs_createdate`` / ``hs_lastmodifieddate``
            for activities and custom objects, as HubSpot does).
        default_read_properties: what a read without ``properties`` returns (plus the
            three system properties); ``None`` means every set property.
    """

    object_type_id: str
    name: str
    singular: str
    properties: Mapping[str, PropertyDef]
    required: tuple[str, ...] = ()
    required_one_of: tuple[str, ...] = ()
    created_property: str = "hs_createdate"
    modified_property: str = "hs_lastmodifieddate"
    default_read_properties: tuple[str, ...] | None = None

    @property
    def unique_properties(self) -> tuple[str, ...]:
        """Names of the unique-value properties (usable as ``idProperty``)."""
        return tuple(p.name for p in self.properties.values() if p.unique)


@attrs.frozen(kw_only=True)
class AssociationTypeDef:
    """A (from type, to type) association type id in one category."""

    from_type_id: str
    to_type_id: str
    type_id: int
    category: AssociationCategory = "USER_DEFINED"
    label: str | None = None


class PropertyError(NamedTuple):
    """One failed property value: HubSpot's ``error`` code, message and property name."""

    name: str
    code: str
    message: str


# --- value validation -----------------------------------------------------------------

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z")
_EMAIL_RE = re.compile(r"[^@\s\"(),:;<>\[\]\\]+@[^@\s\"(),:;<>\[\]\\]+\.[^@\s\"(),:;<>\[\]\\.]+\Z")
# no email address holds a control character (NUL included) or half a surrogate pair
_EMAIL_FORBIDDEN_RE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_EPOCH_MS_RE = re.compile(r"-?\d{1,15}\Z")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso_ms(dt: datetime) -> str:
    """Render a UTC datetime as HubSpot does: ``2024-11-20T20:12:09.236Z``."""
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def _parse_instant(value: str) -> datetime | None:
    """Parse epoch milliseconds, ``YYYY-MM-DD`` or ISO 8601 (``Z`` allowed) into UTC."""
    try:
        if _EPOCH_MS_RE.match(value):
            return _EPOCH + timedelta(milliseconds=int(value))
        if _DATE_RE.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        dt = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def validate_value(prop: PropertyDef, value: str) -> tuple[str, PropertyError | None]:
    """Check one non-empty value against its property; return it normalized, or an error."""
    ptype = prop.type
    if ptype == "string" or ptype == "phone_number":
        if prop.email:
            if _EMAIL_FORBIDDEN_RE.search(value) or not _EMAIL_RE.match(value):
                return value, PropertyError(
                    prop.name, "INVALID_EMAIL", f"Email address {value} is invalid"
                )
            return value.lower(), None
        return value, None
    if ptype == "number":
        if _NUMBER_RE.match(value):
            return value, None
        return value, PropertyError(
            prop.name, "INVALID_INTEGER", f"{value} was not a valid number."
        )
    if ptype == "bool":
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered, None
        return value, PropertyError(
            prop.name, "INVALID_BOOLEAN", f"{value} was not a valid boolean."
        )
    if ptype == "enumeration" and prop.external_options:
        return value, None
    if ptype == "enumeration":
        options = prop.options
        parts = value.split(";") if prop.multiple else (value,)
        for part in parts:
            if part not in options:
                return value, PropertyError(
                    prop.name,
                    "INVALID_OPTION",
                    f"{part} was not one of the allowed options: [{', '.join(options)}]",
                )
        return value, None
    instant = None if value != value.strip() else _parse_instant(value)
    if ptype == "date":
        if instant is None:
            return value, PropertyError(prop.name, "INVALID_DATE", f"{value} is not a valid date.")
        if instant.hour or instant.minute or instant.second or instant.microsecond:
            clock = (
                f"{instant.hour:02d}:{instant.minute:02d}:{instant.second:02d}."
                f"{instant.microsecond // 1000:03d}"
            )
            return value, PropertyError(
                prop.name, "INVALID_DATE", f"{value} is at {clock} UTC, not midnight!"
            )
        return f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}", None
    # datetime
    if instant is None:
        return value, PropertyError(prop.name, "INVALID_LONG", f"{value} was not a valid long.")
    return iso_ms(instant), None


# --- the standard object types --------------------------------------------------------


def with_system_properties(
    props: Iterable[PropertyDef], created: str, modified: str
) -> dict[str, PropertyDef]:
    """The property map of a type: its own properties plus id and timestamps."""
    result = {p.name: p for p in props}
    result["hs_object_id"] = PropertyDef(name="hs_object_id", type="number", read_only=True)
    result[created] = PropertyDef(name=created, type="datetime")
    result[modified] = PropertyDef(name=modified, type="datetime", read_only=True)
    return result


STANDARD_TYPES_FILE = "standard_types.json"
"""The package data file holding HubSpot's standard object types."""


def standard_types() -> list[ObjectTypeDef]:
    """HubSpot's standard object types with realistic property schemas.

    Read from the package's ``standard_types.json`` once per process; each call returns
    fresh property maps, so one emulator's changes never reach another's.
    """
    return [attrs.evolve(t, properties=dict(t.properties)) for t in _load_standard_types()]


@functools.cache
def _load_standard_types() -> tuple[ObjectTypeDef, ...]:
    data = resources.files(__name__.rpartition(".")[0]).joinpath(STANDARD_TYPES_FILE)
    document = json.loads(data.read_text(encoding="utf-8"))
    return tuple(_object_type_from_json(entry) for entry in document["object_types"])


def _object_type_from_json(entry: dict[str, Any]) -> ObjectTypeDef:
    """One entry of the standard types file; it lists only the type's own properties."""
    created = entry["created_property"]
    modified = entry["modified_property"]
    defaults = entry["default_read_properties"]
    return ObjectTypeDef(
        object_type_id=entry["object_type_id"],
        name=entry["name"],
        singular=entry["singular"],
        properties=with_system_properties(
            (PropertyDef(**prop) for prop in entry["properties"]), created, modified
        ),
        required=tuple(entry["required"]),
        required_one_of=tuple(entry["required_one_of"]),
        created_property=created,
        modified_property=modified,
        default_read_properties=None if defaults is None else tuple(defaults),
    )


# --- HUBSPOT_DEFINED association types (HubSpot's default type ids) ------------------------

# type id -> (from object type id, to object type id)
HUBSPOT_DEFINED_ASSOCIATIONS: dict[int, tuple[str, str]] = {
    1: ("0-1", "0-2"),
    279: ("0-1", "0-2"),
    2: ("0-2", "0-1"),
    280: ("0-2", "0-1"),
    3: ("0-3", "0-1"),
    4: ("0-1", "0-3"),
    5: ("0-3", "0-2"),
    341: ("0-3", "0-2"),
    6: ("0-2", "0-3"),
    342: ("0-2", "0-3"),
    15: ("0-1", "0-5"),
    16: ("0-5", "0-1"),
    25: ("0-2", "0-5"),
    26: ("0-5", "0-2"),
    339: ("0-5", "0-2"),
    27: ("0-3", "0-5"),
    28: ("0-5", "0-3"),
    19: ("0-3", "0-8"),
    20: ("0-8", "0-3"),
    193: ("0-1", "0-48"),
    197: ("0-1", "0-49"),
    199: ("0-1", "0-47"),
    201: ("0-1", "0-46"),
    203: ("0-1", "0-27"),
    190: ("0-46", "0-2"),
    202: ("0-46", "0-1"),
    214: ("0-46", "0-3"),
    192: ("0-27", "0-2"),
    204: ("0-27", "0-1"),
    216: ("0-27", "0-3"),
}
UNLABELED_ASSOCIATIONS = frozenset((279, 280, 341, 342, 339))
