"""``create_many(..., validate=True)``: the inputs the check refuses fail without being
sent, the others go through the bulk engine, and the outcomes are put back in the
inputs' own positions."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

import attrs

from .._core.errors import APIError, BadRequestError, ConflictError, ErrorDetail
from .._write.outcomes import BulkInput, BulkOutcome, BulkResult, BulkRunError
from .report import ValidationProblem, ValidationReport

__all__ = ["refusal_error", "run_checked"]

_INVALID_VALUES = "Property values were not valid: "


def refusal_error(problems: Sequence[ValidationProblem]) -> APIError:
    """The error of an input the check refused: shaped as HubSpot's 400 (or, for a
    unique value held twice, its 409), one ``errors`` entry per problem, each with its
    code and ``context.propertyName``. It names properties and codes, never values."""
    details = [
        ErrorDetail(
            message=p.message,
            code=p.code,
            context={"propertyName": [p.property]} if p.property is not None else {},
        )
        for p in problems
    ]
    entries = [
        {"isValid": False, "message": p.message, "error": p.code, "name": p.property or ""}
        for p in problems
    ]
    message = _INVALID_VALUES + json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    if all(p.code == "CONFLICT" for p in problems):
        return ConflictError(
            "; ".join(p.message for p in problems),
            status=409,
            category="CONFLICT",
            errors=details,
        )
    return BadRequestError(message, status=400, category="VALIDATION_ERROR", errors=details)


def _refused(report: ValidationReport) -> dict[int, list[ValidationProblem]]:
    # An input that cannot be encoded is left to the bulk engine, which fails it with
    # the TypeError or ValueError naming the property, as without the check.
    return {
        index: problems
        for index, problems in report.by_index().items()
        if all(p.property is not None for p in problems)
    }


async def run_checked(
    items: Sequence[BulkInput],
    report: ValidationReport,
    run: Callable[[list[BulkInput]], Awaitable[BulkResult]],
) -> BulkResult:
    """Run ``run`` over the inputs the report does not refuse, and account for every
    input in its own position.

    Raises:
        BulkRunError: as ``create_many``: its result holds every input's outcome.
    """
    refused = _refused(report)
    sent = [i for i in range(len(items)) if i not in refused]
    failed = [
        BulkOutcome(index, items[index], "failed", error=refusal_error(problems))
        for index, problems in refused.items()
    ]
    try:
        result = await run([items[i] for i in sent])
    except BulkRunError as exc:
        outcomes = _merge(exc.result, sent, failed, items)
        stopped_by = exc.result.stopped_by
        raise BulkRunError(
            str(exc), outcomes=outcomes, stopped_by=None if stopped_by is exc else stopped_by
        ) from exc.__cause__
    return BulkResult(
        outcomes=_merge(result, sent, failed, items),
        stopped_by=result.stopped_by,
        read_backs=result.read_backs,
        settle_resends=result.settle_resends,
    )


def _merge(
    result: BulkResult,
    sent: list[int],
    failed: list[BulkOutcome],
    items: Sequence[BulkInput],
) -> list[BulkOutcome]:
    outcomes = [attrs.evolve(o, index=sent[o.index]) for o in result.outcomes]
    outcomes.extend(failed)
    # Inputs a stopped run never took are not attempted: nothing was sent for them.
    taken = {o.index for o in result.outcomes}
    outcomes.extend(
        BulkOutcome(sent[i], items[sent[i]], "not_attempted", error=result.stopped_by)
        for i in range(len(sent))
        if i not in taken and result.stopped_by is not None
    )
    outcomes.sort(key=lambda o: o.index)
    return outcomes
