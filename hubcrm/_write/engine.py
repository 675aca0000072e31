"""The bulk engine: one run of ``create_many`` / ``upsert_many``, from intake to outcomes.

How the pieces fit: one scheduler coroutine assembles batches from the intake
(``_intake``), keeping inputs that share a unique value apart (``_schedule``), and
starts one task per batch while fewer than the concurrency target are running. Each
batch goes through the one batch executor (``_executor``), which splits what HubSpot
rejected as a whole and gives a verdict per input. Inputs a failure left ambiguous
leave the send path at once: settling (``_recovery``) reads them back and resends
them beside sending, without holding a batch slot, while their keys keep later inputs
with the same key waiting. Memory stays bounded: an input is only pulled while fewer
than ``concurrency x batch_size`` inputs (plus at most as many being settled) are
pulled and not yet delivered. Every input ends as exactly one :class:`BulkOutcome`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, get_args

import anyio
import attrs

from .._core.config import RequestOptions
from .._core.convert import parse_datetime
from .._core.errors import HubCRMError, OutcomeUnknownError
from .._core.models import CONTACT_TYPES, CrmObject
from .._http.safety import FailureClass, RequestKind, classify
from .._http.session import request_sent
from .batch_settling import BatchEntry, MadeBy, claim, earlier_in_run
from .bulk_answer import BatchAnswer, map_batch_answer, resent_new
from .bulk_args import BulkArgs, Endpoint
from .executor import execute, stops
from .intake import Intake, Item, Refused, batch_body, mark_sent, unsendable
from .outcomes import (
    BulkInput,
    BulkInputs,
    BulkOutcome,
    BulkProgress,
    OutcomeStatus,
    new_outcome,
    warn_cancelled,
)
from .readback import OtherValues
from .schedule import KeyDeferral, SeenKeys, in_flight

__all__ = ["Engine"]

logger = logging.getLogger("hubcrm")

_PROGRESS_INTERVAL = 0.25


@attrs.frozen
class _Ambiguous:
    """Inputs of one batch whose outcome a failure left ambiguous, to be settled."""

    items: list[Item]
    cause: HubCRMError
    started: float  # when the batch was sent (the session clock's time())
    existed_by: MadeBy | None  # what the run had made when the batch was sent


@attrs.frozen
class _CreateSpec:
    """The executor's view of a create or upsert batch: the engine builds and reads it."""

    engine: Engine
    path: str
    kind: RequestKind
    options: RequestOptions

    def body(self, items: Sequence[Item]) -> dict[str, Any]:
        return self.engine._body(items)

    def read(
        self, items: Sequence[Item], data: Any, headers: Mapping[str, str]
    ) -> BatchAnswer[CrmObject]:
        return self.engine._read(items, data, headers)

    def unsendable(self, item: Item, error: Exception) -> Exception:
        return unsendable(item.obj, error)


