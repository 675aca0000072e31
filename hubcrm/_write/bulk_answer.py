"""Reading HubSpot's 2xx answer to one ``batch/create`` or ``batch/upsert`` request.

A pure function: it is given the batch's trace ids and the decoded answer, and says
what became of each input, without touching the bulk engine. Results and errors are
matched to inputs by ``objectWriteTraceId``, never by position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from .._core.convert import load_object
from .._core.error_bodies import error_from_batch_entry
from .._core.errors import HubCRMError, ResponseParseError
from .._core.models import CrmObject
from .._http.safety import FailureClass, classify
from .outcomes import OutcomeStatus

__all__ = ["BatchAnswer", "entry_outcome", "map_batch_answer"]

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
) -> BatchAnswer[CrmObject]:
    """Map a 2xx batch answer (its ``results`` and ``errors``) back to the batch's inputs.

    An input named by a result is created (or, for an upsert, created or updated); one
    named by an error entry has that error, and an outcome by the entry's class (see
    :func:`entry_outcome`): failed when HubSpot rejected it, unknown after a 5xx, not
    attempted after a rate limit (429, 423, 477). The rest depend on the answer as a
    whole: when every result named an input of the batch, an error entry that names no
    input belongs to one of them, so a lone input has it and several are split into two
    halves to send again (unless an entry is a 5xx: then they are all unknown).
    Otherwise what became of them cannot be told: their outcome is unknown.

    Args:
        trace_ids: The ``objectWriteTraceId`` of each input, in batch order; distinct.
        data: The decoded JSON body, as HubSpot sent it (any shape).
        headers: The response headers (for the errors' correlation id).
        upsert: Whether the request was ``batch/upsert`` (its results say ``new``).
        path: The request's path, for the errors.
        object_type: The object type, for the error of an input the answer left out.
        keys: Each input's value of ``key_property``, in batch order: a result that
            carries no trace id is matched by that value (case-insensitively), as
            HubSpot does not promise the trace id echo on upserts.
        key_property: The property ``keys`` are values of.

    Returns:
        The outcome of each input, by position, and the groups to send again.
    """
    n = len(trace_ids)
    by_trace = {trace_id: i for i, trace_id in enumerate(trace_ids)}
    status: list[OutcomeStatus | None] = [None] * n
    record: list[CrmObject | None] = [None] * n
    error: list[HubCRMError | None] = [None] * n
    new: list[bool | None] = [None] * n
    if not isinstance(data, Mapping):
        data = {}

    results = data.get("results")
    all_traced = True  # every result names an input of this batch
    by_key = _by_key(trace_ids, keys) if key_property is not None else None
    for result in results if isinstance(results, list) else ():
        trace_id = result.get("objectWriteTraceId") if isinstance(result, Mapping) else None
        i = by_trace.pop(trace_id, None) if isinstance(trace_id, str) else None
        if i is None and trace_id is None and by_key is not None:
            i = _match_key(result, key_property, by_key, by_trace, trace_ids)
        if i is None:
            all_traced = False
            continue
        try:
            record[i] = load_object(result)
        except ResponseParseError as exc:
            status[i] = "unknown"
            error[i] = exc
            continue
        is_new = result.get("new") if upsert else True
        if is_new is False:
            status[i] = "updated"
            new[i] = False
        else:
            status[i] = "created"
            new[i] = is_new if isinstance(is_new, bool) else None

    unattributed: list[Mapping[str, Any]] = []
    errors = data.get("errors")
    for entry in errors if isinstance(errors, list) else ():
        if not isinstance(entry, Mapping):
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
    if unattributed and all_traced:
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
    cause = HubCRMError(
        f"HubSpot's answer to a {object_type!r} batch did not mention {len(left)} of its "
        f"inputs (correlation id {headers.get('x-hubspot-correlation-id', '-')})"
    )
    for i in left:
        status[i] = "unknown"
        error[i] = cause
    return BatchAnswer(status, record, error, new)


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


def _by_key(trace_ids: Sequence[str], keys: Sequence[str | None] | None) -> dict[str, int]:
    """Input position by its key value, folded to lower case."""
    if keys is None:
        return {}
    return {k.strip().lower(): i for i, k in enumerate(keys) if k}


def _match_key(
    result: Mapping[str, Any],
    key_property: str | None,
    by_key: dict[str, int],
    by_trace: dict[str, int],
    trace_ids: Sequence[str],
) -> int | None:
    """The input a result without a trace id belongs to, by its key value; else None."""
    properties = result.get("properties")
    value = properties.get(key_property) if isinstance(properties, Mapping) else None
    if not isinstance(value, str):
        return None
    i = by_key.pop(value.strip().lower(), None)
    if i is None:
        return None
    return by_trace.pop(trace_ids[i], None)
