"""What a request must look like: the structural checks that reject a whole request.

The parsers here check shape only (a JSON object where one belongs, strings where
HubSpot wants strings, at most 100 inputs in a batch, a query's integer parameters in
range) and raise :class:`ApiError` for the whole request; whether an input's values
are acceptable is for the validation in ``_crm_core.py`` to say, input by input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._api_errors import ApiError, bad_json
from ._schema import ASSOCIATION_CATEGORIES

__all__ = ["INT32_MAX", "MAX_BATCH", "parse_batch", "parse_create", "parse_upsert"]

MAX_BATCH = 100
INT32_MAX = 2**31 - 1


class _Input:
    """One structurally valid object input."""

    __slots__ = ("associations", "id", "id_property", "properties", "trace_id")

    def __init__(
        self,
        properties: dict[str, str | None],
        associations: list[tuple[str, list[tuple[str, int]]]],
        trace_id: str | None,
        object_id: str | None = None,
        id_property: str | None = None,
    ) -> None:
        self.properties = properties
        self.associations = associations
        self.trace_id = trace_id
        self.id = object_id
        self.id_property = id_property


# --- structural parsing: failures reject the whole request ---------------------------


def _expect_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_json(f"{where} must be a JSON object")
    return value


def _parse_properties(value: Any, where: str) -> dict[str, str | None]:
    if value is None:
        raise bad_json(f"{where}.properties is required")
    props = _expect_object(value, f"{where}.properties")
    for name, item in props.items():
        if item is not None and not isinstance(item, str):
            raise bad_json(f"{where}.properties.{name} must be a string")
    return props


def _parse_associations(value: Any, where: str) -> list[tuple[str, list[tuple[str, int]]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_json(f"{where}.associations must be a JSON array")
    parsed: list[tuple[str, list[tuple[str, int]]]] = []
    for i, item in enumerate(value):
        at = f"{where}.associations[{i}]"
        item = _expect_object(item, at)
        to = _expect_object(item.get("to"), f"{at}.to")
        to_id = to.get("id")
        if isinstance(to_id, bool) or not isinstance(to_id, (str, int)):
            raise bad_json(f"{at}.to.id must be a string")
        types = item.get("types")
        if not isinstance(types, list):
            raise bad_json(f"{at}.types must be a JSON array")
        specs: list[tuple[str, int]] = []
        for j, spec in enumerate(types):
            spec = _expect_object(spec, f"{at}.types[{j}]")
            category = spec.get("associationCategory")
            type_id = spec.get("associationTypeId")
            if not isinstance(category, str) or category not in ASSOCIATION_CATEGORIES:
                raise bad_json(
                    f"{at}.types[{j}].associationCategory must be one of "
                    "HUBSPOT_DEFINED, USER_DEFINED, INTEGRATOR_DEFINED, WORK"
                )
            if isinstance(type_id, bool) or not isinstance(type_id, int):
                raise bad_json(f"{at}.types[{j}].associationTypeId must be an integer")
            if not -INT32_MAX - 1 <= type_id <= INT32_MAX:
                raise bad_json(f"{at}.types[{j}].associationTypeId is out of int32 range")
            specs.append((category, type_id))
        parsed.append((str(to_id), specs))
    return parsed


def _parse_trace_id(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_json(f"{where}.objectWriteTraceId must be a string")
    return value or None


def parse_create(value: Any, where: str = "body") -> _Input:
    """A ``SimplePublicObjectInputForCreate`` (or a batch input)."""
    item = _expect_object(value, where)
    return _Input(
        _parse_properties(item.get("properties"), where),
        _parse_associations(item.get("associations"), where),
        _parse_trace_id(item.get("objectWriteTraceId"), where),
    )


def parse_upsert(value: Any, where: str) -> _Input:
    """A batch upsert input: ``{id, idProperty, properties, objectWriteTraceId}``."""
    item = _expect_object(value, where)
    object_id = item.get("id")
    if isinstance(object_id, bool) or not isinstance(object_id, (str, int)):
        raise bad_json(f"{where}.id must be a string")
    if isinstance(object_id, str) and not object_id.strip():
        raise ApiError(
            400,
            f"{where}.id must not be blank: an upsert names its record by a non-empty id",
            context={"id": [object_id]},
        )
    id_property = item.get("idProperty")
    if id_property is not None and not isinstance(id_property, str):
        raise bad_json(f"{where}.idProperty must be a string")
    return _Input(
        _parse_properties(item.get("properties"), where),
        [],
        _parse_trace_id(item.get("objectWriteTraceId"), where),
        str(object_id),
        id_property,
    )


def parse_batch(body: Any) -> list[Any]:
    """The ``inputs`` list of a batch body, at most 100 long."""
    body = _expect_object(body, "body")
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise bad_json("body.inputs must be a JSON array")
    if len(inputs) > MAX_BATCH:
        raise ApiError(
            400,
            f"The maximum number of inputs supported in a batch request is {MAX_BATCH}. "
            f"Received {len(inputs)}. Please reduce the number of items and try again.",
            context={"limit": [str(MAX_BATCH)], "received": [str(len(inputs))]},
        )
    return inputs


def _int_param(query: Mapping[str, str], name: str, default: int, most: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ApiError(400, f"Invalid value for {name}: {text}")
    if int(text) > most:
        raise ApiError(400, f"{name} must be at most {most}, not {text}")
    return int(text)
