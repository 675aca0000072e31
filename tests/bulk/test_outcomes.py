"""One outcome record per input; every view of a BulkResult is derived from the outcomes."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hubcrm
from hubcrm import (
    APITimeoutError,
    BulkOutcome,
    BulkResult,
    CrmObject,
    DailyLimitError,
    HubCRMError,
    ObjectInput,
    OutcomeUnknownError,
)
from hubcrm._core.convert import load_object
from hubcrm._core.error_bodies import error_from_batch_entry, error_from_response
from hubcrm._write.outcomes import OutcomeStatus, new_outcome

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def record(object_id: str) -> CrmObject:
    return CrmObject(id=object_id, created_at=NOW, updated_at=NOW)


def invalid_email() -> HubCRMError:
    return error_from_batch_entry(
        {
            "status": "error",
            "category": "VALIDATION_ERROR",
            "message": "m",
            "errors": [{"message": "m"}, {"message": "m", "code": "INVALID_EMAIL"}],
        }
    )


def conflict() -> HubCRMError:
    return error_from_batch_entry({"status": "error", "category": "CONFLICT", "message": "m"})


def unknown(cause: BaseException | None) -> OutcomeUnknownError:
    return OutcomeUnknownError("contacts", ObjectInput({"email": "a@example.com"}), cause=cause)


DAILY = error_from_response(
    429,
    json.dumps(
        {"status": "error", "message": "daily", "errorType": "RATE_LIMIT", "policyName": "DAILY"}
    ).encode(),
    {},
)


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        ("failed", invalid_email(), "INVALID_EMAIL"),  # the first detail with a code
        ("failed", conflict(), "CONFLICT"),  # no detail code: the category
        ("failed", ValueError("NaN"), "ValueError"),  # a local error: its type
        ("unknown", unknown(APITimeoutError("slow", request_sent=True)), "APITimeoutError"),
        ("unknown", unknown(invalid_email()), "INVALID_EMAIL"),  # the cause's code
        ("unknown", unknown(None), None),
        ("not_attempted", DAILY, "RATE_LIMIT"),
    ],
)
def test_code_says_why_there_is_no_record(status: str, error: Exception, code: str | None) -> None:
    outcome = BulkOutcome(0, {}, status, None, error)  # type: ignore[arg-type]
    assert outcome.code == code
    assert outcome.ok is False
    assert outcome.attempted is (status != "not_attempted")


def test_an_outcome_with_a_record_has_no_code() -> None:
    outcome = BulkOutcome(0, {}, "updated", record("1"), None, False)
    assert (outcome.ok, outcome.attempted, outcome.code) == (True, True, None)


def test_bulk_error_is_a_deprecated_name_for_the_outcome() -> None:
    with pytest.deprecated_call(match="BulkOutcome"):
        old = hubcrm.BulkError  # type: ignore[attr-defined]
    assert old is BulkOutcome


def test_result_views_are_derived_from_the_outcomes() -> None:
    inputs = [{"email": f"u{i}@example.com"} for i in range(6)]
    outcomes = [
        BulkOutcome(0, inputs[0], "created", record("10"), None, True),
        BulkOutcome(1, inputs[1], "failed", None, invalid_email()),
        BulkOutcome(2, inputs[2], "updated", record("12"), None, False),
        BulkOutcome(3, inputs[3], "unknown", None, unknown(None)),
        BulkOutcome(4, inputs[4], "not_attempted", None, DAILY),
        BulkOutcome(5, inputs[5], "not_attempted", None, DAILY),
    ]
    assert isinstance(DAILY, DailyLimitError)
    result = BulkResult(outcomes=outcomes, stopped_by=DAILY)
    assert [r and r.id for r in result.results] == ["10", None, "12", None, None, None]
    assert result.errors == [outcomes[1], outcomes[3], outcomes[4], outcomes[5]]
    counts = (result.total, result.created, result.updated, result.failed)
    assert counts == (6, 2, 1, 1)
    assert (result.unknown, result.not_attempted) == (1, 2)
    assert result.not_attempted_inputs() == [inputs[4], inputs[5]]
    assert result.not_attempted_inputs()[0] is inputs[4]
    assert result.ok is False
    assert result.results is result.results  # computed once


@pytest.mark.parametrize(
    ("statuses", "stopped", "ok"),
    [
        ([], False, True),
        (["created", "updated"], False, True),
        (["created", "updated"], True, False),  # stopped before taking every input
        (["created", "failed"], False, False),
    ],
)
def test_ok_means_every_input_taken_has_its_record(
    statuses: list[str], stopped: bool, ok: bool
) -> None:
    outcomes = [
        BulkOutcome(i, {}, s, record(str(i)) if s in ("created", "updated") else None)  # type: ignore[arg-type]
        for i, s in enumerate(statuses)
    ]
    assert BulkResult(outcomes=outcomes, stopped_by=DAILY if stopped else None).ok is ok


@given(
    st.integers(0, 10**6),
    st.sampled_from(["created", "updated", "failed", "unknown", "not_attempted"]),
    st.booleans(),
    st.none() | st.booleans(),
)
def test_new_outcome_is_the_bulk_outcome(
    index: int, status: OutcomeStatus, with_record: bool, new: bool | None
) -> None:
    raw = {"email": "a@example.com"}
    at = "2024-01-01T00:00:00Z"
    record = load_object({"id": "1", "createdAt": at, "updatedAt": at}) if with_record else None
    error = None if with_record else ValueError("property 'email': bad")
    made = new_outcome(index, raw, status, record, error, new)
    expected = BulkOutcome(index, raw, status, record, error, new)
    assert made == expected
    assert repr(made) == repr(expected)
    assert attrs.evolve(made) == expected
    assert (made.ok, made.attempted, made.code) == (expected.ok, expected.attempted, expected.code)