class Engine:
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
        # Ambiguous batch creates are settled beside sending; upserts are resent by the
        # retrier (idempotent), and mode="single" settles each create on its own.
        self._writes = endpoint.writes if not self._upsert and not self._single else None
        self._read_back = endpoint.read_back
        # By when (HubSpot's clock) the batch answers read and the records settled so
        # far were made: a record an earlier input of the run made was made no later.
        self._made_by: MadeBy | None = None
        # The unique values taken so far, when settling may read records back by them.
        self._seen: SeenKeys | None = (
            SeenKeys()
            if self._key_property is not None and (self._writes is not None or self._single)
            else None
        )
        self._on_progress = args.on_progress
        self._deliver = deliver
        self._auto_release = auto_release
        self._report_cancelled = report_cancelled
        self._intake = Intake(
            inputs,
            id_property=args.id_property,
            upsert=self._upsert,
            contacts=self._contacts,
            single=self._single,
            trace_prefix=f"hubcrm-{os.urandom(5).hex()}-",
        )
        self._total = self._intake.total
        # Scheduling state; touched only on the loop thread.
        self._keys: KeyDeferral[Item] = KeyDeferral()
        self._outstanding = 0  # pulled and not yet delivered (or, with auto_release, done)
        self._active = 0  # batch tasks running
        # Set when the run stops taking inputs: the error from HubSpot that stopped it
        # (also in stopped_by), or an exception from the caller's code (in failure).
        self._halt: Exception | None = None
        self.stopped_by: HubCRMError | None = None
        self.failure: Exception | None = None
        self.failed_in = ""  # where failure was raised, for the message
        self._changed = asyncio.Event()
        self._settling = 0  # inputs handed to settling, not yet settled
        self.read_backs = 0  # requests spent settling: reads and resends
        self.settle_resends = 0
        self._tg: anyio.abc.TaskGroup | None = None
        self.lost: list[int] = []  # indexes of inputs cancelled while in flight
        self._abandoned = 0  # inputs cancelled in a batch before it was sent
        # Batches handed to a task, until it ends: a task cancelled before it started
        # never runs its own bookkeeping, so run() accounts for its inputs.
        self._batches: dict[int, list[Item]] = {}
        # Outcomes so far, by status (for on_progress).
        self._counts: dict[OutcomeStatus, int] = dict.fromkeys(get_args(OutcomeStatus), 0)
        self._started = time.monotonic()
        self._last_progress = 0.0

    # --- public to the drivers --------------------------------------------------------

    @property
    def counts(self) -> Mapping[OutcomeStatus, int]:
        """Outcomes delivered so far, by status."""
        return self._counts

    @property
    def unsent(self) -> int:
        """Inputs taken and not sent: held back (behind an input with the same unique
        value), or cancelled while their batch waited (for the rate limiter, say)."""
        return len(self._keys) + self._abandoned

    def release(self, n: int = 1) -> None:
        """The consumer took ``n`` outcomes: that many more inputs may be pulled."""
        self._outstanding -= n
        self._changed.set()

    async def run(self) -> None:
        """Run to the end: every pulled input gets an outcome (unless cancelled).

        An exception from the caller's code (the iterable, ``on_progress``) stops the
        run as a ``DailyLimitError`` does; it is left in :attr:`failure` for the driver.
        """
        self._started = time.monotonic()
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
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
            for batch in self._batches.values():  # settling ones too: those were sent
                self._account_cancelled(batch, settling=True)
            if self.lost or len(self._keys):
                if self._report_cancelled:
                    warn_cancelled(self._object_type, self.lost, self.unsent, [])
            else:
                self._report_progress(final=True)

    # --- scheduling -------------------------------------------------------------------

    def _target(self) -> int:
        """How many batches may run at once now (the limiter may have learned a new limit)."""
        return in_flight(self._endpoint.requester, self._fixed_concurrency)

    def _capacity(self) -> int:
        # Inputs being settled hold no batch slot: up to one more window of them may
        # wait for their reads and resends while new batches keep the budget busy.
        window = self._target() * self._batch_size
        return window + min(self._settling, window)

    async def _assemble(self) -> list[Item] | None:
        """The next batch; ``[]`` after waiting for a change; ``None`` when all is sent."""
        self._changed.clear()
        size = self._batch_size
        batch: list[Item] = []
        keys = self._keys
        # Inputs held back because an earlier one with the same unique value was in
        # flight go first, in input order.
        keys.ready(batch, size)
        intake = self._intake
        pull_now = None if intake.is_async else intake.pull_now
        # Nothing else runs while a plain iterable is pulled: the capacity stays put.
        capacity = self._capacity()
        seen = self._seen
        while (
            len(batch) < size
            and not intake.exhausted
            and self._halt is None
            and self._outstanding < capacity
        ):
            try:
                pulled = pull_now() if pull_now is not None else await intake.pull()
            except Exception as exc:
                # The caller's iterable failed: send nothing more, finish what is in
                # flight, then raise it.
                self._abort(exc, "the input iterable")
                continue
            finally:
                if pull_now is None:
                    capacity = self._capacity()
            if pulled is None:
                continue
            self._outstanding += 1
            if isinstance(pulled, Refused):
                self._finish_local(pulled.index, pulled.raw, pulled.error)
                continue
            if seen is not None:  # the run's key property's value, as HubSpot compares it
                pulled.repeated = bool(pulled.unique) and seen.add(pulled.unique)
            if keys.must_wait(pulled):
                keys.hold(pulled)
            else:
                keys.take(pulled, batch)
        if batch:
            return batch
        if (intake.exhausted or self._halt is not None) and not len(keys):
            return None
        await self._changed.wait()
        return []

    def _finish_local(self, index: int, raw: BulkInput, error: Exception) -> None:
        self._emit(new_outcome(index, raw, "failed", None, error))

    # --- one batch --------------------------------------------------------------------

    def _account_cancelled(self, items: list[Item], *, settling: bool = False) -> None:
        """Inputs without an outcome at a cancellation: lost if sent, else never sent."""
        left = [item for item in items if not item.done and (settling or not item.settling)]
        self.lost.extend(item.index for item in left if item.sent)
        self._abandoned += sum(1 for item in left if not item.sent)

    async def _run_batch(self, items: list[Item]) -> None:
        settling: _Ambiguous | None = None
        request_sent.set(functools.partial(mark_sent, items))  # this task's context only
        try:
            if self._halt is not None:
                for item in items:
                    self._settle(item, "not_attempted", None, self._halt)
            elif self._single:
                await self._send_single(items[0])
            else:
                settling = await self._send_batch(items)
        except Exception as exc:
            self._batch_crashed(items, exc)
        finally:
            self._account_cancelled(items)
            del self._batches[id(items)]
            self._keys.release([item for item in items if not item.settling])
            self._active -= 1
            self._changed.set()
        if settling is not None:
            self._start_settling(settling)

    async def _send_batch(self, items: list[Item]) -> _Ambiguous | None:
        """Send one batch through the executor; return the inputs left to settle."""
        # When it was sent: for settling, and for an upsert answered after a resend.
        started = self._requester.session.clock.time()
        completed_before = self._made_by
        # A spec per batch, not one kept on the engine: the engine and its spec would be
        # a reference cycle, and what the run delivered (the outcomes list a result
        # shares) would then outlive the result until a full garbage collection.
        spec = _CreateSpec(self, self._endpoint.path, self._kind, self._endpoint.options)
        executed = await execute(self._requester, spec, items, halted=self._halted)
        if executed.stopped_by is not None:
            self._stop(executed.stopped_by)
        to_settle: list[Item] = []
        cause: HubCRMError | None = None
        answer = executed.answer
        error: Sequence[Exception | None]
        if answer is not None:  # one answer for the whole batch: read its columns
            status, value, error, new = answer.status, answer.record, answer.error, answer.new
            if (
                not executed.resent
                and self._on_progress is None
                and status.count("created") == len(items)
            ):
                self._emit_created(items, value, new)  # the usual batch
                return None
            resent = [executed.resent] * len(items)
        else:
            verdicts = executed.verdicts
            status = [verdict.status for verdict in verdicts]
            value = [verdict.value for verdict in verdicts]
            error = [verdict.error for verdict in verdicts]
            new = [verdict.new for verdict in verdicts]
            resent = [verdict.resent for verdict in verdicts]
        for j, item in enumerate(items):
            status_j = status[j]
            error_j = error[j]
            resent_j = resent[j]
            if status_j == "created" and not resent_j:  # _apply, in short
                item.done = True
                self._emit(new_outcome(item.index, item.raw, "created", value[j], None, new[j]))
            elif (
                status_j == "unknown"
                and self._writes is not None
                and self._read_back is not None
                and isinstance(error_j, HubCRMError)
                and classify(error_j) is FailureClass.AMBIGUOUS
            ):
                item.settling = True
                to_settle.append(item)
                cause = error_j
            else:
                new_j = new[j]
                if resent_j:  # an upsert may meet the record its first attempt made
                    new_j = resent_new(new_j, value[j], started)
                self._apply(item, status_j, value[j], error_j, new_j)
        if cause is None:
            return None
        return _Ambiguous(to_settle, cause, started, completed_before)

    def _emit_created(
        self, items: list[Item], value: list[CrmObject | None], new: list[bool | None]
    ) -> None:
        """Deliver the outcomes of a batch whose inputs were all created, in input order
        and in one pass (there is no on_progress to call between them): what
        :meth:`_emit` does for each, with the counts and the release added once."""
        deliver = self._deliver
        for j, item in enumerate(items):
            item.done = True
            deliver(new_outcome(item.index, item.raw, "created", value[j], None, new[j]))
        self._counts["created"] += len(items)
        if self._auto_release:
            self._outstanding -= len(items)
            self._changed.set()

    def _apply(
        self,
        item: Item,
        status: OutcomeStatus | None,
        value: CrmObject | None,
        error: Exception | None,
        new: bool | None,
    ) -> None:
        """Give an input the outcome its verdict says."""
        assert status is not None
        if status in ("created", "updated"):
            self._settle(item, status, value, None, new)
        else:
            self._settle(item, status, None, error)

    def _halted(self) -> Exception | None:
        return self._halt

    def _start_settling(self, ambiguous: _Ambiguous) -> None:
        """Hand ambiguous inputs to settling, beside sending: their batch slot is free
        now; their keys stay busy (later inputs with the same key wait) until settled."""
        assert self._tg is not None
        items = ambiguous.items
        self._settling += len(items)
        self._batches[id(items)] = items
        self._tg.start_soon(self._settle_batch, ambiguous)

    async def _settle_batch(self, ambiguous: _Ambiguous) -> None:
        items = ambiguous.items
        try:
            await self._recover(ambiguous)
        except Exception as exc:
            self._batch_crashed(items, exc)
        finally:
            self.lost.extend(item.index for item in items if not item.done)
            del self._batches[id(items)]
            for item in items:
                item.settling = False
            self._keys.release(items)
            self._settling -= len(items)
            self._changed.set()

    def _body(self, chunk: Sequence[Item]) -> dict[str, Any]:
        return batch_body(chunk, self._id_property if self._upsert else None)

    def _read(
        self, chunk: Sequence[Item], data: Any, headers: Mapping[str, str]
    ) -> BatchAnswer[CrmObject]:
        keys = None
        if self._upsert:
            id_property = self._id_property
            keys = [item.properties.get(id_property or "") for item in chunk]
        answer = map_batch_answer(
            [item.trace_id for item in chunk],
            data,
            headers,
            upsert=self._upsert,
            path=self._endpoint.path,
            object_type=self._object_type,
            keys=keys,
            key_property=self._id_property if keys is not None else None,
        )
        if self._seen is not None:  # settling may need to know what the run made
            self._note_answer(data, answer.record)
        return answer

    async def _recover(self, ambiguous: _Ambiguous) -> None:
        """Settle inputs whose outcome is ambiguous (one batch's), through recovery."""
        items = ambiguous.items
        writes = self._writes
        assert writes is not None
        assert self._read_back is not None
        key_property = self._key_property
        bodies = self._body(items)["inputs"]
        entries = [
            BatchEntry(
                item.obj,
                body,
                (item.properties.get(key_property) or "").strip() or None if key_property else None,
                item.repeated,
            )
            for item, body in zip(items, bodies, strict=True)
        ]
        settled = await writes.settle_batch(
            self._endpoint.path,
            entries,
            key_property=key_property,
            object_type=self._object_type,
            options=self._endpoint.options,
            started=ambiguous.started,
            cause=ambiguous.cause,
            read_back=self._read_back,
            existed_by=ambiguous.existed_by,
        )
        self.read_backs += settled.read_backs
        self.settle_resends += settled.resends
        for item, outcome in zip(items, settled.outcomes, strict=True):
            if outcome.status == "created":
                assert outcome.record is not None
                self._note_made(outcome.record)
                item.done = True
                self._emit(
                    BulkOutcome(
                        item.index, item.raw, "created", outcome.record, None, True, read_back=True
                    )
                )
            else:
                self._settle(item, outcome.status, None, outcome.error)

    def _note_answer(self, data: Any, records: Sequence[CrmObject | None]) -> None:
        completed = data.get("completedAt") if isinstance(data, Mapping) else None
        try:
            at = parse_datetime(completed).timestamp() if isinstance(completed, str) else None
        except ValueError:
            at = None
        made = [record for record in records if record is not None]
        self._made_by = MadeBy.after(self._made_by, at, made)

    def _note_made(self, record: CrmObject) -> None:
        """A record settled as made by this run: it was made no later than its time."""
        self._made_by = MadeBy.after(self._made_by, record.created_at.timestamp(), [record])

    def _batch_crashed(self, items: list[Item], error: Exception) -> None:
        """An unexpected error in a batch: account for its inputs, then stop the run."""
        for item in items:
            if not item.done:
                # It may have been sent.
                self._settle(item, "unknown", None, error)
        self._abort(error, "hubcrm's bulk engine")

    async def _send_single(self, item: Item) -> None:
        obj = item.obj
        existed_by = self._made_by
        try:
            record = await self._endpoint.create_one(
                self._object_type,
                obj.properties,
                obj.associations,
                id_property=self._id_property,
            )
        except OutcomeUnknownError as exc:
            # The record it met holds other values: it may be an earlier input's.
            cause = exc.cause
            if isinstance(cause, OtherValues):
                self._single_met(item, cause.record, existed_by, exc)
            else:
                self._settle(item, "unknown", None, exc)
        except HubCRMError as exc:
            if stops(exc, self._requester):
                self._stop(exc)
                self._settle(item, "not_attempted", None, exc)
            elif classify(exc) is FailureClass.NOT_PROCESSED:
                self._settle(item, "not_attempted", None, exc)
            else:
                self._settle(item, "failed", None, exc)
        except (TypeError, ValueError) as exc:
            self._settle(item, "failed", None, exc)
        else:
            self._single_met(item, record, existed_by, None)

    def _single_met(
        self,
        item: Item,
        record: CrmObject,
        existed_by: MadeBy | None,
        unknown: OutcomeUnknownError | None,
    ) -> None:
        """A single create returned ``record`` (or met it holding other values, left
        ``unknown``): settled by reading back, it may be an earlier input's record. (The
        create compared the values of a record it read back already.)"""
        if unknown is not None and earlier_in_run(record, item.repeated, existed_by) != "yes":
            self._settle(item, "unknown", None, unknown)
            return
        settled = claim(
            record,
            item.repeated,
            existed_by,
            object_type=self._object_type,
            obj=item.obj,
            key_property=self._key_property,
            compare=False,
        )
        if settled.status == "created":
            self._note_made(record)
        new = True if settled.status == "created" else None
        self._settle(item, settled.status, settled.record, settled.error, new)

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
        for item in self._keys.drain():
            self._settle(item, "not_attempted", None, error)
        self._changed.set()

    def _settle(
        self,
        item: Item,
        status: OutcomeStatus,
        record: CrmObject | None,
        error: Exception | None,
        new: bool | None = None,
    ) -> None:
        """Give an input its one outcome; for ``"unknown"``, ``error`` may be the cause."""
        if status == "unknown" and not isinstance(error, OutcomeUnknownError):
            error = OutcomeUnknownError(self._object_type, item.obj, cause=error)
        item.done = True
        self._emit(new_outcome(item.index, item.raw, status, record, error, new))

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
        now = time.monotonic()
        if not final and now - self._last_progress < _PROGRESS_INTERVAL:
            return
        self._last_progress = now
        try:
            callback(BulkProgress.of(self._counts, self._total, now - self._started))
        except Exception as exc:
            # Never again, and never in the middle of settling a batch's inputs.
            self._on_progress = None
            self._abort(exc, "on_progress")
