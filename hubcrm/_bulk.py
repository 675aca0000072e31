"""The bulk engine behind ``create_many`` and ``iter_create_many``.

Inputs are pulled lazily from any iterable or async iterable and sent through
``batch/create`` (or ``batch/upsert`` for ``upsert_many``) by a bounded number of
concurrent requests. Every input ends as exactly one :class:`BulkOutcome`: created or
updated (with its record), failed, unknown, or not attempted.

How the pieces fit: one scheduler coroutine assembles batches (keeping inputs that
share a unique value in different batches, in input order) and starts one task per
batch while fewer than the concurrency target are running. A batch rejected as a whole
is split in halves until the bad inputs are isolated. A 2xx answer is mapped back to
its inputs by a pure function, by ``objectWriteTraceId``. A batch create that fails
ambiguously is handed to the requester's ``settle_batch``, which reads its inputs back
by their unique key and resends what is missing. Memory stays bounded
because an input is only pulled while fewer than ``concurrency x batch_size`` inputs
are pulled and not yet delivered.

The engine knows nothing of the resource that calls it: it is given a
:class:`BulkArgs` (the caller's arguments, checked) and an :class:`Endpoint` (what to
send requests through, and where).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    Sized,
)
from operator import attrgetter
from typing import Any, Literal, Protocol

import anyio
import attrs

from ._bulk_answer import map_batch_answer
from ._clock import Clock
from ._config import RequestOptions
from ._convert import dump_input, parse_datetime
from ._errors import (
    CLIENT_CLOSED,
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
from ._models import CONTACT_TYPES, Association, CrmObject, ObjectInput
from ._outcomes import (
    BulkInput,
    BulkInputs,
    BulkOutcome,
    BulkProgress,
    BulkResult,
    BulkRunError,
    OutcomeStatus,
)
from ._ratelimit import RateLimit
from ._retry import BatchEntry, FailureClass, ReadBack, RequestKind, Settled, classify
from ._session import Response, encode_json, object_type_segment
from ._values import PropertyValue, type_name

__all__ = [
    "MAX_BATCH_SIZE",
    "BulkArgs",
    # The result types live in _outcomes; the resources import them from here too.
    "BulkInputs",
    "BulkMode",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    "CreateOne",
    "Endpoint",
    "Requester",
    "check_batch_size",
    "check_concurrency",
    "create_many",
    "in_flight",
    "iter_create_many",
    "stops_run",
]

logger = logging.getLogger("hubcrm")

BulkMode = Literal["batch", "single"]

MAX_BATCH_SIZE = 100

# With a rate limiter, requests in flight = permitted rate x the time one request may
# take. HubSpot answers a batch of 100 well within this, so this many keeps the window
# full; more would only wait in the limiter holding inputs in memory.
_ASSUMED_LATENCY = 1.0
# Without a limiter there is no window to fill: this many batches saturate one server.
_UNLIMITED_CONCURRENCY = 16
_PROGRESS_INTERVAL = 0.25


# --- what the engine is given ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BulkArgs:
    """The arguments of one ``create_many`` / ``iter_create_many`` call, checked.

    Attributes:
        object_type: The object type's name or id.
        batch_size: Inputs per request, 1 to 100.
        concurrency: Requests in flight at once; None to derive it from the rate limit.
        id_property: The unique-value property every input has, or None.
        mode: ``"batch"``, or ``"single"`` for one create per input.
        on_progress: Called with a ``BulkProgress`` now and then, or None.

    Raises:
        TypeError, ValueError: an argument is invalid (the message says which).
    """

    object_type: str
    batch_size: int
    concurrency: int | None
    id_property: str | None
    mode: BulkMode
    on_progress: Callable[[BulkProgress], object] | None
    upsert: bool = False
    """Send batches through ``batch/upsert`` (needs ``id_property`` and batch mode)."""

    def __attrs_post_init__(self) -> None:
        object_type_segment(self.object_type)  # validates the type name
        check_batch_size(self.batch_size)
        check_concurrency(self.concurrency)
        id_property = self.id_property
        if id_property is not None and (not isinstance(id_property, str) or not id_property):
            raise ValueError("id_property must be a non-empty property name or None")
        if self.mode not in ("batch", "single"):
            raise ValueError(f"mode must be 'batch' or 'single', not {self.mode!r}")
        if self.on_progress is not None and not callable(self.on_progress):
            raise TypeError("on_progress must be callable or None")
        if self.upsert and (id_property is None or self.mode != "batch"):
            raise ValueError("an upsert needs an id_property and mode='batch'")

    @property
    def operation(self) -> str:
        """The batch endpoint below the object type's path: ``batch/create`` or ``batch/upsert``."""
        return "batch/upsert" if self.upsert else "batch/create"


