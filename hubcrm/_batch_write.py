"""Batch updates and archives: ``update_many`` and ``archive_many``.

A small sibling of the create engine (``_bulk``). Updates and archives are idempotent,
so the retrier resends them after an ambiguous failure, and the accounting is simpler:
every input ends as exactly one outcome, ``"updated"`` / ``"archived"``, ``"failed"``,
``"unknown"`` (retries ran out after ambiguous failures) or ``"not_attempted"`` (a
daily limit or a rejected token stopped the run before its request).

Inputs are read up front and sent in batches of up to 100 with bounded concurrency. A
batch rejected as a whole is split in halves until the bad inputs are isolated. Two
updates of one record never share a batch (HubSpot refuses duplicate ids): the second
goes in a later round, after the first is answered, so the last one wins as in input
order.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Generic, Literal, Protocol, TypeVar

import anyio
import attrs

from ._bulk import (
    Requester,
    check_batch_size,
    check_concurrency,
    in_flight,
    stops_run,
)
from ._bulk_answer import map_batch_answer
from ._config import RequestOptions
from ._errors import HubCRMError, OutcomeUnknownError
from ._models import CrmObject, ObjectInput, redacted_properties
from ._retry import FailureClass, RequestKind, classify
from ._values import encode_properties, type_name

__all__ = [
    "ArchiveOutcome",
    "ArchiveStatus",
    "BatchResult",
    "ObjectUpdate",
    "SendChunk",
    "UpdateOutcome",
    "UpdateStatus",
    "archive_batches",
    "concurrency_for",
    "run_rounds",
    "update_batches",
]


def _object_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"a record id must be a str or int, not {type_name(value)}")
    text = value if isinstance(value, str) else int.__repr__(value)
    if not text:
        raise ValueError("a record id must not be empty")
    return text


@attrs.frozen
class ObjectUpdate:
    """One record to update: its id (or unique value) and the properties to set.

    Attributes:
        id: The record's id; with ``id_property`` the value of that unique property.
        properties: Property names mapped to values, encoded as for a create (``None``
            clears a value).
        id_property: A unique-value property (``"email"``) that ``id`` is a value of.

    Raises:
        TypeError, ValueError: the id or a property value cannot be sent.
    """

    id: str = attrs.field(converter=_object_id)
    properties: dict[str, str] = attrs.field(converter=encode_properties, repr=redacted_properties)
    id_property: str | None = attrs.field(default=None, kw_only=True)

    def __repr__(self) -> str:
        # A unique value (an email) is personal data; a record id is not.
        shown = "..." if self.id_property is not None else repr(self.id)
        return (
            f"ObjectUpdate(id={shown}, properties={redacted_properties(self.properties)}, "
            f"id_property={self.id_property!r})"
        )


UpdateStatus = Literal["updated", "failed", "unknown", "not_attempted"]
ArchiveStatus = Literal["archived", "failed", "unknown", "not_attempted"]


@attrs.frozen
class UpdateOutcome:
    """What became of one input of ``update_many``.

    Attributes:
        index: The input's position, from 0.
        input: The update: as given, or as read from a mapping. An input that could
            not be read as an update is ``"failed"`` with a ``TypeError`` or
            ``ValueError``, and its ``input`` is the placeholder ``ObjectUpdate("-", {})``
            (``index`` says which input it was).
        status: ``"updated"`` (with its record), ``"failed"`` (HubSpot refused it: a
            ``NotFoundError`` for a missing record, a ``BadRequestError`` for a bad
            value), ``"unknown"`` (its request kept failing ambiguously: it may have
            been applied; ``error`` is an ``OutcomeUnknownError``) or
            ``"not_attempted"`` (not sent: send it again).
        object: The updated record, for ``"updated"``.
        error: Why there is no record, else None.
    """

    index: int
    input: ObjectUpdate
    status: UpdateStatus
    object: CrmObject | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """Whether the update was applied."""
        return self.status == "updated"


@attrs.frozen
class ArchiveOutcome:
    """What became of one id given to ``archive_many``.

    Attributes:
        index: The id's position, from 0.
        id: The record id.
        status: ``"archived"``, ``"failed"``, ``"unknown"`` or ``"not_attempted"``, as
            for :class:`UpdateOutcome`. HubSpot answers a batch archive as a whole, and
            archiving a record that does not exist (or is archived already) succeeds.
        error: Why it is not archived, else None.
    """

    index: int
    id: str
    status: ArchiveStatus
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """Whether the record is archived."""
        return self.status == "archived"


class _Outcome(Protocol):
    @property
    def ok(self) -> bool: ...

    @property
    def status(self) -> str: ...


OutcomeT = TypeVar("OutcomeT", bound=_Outcome)


# Not slotted: its views are cached_property values, which a slotted class supports
# only from attrs 23.2 on, and attrs 23.1 is the lowest version allowed.
@attrs.frozen(slots=False)
class BatchResult(Generic[OutcomeT]):
    """Every input of an ``update_many``, ``archive_many`` or
    ``associations.create_many`` run, accounted for.

    Attributes:
        outcomes: One outcome per input, in input order.
        stopped_by: The error that stopped the run early (a ``DailyLimitError``, a
            rejected token), or None.
    """

    outcomes: list[OutcomeT]
    stopped_by: HubCRMError | None = None

    @cached_property
    def errors(self) -> list[OutcomeT]:
        """The outcomes that did not succeed, in input order."""
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @property
    def ok(self) -> bool:
        """Whether every input succeeded."""
        return not self.errors and self.stopped_by is None

    def count(self, status: str) -> int:
        """How many outcomes have ``status``."""
        return sum(1 for outcome in self.outcomes if outcome.status == status)


# --- the engine ---------------------------------------------------------------------------


def concurrency_for(requester: Requester, concurrency: int | None) -> int:
    """Requests in flight: the caller's choice (checked), or enough to fill the rate limit."""
    check_concurrency(concurrency)
    return in_flight(requester, concurrency)


