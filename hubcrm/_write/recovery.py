"""Recovery of writes: settling a create whose outcome a failure left ambiguous.

Above the retrier (``_retry``), which resends one request when that is safe and knows
nothing of CRM records. This module is the only reader of ``retry_writes``:

- :func:`send_kind` says whether a write may be resent blindly (``"always"``);
- :meth:`Writes.create` settles an ambiguous single create: look the record up by its
  unique ``id_property``, or resend a contact with an email and resolve the 409 to the
  record the first attempt made;
- :meth:`Writes.settle_batch` settles the ambiguous inputs of a ``batch/create`` by
  their unique key, in the cheapest sound order: after a failure that most likely came
  before commit (a 503) the inputs are resent first and only what HubSpot refuses as
  taken is read back; after one that came after commit, or at an unknown time (a 502,
  a 504, a dropped connection, a timeout), they are read back first (``batch/read``)
  and only what is not found is resent. Resends go through the one batch executor.

A record found for an input settles it as created only if it was made since the call
began (:func:`made_since`, with a clock-skew tolerance); one made before is a real
conflict. Inputs without a unique key cannot be settled: they stay unknown.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._core.config import RequestOptions, RetryPolicy, RetryWrites
from .._core.convert import load_object
from .._core.errors import (
    BadRequestError,
    ConflictError,
    HubCRMError,
    NotFoundError,
    OutcomeUnknownError,
)
from .._core.models import CrmObject, ObjectInput
from .._http.retry import Retrier
from .._http.safety import FailureClass, RequestKind, classify
from .._http.tracing import Tracing, traced
from .readback import (
    CLOCK_SKEW,
    BatchEntry,
    LookUp,
    MadeBy,
    ReadBack,
    Settled,
    SettledBatch,
    claim,
    is_unique_refusal,
    made_since,
    other_values,
    pause,
    read_first,
)

if TYPE_CHECKING:
    # The batch executor and the reading of batch answers load when a batch is first
    # settled (_Resend.read, _BatchSettling._resend): a single create never needs them.
    from .bulk_answer import BatchAnswer

__all__ = [
    "CLOCK_SKEW",
    "BatchEntry",
    "LookUp",
    "ReadBack",
    "Recovery",
    "Settled",
    "Writes",
    "is_unique_refusal",
    "made_since",
    "plan_recovery",
    "read_first",
    "send_kind",
    "settles_creates",
]


def send_kind(kind: RequestKind, policy: RetryPolicy) -> RequestKind:
    """The kind a request of ``kind`` is sent as: with ``retry_writes="always"`` the
    caller accepts at-least-once, so a create is resent like an idempotent write."""
    if kind is RequestKind.CREATE and policy.retry_writes == "always":
        return RequestKind.UPSERT
    return kind


def settles_creates(policy: RetryPolicy) -> bool:
    """Whether an ambiguous create may be settled by reading back or sending again:
    not with ``retry_writes="never"``, which leaves it unknown at once."""
    return policy.retry_writes != "never"


class Recovery(enum.Enum):
    """How an ambiguous single create is settled."""

    UNKNOWN = "unknown"
    """Nothing can tell whether it was made: raise ``OutcomeUnknownError``."""
    LOOK_UP = "look up"
    """Look the record up by its unique ``id_property``; send again only if absent."""
    RESEND = "resend"
    """Send it again; a 409 naming a record made since the create began is the result."""


def plan_recovery(
    retry_writes: RetryWrites, *, id_property: str | None, unique_email: bool
) -> tuple[Recovery, str]:
    """Decide how an ambiguous single create is settled, and why (for logs and stats).

    Args:
        retry_writes: the policy's ``retry_writes``.
        id_property: the create's unique property, if it named one.
        unique_email: the record is a contact with an email, which HubSpot keeps unique.
    """
    if retry_writes == "never":
        return Recovery.UNKNOWN, "retry_writes='never'"
    if id_property is not None:
        return Recovery.LOOK_UP, "ambiguous create: looking the record up by id_property"
    if retry_writes == "always":
        return Recovery.RESEND, "ambiguous create: retrying (retry_writes='always')"
    if unique_email:
        return Recovery.RESEND, "ambiguous contact create: retrying, the email is unique"
    return Recovery.UNKNOWN, "a retried create could duplicate the record"


class Writes:
    """Settles the writes of one client; shared by the clients made with ``with_options``.

    It sends through the client's :class:`~hubcrm._http.retry.Retrier` and waits on its
    session's clock, so that tests run it on virtual time.
    """

    def __init__(self, retrier: Retrier) -> None:
        self.retrier = retrier

    @property
    def _tracing(self) -> Tracing | None:
        return self.retrier.session.tracing

    def now(self) -> float:
        """Wall-clock seconds on the session's clock: when a write begins."""
        return self.retrier.session.clock.time()

    async def create(
        self,
        path: str,
        obj: ObjectInput,
        body: Any,
        *,
        object_type: str,
        id_property: str | None,
        unique_email: bool,
        options: RequestOptions,
        look_up: LookUp,
    ) -> CrmObject:
        """Create one record; after an ambiguous failure, settle it without a duplicate.

        Args:
            path: the type's create path.
            obj: the input, for the ``OutcomeUnknownError`` that may carry it.
            body: the JSON-ready body.
            object_type: the type, for errors.
            id_property: the create's unique property, if any.
            unique_email: the record is a contact with an email.
            options: the request's options.
            look_up: reads a record by id or unique value (the settling reads).

        Raises:
            OutcomeUnknownError: the record may or may not exist, and could not be
                settled.
            APIError, APIConnectionError: as for ``Retrier.request``, when the create
                certainly did not make the record.
        """
        # The retrier never resends an ambiguous create: the settling below does, for
        # every retry_writes policy, so that a 409 answering a resend can be resolved to
        # the record the first attempt made.
        started = self.retrier.session.clock.time()
        try:
            response = await self.retrier.request(
                "POST", path, kind=RequestKind.CREATE, json_body=body, options=options
            )
            return load_object(response.json())
        except HubCRMError as exc:
            if classify(exc) is not FailureClass.AMBIGUOUS:
                raise
            error = exc
        recovery, reason = plan_recovery(
            options.retry.retry_writes, id_property=id_property, unique_email=unique_email
        )
        if recovery is Recovery.UNKNOWN:
            raise OutcomeUnknownError(object_type, obj, cause=error) from error
        settle = _Settling(self, path, obj, body, object_type, id_property, options, look_up)
        with traced(self._tracing, "hubcrm.settle", _settle_attributes(object_type, 1)):
            return await settle.run(recovery, reason, options.retry, started, error)

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
        existed_by: MadeBy | None = None,
    ) -> SettledBatch:
        """Settle the inputs of a ``batch/create`` that failed ambiguously.

        Inputs with a unique key are read back by it (first, or after a resend: see
        :func:`read_first`): one found and made since ``started`` is created; one made
        before is a real conflict (a ``ConflictError`` with ``existing_id``); one not
        found is sent again, and a resend refused because the value is taken (reads can
        lag) is resolved the same way. Inputs without a key stay unknown, unless
        ``retry_writes="always"`` (then they are sent again).

        Args:
            path: the ``batch/create`` path.
            entries: the ambiguous inputs, with their batch entries and keys.
            key_property: the property the keys are values of (``email``, or the
                ``id_property``); None when no input has a key.
            object_type: the type, for errors.
            options: the run's options (its retry policy bounds the rounds).
            started: when the batch was first sent (the session clock's ``time()``).
            cause: the failure that made the outcome ambiguous.
            read_back: reads records by key (one request, at most 100 values).
            existed_by: what the run had made when this batch was sent: a record an
                entry marked ``repeated`` finds made by then is an earlier input's (see
                :func:`earlier_in_run`).

        Returns:
            One :class:`Settled` per entry, aligned, and the requests it took.
        """
        settling = _BatchSettling(
            self, path, entries, key_property, object_type, options, started, cause, read_back
        )
        settling.existed_by = existed_by
        with traced(
            self._tracing,
            "hubcrm.settle",
            _settle_attributes(object_type, len(entries)),
            lambda: {
                "hubcrm.settle.reads": settling.reads,
                "hubcrm.settle.resends": settling.resends,
            },
        ):
            outcomes = await settling.run()
        return SettledBatch(outcomes, settling.reads, settling.resends)