class Requester(Protocol):
    """What the engine sends its batches through (the client's retrier)."""

    @property
    def max_connections(self) -> int:
        """The most requests in flight at once."""
        ...

    @property
    def rate_limit(self) -> RateLimit | None:
        """The limit the client's limiter keeps to now; ``None`` when it keeps none."""
        ...

    @property
    def closed(self) -> bool:
        """Whether the client is closed: every request now fails before it is sent."""
        ...

    @property
    def clock(self) -> Clock:
        """Where the engine reads the time (the session's clock)."""
        ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        kind: RequestKind,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        options: RequestOptions | None = None,
        log_path: str | None = None,
    ) -> Response:
        """Send one request, with the retries its kind allows; a 2xx response or raise."""
        ...

    def safe_create_options(self, options: RequestOptions) -> RequestOptions:
        """``options`` such that an ambiguous create is never resent blindly."""
        ...

    async def settle_batch(
        self,
        path: str,
        entries: Sequence[BatchEntry],
        *,
        key_property: str | None,
        object_type: str,
        options: RequestOptions,
        started: float,
        cause: HubCRMError,
        read_back: ReadBack,
        existed_by: float | None = None,
    ) -> list[Settled]:
        """Settle the inputs of an ambiguous ``batch/create``; one outcome each."""
        ...


class CreateOne(Protocol):
    """Creates one object, with its own safe recovery: what ``mode="single"`` calls."""

    async def __call__(
        self,
        object_type: str,
        properties: Mapping[str, PropertyValue],
        associations: Iterable[Association] = (),
        *,
        id_property: str | None = None,
    ) -> CrmObject:
        """Create the object, or raise as ``create`` does."""
        ...


@attrs.frozen(kw_only=True)
class Endpoint:
    """Where a bulk run sends its requests, and through what.

    Attributes:
        requester: The client's retrier; the concurrency target follows its
            ``rate_limit``.
        path: The batch path (``.../batch/create`` or ``.../batch/upsert``).
        options: Timeouts and retry policy for the batch requests.
        create_one: Creates one input, for ``mode="single"``.
        read_back: Reads records by unique key, to settle ambiguous batch creates;
            None: such batches stay unknown.
    """

    requester: Requester
    path: str
    options: RequestOptions
    create_one: CreateOne
    read_back: ReadBack | None = None


