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
order (``update_order`` says which names are one record).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Generic, Literal, Protocol, TypeVar

import anyio
import attrs

from .._core.config import RequestOptions
from .._core.errors import HubCRMError, OutcomeUnknownError
from .._core.models import CrmObject, ObjectInput, redacted_properties
from .._core.values import encode_properties, type_name
from .._http.safety import RequestKind
from .bulk_answer import BatchAnswer, map_batch_answer
from .executor import BatchSpec, Requester, Verdict, execute
from .outcomes import OutcomeStatus
from .schedule import check_batch_size, check_concurrency, in_flight
from .update_order import Resolve, plan_rounds

__all__ = [
    "ArchiveOutcome",
    "ArchiveStatus",
    "BatchResult",
    "ObjectUpdate",
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
R = TypeVar("R")


async def run_rounds(
    requester: Requester,
    spec: BatchSpec[T, R],
    items: Sequence[T],
    rounds: Sequence[Sequence[int]],
    *,
    batch_size: int,
    concurrency: int,
) -> tuple[list[Verdict[R] | None], HubCRMError | None]:
    """Send every round's inputs in batches through the executor, one round after the
    other; a verdict per input named by a round (None for the others), and what stopped
    the run."""
    out: list[Verdict[R] | None] = [None] * len(items)
    stopped: list[HubCRMError] = []
    limiter = anyio.Semaphore(concurrency)

    def halted() -> HubCRMError | None:
        return stopped[0] if stopped else None

    async def one(indexes: list[int]) -> None:
        async with limiter:
            executed = await execute(requester, spec, [items[i] for i in indexes], halted=halted)
        if executed.stopped_by is not None and not stopped:
            stopped.append(executed.stopped_by)
        for i, verdict in zip(indexes, executed.verdicts, strict=True):
            out[i] = verdict

    for indexes in rounds:
        async with anyio.create_task_group() as tg:
            for start in range(0, len(indexes), batch_size):
                tg.start_soon(one, list(indexes[start : start + batch_size]))
    return out, halted()


_UPDATE_STATUS: dict[OutcomeStatus, UpdateStatus] = {
    "created": "updated",
    "updated": "updated",
    "failed": "failed",
    "unknown": "unknown",
    "not_attempted": "not_attempted",
}
_ARCHIVE_STATUS: dict[OutcomeStatus, ArchiveStatus] = {
    "created": "archived",
    "updated": "archived",
    "failed": "failed",
    "unknown": "unknown",
    "not_attempted": "not_attempted",
}


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
                [trace_by_id[i] for i in ids if isinstance(i, str) and i in trace_by_id]
                if isinstance(ids, list)
                else []
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
    resolve: Resolve | None = None,
) -> BatchResult[UpdateOutcome]:
    """Run ``update_many``: see :meth:`hubcrm.AsyncObjects.update_many`.

    ``resolve`` reads records by a unique property, to order a run that names records
    in more than one way (see ``update_order``).
    """
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
    # Rounds: the k-th update of a record goes in round k (see ``update_order``).
    names = [None if item is None else (item.id_property, item.id) for item in items]
    rounds, unordered = await plan_rounds(names, resolve)  # no rounds when unordered
    spec = _UpdateSpec(path, kind, options, object_type, f"hubcrm-{os.urandom(5).hex()}-")
    indexed = [(index, item) for index, item in enumerate(items)]
    results, stopped_by = await run_rounds(
        requester, spec, indexed, rounds, batch_size=batch_size, concurrency=workers
    )
    stopped_by = stopped_by or unordered
    outcomes: list[UpdateOutcome] = []
    for index, raw in enumerate(given):
        item = items[index]
        if item is None:
            placeholder = raw if isinstance(raw, ObjectUpdate) else ObjectUpdate("-", {})
            outcomes.append(UpdateOutcome(index, placeholder, "failed", None, local[index]))
            continue
        verdict = results[index]
        if verdict is None:  # in no round: the run could not be ordered
            verdict = Verdict("not_attempted", error=stopped_by)
        status, error = _UPDATE_STATUS[verdict.status], verdict.error
        if status == "unknown" and not isinstance(error, OutcomeUnknownError):
            error = OutcomeUnknownError(
                object_type, ObjectInput(item.properties), cause=error, operation="update"
            )
        record = verdict.value if status == "updated" else None
        outcomes.append(UpdateOutcome(index, item, status, record, error))
    return BatchResult(outcomes, stopped_by)


@attrs.frozen
class _UpdateSpec:
    """A ``batch/update`` request: items are (input index, update)."""

    path: str
    kind: RequestKind
    options: RequestOptions
    object_type: str
    prefix: str  # of the trace ids, each ending with the input's index

    def body(self, items: Sequence[tuple[int, ObjectUpdate | None]]) -> dict[str, Any]:
        inputs = []
        for i, item in items:
            assert item is not None  # only read updates are in a round
            entry: dict[str, Any] = {
                "id": item.id,
                "properties": item.properties,
                "objectWriteTraceId": f"{self.prefix}{i}",
            }
            if item.id_property is not None:
                entry["idProperty"] = item.id_property
            inputs.append(entry)
        return {"inputs": inputs}

    def read(
        self,
        items: Sequence[tuple[int, ObjectUpdate | None]],
        data: Any,
        headers: Mapping[str, str],
    ) -> BatchAnswer[CrmObject]:
        trace_ids = [f"{self.prefix}{i}" for i, _ in items]
        trace_by_id = {
            item.id: trace for (_, item), trace in zip(items, trace_ids, strict=True) if item
        }
        data = _attribute_by_id(data, trace_by_id)
        # A result without the trace id echo is matched by the record's id, or by the
        # unique value an input names it by (HubSpot's answer carries no trace id
        # promise for updates).
        keyed = [None if item is None else (item.id_property or "", item.id) for _, item in items]
        return map_batch_answer(
            trace_ids,
            data,
            headers,
            upsert=True,
            path=self.path,
            object_type=self.object_type,
            keyed=keyed,
        )

    def unsendable(self, item: tuple[int, ObjectUpdate | None], error: Exception) -> Exception:
        return error


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
    spec = _ArchiveSpec(path, kind, options)
    results, stopped_by = await run_rounds(
        requester, spec, clean, [order], batch_size=batch_size, concurrency=workers
    )
    outcomes: list[ArchiveOutcome] = []
    for index, raw in enumerate(given):
        value = clean[index]
        if value is None:
            outcomes.append(ArchiveOutcome(index, str(raw), "failed", local[index]))
            continue
        verdict = results[index]
        if verdict is None:  # in no round: cannot happen, but never lose an input
            verdict = Verdict("not_attempted", error=stopped_by)
        status = _ARCHIVE_STATUS[verdict.status]
        outcomes.append(ArchiveOutcome(index, value, status, verdict.error))
    return BatchResult(outcomes, stopped_by)


@attrs.frozen
class _ArchiveSpec:
    """A ``batch/archive`` request: HubSpot answers it as a whole (204)."""

    path: str
    kind: RequestKind
    options: RequestOptions

    def body(self, items: Sequence[str | None]) -> dict[str, Any]:
        return {"inputs": [{"id": value} for value in items]}

    def read(
        self, items: Sequence[str | None], data: Any, headers: Mapping[str, str]
    ) -> BatchAnswer[None]:
        n = len(items)
        return BatchAnswer(["updated"] * n, [None] * n, [None] * n, [None] * n)

    def unsendable(self, item: str | None, error: Exception) -> Exception:
        return error
