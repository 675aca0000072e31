"""Fidelity to HubSpot's 2026-03 schemas (issue 15, class F), and admin input hardening.

Each test here fails against the emulator as it was before the fix it covers: 207 error
entries without ``links``, token answers without ``token_use``, daily rate-limit headers
on OAuth calls, companies needing a name or domain, JSON-only 404s, Python error text
from the admin endpoints, emails holding NUL or half a surrogate pair, and upserts with
a blank id.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubcrm.testing import Emulator
from hubcrm.testing.__main__ import build_parser

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
JSON_TYPE = "application/json"

# The settings of issue 13 (unique-value refusals, upsert trace ids), at their defaults.
READ_BACK_DEFAULTS = {
    "unique_refusal": "409",
    "upsert_trace_ids": True,
    "clock_skew": 0.0,
    "search_delay": 0.0,
}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
async def http(emu: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {emu.token}"}
    async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as session:
        yield session


async def send(
    http: aiohttp.ClientSession, path: str, body: Any = None, *, method: str = "POST"
) -> tuple[int, Any, Any]:
    """Send ``body`` (JSON, or raw bytes as ``application/json``); the body read as JSON."""
    if isinstance(body, bytes):
        kwargs: dict[str, Any] = {"data": body, "headers": {"Content-Type": JSON_TYPE}}
    elif body is None:
        kwargs = {}
    else:
        kwargs = {"json": body}
    async with http.request(method, path, **kwargs) as response:
        raw = await response.read()
        return response.status, json.loads(raw) if raw else None, response.headers


# --- 207 error entries carry links --------------------------------------------------------


async def test_batch_create_error_entries_carry_links(http: aiohttp.ClientSession) -> None:
    inputs = [
        {"properties": {"email": "ok@example.com"}, "objectWriteTraceId": "a"},
        {"properties": {"missing": "x"}, "objectWriteTraceId": "b"},
        {"properties": {"email": "not an email"}, "objectWriteTraceId": "c"},
    ]
    status, body, _ = await send(http, f"{V}/contacts/batch/create", {"inputs": inputs})
    assert status == 207
    assert body["numErrors"] == 2
    for entry in body["errors"]:
        # HubSpot's StandardError: links is a map of string -> string
        assert isinstance(entry["links"], dict)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in entry["links"].items())
        assert set(entry) >= {"status", "category", "message", "context", "errors", "links"}


async def test_batch_upsert_error_entries_carry_links(http: aiohttp.ClientSession) -> None:
    inputs = [
        {"id": "a@example.com", "idProperty": "email", "properties": {}, "objectWriteTraceId": "a"},
        {"id": "999", "properties": {"firstname": "X"}, "objectWriteTraceId": "b"},
    ]
    status, body, _ = await send(http, f"{V}/contacts/batch/upsert", {"inputs": inputs})
    assert status == 207
    [entry] = body["errors"]
    assert entry["category"] == "OBJECT_NOT_FOUND"
    assert entry["links"] == {}


# --- the OAuth token answer --------------------------------------------------------------


def grant(refresh_token: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": "secret",
        "refresh_token": refresh_token,
    }


@pytest.mark.parametrize("path", ["/oauth/2026-03/token", "/oauth/v1/token"])
async def test_token_answer_carries_token_use_hub_id_and_scopes(path: str) -> None:
    async with Emulator(portal_id=424242) as emu, aiohttp.ClientSession() as session:
        refresh_token = emu.register_oauth_app("cid", "secret")
        async with session.post(emu.base_url + path, data=grant(refresh_token)) as response:
            assert response.status == 200
            body = await response.json()
    assert body["token_use"] == "access_token"  # required by the 2026-03 schema
    assert body["token_type"] == "bearer"
    assert body["hub_id"] == 424242
    assert isinstance(body["scopes"], list)
    assert "oauth" in body["scopes"]
    assert all(isinstance(s, str) for s in body["scopes"])
    assert "user_id" not in body  # an app-level token names no user


async def test_token_answer_names_the_registered_scopes_and_user() -> None:
    async with Emulator() as emu, aiohttp.ClientSession() as session:
        refresh_token = emu.register_oauth_app(
            "cid", "secret", scopes=["crm.objects.deals.write"], user_id=7
        )
        url = emu.base_url + "/oauth/2026-03/token"
        async with session.post(url, data=grant(refresh_token)) as response:
            body = await response.json()
    assert body["scopes"] == ["crm.objects.deals.write"]
    assert body["user_id"] == 7
    assert body["hub_id"] == emu.portal_id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scopes": "oauth"}, "scopes"),
        ({"scopes": ["oauth", ""]}, "scopes"),
        ({"user_id": "7"}, "user_id"),
        ({"user_id": True}, "user_id"),
    ],
)
def test_register_oauth_app_checks_scopes_and_user_id(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator().register_oauth_app("cid", "secret", **kwargs)


# --- no daily rate-limit headers for OAuth apps ------------------------------------------


async def test_daily_headers_only_for_private_apps() -> None:
    async with Emulator(daily_limit=3) as emu, aiohttp.ClientSession() as session:
        refresh_token = emu.register_oauth_app("cid", "secret")
        url = emu.base_url + "/oauth/2026-03/token"
        async with session.post(url, data=grant(refresh_token)) as response:
            access_token = (await response.json())["access_token"]

        async def create(token: str) -> tuple[int, Any, Any]:
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(
                f"{emu.base_url}{V}/contacts", json={"properties": {}}, headers=headers
            ) as response:
                return response.status, await response.json(), response.headers

        status, _, headers = await create(emu.token)
        assert status == 201
        assert headers["X-HubSpot-RateLimit-Daily"] == "3"
        assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == "2"

        status, _, headers = await create(access_token)
        assert status == 201
        assert "X-HubSpot-RateLimit-Max" in headers  # the burst headers stay
        assert not [h for h in headers if h.lower().startswith("x-hubspot-ratelimit-daily")]

        # the account's daily cap still counts and refuses OAuth calls
        assert (await create(emu.token))[0] == 201
        status, body, headers = await create(access_token)
        assert status == 429
        assert body["policyName"] == "DAILY"
        assert not [h for h in headers if h.lower().startswith("x-hubspot-ratelimit-daily")]


# --- companies: neither name nor domain is required (by default) -------------------------


async def test_company_needs_neither_name_nor_domain(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    for props in ({}, {"industry": "RETAIL"}, {"name": ""}):
        status, body, _ = await send(http, f"{V}/companies", {"properties": props})
        assert status == 201, body
    assert emu.count("companies") == 3
    assert emu.object_type("companies").required_one_of == ()
    assert emu.settings["require_company_domain_or_name"] is False


async def test_company_domain_or_name_requirement_as_an_option() -> None:
    async with Emulator(rate_limit=None, require_company_domain_or_name=True) as emu:
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            status, body, _ = await send(
                http, f"{V}/companies", {"properties": {"industry": "RETAIL"}}
            )
            assert status == 400
            assert body["category"] == "VALIDATION_ERROR"
            assert [e["code"] for e in body["errors"]] == ["MISSING_REQUIRED_PROPERTY"]
            assert body["errors"][0]["context"]["propertyName"] == ["domain"]
            for props in ({"domain": "example.com"}, {"name": "Example"}):
                status, _, _ = await send(http, f"{V}/companies", {"properties": props})
                assert status == 201
            assert emu.object_type("companies").required_one_of == ("domain", "name")

            emu.configure(require_company_domain_or_name=False)
            assert (await send(http, f"{V}/companies", {"properties": {}}))[0] == 201
            emu.configure(require_company_domain_or_name=True)
            assert (await send(http, f"{V}/companies", {"properties": {}}))[0] == 400
            emu.reset()  # a reset keeps settings
            assert (await send(http, f"{V}/companies", {"properties": {}}))[0] == 400
        assert emu.count("companies") == 0


async def test_company_requirement_in_a_batch() -> None:
    async with Emulator(rate_limit=None, require_company_domain_or_name=True) as emu:
        headers = {"Authorization": f"Bearer {emu.token}"}
        inputs = [
            {"properties": {"name": "A"}, "objectWriteTraceId": "a"},
            {"properties": {"industry": "RETAIL"}, "objectWriteTraceId": "b"},
        ]
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            status, body, _ = await send(http, f"{V}/companies/batch/create", {"inputs": inputs})
        assert status == 207
        assert body["errors"][0]["context"]["objectWriteTraceId"] == ["b"]
        assert emu.count("companies") == 1


# --- 404s to GETs: JSON, empty or HTML ----------------------------------------------------


async def get_raw(http: aiohttp.ClientSession, path: str) -> tuple[int, bytes, Any]:
    async with http.get(path) as response:
        return response.status, await response.read(), response.headers


async def test_not_found_body_is_json_by_default(http: aiohttp.ClientSession) -> None:
    status, raw, headers = await get_raw(http, f"{V}/contacts/424242")
    assert status == 404
    assert headers["Content-Type"].startswith(JSON_TYPE)
    assert json.loads(raw)["category"] == "OBJECT_NOT_FOUND"


@pytest.mark.parametrize("path", [f"{V}/contacts/424242"])
async def test_not_found_body_empty(path: str) -> None:
    async with Emulator(rate_limit=None, not_found_body="empty") as emu:
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            status, raw, response_headers = await get_raw(http, path)
        assert status == 404
        assert raw == b""
        assert "x-hubspot-correlation-id" in response_headers
        assert emu.stats.responses_by_status == {404: 1}


@pytest.mark.parametrize("path", [f"{V}/contacts/424242"])
async def test_not_found_body_html(path: str) -> None:
    async with Emulator(rate_limit=None, not_found_body="html") as emu:
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            status, raw, response_headers = await get_raw(http, path)
    assert status == 404
    assert response_headers["Content-Type"].startswith("text/html")
    assert raw.startswith(b"<!DOCTYPE html>")
    assert b"404 Not Found" in raw


@pytest.mark.parametrize("style", ["empty", "html"])
async def test_unserved_endpoints_answer_an_honest_json_404_whatever_the_setting(
    style: str,
) -> None:
    # An endpoint the emulator does not serve is not "a record not found": whatever the
    # 404 style for reads, it says so in JSON, never OBJECT_NOT_FOUND.
    async with Emulator(rate_limit=None, not_found_body=style) as emu:  # type: ignore[arg-type]
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            for path in ("/crm/nothing/here", "/crm/lists/2026-03/folders"):
                status, raw, response_headers = await get_raw(http, path)
                assert status == 404
                assert response_headers["Content-Type"].startswith(JSON_TYPE)
                body = json.loads(raw)
                assert body["category"] == "NOT_EMULATED"
                assert "not emulated" in body["message"]
                assert path in body["message"]


async def test_not_found_body_only_changes_gets(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.configure(not_found_body="html")
    # a POST to an unknown path, and an upsert of a missing id, keep HubSpot's JSON
    status, body, _ = await send(http, "/crm/nothing/here", {})
    assert status == 404
    assert body["status"] == "error"
    status, body, _ = await send(
        http, f"{V}/contacts/batch/upsert", {"inputs": [{"id": "999", "properties": {}}]}
    )
    assert status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"
    # a record that exists reads as usual
    status, body, _ = await send(http, f"{V}/contacts", {"properties": {}})
    status, body, _ = await send(http, f"{V}/contacts/{body['id']}", method="GET")
    assert status == 200


async def test_not_found_body_at_runtime_and_with_a_late_answer(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.configure(not_found_body="empty")
    assert emu.settings["not_found_body"] == "empty"
    assert (await get_raw(http, f"{V}/contacts/1"))[1] == b""
    # a read that a timeout_after fault holds back still answers the configured way
    emu.faults.timeout_after(0.05, operation="read")
    status, raw, _ = await get_raw(http, f"{V}/contacts/1")
    assert (status, raw) == (404, b"")
    emu.configure(not_found_body="json")
    status, raw, _ = await get_raw(http, f"{V}/contacts/1")
    assert status == 404
    assert json.loads(raw)["category"] == "OBJECT_NOT_FOUND"


@pytest.mark.hubspot_emulator(not_found_body="html", require_company_domain_or_name=True)
def test_the_pytest_marker_passes_the_settings(hubspot_emulator: Emulator) -> None:
    assert hubspot_emulator.settings == {
        "not_found_body": "html",
        "require_company_domain_or_name": True,
        **READ_BACK_DEFAULTS,
        "search_delay": 3.0,  # the fixture's own default
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"not_found_body": "xml"},
        {"not_found_body": None},
        {"require_company_domain_or_name": "yes"},
        {"require_company_domain_or_name": 1},
    ],
)
def test_settings_are_checked(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Emulator(**kwargs)
    emu = Emulator()
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        emu.configure(**kwargs)
    assert emu.settings == {
        "not_found_body": "json",
        "require_company_domain_or_name": False,
        **READ_BACK_DEFAULTS,
    }


def test_command_line_flags() -> None:
    args = build_parser().parse_args([])
    assert (args.not_found_body, args.require_company_domain_or_name) == ("json", False)
    args = build_parser().parse_args(
        ["--not-found-body", "empty", "--require-company-domain-or-name"]
    )
    assert (args.not_found_body, args.require_company_domain_or_name) == ("empty", True)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--not-found-body", "xml"])


def test_standalone_process_takes_the_flags() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hubcrm.testing",
            "--port",
            "0",
            "--not-found-body",
            "html",
            "--require-company-domain-or-name",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert " listening on " in line, line
        base_url = line.split(" on ", 1)[1].strip()

        async def read_settings() -> Any:
            async with (
                aiohttp.ClientSession() as session,
                session.get(base_url + "/_emulator/settings") as response,
            ):
                return await response.json()

        assert asyncio.run(read_settings()) == {
            "not_found_body": "html",
            "require_company_domain_or_name": True,
            **READ_BACK_DEFAULTS,
        }
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0


async def test_settings_admin_endpoint(emu: Emulator) -> None:
    async with aiohttp.ClientSession(base_url=emu.base_url) as admin:
        status, body, _ = await send(admin, "/_emulator/settings", method="GET")
        assert (status, body) == (
            200,
            {
                "not_found_body": "json",
                "require_company_domain_or_name": False,
                **READ_BACK_DEFAULTS,
            },
        )
        status, body, _ = await send(
            admin,
            "/_emulator/settings",
            {"not_found_body": "empty", "require_company_domain_or_name": True},
        )
        assert status == 200
        assert body == {
            "not_found_body": "empty",
            "require_company_domain_or_name": True,
            **READ_BACK_DEFAULTS,
        }
        status, body, _ = await send(admin, "/_emulator/settings", {"not_found_body": "html"})
        assert body == {
            "not_found_body": "html",
            "require_company_domain_or_name": True,
            **READ_BACK_DEFAULTS,
        }
    assert emu.settings == body
    assert emu.object_type("companies").required_one_of == ("domain", "name")


# --- admin endpoints: bad input is a JSON 400 ---------------------------------------------

# Python's own wording: none of it may reach an admin client
PYTHON_TEXT = re.compile(
    r"Traceback|not supported between|unexpected keyword|required (keyword|positional)|"
    r"object of type|__init__|NoneType|Exceeds the limit|recursion|unhashable|"
    r"has no attribute|invalid literal|could not convert",
    re.I,
)
FAULTS = "/_emulator/faults"
RATE_LIMIT = "/_emulator/rate-limit"
SETTINGS = "/_emulator/settings"
INVALID_JSON: list[bytes] = [
    b"",
    b"{",
    b"nope",
    b"[1, 2",
    b'{"kind": NaN}',
    b'{"kind": Infinity}',
    b"\xff\xfe",
    b"[" * 50_000 + b"]" * 50_000,
    b'{"daily_limit": ' + b"9" * 5_000 + b"}",
]
# (path, body): a JSON value, or raw bytes for what json.dumps cannot write (1e400, a
# valid JSON number that Python reads as infinity)
BAD_BODIES: list[tuple[str, Any]] = [
    # faults: wrong types, missing fields, unknown fields
    (FAULTS, {}),
    (FAULTS, {"kind": None}),
    (FAULTS, {"kind": 3}),
    (FAULTS, {"kind": ["latency"]}),
    (FAULTS, {"kind": {"a": 1}}),
    (FAULTS, {"kind": "nope"}),
    (FAULTS, {"kind": "latency", "bogus": 1}),
    (FAULTS, {"kind": "latency", "delay": "x"}),
    (FAULTS, {"kind": "latency", "delay": -1}),
    (FAULTS, b'{"kind": "latency", "delay": 1e400}'),
    (FAULTS, {"kind": "latency", "delay": [1]}),
    (FAULTS, {"kind": "latency", "times": "x"}),
    (FAULTS, {"kind": "latency", "times": 0}),
    (FAULTS, {"kind": "latency", "times": 1.5}),
    (FAULTS, {"kind": "latency", "times": True}),
    (FAULTS, {"kind": "latency", "probability": "0.5"}),
    (FAULTS, {"kind": "latency", "probability": 2}),
    (FAULTS, {"kind": "latency", "probability": 0.5, "times": 2}),
    (FAULTS, {"kind": "error_before", "status": "502"}),
    (FAULTS, {"kind": "error_before", "status": 99}),
    (FAULTS, {"kind": "error_before", "status": 502.5}),
    (FAULTS, b'{"kind": "error_before", "status": 1e400}'),
    (FAULTS, {"kind": "error_before", "retry_after": "soon"}),
    (FAULTS, {"kind": "error_before", "retry_after": -3}),
    (FAULTS, {"kind": "error_before", "html": "yes"}),
    (FAULTS, {"kind": "error_before", "operation": "delete"}),
    (FAULTS, {"kind": "error_before", "operation": ["create"]}),
    (FAULTS, {"kind": "error_before", "object_type": 5}),
    (FAULTS, {"kind": "error_before", "object_type": ["contacts"]}),
    (FAULTS, {"clear": False}),
    (FAULTS, {"clear": True, "kind": "latency"}),
    (FAULTS, [1]),
    (FAULTS, [{"kind": "latency"}, "x"]),
    (FAULTS, [{"kind": "latency"}, {"kind": "latency", "delay": None, "times": -1}]),
    (FAULTS, "latency"),
    (FAULTS, 7),
    (FAULTS, None),
    # rate-limit
    (RATE_LIMIT, []),
    (RATE_LIMIT, "x"),
    (RATE_LIMIT, None),
    (RATE_LIMIT, {"bogus": 1}),
    (RATE_LIMIT, {"rate_limit": "10/1"}),
    (RATE_LIMIT, {"rate_limit": [10]}),
    (RATE_LIMIT, {"rate_limit": [10, 1, 1]}),
    (RATE_LIMIT, {"rate_limit": ["10", 1]}),
    (RATE_LIMIT, {"rate_limit": [0, 1]}),
    (RATE_LIMIT, {"rate_limit": [1.5, 1]}),
    (RATE_LIMIT, {"rate_limit": [True, 1]}),
    (RATE_LIMIT, {"rate_limit": [10, 0]}),
    (RATE_LIMIT, {"rate_limit": [10, -1]}),
    (RATE_LIMIT, b'{"rate_limit": [1e400, 1]}'),
    (RATE_LIMIT, b'{"rate_limit": [10, 1e400]}'),
    (RATE_LIMIT, {"rate_limit": {"N": 10}}),
    (RATE_LIMIT, {"daily_limit": "10"}),
    (RATE_LIMIT, {"daily_limit": -1}),
    (RATE_LIMIT, {"daily_limit": 1.5}),
    (RATE_LIMIT, {"daily_limit": True}),
    (RATE_LIMIT, b'{"daily_limit": 1e400}'),
    (RATE_LIMIT, {"rate_limit": [10, 1], "daily_limit": "x"}),
    # settings
    (SETTINGS, []),
    (SETTINGS, None),
    (SETTINGS, {"bogus": 1}),
    (SETTINGS, {"not_found_body": "xml"}),
    (SETTINGS, {"not_found_body": None}),
    (SETTINGS, {"not_found_body": ["html"]}),
    (SETTINGS, {"require_company_domain_or_name": "true"}),
    (SETTINGS, {"require_company_domain_or_name": 1}),
    (SETTINGS, {"not_found_body": "html", "require_company_domain_or_name": None}),
]


def assert_admin_400(status: int, body: Any, headers: Any) -> None:
    assert status == 400, body
    assert headers["Content-Type"].startswith(JSON_TYPE)
    assert set(body) == {"status", "message"}
    assert body["status"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert not PYTHON_TEXT.search(body["message"]), body["message"]


async def admin_state(emu: Emulator) -> Any:
    return (emu.faults.rules, emu.settings, emu.stats)


@pytest.mark.parametrize(("path", "body"), BAD_BODIES)
async def test_admin_wrong_bodies_are_json_400s(emu: Emulator, path: str, body: Any) -> None:
    before = await admin_state(emu)
    async with aiohttp.ClientSession(base_url=emu.base_url) as admin:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        assert_admin_400(*await send(admin, path, raw))
        # nothing changed: a later valid request still sees the old limits
        status, rate, _ = await send(admin, RATE_LIMIT, {})
    assert status == 200
    assert rate == {"rate_limit": None, "daily_limit": None}
    assert await admin_state(emu) == before


@pytest.mark.parametrize("path", [FAULTS, RATE_LIMIT, SETTINGS])
@pytest.mark.parametrize("raw", INVALID_JSON, ids=lambda raw: repr(raw[:16]))
async def test_admin_invalid_json_is_a_json_400(emu: Emulator, path: str, raw: bytes) -> None:
    async with aiohttp.ClientSession(base_url=emu.base_url) as admin:
        assert_admin_400(*await send(admin, path, raw))
    assert emu.faults.rules == []


@pytest.mark.parametrize("path", [FAULTS, RATE_LIMIT, SETTINGS])
async def test_admin_wrong_content_type_is_json(emu: Emulator, path: str) -> None:
    async with (
        aiohttp.ClientSession(base_url=emu.base_url) as admin,
        admin.post(path, data=b"kind=latency", headers={"Content-Type": "text/plain"}) as response,
    ):
        assert response.status == 415
        body = await response.json()
    assert body["status"] == "error"
    assert not PYTHON_TEXT.search(body["message"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/_emulator/stats"),
        ("DELETE", "/_emulator/objects/contacts"),
        ("GET", "/_emulator/reset"),
        ("PUT", FAULTS),
        ("GET", RATE_LIMIT),
        ("PATCH", SETTINGS),
    ],
)
async def test_admin_wrong_methods_are_json_405s(emu: Emulator, method: str, path: str) -> None:
    async with (
        aiohttp.ClientSession(base_url=emu.base_url) as admin,
        admin.request(method, path, data=b"{") as response,
    ):
        assert response.status == 405
        assert (await response.json())["status"] == "error"


@pytest.mark.parametrize("object_type", ["nope", "%00", "..%2F", "2-999999999", "x" * 3000])
async def test_admin_objects_of_an_unknown_type(emu: Emulator, object_type: str) -> None:
    async with (
        aiohttp.ClientSession(base_url=emu.base_url) as admin,
        admin.get(f"/_emulator/objects/{object_type}") as response,
    ):
        assert response.status == 404
        body = await response.json()
    assert body == {"status": "error", "message": "unknown object type"}


async def test_admin_reset_ignores_any_body(emu: Emulator) -> None:
    async with aiohttp.ClientSession(base_url=emu.base_url) as admin:
        for raw in (b"", b"{", b"[1]", b"\xff"):
            status, body, _ = await send(admin, "/_emulator/reset", raw)
            assert (status, body) == (200, {"status": "ok"})


async def test_admin_valid_fault_specs_still_arm(emu: Emulator) -> None:
    spec = {
        "kind": "error_before",
        "status": 503.0,
        "times": 2.0,
        "operation": "create",
        "object_type": "contacts",
        "retry_after": 1,
        "html": True,
        "delay": None,
        "probability": None,
    }
    async with aiohttp.ClientSession(base_url=emu.base_url) as admin:
        status, body, _ = await send(admin, FAULTS, [spec, {"kind": "latency", "delay": 0.1}])
        assert status == 200
        [first, second] = body["rules"]
        assert (first["status"], first["times"], first["retry_after"]) == (503, 2, 1.0)
        assert (second["kind"], second["delay"], second["times"]) == ("latency", 0.1, 1)
        status, body, _ = await send(admin, FAULTS, [{"clear": True}])
        assert (status, body["rules"]) == (200, [])
        status, body, _ = await send(admin, RATE_LIMIT, {"rate_limit": [5.0, 2], "daily_limit": 9})
        assert body == {"rate_limit": [5, 2.0], "daily_limit": 9}


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["latency", "error_before", "create", "contacts", "html", "empty"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=12,
)
ADMIN_KEYS = st.sampled_from(
    [
        "kind",
        "times",
        "probability",
        "operation",
        "object_type",
        "status",
        "delay",
        "retry_after",
        "html",
        "clear",
        "rate_limit",
        "daily_limit",
        "not_found_body",
        "require_company_domain_or_name",
    ]
)
ADMIN_BODIES = JSON_VALUES | st.dictionaries(ADMIN_KEYS, JSON_VALUES, max_size=5)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(path=st.sampled_from([FAULTS, RATE_LIMIT, SETTINGS]), body=ADMIN_BODIES)
async def test_admin_random_bodies_are_200_or_json_400(emu: Emulator, path: str, body: Any) -> None:
    # floats() may give inf, which json.dumps writes as Infinity: invalid JSON, also a 400
    async with aiohttp.ClientSession(emu.base_url) as admin:
        status, answer, headers = await send(admin, path, json.dumps(body).encode())
    if status != 200:
        assert_admin_400(status, answer, headers)


# --- emails with NUL or half a surrogate pair ----------------------------------------------

BAD_EMAILS = [
    "a\x00b@example.com",
    "ada@example.com\x00",
    "\x00@example.com",
    "a\ud800@example.com",
    "ada@exa\udfffmple.com",
    "a\x07b@example.com",
    "ada@example.com\x7f",
]


@pytest.mark.parametrize("email", BAD_EMAILS, ids=ascii)
async def test_email_with_nul_or_lone_surrogate_is_refused(
    emu: Emulator, http: aiohttp.ClientSession, email: str
) -> None:
    # json.dumps escapes both (\u0000, \ud800): the body is valid JSON
    status, body, _ = await send(http, f"{V}/contacts", {"properties": {"email": email}})
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert [e["code"] for e in body["errors"]] == ["INVALID_EMAIL"]
    assert '"error":"INVALID_EMAIL"' in body["message"]
    inputs = [
        {"properties": {"email": email}, "objectWriteTraceId": "a"},
        {"properties": {"email": "fine@example.com"}, "objectWriteTraceId": "b"},
    ]
    status, body, _ = await send(http, f"{V}/contacts/batch/create", {"inputs": inputs})
    assert status == 207
    assert body["errors"][0]["errors"][0]["code"] == "INVALID_EMAIL"
    status, body, _ = await send(
        http,
        f"{V}/contacts/batch/upsert",
        {"inputs": [{"id": email, "idProperty": "email", "properties": {}}]},
    )
    assert status == 400
    assert body["errors"][0]["code"] == "INVALID_EMAIL"
    assert [o["properties"]["email"] for o in emu.objects("contacts")] == ["fine@example.com"]


async def test_unicode_emails_are_still_accepted(http: aiohttp.ClientSession) -> None:
    status, body, _ = await send(
        http, f"{V}/contacts", {"properties": {"email": "zoë@exämple.com"}}
    )
    assert status == 201
    assert body["properties"]["email"] == "zoë@exämple.com"


# --- upsert with a blank id ----------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\t"], ids=repr)
@pytest.mark.parametrize("trace_ids", [False, True])
async def test_upsert_with_a_blank_id_is_refused(
    emu: Emulator, http: aiohttp.ClientSession, blank: str, trace_ids: bool
) -> None:
    inputs: list[dict[str, Any]] = [
        {"id": "ok@example.com", "idProperty": "email", "properties": {"firstname": "A"}},
        {"id": blank, "idProperty": "email", "properties": {"firstname": "B"}},
    ]
    if trace_ids:
        for n, item in enumerate(inputs):
            item["objectWriteTraceId"] = f"t{n}"
    status, body, _ = await send(http, f"{V}/contacts/batch/upsert", {"inputs": inputs})
    assert status == 400
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    assert "inputs[1].id" in body["message"]
    assert emu.count("contacts") == 0


async def test_upsert_by_object_id_with_a_blank_id_is_refused(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await send(
        http, f"{V}/contacts/batch/upsert", {"inputs": [{"id": "", "properties": {}}]}
    )
    assert status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert emu.count("contacts") == 0


# --- clock skew -------------------------------------------------------------------------------


async def test_clock_skew_moves_hubspot_s_times_but_not_its_windows() -> None:
    from datetime import datetime, timezone

    from hubcrm import AsyncHubCRM

    async with Emulator(rate_limit=(2, 60.0)) as emu:
        emu.configure(clock_skew=-120.0)
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, rate_limit=None) as crm:
            before = datetime.now(timezone.utc).timestamp()
            record = await crm.objects.create("contacts", {"email": "a@example.com"})
            after = datetime.now(timezone.utc).timestamp()
        assert before - 121 <= record.created_at.timestamp() <= after - 119
        assert emu.settings["clock_skew"] == -120.0
        assert emu.stats.rate_limited == {}  # the window counts on the machine's time
        with pytest.raises(ValueError, match="clock_skew"):
            emu.configure(clock_skew=float("nan"))
        async with aiohttp.ClientSession() as http:
            url = f"{emu.base_url}/_emulator/settings"
            async with http.post(url, json={"clock_skew": 30}) as answer:
                assert answer.status == 200
            async with http.post(url, json={"clock_skew": "soon"}) as answer:
                assert answer.status == 400
        assert emu.settings["clock_skew"] == 30.0