def check_batch_size(batch_size: int) -> None:
    """Raise unless ``batch_size`` is an int from 1 to 100."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size must be an int, not {type_name(batch_size)}")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}, not {batch_size}")


def check_concurrency(concurrency: int | None) -> None:
    """Raise unless ``concurrency`` is None or an int of at least 1."""
    if concurrency is None:
        return
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int or None, not {type_name(concurrency)}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")


def in_flight(requester: Requester, concurrency: int | None) -> int:
    """How many requests a bulk run keeps in flight: the caller's ``concurrency``, or
    enough to fill the rate limit, and never more than the connection pool."""
    pool = requester.max_connections
    if concurrency is not None:
        return max(1, min(concurrency, pool))
    rate_limit = requester.rate_limit
    if rate_limit is not None:
        want = math.ceil(rate_limit.per_second * _ASSUMED_LATENCY) + 1
        return max(1, min(want, rate_limit.max_requests, pool))
    return max(1, min(_UNLIMITED_CONCURRENCY, pool))


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


def stops_run(error: HubCRMError) -> bool:
    """Errors after which no other request of the run can succeed."""
    if isinstance(error, (DailyLimitError, AuthenticationError, ForbiddenError, RedisLimiterError)):
        return True
    if isinstance(error, NotFoundError) and error.category != "OBJECT_NOT_FOUND":
        return True  # the path itself does not exist
    # An unknown object type: HubSpot's 400 carries no category or subCategory of its
    # own for it, so its message is the only mark.
    return (
        isinstance(error, APIError)
        and error.status == 400
        and error.message.startswith("Unable to infer object type")
    )


class _Engine:
    """One bulk run. Not reusable."""

    def __init__(
        self,
        endpoint: Endpoint,
        args: BulkArgs,
        inputs: BulkInputs,
        *,
        deliver: Callable[[BulkOutcome], None],
        auto_release: bool,
        report_cancelled: bool = True,
    ) -> None:
        self._endpoint = endpoint
        self._requester = endpoint.requester
        self._clock = endpoint.requester.clock
        self._object_type = args.object_type
        self._single = args.mode == "single"
        self._batch_size = 1 if self._single else args.batch_size
        self._fixed_concurrency = args.concurrency
        self._id_property = args.id_property
        self._upsert = args.upsert
        self._kind = RequestKind.UPSERT if self._upsert else RequestKind.CREATE
        self._contacts = args.object_type in CONTACT_TYPES
        # Ambiguous batch creates are settled by reading their inputs back by this key.
        self._key_property = args.id_property or ("email" if self._contacts else None)
        self._read_back = endpoint.read_back
        self._send_options = endpoint.options
        if self._read_back is not None and not self._upsert and not self._single:
            if endpoint.options.retry.retry_writes == "never":
                self._read_back = None
            else:
                self._send_options = self._requester.safe_create_options(endpoint.options)
        else:
            self._read_back = None
        # The latest completedAt (HubSpot's clock) of the batch answers read so far: a
        # record made by an earlier batch of this run was made no later than that.
        self._completed_at: float | None = None
        self._on_progress = args.on_progress
        self._deliver = deliver
        self._auto_release = auto_release
        self._report_cancelled = report_cancelled
        self._trace_prefix = f"hubcrm-{os.urandom(5).hex()}-"
        self._total: int | None = None
        if isinstance(inputs, AsyncIterable):
            self._aiter: AsyncIterator[BulkInput] | None = inputs.__aiter__()
            self._iter: Iterator[BulkInput] | None = None
        else:
            self._aiter = None
            self._iter = iter(inputs)
            self._total = len(inputs) if isinstance(inputs, Sized) else None
        # Scheduling state; touched only on the loop thread.
        self._pulled = 0
        self._outstanding = 0  # pulled and not yet delivered (or, with auto_release, done)
        self._active = 0  # batch tasks running
        self._busy: dict[Any, int] = {}  # unique keys of inputs in running batches
        self._deferred: deque[_Item] = deque()
        self._deferred_keys: dict[Any, int] = {}
        self._exhausted = False
        # Set when the run stops taking inputs: the error from HubSpot that stopped it
        # (also in stopped_by), or an exception from the caller's code (in failure).
        self._halt: Exception | None = None
        self.stopped_by: HubCRMError | None = None
        self.failure: Exception | None = None
        self.failed_in = ""  # where failure was raised, for the message
        self._changed = asyncio.Event()
        self.lost: list[int] = []  # indexes of inputs cancelled while in flight
        # Batches handed to a task, until it ends: a task cancelled before it started
        # never runs its own bookkeeping, so run() accounts for its inputs.
        self._batches: dict[int, list[_Item]] = {}
        # Outcomes so far, by status (for on_progress).
        self._counts: dict[OutcomeStatus, int] = {
            "created": 0,
            "updated": 0,
            "failed": 0,
            "unknown": 0,
            "not_attempted": 0,
        }
        self._started = self._clock.monotonic()
        self._last_progress = 0.0

    # --- public to the drivers --------------------------------------------------------

    @property
    def unsent(self) -> int:
        """Inputs taken and held back (behind an input with the same unique value)."""
        return len(self._deferred)

    def release(self, n: int = 1) -> None:
        """The consumer took ``n`` outcomes: that many more inputs may be pulled."""
        self._outstanding -= n
        self._changed.set()

    async def run(self) -> None:
        """Run to the end: every pulled input gets an outcome (unless cancelled).

        An exception from the caller's code (the iterable, ``on_progress``) stops the
        run as a ``DailyLimitError`` does; it is left in :attr:`failure` for the driver.
        """
        self._started = self._clock.monotonic()
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
                        self._batches[id(batch)] = batch
                        tg.start_soon(self._run_batch, batch)
        finally:
            for batch in self._batches.values():
                self.lost.extend(item.index for item in batch if not item.done)
            if self.lost or self._deferred:
                if self._report_cancelled:
                    _warn_cancelled(self._object_type, self.lost, self.unsent, [])
            else:
                self._report_progress(final=True)

    # --- scheduling -------------------------------------------------------------------

    def _target(self) -> int:
        """How many batches may run at once now (the limiter may have learned a new limit)."""
        return in_flight(self._endpoint.requester, self._fixed_concurrency)

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
            and self._halt is None
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
        if (self._exhausted or self._halt is not None) and not self._deferred:
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
            self._exhausted = True
            self._abort(exc, "the input iterable")
            return None
        index = self._pulled
        self._pulled += 1
        self._outstanding += 1
        try:
            return self._item(index, raw)
        except Exception as exc:  # whatever an input raises is its own
            # An input that cannot be sent (a TypeError or ValueError naming the
            # property, or an error raised by a mapping of the caller's) fails alone.
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
                    "batch/upsert cannot set associations; use create_many with "
                    "id_property for inputs with associations"
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
        self._emit(BulkOutcome(index, raw, "failed", None, error))

    # --- one batch --------------------------------------------------------------------

    async def _run_batch(self, items: list[_Item]) -> None:
        chunk: list[_Item] = []
        try:
            chunks = [items]
            while chunks:
                chunk = chunks.pop()
                stopped = self._halt
                if stopped is not None:
                    for item in chunk:
                        self._settle(item, "not_attempted", None, stopped)
                elif self._single:
                    await self._send_single(chunk[0])
                else:
                    await self._send_chunk(chunk, chunks)
        except Exception as exc:
            self._batch_crashed(items, chunk, exc)
        finally:
            self.lost.extend(item.index for item in items if not item.done)
            del self._batches[id(items)]
            self._untake(items)
            self._active -= 1
            self._changed.set()

    def _body(self, chunk: list[_Item]) -> dict[str, Any]:
        inputs: list[dict[str, Any]] = []
        if self._upsert:
            id_property = self._id_property
            assert id_property is not None  # BulkArgs refuses an upsert without one
            for item in chunk:
                props = item.obj.properties
                inputs.append(
                    {
                        "idProperty": id_property,
                        "id": props[id_property],
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
        endpoint = self._endpoint
        started = self._clock.time()
        completed_before = self._completed_at
        try:
            response = await self._requester.request(
                "POST",
                endpoint.path,
                kind=self._kind,
                json_body=self._body(chunk),
                options=self._send_options,
            )
            data = response.json()
        except HubCRMError as exc:
            if (
                self._read_back is not None
                and classify(exc) is FailureClass.AMBIGUOUS
                and not stops_run(exc)
            ):
                await self._recover(chunk, exc, started, completed_before)
            else:
                self._chunk_failed(chunk, exc, chunks)
            return
        except (TypeError, ValueError):
            # The body could not be encoded (an input changed after it was checked):
            # nothing was sent. Fail the inputs that cannot be encoded, send the rest.
            if self._isolate_unsendable(chunk, chunks):
                return
            raise
        keys = None
        if self._upsert:
            id_property = self._id_property
            keys = [item.obj.properties.get(id_property or "") for item in chunk]
        answer = map_batch_answer(
            [item.trace_id for item in chunk],
            data,
            response.headers,
            upsert=self._upsert,
            path=endpoint.path,
            object_type=self._object_type,
            keys=keys,
            key_property=self._id_property if keys is not None else None,
        )
        self._note_completed_at(data)
        settle = self._settle
        unknown: list[_Item] = []
        cause: HubCRMError | None = None
        for item, status, record, error, new in zip(
            chunk, answer.status, answer.record, answer.error, answer.new, strict=True
        ):
            if status == "unknown" and self._read_back is not None:
                unknown.append(item)
                cause = error
            elif status is not None:
                settle(item, status, record, error, new)
        if unknown:
            assert cause is not None
            await self._recover(unknown, cause, started, completed_before)
        # Popped last first: the groups go in input order.
        chunks.extend([chunk[i] for i in group] for group in reversed(answer.split))

    async def _recover(
        self,
        chunk: list[_Item],
        cause: HubCRMError,
        started: float,
        completed_before: float | None,
    ) -> None:
        """Hand inputs whose outcome is ambiguous to the requester, which settles them."""
        assert self._read_back is not None
        key_property = self._key_property
        bodies = self._body(chunk)["inputs"]
        entries = [
            BatchEntry(
                item.obj,
                body,
                item.obj.properties.get(key_property) or None if key_property else None,
            )
            for item, body in zip(chunk, bodies, strict=True)
        ]
        settled = await self._requester.settle_batch(
            self._endpoint.path,
            entries,
            key_property=key_property,
            object_type=self._object_type,
            options=self._endpoint.options,
            started=started,
            cause=cause,
            read_back=self._read_back,
            existed_by=completed_before,
        )
        for item, outcome in zip(chunk, settled, strict=True):
            if outcome.status == "created":
                item.done = True
                self._emit(
                    BulkOutcome(
                        item.index, item.raw, "created", outcome.record, None, True, read_back=True
                    )
                )
            else:
                self._settle(item, outcome.status, None, outcome.error)

    def _chunk_failed(
        self, chunk: list[_Item], exc: HubCRMError, chunks: list[list[_Item]]
    ) -> None:
        if self._stops(exc):
            self._stop(exc)
            for item in chunk:
                self._settle(item, "not_attempted", None, exc)
            return
        failure = classify(exc)
        if failure is FailureClass.AMBIGUOUS or isinstance(exc, ResponseParseError):
            for item in chunk:
                self._settle(item, "unknown", None, exc)
        elif failure is FailureClass.NOT_PROCESSED:
            for item in chunk:
                self._settle(item, "not_attempted", None, exc)
        elif len(chunk) > 1:
            # Rejected as a whole, with no input named: split until each bad input is
            # alone. The halves go in input order (the first half is popped first).
            mid = len(chunk) // 2
            chunks.append(chunk[mid:])
            chunks.append(chunk[:mid])
        else:
            self._settle(chunk[0], "failed", None, exc)

    def _note_completed_at(self, data: Any) -> None:
        completed = data.get("completedAt") if isinstance(data, Mapping) else None
        try:
            at = parse_datetime(completed).timestamp() if isinstance(completed, str) else None
        except ValueError:
            at = None
        if at is not None and (self._completed_at is None or at > self._completed_at):
            self._completed_at = at

    def _isolate_unsendable(self, chunk: list[_Item], chunks: list[list[_Item]]) -> bool:
        """Fail the inputs whose own body cannot be encoded; queue the rest. Any found?"""
        sendable: list[_Item] = []
        for item in chunk:
            try:
                encode_json(self._body([item]))
            except (TypeError, ValueError) as exc:
                self._settle(item, "failed", None, _unsendable(item.obj, exc))
            else:
                sendable.append(item)
        if len(sendable) == len(chunk):
            return False
        if sendable:
            chunks.append(sendable)
        return True

    def _batch_crashed(self, items: list[_Item], chunk: list[_Item], error: Exception) -> None:
        """An unexpected error in a batch: account for its inputs, then stop the run."""
        sent = {id(item) for item in chunk}
        for item in items:
            if not item.done:
                if id(item) in sent:  # it may have been sent
                    self._settle(item, "unknown", None, error)
                else:
                    self._settle(item, "not_attempted", None, error)
        self._abort(error, "hubcrm's bulk engine")

    async def _send_single(self, item: _Item) -> None:
        obj = item.obj
        try:
            record = await self._endpoint.create_one(
                self._object_type,
                obj.properties,
                obj.associations,
                id_property=self._id_property,
            )
        except OutcomeUnknownError as exc:
            self._settle(item, "unknown", None, exc)
        except HubCRMError as exc:
            if self._stops(exc):
                self._stop(exc)
                self._settle(item, "not_attempted", None, exc)
            elif classify(exc) is FailureClass.NOT_PROCESSED:
                self._settle(item, "not_attempted", None, exc)
            else:
                self._settle(item, "failed", None, exc)
        except (TypeError, ValueError) as exc:
            self._settle(item, "failed", None, exc)
        else:
            self._settle(item, "created", record, None, True)

    # --- outcomes ---------------------------------------------------------------------

    def _stops(self, error: HubCRMError) -> bool:
        # A closed client refuses a request before sending it, with a plain
        # HubCRMError (a request cut short by the close is an APIConnectionError).
        return stops_run(error) or (type(error) is HubCRMError and self._requester.closed)

    def _stop(self, error: HubCRMError) -> None:
        if self.stopped_by is not None:
            return
        self.stopped_by = error
        logger.warning(
            "bulk creation of %s stopped: %s; inputs not yet sent are reported as not attempted",
            self._object_type,
            type(error).__name__,
        )
        self._halt_run(error)

    def _abort(self, error: Exception, where: str) -> None:
        """The caller's code raised ``error``: stop as for a daily limit, then re-raise."""
        if self.failure is not None:
            return
        self.failure = error
        self.failed_in = where
        logger.warning(
            "bulk creation of %s stopped: %s raised %s; inputs not yet sent are reported "
            "as not attempted",
            self._object_type,
            where,
            type(error).__name__,
        )
        self._halt_run(error)

    def _halt_run(self, error: Exception) -> None:
        """Take no more inputs; the ones held back are not attempted, with ``error``."""
        if self._halt is not None:
            return
        self._halt = error
        deferred, self._deferred = self._deferred, deque()
        self._deferred_keys.clear()
        for item in deferred:
            self._settle(item, "not_attempted", None, error)
        self._changed.set()

    def _settle(
        self,
        item: _Item,
        status: OutcomeStatus,
        record: CrmObject | None,
        error: Exception | None,
        new: bool | None = None,
    ) -> None:
        """Give an input its one outcome; for ``"unknown"``, ``error`` may be the cause."""
        if status == "unknown" and not isinstance(error, OutcomeUnknownError):
            error = OutcomeUnknownError(self._object_type, item.obj, cause=error)
        item.done = True
        self._emit(BulkOutcome(item.index, item.raw, status, record, error, new))

    def _emit(self, outcome: BulkOutcome) -> None:
        self._counts[outcome.status] += 1
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
        now = self._clock.monotonic()
        if not final and now - self._last_progress < _PROGRESS_INTERVAL:
            return
        self._last_progress = now
        elapsed = now - self._started
        counts = self._counts
        done = sum(counts.values())
        try:
            callback(
                BulkProgress(
                    done=done,
                    created=counts["created"] + counts["updated"],
                    failed=counts["failed"],
                    unknown=counts["unknown"],
                    not_attempted=counts["not_attempted"],
                    total=self._total,
                    elapsed=elapsed,
                    rate=done / elapsed if elapsed > 0 else 0.0,
                )
            )
        except Exception as exc:
            # Never again, and never in the middle of settling a batch's inputs.
            self._on_progress = None
            self._abort(exc, "on_progress")


