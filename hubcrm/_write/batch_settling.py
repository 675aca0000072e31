"""Settling the ambiguous inputs of one ``batch/create``, and the run's claims on the
records found: loaded when a bulk run first settles a batch or judges a record read
back, never by a single create.

- :class:`BatchEntry`, :class:`Settled`, :class:`SettledBatch`: an ambiguous input, what
  became of it, and of its batch;
- :class:`MadeBy`, :func:`earlier_in_run` and :func:`claim`: a record found may be one
  an earlier input of the same run made (it had the same unique value);
- :class:`BatchSettling`: the rounds of read-backs and resends
  (:meth:`~hubcrm._write.recovery.Writes.settle_batch` runs them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .._core.config import RequestOptions
from .._core.errors import (
    BadRequestError,
    ConflictError,
    HubCRMError,
    OutcomeUnknownError,
)
from .._core.models import CrmObject, ObjectInput, redacted_value
from .._http.retry import Retrier
from .._http.safety import FailureClass, RequestKind, classify
from .bulk_answer import BatchAnswer, map_batch_answer
from .executor import execute
from .readback import is_unique_refusal, made_since, other_values, pause, read_first

if TYPE_CHECKING:
    from .readback import ReadBack

__all__ = [
    "BatchEntry",
    "BatchSettling",
    "MadeBy",
    "Settled",
    "SettledBatch",
    "claim",
    "earlier_in_run",
]


@attrs.frozen
class MadeBy:
    """What a bulk run has made, by HubSpot's clock: every record its inputs were
    answered or settled with so far was made no later than millisecond ``ms``; ``ids``
    are those of them made at exactly that millisecond.

    Attributes:
        ms: HubSpot's time, in milliseconds since the epoch: the latest batch answer's
            ``completedAt``, or a settled record's ``createdAt``.
        ids: The records answered or settled that were made at ``ms``.
    """

    ms: int
    ids: frozenset[str] = frozenset()

    @staticmethod
    def after(
        made_by: MadeBy | None, at: float | None, records: Iterable[CrmObject] = ()
    ) -> MadeBy | None:
        """``made_by`` (None: nothing yet), after an answer completed at ``at`` with
        ``records``, or after ``records`` made at ``at`` were settled."""
        if at is None:
            return made_by
        ms = round(at * 1000)
        if made_by is not None and ms < made_by.ms:
            return made_by
        # A batch's records mostly share one creation time (one datetime object, as
        # read): it is rounded once, not once per record.
        ids: list[str] = []
        last: datetime | None = None
        same = False
        for record in records:
            if record.created_at is not last:
                last = record.created_at
                same = round(last.timestamp() * 1000) == ms
            if same:
                ids.append(record.id)
        at_ms = frozenset(ids)
        if made_by is None or ms > made_by.ms:
            return MadeBy(ms, at_ms)
        return MadeBy(ms, made_by.ids | at_ms) if not at_ms <= made_by.ids else made_by


def _ms(record: CrmObject) -> int:
    return round(record.created_at.timestamp() * 1000)


def earlier_in_run(
    record: CrmObject, repeated: bool, made_by: MadeBy | None
) -> Literal["no", "yes", "cannot tell"]:
    """Whether ``record``, read back by an input's unique value, was made by an earlier
    input of the same run rather than by this input's write.

    Only an input whose value an earlier input of the run also had (``repeated``) can
    meet that input's record. ``made_by`` is what the run had made when this input was
    sent: a record made before its millisecond is an earlier input's, one made after it
    this input's. One made in that very millisecond is an earlier input's when the run
    was answered or settled with it, else it could be either: "cannot tell".
    """
    if not repeated or made_by is None:
        return "no"
    made = _ms(record)
    if made < made_by.ms or record.id in made_by.ids:
        return "yes"
    return "cannot tell" if made == made_by.ms else "no"


def claim(
    record: CrmObject,
    repeated: bool,
    made_by: MadeBy | None,
    *,
    object_type: str,
    obj: ObjectInput,
    key_property: str | None,
    compare: bool = True,
) -> Settled:
    """The outcome of an input settled with ``record``, made since its write began.

    It is created when it holds the values the input sent (see
    :func:`~hubcrm._write.compare.differing_properties` for how they are compared;
    ``compare=False`` when that was done already, or the record is HubSpot's answer to
    the write itself), and no earlier input of the run made it (see
    :func:`earlier_in_run`). A record an earlier input made is a conflict; one that may
    be an earlier input's, or holds other values (another writer's, made since the
    write began), leaves the input unknown, naming the record.
    """
    earlier = earlier_in_run(record, repeated, made_by)
    if earlier == "yes":
        message = (
            f"a {object_type!r} record with this {key_property} was made by an earlier "
            f"input of this run. Existing ID: {record.id}"
        )
        return Settled("failed", None, ConflictError(message, status=409, category="CONFLICT"))
    differs = other_values(record, obj) if compare else None
    if earlier == "no" and differs is None:
        return Settled("created", record)
    cause: HubCRMError | None = differs
    if cause is None:
        cause = HubCRMError(
            f"the record read back by this input's unique value (ID {record.id}) was made "
            "in the same millisecond as an earlier input of the run with that value was "
            "settled: it may be that input's"
        )
    unknown = OutcomeUnknownError(object_type, obj, cause=cause, retried=True)
    return Settled("unknown", None, unknown)


@attrs.frozen
class BatchEntry:
    """One input of a ``batch/create`` whose outcome is ambiguous.

    Attributes:
        obj: The input.
        body: Its entry of the batch body, as sent (with its ``objectWriteTraceId``).
        key: Its value of the unique key property, or None when it has none.
        repeated: An earlier input of the run may have had the same key.
    """

    obj: ObjectInput
    body: Mapping[str, Any] = attrs.field(repr=False)  # property values: personal data
    key: str | None = attrs.field(repr=redacted_value)
    repeated: bool = False


@attrs.frozen
class Settled:
    """What became of one :class:`BatchEntry`.

    Attributes:
        status: ``"created"`` (with its record), ``"failed"`` (HubSpot's refusal, or a
            ``ConflictError`` for a record that existed before the batch was sent) or
            ``"unknown"`` (an ``OutcomeUnknownError``).
        record: The record, when created.
        error: Why there is none.
    """

    status: Literal["created", "failed", "unknown"]
    record: CrmObject | None = None
    error: HubCRMError | None = None


@attrs.frozen
class SettledBatch:
    """The settling of one ambiguous batch: an outcome per entry, and what it cost.

    Attributes:
        outcomes: One :class:`Settled` per entry, aligned.
        read_backs: Reads made (``batch/read`` requests).
        resends: Resends made (``batch/create`` requests, splits included).
    """

    outcomes: list[Settled]
    read_backs: int
    resends: int


@attrs.frozen
class _Resend:
    """The batch spec of a settling resend: the entries' bodies, as first sent."""

    path: str
    options: RequestOptions
    object_type: str
    kind: RequestKind = RequestKind.CREATE

    def body(self, items: Sequence[BatchEntry]) -> dict[str, Any]:
        return {"inputs": [entry.body for entry in items]}

    def read(
        self, items: Sequence[BatchEntry], data: Any, headers: Mapping[str, str]
    ) -> BatchAnswer[CrmObject]:
        return map_batch_answer(
            [str(entry.body.get("objectWriteTraceId")) for entry in items],
            data,
            headers,
            upsert=False,
            path=self.path,
            object_type=self.object_type,
        )

    def unsendable(self, item: BatchEntry, error: Exception) -> Exception:
        # It was encoded once already, so only a value changed since can do this.
        return HubCRMError(f"the input could not be encoded again ({type(error).__name__})")


