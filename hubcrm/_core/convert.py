"""The cattrs converter between hubcrm's models and HubSpot's JSON."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ResponseParseError
from .models import AssociatedId, Association, AssociationSpec, CrmObject, ObjectInput
from .values import format_utc, type_name

if TYPE_CHECKING:
    # Loaded by load_pipeline and load_owner when first called: a client that never
    # reads pipelines or owners does not pay for their models at import.
    from .pipeline_owner_models import Owner, Pipeline

__all__ = [
    "converter",
    "dump_input",
    "load_object",
    "load_owner",
    "load_pipeline",
    "parse_datetime",
]

_UTC = timezone.utc

# ISO 8601 / RFC 3339 date-times: seconds, fraction and zone optional, any fraction
# length, "Z" or an offset (a missing zone means UTC, which is what HubSpot sends).
# Compiled (and cached by re) by the first date-time in another shape than HubSpot's
# usual ones, which parse_datetime reads without it.
_DATETIME = (
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?"
)

_PROPERTY_MAP = dict[str, str | None]

# Wire names that are not the camelCase of the Python name.
_RENAMES: dict[tuple[type, str], str] = {
    (AssociationSpec, "type_id"): "associationTypeId",
    (AssociationSpec, "category"): "associationCategory",
}


def parse_datetime(value: str) -> datetime:
    """Parse an ISO 8601 date-time as HubSpot writes it into an aware UTC datetime.

    Accepts ``Z`` or a ``+hh:mm`` offset (no zone means UTC), with or without
    seconds and with a fraction of any length (digits past microseconds are
    dropped); works the same on every supported Python.

    Args:
        value: The text, e.g. ``"2024-11-20T20:12:09.236Z"``.

    Returns:
        The instant as a datetime in UTC.

    Raises:
        ValueError: ``value`` is not such a date-time.
    """
    # Fast path for HubSpot's usual shapes, "2024-11-20T20:12:09.236Z" and
    # "2023-11-07T05:31:56Z": even Python 3.10's fromisoformat reads them once "Z" is
    # spelled "+00:00" (and that is much cheaper than datetime.replace).
    size = len(value)
    if (size == 24 or size == 20) and value[-1] == "Z" and value[10] == "T":
        try:
            return datetime.fromisoformat(value[:-1] + "+00:00")
        except ValueError:
            pass
    match = re.fullmatch(_DATETIME, value)
    if match is None:
        raise ValueError(f"expected an ISO 8601 date-time, got {value[:40]!r}")
    year, month, day, hour, minute, second, fraction, _z, sign, off_h, off_m = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second) if second else 0,
            micro,
            tzinfo=_UTC,
        )
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m) if off_m else 0)
            parsed = parsed - offset if sign == "+" else parsed + offset
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"invalid date-time {value[:40]!r}: {exc}") from None
    return parsed


def _wire_name(cls: type, name: str) -> str:
    renamed = _RENAMES.get((cls, name))
    if renamed is not None:
        return renamed
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part.capitalize() for part in rest)


def _structure_datetime(value: object, _: object) -> datetime:
    if type(value) is not str:
        raise TypeError(f"expected an ISO 8601 date-time string, got {type_name(value)}")
    return parse_datetime(value)


def _structure_str(value: object, _: object) -> str:
    if type(value) is str:
        return value
    # HubSpot's examples sometimes send ids as numbers; read them as their digits.
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value)
    raise TypeError(f"expected a string, got {type_name(value)}")


_STR = frozenset({str})
_STR_OR_NONE = frozenset({str, type(None)})


def _structure_properties(value: object, _: object) -> dict[str, str | None]:
    if type(value) is not dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {type_name(value)}")
        value = dict(value)
    # The usual case: JSON gave str keys and str-or-null values; a copy will do.
    if _STR_OR_NONE.issuperset(map(type, value.values())) and _STR.issuperset(map(type, value)):
        return dict(value)
    return {
        _structure_str(key, None): None if item is None else _structure_str(item, None)
        for key, item in value.items()
    }


def _is_property_map(cls: Any) -> bool:
    return bool(cls == _PROPERTY_MAP)


def _structure_int(value: object, _: object) -> int:
    if type(value) is int:
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {type_name(value)}")


def _structure_bool(value: object, _: object) -> bool:
    if type(value) is bool:
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise TypeError(f"expected true or false, got {type_name(value)}")


def _is_model(cls: Any) -> bool:
    return (
        isinstance(cls, type)
        and attrs.has(cls)
        and getattr(cls, "__module__", "").startswith("hubcrm.")
    )


def _structure_factory(cls: type, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    overrides: dict[str, Any] = {
        a.name: override(rename=_wire_name(cls, a.name)) for a in attrs.fields(cls)
    }
    return make_dict_structure_fn(cls, conv, **overrides)


def _unstructure_factory(cls: type, conv: cattrs.Converter) -> Callable[[Any], Any]:
    overrides: dict[str, Any] = {
        # Optional fields that default to None are left out when None, as HubSpot does.
        a.name: override(rename=_wire_name(cls, a.name), omit_if_default=a.default is None)
        for a in attrs.fields(cls)
    }
    return make_dict_unstructure_fn(cls, conv, **overrides)


def _association_hooks(
    conv: cattrs.Converter,
) -> tuple[Callable[[Any, Any], Association], Callable[[Association], dict[str, Any]]]:
    # {"to": {"id": "123"}, "types": [{"associationCategory": ..., "associationTypeId": 1}]}
    def structure(data: Any, _: object) -> Association:
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an association object, got {type_name(data)}")
        to = data["to"]
        if not isinstance(to, Mapping):
            raise TypeError(f"expected 'to' to be an object, got {type_name(to)}")
        types = data["types"]
        if not isinstance(types, list):
            raise TypeError(f"expected 'types' to be a list, got {type_name(types)}")
        # conv.structure, not get_structure_hook: cattrs 23.2 has no get_*_hook methods.
        return Association(to["id"], [conv.structure(item, AssociationSpec) for item in types])

    def unstructure(association: Association) -> dict[str, Any]:
        return {
            "to": {"id": association.to_id},
            "types": [conv.unstructure(item, AssociationSpec) for item in association.types],
        }

    return structure, unstructure


_ASSOCIATIONS = dict[str, tuple[AssociatedId, ...]] | None


def _structure_associations(value: object, _: object) -> dict[str, tuple[AssociatedId, ...]] | None:
    # {"companies": {"results": [{"id": "1", "type": "contact_to_company"}], "paging": ...}}
    # Read tolerantly: an association list is extra information on a record, so an entry
    # of a shape HubSpot may add later is skipped rather than failing the whole read.
    if not isinstance(value, Mapping):
        return None
    out: dict[str, tuple[AssociatedId, ...]] = {}
    for name, group in value.items():
        results = group.get("results") if isinstance(group, Mapping) else None
        found: list[AssociatedId] = []
        for item in results if isinstance(results, list) else ():
            if not isinstance(item, Mapping):
                continue
            to_id = item.get("id", item.get("toObjectId"))
            if isinstance(to_id, bool) or not isinstance(to_id, (str, int)):
                continue
            kind = item.get("type")
            found.append(
                AssociatedId(_structure_str(to_id, None), kind if isinstance(kind, str) else None)
            )
        out[str(name)] = tuple(found)
    return out


def _make_converter(*, detailed_validation: bool) -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=detailed_validation)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(datetime, _structure_datetime)
    if not detailed_validation:
        # CrmObject.properties is the bulk of every response: read it in one pass.
        # The detailed converter keeps cattrs' per-key hook, which names the bad key.
        conv.register_structure_hook_func(_is_property_map, _structure_properties)
    # Optional scalars are most of CrmObject's fields; cattrs' generic Optional hook
    # resolves the union on every call, these do not.
    conv.register_structure_hook(
        str | None,
        lambda v, _: None if v is None else _structure_str(v, None),
    )
    conv.register_structure_hook(
        datetime | None,
        lambda v, _: None if v is None else _structure_datetime(v, None),
    )
    # By predicate: cattrs 23.2 would otherwise send this optional union to its own
    # Optional handling first, which reads the dict's entries as AssociatedId models.
    conv.register_structure_hook_func(lambda t: t == _ASSOCIATIONS, _structure_associations)
    conv.register_unstructure_hook(datetime, format_utc)
    structure_association, unstructure_association = _association_hooks(conv)
    conv.register_structure_hook(Association, structure_association)
    conv.register_unstructure_hook(Association, unstructure_association)
    # One-argument factories: cattrs 23.2 calls a hook factory with the type only (24.1
    # also accepts factories that take the converter), so the converter is bound here.
    conv.register_structure_hook_factory(_is_model, lambda cls: _structure_factory(cls, conv))
    conv.register_unstructure_hook_factory(_is_model, lambda cls: _unstructure_factory(cls, conv))
    return conv


if TYPE_CHECKING:
    #: The converter between hubcrm's attrs models and HubSpot's JSON (camelCase keys).
    converter: cattrs.Converter
else:

    def __getattr__(name: str) -> object:
        if name == "converter":
            return _converter()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _converter() -> cattrs.Converter:
    """The module's ``converter``, made by its first use (a record in HubSpot's usual
    shape is read without it), not at import; from then on the module's attribute,
    which is what is used (and what a test may replace)."""
    global converter
    try:
        return converter
    except NameError:
        converter = _make_converter(detailed_validation=False)
        return converter


@functools.cache
def _detailed_converter() -> cattrs.Converter:
    """The converter that names the offending field, used only after the fast one
    failed: made on the first answer that could not be read, not at import."""
    return _make_converter(detailed_validation=True)


def dump_input(obj: ObjectInput) -> dict[str, Any]:
    """Turn an `ObjectInput` into HubSpot's JSON-ready request body.

    Args:
        obj: The input.

    Returns:
        ``{"properties": {...}, "associations": [...]}`` plus ``objectWriteTraceId``
        when set; ``associations`` is always present.
    """
    body: dict[str, Any]
    if obj.associations:
        body = _converter().unstructure(obj, ObjectInput)
    else:
        # The usual single create, without the converter's dispatch: what it would make.
        body = {"properties": dict(obj.properties), "associations": []}
        if obj.object_write_trace_id is not None:
            body["objectWriteTraceId"] = obj.object_write_trace_id
    return body


def load_object(data: Any, *, fresh: bool = False) -> CrmObject:
    """Read a `CrmObject` from HubSpot's decoded JSON.

    Unknown keys are ignored and missing optional keys become None.

    Args:
        data: A decoded JSON object (``SimplePublicObject``).
        fresh: ``data`` was just decoded and nothing reads it after this call (a batch
            answer's record): its ``properties`` object becomes the record's when it
            needs no conversion, rather than a copy of it.

    Returns:
        The record.

    Raises:
        ResponseParseError: ``data`` is not a readable record; the message names
            the offending field.
    """
    if type(data) is dict:
        try:
            fast = _load_usual_object(data, fresh)
        except Exception:  # the converter below reports it, naming the field
            fast = None
        if fast is not None:
            return fast
    try:
        obj: CrmObject = _converter().structure(data, CrmObject)
    except Exception as exc:
        raise _parse_error(data, CrmObject, exc) from exc
    return obj


_new_object = object.__new__
# The fields _load_usual_object sets, in CrmObject's order: it sets them all.
_OBJECT_FIELDS = (
    "id",
    "properties",
    "created_at",
    "updated_at",
    "archived",
    "archived_at",
    "properties_with_history",
    "object_write_trace_id",
    "url",
    "warnings",
    "associations",
)
assert tuple(a.name for a in attrs.fields(CrmObject)) == _OBJECT_FIELDS
# Each field's slot, set through its descriptor: a third cheaper than object.__setattr__.
(
    _set_id,
    _set_properties,
    _set_created_at,
    _set_updated_at,
    _set_archived,
    _set_archived_at,
    _set_properties_with_history,
    _set_object_write_trace_id,
    _set_url,
    _set_warnings,
    _set_associations,
) = (CrmObject.__dict__[name].__set__ for name in _OBJECT_FIELDS)


def _load_usual_object(data: dict[str, Any], fresh: bool = False) -> CrmObject | None:
    """The record the converter would read from ``data``, in HubSpot's usual shape (a
    created or read record without history, warnings or associations); None for any
    other shape, left to the converter. A value the converter would refuse raises (any
    exception: :func:`load_object` then lets the converter name the field). ``fresh``
    as for :func:`load_object`.

    Every field is checked as the converter and the model's validators check it, so the
    record is built without running them again (this is the bulk answers' hot path).
    """
    get = data.get
    if (
        get("propertiesWithHistory") is not None
        or get("warnings") is not None
        or get("associations") is not None
    ):
        return None
    record_id = data["id"]
    if type(record_id) is not str:
        return None
    properties = get("properties", _ABSENT)
    if properties is _ABSENT:
        properties = {}
    elif type(properties) is dict:
        # _structure_properties' usual case, inline: str keys, str-or-null values.
        if _STR_OR_NONE.issuperset(map(type, properties.values())) and _STR.issuperset(
            map(type, properties)
        ):
            if not fresh:
                properties = dict(properties)
        else:
            properties = _structure_properties(properties, None)
    else:
        return None
    created_at = data["createdAt"]
    updated_at = data["updatedAt"]
    if type(created_at) is not str or type(updated_at) is not str:
        return None
    # A batch's records are mostly made in the same millisecond, and a new record's
    # updatedAt is its createdAt: the last time read is read again (datetimes are
    # immutable, so sharing one is safe).
    global _last_time
    last = _last_time
    if created_at == last[0]:
        created = last[1]
    else:
        created = parse_datetime(created_at)
        _last_time = (created_at, created)
    updated = created if updated_at == created_at else parse_datetime(updated_at)
    archived = get("archived", False)
    if type(archived) is not bool:
        archived = _structure_bool(archived, None)
    archived_at = get("archivedAt")
    trace_id = get("objectWriteTraceId")
    url = get("url")
    obj: CrmObject = _new_object(CrmObject)
    _set_id(obj, record_id)
    _set_properties(obj, properties)
    _set_created_at(obj, created)
    _set_updated_at(obj, updated)
    _set_archived(obj, archived)
    if archived_at is not None:
        archived_at = _structure_datetime(archived_at, None)
    if trace_id is not None and type(trace_id) is not str:
        trace_id = _structure_str(trace_id, None)
    if url is not None:
        url = _structure_str(url, None)
    _set_archived_at(obj, archived_at)
    _set_properties_with_history(obj, None)
    _set_object_write_trace_id(obj, trace_id)
    _set_url(obj, url)
    _set_warnings(obj, None)
    _set_associations(obj, None)
    return obj


_ABSENT: Any = object()
_last_time: tuple[str | None, datetime] = (None, datetime.min)  # (text, as read)


def load_pipeline(data: Any) -> Pipeline:
    """Read a `Pipeline` (with its stages) from HubSpot's decoded JSON.

    Raises:
        ResponseParseError: ``data`` is not a readable pipeline; the message names the
            offending field.
    """
    from .pipeline_owner_models import Pipeline

    try:
        pipeline: Pipeline = _converter().structure(data, Pipeline)
    except Exception as exc:
        raise _parse_error(data, Pipeline, exc) from exc
    return pipeline


def load_owner(data: Any) -> Owner:
    """Read an `Owner` from HubSpot's decoded JSON.

    Raises:
        ResponseParseError: ``data`` is not a readable owner; the message names the
            offending field (never its value).
    """
    from .pipeline_owner_models import Owner

    try:
        owner: Owner = _converter().structure(data, Owner)
    except Exception as exc:
        raise _parse_error(data, Owner, exc) from exc
    return owner


def _parse_error(data: Any, cls: type, exc: Exception) -> ResponseParseError:
    what = f"could not read HubSpot's response as a {cls.__name__}"
    if not isinstance(data, Mapping):
        return ResponseParseError(f"{what}: expected a JSON object, got {type_name(data)}")
    problems: list[tuple[str, str]] = []
    try:
        _detailed_converter().structure(data, cls)
    except Exception as detailed:
        problems = list(_problems(detailed, ""))
    if not problems:
        problems = [("", _reason(exc))]
    field, reason = problems[0]
    if reason == _MISSING:
        text = f"{what}: required field {field} is missing"
    elif field:
        text = f"{what}: field {field}: {reason}"
    else:
        text = f"{what}: {reason}"
    if len(problems) > 1:
        text = f"{text} (and {len(problems) - 1} more problems)"
    return ResponseParseError(text, field=field or None)


def _problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """Walk a detailed cattrs error, yielding (wire path, reason) per failure."""
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            name = _wire_name(exc.cl, note.name)
            yield from _problems(sub, f"{path}.{name}" if path else name)
        for sub in without:
            yield from _problems(sub, path)
    elif isinstance(exc, IterableValidationError):
        with_items, without = exc.group_exceptions()
        for sub, item in with_items:
            index = f'"{item.index}"' if isinstance(item.index, str) else str(item.index)
            yield from _problems(sub, f"{path}[{index}]")
        for sub in without:
            yield from _problems(sub, path)
    else:
        yield path, _reason(exc)


_MISSING = "missing"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return _MISSING
    if isinstance(exc, AttributeError) and "has no attribute 'items'" in str(exc):
        return "expected a JSON object"
    text = str(exc)
    return text if text else type(exc).__name__
