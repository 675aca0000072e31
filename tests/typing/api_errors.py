"""hubcrm's errors as users' type checkers see them: the hierarchy and each attribute.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hubcrm import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BulkResult,
    BulkRunError,
    ConflictError,
    DailyLimitError,
    ErrorDetail,
    ForbiddenError,
    HubCRM,
    HubCRMError,
    NotFoundError,
    ObjectInput,
    OutcomeUnknownError,
    RateLimitError,
    RateLimitPauseError,
    RedisLimiterError,
    ResponseParseError,
    SearchCapError,
    ServerError,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type


# The hierarchy: each class is usable where its base is expected.
def construct() -> None:
    detail = ErrorDetail("bad", code="INVALID", in_="email", sub_category=None, context={})
    error = BadRequestError(
        "bad input",
        status=400,
        category="VALIDATION_ERROR",
        errors=[detail],
        context={"email": ["x"]},
        headers={"x-hubspot-correlation-id": "c"},
        method="POST",
        path="/crm/objects/2026-03/contacts",
        body={"status": "error"},
    )
    assert_type(error, BadRequestError)
    assert_type(APITimeoutError("slow", method="GET", path="/", request_sent=True), APITimeoutError)


BASES: list[tuple[type[HubCRMError], type[Exception]]] = [
    (HubCRMError, Exception),
    (APIError, HubCRMError),
    (APIConnectionError, HubCRMError),
    (OutcomeUnknownError, HubCRMError),
    (BulkRunError, HubCRMError),
    (SearchCapError, HubCRMError),
    (RedisLimiterError, HubCRMError),
    (ResponseParseError, HubCRMError),
]
API_ERRORS: list[type[APIError]] = [
    BadRequestError,
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    ConflictError,
    RateLimitError,
    DailyLimitError,
    ServerError,
]
RATE_LIMIT_ERRORS: list[type[RateLimitError]] = [DailyLimitError, RateLimitPauseError]
CONNECTION_ERRORS: list[type[APIConnectionError]] = [APITimeoutError]


def api_error(e: APIError) -> None:
    assert_type(e.status, int)
    assert_type(e.category, str | None)
    assert_type(e.sub_category, str | None)
    assert_type(e.message, str)
    assert_type(e.correlation_id, str | None)
    assert_type(e.errors, tuple[ErrorDetail, ...])
    assert_type(e.context, dict[str, list[str]])
    assert_type(e.headers, dict[str, str])
    assert_type(e.method, str | None)
    assert_type(e.path, str | None)
    assert_type(e.body, dict[str, Any] | None)
    assert_type(e.retry_after, float | None)
    for detail in e.errors:
        assert_type(detail.message, str)
        assert_type(detail.code, str | None)
        assert_type(detail.in_, str | None)
        assert_type(detail.sub_category, str | None)
        assert_type(detail.context, dict[str, list[str]])


def subclasses(
    auth: AuthenticationError, forbidden: ForbiddenError, conflict: ConflictError
) -> None:
    assert_type(auth.expired, bool)
    assert_type(forbidden.required_scopes, tuple[str, ...])
    assert_type(conflict.existing_id, str | None)


def rate_limits(
    limited: RateLimitError, daily: DailyLimitError, pause: RateLimitPauseError
) -> None:
    assert_type(limited.policy_name, str | None)
    assert_type(daily.policy_name, str | None)
    assert_type(daily.retry_after, float | None)
    assert_type(pause.retry_after, float | None)
    assert_type(pause.status, int)


def connection(e: APIConnectionError, timeout: APITimeoutError) -> None:
    assert_type(e.message, str)
    assert_type(e.method, str | None)
    assert_type(e.path, str | None)
    assert_type(e.request_sent, bool)
    assert_type(timeout.request_sent, bool)


def others(
    unknown: OutcomeUnknownError,
    redis: RedisLimiterError,
    parse: ResponseParseError,
    bulk: BulkRunError,
    cap: SearchCapError,
) -> None:
    assert_type(unknown.object_type, str)
    assert_type(unknown.input, ObjectInput | None)
    assert_type(unknown.cause, BaseException | None)
    assert_type(redis.key, str)
    assert_type(parse.field, str | None)
    assert_type(bulk.result, BulkResult)
    assert_type(cap.cap, int)
    assert_type(cap.total, int | None)
    assert_type(SearchCapError("too many", cap=10_000, total=12_345), SearchCapError)
    assert_type(OutcomeUnknownError("contacts", None, cause=None), OutcomeUnknownError)
    assert_type(RedisLimiterError("down", key="acme"), RedisLimiterError)
    assert_type(ResponseParseError("bad", field="id"), ResponseParseError)


def handling(crm: HubCRM) -> str | None:
    try:
        return crm.objects.create("contacts", {"email": "a@example.com"}).id
    except ConflictError as exc:
        assert_type(exc, ConflictError)
        return exc.existing_id
    except OutcomeUnknownError as exc:
        assert_type(exc.input, ObjectInput | None)
        return None
    except RateLimitPauseError as exc:
        assert_type(exc.retry_after, float | None)
        return None
    except APIError as exc:
        assert_type(exc.status, int)
        raise
    except HubCRMError as exc:
        assert_type(exc, HubCRMError)
        raise
