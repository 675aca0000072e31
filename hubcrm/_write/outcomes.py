"""What a bulk run reports: one :class:`BulkOutcome` per input, and views over them.

``iter_create_many`` yields the outcomes as they are known; ``create_many`` collects
them, in input order, into a :class:`BulkResult`, whose other attributes (the aligned
records, the errors, the counts) are all derived from that one list.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterable, Iterable, Mapping
from functools import cached_property
from typing import Any, Literal

import attrs

from .._core.errors import APIError, HubCRMError, OutcomeUnknownError, _rebuild
from .._core.models import CrmObject, ObjectInput, redacted_properties
from .._core.values import PropertyValue

__all__ = [
    "BulkInput",
    "BulkInputs",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    "BulkRunError",
    "OutcomeStatus",
    "new_outcome",
    "warn_cancelled",
]

logger = logging.getLogger("hubcrm")

#: One input of a bulk run: an :class:`ObjectInput`, or a mapping that is its properties.
BulkInput = ObjectInput | Mapping[str, PropertyValue]

#: What ``create_many`` takes: an iterable or an async iterable of inputs (the blocking
#: client accepts both too: it runs them on its own event loop).
BulkInputs = Iterable[BulkInput] | AsyncIterable[BulkInput]

#: What became of an input: see :attr:`BulkOutcome.status`.
OutcomeStatus = Literal["created", "updated", "failed", "unknown", "not_attempted"]


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
        status: ``"created"`` (it has its record); ``"updated"`` (with ``id_property``:
            an upsert found the record already there and updated it); ``"failed"``
            (HubSpot rejected it, or it could not be sent); ``"unknown"`` (its request
            failed ambiguously: the record may exist; ``error`` is an
            ``OutcomeUnknownError``); ``"not_attempted"`` (HubSpot certainly did not act
            on it: send it again as it is).
        object: The record, for ``"created"`` and ``"updated"``; else None.
        error: Why there is no record: a hubcrm ``APIError`` from HubSpot, an
            ``OutcomeUnknownError``, a ``TypeError``/``ValueError`` naming the property
            for an input that could not be sent (or the exception a mapping of yours
            raised), or for a not attempted input the error that stopped the run
            (HubSpot's, or the exception your iterable or ``on_progress`` raised) or
            refused its request. None when there is a record.
        new: ``True`` when the record was made by this run; ``False`` when an upsert
            updated an existing one; ``None`` without a record, when HubSpot did not
            say, or when an upsert resent after an ambiguous failure found a record
            created since its batch was first sent (the first attempt may have made it:
            unknown).
        read_back: ``True`` when the outcome was settled after the input's batch
            failed ambiguously, rather than from HubSpot's answer to that batch: hubcrm
            read the inputs back by their unique key and sent again those it did not
            find. The record (``object``) is then the one read back (found made since
            the batch began) or made by the resend.
    """

    index: int
    input: BulkInput = attrs.field(repr=_redacted_input)
    status: OutcomeStatus
    object: CrmObject | None = None
    error: Exception | None = None
    new: bool | None = None
    read_back: bool = False

    @property
    def ok(self) -> bool:
        """Whether the input has its record (``"created"`` or ``"updated"``)."""
        return self.object is not None

    @property
    def attempted(self) -> bool:
        """``False`` when HubSpot certainly did not act on the input: resend it as it is."""
        return self.status != "not_attempted"

    @property
    def code(self) -> str | None:
        """A short code for why the input has no record; ``None`` when it has one.

        HubSpot's error code (``"INVALID_EMAIL"``, ``"PROPERTY_DOESNT_EXIST"``) or else
        its category (``"CONFLICT"``); for an unknown outcome, the same for its cause
        (``"APITimeoutError"`` after a timeout); for an error that is not HubSpot's, its
        type name (``"ValueError"`` for an input that could not be sent).
        """
        error: BaseException | None = self.error
        if isinstance(error, OutcomeUnknownError):
            error = error.cause
        if error is None:
            return None
        if isinstance(error, APIError):
            for detail in error.errors:
                if detail.code:
                    return detail.code
            return error.category
        return type(error).__name__


def new_outcome(
    index: int,
    raw: BulkInput,
    status: OutcomeStatus,
    record: CrmObject | None,
    error: Exception | None,
    new: bool | None = None,
) -> BulkOutcome:
    """``BulkOutcome(index, raw, status, record, error, new)``, without the attrs call
    (once per input of a run): the fields set directly, the same outcome."""
    made: BulkOutcome = object.__new__(BulkOutcome)
    _set_index(made, index)
    _set_input(made, raw)
    _set_status(made, status)
    _set_object(made, record)
    _set_error(made, error)
    _set_new(made, new)
    _set_read_back(made, False)
    return made


# The fields' slots, set through their descriptors (cheaper than object.__setattr__).
_set_index, _set_input, _set_status, _set_object, _set_error, _set_new, _set_read_back = (
    BulkOutcome.__dict__[a.name].__set__ for a in attrs.fields(BulkOutcome)
)
assert [a.name for a in attrs.fields(BulkOutcome)] == [
    *("index", "input", "status", "object", "error", "new", "read_back")
]


