"""The retry decision is a pure function: every write-safety rule, without a network."""

from __future__ import annotations

import json

import pytest

from hubcrm import APIConnectionError, APITimeoutError, HubCRMError
from hubcrm._error_bodies import error_from_response
from hubcrm._retry import (
    FailureClass,
    RequestKind,
    RetryPolicy,
    backoff,
    classify,
    decide,
)


def api_error(status: int, body: dict[str, object] | None = None, **headers: str) -> HubCRMError:
    raw = json.dumps(body or {"status": "error", "message": "m"}).encode()
    return error_from_response(status, raw, {k.replace("_", "-"): v for k, v in headers.items()})


TEN_SECONDLY = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "policyName": "TEN_SECONDLY_ROLLING",
}
DAILY = {**TEN_SECONDLY, "policyName": "DAILY", "message": "You have reached your daily limit."}
REFUSED = APIConnectionError("refused", request_sent=False)
DROPPED = APIConnectionError("dropped", request_sent=True)
TIMED_OUT = APITimeoutError("slow", request_sent=True)
SAFE = RetryPolicy()


def no_jitter() -> float:
    return 1.0 - 1e-12  # the top of [0, 1): the full backoff ceiling


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (REFUSED, FailureClass.NOT_PROCESSED),
        (APITimeoutError("connect", request_sent=False), FailureClass.NOT_PROCESSED),
        (DROPPED, FailureClass.AMBIGUOUS),
        (TIMED_OUT, FailureClass.AMBIGUOUS),
        (api_error(429, TEN_SECONDLY), FailureClass.NOT_PROCESSED),
        (api_error(423), FailureClass.NOT_PROCESSED),
        (api_error(477), FailureClass.NOT_PROCESSED),
        (api_error(500), FailureClass.AMBIGUOUS),
        (api_error(502), FailureClass.AMBIGUOUS),
        (api_error(503), FailureClass.AMBIGUOUS),
        (api_error(504), FailureClass.AMBIGUOUS),
        (api_error(524), FailureClass.AMBIGUOUS),
        (api_error(400), FailureClass.REJECTED),
        (api_error(401), FailureClass.REJECTED),
        (api_error(404), FailureClass.REJECTED),
        (api_error(409), FailureClass.REJECTED),
        (HubCRMError("other"), FailureClass.REJECTED),
    ],
)
def test_classify(error: HubCRMError, expected: FailureClass) -> None:
    assert classify(error) is expected


@pytest.mark.parametrize("kind", list(RequestKind))
def test_daily_limit_is_never_retried(kind: RequestKind) -> None:
    decision = decide(SAFE, kind, api_error(429, DAILY), 0)
    assert decision.retry is False
    assert "daily" in decision.reason


@pytest.mark.parametrize("kind", list(RequestKind))
def test_burst_429_pauses_everyone_and_is_retried_regardless_of_count(kind: RequestKind) -> None:
    decision = decide(SAFE, kind, api_error(429, TEN_SECONDLY), retries_so_far=99)
    assert decision.retry is True
    assert decision.rate_limited is True
    assert decision.wait is None  # the limiter waits for the window to drain


def test_burst_429_honours_retry_after() -> None:
    decision = decide(SAFE, RequestKind.CREATE, api_error(429, TEN_SECONDLY, retry_after="3"), 0)
    assert decision.rate_limited
    assert decision.wait == 3.0


@pytest.mark.parametrize("error", [REFUSED, api_error(423), api_error(477)])
@pytest.mark.parametrize("kind", list(RequestKind))
def test_not_processed_is_retried_for_every_kind(error: HubCRMError, kind: RequestKind) -> None:
    decision = decide(SAFE, kind, error, 0)
    assert decision.retry is True
    assert not decision.rate_limited


@pytest.mark.parametrize("error", [DROPPED, TIMED_OUT, api_error(500), api_error(502)])
def test_ambiguous_reads_and_upserts_are_retried(error: HubCRMError) -> None:
    assert decide(SAFE, RequestKind.READ, error, 0).retry is True
    assert decide(SAFE, RequestKind.UPSERT, error, 0).retry is True


@pytest.mark.parametrize("error", [DROPPED, TIMED_OUT, api_error(503)])
def test_ambiguous_create_is_retried_only_when_always(error: HubCRMError) -> None:
    assert decide(SAFE, RequestKind.CREATE, error, 0).retry is False
    never = RetryPolicy(retry_writes="never")
    assert decide(never, RequestKind.CREATE, error, 0).retry is False
    always = RetryPolicy(retry_writes="always")
    assert decide(always, RequestKind.CREATE, error, 0).retry is True


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_rejected_is_never_retried(status: int) -> None:
    always = RetryPolicy(retry_writes="always")
    for kind in RequestKind:
        assert decide(always, kind, api_error(status), 0).retry is False


def test_max_retries_bounds_transient_retries() -> None:
    policy = RetryPolicy(max_retries=2)
    assert decide(policy, RequestKind.READ, api_error(502), 1).retry is True
    decision = decide(policy, RequestKind.READ, api_error(502), 2)
    assert decision.retry is False
    assert "2 retries" in decision.reason


def test_423_waits_at_least_two_seconds() -> None:
    decision = decide(SAFE, RequestKind.CREATE, api_error(423), 0, rand=lambda: 0.0)
    assert decision.wait is not None
    assert decision.wait >= 2.0


def test_retry_after_on_477_is_honoured() -> None:
    decision = decide(SAFE, RequestKind.CREATE, api_error(477, retry_after="7"), 0)
    assert decision.wait == 7.0


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0)
    assert [backoff(policy, n, no_jitter) for n in (1, 2, 3, 4)] == pytest.approx(
        [0.5, 1.0, 2.0, 3.0]
    )
    assert backoff(policy, 2, lambda: 0.0) == pytest.approx(0.5)  # jitter halves at most


@pytest.mark.parametrize(
    "kwargs",
    [{"max_retries": -1}, {"backoff_base": -0.1}, {"retry_writes": "sometimes"}],
)
def test_policy_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
