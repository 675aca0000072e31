"""What ``crm.properties`` checks before it sends (the type and field type pairs HubSpot
allows, the options of an enumeration, the object type id the property-validations API
wants in its path) and how it reads HubSpot's answers.

The readers are tolerant the way the rest of hubcrm reads answers: unknown keys are
ignored and a missing optional key takes its default, but an answer without a
property's ``name`` (or a rule without its ``ruleType``) is a
:class:`~hubcrm.ResponseParseError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from .._core.errors import ResponseParseError
from .._core.models import STANDARD_TYPE_IDS
from .._core.property_models import CrmProperty, PropertyGroup, PropertyOption, ValidationRule

__all__ = [
    "FIELD_TYPES",
    "OptionsArg",
    "check_field_type",
    "default_field_type",
    "load_group",
    "load_property",
    "load_rule",
    "options_body",
    "type_id_of",
]

#: The options of an enumeration, in any of the forms ``crm.properties`` takes:
#: :class:`~hubcrm.PropertyOption` values, plain strings (each its own label), or a
#: mapping of value to label (in its order).
OptionsArg: TypeAlias = Sequence[PropertyOption | str] | Mapping[str, str]

#: The field types HubSpot allows for each data type (its properties guide's table).
FIELD_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset(
        {"text", "textarea", "html", "file", "phonenumber", "calculation_equation"}
    ),
    "number": frozenset({"number", "calculation_equation"}),
    "bool": frozenset({"booleancheckbox", "radio", "select", "calculation_equation"}),
    "enumeration": frozenset(
        {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"}
    ),
    "date": frozenset({"date", "calculation_equation"}),
    "datetime": frozenset({"date", "calculation_equation"}),
    "phone_number": frozenset({"phonenumber"}),
}

_DEFAULT_FIELD_TYPES = {
    "string": "text",
    "number": "number",
    "bool": "booleancheckbox",
    "enumeration": "select",
    "date": "date",
    "datetime": "date",
    "phone_number": "phonenumber",
}

_ALL_FIELD_TYPES = frozenset().union(*FIELD_TYPES.values())


def default_field_type(type: str) -> str:
    """The usual field type of a data type (``select`` for an enumeration); a
    ``ValueError`` for a type HubSpot does not have."""
    _check_type(type)
    return _DEFAULT_FIELD_TYPES[type]


def _check_type(type: str) -> None:
    if type not in FIELD_TYPES:
        raise ValueError(
            f"type {type!r} is not one of HubSpot's property types: "
            f"{', '.join(sorted(FIELD_TYPES))}"
        )


def check_field_type(type: str, field_type: str) -> None:
    """Refuse a field type HubSpot does not have, or one it does not allow for ``type``."""
    _check_type(type)
    if field_type not in _ALL_FIELD_TYPES:
        raise ValueError(
            f"field_type {field_type!r} is not one of HubSpot's field types: "
            f"{', '.join(sorted(_ALL_FIELD_TYPES))}"
        )
    if field_type not in FIELD_TYPES[type]:
        raise ValueError(
            f"field_type {field_type!r} does not go with type {type!r}: HubSpot allows "
            f"{', '.join(sorted(FIELD_TYPES[type]))} for it"
        )


def options_body(options: OptionsArg, *, where: str = "options") -> list[dict[str, Any]]:
    """HubSpot's ``options`` list from any :data:`OptionsArg` form, checked: at least one
    option, each with a non-empty value, no value twice. A plain string or a mapping entry
    is ordered by its position."""
    items: list[PropertyOption] = []
    if isinstance(options, Mapping):
        for position, (value, label) in enumerate(options.items()):
            if not isinstance(value, str) or not isinstance(label, str):
                raise TypeError(f"{where} maps option values to labels: both are strings")
            items.append(PropertyOption(label=label, value=value, display_order=position))
    elif isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        raise TypeError(
            f"{where} must be a list of PropertyOption or str, or a mapping of value to "
            f"label, not {type(options).__name__}"
        )
    else:
        for position, option in enumerate(options):
            if isinstance(option, PropertyOption):
                items.append(option)
            elif isinstance(option, str):
                items.append(PropertyOption(label=option, value=option, display_order=position))
            else:
                raise TypeError(
                    f"{where}[{position}] must be a PropertyOption or a str, "
                    f"not {type(option).__name__}"
                )
    if not items:
        raise ValueError(f"{where} is empty: an enumeration needs at least one option")
    seen: set[str] = set()
    for position, item in enumerate(items):
        if not item.value:
            raise ValueError(f"{where}[{position}] has an empty value")
        if item.value in seen:
            raise ValueError(
                f"{where}[{position}] repeats the value {item.value!r}: each option's value "
                "must be different"
            )
        seen.add(item.value)
    return [item.to_json() for item in items]


def type_id_of(object_type: str) -> str:
    """The object type id (``0-1``, ``2-…``) of a standard type's name or of an id; a
    ``ValueError`` for a custom type's name, whose id only its schema tells."""
    if object_type[:2] in ("0-", "2-") and object_type[2:].isdigit():
        return object_type
    found = STANDARD_TYPE_IDS.get(object_type.lower())
    if found is None:
        raise ValueError(
            f"object type {object_type!r} is not a standard type hubcrm knows the id of; "
            "pass the type's id instead (a custom type's is '2-…', in its schema)"
        )
    return found