T = TypeVar("T")
#: Sends one chunk; returns per input (status, record, error), or raises for the chunk.
#: The status is a plain str here, shared by every engine; each engine's outcome class
#: narrows it to its own Literal (hence the ``type: ignore[arg-type]`` where they are built).
SendChunk = Callable[[list[int]], Awaitable[list[tuple[str, Any, Exception | None]]]]


class _Run:
    """One run over indexed inputs: chunks, splits, stops; fills ``results``."""

    def __init__(self, n: int, send: SendChunk) -> None:
        self.results: list[tuple[str, Any, Exception | None] | None] = [None] * n
        self.stopped_by: HubCRMError | None = None
        self._send = send

    async def chunk(self, indexes: list[int]) -> None:
        pending = [indexes]
        while pending:
            part = pending.pop()
            if not part:
                continue
            if self.stopped_by is not None:
                for i in part:
                    self.results[i] = ("not_attempted", None, self.stopped_by)
                continue
            try:
                answers = await self._send(part)
            except HubCRMError as exc:
                if stops_run(exc):
                    if self.stopped_by is None:
                        self.stopped_by = exc
                    for i in part:
                        self.results[i] = ("not_attempted", None, exc)
                    continue
                failure = classify(exc)
                if failure is FailureClass.NOT_PROCESSED:
                    status = "not_attempted"
                elif failure is FailureClass.AMBIGUOUS:
                    status = "unknown"
                elif len(part) > 1:
                    mid = len(part) // 2
                    pending.append(part[mid:])
                    pending.append(part[:mid])
                    continue
                else:
                    status = "failed"
                for i in part:
                    self.results[i] = (status, None, exc)
                continue
            resend: list[int] = []
            for i, answer in zip(part, answers, strict=True):
                if answer[0] == "split":
                    resend.append(i)
                else:
                    self.results[i] = answer
            if resend:
                # An error named no input: isolate it by sending the rest in halves.
                mid = len(resend) // 2
                pending.append(resend[mid:])
                pending.append(resend[:mid])