# --- the two drivers --------------------------------------------------------------------


async def create_many(endpoint: Endpoint, args: BulkArgs, inputs: BulkInputs) -> BulkResult:
    """Run a bulk creation to the end and collect every outcome, in input order.

    Raises:
        BulkRunError: the iterable or ``on_progress`` raised; it carries the outcomes.
    """
    outcomes: list[BulkOutcome] = []
    engine = _Engine(endpoint, args, inputs, deliver=outcomes.append, auto_release=True)
    await engine.run()
    # Delivered in completion order, which is nearly input order: a cheap sort.
    outcomes.sort(key=_by_index)
    if engine.failure is not None:
        raise _run_error(engine, outcomes) from engine.failure
    return BulkResult(outcomes=outcomes, stopped_by=engine.stopped_by)


def _run_error(engine: _Engine, outcomes: list[BulkOutcome]) -> BulkRunError:
    failure = engine.failure
    return BulkRunError(
        f"bulk creation of {engine._object_type!r} stopped early: {engine.failed_in} raised "
        f"{type(failure).__name__}; the outcomes of the {len(outcomes)} inputs taken are "
        "in this error's result",
        outcomes=outcomes,
        stopped_by=engine.stopped_by,
    )


def _unsendable(obj: ObjectInput, error: Exception) -> Exception:
    """The error for an input whose body cannot be encoded, naming the property."""
    try:  # checking it again names the property (it was changed since it was checked)
        ObjectInput(
            obj.properties,
            associations=obj.associations,
            object_write_trace_id=obj.object_write_trace_id,
        )
    except (TypeError, ValueError) as exc:
        return exc
    return ValueError(f"the input cannot be encoded as JSON: {type(error).__name__}")