# --- reading HubSpot's JSON -------------------------------------------------------------


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ResponseParseError(f"{what} is not a JSON object")
    return data


def _text(data: Mapping[str, Any], key: str, what: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise ResponseParseError(f"{what} has no {key}", field=key)
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ResponseParseError(f"{what}: {key} is not a string", field=key)
    return str(value)


def _flag(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    return value if isinstance(value, bool) else default


def _order(data: Mapping[str, Any]) -> int | None:
    # HubSpot's -1 means "no place given": None, as PropertyOption.to_json sends it back
    value = data.get("displayOrder")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _load_option(data: Any) -> PropertyOption:
    item = _mapping(data, "an option of a property")
    return PropertyOption(
        label=_text(item, "label", "an option"),
        value=_text(item, "value", "an option", required=True),
        display_order=_order(item),
        hidden=_flag(item, "hidden"),
        description=_text(item, "description", "an option"),
    )


def load_property(data: Any) -> CrmProperty:
    """A :class:`CrmProperty` from HubSpot's ``Property`` JSON."""
    item = _mapping(data, "a property answer")
    what = "a property answer"
    raw_options = item.get("options")
    options = tuple(_load_option(o) for o in raw_options) if isinstance(raw_options, list) else ()
    meta = item.get("modificationMetadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return CrmProperty(
        name=_text(item, "name", what, required=True),
        label=_text(item, "label", what),
        type=_text(item, "type", what),
        field_type=_text(item, "fieldType", what),
        group_name=_text(item, "groupName", what),
        unique=_flag(item, "hasUniqueValue"),
        description=_text(item, "description", what),
        options=options,
        display_order=_order(item),
        hidden=_flag(item, "hidden"),
        calculated=_flag(item, "calculated"),
        external_options=_flag(item, "externalOptions"),
        read_only_value=_flag(meta, "readOnlyValue"),
        read_only_definition=_flag(meta, "readOnlyDefinition"),
        archivable=_flag(meta, "archivable", True),
        hubspot_defined=_flag(item, "hubspotDefined"),
        archived=_flag(item, "archived"),
    )


def load_group(data: Any) -> PropertyGroup:
    """A :class:`PropertyGroup` from HubSpot's ``PropertyGroup`` JSON."""
    item = _mapping(data, "a property group answer")
    return PropertyGroup(
        name=_text(item, "name", "a property group answer", required=True),
        label=_text(item, "label", "a property group answer"),
        display_order=_order(item),
        archived=_flag(item, "archived"),
    )


def load_rule(data: Any) -> ValidationRule:
    """A :class:`ValidationRule` from HubSpot's ``PublicPropertyValidationRule`` JSON."""
    item = _mapping(data, "a validation rule")
    arguments = item.get("ruleArguments")
    if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
        arguments = []
    normalize = item.get("shouldApplyNormalization")
    return ValidationRule(
        rule_type=_text(item, "ruleType", "a validation rule", required=True),
        rule_arguments=tuple(arguments),
        should_apply_normalization=normalize if isinstance(normalize, bool) else None,
    )
