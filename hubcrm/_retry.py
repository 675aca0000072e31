"""Retries and write recovery: the one module where a request is sent again.

Every failed request falls in one of three write-safety classes (``_safety.classify``:
not processed, ambiguous, rejected). The module has two halves:

- the **decisions**, pure functions of their arguments, unit-tested without a network:
  :func:`decide` (is a failed attempt sent again, after how long) and
  :func:`plan_recovery` (how an ambiguous single create is settled);
- the **loop** that performs them, :class:`Retrier`: :meth:`Retrier.request` sends a
  request through the session until it succeeds or the decision says stop,
  :meth:`Retrier.create` settles an ambiguous create (look the record up, send it
  again, resolve a 409 to the record the first attempt made) without duplicating it,
  and :meth:`Retrier.settle_batch` does the same for the inputs of an ambiguous
  ``batch/create``, reading them back by their unique key.

Resources build requests and read answers; they never sleep, back off or resend.
One thing they do that looks like a resend is not one: when HubSpot rejects a whole
batch (a 400: nothing was written), the engines split it in halves and send each, to
isolate the bad inputs. That is a new request with fewer inputs, made at once, and safe
by the rejection itself; which failures count as rejections is still ``classify``'s call.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

import attrs

from ._bulk_answer import map_batch_answer
from ._clock import Clock
from ._config import RequestOptions, RetryPolicy, RetryWrites
from ._convert import load_object
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DailyLimitError,
    HubCRMError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RateLimitPauseError,
)
from ._models import CrmObject, ObjectInput, redacted_value
from ._ratelimit import RateLimit
from ._safety import FailureClass, RequestKind, classify
from ._session import Response, Session, encode_json

__all__ = [
    "CLOCK_SKEW",
    "BatchEntry",
    "Decision",
    "FailureClass",
    "LookUp",
    "ReadBack",
    "Recovery",
    "RequestKind",
    "Retrier",
    "RetryPolicy",
    "RetryWrites",
    "Settled",
    "backoff",
    "classify",
    "decide",
    "is_unique_refusal",
    "made_since",
    "plan_recovery",
]

# How far HubSpot's clock may be behind ours when deciding whether a record found after
# an ambiguous create is the one that create made (created after it began) or one that
# existed before (then the create's honest answer is HubSpot's 409).
CLOCK_SKEW = 60.0


@attrs.frozen
class Decision:
    """What to do after a failed attempt."""

    retry: bool
    reason: str
    wait: float | None = None
    """Seconds to wait first; for a rate limit, ``None`` means "until the window drains"."""
    rate_limited: bool = False
    """A 429 for the burst window: every sender of the client pauses, not only this one."""
    refresh_token: bool = False
    """The token expired: invalidate it, then send again at once with a fresh one."""


def backoff(policy: RetryPolicy, retry: int, rand: Callable[[], float] = random.random) -> float:
    """The wait before the ``retry``-th retry (1-based): exponential, with jitter.

    The ceiling doubles from ``backoff_base`` up to ``backoff_max``; the wait is drawn
    between half the ceiling and the ceiling ("equal jitter"), so it never collapses
    to nothing and concurrent retries still spread out.
    """
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0 ** max(retry - 1, 0))
    return ceiling * (0.5 + rand() / 2)


def decide(
    policy: RetryPolicy,
    kind: RequestKind,
    error: HubCRMError,
    retries_so_far: int,
    rand: Callable[[], float] = random.random,
    *,
    can_refresh_token: bool = False,
    paused_so_far: float = 0.0,
) -> Decision:
    """Decide whether a failed attempt is retried, and after how long.

    A ``Retry-After`` longer than what is left of ``rate_limit_deadline`` gives up at
    once, on any status: waiting it out would break the deadline anyway. A 429's pause is
    still taken by every sender (``rate_limited``), so that the others learn of it.

    Args:
        policy: the request's retry policy.
        kind: what repeating the request can do.
        error: how the attempt failed.
        retries_so_far: transient retries already made for this request (rate-limit
            waits are not counted; they are bounded by ``rate_limit_deadline``).
        rand: a source of jitter in ``[0, 1)``.
        can_refresh_token: the token was not refreshed yet for this request; an
            expired one is then refreshed once and the request sent again.
        paused_so_far: seconds of ``rate_limit_deadline`` this request has used: its
            429 pauses and the ``Retry-After`` waits it honoured.
    """
    if isinstance(error, AuthenticationError) and error.expired and can_refresh_token:
        return Decision(True, "expired token", 0.0, refresh_token=True)
    if isinstance(error, DailyLimitError):
        return Decision(False, "daily limit reached: retrying today cannot succeed")
    if isinstance(error, RateLimitError):
        if isinstance(error, RateLimitPauseError):
            return Decision(False, "held back: a 429 pause outlasts rate_limit_deadline")
        wait = error.retry_after
        if wait is not None and wait > policy.rate_limit_deadline - paused_so_far:
            return Decision(
                False,
                f"rate limited (429) for {wait:g} s: past rate_limit_deadline",
                wait,
                rate_limited=True,
            )
        return Decision(True, "rate limited (429)", wait, rate_limited=True)
    failure = classify(error)
    if failure is FailureClass.REJECTED:
        return Decision(False, "rejected by HubSpot")
    if retries_so_far >= policy.max_retries:
        return Decision(False, f"gave up after {retries_so_far} retries")
    if (
        failure is FailureClass.AMBIGUOUS
        and kind is RequestKind.CREATE
        and policy.retry_writes != "always"
    ):
        return Decision(False, "a retried create could duplicate the record")
    wait = backoff(policy, retries_so_far + 1, rand)
    if isinstance(error, APIError):
        retry_after = error.retry_after
        if retry_after is not None:
            if retry_after > policy.rate_limit_deadline - paused_so_far:
                return Decision(
                    False,
                    f"{error.status} answer asks to wait {retry_after:g} s: "
                    f"past rate_limit_deadline",
                )
            wait = max(wait, retry_after)
        if error.status == 423:
            wait = max(wait, 2.0)  # HubSpot asks for at least 2 s after a 423
    reason = f"{error.status} answer" if isinstance(error, APIError) else type(error).__name__
    return Decision(True, f"{failure.value}: {reason}", wait)


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


def made_since(record: CrmObject, started: float) -> bool:
    """Whether ``record`` was created after a write that began at ``started``."""
    return record.created_at.timestamp() >= started - CLOCK_SKEW


#: Reads one record: ``(object id or unique value, id_property or None)`` to the record.
#: Raises ``NotFoundError`` when there is none.
LookUp = Callable[[str, "str | None"], Awaitable[CrmObject]]

#: Reads records back in one request: ``(values, id_property or None for ids, properties)``
#: to the record of each value, aligned, ``None`` where there is none.
ReadBack = Callable[
    [Sequence[str], "str | None", Sequence[str]], Awaitable["list[CrmObject | None]"]
]


@attrs.frozen
class BatchEntry:
    """One input of a ``batch/create`` whose outcome is ambiguous.

    Attributes:
        obj: The input.
        body: Its entry of the batch body, as sent (with its ``objectWriteTraceId``).
        key: Its value of the unique key property, or None when it has none.
    """

    obj: ObjectInput
    body: Mapping[str, Any] = attrs.field(repr=False)  # property values: personal data
    key: str | None = attrs.field(repr=redacted_value)


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


# Codes of a 400 that says the value itself is bad, not that another record holds it.
_INVALID_VALUE_CODES = frozenset(
    {"PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE", "MISSING_REQUIRED_PROPERTY"}
)


def is_unique_refusal(error: BaseException | None, key_property: str) -> bool:
    """Whether ``error`` refuses a create because its unique value is taken.

    HubSpot documents no one shape for a clash on a custom unique-value property: any
    409, or a 400 that names the property (and no invalid value), counts.
    """
    if isinstance(error, ConflictError):
        return True
    if not isinstance(error, BadRequestError):
        return False
    named = key_property in error.context.get("propertyName", ())
    for detail in error.errors:
        code = detail.code or ""
        if code.startswith("INVALID_") or code in _INVALID_VALUE_CODES:
            return False
        if detail.in_ == key_property or key_property in detail.context.get("propertyName", ()):
            named = True
    return named or f'"{key_property}"' in error.message


@attrs.define
class _Call:
    """One request on its way, and what its attempts have used so far."""

    method: str
    path: str
    shown_path: str  # the path as logs may show it (no personal data)
    kind: RequestKind
    options: RequestOptions
    data: bytes | None
    params: Mapping[str, str] | None
    attempts: int = 0
    retries: int = 0  # transient retries (rate-limit pauses are not counted)
    pause_limit: float = math.inf  # how long a pause may hold the next attempt
    paused: float = 0.0  # seconds of rate_limit_deadline used: 429 pauses, Retry-After waits
    refreshed: bool = False
    token: str | None = None


class Retrier:
    """Sends every request of one client, and sends it again when that is safe.

    Reached by resources as ``self._retrier``. Shared by the clients made with
    ``with_options``, which pass their own options per request.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._safe_creates: dict[RequestOptions, RequestOptions] = {}

    def safe_create_options(self, options: RequestOptions) -> RequestOptions:
        """``options`` with ``retry_writes="safe"``: the loop then never resends an
        ambiguous create, so that the settling (which does) can tell what happened."""
        safe = self._safe_creates.get(options)
        if safe is None:
            safe = attrs.evolve(options, retry=attrs.evolve(options.retry, retry_writes="safe"))
            self._safe_creates[options] = safe
        return safe

    @property
    def max_connections(self) -> int:
        """The most requests the session has in flight at once."""
        return self.session.max_connections

    @property
    def closed(self) -> bool:
        """Whether the client is closed: every request now fails before it is sent."""
        return self.session.closed

    @property
    def rate_limit(self) -> RateLimit | None:
        """The limit the client's limiter keeps to now (``None``: no window)."""
        return self.session.limiter.rate_limit

    @property
    def clock(self) -> Clock:
        """The session's clock, which the bulk engines read too."""
        return self.session.clock

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
        """Send a request, again and again as its kind and the retry policy allow.

        Each attempt first waits for the rate limiter. A 429 for the burst window pauses
        every sender of the client (through the limiter) and is retried; a daily 429 is
        raised at once. An expired OAuth token is refreshed once. Ambiguous failures
        are retried only for reads and upserts (and creates with ``retry_writes="always"``).

        Args:
            method: HTTP method.
            path: path below the base URL, already quoted, starting with ``/``.
            kind: what repeating the request can do.
            json_body: a JSON-ready value to send as the body, or ``None``.
            params: query parameters.
            options: the request's options; the client's when ``None``.
            log_path: the path as it may appear in logs, when ``path`` holds personal
                data (a lookup by email, say).

        Raises:
            APIError: HubSpot answered with a status of 400 or more (the subclass says which).
            APIConnectionError: the exchange failed at the transport level.
            APITimeoutError: it took longer than the timeout.
        """
        options = options or self.session.options
        call = _Call(
            method,
            path,
            log_path or path,
            kind,
            options,
            None if json_body is None else encode_json(json_body),
            params,
            pause_limit=options.retry.rate_limit_deadline,
        )
        while True:
            try:
                return await self._attempt(call)
            except HubCRMError as exc:
                await self._before_next_attempt(call, exc)

    async def _attempt(self, call: _Call) -> Response:
        session = self.session
        # A fixed token is read without an await: no coroutine per request for it.
        token = session.static_token or await session.token(call.method, call.shown_path)
        call.token = token
        call.attempts += 1
        return await session.send(
            call.method,
            call.path,
            data=call.data,
            params=call.params,
            token=token,
            options=call.options,
            log_path=call.shown_path,
            attempt=call.attempts,
            max_pause=call.pause_limit,
        )

    async def _before_next_attempt(self, call: _Call, error: HubCRMError) -> None:
        """Decide on a failed attempt and do what the decision says; raise to give up."""
        session = self.session
        if isinstance(error, DailyLimitError):
            session.limiter.daily_limit_reached(error)  # a shared limiter tells the others
        policy = call.options.retry
        decision = decide(
            policy,
            call.kind,
            error,
            call.retries,
            session.random,
            can_refresh_token=not call.refreshed and call.token is not None,
            paused_so_far=call.paused,
        )
        if not decision.retry:
            if decision.rate_limited:
                # Too long for this request, but HubSpot holds every sender: the others
                # learn of the pause, and those it outlasts fail at once too.
                session.limiter.penalize(decision.wait)
            raise error
        counters = session.counters
        if decision.refresh_token:
            call.refreshed = True
            assert call.token is not None
            session.token_provider.invalidate(call.token)
            counters.retry(decision.reason, 0.0, call.method, call.shown_path, error)
        elif decision.rate_limited:
            # The limiter holds every sender; this request waits its turn in acquire(),
            # held by this pause (and any later one) for at most what is left.
            pause = session.limiter.penalize(decision.wait)
            left = policy.rate_limit_deadline - call.paused
            if pause > left:
                raise error
            call.pause_limit = left
            call.paused += pause
            counters.pauses += 1
            counters.pause_time += pause
            counters.retry(decision.reason, pause, call.method, call.shown_path, error)
        else:
            call.retries += 1
            wait = decision.wait or 0.0
            if isinstance(error, APIError) and error.retry_after is not None:
                call.paused += wait  # HubSpot asked for the wait: it counts like a pause
            call.pause_limit = policy.rate_limit_deadline - call.paused
            counters.retry(decision.reason, wait, call.method, call.shown_path, error)
            await session.sleep(wait)

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
            APIError, APIConnectionError: as for :meth:`request`, when the create
                certainly did not make the record.
        """
        # The loop never resends an ambiguous single create (these options say "safe"):
        # the settling below does, for every retry_writes policy, so that a 409
        # answering a resend can be resolved to the record the first attempt made.
        safe = self.safe_create_options(options)
        started = self.session.clock.time()
        try:
            response = await self.request(
                "POST", path, kind=RequestKind.CREATE, json_body=body, options=safe
            )
            return load_object(response.json())
        except HubCRMError as exc:
            if classify(exc) is not FailureClass.AMBIGUOUS:
                raise
            error = exc
        settle = _Settling(self, path, obj, body, object_type, id_property, safe, look_up)
        recovery, reason = plan_recovery(
            options.retry.retry_writes, id_property=id_property, unique_email=unique_email
        )
        if recovery is Recovery.UNKNOWN:
            raise OutcomeUnknownError(object_type, obj, cause=error) from error
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
        existed_by: float | None = None,
    ) -> list[Settled]:
        """Settle the inputs of a ``batch/create`` that failed ambiguously.

        Inputs with a unique key are read back by it: one found and made since
        ``started`` is created; one made before is a real conflict (a ``ConflictError``
        with ``existing_id``); one not found is sent again, and a resend refused because
        the value is taken (reads can lag) is resolved the same way. Inputs without a
        key stay unknown, unless ``retry_writes="always"`` (then they are sent again).

        Args:
            path: the ``batch/create`` path.
            entries: the ambiguous inputs, with their batch entries and keys.
            key_property: the property the keys are values of (``email``, or the
                ``id_property``); None when no input has a key.
            object_type: the type, for errors.
            options: the run's options (its retry policy bounds the rounds).
            started: when the batch was first sent (``time.time()``).
            cause: the failure that made the outcome ambiguous.
            read_back: reads records by key (one request, at most 100 values).
            existed_by: HubSpot's time (``completedAt``) of the latest batch answer read
                before this batch was sent: a record created no later than that was made
                by an earlier batch (an earlier input with the same key), not this one.

        Returns:
            One :class:`Settled` per entry, aligned.
        """
        settling = _BatchSettling(
            self, path, entries, key_property, object_type, options, started, cause, read_back
        )
        settling.existed_by = existed_by
        return await settling.run()


@attrs.define
class _Settling:
    """The settling of one ambiguous create. From its start the first attempt may have
    made the record, so any failure that does not settle the question ends as
    ``OutcomeUnknownError``, never as a plain error that would read as "not created"."""

    retrier: Retrier
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
        session = self.retrier.session
        counters = session.counters
        for retry in range(1, policy.max_retries + 1):
            wait = backoff(policy, retry, session.random)
            counters.retry(reason, wait, "POST", self.path, error)
            await session.sleep(wait)
            try:
                if recovery is Recovery.LOOK_UP:
                    found, lookup_error = await self._look_up_key()
                    if lookup_error is not None:
                        error = lookup_error
                        continue
                    if found is not None and made_since(found, started):
                        return found  # the ambiguous attempt made it
                    # Absent: create it. Or it existed before we began: send it again,
                    # so that HubSpot itself answers why it cannot be created (a 409).
                response = await self.retrier.request(
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
                    return existing  # the resend met the record the first attempt made
                raise  # it existed before this create began: a real conflict
            except BadRequestError as refused:
                if self.id_property is None or not is_unique_refusal(refused, self.id_property):
                    raise  # a 400: the same body would have been refused the first time too
                # Refused because the key is taken: by the first attempt (a look-up that
                # lagged let the resend through), or by a record from before this create.
                found, lookup_error = await self._look_up_key()
                if found is not None and made_since(found, started):
                    return found
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


class _BatchSettling:
    """The settling of the ambiguous inputs of one ``batch/create`` (at most 100).

    Rounds of: wait, read back what is still open, resend what was not found. Every
    input ends with an outcome; one the rounds cannot settle is unknown."""

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
        self.safe = retrier.safe_create_options(options)
        self.started = started
        self.error = cause
        self.read_back = read_back
        self.existed_by: float | None = None
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

    def _found(self, record: CrmObject, refusal: HubCRMError | None = None) -> Settled:
        existed_by = self.existed_by
        if made_since(record, self.started) and (
            existed_by is None or record.created_at.timestamp() > existed_by
        ):
            return Settled("created", record)  # the ambiguous attempt made it
        if isinstance(refusal, ConflictError):
            return Settled("failed", None, refusal)
        message = (
            f"a {self.object_type!r} record with this {self.key_property} existed before "
            f"the batch was sent. Existing ID: {record.id}"
        )
        return Settled("failed", None, ConflictError(message, status=409, category="CONFLICT"))

    async def run(self) -> list[Settled]:
        entries, out = self.entries, self.out
        resend_blind = self.policy.retry_writes == "always"
        pending: list[int] = []
        for i, entry in enumerate(entries):
            if self.policy.retry_writes == "never" or (entry.key is None and not resend_blind):
                out[i] = self._unknown(i, self.error, tried=False)  # no key can tell
            else:
                pending.append(i)
        refused: dict[int, HubCRMError] = {}  # resends refused as "value taken"
        session = self.retrier.session
        counters = session.counters
        reason = "ambiguous batch: reading the inputs back by their unique key"
        for retry in range(1, self.policy.max_retries + 1):
            if not pending:
                break
            wait = backoff(self.policy, retry, session.random)
            counters.retry(reason, wait, "POST", self.path, self.error)
            await session.sleep(wait)
            keyed = [i for i in pending if entries[i].key is not None]
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
                        out[i] = self._found(record, refused.get(i))
                    elif i in refused and isinstance(refused[i], BadRequestError):
                        # Refused for its value, yet not found: the 400 was about the
                        # value itself (or the read lags): keep HubSpot's answer.
                        out[i] = Settled("failed", None, refused[i])
                pending = [i for i in pending if out[i] is None]
            if not pending:
                break
            refused = {}
            pending = await self._resend(pending, refused)
        for i in pending:
            out[i] = self._unknown(i, self.error)
        return self._done()

    def _done(self) -> list[Settled]:
        done: list[Settled] = []
        for i, settled in enumerate(self.out):
            done.append(settled if settled is not None else self._unknown(i, self.error))
        return done

    async def _read(self, keys: list[str]) -> list[CrmObject | None]:
        self.retrier.session.counters.read_backs += 1
        return await self.read_back(keys, self.key_property, self.properties)

    async def _resend(self, pending: list[int], refused: dict[int, HubCRMError]) -> list[int]:
        """Send ``pending`` again; returns the inputs still open (ambiguous or refused)."""
        entries, out = self.entries, self.out
        still: list[int] = []
        groups = [pending]
        while groups:
            group = groups.pop()
            body = {"inputs": [entries[i].body for i in group]}
            try:
                response = await self.retrier.request(
                    "POST", self.path, kind=RequestKind.CREATE, json_body=body, options=self.safe
                )
                data = response.json()
            except HubCRMError as exc:
                if classify(exc) is not FailureClass.REJECTED:
                    self.error = exc  # ambiguous again, or not sent: the next round
                    still.extend(group)
                elif len(group) > 1:
                    mid = len(group) // 2  # rejected as a whole: isolate the bad input
                    groups += [group[mid:], group[:mid]]
                elif self._refusal(group[0], exc):
                    refused[group[0]] = exc
                    still.append(group[0])
                else:
                    out[group[0]] = Settled("failed", None, exc)
                continue
            answer = map_batch_answer(
                [str(entries[i].body.get("objectWriteTraceId")) for i in group],
                data,
                response.headers,
                upsert=False,
                path=self.path,
                object_type=self.object_type,
            )
            for j, i in enumerate(group):
                status, error = answer.status[j], answer.error[j]
                if status == "created":
                    out[i] = Settled("created", answer.record[j])
                elif status == "failed" and self._refusal(i, error):
                    assert error is not None
                    refused[i] = error
                    still.append(i)
                elif status == "failed":
                    out[i] = Settled("failed", None, error)
                elif status == "unknown":
                    if error is not None:
                        self.error = error
                    still.append(i)
            groups += [[group[j] for j in split] for split in reversed(answer.split)]
        return sorted(still)

    def _refusal(self, i: int, error: BaseException | None) -> bool:
        key_property = self.key_property
        if self.entries[i].key is None or key_property is None:
            return False
        return is_unique_refusal(error, key_property)