def _settle_attributes(object_type: str, inputs: int) -> dict[str, Any]:
    return {"hubcrm.object_type": object_type, "hubcrm.settle.inputs": inputs}


@attrs.define
class _Settling:
    """The settling of one ambiguous create. From its start the first attempt may have
    made the record, so any failure that does not settle the question ends as
    ``OutcomeUnknownError``, never as a plain error that would read as "not created"."""

    writes: Writes
    path: str
    obj: ObjectInput
    body: Any
    object_type: str
    id_property: str | None
    options: RequestOptions
    look_up: LookUp

    def _unknown(self, cause: HubCRMError) -> OutcomeUnknownError:
        return OutcomeUnknownError(self.object_type, self.obj, cause=cause, retried=True)

    async def _find(self, value: str, id_property: str | None) -> CrmObject | None:
        try:
            return await self.look_up(value, id_property)
        except NotFoundError:
            return None

    async def run(
        self,
        recovery: Recovery,
        reason: str,
        policy: RetryPolicy,
        started: float,
        error: HubCRMError,
    ) -> CrmObject:
        counters = self.writes.retrier.session.counters
        for retry in range(1, policy.max_retries + 1):
            wait = await pause(self.writes.retrier.session, policy, retry, error)
            if wait is None:
                break  # HubSpot asked for a pause past rate_limit_deadline
            counters.retry(reason, wait, "POST", self.path, error)
            try:
                if recovery is Recovery.LOOK_UP:
                    counters.read_backs += 1
                    found, lookup_error = await self._look_up_key()
                    if lookup_error is not None:
                        error = lookup_error
                        continue
                    if found is not None and made_since(found, started):
                        return self._ours(found)  # the ambiguous attempt made it
                    # Absent: create it. Or it existed before we began: send it again,
                    # so that HubSpot itself answers why it cannot be created (a 409).
                counters.settle_resends += 1
                response = await self.writes.retrier.request(
                    "POST",
                    self.path,
                    kind=RequestKind.CREATE,
                    json_body=self.body,
                    options=self.options,
                )
                return load_object(response.json())
            except ConflictError as conflict:
                existing = await self._conflicting(conflict)
                if existing is not None and made_since(existing, started):
                    return self._ours(existing)  # the record the first attempt made
                raise  # it existed before this create began: a real conflict
            except BadRequestError as refused:
                if self.id_property is None or not is_unique_refusal(refused, self.id_property):
                    raise  # a 400: the same body would have been refused the first time too
                # Refused because the key is taken: by the first attempt (a look-up that
                # lagged let the resend through), or by a record from before this create.
                found, lookup_error = await self._look_up_key()
                if found is not None and made_since(found, started):
                    return self._ours(found)
                if found is not None:
                    raise  # the key belonged to a record from before this create began
                error = lookup_error or refused  # not visible yet: look again next round
            except OutcomeUnknownError:
                raise
            except HubCRMError as exc:
                if classify(exc) is not FailureClass.AMBIGUOUS:
                    raise self._unknown(exc) from exc
                error = exc
        raise self._unknown(error) from error

    def _ours(self, record: CrmObject) -> CrmObject:
        """``record``, made since the create began, if it holds the values sent."""
        cause = other_values(record, self.obj)
        if cause is not None:
            raise self._unknown(cause)
        return record

    async def _look_up_key(self) -> tuple[CrmObject | None, HubCRMError | None]:
        """The record with the input's unique value; an ambiguous failure is returned."""
        assert self.id_property is not None
        value = self.obj.properties[self.id_property]
        try:
            return await self._find(value, self.id_property), None
        except HubCRMError as exc:
            # A failed lookup says nothing about the first attempt.
            if classify(exc) is FailureClass.AMBIGUOUS:
                return None, exc
            raise self._unknown(exc) from exc

    async def _conflicting(self, conflict: ConflictError) -> CrmObject | None:
        """The record a 409 during settling points at, if it can be read."""
        try:
            if conflict.existing_id is not None:
                return await self.look_up(conflict.existing_id, None)
            if self.id_property is not None:
                value = self.obj.properties[self.id_property]
                return await self._find(value, self.id_property)
        except HubCRMError as exc:
            raise self._unknown(exc) from exc
        return None


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
        from .bulk_answer import map_batch_answer

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