@attrs.frozen(kw_only=True)
class BulkProgress:
    """A snapshot of a bulk run, passed to ``on_progress`` a few times per second.

    Attributes:
        done: Inputs with an outcome so far.
        created: Inputs with a record (created or upserted).
        failed: Inputs rejected.
        unknown: Inputs whose outcome is unknown.
        not_attempted: Inputs HubSpot did not act on.
        total: The number of inputs, when the iterable has a length; else None.
        elapsed: Seconds since the run started.
        rate: Outcomes per second so far.
    """

    done: int
    created: int
    failed: int
    unknown: int
    not_attempted: int
    total: int | None
    elapsed: float
    rate: float

    @classmethod
    def of(
        cls, counts: Mapping[OutcomeStatus, int], total: int | None, elapsed: float
    ) -> BulkProgress:
        """The snapshot of a run with ``counts`` outcomes by status so far."""
        done = sum(counts.values())
        return cls(
            done=done,
            created=counts.get("created", 0) + counts.get("updated", 0),
            failed=counts.get("failed", 0),
            unknown=counts.get("unknown", 0),
            not_attempted=counts.get("not_attempted", 0),
            total=total,
            elapsed=elapsed,
            rate=done / elapsed if elapsed > 0 else 0.0,
        )


# Not slotted: its views are cached_property values, which a slotted class supports
# only from attrs 23.2 on, and attrs 23.1 is the lowest version allowed.
@attrs.frozen(kw_only=True, slots=False)
class BulkResult:
    """Every input of a ``create_many`` run, accounted for.

    ``outcomes[i]`` is what became of input ``i``; every other view is derived from that
    list: ``results[i]`` is input ``i``'s record (or None), ``errors`` lists the outcomes
    without a record, and the counts add them up by status.

    To resume after a daily limit (``stopped_by`` is a ``DailyLimitError``): send
    :meth:`not_attempted_inputs` tomorrow, followed by the inputs that were never taken
    from the iterable: ``inputs[result.total:]`` for a sequence, or simply what is left
    in an iterator (the run stops pulling when it stops).

    Attributes:
        outcomes: One outcome per input taken from the iterable, in input order.
        stopped_by: The error that stopped the run early (a ``DailyLimitError``, a
            rejected token, or the ``BulkRunError`` raised when your iterable or
            ``on_progress`` raised), or None when every input was taken.
        read_backs: Requests this run spent reading inputs back to settle batches
            that failed ambiguously (``batch/read`` by unique key).
        settle_resends: Requests this run spent sending such inputs again.
    """

    outcomes: list[BulkOutcome]
    stopped_by: HubCRMError | None = None
    read_backs: int = 0
    settle_resends: int = 0

    @cached_property
    def results(self) -> list[CrmObject | None]:
        """The record per input, in input order; None where there is none."""
        return [outcome.object for outcome in self.outcomes]

    @cached_property
    def errors(self) -> list[BulkOutcome]:
        """The outcomes without a record (failed, unknown, not attempted), in input order."""
        return [outcome for outcome in self.outcomes if outcome.object is None]

    @cached_property
    def _counts(self) -> Counter[str]:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def total(self) -> int:
        """Inputs taken from the iterable (all of them unless the run stopped)."""
        return len(self.outcomes)

    @property
    def created(self) -> int:
        """Inputs with a record: created, or upserted with ``id_property``."""
        counts = self._counts
        return counts["created"] + counts["updated"]

    @property
    def updated(self) -> int:
        """Of those, the ones an upsert found already there (status ``"updated"``)."""
        return self._counts["updated"]

    @property
    def failed(self) -> int:
        """Inputs rejected (by HubSpot, or as unsendable)."""
        return self._counts["failed"]

    @property
    def unknown(self) -> int:
        """Inputs whose outcome is unknown: the record may exist."""
        return self._counts["unknown"]

    @property
    def not_attempted(self) -> int:
        """Inputs HubSpot did not act on: safe to send again."""
        return self._counts["not_attempted"]

    @property
    def ok(self) -> bool:
        """Whether every input taken has its record and the run was not stopped."""
        return self.created == self.total and self.stopped_by is None

    def not_attempted_inputs(self) -> list[BulkInput]:
        """The inputs HubSpot did not act on, in input order, to send again as they are."""
        return [o.input for o in self.outcomes if o.status == "not_attempted"]


class BulkRunError(HubCRMError):
    """A ``create_many`` run was stopped by an exception that does not come from HubSpot.

    The input iterable raised while inputs were taken from it, or ``on_progress``
    raised (or, a bug, hubcrm's bulk engine itself). The run then took no more inputs,
    sent no new request, let the requests in flight finish, and raised this with every
    outcome it knows. The original exception is ``__cause__``.

    It is a `HubCRMError` so that ``except HubCRMError`` around ``create_many`` never
    loses the outcomes of records already created; the original exception is kept
    whole as ``__cause__`` (``iter_create_many``, which has already yielded every
    outcome, raises the original exception itself).

    Args:
        message: What stopped the run.
        outcomes: One outcome per input taken, in input order.
        stopped_by: An error from HubSpot that stopped the run too, if any.

    Attributes:
        result: The ``BulkResult`` of the inputs taken: created ones with their
            records, inputs taken but not sent as ``"not_attempted"`` (their ``error``
            is the original exception). Its ``stopped_by`` is this error, unless an
            error from HubSpot (a ``DailyLimitError``, ...) stopped the run too.
            Inputs never taken from the iterable are not in it: for a list, they are
            ``inputs[result.total:]``.
    """

    result: BulkResult

    def __init__(
        self,
        message: str,
        *,
        outcomes: Iterable[BulkOutcome] = (),
        stopped_by: HubCRMError | None = None,
    ) -> None:
        super().__init__(message)
        self.result = BulkResult(outcomes=list(outcomes), stopped_by=stopped_by or self)

    def __reduce__(self) -> tuple[Any, ...]:
        # The result refers back to this error: its state goes in the third slot, which
        # pickle restores after the error exists, so the cycle survives.
        return (_rebuild, (type(self), self.args, {}), dict(self.__dict__))


def warn_cancelled(
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