_by_index = attrgetter("index")


def _warn_cancelled(
    object_type: str, lost: list[int], unsent: int, unyielded: list[BulkOutcome]
) -> None:
    """Log what a cancelled run (or an iteration left early) leaves unreported."""
    parts: list[str] = []
    if unyielded:
        counts: dict[str, int] = {}
        for outcome in unyielded:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        parts.append(
            f"{len(unyielded)} outcomes known but not yielded ("
            + ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
            + f"; indexes {min(o.index for o in unyielded)} to "
            f"{max(o.index for o in unyielded)})"
        )
    if lost:
        parts.append(
            f"{len(lost)} inputs in flight, whose outcome is unknown (indexes {min(lost)} "
            f"to {max(lost)})"
        )
    if unsent:
        parts.append(f"{unsent} inputs taken but not sent")
    logger.warning("bulk creation of %s ended early: %s", object_type, "; ".join(parts))


class _Finished:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


async def iter_create_many(
    endpoint: Endpoint, args: BulkArgs, inputs: BulkInputs
) -> AsyncGenerator[BulkOutcome, None]:
    """Stream the outcomes of a bulk creation, in completion order."""
    # The engine runs in a task of its own: this generator may be driven from a new
    # task at every step (the sync facade does that), which a task group inside it
    # would not survive. Outcomes cross over through an unbounded queue; the engine's
    # pull budget (released here, as each outcome is taken) is what bounds it.
    queue: asyncio.Queue[BulkOutcome | _Finished] = asyncio.Queue()
    engine = _Engine(
        endpoint,
        args,
        inputs,
        deliver=queue.put_nowait,
        auto_release=False,
        report_cancelled=False,  # reported below, with the outcomes not yielded
    )
    requester = endpoint.requester

    async def drive() -> None:
        try:
            await engine.run()
        except Exception as exc:
            queue.put_nowait(_Finished(exc))
        else:
            # After every outcome: the exception of the caller's code that stopped it.
            queue.put_nowait(_Finished(engine.failure))

    if endpoint.requester.closed:  # nothing is sent by a closed client
        raise HubCRMError(CLIENT_CLOSED)
    task = asyncio.get_running_loop().create_task(drive())
    finished = False
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _Finished):
                finished = True
                if item.error is not None:
                    raise item.error
                return
            if requester.closed:
                queue.put_nowait(item)  # not yielded: reported below
                raise HubCRMError(CLIENT_CLOSED)
            engine.release(1)
            yield item
    finally:
        if not task.done():
            task.cancel()
        # Shielded: when this generator is closed by cancellation, the engine's own
        # cancellation is still awaited, so no request of it outlives the iteration.
        with anyio.CancelScope(shield=True):
            await asyncio.wait([task])
        if not finished:
            unyielded = [o for o in _drain(queue) if isinstance(o, BulkOutcome)]
            if unyielded or engine.lost or engine.unsent:
                _warn_cancelled(args.object_type, engine.lost, engine.unsent, unyielded)


def _drain(queue: asyncio.Queue[BulkOutcome | _Finished]) -> list[BulkOutcome | _Finished]:
    items: list[BulkOutcome | _Finished] = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items
