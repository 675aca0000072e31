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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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
    LookUp,
    ReadBack,
    is_unique_refusal,
    made_since,
    other_values,
    pause,
    read_first,
)

if TYPE_CHECKING:
    # Settling an ambiguous batch (and with it the batch executor) loads when a batch
    # is first settled: a single create never needs it.
    from .batch_settling import BatchEntry, MadeBy, SettledBatch

__all__ = [
    "CLOCK_SKEW",
    "LookUp",
    "ReadBack",
    "Recovery",
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
        from .batch_settling import BatchSettling, SettledBatch

        settling = BatchSettling(
            self.retrier,
            path,
            entries,
            key_property,
            object_type,
            options,
            started,
            cause,
            read_back,
        )
        settling.existed_by = existed_by
        # This module decides from retry_writes: whether any input is settled, and
        # whether one without a unique key is sent again.
        retry_writes = options.retry.retry_writes
        settling.settles = retry_writes != "never"
        settling.resends_keyless = retry_writes == "always"
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


class _Settling:
    """The settling of one ambiguous create. From its start the first attempt may have
    made the record, so any failure that does not settle the question ends as
    ``OutcomeUnknownError``, never as a plain error that would read as "not created".

    A plain class (never shown, compared or copied), so that importing the clients
    does not pay for attrs' generated methods."""

    __slots__ = (
        "body",
        "id_property",
        "look_up",
        "obj",
        "object_type",
        "options",
        "path",
        "writes",
    )

    def __init__(
        self,
        writes: Writes,
        path: str,
        obj: ObjectInput,
        body: Any,
        object_type: str,
        id_property: str | None,
        options: RequestOptions,
        look_up: LookUp,
    ) -> None:
        self.writes = writes
        self.path = path
        self.obj = obj
        self.body = body
        self.object_type = object_type
        self.id_property = id_property
        self.options = options
        self.look_up = look_up

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
