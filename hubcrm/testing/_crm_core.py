"""What the CRM logic shares, and the two steps of every write: validate, then commit.

:class:`CrmCore` holds the store, clock, random source, counters and the settings that
shape answers; the reads, the properties API and the creates are built on it (and
:class:`~._crm.Crm` gathers them). Every public method of those runs synchronously under
the emulator's lock and either returns ``(status, body, committed ids)`` or raises
:class:`ApiError` for a whole-request error.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from typing import Any, Literal

from ._api_errors import ApiError, conflict, property_errors, unique_refused
from ._clock import Clock
from ._counters import Counters
from ._crm_input import _Input
from ._portal import PortalDefs
from ._rules import check_rules
from ._schema import ObjectTypeDef, PropertyDef, PropertyError, iso_ms, validate_value
from ._store import Association, Store, StoredObject

__all__ = ["UNIQUE_REFUSALS", "CrmCore", "Result", "UniqueRefusal"]

Result = tuple[int, dict[str, Any], list[str]]
UniqueRefusal = Literal["409", "400"]
UNIQUE_REFUSALS: tuple[UniqueRefusal, ...] = ("409", "400")


class _Prepared:
    """An input that passed every check, ready to commit."""

    __slots__ = ("associations", "existing", "properties", "trace_id", "unique_keys")

    def __init__(
        self,
        properties: dict[str, str | None],
        associations: list[Association],
        unique_keys: list[tuple[str, str]],
        trace_id: str | None,
        existing: StoredObject | None,
    ) -> None:
        self.properties = properties
        self.associations = associations
        self.unique_keys = unique_keys
        self.trace_id = trace_id
        self.existing = existing


def _read_only(prop: PropertyDef) -> PropertyError:
    """The refusal of a write to a property whose value HubSpot sets."""
    if prop.calculated:
        message = f'Property "{prop.name}" is a calculated property; its value cannot be set'
    else:
        message = f'Property "{prop.name}" is read-only'
    return PropertyError(prop.name, "READ_ONLY_VALUE", message)


class CrmCore:
    """The state every CRM call works on, per-input validation, and the commit."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        rng: random.Random,
        counters: Counters,
        conflict_style: str,
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.counters = counters
        self.conflict_style = conflict_style
        # the portal's pipelines and owners, which records are checked against
        self.portal = PortalDefs()
        # how a clash on a custom unique-value property is refused: HubSpot documents no
        # body for it, so the emulator gives either shape (409 as for email, or a 400)
        self.unique_refusal: UniqueRefusal = "409"
        # whether batch upsert results echo objectWriteTraceId (HubSpot does not promise it)
        self.upsert_trace_ids = True
        # seconds (on the clock's monotonic time) before a write is visible to search
        self.search_delay = 0.0

    def now(self) -> str:
        """The emulator's wall time, HubSpot-formatted."""
        return iso_ms(datetime.fromtimestamp(self.clock.time(), timezone.utc))

    # --- per-input validation ----------------------------------------------------------

    def _prepare(
        self,
        tdef: ObjectTypeDef,
        item: _Input,
        *,
        existing: StoredObject | None,
        pending: dict[tuple[str, str], str] | None,
    ) -> _Prepared:
        """Validate one input against the schema and the store; raise ApiError if bad."""
        schema = tdef.properties
        errors: list[PropertyError] = []
        normalized: dict[str, str | None] = {}
        for name, value in item.properties.items():
            prop = schema.get(name)
            if prop is None:
                errors.append(
                    PropertyError(
                        name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
                    )
                )
                continue
            if prop.read_only or prop.calculated:
                errors.append(_read_only(prop))
                continue
            if value is None or value == "":
                normalized[name] = None
                continue
            value, error = validate_value(prop, value)
            if error is None:
                rules = self.store.validation_rules.get((tdef.object_type_id, name))
                error = check_rules(name, value, rules) if rules else None
            if error is not None:
                errors.append(error)
            else:
                normalized[name] = value
        if existing is None:
            for name in tdef.required:
                if normalized.get(name) is None:
                    errors.append(
                        PropertyError(
                            name, "MISSING_REQUIRED_PROPERTY", f'Property "{name}" is required'
                        )
                    )
            if tdef.required_one_of and all(
                normalized.get(n) is None for n in tdef.required_one_of
            ):
                names = " or ".join(f'"{n}"' for n in tdef.required_one_of)
                errors.append(
                    PropertyError(
                        tdef.required_one_of[0],
                        "MISSING_REQUIRED_PROPERTY",
                        f"One of the properties {names} is required",
                    )
                )
        errors.extend(
            self.portal.check_record(
                tdef, normalized, None if existing is None else existing.properties
            )
        )
        if errors:
            raise property_errors(errors)

        associations = self._check_associations(tdef, item.associations)

        unique_keys: list[tuple[str, str]] = []
        for name in tdef.unique_properties:
            value = normalized.get(name)
            if value is None:
                continue
            key = self.store.unique_key(schema[name], value)
            holder = self.store.unique[(tdef.object_type_id, name)].get(key)
            if holder is not None and (existing is None or holder != existing.id):
                if self.unique_refusal == "400" and not schema[name].email:
                    raise unique_refused(name)
                raise conflict(holder, tdef.singular, name, self.conflict_style)
            if pending is not None and (name, key) in pending:
                raise ApiError(
                    400,
                    f'Duplicate values for unique property "{name}" in batch input',
                    context={"propertyName": [name]},
                )
            unique_keys.append((name, key))
        if pending is not None:
            for name_key in unique_keys:
                pending[name_key] = ""
        return _Prepared(normalized, associations, unique_keys, item.trace_id, existing)

    def _check_associations(
        self, tdef: ObjectTypeDef, associations: list[tuple[str, list[tuple[str, int]]]]
    ) -> list[Association]:
        checked: list[Association] = []
        for to_id, specs in associations:
            if not specs:
                raise ApiError(
                    400, f"Association to {to_id} must have at least one association type"
                )
            target: str | None = None
            for category, type_id in specs:
                to_type = self.store.association_target(tdef.object_type_id, category, type_id)
                if to_type is None:
                    raise ApiError(
                        400,
                        f"{category} association type id {type_id} is not valid for "
                        f"associations from {tdef.object_type_id} ({tdef.name})",
                        context={"associationTypeId": [str(type_id)]},
                    )
                if target is not None and to_type != target:
                    raise ApiError(
                        400,
                        f"Association types of the association to {to_id} point to "
                        f"different object types ({target}, {to_type})",
                    )
                target = to_type
            assert target is not None
            if to_id not in self.store.objects[target]:
                raise ApiError(
                    400,
                    f"Could not create associations: no object of type {target} "
                    f"with id {to_id} exists",
                    context={"toObjectId": [to_id], "toObjectTypeId": [target]},
                )
            checked.append((target, to_id, tuple(specs)))
        return checked

    # --- commits -----------------------------------------------------------------------

    def _commit(self, tdef: ObjectTypeDef, prepared: _Prepared, now: str) -> StoredObject:
        type_id = tdef.object_type_id
        existing = prepared.existing
        if existing is None:
            object_id = str(self.store.next_id)
            self.store.next_id += 1
            props = {k: v for k, v in prepared.properties.items() if v is not None}
            props.setdefault(tdef.created_property, now)
            props[tdef.modified_property] = now
            props["hs_object_id"] = object_id
            obj = StoredObject(object_id, type_id, props, now, [])
            self.store.objects[type_id][object_id] = obj
            self.counters.objects_created += 1
        else:
            obj = existing
            if self.search_delay > 0 and not obj.search_versions:
                # search keeps seeing the record as it was until this write is indexed
                obj.search_versions.append((-math.inf, dict(obj.properties), obj.updated_at))
            for name in tdef.unique_properties:
                old = obj.properties.get(name)
                if old is not None and name in prepared.properties:
                    key = self.store.unique_key(tdef.properties[name], old)
                    self.store.unique[(type_id, name)].pop(key, None)
            for name, value in prepared.properties.items():
                if value is None:
                    obj.properties.pop(name, None)
                else:
                    obj.properties[name] = value
            obj.properties[tdef.modified_property] = now
            obj.updated_at = now
            self.counters.objects_updated += 1
        # Stored from both sides, as associations.create does: the company lists the
        # contact created with an association to it.
        for to_type, to_id, specs in prepared.associations:
            target = self.store.objects[to_type].get(to_id)
            if target is None:  # checked when prepared; never lose the association
                self.store.link(obj, to_type, to_id, specs)
            else:
                self.store.link_both(obj, target, specs)
        for name, key in prepared.unique_keys:
            self.store.unique[(type_id, name)][key] = obj.id
        if self.search_delay > 0:
            visible_at = self.clock.monotonic() + self.search_delay
            obj.search_versions.append((visible_at, dict(obj.properties), obj.updated_at))
        else:
            obj.search_versions.clear()
        return obj
