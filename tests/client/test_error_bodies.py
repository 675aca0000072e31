"""HubSpot's error bodies are read defensively into the exception for their status."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hubcrm._core.error_bodies import error_from_response
from hubcrm._core.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DailyLimitError,
    ErrorDetail,
    ForbiddenError,
    HubCRMError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

CID = "3f2c1a9e-0b7d-4e55-9a1c-5e2f8b7d6c4a"
PATH = "/crm/objects/2026-03/contacts"


def make(status: int, body: Any, headers: dict[str, str] | None = None) -> APIError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return error_from_response(status, raw, headers or {}, method="POST", path=PATH)


def hubspot_body(category: str | None, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": CID}
    if category is not None:
        body["category"] = category
    body.update(extra)
    return body


# -- status mapping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (521, ServerError),
        (523, ServerError),
        (524, ServerError),
        (599, ServerError),
        (405, APIError),
        (418, APIError),
        (423, APIError),
        (477, APIError),
        (600, APIError),
    ],
)
def test_status_picks_the_exception_class(status: int, cls: type[APIError]) -> None:
    error = make(status, hubspot_body("SOME_CATEGORY", "went wrong"))
    assert type(error) is cls
    assert isinstance(error, APIError)
    assert isinstance(error, HubCRMError)
    assert error.status == status


def test_common_fields_are_read_from_the_body() -> None:
    body = hubspot_body(
        "VALIDATION_ERROR",
        'Property values were not valid: [{"isValid":false,"message":"Property \\"missing\\" '
        'does not exist","error":"PROPERTY_DOESNT_EXIST","name":"missing"}]',
        subCategory="PropertyError.DOESNT_EXIST",
        context={"propertyName": ["missing"], "single": "value"},
        errors=[
            {
                "message": 'Property "missing" does not exist',
                "code": "PROPERTY_DOESNT_EXIST",
                "in": "missing",
                "subCategory": "X",
                "context": {"propertyName": ["missing"]},
            }
        ],
        links={"docs": "https://developers.hubspot.com"},
    )
    error = make(400, body, {"X-HubSpot-Correlation-Id": "from-header", "Content-Type": "json"})
    assert isinstance(error, BadRequestError)
    assert error.category == "VALIDATION_ERROR"
    assert error.sub_category == "PropertyError.DOESNT_EXIST"
    assert error.message == body["message"]
    assert error.correlation_id == CID  # the body wins over the header
    assert error.context == {"propertyName": ["missing"], "single": ["value"]}
    assert error.errors == (
        ErrorDetail(
            message='Property "missing" does not exist',
            code="PROPERTY_DOESNT_EXIST",
            in_="missing",
            sub_category="X",
            context={"propertyName": ["missing"]},
        ),
    )
    assert error.headers == {"x-hubspot-correlation-id": "from-header", "content-type": "json"}
    assert error.method == "POST"
    assert error.path == PATH
    assert error.body == body


def test_correlation_id_falls_back_to_the_header() -> None:
    body = {"status": "error", "message": "nope", "category": "OBJECT_NOT_FOUND"}
    error = make(404, body, {"x-hubspot-correlation-id": "hdr-123"})
    assert error.correlation_id == "hdr-123"
    assert str(error).endswith("(correlation id hdr-123)")


def test_unknown_object_type_without_category() -> None:
    error = make(400, hubspot_body(None, "Unable to infer object type from: foo"))
    assert isinstance(error, BadRequestError)
    assert error.category is None
    assert (
        str(error)
        == f"400 on POST {PATH}: Unable to infer object type from: foo (correlation id {CID})"
    )


# -- 401 / 403 -------------------------------------------------------------------------


def test_bad_token() -> None:
    error = make(
        401, hubspot_body("INVALID_AUTHENTICATION", "Authentication credentials not found.")
    )
    assert isinstance(error, AuthenticationError)
    assert error.category == "INVALID_AUTHENTICATION"
    assert error.expired is False


def test_expired_oauth_token() -> None:
    message = "The OAuth token used to make this call expired 12 second(s) ago."
    error = make(401, hubspot_body("EXPIRED_AUTHENTICATION", message))
    assert isinstance(error, AuthenticationError)
    assert error.expired is True
    assert error.message == message
    assert (
        str(error) == f"401 EXPIRED_AUTHENTICATION on POST {PATH}: {message} (correlation id {CID})"
    )


def test_forbidden_lists_required_scopes_from_errors_and_context() -> None:
    body = hubspot_body(
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": ["crm.objects.contacts.write", "crm.x"]},
            }
        ],
        context={"requiredGranularScopes": ["crm.x", "crm.objects.companies.write"]},
    )
    error = make(403, body)
    assert isinstance(error, ForbiddenError)
    assert error.required_scopes == (
        "crm.objects.contacts.write",
        "crm.x",
        "crm.objects.companies.write",
    )


def test_forbidden_without_scopes() -> None:
    error = make(403, hubspot_body("MISSING_SCOPES", "no"))
    assert isinstance(error, ForbiddenError)
    assert error.required_scopes == ()


# -- 409 -------------------------------------------------------------------------------


def test_conflict_classic_shape() -> None:
    error = make(409, hubspot_body("CONFLICT", "Contact already exists. Existing ID: 37765128953"))
    assert isinstance(error, ConflictError)
    assert error.category == "CONFLICT"
    assert error.existing_id == "37765128953"


def test_conflict_object_already_exists_shape() -> None:
    body = hubspot_body(
        "OBJECT_ALREADY_EXISTS",
        "Contact already exists. Existing ID: 512",
        errors=[{"message": "Contact already exists. Existing ID: 512", "in": "email"}],
    )
    error = make(409, body)
    assert isinstance(error, ConflictError)
    assert error.category == "OBJECT_ALREADY_EXISTS"
    assert error.errors[0].in_ == "email"
    assert error.existing_id == "512"


def test_conflict_id_only_in_errors_message() -> None:
    body = hubspot_body(
        "OBJECT_ALREADY_EXISTS",
        "A record with this value already exists.",
        errors=[{"message": "existing object id: 77", "in": "email"}],
    )
    assert make(409, body).existing_id == "77"  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", ["id", "existingId", "objectId"])
def test_conflict_id_in_top_level_context(key: str) -> None:
    body = hubspot_body("OBJECT_ALREADY_EXISTS", "Already exists.", context={key: ["901"]})
    assert make(409, body).existing_id == "901"  # type: ignore[attr-defined]


def test_conflict_id_in_errors_context() -> None:
    body = hubspot_body(
        "OBJECT_ALREADY_EXISTS",
        "Already exists.",
        errors=[{"message": "duplicate", "in": "email", "context": {"existingId": ["44"]}}],
    )
    assert make(409, body).existing_id == "44"  # type: ignore[attr-defined]


def test_conflict_without_an_id() -> None:
    error = make(409, hubspot_body("CONFLICT", "Something conflicts."))
    assert isinstance(error, ConflictError)
    assert error.existing_id is None


# -- 429 -------------------------------------------------------------------------------


def test_ten_secondly_rate_limit() -> None:
    body = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": CID,
        "policyName": "TEN_SECONDLY_ROLLING",
        "groupName": "publicapi:private-app-api-calls-ten-secondly:1234",
    }
    error = make(429, body)
    assert type(error) is RateLimitError
    assert error.category == "RATE_LIMIT"
    assert error.policy_name == "TEN_SECONDLY_ROLLING"
    assert error.retry_after is None
    assert str(error) == (
        f"429 RATE_LIMIT on POST {PATH}: You have reached your ten_secondly_rolling limit. "
        f"(correlation id {CID})"
    )


def test_daily_rate_limit_is_its_own_class() -> None:
    body = {
        "status": "error",
        "message": "You have reached your daily limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": CID,
        "policyName": "DAILY",
    }
    error = make(429, body)
    assert type(error) is DailyLimitError
    assert isinstance(error, RateLimitError)
    assert error.policy_name == "DAILY"


def test_secondly_search_limit_has_no_policy_name() -> None:
    error = make(429, {"status": "error", "message": "You have reached your secondly limit."})
    assert type(error) is RateLimitError
    assert error.policy_name is None
    assert error.category is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0.5", 0.5), (" 10 ", 10.0), ("soon", None), ("-1", None), ("nan", None)],
)
def test_retry_after_header(header: str, expected: float | None) -> None:
    error = make(429, hubspot_body(None, "slow down"), {"Retry-After": header})
    assert error.retry_after == expected


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    error = make(
        477, hubspot_body(None, "migrating"), {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    assert error.retry_after == 0.0


def test_retry_after_on_other_statuses() -> None:
    error = make(477, hubspot_body("MIGRATION", "Migration in progress"), {"retry-after": "7"})
    assert type(error) is APIError
    assert error.retry_after == 7.0


# -- unreadable bodies -----------------------------------------------------------------

HTML_502 = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title>
<style>body { color: red; }</style><script>var x = "<b>";</script></head>
<body><h1>Bad&nbsp;Gateway</h1><p>The server returned an invalid response.</p></body></html>"""


