"""hubcrm's exceptions read like sentences, carry their fields and survive pickling."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from hubcrm._core.error_bodies import error_from_response
from hubcrm._core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BadRequestError,
    HubCRMError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseParseError,
)
from hubcrm._core.models import Association, ObjectInput

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


# -- str() -----------------------------------------------------------------------------


def test_str_reads_like_a_sentence() -> None:
    error = make(409, hubspot_body("CONFLICT", "Contact already exists. Existing ID: 123"))
    assert str(error) == (
        f"409 CONFLICT on POST {PATH}: Contact already exists. Existing ID: 123 "
        f"(correlation id {CID})"
    )


def test_str_without_request_or_correlation_id() -> None:
    error = error_from_response(404, b'{"message": "gone", "category": "OBJECT_NOT_FOUND"}', {})
    assert str(error) == "404 OBJECT_NOT_FOUND: gone"


def test_direct_construction() -> None:
    error = NotFoundError("gone", status=404, category="OBJECT_NOT_FOUND", correlation_id="c")
    assert str(error) == "404 OBJECT_NOT_FOUND: gone (correlation id c)"
    assert error.errors == ()
    assert error.context == {}
    assert error.headers == {}
    assert error.body is None


# -- transport, outcome, parse errors --------------------------------------------------


def test_connection_errors() -> None:
    error = APIConnectionError("connection refused", method="POST", path=PATH, request_sent=False)
    assert str(error) == f"POST {PATH}: connection refused"
    assert (error.method, error.path, error.message) == ("POST", PATH, "connection refused")
    assert error.request_sent is False
    timeout = APITimeoutError("no response within 30 s")
    assert isinstance(timeout, APIConnectionError)
    assert isinstance(timeout, HubCRMError)
    assert str(timeout) == "no response within 30 s"
    assert timeout.request_sent is True


def test_outcome_unknown() -> None:
    cause = APITimeoutError("no response within 30 s", method="POST", path=PATH)
    obj = ObjectInput({"email": "ada@example.com"})
    error = OutcomeUnknownError("contacts", obj, cause=cause)
    assert error.object_type == "contacts"
    assert error.input is obj
    assert error.cause is cause
    assert error.__cause__ is cause
    message = str(error)
    assert message.startswith(
        "creating a 'contacts' record failed in a way that leaves its outcome unknown: "
        f"POST {PATH}: no response within 30 s. The record may or may not exist in HubSpot"
    )
    assert "id_property" in message
    assert 'retry_writes="always"' in message
    assert "ada@example.com" not in message  # property values are personal data


def test_outcome_unknown_says_what_hubcrm_did() -> None:
    cause = APITimeoutError("no response within 30 s", method="POST", path=PATH)
    obj = ObjectInput({"email": "ada@example.com"})
    settled = OutcomeUnknownError("contacts", obj, cause=cause, retried=True)
    assert (settled.operation, settled.retried) == ("create", True)
    assert "hubcrm tried to settle it" in str(settled)
    assert "did not retry" not in str(settled)
    assert "retry_writes" not in str(settled)  # no advice to do what was done
    update = OutcomeUnknownError("contacts", obj, cause=cause, operation="update")
    assert str(update).startswith("updating a 'contacts' record failed")
    assert "An update is safe to send again." in str(update)
    assert "did not retry" not in str(update)
    for error in (settled, update):
        assert "ada@example.com" not in str(error)


def test_response_parse_error() -> None:
    error = ResponseParseError("could not read", field="createdAt")
    assert isinstance(error, HubCRMError)
    assert error.field == "createdAt"
    assert str(error) == "could not read"


# -- pickling --------------------------------------------------------------------------


HTML_502 = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title>
<style>body { color: red; }</style><script>var x = "<b>";</script></head>
<body><h1>Bad&nbsp;Gateway</h1><p>The server returned an invalid response.</p></body></html>"""


def roundtrip(error: HubCRMError) -> Any:
    return pickle.loads(pickle.dumps(error))


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, hubspot_body("VALIDATION_ERROR", "bad", errors=[{"message": "m", "in": "x"}])),
        (401, hubspot_body("EXPIRED_AUTHENTICATION", "expired")),
        (403, hubspot_body("MISSING_SCOPES", "no", context={"requiredGranularScopes": ["a"]})),
        (404, hubspot_body("OBJECT_NOT_FOUND", "gone")),
        (409, hubspot_body("CONFLICT", "Contact already exists. Existing ID: 9")),
        (429, {"message": "daily", "errorType": "RATE_LIMIT", "policyName": "DAILY"}),
        (502, HTML_502),
    ],
)
def test_api_errors_survive_pickle(status: int, body: Any) -> None:
    error = make(status, body, {"Retry-After": "2"})
    copy = roundtrip(error)
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


def test_pickled_subclass_attributes_survive() -> None:
    conflict = roundtrip(make(409, hubspot_body("CONFLICT", "Existing ID: 9")))
    assert conflict.existing_id == "9"
    daily = roundtrip(make(429, {"policyName": "DAILY"}))
    assert daily.policy_name == "DAILY"
    forbidden = roundtrip(make(403, {"context": {"requiredGranularScopes": ["s"]}}))
    assert forbidden.required_scopes == ("s",)


def test_other_errors_survive_pickle() -> None:
    timeout = APITimeoutError("slow", method="POST", path=PATH, request_sent=False)
    copy = roundtrip(timeout)
    assert type(copy) is APITimeoutError
    assert (str(copy), copy.method, copy.path, copy.request_sent) == (
        str(timeout),
        "POST",
        PATH,
        False,
    )

    obj = ObjectInput({"a": 1}, associations=[Association("1", 279)], object_write_trace_id="t")
    unknown = OutcomeUnknownError("contacts", obj, cause=timeout)
    copy = roundtrip(unknown)
    assert str(copy) == str(unknown)
    assert copy.input == obj
    assert copy.object_type == "contacts"
    assert type(copy.cause) is APITimeoutError
    assert copy.__cause__ is copy.cause

    parse = roundtrip(ResponseParseError("bad", field="id"))
    assert (str(parse), parse.field) == ("bad", "id")


def test_a_validation_error_is_logged_without_the_values_it_quotes() -> None:
    failed = [
        {"isValid": False, "message": "Email address ada@x is invalid", "error": "INVALID_EMAIL",
         "name": "email"},
        {"isValid": False, "message": "4,2 was not a valid number", "error": "INVALID_DOUBLE",
         "name": "amount"},
    ]  # fmt: skip
    message = "Property values were not valid: " + json.dumps(failed)
    body = {"status": "error", "category": "VALIDATION_ERROR", "message": message}
    error = error_from_response(400, json.dumps(body).encode(), {}, method="POST", path=PATH)
    assert isinstance(error, BadRequestError)
    shown = str(error)
    assert "Property values were not valid: email (INVALID_EMAIL), amount (INVALID_DOUBLE)" in shown
    assert "ada@x" not in shown
    assert "4,2" not in shown
    assert error.message == message  # HubSpot's whole text stays on the error


def test_an_unreadable_list_of_failed_values_is_not_shown_at_all() -> None:
    body = {"category": "VALIDATION_ERROR", "message": "Property values were not valid: [ada@x"}
    error = error_from_response(400, json.dumps(body).encode(), {})
    assert "ada@x" not in str(error)
    assert "the values are in the error's message" in str(error)
