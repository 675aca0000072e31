"""The check itself: which inputs HubSpot would refuse, given a :class:`PortalSnapshot`.

A pure function of the snapshot and the inputs: it sends nothing. Each input is encoded
as a create would encode it (:class:`~hubcrm.ObjectInput`), and the strings HubSpot
would receive are judged in HubSpot's order: the properties (existence, read-only,
format, options, validation rules), the required properties, the pipeline and stage,
the owner; and, for an input nothing else refuses, its unique values (a value an
earlier input of the same run holds is refused: HubSpot creates the first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .._core.models import ObjectInput
from .._core.pipeline_owner_models import Pipeline
from .._core.property_models import CrmProperty, ValidationRule
from .report import SkippedCheck, ValidationProblem
from .snapshot import (
    OWNER_PROPERTY,
    PortalSnapshot,
    default_pipeline_id,
    pipeline_property_names,
)
from .values import check_rules, check_value, unchecked_rule_reason

__all__ = ["CheckResult", "UniqueValue", "check_inputs", "encode_input"]


@attrs.frozen
class UniqueValue:
    """A unique value an input would give its record: the first input holding it."""

    index: int
    property: str
    value: str = attrs.field(repr=False)


@attrs.frozen
class CheckResult:
    """What :func:`check_inputs` found.

    Attributes:
        problems: Every problem, in input order.
        skipped: The checks and rules not run, and why.
        unique_values: The unique values of the inputs nothing refuses (the first
            holder of each), for a look-up of the records that already hold them.
    """

    problems: list[ValidationProblem]
    skipped: list[SkippedCheck]
    unique_values: list[UniqueValue]


def encode_input(raw: object) -> ObjectInput:
    """An input as ``create_many`` takes it (an ObjectInput, or a mapping of
    properties), encoded.

    Raises:
        TypeError, ValueError: the input cannot be sent (as ``create_many`` says).
    """
    if isinstance(raw, ObjectInput):
        return raw
    if isinstance(raw, Mapping):
        return ObjectInput(raw)
    raise TypeError(
        f"each input must be an ObjectInput or a mapping of properties, not {type(raw).__name__}"
    )


class _Rules:
    """The rules hubcrm evaluates, by property; the others noted once each."""

    def __init__(self, snapshot: PortalSnapshot, skipped: list[SkippedCheck]) -> None:
        self.checked: dict[str, list[ValidationRule]] = {}
        self._skipped = skipped
        self._undecided: set[str] = set()
        for name, rules in (snapshot.rules or {}).items():
            for rule in rules:
                reason = unchecked_rule_reason(rule)
                if reason is None:
                    self.checked.setdefault(name, []).append(rule)
                else:
                    skipped.append(SkippedCheck("rule", f"{rule.rule_type}: {reason}", name))

    def undecided(self, name: str) -> None:
        if name not in self._undecided:
            self._undecided.add(name)
            self._skipped.append(
                SkippedCheck(
                    "rule",
                    "REGEX: some values hold characters Java and Python match differently "
                    "against this pattern; those values were not checked against it",
                    name,
                )
            )


def check_inputs(snapshot: PortalSnapshot, inputs: Sequence[object]) -> CheckResult:
    """Check ``inputs`` (as ``create_many`` takes them) against ``snapshot``."""
    problems: list[ValidationProblem] = []
    skipped = list(snapshot.skipped)
    rules = _Rules(snapshot, skipped)
    seen: dict[tuple[str, str], int] = {}
    unique_values: list[UniqueValue] = []
    for index, raw in enumerate(inputs):
        try:
            obj = encode_input(raw)
        except Exception as exc:  # whatever an input raises is its own, as in create_many
            problems.append(
                ValidationProblem(
                    index,
                    None,
                    type(exc).__name__,
                    f"the input cannot be sent ({type(exc).__name__}): create_many fails it "
                    "without sending it",
                )
            )
            continue
        found, normalized = _check_properties(snapshot, rules, index, obj.properties)
        found.extend(_check_required(snapshot, index, normalized))
        found.extend(_check_pipeline(snapshot, index, normalized))
        found.extend(_check_owner(snapshot, index, normalized))
        if not found:
            found.extend(_check_unique(snapshot, index, normalized, seen, unique_values))
        problems.extend(found)
    return CheckResult(problems, skipped, unique_values)


def _read_only(prop: CrmProperty) -> str:
    if prop.calculated:
        return f'"{prop.name}" is a calculated property: HubSpot sets its value'
    return f'"{prop.name}" is read-only: HubSpot sets its value'


def _check_properties(
    snapshot: PortalSnapshot, rules: _Rules, index: int, properties: Mapping[str, str]
) -> tuple[list[ValidationProblem], dict[str, str | None]]:
    """The problems of each value, and the values as HubSpot would store them (None for
    a cleared one; a refused one is left out)."""
    found: list[ValidationProblem] = []
    normalized: dict[str, str | None] = {}
    defined = snapshot.properties
    for name, value in properties.items():
        if defined is None:  # the definitions could not be read: nothing to judge by
            normalized[name] = value or None
            continue
        prop = defined.get(name)
        if prop is None:
            found.append(
                ValidationProblem(
                    index, name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
                )
            )
            continue
        if not prop.writable:
            found.append(ValidationProblem(index, name, "READ_ONLY_VALUE", _read_only(prop)))
            continue
        if value == "":
            normalized[name] = None
            continue
        stored, problem = check_value(prop, value, email=snapshot.contacts and name == "email")
        if problem is None and name in rules.checked:
            problem, undecided = check_rules(name, stored, rules.checked[name])
            if undecided:
                rules.undecided(name)
        if problem is not None:
            found.append(ValidationProblem(index, name, problem[0], problem[1]))
        else:
            normalized[name] = stored
    return found, normalized


def _check_required(
    snapshot: PortalSnapshot, index: int, normalized: Mapping[str, str | None]
) -> list[ValidationProblem]:
    return [
        ValidationProblem(
            index,
            name,
            "MISSING_REQUIRED_PROPERTY",
            f'Property "{name}" is required: a new record must set it',
        )
        for name in snapshot.required or ()
        if normalized.get(name) is None
    ]


def _ids(items: Sequence[str]) -> str:
    shown = ", ".join(items[:20])
    return f"[{shown}{', …' if len(items) > 20 else ''}]"


def _check_pipeline(
    snapshot: PortalSnapshot, index: int, normalized: Mapping[str, str | None]
) -> list[ValidationProblem]:
    pipelines = snapshot.pipelines
    if not pipelines:
        return []
    pipeline_name, stage_name = pipeline_property_names(snapshot.type_id)
    by_id = {p.id: p for p in pipelines}
    live = [
        p.id for p in sorted(pipelines, key=lambda p: (p.display_order, p.label)) if not p.archived
    ]
    pipeline_id = normalized.get(pipeline_name)
    if pipeline_id is not None:
        pipeline = by_id.get(pipeline_id)
        if pipeline is None or pipeline.archived:
            what = "an archived pipeline" if pipeline is not None else "no pipeline of this type"
            return [
                ValidationProblem(
                    index,
                    pipeline_name,
                    "INVALID_OPTION",
                    f'"{pipeline_name}" names {what}; the live pipelines are {_ids(live)}',
                )
            ]
    stage_id = normalized.get(stage_name)
    if stage_id is None:
        return []
    if pipeline_id is None:
        pipeline_id = default_pipeline_id(snapshot.type_id, pipelines)
    pipeline = by_id.get(pipeline_id) if pipeline_id is not None else None
    if pipeline is None:
        return []  # no pipeline to check the stage against
    stage = next((s for s in pipeline.stages if s.id == stage_id), None)
    if stage is not None and not stage.archived:
        return []
    return [
        ValidationProblem(
            index,
            stage_name,
            "INVALID_OPTION",
            _stage_message(stage_name, stage_id, pipeline, pipelines),
        )
    ]


def _stage_message(
    stage_name: str, stage_id: str, pipeline: Pipeline, pipelines: Sequence[Pipeline]
) -> str:
    live = [s.id for s in pipeline.stages if not s.archived]
    head = f'"{stage_name}" is not a live stage of pipeline {pipeline.id!r}'
    stage = next((s for s in pipeline.stages if s.id == stage_id), None)
    if stage is not None:
        head = f'"{stage_name}" names archived stage {stage.id!r} of pipeline {pipeline.id!r}'
    else:
        folded = stage_id.strip().casefold()
        by_label = next(
            (s for s in pipeline.stages if not s.archived and s.label.casefold() == folded), None
        )
        if by_label is not None:
            head += f"; the value is a stage's label: give its id, {by_label.id!r}"
        else:
            other = next(
                (
                    p
                    for p in pipelines
                    if p.id != pipeline.id and any(s.id == stage_id for s in p.stages)
                ),
                None,
            )
            if other is not None:
                head += f"; the value is a stage of pipeline {other.id!r}"
    return f"{head} (its live stages: {_ids(live)})"


def _check_owner(
    snapshot: PortalSnapshot, index: int, normalized: Mapping[str, str | None]
) -> list[ValidationProblem]:
    owners = snapshot.owners
    owner_id = normalized.get(OWNER_PROPERTY)
    if owners is None or owner_id is None or owner_id in owners:
        return []
    if snapshot.properties is not None and OWNER_PROPERTY not in snapshot.properties:
        return []
    if owner_id in snapshot.archived_owners:
        message = f'"{OWNER_PROPERTY}" names an archived owner'
    else:
        message = f'"{OWNER_PROPERTY}" names no owner of this portal'
    return [ValidationProblem(index, OWNER_PROPERTY, "INVALID_OWNER_ID", message)]


def _check_unique(
    snapshot: PortalSnapshot,
    index: int,
    normalized: Mapping[str, str | None],
    seen: dict[tuple[str, str], int],
    unique_values: list[UniqueValue],
) -> list[ValidationProblem]:
    found: list[ValidationProblem] = []
    claimed: list[tuple[tuple[str, str], UniqueValue]] = []
    for prop in (snapshot.properties or {}).values():
        value = normalized.get(prop.name)
        if not prop.unique or value is None:
            continue
        key = (prop.name, value)  # a contact's email is lower-cased already
        first = seen.get(key)
        if first is not None:
            found.append(
                ValidationProblem(
                    index,
                    prop.name,
                    "CONFLICT",
                    f'"{prop.name}" has unique values, and input {first} holds this one: '
                    "HubSpot creates that one and refuses this one",
                    held_by=first,
                )
            )
            break  # HubSpot refuses the input at its first clash
        claimed.append((key, UniqueValue(index, prop.name, value)))
    if not found:
        for key, unique in claimed:
            seen[key] = index
            unique_values.append(unique)
    return found