def test_html_502_page() -> None:
    error = make(502, HTML_502, {"x-hubspot-correlation-id": "edge-1"})
    assert isinstance(error, ServerError)
    assert error.category is None
    assert error.body is None
    assert error.message == (
        "HubSpot returned a non-JSON error body: "
        "'502 Bad Gateway Bad Gateway The server returned an invalid response.'"
    )
    assert str(error) == f"502 on POST {PATH}: {error.message} (correlation id edge-1)"


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body(body: bytes) -> None:
    error = make(503, body)
    assert isinstance(error, ServerError)
    assert error.message == "HubSpot returned an empty error body"
    assert str(error) == f"503 on POST {PATH}: HubSpot returned an empty error body"


def test_invalid_utf8_body() -> None:
    error = make(500, b"\xff\xfe\xfaoops \xc3")
    assert isinstance(error, ServerError)
    assert error.message.startswith("HubSpot returned a non-JSON error body: '")
    assert "oops" in error.message


def test_long_garbage_is_truncated() -> None:
    error = make(500, b"x" * 100_000)
    snippet = error.message.split(": ", 1)[1]
    assert len(snippet) == 202  # 200 characters and the quotes
    assert snippet.endswith("\u2026'")


def test_body_of_only_tags() -> None:
    error = make(502, b"<html><body></body></html>")
    assert error.message == "HubSpot returned a non-JSON error body with no readable text"