async def run_rounds(
    rounds: Sequence[Sequence[int]],
    n: int,
    send: SendChunk,
    *,
    batch_size: int,
    concurrency: int,
) -> tuple[list[tuple[str, Any, Exception | None]], HubCRMError | None]:
    """Send every round's inputs in chunks, one round after the other."""
    run = _Run(n, send)
    limiter = anyio.Semaphore(concurrency)

    async def one(indexes: list[int]) -> None:
        async with limiter:
            await run.chunk(indexes)

    for indexes in rounds:
        async with anyio.create_task_group() as tg:
            for start in range(0, len(indexes), batch_size):
                tg.start_soon(one, list(indexes[start : start + batch_size]))
    results = [r if r is not None else ("not_attempted", None, None) for r in run.results]
    return results, run.stopped_by


def _attribute_by_id(data: Any, trace_by_id: Mapping[str, str]) -> Any:
    """Give error entries that name records by ``context.ids`` the inputs' trace ids."""
    if not isinstance(data, Mapping):
        return data
    errors = data.get("errors")
    if not isinstance(errors, list):
        return data
    fixed: list[Any] = []
    for entry in errors:
        context = entry.get("context") if isinstance(entry, Mapping) else None
        if isinstance(context, Mapping) and "objectWriteTraceId" not in context:
            ids = context.get("ids")
            traces = (
                [trace_by_id[i] for i in ids if i in trace_by_id] if isinstance(ids, list) else []
            )
            if traces:
                entry = {**entry, "context": {**context, "objectWriteTraceId": traces}}
        fixed.append(entry)
    return {**data, "errors": fixed}


async def update_batches(
    requester: Requester,
    path: str,
    object_type: str,
    inputs: Iterable[ObjectUpdate | Mapping[str, Any]],
    *,
    batch_size: int,
    concurrency: int | None,
    options: RequestOptions,
    kind: RequestKind,
) -> BatchResult[UpdateOutcome]:
    """Run ``update_many``: see :meth:`hubcrm.AsyncObjects.update_many`."""
    check_batch_size(batch_size)
    workers = concurrency_for(requester, concurrency)
    if isinstance(inputs, (str, bytes, Mapping)) or not isinstance(inputs, Iterable):
        raise TypeError(f"inputs must be an iterable of ObjectUpdate, not {type_name(inputs)}")
    items: list[ObjectUpdate | None] = []
    local: dict[int, Exception] = {}
    given: list[Any] = []
    for index, raw in enumerate(inputs):
        given.append(raw)
        try:
            if isinstance(raw, ObjectUpdate):
                items.append(raw)
            elif isinstance(raw, Mapping):
                items.append(
                    ObjectUpdate(
                        raw["id"], raw.get("properties", {}), id_property=raw.get("idProperty")
                    )
                )
            else:
                raise TypeError(f"each input must be an ObjectUpdate, not {type_name(raw)}")
        except (TypeError, ValueError, KeyError) as exc:
            items.append(None)
            local[index] = exc if not isinstance(exc, KeyError) else ValueError("input has no 'id'")
    # Rounds: the k-th update of a record goes in round k.
    seen: dict[tuple[str | None, str], int] = {}
    rounds: list[list[int]] = []
    for index, item in enumerate(items):
        if item is None:
            continue
        key = (item.id_property, item.id)
        k = seen.get(key, 0)
        seen[key] = k + 1
        while len(rounds) <= k:
            rounds.append([])
        rounds[k].append(index)
    prefix = f"hubcrm-{os.urandom(5).hex()}-"

    async def send(indexes: list[int]) -> list[tuple[str, Any, Exception | None]]:
        body_inputs = []
        trace_ids = []
        trace_by_id: dict[str, str] = {}
        for i in indexes:
            item = items[i]
            assert item is not None
            trace = f"{prefix}{i}"
            trace_ids.append(trace)
            trace_by_id[item.id] = trace
            entry: dict[str, Any] = {
                "id": item.id,
                "properties": item.properties,
                "objectWriteTraceId": trace,
            }
            if item.id_property is not None:
                entry["idProperty"] = item.id_property
            body_inputs.append(entry)
        response = await requester.request(
            "POST", path, kind=kind, json_body={"inputs": body_inputs}, options=options
        )
        data = _attribute_by_id(response.json(), trace_by_id)
        data = _trace_results_by_id(data, trace_by_id, items, indexes)
        answer = map_batch_answer(
            trace_ids, data, response.headers, upsert=True, path=path, object_type=object_type
        )
        out: list[tuple[str, Any, Exception | None]] = []
        for status, record, error in zip(answer.status, answer.record, answer.error, strict=True):
            if status in ("created", "updated"):
                out.append(("updated", record, None))
            elif status is None:
                # An error naming no input of several: split to find whose it is.
                out.append(("split", None, None))
            else:
                out.append((status, None, error))
        return out

    results, stopped_by = await run_rounds(
        rounds, len(items), send, batch_size=batch_size, concurrency=workers
    )
    outcomes: list[UpdateOutcome] = []
    for index, raw in enumerate(given):
        item = items[index]
        if item is None:
            placeholder = raw if isinstance(raw, ObjectUpdate) else ObjectUpdate("-", {})
            outcomes.append(UpdateOutcome(index, placeholder, "failed", None, local[index]))
            continue
        status, record, error = results[index]
        if status == "unknown" and not isinstance(error, OutcomeUnknownError):
            error = OutcomeUnknownError(
                object_type, ObjectInput(item.properties), cause=error, operation="update"
            )
        outcomes.append(UpdateOutcome(index, item, status, record, error))  # type: ignore[arg-type]
    return BatchResult(outcomes, stopped_by)


