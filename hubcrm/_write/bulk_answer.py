"""Reading HubSpot's 2xx answer to one ``batch/create`` or ``batch/upsert`` request.

A pure function: it is given the batch's trace ids and the decoded answer, and says
what became of each input, without touching the bulk engine. Results and errors are
matched to inputs by ``objectWriteTraceId``, never by position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from .._core.convert import load_object
from .._core.error_bodies import error_from_batch_entry
from .._core.errors import HubCRMError, ResponseParseError
from .._core.models import CrmObject
from .._http.safety import FailureClass, classify
from .readback import made_since

if TYPE_CHECKING:
    from .outcomes import OutcomeStatus

__all__ = ["BatchAnswer", "entry_outcome", "key_fold", "map_batch_answer", "resent_new"]

R = TypeVar("R")


@attrs.frozen
class BatchAnswer(Generic[R]):
    """What a 2xx batch answer says of each input of the batch, by position.

    The outcome of input ``i`` is ``status[i]``, ``record[i]``, ``error[i]`` and
    ``new[i]``: the fields of its ``BulkOutcome``, in columns rather than one object
    per input, as this is on the bulk hot path.

    Attributes:
        status: Per input: ``"created"``, ``"updated"`` (an upsert found the record),
            ``"failed"``, ``"unknown"``, ``"not_attempted"``, or None when it is in one
            of ``split``.
        record: Per input: the record when created or updated, else None.
        error: Per input: HubSpot's error when failed or not attempted, the failure
            that makes the outcome unknown when unknown, else None.
        new: Per input with a record: whether it is new (None when an upsert's answer
            did not say); else None.
        split: Groups of inputs (positions) that an error naming no input may belong
            to: send each group again as a batch of its own, in this order.
    """

    status: list[OutcomeStatus | None]
    record: list[R | None]
    error: list[HubCRMError | None]
    new: list[bool | None]
    split: tuple[list[int], ...] = ()


def map_batch_answer(
    trace_ids: Sequence[str],
    data: Any,
    headers: Mapping[str, str],
    *,
    upsert: bool,
    path: str,
    object_type: str,
    keys: Sequence[str | None] | None = None,
    key_property: str | None = None,
    keyed: Sequence[tuple[str, str] | None] | None = None,
) -> BatchAnswer[CrmObject]:
    """Map a 2xx batch answer (its ``results`` and ``errors``) back to the batch's inputs.

    An input named by a result is created (or, for an upsert, created or updated); one
    named by an error entry has that error, and an outcome by the entry's class (see
    :func:`entry_outcome`): failed when HubSpot rejected it, unknown after a 5xx, not
    attempted after a rate limit (429, 423, 477). The rest depend on the answer as a
    whole: when every result named an input of the batch, an error entry that names no
    input belongs to one of them, so a lone input has it and several are split into two
    halves to send again (unless an entry is a 5xx: then they are all unknown).
    Otherwise what became of them cannot be told: HubSpot answered 2xx, so it may have
    written them, and their outcome is unknown with a ``ResponseParseError`` (ambiguous,
    as an unreadable answer is).

    Any answer is read without raising: an entry of the wrong shape (``null``, a number,
    a record without an id) names no input, and the entries beside it are still read.

    Args:
        trace_ids: The ``objectWriteTraceId`` of each input, in batch order; distinct.
        data: The decoded JSON body, as HubSpot sent it (any shape).
        headers: The response headers (for the errors' correlation id).
        upsert: Whether the request was ``batch/upsert`` (its results say ``new``).
        path: The request's path, for the errors.
        object_type: The object type, for the error of an input the answer left out.
        keys: Each input's value of ``key_property``, in batch order: a result whose
            trace id names no input of the batch (HubSpot does not promise the echo)
            is matched by that value, compared as HubSpot compares it (see
            :func:`key_fold`).
        key_property: The property ``keys`` are values of.
        keyed: Instead of ``keys``: per input, ``(property, value)`` of its key, or
            None; the property ``""`` stands for the record's id.

    Returns:
        The outcome of each input, by position, and the groups to send again.
    """
    n = len(trace_ids)
    by_trace = dict(zip(trace_ids, range(n), strict=True))
    status: list[OutcomeStatus | None] = [None] * n
    record: list[CrmObject | None] = [None] * n
    error: list[HubCRMError | None] = [None] * n
    new: list[bool | None] = [None] * n
    readable = type(data) is dict or isinstance(data, Mapping)
    if not readable:
        data = {}

    results = data.get("results")
    if results is not None and not isinstance(results, list):
        readable = False
    all_traced = True  # every result names an input of this batch
    if keyed is None and keys is not None and key_property is not None:
        keyed = [(key_property, k) if k else None for k in keys]
    by_key = _KeyIndex(keyed) if keyed is not None else None
    for result in results if isinstance(results, list) else ():
        if type(result) is not dict and not isinstance(result, Mapping):
            all_traced = readable = False  # it may stand for any input
            continue
        trace_id = result.get("objectWriteTraceId")
        i = by_trace.pop(trace_id, None) if isinstance(trace_id, str) else None
        if i is None and by_key is not None:
            i = by_key.match(result)
            if i is not None and by_trace.pop(trace_ids[i], None) is None:
                i = None  # its input is accounted for already
        if i is None:
            all_traced = False
            continue
        if by_key is not None:
            by_key.drop(i)
        try:
            record[i] = load_object(result, fresh=True)  # each result is read once
        except ResponseParseError as exc:
            status[i] = "unknown"
            error[i] = exc
            continue
        if not upsert:  # a create's result is a new record
            status[i] = "created"
            new[i] = True
            continue
        is_new = result.get("new")
        if is_new is False:
            status[i] = "updated"
            new[i] = False
        else:
            status[i] = "created"
            new[i] = is_new if isinstance(is_new, bool) else None

    unattributed: list[Mapping[str, Any]] = []
    errors = data.get("errors")
    if errors is not None and not isinstance(errors, list):
        readable = False
    for entry in errors if isinstance(errors, list) else ():
        if not isinstance(entry, Mapping):
            readable = False
            continue
        context = entry.get("context")
        named = context.get("objectWriteTraceId") if isinstance(context, Mapping) else None
        matched = False
        for trace_id in named if isinstance(named, list) else ():
            i = by_trace.pop(trace_id, None) if isinstance(trace_id, str) else None
            if i is not None:
                matched = True
                entry_error = error_from_batch_entry(
                    entry, headers=headers, method="POST", path=path
                )
                status[i] = entry_outcome(entry_error)
                error[i] = entry_error
        if not matched:
            unattributed.append(entry)

    if not by_trace:
        return BatchAnswer(status, record, error, new)
    left = list(by_trace.values())  # in batch order: popping keeps the others' order
    if unattributed and all_traced and readable:
        # Every record made is accounted for by its trace id, so these inputs made none:
        # an error that names no input is theirs. Isolate it.
        entry_errors = [
            error_from_batch_entry(entry, headers=headers, method="POST", path=path)
            for entry in unattributed
        ]
        for entry_error in entry_errors:
            if entry_outcome(entry_error) == "unknown":
                # A 5xx of HubSpot's own: any of them may have been made after all.
                for i in left:
                    status[i] = "unknown"
                    error[i] = entry_error
                return BatchAnswer(status, record, error, new)
        if len(left) == 1:
            status[left[0]] = entry_outcome(entry_errors[0])
            error[left[0]] = entry_errors[0]
            return BatchAnswer(status, record, error, new)
        mid = len(left) // 2
        return BatchAnswer(status, record, error, new, (left[:mid], left[mid:]))
    how = "did not mention" if readable else "could not be read for"
    cause = ResponseParseError(
        f"HubSpot's answer to a {object_type!r} batch {how} {len(left)} of its "
        f"inputs (correlation id {headers.get('x-hubspot-correlation-id', '-')})"
    )
    for i in left:
        status[i] = "unknown"
        error[i] = cause
    return BatchAnswer(status, record, error, new)


def resent_new(new: bool | None, record: CrmObject | None, started: float) -> bool | None:
    """``new`` of an upsert whose answer came to a resend after an ambiguous failure.

    The first attempt may have created the record (committed, then a 502 or a dropped
    connection), so the resend finds it and says ``new: false``. A record created since
    the batch was first sent (``started``, on the session's clock, less ``CLOCK_SKEW``)
    may be that attempt's or a writer's of its own in the same moments: whether this run
    made it is unknown, and ``new`` is None. An older record certainly existed before.
    """
    if new is False and record is not None and made_since(record, started):
        return None
    return new


def entry_outcome(error: HubCRMError) -> OutcomeStatus:
    """The outcome of an input that a batch answer's ``errors[]`` entry names.

    The entry's class decides, as for a whole request: a 5xx (``status`` 500 to 599)
    is ambiguous, so ``"unknown"``; a rate limit (429 or the ``RATE_LIMIT`` category,
    423, 477) means HubSpot did not act on it, so ``"not_attempted"``; any other is
    ``"failed"``.
    """
    failure = classify(error)
    if failure is FailureClass.AMBIGUOUS:
        return "unknown"
    if failure is FailureClass.NOT_PROCESSED:
        return "not_attempted"
    return "failed"


def key_fold(key_property: str, value: str) -> str:
    """A unique value as HubSpot compares it: an email case-insensitively, any other
    unique property (and a record id) exactly; surrounding blanks never count."""
    value = value.strip()
    return value.lower() if key_property == "email" else value


class _KeyIndex:
    """Which input a result belongs to, by the value of the input's key in the result.

    A key that two inputs of the batch share (once folded) matches neither: one result
    must never settle two inputs, nor an input by a guess.
    """

    def __init__(self, keyed: Sequence[tuple[str, str] | None]) -> None:
        self._by: dict[tuple[str, str], int] = {}
        self._of: dict[int, tuple[str, str]] = {}
        shared: set[tuple[str, str]] = set()
        for i, pair in enumerate(keyed):
            if pair is None or not isinstance(pair[1], str) or not pair[1].strip():
                continue
            key = (pair[0], key_fold(pair[0], pair[1]))
            if key in self._by:
                shared.add(key)
            self._by[key] = i
            self._of[i] = key
        for key in shared:
            del self._by[key]
        self._properties = {prop for prop, _ in self._by}

    def match(self, result: Mapping[str, Any]) -> int | None:
        """The input whose key the result holds (and drop it); else None."""
        properties = result.get("properties")
        for prop in self._properties:
            if prop == "":
                value = result.get("id")
                value = int.__repr__(value) if type(value) is int else value
            else:
                value = properties.get(prop) if isinstance(properties, Mapping) else None
            if isinstance(value, str):
                i = self._by.pop((prop, key_fold(prop, value)), None)
                if i is not None:
                    return i
        return None

    def drop(self, i: int) -> None:
        """Input ``i`` is accounted for: no result may match it by key any more."""
        key = self._of.pop(i, None)
        if key is not None and self._by.get(key) == i:
            del self._by[key]