@pytest.mark.parametrize(
    ("body", "shown"),
    [(b"[1, 2]", "'[1, 2]'"), (b'"oops"', "'\"oops\"'"), (b"null", "'null'"), (b"42", "'42'")],
)
def test_json_that_is_not_an_object(body: bytes, shown: str) -> None:
    error = make(500, body)
    assert error.message == f"HubSpot returned an error body that is not a JSON object: {shown}"
    assert error.body is None


def test_deeply_nested_json_is_treated_as_garbage() -> None:
    error = make(500, b"[" * 100_000)
    assert error.message.startswith("HubSpot returned a non-JSON error body")


# -- wrong types are tolerated ---------------------------------------------------------


def test_every_field_is_optional() -> None:
    error = make(404, {})
    assert isinstance(error, NotFoundError)
    assert error.message == "Not Found"
    assert error.category is None
    assert error.correlation_id is None
    assert str(error) == f"404 on POST {PATH}: Not Found"


def test_unknown_status_without_message() -> None:
    assert make(477, {}).message == "HTTP 477"


def test_wrong_types_are_tolerated() -> None:
    body = {
        "message": {"nested": True},
        "category": 7,
        "subCategory": ["x"],
        "correlationId": 12,
        "context": {"a": [1, None, "s"], "b": 2.5, "c": None},
        "errors": [{"message": 5, "code": [], "in": {}, "context": "nope"}, "plain", 3],
        "policyName": ["DAILY"],
    }
    error = make(429, body)
    assert type(error) is RateLimitError
    assert error.message == '{"nested": true}'
    assert error.category is None
    assert error.sub_category is None
    assert error.correlation_id is None
    assert error.context == {"a": ["1", "null", "s"], "b": ["2.5"]}
    assert error.errors == (ErrorDetail(message=""), ErrorDetail(message="plain"))
    assert error.policy_name is None


@pytest.mark.parametrize("errors", [{"message": "x"}, "x", None])
def test_errors_that_are_not_a_list(errors: object) -> None:
    assert make(400, {"message": "m", "errors": errors}).errors == ()


def test_context_that_is_not_a_mapping() -> None:
    assert make(400, {"message": "m", "context": ["a"]}).context == {}