def _trace_results_by_id(
    data: Any,
    trace_by_id: Mapping[str, str],
    items: Sequence[ObjectUpdate | None],
    indexes: list[int],
) -> Any:
    """Give results without an ``objectWriteTraceId`` the trace id of their record's input."""
    if not isinstance(data, Mapping):
        return data
    results = data.get("results")
    if not isinstance(results, list):
        return data
    fixed: list[Any] = []
    for result in results:
        if isinstance(result, Mapping) and "objectWriteTraceId" not in result:
            trace = trace_by_id.get(str(result.get("id")))
            if trace is not None:
                result = {**result, "objectWriteTraceId": trace}
        fixed.append(result)
    return {**data, "results": fixed}


async def archive_batches(
    requester: Requester,
    path: str,
    ids: Iterable[str | int],
    *,
    batch_size: int,
    concurrency: int | None,
    options: RequestOptions,
    kind: RequestKind,
) -> BatchResult[ArchiveOutcome]:
    """Run ``archive_many``: see :meth:`hubcrm.AsyncObjects.archive_many`."""
    check_batch_size(batch_size)
    workers = concurrency_for(requester, concurrency)
    if isinstance(ids, (str, bytes, Mapping)) or not isinstance(ids, Iterable):
        raise TypeError(f"ids must be an iterable of record ids, not {type_name(ids)}")
    given = list(ids)
    clean: list[str | None] = []
    local: dict[int, Exception] = {}
    for index, raw in enumerate(given):
        try:
            clean.append(_object_id(raw))
        except (TypeError, ValueError) as exc:
            clean.append(None)
            local[index] = exc
    order = [i for i, value in enumerate(clean) if value is not None]

    async def send(indexes: list[int]) -> list[tuple[str, Any, Exception | None]]:
        body = {"inputs": [{"id": clean[i]} for i in indexes]}
        await requester.request("POST", path, kind=kind, json_body=body, options=options)
        return [("archived", None, None)] * len(indexes)

    results, stopped_by = await run_rounds(
        [order], len(clean), send, batch_size=batch_size, concurrency=workers
    )
    outcomes: list[ArchiveOutcome] = []
    for index, raw in enumerate(given):
        value = clean[index]
        if value is None:
            outcomes.append(ArchiveOutcome(index, str(raw), "failed", local[index]))
            continue
        status, _, error = results[index]
        outcomes.append(ArchiveOutcome(index, value, status, error))  # type: ignore[arg-type]
    return BatchResult(outcomes, stopped_by)
