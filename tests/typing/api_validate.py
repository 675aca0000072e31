"""The check before sending as users' type checkers see it: objects.validate on both
clients, its report, and create_many(validate=True).

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubcrm import (
    AsyncHubCRM,
    BulkResult,
    HubCRM,
    PropertyValue,
    SkippedCheck,
    ValidationProblem,
    ValidationReport,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type


def report(r: ValidationReport) -> None:
    assert_type(r.object_type, str)
    assert_type(r.checked, int)
    assert_type(r.problems, tuple[ValidationProblem, ...])
    assert_type(r.skipped, tuple[SkippedCheck, ...])
    assert_type(r.requests, int)
    assert_type(r.ok, bool)
    assert_type(r.refused, frozenset[int])
    assert_type(r.by_index(), dict[int, list[ValidationProblem]])
    for problem in r.problems:
        assert_type(problem.index, int)
        assert_type(problem.property, str | None)
        assert_type(problem.code, str)
        assert_type(problem.message, str)
    for skipped in r.skipped:
        assert_type(skipped.check, str)
        assert_type(skipped.reason, str)
        assert_type(skipped.property, str | None)


async def on_the_async_client(crm: AsyncHubCRM) -> None:
    rows: list[dict[str, PropertyValue]] = [{"dealname": "Deal", "amount": 10}]
    checked = await crm.objects.validate("deals", rows, check_existing=True, refresh=True)
    assert_type(checked, ValidationReport)
    result = await crm.objects.create_many("deals", rows, validate=True)
    assert_type(result, BulkResult)


def on_the_blocking_client(crm: HubCRM) -> None:
    rows = [{"dealname": "Deal"}]
    assert_type(crm.objects.validate("deals", rows), ValidationReport)
    assert_type(crm.objects.create_many("deals", rows, validate=True), BulkResult)
