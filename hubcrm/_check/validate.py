"""``objects.validate``: read the definitions, check the inputs, and (when asked) look
up the unique values that records of the portal already hold."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Sequence

from .._core.errors import ForbiddenError
from .._core.models import CrmObject
from .._write.outcomes import BulkInput, BulkInputs
from .check import UniqueValue, check_inputs
from .reader import DefinitionsReader
from .report import SkippedCheck, ValidationProblem, ValidationReport

__all__ = ["ReadExisting", "collect_inputs", "validate_inputs"]

#: Reads records by a unique property's values: ``get_many(object_type, values,
#: id_property=name)``.
ReadExisting = Callable[[str, Sequence[str], str], Awaitable[list[CrmObject | None]]]

_BATCH = 100


async def collect_inputs(inputs: BulkInputs) -> list[BulkInput]:
    """The inputs of an iterable or async iterable, as a list."""
    if isinstance(inputs, AsyncIterable):
        return [item async for item in inputs]
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):  # type: ignore[unreachable]
        raise TypeError(
            "inputs must be an iterable or async iterable of ObjectInput or mappings, "
            f"not {type(inputs).__name__}"
        )
    return list(inputs)


async def validate_inputs(
    reader: DefinitionsReader,
    read_existing: ReadExisting,
    object_type: str,
    inputs: Sequence[object],
    *,
    check_existing: bool,
    refresh: bool,
) -> ValidationReport:
    """Check ``inputs`` against the portal's definitions of ``object_type``."""
    before = reader.requests
    snapshot = await reader.snapshot(object_type, refresh=refresh)
    requests = reader.requests - before
    result = check_inputs(snapshot, inputs)
    problems = list(result.problems)
    skipped = list(result.skipped)
    if check_existing and result.unique_values:
        if snapshot.properties is None:
            skipped.append(SkippedCheck("existing_values", "the unique properties are unknown"))
        else:
            try:
                found, spent = await _existing(
                    read_existing, object_type, result.unique_values, snapshot.contacts
                )
            except ForbiddenError:
                skipped.append(
                    SkippedCheck("existing_values", "the token may not read the records (403)")
                )
            else:
                problems.extend(found)
                requests += spent
    return ValidationReport(
        object_type=object_type,
        checked=len(inputs),
        problems=problems,
        skipped=skipped,
        requests=requests,
    )


async def _existing(
    read_existing: ReadExisting,
    object_type: str,
    values: Sequence[UniqueValue],
    contacts: bool,
) -> tuple[list[ValidationProblem], int]:
    """The inputs whose unique value a record already holds, and the requests spent."""
    by_property: dict[str, list[UniqueValue]] = {}
    for value in values:
        by_property.setdefault(value.property, []).append(value)
    problems: list[ValidationProblem] = []
    flagged: set[int] = set()
    spent = 0
    for name, held in by_property.items():
        folds = contacts and name == "email"
        wanted = [v.value for v in held]
        spent += -(-len(set(wanted)) // _BATCH)
        records = await read_existing(object_type, wanted, name)
        for unique, record in zip(held, records, strict=True):
            if record is None or unique.index in flagged:
                continue
            stored = record.properties.get(name) or ""
            same = stored.lower() == unique.value.lower() if folds else stored == unique.value
            if not same:
                continue  # a case-insensitive match HubSpot would not call a clash
            flagged.add(unique.index)
            problems.append(
                ValidationProblem(
                    unique.index,
                    name,
                    "CONFLICT",
                    f'"{name}" has unique values, and record {record.id} of the portal '
                    "already holds this one",
                )
            )
    return problems, spent
