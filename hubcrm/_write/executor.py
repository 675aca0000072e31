"""The one batch executor: send a batch, and say what became of each of its inputs.

Every batch write goes through :func:`execute`: ``create_many``, ``upsert_many``,
``update_many``, ``archive_many``, ``associations.create_many`` and the resends that
settle an ambiguous batch create. It is the only place that

- splits a batch HubSpot rejected as a whole (a 4xx: nothing was written) in halves
  until each bad input is alone, and sends again the groups an answer could not
  attribute;
- maps a failed request to one :class:`Verdict` per input, by its write-safety class
  (ambiguous: ``"unknown"``; not processed: ``"not_attempted"``; rejected:
  ``"failed"``);
- decides that a run stops (a daily limit, a refused token, an unknown object type, a
  closed client): the inputs not yet sent are then ``"not_attempted"``;
- fails alone an input whose body cannot be encoded, and sends the rest.

What a caller describes is a :class:`BatchSpec`: where the batch goes, how its body is
built, and how a 2xx answer reads (a pure function returning a
:class:`~hubcrm._write.bulk_answer.BatchAnswer`). The executor knows nothing of CRM records.
Sending again after a transient failure is not its job: each request goes through the
retrier, which resends what is safe to resend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from .._core.config import RequestOptions
from .._core.errors import (
    APIError,
    AuthenticationError,
    DailyLimitError,
    ForbiddenError,
    HubCRMError,
    NotFoundError,
    RedisLimiterError,
    ResponseParseError,
)
from .._http.retry import Retrier
from .._http.safety import FailureClass, RequestKind, classify
from .._http.session import encode_json
from .bulk_answer import BatchAnswer

if TYPE_CHECKING:
    from .outcomes import OutcomeStatus

__all__ = ["BatchSpec", "Executed", "Requester", "Verdict", "execute", "stops", "stops_run"]

T = TypeVar("T")
R = TypeVar("R")
T_contra = TypeVar("T_contra", contravariant=True)
R_spec = TypeVar("R_spec")


#: What batches are sent through: the client's retrier (its ``request`` sends one
#: request with the retries its kind allows; ``closed``, ``rate_limit`` and
#: ``max_connections`` steer a run).
Requester = Retrier


class BatchSpec(Protocol[T_contra, R_spec]):
    """One kind of batch request: where it goes, its body, how its answer reads."""

    @property
    def path(self) -> str:
        """The batch endpoint's path."""
        ...

    @property
    def kind(self) -> RequestKind:
        """What sending it again can do (the retrier's decisions follow it)."""
        ...

    @property
    def options(self) -> RequestOptions:
        """Timeouts and retry policy of the requests."""
        ...

    def body(self, items: Sequence[T_contra]) -> dict[str, Any]:
        """The JSON-ready body of a batch of these items."""
        ...

    def read(
        self, items: Sequence[T_contra], data: Any, headers: Mapping[str, str]
    ) -> BatchAnswer[R_spec]:
        """What a 2xx answer (decoded JSON, any shape) says of each item, by position."""
        ...

    def unsendable(self, item: T_contra, error: Exception) -> Exception:
        """The error of an item whose body cannot be encoded (naming what, not a value)."""
        ...


@attrs.define(slots=True)
class Verdict(Generic[R]):
    """What became of one input of a batch.

    Attributes:
        status: ``"created"``, ``"updated"``, ``"failed"``, ``"unknown"`` (the request
            failed ambiguously, or the answer could not say: ``error`` is the cause) or
            ``"not_attempted"``.
        value: What the answer gave for it (a record, a link), when it succeeded.
        error: Why it did not, else None.
        new: Whether the record is new, when the answer says (upserts).
        resent: Whether the answer is that of a resend after an attempt that failed
            ambiguously (the retrier's ``resent_after_ambiguous``): the earlier attempt
            may have done what the answer reports as found already.
    """

    status: OutcomeStatus
    value: R | None = None
    error: Exception | None = None
    new: bool | None = None
    resent: bool = False


class Executed(Generic[R]):
    """The verdicts of one batch, aligned with its inputs, what stopped the run, and
    how many requests it took (splits included).

    When one request's answer said what became of every input (no split, no failed
    request), that answer is kept as it is (``answer``, with ``resent``) and the
    verdicts are made from it only if asked for: a caller on the bulk hot path reads
    the answer's columns instead, one object less per input.
    """

    __slots__ = ("_verdicts", "answer", "requests", "resent", "stopped_by")

    def __init__(
        self,
        verdicts: list[Verdict[R]] | None,
        stopped_by: HubCRMError | None = None,
        requests: int = 0,
        *,
        answer: BatchAnswer[R] | None = None,
        resent: bool = False,
    ) -> None:
        if verdicts is None and answer is None:
            raise ValueError("Executed needs its verdicts or the answer they come from")
        self._verdicts = verdicts
        self.stopped_by = stopped_by
        self.requests = requests
        #: The one answer that gave every input its outcome, or None (see ``verdicts``).
        self.answer = answer
        #: Whether that answer came to a resend after an ambiguous failure.
        self.resent = resent

    @property
    def verdicts(self) -> list[Verdict[R]]:
        """One verdict per input, in input order."""
        verdicts = self._verdicts
        if verdicts is None:
            answer = self.answer
            assert answer is not None
            resent = self.resent
            verdicts = self._verdicts = []
            for status, record, error, new in zip(
                answer.status, answer.record, answer.error, answer.new, strict=True
            ):
                assert status is not None  # kept only when nothing was split off
                verdicts.append(Verdict(status, record, error, new, resent))
        return verdicts


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


