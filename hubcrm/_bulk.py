"""The bulk engine behind ``create_many`` and ``iter_create_many``.

Inputs are pulled lazily from any iterable or async iterable and sent through
``batch/create`` (or ``batch/upsert`` with an ``id_property``) by a bounded number of
concurrent requests. Every input ends as exactly one :class:`BulkOutcome`:

- **created**: it has its :class:`CrmObject` (with ``new`` saying whether an upsert made
  the record or found it);
- **failed**: HubSpot (or a local check) rejected it, with the error;
- **unknown**: its request failed ambiguously (a timeout, a dropped connection, a 5xx)
  and could not be made safe to retry; the error is an :class:`OutcomeUnknownError`;
- **not attempted**: HubSpot certainly did not act on it (the run stopped at a daily
  limit or a bad token before sending it, or its request was refused before processing).

How the pieces fit: one scheduler coroutine assembles batches (keeping inputs that
share a unique value in different batches, in input order) and starts one task per
batch while fewer than the concurrency target are running. A batch rejected as a whole
is split in halves until the bad inputs are isolated. Results and errors are mapped back
to inputs by ``objectWriteTraceId``, never by position. Memory stays bounded because an
input is only pulled while fewer than ``concurrency x batch_size`` inputs are pulled
and not yet delivered.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import anyio
import attrs

from ._convert import dump_input, load_object
from ._error_bodies import error_from_batch_entry
from ._errors import (
    APIError,
    AuthenticationError,
    DailyLimitError,
    ForbiddenError,
    HubCRMError,
    NotFoundError,
    OutcomeUnknownError,
    RedisLimiterError,
    ResponseParseError,
)
from ._models import CONTACT_TYPES, CrmObject, ObjectInput, redacted_properties
from ._ratelimit import RateLimit
from ._retry import FailureClass, RequestKind, classify
from ._values import PropertyValue

if TYPE_CHECKING:
    from ._objects import AsyncObjects

__all__ = [
    "BulkError",
    "BulkInput",
    "BulkInputs",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    "create_many",
    "iter_create_many",
]

logger = logging.getLogger("hubcrm")

#: One input of a bulk run: an :class:`ObjectInput`, or a mapping that is its properties.
BulkInput = ObjectInput | Mapping[str, PropertyValue]

#: What ``create_many`` takes: an iterable or an async iterable of inputs (the blocking
#: client accepts both too: it runs them on its own event loop).
BulkInputs = Iterable[BulkInput] | AsyncIterable[BulkInput]

BulkMode = Literal["batch", "single"]

OutcomeStatus = Literal["created", "updated", "failed", "unknown", "not_attempted"]

MAX_BATCH_SIZE = 100

# With a rate limiter, requests in flight = permitted rate x the time one request may
# take. HubSpot answers a batch of 100 well within this, so this many keeps the window
# full; more would only wait in the limiter holding inputs in memory.
_ASSUMED_LATENCY = 1.0
# Without a limiter there is no window to fill: this many batches saturate one server.
_UNLIMITED_CONCURRENCY = 16
_PROGRESS_INTERVAL = 0.25


# --- public models ----------------------------------------------------------------------


def _redacted_input(value: object) -> str:
    if isinstance(value, Mapping):
        return redacted_properties(value)
    return repr(value)  # an ObjectInput redacts its own properties


@attrs.frozen
class BulkOutcome:
    """What became of one input of a bulk run.

    Attributes:
        index: The input's position in the iterable, from 0.
        input: The input as it was given (an ``ObjectInput`` or a mapping).
        object: The record, when the input was created (or, with ``id_property``,
            upserted).
        error: Why it was not: a hubcrm ``APIError`` from HubSpot, an
            ``OutcomeUnknownError``, a ``TypeError``/``ValueError`` for an input that
            could not be sent, or for a not attempted input the error that stopped the run.
        new: ``True`` when the record was made by this run; ``False`` when an upsert
            (``id_property``) found it already there and updated it; ``None`` without
            a record.
        attempted: ``False`` when HubSpot certainly did not act on the input: it is safe
            to send again as it is.
    """

    #: The input's position in the iterable, from 0.
    index: int
    #: The input as it was given.
    input: BulkInput = attrs.field(repr=_redacted_input)
    #: The record, when there is one.
    object: CrmObject | None = None
    #: Why there is no record.
    error: Exception | None = None
    #: Whether the record is new (``False``: an upsert updated an existing one).
    new: bool | None = None
    #: ``False`` when HubSpot certainly did not act on the input.
    attempted: bool = True

    @property
    def status(self) -> OutcomeStatus:
        """``"created"``, ``"updated"``, ``"failed"``, ``"unknown"`` or ``"not_attempted"``."""
        if self.object is not None:
            return "updated" if self.new is False else "created"
        if not self.attempted:
            return "not_attempted"
        if isinstance(self.error, OutcomeUnknownError):
            return "unknown"
        return "failed"

    @property
    def ok(self) -> bool:
        """Whether the input has its record."""
        return self.object is not None


def _error_code(error: BaseException) -> str | None:
    if isinstance(error, APIError):
        for detail in error.errors:
            if detail.code:
                return detail.code
        return error.category
    if isinstance(error, OutcomeUnknownError):
        return None
    return type(error).__name__


@attrs.frozen
class BulkError:
    """An input of a bulk run that has no record: failed, unknown or not attempted.

    Attributes:
        index: The input's position in the iterable, from 0.
        input: The input as it was given.
        error: The error (see :attr:`BulkOutcome.error`).
        attempted: ``False`` when HubSpot certainly did not act on the input.
    """

    #: The input's position in the iterable, from 0.
    index: int
    #: The input as it was given.
    input: BulkInput = attrs.field(repr=_redacted_input)
    #: What went wrong.
    error: Exception
    #: ``False`` when HubSpot certainly did not act on the input: resend it as it is.
    attempted: bool = True

    @property
    def status(self) -> Literal["failed", "unknown", "not_attempted"]:
        """``"failed"``, ``"unknown"`` (an ``OutcomeUnknownError``) or ``"not_attempted"``."""
        if not self.attempted:
            return "not_attempted"
        if isinstance(self.error, OutcomeUnknownError):
            return "unknown"
        return "failed"

    @property
    def code(self) -> str | None:
        """HubSpot's error code (``"INVALID_EMAIL"``, ...) or else its category
        (``"CONFLICT"``); for a local error its type name; ``None`` for unknown outcomes."""
        return _error_code(self.error)


@attrs.frozen(kw_only=True)
class BulkProgress:
    """A snapshot of a bulk run, passed to ``on_progress`` a few times per second."""

    #: Inputs with an outcome so far.
    done: int
    #: Inputs with a record (created or upserted).
    created: int
    #: Inputs rejected.
    failed: int
    #: Inputs whose outcome is unknown.
    unknown: int
    #: Inputs HubSpot did not act on.
    not_attempted: int
    #: The number of inputs, when the iterable has a length; else None.
    total: int | None
    #: Seconds since the run started.
    elapsed: float
    #: Outcomes per second so far.
    rate: float


@attrs.frozen(kw_only=True)
class BulkResult:
    """Every input of a ``create_many`` run, accounted for.

    ``results[i]`` is the record made from input ``i`` (or ``None``); ``errors`` lists
    every input without a record, in index order, each with its ``status``: ``"failed"``,
    ``"unknown"`` (the error is an ``OutcomeUnknownError``; the record may exist) or
    ``"not_attempted"`` (HubSpot certainly did not act on it).

    To resume after a daily limit (``stopped_by`` is a ``DailyLimitError``): send
    :meth:`not_attempted_inputs` tomorrow, followed by the inputs that were never taken
    from the iterable: ``inputs[result.total:]`` for a sequence, or simply what is left
    in an iterator (the run stops pulling when it stops).
    """

    #: The record per input, in input order; None where there is none.
    results: list[CrmObject | None]
    #: Per input: True for a new record, False for one an upsert updated, else None.
    new: list[bool | None]
    #: The inputs without a record, in index order.
    errors: list[BulkError]
    #: Inputs with a record (created, or upserted with ``id_property``).
    created: int
    #: Of those, the ones an upsert found already there (``new`` is False).
    updated: int
    #: Inputs rejected (by HubSpot, or as unsendable).
    failed: int
    #: Inputs whose outcome is unknown.
    unknown: int
    #: Inputs HubSpot did not act on; safe to send again.
    not_attempted: int
    #: Inputs taken from the iterable (all of them unless the run stopped).
    total: int
    #: The error that stopped the run early (a ``DailyLimitError``, a rejected token),
    #: or None when every input was taken.
    stopped_by: HubCRMError | None = None

    @property
    def ok(self) -> bool:
        """Whether every input taken has its record and the run was not stopped."""
        return self.created == self.total and self.stopped_by is None

    def not_attempted_inputs(self) -> list[BulkInput]:
        """The inputs HubSpot did not act on, in input order, to send again as they are."""
        return [e.input for e in self.errors if not e.attempted]


# --- the engine -------------------------------------------------------------------------


class _Item:
    """One input on its way: the original, its ObjectInput, its trace id and unique keys."""

    __slots__ = ("done", "index", "keys", "obj", "raw", "trace_id")

    def __init__(
        self, index: int, raw: BulkInput, obj: ObjectInput, trace_id: str, keys: frozenset[Any]
    ) -> None:
        self.index = index
        self.raw = raw
        self.obj = obj
        self.trace_id = trace_id
        self.keys = keys
        self.done = False


def _stops_run(error: HubCRMError) -> bool:
    """Errors after which no other request of the run can succeed."""
    if isinstance(error, (DailyLimitError, AuthenticationError, ForbiddenError, RedisLimiterError)):
        return True
    if isinstance(error, NotFoundError) and error.category != "OBJECT_NOT_FOUND":
        return True  # the path itself does not exist
    return (
        isinstance(error, APIError)
        and error.status == 400
        and error.message.startswith("Unable to infer object type")
    )


def _check_args(
    objects: AsyncObjects,
    object_type: str,
    batch_size: int,
    concurrency: int | None,
    id_property: str | None,
    mode: str,
    on_progress: object,
) -> None:
    objects._path(object_type)  # validates the type name
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError("batch_size must be an int")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}, not {batch_size}")
    if concurrency is not None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise TypeError("concurrency must be an int or None")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
    if id_property is not None and (not isinstance(id_property, str) or not id_property):
        raise ValueError("id_property must be a non-empty property name or None")
    if mode not in ("batch", "single"):
        raise ValueError(f"mode must be 'batch' or 'single', not {mode!r}")
    if on_progress is not None and not callable(on_progress):
        raise TypeError("on_progress must be callable or None")


class _Engine:
    """One bulk run. Not reusable."""

    def __init__(
        self,
        objects: AsyncObjects,
        object_type: str,
        inputs: BulkInputs,
        *,
        batch_size: int,
        concurrency: int | None,
        id_property: str | None,
        mode: BulkMode,
        on_progress: Callable[[BulkProgress], object] | None,
        deliver: Callable[[BulkOutcome], None],
        auto_release: bool,
    ) -> None:
        self._objects = objects
        self._session = objects._session
        self._options = objects._options
        self._object_type = object_type
        self._single = mode == "single"
        self._batch_size = 1 if self._single else batch_size
        self._fixed_concurrency = concurrency
        self._pool = self._session.max_connections
        self._id_property = id_property
        self._upsert = id_property is not None and not self._single
        base = objects._path(object_type)
        self._url = base + ("/batch/upsert" if self._upsert else "/batch/create")
        self._kind = RequestKind.UPSERT if self._upsert else RequestKind.CREATE
        self._contacts = object_type in CONTACT_TYPES
        self._on_progress = on_progress
        self._deliver = deliver
        self._auto_release = auto_release
        self._trace_prefix = f"hubcrm-{os.urandom(5).hex()}-"
        self._total: int | None = None
        if isinstance(inputs, AsyncIterable):
            self._aiter: AsyncIterator[BulkInput] | None = inputs.__aiter__()
            self._iter: Iterator[BulkInput] | None = None
        else:
            self._aiter = None
            self._iter = iter(inputs)
            try:
                self._total = len(inputs)  # type: ignore[arg-type]
            except TypeError:
                self._total = None
        # Scheduling state; touched only on the loop thread.
        self._pulled = 0
        self._outstanding = 0  # pulled and not yet delivered (or, with auto_release, done)
        self._active = 0  # batch tasks running
        self._busy: dict[Any, int] = {}  # unique keys of inputs in running batches
        self._deferred: deque[_Item] = deque()
        self._deferred_keys: dict[Any, int] = {}
        self._exhausted = False
        self._source_error: BaseException | None = None
        self.stopped_by: HubCRMError | None = None
        self._changed = asyncio.Event()
        self._lost: list[int] = []  # indexes of inputs cancelled while in flight
        # Counts.
        self.created = self.updated = self.failed = self.unknown = self.not_attempted = 0
        self._done = 0
        self._started = time.monotonic()
        self._last_progress = 0.0

    # --- public to the drivers --------------------------------------------------------

    @property
    def pulled(self) -> int:
        """Inputs taken from the iterable so far."""
        return self._pulled

    def release(self, n: int = 1) -> None:
        """The consumer took ``n`` outcomes: that many more inputs may be pulled."""
        self._outstanding -= n
        self._changed.set()

    async def run(self) -> None:
        """Run to the end: every pulled input gets an outcome (unless cancelled)."""
        self._started = time.monotonic()
        try:
            async with anyio.create_task_group() as tg:
                while True:
                    while self._active >= self._target():
                        self._changed.clear()
                        await self._changed.wait()
                    batch = await self._assemble()
                    if batch is None:
                        break
                    if batch:
                        self._active += 1
                        tg.start_soon(self._run_batch, batch)
        finally:
            lost = self._lost
            if lost:
                logger.warning(
                    "bulk creation of %s was cancelled with %d inputs in flight (indexes %d "
                    "to %d); their outcome is unknown",
                    self._object_type,
                    len(lost),
                    min(lost),
                    max(lost),
                )
            else:
                self._report_progress(final=True)
        if self._source_error is not None:
            raise self._source_error

    # --- scheduling -------------------------------------------------------------------

    def _target(self) -> int:
        """How many batches may run at once now (the limiter may have learned a new limit)."""
        if self._fixed_concurrency is not None:
            return max(1, min(self._fixed_concurrency, self._pool))
        rate_limit = getattr(self._session.limiter, "rate_limit", None)
        if isinstance(rate_limit, RateLimit):
            want = math.ceil(rate_limit.per_second * _ASSUMED_LATENCY) + 1
            return max(1, min(want, rate_limit.max_requests, self._pool))
        return max(1, min(_UNLIMITED_CONCURRENCY, self._pool))

    def _capacity(self) -> int:
        return self._target() * self._batch_size

    def _blocked(self, keys: frozenset[Any]) -> bool:
        busy = self._busy
        return any(k in busy for k in keys)

    def _take(self, item: _Item, batch: list[_Item]) -> None:
        busy = self._busy
        for key in item.keys:
            busy[key] = busy.get(key, 0) + 1
        batch.append(item)

    def _untake(self, items: list[_Item]) -> None:
        busy = self._busy
        for item in items:
            for key in item.keys:
                left = busy[key] - 1
                if left:
                    busy[key] = left
                else:
                    del busy[key]

    def _defer(self, item: _Item) -> None:
        self._deferred.append(item)
        dk = self._deferred_keys
        for key in item.keys:
            dk[key] = dk.get(key, 0) + 1

    def _undefer_keys(self, item: _Item) -> None:
        dk = self._deferred_keys
        for key in item.keys:
            left = dk[key] - 1
            if left:
                dk[key] = left
            else:
                del dk[key]

    async def _assemble(self) -> list[_Item] | None:
        """The next batch; ``[]`` after waiting for a change; ``None`` when all is sent."""
        self._changed.clear()
        size = self._batch_size
        batch: list[_Item] = []
        if self._deferred:
            # Inputs held back because an earlier one with the same unique value was in
            # flight. Scanned in input order, so the first occurrence always goes first.
            kept: deque[_Item] = deque()
            blocked: set[Any] = set()
            while self._deferred:
                item = self._deferred.popleft()
                if (
                    len(batch) < size
                    and not self._blocked(item.keys)
                    and blocked.isdisjoint(item.keys)
                ):
                    self._undefer_keys(item)
                    self._take(item, batch)
                else:
                    kept.append(item)
                    blocked.update(item.keys)
            self._deferred = kept
        while (
            len(batch) < size
            and not self._exhausted
            and self.stopped_by is None
            and self._outstanding < self._capacity()
        ):
            pulled = await self._pull()
            if pulled is None:
                continue
            if pulled.keys and (
                self._blocked(pulled.keys) or any(k in self._deferred_keys for k in pulled.keys)
            ):
                self._defer(pulled)
            else:
                self._take(pulled, batch)
        if batch:
            return batch
        if (self._exhausted or self.stopped_by is not None) and not self._deferred:
            return None
        await self._changed.wait()
        return []

    async def _pull(self) -> _Item | None:
        """Take one input; ``None`` when there is none (or it failed a local check)."""
        try:
            if self._aiter is not None:
                raw = await self._aiter.__anext__()
            else:
                assert self._iter is not None
                raw = next(self._iter)
        except (StopIteration, StopAsyncIteration):
            self._exhausted = True
            return None
        except Exception as exc:
            # The caller's iterable failed: send nothing more, finish what is in flight,
            # then raise it.
            self._source_error = exc
            self._exhausted = True
            return None
        index = self._pulled
        self._pulled += 1
        self._outstanding += 1
        try:
            return self._item(index, raw)
        except (TypeError, ValueError) as exc:
            self._finish_local(index, raw, exc)
            return None

    def _item(self, index: int, raw: BulkInput) -> _Item:
        if type(raw) is dict:  # the common case first: no ABC check
            obj = ObjectInput(raw)
        elif isinstance(raw, ObjectInput):
            obj = raw
        elif isinstance(raw, Mapping):
            obj = ObjectInput(raw)
        else:
            raise TypeError(
                "each input must be an ObjectInput or a mapping of properties, "
                f"not {type(raw).__name__}"
            )
        keys: list[Any] = []
        id_property = self._id_property
        if id_property is not None:
            value = obj.properties.get(id_property)
            if not value:
                raise ValueError(f"id_property {id_property!r} has no value in this input")
            if self._upsert and obj.associations:
                raise ValueError(
                    "batch/upsert cannot set associations; use mode='single' with "
                    "id_property, or no id_property, for inputs with associations"
                )
            keys.append(("unique", id_property, value.strip().lower()))
        if self._contacts:
            email = obj.properties.get("email")
            if email:
                keys.append(("unique", "email", email.strip().lower()))
        trace_id = obj.object_write_trace_id
        if trace_id is None:
            trace_id = f"{self._trace_prefix}{index}"
        elif not self._single:
            keys.append(("trace", trace_id))  # the caller's own: must be unique per batch
        return _Item(index, raw, obj, trace_id, frozenset(keys))

    def _finish_local(self, index: int, raw: BulkInput, error: Exception) -> None:
        self.failed += 1
        self._emit(BulkOutcome(index, raw, None, error))

    # --- one batch --------------------------------------------------------------------

    async def _run_batch(self, items: list[_Item]) -> None:
        try:
            chunks = [items]
            while chunks:
                chunk = chunks.pop()
                stopped = self.stopped_by
                if stopped is not None:
                    for item in chunk:
                        self._not_attempted(item, stopped)
                elif self._single:
                    await self._send_single(chunk[0])
                else:
                    await self._send_chunk(chunk, chunks)
        finally:
            self._lost.extend(item.index for item in items if not item.done)
            self._untake(items)
            self._active -= 1
            self._changed.set()

    def _body(self, chunk: list[_Item]) -> dict[str, Any]:
        inputs: list[dict[str, Any]] = []
        if self._upsert:
            id_property = self._id_property
            for item in chunk:
                props = item.obj.properties
                inputs.append(
                    {
                        "idProperty": id_property,
                        "id": props[id_property],  # type: ignore[index]
                        "properties": props,
                        "objectWriteTraceId": item.trace_id,
                    }
                )
        else:
            for item in chunk:
                obj = item.obj
                if obj.associations:
                    body = dump_input(obj)
                    body["objectWriteTraceId"] = item.trace_id
                else:
                    body = {
                        "properties": obj.properties,
                        "associations": [],
                        "objectWriteTraceId": item.trace_id,
                    }
                inputs.append(body)
        return {"inputs": inputs}

    async def _send_chunk(self, chunk: list[_Item], chunks: list[list[_Item]]) -> None:
        try:
            response = await self._session.request(
                "POST",
                self._url,
                kind=self._kind,
                json_body=self._body(chunk),
                options=self._options,
            )
            data = response.json()
        except HubCRMError as exc:
            self._chunk_failed(chunk, exc, chunks)
            return
        self._map_response(chunk, data, response.headers, chunks)

    def _chunk_failed(
        self, chunk: list[_Item], exc: HubCRMError, chunks: list[list[_Item]]
    ) -> None:
        if _stops_run(exc):
            self._stop(exc)
            for item in chunk:
                self._not_attempted(item, exc)
            return
        failure = classify(exc)
        if failure is FailureClass.AMBIGUOUS or isinstance(exc, ResponseParseError):
            for item in chunk:
                self._unknown(item, exc)
        elif failure is FailureClass.NOT_PROCESSED:
            for item in chunk:
                self._not_attempted(item, exc)
        elif len(chunk) > 1:
            # Rejected as a whole, with no input named: split until each bad input is
            # alone. The halves go in input order (the first half is popped first).
            mid = len(chunk) // 2
            chunks.append(chunk[mid:])
            chunks.append(chunk[:mid])
        else:
            self._failed(chunk[0], exc)

    def _map_response(
        self,
        chunk: list[_Item],
        data: Any,
        headers: Mapping[str, str],
        chunks: list[list[_Item]],
    ) -> None:
        """Map a 2xx batch answer back to its inputs by trace id, reading ``errors`` too."""
        by_trace = {item.trace_id: item for item in chunk}
        if not isinstance(data, Mapping):
            data = {}
        results = data.get("results")
        all_traced = True
        for result in results if isinstance(results, list) else ():
            trace_id = result.get("objectWriteTraceId") if isinstance(result, Mapping) else None
            item = by_trace.pop(trace_id, None) if isinstance(trace_id, str) else None
            if item is None:
                all_traced = False
                continue
            try:
                obj = load_object(result)
            except ResponseParseError as exc:
                self._unknown(item, exc)
                continue
            new = result.get("new") if self._upsert else True
            self._created(item, obj, new if isinstance(new, bool) else None)
        unattributed: list[Mapping[str, Any]] = []
        errors = data.get("errors")
        for entry in errors if isinstance(errors, list) else ():
            if not isinstance(entry, Mapping):
                continue
            context = entry.get("context")
            trace_ids = context.get("objectWriteTraceId") if isinstance(context, Mapping) else None
            matched = False
            for trace_id in trace_ids if isinstance(trace_ids, list) else ():
                item = by_trace.pop(trace_id, None) if isinstance(trace_id, str) else None
                if item is not None:
                    matched = True
                    self._failed(
                        item,
                        error_from_batch_entry(
                            entry, headers=headers, method="POST", path=self._url
                        ),
                    )
            if not matched:
                unattributed.append(entry)
        if not by_trace:
            return
        left = [item for item in chunk if item.trace_id in by_trace]
        if unattributed and all_traced:
            # Every record made is accounted for by its trace id, so these inputs made
            # none: an error that names no input is theirs. Isolate it.
            if len(left) == 1:
                error = error_from_batch_entry(
                    unattributed[0], headers=headers, method="POST", path=self._url
                )
                self._failed(left[0], error)
            else:
                mid = len(left) // 2
                chunks.append(left[mid:])
                chunks.append(left[:mid])
            return
        cause = HubCRMError(
            f"HubSpot's answer to a {self._object_type!r} batch did not mention "
            f"{len(left)} of its inputs (correlation id "
            f"{headers.get('x-hubspot-correlation-id', '-')})"
        )
        for item in left:
            self._unknown(item, cause)

    async def _send_single(self, item: _Item) -> None:
        obj = item.obj
        try:
            record = await self._objects.create(
                self._object_type,
                obj.properties,
                obj.associations,
                id_property=self._id_property,
            )
        except OutcomeUnknownError as exc:
            self._emit_item(item, BulkOutcome(item.index, item.raw, None, exc))
            self.unknown += 1
        except HubCRMError as exc:
            if _stops_run(exc):
                self._stop(exc)
                self._not_attempted(item, exc)
            elif classify(exc) is FailureClass.NOT_PROCESSED:
                self._not_attempted(item, exc)
            else:
                self._failed(item, exc)
        except (TypeError, ValueError) as exc:
            self._failed(item, exc)
        else:
            self._created(item, record, True)

    # --- outcomes ---------------------------------------------------------------------

    def _stop(self, error: HubCRMError) -> None:
        if self.stopped_by is not None:
            return
        self.stopped_by = error
        logger.warning(
            "bulk creation of %s stopped: %s; inputs not yet sent are reported as not attempted",
            self._object_type,
            type(error).__name__,
        )
        deferred, self._deferred = self._deferred, deque()
        self._deferred_keys.clear()
        for item in deferred:
            self._not_attempted(item, error)
        self._changed.set()

    def _created(self, item: _Item, obj: CrmObject, new: bool | None) -> None:
        self.created += 1
        if new is False:
            self.updated += 1
        self._emit_item(item, BulkOutcome(item.index, item.raw, obj, None, new))

    def _failed(self, item: _Item, error: Exception) -> None:
        self.failed += 1
        self._emit_item(item, BulkOutcome(item.index, item.raw, None, error))

    def _unknown(self, item: _Item, cause: HubCRMError) -> None:
        self.unknown += 1
        error = OutcomeUnknownError(self._object_type, item.obj, cause=cause)
        self._emit_item(item, BulkOutcome(item.index, item.raw, None, error))

    def _not_attempted(self, item: _Item, error: HubCRMError) -> None:
        self.not_attempted += 1
        self._emit_item(item, BulkOutcome(item.index, item.raw, None, error, None, False))

    def _emit_item(self, item: _Item, outcome: BulkOutcome) -> None:
        item.done = True
        self._emit(outcome)

    def _emit(self, outcome: BulkOutcome) -> None:
        self._done += 1
        self._deliver(outcome)
        if self._auto_release:
            self._outstanding -= 1
            self._changed.set()
        if self._on_progress is not None:
            self._report_progress(final=False)

    def _report_progress(self, *, final: bool) -> None:
        callback = self._on_progress
        if callback is None:
            return
        now = time.monotonic()
        if not final and now - self._last_progress < _PROGRESS_INTERVAL:
            return
        self._last_progress = now
        elapsed = now - self._started
        callback(
            BulkProgress(
                done=self._done,
                created=self.created,
                failed=self.failed,
                unknown=self.unknown,
                not_attempted=self.not_attempted,
                total=self._total,
                elapsed=elapsed,
                rate=self._done / elapsed if elapsed > 0 else 0.0,
            )
        )


# --- the two drivers --------------------------------------------------------------------


async def create_many(
    objects: AsyncObjects,
    object_type: str,
    inputs: Iterable[BulkInput] | AsyncIterable[BulkInput],
    *,
    batch_size: int,
    concurrency: int | None,
    id_property: str | None,
    mode: BulkMode,
    on_progress: Callable[[BulkProgress], object] | None,
) -> BulkResult:
    """Run a bulk creation to the end and collect every outcome (see AsyncObjects)."""
    _check_args(objects, object_type, batch_size, concurrency, id_property, mode, on_progress)
    results: list[CrmObject | None] = []
    new: list[bool | None] = []
    errors: list[BulkError] = []

    def collect(outcome: BulkOutcome) -> None:
        index = outcome.index
        while len(results) <= index:
            results.append(None)
            new.append(None)
        if outcome.object is not None:
            results[index] = outcome.object
            new[index] = outcome.new
        else:
            assert outcome.error is not None
            errors.append(BulkError(index, outcome.input, outcome.error, outcome.attempted))

    engine = _Engine(
        objects,
        object_type,
        inputs,
        batch_size=batch_size,
        concurrency=concurrency,
        id_property=id_property,
        mode=mode,
        on_progress=on_progress,
        deliver=collect,
        auto_release=True,
    )
    await engine.run()
    total = engine.pulled
    while len(results) < total:
        results.append(None)
        new.append(None)
    errors.sort(key=lambda e: e.index)
    return BulkResult(
        results=results,
        new=new,
        errors=errors,
        created=engine.created,
        updated=engine.updated,
        failed=engine.failed,
        unknown=engine.unknown,
        not_attempted=engine.not_attempted,
        total=total,
        stopped_by=engine.stopped_by,
    )


class _Finished:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


def iter_create_many(
    objects: AsyncObjects,
    object_type: str,
    inputs: Iterable[BulkInput] | AsyncIterable[BulkInput],
    *,
    batch_size: int,
    concurrency: int | None,
    id_property: str | None,
    mode: BulkMode,
    on_progress: Callable[[BulkProgress], object] | None,
) -> AsyncIterator[BulkOutcome]:
    """Check the arguments now; stream outcomes when iterated (see AsyncObjects)."""
    _check_args(objects, object_type, batch_size, concurrency, id_property, mode, on_progress)
    return _stream(
        objects,
        object_type,
        inputs,
        batch_size=batch_size,
        concurrency=concurrency,
        id_property=id_property,
        mode=mode,
        on_progress=on_progress,
    )


async def _stream(
    objects: AsyncObjects,
    object_type: str,
    inputs: Iterable[BulkInput] | AsyncIterable[BulkInput],
    *,
    batch_size: int,
    concurrency: int | None,
    id_property: str | None,
    mode: BulkMode,
    on_progress: Callable[[BulkProgress], object] | None,
) -> AsyncIterator[BulkOutcome]:
    # The engine runs in a task of its own: this generator may be driven from a new
    # task at every step (the sync facade does that), which a task group inside it
    # would not survive. Outcomes cross over through an unbounded queue; the engine's
    # pull budget (released here, as each outcome is taken) is what bounds it.
    queue: asyncio.Queue[BulkOutcome | _Finished] = asyncio.Queue()
    engine = _Engine(
        objects,
        object_type,
        inputs,
        batch_size=batch_size,
        concurrency=concurrency,
        id_property=id_property,
        mode=mode,
        on_progress=on_progress,
        deliver=queue.put_nowait,
        auto_release=False,
    )

    async def drive() -> None:
        try:
            await engine.run()
        except Exception as exc:
            queue.put_nowait(_Finished(exc))
        else:
            queue.put_nowait(_Finished(None))

    task = asyncio.get_running_loop().create_task(drive())
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _Finished):
                if item.error is not None:
                    raise item.error
                return
            engine.release(1)
            yield item
    finally:
        if not task.done():
            task.cancel()
        await asyncio.wait([task])