class _BatchSettling:
    """The settling of the ambiguous inputs of one ``batch/create`` (at most 100).

    Rounds of: read back what is open and may exist, resend what was not found (or,
    after a failure before commit, resend first). Every input ends with an outcome;
    one the rounds cannot settle is unknown."""

    def __init__(
        self,
        writes: Writes,
        path: str,
        entries: Sequence[BatchEntry],
        key_property: str | None,
        object_type: str,
        options: RequestOptions,
        started: float,
        cause: HubCRMError,
        read_back: ReadBack,
    ) -> None:
        self.writes = writes
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
        retry_writes = self.policy.retry_writes
        pending: list[int] = []
        for i, entry in enumerate(entries):
            if retry_writes == "never" or (entry.key is None and retry_writes != "always"):
                out[i] = self._unknown(i, self.error, tried=False)  # no key can tell
            else:
                pending.append(i)
        refused: dict[int, HubCRMError] = {}  # resends refused as "value taken"
        # Inputs that may exist: read them before sending them again.
        unread = set(pending) if read_first(self.error) else set()
        counters = self.writes.retrier.session.counters
        reason = "ambiguous batch: settling the inputs by their unique key"
        for retry in range(1, self.policy.max_retries + 1):
            if not pending:
                break
            wait = await pause(self.writes.retrier.session, self.policy, retry, self.error)
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
        self.writes.retrier.session.counters.read_backs += 1
        return await self.read_back(keys, self.key_property, self.properties)

    async def _resend(
        self, pending: list[int], refused: dict[int, HubCRMError]
    ) -> tuple[list[int], set[int]]:
        """Send ``pending`` again; returns the inputs still open (ambiguous, not sent or
        refused as taken), and those of them that may exist (to read first)."""
        from .executor import execute

        entries, out = self.entries, self.out
        executed = await execute(
            self.writes.retrier, self.resend_spec, [entries[i] for i in pending]
        )
        self.resends += executed.requests
        self.writes.retrier.session.counters.settle_resends += executed.requests
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