class BatchSettling:
    """The settling of the ambiguous inputs of one ``batch/create`` (at most 100).

    Rounds of: read back what is open and may exist, resend what was not found (or,
    after a failure before commit, resend first). Every input ends with an outcome;
    one the rounds cannot settle is unknown."""

    def __init__(
        self,
        retrier: Retrier,
        path: str,
        entries: Sequence[BatchEntry],
        key_property: str | None,
        object_type: str,
        options: RequestOptions,
        started: float,
        cause: HubCRMError,
        read_back: ReadBack,
    ) -> None:
        self.retrier = retrier
        self.path = path
        self.entries = entries
        self.key_property = key_property
        self.object_type = object_type
        self.policy = options.retry
        self.resend_spec = _Resend(path, options, object_type)
        self.started = started
        self.error = cause
        self.read_back = read_back
        self.existed_by: MadeBy | None = None
        # Set by Writes.settle_batch from the policy's retry_writes: whether any input
        # is settled, and whether one without a unique key is sent again.
        self.settles = True
        self.resends_keyless = False
        self.stopped: HubCRMError | None = None  # a resend met an error that stops the run
        self.reads = 0
        self.resends = 0
        self.out: list[Settled | None] = [None] * len(entries)
        # The properties to read back: what the inputs set, so a created record reads
        # as batch/create would have answered it.
        names: dict[str, None] = {}
        for entry in entries:
            names.update(dict.fromkeys(entry.obj.properties))
        self.properties = list(names)

    def _unknown(self, i: int, cause: HubCRMError, *, tried: bool = True) -> Settled:
        obj = self.entries[i].obj
        error = OutcomeUnknownError(self.object_type, obj, cause=cause, retried=tried)
        return Settled("unknown", None, error)

    def _found(self, i: int, record: CrmObject, refusal: HubCRMError | None = None) -> Settled:
        entry = self.entries[i]
        if made_since(record, self.started):
            return claim(  # the ambiguous attempt made it, unless an earlier input did
                record,
                entry.repeated,
                self.existed_by,
                object_type=self.object_type,
                obj=entry.obj,
                key_property=self.key_property,
            )
        if isinstance(refusal, ConflictError):
            return Settled("failed", None, refusal)
        message = (
            f"a {self.object_type!r} record with this {self.key_property} existed before "
            f"the batch was sent. Existing ID: {record.id}"
        )
        return Settled("failed", None, ConflictError(message, status=409, category="CONFLICT"))

    async def run(self) -> list[Settled]:
        entries, out = self.entries, self.out
        pending: list[int] = []
        for i, entry in enumerate(entries):
            if not self.settles or (entry.key is None and not self.resends_keyless):
                out[i] = self._unknown(i, self.error, tried=False)  # no key can tell
            else:
                pending.append(i)
        refused: dict[int, HubCRMError] = {}  # resends refused as "value taken"
        # Inputs that may exist: read them before sending them again.
        unread = set(pending) if read_first(self.error) else set()
        counters = self.retrier.session.counters
        reason = "ambiguous batch: settling the inputs by their unique key"
        for retry in range(1, self.policy.max_retries + 1):
            if not pending:
                break
            wait = await pause(self.retrier.session, self.policy, retry, self.error)
            if wait is None:
                break  # HubSpot asked for a pause past rate_limit_deadline
            counters.retry(reason, wait, "POST", self.path, self.error)
            keyed = [i for i in pending if entries[i].key is not None and i in unread]
            if keyed:
                try:
                    found = await self._read([entries[i].key or "" for i in keyed])
                except HubCRMError as exc:
                    if classify(exc) is FailureClass.REJECTED:
                        for i in pending:
                            out[i] = self._unknown(i, exc)  # a refused read settles nothing
                        return self._done()
                    self.error = exc
                    continue
                for i, record in zip(keyed, found, strict=True):
                    if record is not None:
                        out[i] = self._found(i, record, refused.get(i))
                    elif i in refused and isinstance(refused[i], BadRequestError):
                        # Refused for its value, yet not found: the 400 was about the
                        # value itself (or the read lags): keep HubSpot's answer.
                        out[i] = Settled("failed", None, refused[i])
                pending = [i for i in pending if out[i] is None]
            if not pending:
                break
            refused = {}
            pending, unread = await self._resend(pending, refused)
            if self.stopped is not None:
                for i in pending:
                    out[i] = self._unknown(i, self.stopped)
                return self._done()
        for i in pending:
            out[i] = self._unknown(i, self.error)
        return self._done()

    def _done(self) -> list[Settled]:
        done: list[Settled] = []
        for i, settled in enumerate(self.out):
            done.append(settled if settled is not None else self._unknown(i, self.error))
        return done

    async def _read(self, keys: list[str]) -> list[CrmObject | None]:
        self.reads += 1
        self.retrier.session.counters.read_backs += 1
        return await self.read_back(keys, self.key_property, self.properties)

    async def _resend(
        self, pending: list[int], refused: dict[int, HubCRMError]
    ) -> tuple[list[int], set[int]]:
        """Send ``pending`` again; returns the inputs still open (ambiguous, not sent or
        refused as taken), and those of them that may exist (to read first)."""
        entries, out = self.entries, self.out
        executed = await execute(self.retrier, self.resend_spec, [entries[i] for i in pending])
        self.resends += executed.requests
        self.retrier.session.counters.settle_resends += executed.requests
        if executed.stopped_by is not None:
            self.stopped = executed.stopped_by
        still: list[int] = []
        unread: set[int] = set()
        for i, verdict in zip(pending, executed.verdicts, strict=True):
            status, error = verdict.status, verdict.error
            assert error is None or isinstance(error, HubCRMError)
            if status == "created" and verdict.value is not None:
                out[i] = Settled("created", verdict.value)
            elif status == "failed" and self._refusal(i, error):
                assert error is not None
                refused[i] = error
                still.append(i)
                unread.add(i)
            elif status == "failed":
                out[i] = Settled("failed", None, error)
            elif status == "unknown":
                if error is not None:
                    self.error = error
                    if read_first(error):
                        unread.add(i)
                still.append(i)
            else:  # not attempted (a rate limit named it, or the run stopped): again
                if error is not None and executed.stopped_by is None:
                    self.error = error
                still.append(i)
        return still, unread

    def _refusal(self, i: int, error: BaseException | None) -> bool:
        key_property = self.key_property
        if self.entries[i].key is None or key_property is None:
            return False
        return is_unique_refusal(error, key_property)