def stops(error: HubCRMError, requester: Requester) -> bool:
    """Whether ``error`` stops a run sending through ``requester``: :func:`stops_run`,
    or the client was closed. A closed client refuses a request before sending it, with
    a plain ``HubCRMError`` (a request cut short by the close is an
    ``APIConnectionError``)."""
    return stops_run(error) or (type(error) is HubCRMError and requester.closed)


def _no_halt() -> Exception | None:
    return None


async def execute(
    requester: Requester,
    spec: BatchSpec[T, R],
    items: Sequence[T],
    *,
    halted: Callable[[], Exception | None] = _no_halt,
) -> Executed[R]:
    """Send ``items`` as one batch (more, if it must be split); one verdict per item.

    Args:
        requester: Sends each request (with the retries its kind allows).
        spec: The batch's endpoint, body and answer reader.
        items: At most one batch of inputs.
        halted: The error that stopped the run elsewhere, if any: checked before each
            request; the items not yet sent are then ``"not_attempted"`` with it.
    """
    out: list[Verdict[R] | None] = [None] * len(items)
    stopped: HubCRMError | None = None
    requests = 0
    groups: list[list[int]] = [list(range(len(items)))]
    while groups:
        group = groups.pop()
        halt = stopped or halted()
        if halt is not None:
            for i in group:
                out[i] = Verdict("not_attempted", error=halt)
            continue
        chunk = [items[i] for i in group]
        requests += 1
        try:
            response = await requester.request(
                "POST", spec.path, kind=spec.kind, json_body=spec.body(chunk), options=spec.options
            )
            data = response.json()
        except HubCRMError as exc:
            if stops(exc, requester):
                stopped = exc
                for i in group:
                    out[i] = Verdict("not_attempted", error=exc)
                continue
            failure = classify(exc)
            if failure is FailureClass.REJECTED and len(group) > 1:
                # Rejected as a whole, with no input named: split until each bad input
                # is alone. The halves go in input order (the first is popped first).
                mid = len(group) // 2
                groups += [group[mid:], group[:mid]]
                continue
            status: OutcomeStatus = (
                "unknown"
                if failure is FailureClass.AMBIGUOUS
                else "not_attempted"
                if failure is FailureClass.NOT_PROCESSED
                else "failed"
            )
            for i in group:
                out[i] = Verdict(status, error=exc)
            continue
        except (TypeError, ValueError):
            # The body could not be encoded (an input changed after it was checked):
            # nothing was sent. Fail the inputs that cannot be encoded, send the rest.
            requests -= 1
            sendable = _isolate_unsendable(spec, items, group, out)
            if len(sendable) == len(group):
                raise
            if sendable:
                groups.append(sendable)
            continue
        try:
            answer = spec.read(chunk, data, response.headers)
        except (LookupError, TypeError, ValueError, AttributeError) as exc:
            # The readers take any shape; should one still trip on an answer, HubSpot
            # has acted on the batch all the same: what it wrote is unknown, as for an
            # unreadable body.
            unread = ResponseParseError(
                f"could not read HubSpot's answer to {spec.path} ({type(exc).__name__})"
            )
            unread.__cause__ = exc
            for i in group:
                out[i] = Verdict("unknown", error=unread)
            continue
        resent = response.resent_after_ambiguous
        if not answer.split and not groups and len(group) == len(items) and requests == 1:
            # The first request's answer says what became of every input: keep it as
            # it is (the usual batch), no verdict per input.
            return Executed(None, stopped, requests, answer=answer, resent=resent)
        for j, i in enumerate(group):
            status_j = answer.status[j]
            if status_j is not None:
                out[i] = Verdict(status_j, answer.record[j], answer.error[j], answer.new[j], resent)
        # Popped last first: the groups go in input order.
        groups += [[group[j] for j in split] for split in reversed(answer.split)]
    verdicts: list[Verdict[R]] = []
    for verdict in out:
        assert verdict is not None  # every group ends with a verdict per input
        verdicts.append(verdict)
    return Executed(verdicts, stopped, requests)


def _isolate_unsendable(
    spec: BatchSpec[T, R], items: Sequence[T], group: list[int], out: list[Verdict[R] | None]
) -> list[int]:
    """Fail the items whose own body cannot be encoded; return the others."""
    sendable: list[int] = []
    for i in group:
        try:
            encode_json(spec.body([items[i]]))
        except (TypeError, ValueError) as exc:
            out[i] = Verdict("failed", error=spec.unsendable(items[i], exc))
        else:
            sendable.append(i)
    return sendable
