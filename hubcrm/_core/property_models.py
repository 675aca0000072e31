"""The attrs models of a portal's property definitions: properties, their options,
property groups and property validation rules (read from HubSpot's JSON by
``_resources/property_parts.py``)."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = [
    "CrmProperty",
    "PropertyGroup",
    "PropertyOption",
    "ValidationRule",
]


@attrs.frozen(kw_only=True)
class PropertyOption:
    """One option of an enumeration property.

    Attributes:
        label: The text shown in HubSpot's UI.
        value: The internal value, the one a record holds and a write sends.
        display_order: Its place among the options (lower first; ``None``: unordered,
            HubSpot's -1).
        hidden: Whether HubSpot's forms and UI leave it out.
        description: A longer text shown with the option.
    """

    label: str
    value: str
    display_order: int | None = None
    hidden: bool = False
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        """HubSpot's ``OptionInput``: every field it requires, ``displayOrder`` as -1 when
        unordered."""
        return {
            "label": self.label,
            "value": self.value,
            "displayOrder": -1 if self.display_order is None else self.display_order,
            "hidden": self.hidden,
            "description": self.description,
        }


@attrs.frozen(kw_only=True)
class CrmProperty:
    """A property of an object type, as HubSpot describes it.

    Attributes:
        name: The internal name, used in ``properties`` and as ``id_property``.
        label: The name shown in HubSpot's UI.
        type: HubSpot's data type (``"string"``, ``"number"``, ...).
        field_type: How HubSpot's UI edits it (``"text"``, ``"select"``, ...).
        group_name: The property group it is shown in.
        unique: Whether its values are unique across the type (``hasUniqueValue``).
        description: The help text shown with it.
        options: The options of an enumeration (empty for other types, and for one whose
            options live elsewhere: see ``external_options``).
        display_order: Its place in its group (``None`` when HubSpot gives none or -1).
        hidden: Whether HubSpot's UI hides it.
        calculated: Whether HubSpot computes its value (a calculation, a rollup): such a
            property cannot be written.
        external_options: Whether its options live outside the definition (a deal's
            ``dealstage`` takes the stages of pipelines, ``hubspot_owner_id`` the owners):
            ``options`` is then empty and says nothing about which values are allowed.
        read_only_value: Whether its value cannot be written by the API
            (``modificationMetadata.readOnlyValue``): HubSpot sets it.
        read_only_definition: Whether its definition cannot be changed
            (``modificationMetadata.readOnlyDefinition``).
        archivable: Whether it can be archived (``modificationMetadata.archivable``).
        hubspot_defined: Whether HubSpot defined it (not a custom property).
        archived: Whether it is archived.
    """

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    unique: bool
    description: str = ""
    options: tuple[PropertyOption, ...] = ()
    display_order: int | None = None
    hidden: bool = False
    calculated: bool = False
    external_options: bool = False
    read_only_value: bool = False
    read_only_definition: bool = False
    archivable: bool = True
    hubspot_defined: bool = False
    archived: bool = False

    @property
    def writable(self) -> bool:
        """Whether a create or update may set its value (neither read-only nor calculated)."""
        return not (self.read_only_value or self.calculated)


@attrs.frozen(kw_only=True)
class PropertyGroup:
    """A property group: the heading properties are shown under in HubSpot's UI.

    Attributes:
        name: The internal name, a property's ``group_name``.
        label: The heading shown.
        display_order: Its place among the groups (``None`` when HubSpot gives none or
            -1).
        archived: Whether it is archived.
    """

    name: str
    label: str
    display_order: int | None = None
    archived: bool = False


@attrs.frozen(kw_only=True)
class ValidationRule:
    """A validation rule of a property, configured in the portal: values that break it
    are refused on write.

    Attributes:
        rule_type: The kind of rule (``"MAX_LENGTH"``, ``"REGEX"``,
            ``"EMAIL_BLOCKED_DOMAINS"``, ...).
        rule_arguments: Its arguments, as HubSpot gives them: strings (a length, a
            pattern, domains).
        should_apply_normalization: Whether HubSpot normalizes a value before checking it
            (``None`` when the answer does not say).
    """

    rule_type: str
    rule_arguments: tuple[str, ...] = ()
    should_apply_normalization: bool | None = None
