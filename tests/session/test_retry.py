"""The retry decision is a pure function: every write-safety rule, without a network."""

from __future__ import annotations

import json

import pytest

import hubcrm
from hubcrm import APIConnectionError, APITimeoutError, HubCRMError, RateLimitError
from hubcrm._core.error_bodies import error_from_response
from hubcrm._http.ratelimit import held_back
from hubcrm._http.retry import (
    FailureClass,
    RequestKind,
    RetryPolicy,
    backoff,
    classify,
    decide,
)
from hubcrm._write.recovery import send_kind


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
def test_the_loop_never_resends_an_ambiguous_create(error: HubCRMError) -> None:
    for retry_writes in ("safe", "never", "always"):
        policy = RetryPolicy(retry_writes=retry_writes)  # type: ignore[arg-type]
        assert decide(policy, RequestKind.CREATE, error, 0).retry is False


def test_always_sends_a_create_as_an_idempotent_write() -> None:
    # retry_writes is recovery's to read: "always" accepts at-least-once, so a create is
    # sent as a write the loop may resend; the other policies keep it a create.
    assert send_kind(RequestKind.CREATE, RetryPolicy(retry_writes="always")) is RequestKind.UPSERT
    for retry_writes in ("safe", "never"):
        policy = RetryPolicy(retry_writes=retry_writes)  # type: ignore[arg-type]
        assert send_kind(RequestKind.CREATE, policy) is RequestKind.CREATE
    for kind in (RequestKind.READ, RequestKind.UPSERT):
        assert send_kind(kind, RetryPolicy(retry_writes="always")) is kind


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


SHORT = RetryPolicy(rate_limit_deadline=2.0)


def held_back_error() -> HubCRMError:
    """What a limiter raises for a waiter that a pause would hold past its bound."""
    return held_back(3599.5, 2.0)


@pytest.mark.parametrize(
    ("policy", "error", "paused_so_far", "retry", "rate_limited", "wait"),
    [
        # 429 TEN_SECONDLY_ROLLING: Retry-After within what is left is a pause for all.
        (SAFE, api_error(429, TEN_SECONDLY, retry_after="3"), 0.0, True, True, 3.0),
        (SHORT, api_error(429, TEN_SECONDLY, retry_after="2"), 0.0, True, True, 2.0),
        # ... past it: give up at once, but every sender still takes the pause.
        (SHORT, api_error(429, TEN_SECONDLY, retry_after="3600"), 0.0, False, True, 3600.0),
        (SAFE, api_error(429, TEN_SECONDLY, retry_after="3600"), 0.0, False, True, 3600.0),
        (SAFE, api_error(429, TEN_SECONDLY, retry_after="3"), 298.0, False, True, 3.0),
        # No Retry-After: the limiter's window decides (the retrier checks that pause).
        (SHORT, api_error(429, TEN_SECONDLY), 0.0, True, True, None),
        # A limiter's own refusal: nothing was sent, no new pause, never retried.
        (SAFE, held_back_error(), 0.0, False, False, None),
        (SHORT, held_back_error(), 0.0, False, False, None),
        # 423 and 477: Retry-After honoured up to what is left of rate_limit_deadline.
        (SAFE, api_error(477, retry_after="7"), 0.0, True, False, 7.0),
        (SAFE, api_error(423, retry_after="30"), 0.0, True, False, 30.0),
        (SAFE, api_error(477, retry_after="3600"), 0.0, False, False, None),
        (SAFE, api_error(423, retry_after="3600"), 0.0, False, False, None),
        (SHORT, api_error(477, retry_after="7"), 0.0, False, False, None),
        (SAFE, api_error(477, retry_after="7"), 295.0, False, False, None),
        # 5xx (a read: retried) likewise.
        (SAFE, api_error(503, retry_after="3600"), 0.0, False, False, None),
        (SAFE, api_error(503, retry_after="5"), 0.0, True, False, 5.0),
    ],
)
def test_retry_after_is_bounded_by_rate_limit_deadline(
    policy: RetryPolicy,
    error: HubCRMError,
    paused_so_far: float,
    retry: bool,
    rate_limited: bool,
    wait: float | None,
) -> None:
    decision = decide(policy, RequestKind.READ, error, 0, no_jitter, paused_so_far=paused_so_far)
    assert decision.retry is retry
    assert decision.rate_limited is rate_limited
    if retry or rate_limited:
        assert decision.wait == wait
    if not retry:
        assert "rate_limit_deadline" in decision.reason


def test_a_held_back_request_is_not_processed() -> None:
    """The bulk engine reports such inputs as not attempted: they were never sent."""
    error = held_back_error()
    assert isinstance(error, hubcrm.RateLimitPauseError)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 3599.5
    assert classify(error) is FailureClass.NOT_PROCESSED
