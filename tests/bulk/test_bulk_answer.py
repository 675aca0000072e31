"""Mapping a 2xx batch answer to its inputs is a pure function: every rule, as a table.

Each case gives the batch's trace ids and HubSpot's decoded answer, and the outcome
expected per input (by position) plus the groups to send again. The engine's tests
(test_bulk.py) check the same rules end to end against the emulator.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hubcrm import ConflictError, ResponseParseError
from hubcrm._write.bulk_answer import BatchAnswer, map_batch_answer

T = ("t0", "t1", "t2")  # the batch's trace ids
PATH = "/crm/objects/2026-03/contacts/batch/create"


def record(trace_id: str | None, object_id: str = "1", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": object_id,
        "properties": {"email": "x@example.com"},
        "createdAt": "2026-03-01T10:00:00Z",
        "updatedAt": "2026-03-01T10:00:00Z",
        "archived": False,
        **extra,
    }
    if trace_id is not None:
        body["objectWriteTraceId"] = trace_id
    return body


def error(
    *trace_ids: Any,
    code: str = "INVALID_EMAIL",
    category: str | None = "VALIDATION_ERROR",
    status: Any = "error",
) -> Any:
    entry: dict[str, Any] = {
        "status": status,
        "category": category,
        "message": "m",
        "errors": [{"message": "m", "code": code}],
    }
    if category is None:
        del entry["category"]
    if trace_ids:
        entry["context"] = {"objectWriteTraceId": list(trace_ids)}
    return entry


def summary(answer: BatchAnswer) -> list[tuple[Any, ...] | None]:
    """Per input: (status, record id, new), (status, error code) or (status, error type)."""
    rows: list[tuple[Any, ...] | None] = []
    for status, rec, err, new in zip(
        answer.status, answer.record, answer.error, answer.new, strict=True
    ):
        if status is None:
            assert (rec, err, new) == (None, None, None)
            rows.append(None)
        elif status in ("created", "updated"):
            assert rec is not None
            assert err is None
            rows.append((status, rec.id, new))
        else:
            assert err is not None
            assert (rec, new) == (None, None)
            codes = [d.code for d in getattr(err, "errors", ()) if d.code]
            rows.append((status, codes[0] if codes else type(err).__name__))
    return rows


CASES: list[tuple[str, tuple[str, ...], Any, bool, list[Any], tuple[list[int], ...]]] = [
    (
        "201: every input created, matched by trace id, not by position",
        T,
        {"results": [record("t2", "3"), record("t0", "1"), record("t1", "2")]},
        False,
        [("created", "1", True), ("created", "2", True), ("created", "3", True)],
        (),
    ),
    (
        "upsert: new true, false, or not said",
        T,
        {
            "results": [
                record("t0", "1", new=True),
                record("t1", "2", new=False),
                record("t2", "3"),
            ]
        },
        True,
        [("created", "1", True), ("updated", "2", False), ("created", "3", None)],
        (),
    ),
    (
        "create: a result's 'new' is ignored, a created record is new",
        ("t0",),
        {"results": [record("t0", new=False)]},
        False,
        [("created", "1", True)],
        (),
    ),
    (
        "207: errors name their inputs by trace id",
        T,
        {
            "results": [record("t1", "2")],
            "errors": [error("t0"), error("t2", code="INVALID_DATE")],
        },
        False,
        [("failed", "INVALID_EMAIL"), ("created", "2", True), ("failed", "INVALID_DATE")],
        (),
    ),
    (
        "one error entry naming two inputs fails both",
        T,
        {"results": [record("t1", "2")], "errors": [error("t0", "t2")]},
        False,
        [("failed", "INVALID_EMAIL"), ("created", "2", True), ("failed", "INVALID_EMAIL")],
        (),
    ),
    (
        "an entry with a 5xx status is ambiguous (unknown), whatever its category",
        T,
        {
            "results": [record("t1", "2")],
            "errors": [
                error("t0", status=500, category="INTERNAL_ERROR", code="E500"),
                error("t2", status="503", category=None, code="E503"),
            ],
        },
        False,
        [("unknown", "E500"), ("created", "2", True), ("unknown", "E503")],
        (),
    ),
    (
        "an entry for a rate limit (429, RATE_LIMIT, 423, 477) is not attempted",
        ("t0", "t1", "t2", "t3", "t4"),
        {
            "results": [record("t4", "5")],
            "errors": [
                error("t0", category="RATE_LIMIT", code="R1"),
                error("t1", status=429, category=None, code="R2"),
                error("t2", status="423", category=None, code="LOCKED"),
                error("t3", status=477, category=None, code="MIGRATING"),
            ],
        },
        False,
        [
            ("not_attempted", "R1"),
            ("not_attempted", "R2"),
            ("not_attempted", "LOCKED"),
            ("not_attempted", "MIGRATING"),
            ("created", "5", True),
        ],
        (),
    ),
    (
        "an entry's other 4xx statuses are failures",
        ("t0", "t1"),
        {"errors": [error("t0", status=404, category=None), error("t1", status="400")]},
        False,
        [("failed", "INVALID_EMAIL"), ("failed", "INVALID_EMAIL")],
        (),
    ),
    (
        "an unattributed 5xx with every result traced: the inputs left are unknown, not split",
        ("t0", "t1", "t2", "t3"),
        {
            "results": [record("t1", "2")],
            "errors": [error(code="X"), error(status=502, category=None, code="E502")],
        },
        False,
        [("unknown", "E502"), ("created", "2", True), ("unknown", "E502"), ("unknown", "E502")],
        (),
    ),
    (
        "an unattributed rate limit with the lone input left: not attempted",
        T,
        {
            "results": [record("t0", "1"), record("t2", "3")],
            "errors": [error(category="RATE_LIMIT", code="R")],
        },
        False,
        [("created", "1", True), ("not_attempted", "R"), ("created", "3", True)],
        (),
    ),
    (
        "an unattributed rate limit with several inputs left: split (resending is safe)",
        T,
        {"results": [record("t1", "2")], "errors": [error(category="RATE_LIMIT")]},
        False,
        [None, ("created", "2", True), None],
        ([0], [2]),
    ),
    (
        "an unattributed error with every result traced: the lone input left has it",
        T,
        {"results": [record("t0", "1"), record("t2", "3")], "errors": [error()]},
        False,
        [("created", "1", True), ("failed", "INVALID_EMAIL"), ("created", "3", True)],
        (),
    ),
    (
        "an unattributed error with several inputs left: split them in halves, in order",
        ("t0", "t1", "t2", "t3", "t4"),
        {"results": [record("t1", "2")], "errors": [error()]},
        False,
        [None, ("created", "2", True), None, None, None],
        ([0, 2], [3, 4]),
    ),
    (
        "an unattributed error but a result naming no input: the rest is unknown",
        T,
        {"results": [record("t0", "1"), record(None, "9")], "errors": [error()]},
        False,
        [
            ("created", "1", True),
            ("unknown", "ResponseParseError"),
            ("unknown", "ResponseParseError"),
        ],
        (),
    ),
    (
        "a result for another batch's trace id: not ours, and the input it left is unknown",
        ("t0", "t1"),
        {"results": [record("t0", "1"), record("elsewhere", "9")]},
        False,
        [("created", "1", True), ("unknown", "ResponseParseError")],
        (),
    ),
    (
        "the same trace id twice: the second is not ours",
        ("t0", "t1"),
        {"results": [record("t0", "1"), record("t0", "2")], "errors": [error()]},
        False,
        [("created", "1", True), ("unknown", "ResponseParseError")],
        (),
    ),
    (
        "inputs the answer does not mention are unknown: it may have written them",
        T,
        {"results": [record("t0", "1")]},
        False,
        [
            ("created", "1", True),
            ("unknown", "ResponseParseError"),
            ("unknown", "ResponseParseError"),
        ],
        (),
    ),
    (
        "a result that is not a record: that input is unknown (ResponseParseError)",
        ("t0", "t1"),
        {"results": [{"objectWriteTraceId": "t0", "id": "1"}, record("t1", "2")]},
        False,
        [("unknown", "ResponseParseError"), ("created", "2", True)],
        (),
    ),
    (
        "a body that is not an object: every input unknown",
        ("t0", "t1"),
        ["not", "an", "object"],
        False,
        [("unknown", "ResponseParseError"), ("unknown", "ResponseParseError")],
        (),
    ),
    (
        "malformed lists and entries are skipped, never raised on",
        ("t0", "t1"),
        {
            "results": [7, {"objectWriteTraceId": 5}, record("t0", "1")],
            "errors": ["x", {"context": {"objectWriteTraceId": "t1"}}, error(None, 3)],
        },
        False,
        [("created", "1", True), ("unknown", "ResponseParseError")],
        (),
    ),
    (
        "results and errors that are not lists: unreadable, so unknown (ambiguous)",
        ("t0",),
        {"results": {"t0": record("t0")}, "errors": "none"},
        False,
        [("unknown", "ResponseParseError")],
        (),
    ),
]


@pytest.mark.parametrize(
    ("trace_ids", "data", "upsert", "expected", "split"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_map_batch_answer(
    trace_ids: tuple[str, ...],
    data: Any,
    upsert: bool,
    expected: list[Any],
    split: tuple[list[int], ...],
) -> None:
    before = copy.deepcopy(data)
    answer = map_batch_answer(trace_ids, data, {}, upsert=upsert, path=PATH, object_type="contacts")
    assert summary(answer) == expected
    assert answer.split == split
    assert data == before  # pure: the answer is read, never changed


def test_errors_carry_hubspots_details_and_the_request() -> None:
    body = {
        "results": [record("t0")],
        "errors": [
            {
                "status": "error",
                "category": "CONFLICT",
                "message": "Contact already exists. Existing ID: 42",
                "context": {"objectWriteTraceId": ["t1"]},
            }
        ],
    }
    headers = {"x-hubspot-correlation-id": "corr-1"}
    answer = map_batch_answer(
        ("t0", "t1"), body, headers, upsert=False, path=PATH, object_type="contacts"
    )
    conflict = answer.error[1]
    assert isinstance(conflict, ConflictError)
    assert conflict.existing_id == "42"
    assert conflict.correlation_id == "corr-1"
    assert (conflict.method, conflict.path) == ("POST", PATH)


def test_the_unknown_cause_says_how_many_were_left_out_and_where_to_look() -> None:
    headers = {"x-hubspot-correlation-id": "corr-2"}
    answer = map_batch_answer(
        T, {"results": [record("t0")]}, headers, upsert=False, path=PATH, object_type="deals"
    )
    cause = answer.error[1]
    assert cause is answer.error[2]  # one cause shared by the batch: no copy per input
    assert str(cause) == (
        "HubSpot's answer to a 'deals' batch did not mention 2 of its inputs "
        "(correlation id corr-2)"
    )


def test_a_result_that_is_not_a_record_keeps_the_parse_error() -> None:
    answer = map_batch_answer(
        ("t0",),
        {"results": [{"objectWriteTraceId": "t0", "id": "1", "createdAt": "yesterday"}]},
        {},
        upsert=False,
        path=PATH,
        object_type="contacts",
    )
    assert answer.status == ["unknown"]
    assert isinstance(answer.error[0], ResponseParseError)
