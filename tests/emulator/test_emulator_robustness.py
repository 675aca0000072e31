"""Bad input gets HubSpot-shaped 4xx JSON errors: never a 500, never a traceback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubcrm.testing import Emulator

# The emulator of the shared ``emu`` fixture (tests/emulator/conftest.py), with a small
# body limit so that oversized bodies are cheap to send.
pytestmark = [pytest.mark.anyio, pytest.mark.hubspot_emulator(max_body_bytes=64 * 1024)]

V = "/crm/objects/2026-03"
ENDPOINTS = [
    f"{V}/contacts",
    f"{V}/contacts/batch/create",
    f"{V}/contacts/batch/upsert",
    f"{V}/deals/batch/create",
    "/crm/v3/objects/0-2",
]


async def send(
    http: aiohttp.ClientSession,
    path: str,
    data: bytes,
    content_type: str = "application/json",
    method: str = "POST",
) -> tuple[int, dict[str, Any], Any]:
    headers = {"Content-Type": content_type}
    async with http.request(method, path, data=data, headers=headers) as response:
        raw = await response.read()
        assert response.headers["Content-Type"].startswith("application/json")
        return response.status, json.loads(raw), response.headers


def assert_hubspot_error(status: int, body: dict[str, Any], headers: Any, expected: int) -> None:
    assert status == expected, body
    assert body["status"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["correlationId"] == headers["x-hubspot-correlation-id"]


@pytest.mark.parametrize(
    ("path", "data", "fragment"),
    [
        (f"{V}/contacts", b"{", "Invalid input JSON on line 1, column 2"),
        (f"{V}/contacts", b"", "Invalid input JSON on line 1, column 1"),
        (f"{V}/contacts", b'{"properties": {"email": "a@b.c"}', "Invalid input JSON on line 1"),
        (f"{V}/contacts", b"[]", "body must be a JSON object"),
        (f"{V}/contacts", b"null", "body must be a JSON object"),
        (f"{V}/contacts", b"{}", "body.properties is required"),
        (f"{V}/contacts", b'{"properties": []}', "body.properties must be a JSON object"),
        (f"{V}/contacts", b'{"properties": {"age": 5}}', "body.properties.age must be a string"),
        (f"{V}/contacts", b'{"properties": {"x": NaN}}', "NaN is not valid JSON"),
        (f"{V}/contacts", b'{"properties": {}, "associations": {}}', "associations must be"),
        (
            f"{V}/contacts",
            b'{"properties": {}, "associations": [{"to": "1", "types": []}]}',
            "associations[0].to must be a JSON object",
        ),
        (
            f"{V}/contacts",
            b'{"properties": {}, "associations": [{"to": {"id": true}, "types": []}]}',
            "associations[0].to.id must be a string",
        ),
        (
            f"{V}/contacts",
            b'{"properties": {}, "associations": [{"to": {"id": "1"}, "types": '
            b'[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": "279"}]}]}',
            "associationTypeId must be an integer",
        ),
        (
            f"{V}/contacts",
            b'{"properties": {}, "associations": [{"to": {"id": "1"}, "types": '
            b'[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 9999999999}]}]}',
            "out of int32 range",
        ),
        (f"{V}/contacts", b'{"properties": {}, "objectWriteTraceId": 5}', "must be a string"),
        (f"{V}/contacts", b"\xff\xfe{}", "not UTF-8"),
        (f"{V}/contacts", b"[" * 20_000 + b"]" * 20_000, "Invalid input JSON"),
        (f"{V}/contacts/batch/create", b"{}", "body.inputs must be a JSON array"),
        (f"{V}/contacts/batch/create", b'{"inputs": {}}', "body.inputs must be a JSON array"),
        (f"{V}/contacts/batch/create", b'{"inputs": [1]}', "inputs[0] must be a JSON object"),
        (
            f"{V}/contacts/batch/create",
            b'{"inputs": [{"properties": {"a": {}}}]}',
            "inputs[0].properties.a must be a string",
        ),
        (f"{V}/contacts/batch/upsert", b'{"inputs": [{"properties": {}}]}', "inputs[0].id"),
        (
            f"{V}/contacts/batch/upsert",
            b'{"inputs": [{"id": "a", "idProperty": 1, "properties": {}}]}',
            "idProperty must be a string",
        ),
    ],
)
async def test_malformed_bodies_are_400(
    emu: Emulator, http: aiohttp.ClientSession, path: str, data: bytes, fragment: str
) -> None:
    status, body, headers = await send(http, path, data)
    assert_hubspot_error(status, body, headers, 400)
    assert body["category"] == "VALIDATION_ERROR"
    assert fragment in body["message"]
    assert emu.count("contacts") == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_wrong_content_type_is_415(http: aiohttp.ClientSession, content_type: str) -> None:
    status, body, headers = await send(http, f"{V}/contacts", b'{"properties": {}}', content_type)
    assert_hubspot_error(status, body, headers, 415)
    assert content_type in body["message"]


async def test_json_with_charset_is_fine(emu: Emulator, http: aiohttp.ClientSession) -> None:
    data = b'{"properties": {}}'
    status, _, _ = await send(http, f"{V}/contacts", data, "application/json; charset=UTF-8")
    assert status == 201


async def test_body_over_the_limit_is_413(emu: Emulator, http: aiohttp.ClientSession) -> None:
    big = json.dumps({"properties": {"firstname": "x" * 70_000}}).encode()
    status, body, headers = await send(http, f"{V}/contacts", big)
    assert_hubspot_error(status, body, headers, 413)
    assert "65536 bytes" in body["message"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked encoding
        for _ in range(10):
            yield b" " * 10_000

    async with http.post(
        f"{V}/contacts", data=chunks(), headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 413
        assert (await response.json())["status"] == "error"
    assert emu.count("contacts") == 0


async def test_unknown_path_and_method(http: aiohttp.ClientSession) -> None:
    status, body, headers = await send(http, "/crm/objects/2026-03/contacts/1/2/3", b"{}")
    assert_hubspot_error(status, body, headers, 404)
    status, body, headers = await send(http, f"{V}/contacts", b"", method="DELETE")
    assert_hubspot_error(status, body, headers, 405)
    assert headers["Allow"] == "GET, POST"
    status, body, headers = await send(http, f"{V}/contacts/1", b"{}", method="PUT")
    assert_hubspot_error(status, body, headers, 405)
    assert headers["Allow"] == "GET, PATCH, DELETE"
    # A path HubSpot serves with POST (a merge): the emulator says it does not, in its
    # own words, never as if HubSpot refused the method.
    status, body, headers = await send(http, f"{V}/contacts/merge", b"{}")
    assert status == 405
    assert body["category"] == "NOT_EMULATED"
    assert "not emulated" in body["message"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
FIELD_NAMES = st.sampled_from(
    [
        "properties",
        "associations",
        "inputs",
        "objectWriteTraceId",
        "id",
        "idProperty",
        "to",
        "types",
    ]
)
PROPERTY_NAMES = st.sampled_from(
    ["email", "firstname", "total_revenue", "date_of_birth", "closedate", "hs_email_optout", "x"]
)
ASSOC = st.fixed_dictionaries(
    {
        "to": st.fixed_dictionaries({"id": st.one_of(st.text(max_size=12), st.integers(), JSON)}),
        "types": st.lists(
            st.fixed_dictionaries(
                {
                    "associationCategory": st.sampled_from(
                        ["HUBSPOT_DEFINED", "USER_DEFINED", "WORK", "bogus"]
                    )
                    | JSON,
                    "associationTypeId": st.integers() | JSON,
                }
            ),
            max_size=3,
        ),
    }
)
OBJECT_INPUT = st.fixed_dictionaries(
    {},
    optional={
        "properties": st.dictionaries(PROPERTY_NAMES, st.text(max_size=30) | JSON, max_size=4)
        | JSON,
        "associations": st.lists(ASSOC, max_size=3) | JSON,
        "objectWriteTraceId": st.text(max_size=5) | JSON,
        "id": st.text(max_size=20) | JSON,
        "idProperty": st.sampled_from(["email", "firstname", "hs_object_id"]) | JSON,
    },
)
BODIES = st.one_of(
    JSON,
    OBJECT_INPUT,
    st.fixed_dictionaries({"inputs": st.lists(OBJECT_INPUT, max_size=4) | JSON}),
    st.dictionaries(FIELD_NAMES, JSON, max_size=4),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(ENDPOINTS),
    body=BODIES,
    raw=st.none() | st.binary(max_size=64),
)
async def test_random_bodies_never_break_the_emulator(
    http: aiohttp.ClientSession, path: str, body: Any, raw: bytes | None
) -> None:
    data = raw if raw is not None else json.dumps(body).encode()
    status, payload, headers = await send(http, path, data)
    assert status < 500, payload
    if status >= 400:
        assert payload["status"] == "error"
        assert payload["correlationId"] == headers["x-hubspot-correlation-id"]
        assert isinstance(payload["message"], str)
    else:
        assert status in (200, 201, 207)


ID_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="/?#%.\\", blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=20,
)
QUERY_KEYS = st.sampled_from(
    ["properties", "idProperty", "archived", "associations", "propertiesWithHistory"]
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(object_id=ID_TEXT, query=st.dictionaries(QUERY_KEYS, st.text(max_size=20), max_size=3))
async def test_random_reads_never_break_the_emulator(
    http: aiohttp.ClientSession, object_id: str, query: dict[str, str]
) -> None:
    async with http.get(f"{V}/contacts/{object_id}", params=query) as response:
        payload = await response.json()
        assert response.status < 500, payload
        if response.status >= 400:
            assert payload["status"] == "error"
