"""The emulator's side of read-back settling (issue 13), on the wire.

``batch/read`` by id and by ``idProperty`` (207 naming the missing ids), the properties
API's create with ``hasUniqueValue``, unique-value refusals in both shapes HubSpot may
use, and upsert results without trace ids.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hubcrm.testing import Emulator
from hubcrm.testing.__main__ import build_parser

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
P = "/crm/properties/2026-03"
DEAL = {"dealname": "d", "dealstage": "appointmentscheduled", "pipeline": "default"}


async def send(http: aiohttp.ClientSession, path: str, body: Any) -> tuple[int, Any]:
    async with http.post(path, json=body) as response:
        return response.status, await response.json()


async def _key_property(http: aiohttp.ClientSession) -> None:
    status, prop = await send(
        http,
        f"{P}/deals",
        {"name": "row_key", "label": "Row key", "type": "string", "fieldType": "text",
         "groupName": "dealinformation", "hasUniqueValue": True},
    )  # fmt: skip
    assert status == 201
    assert (prop["name"], prop["hasUniqueValue"], prop["type"]) == ("row_key", True, "string")


async def test_batch_read_by_id_and_by_unique_property(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    await _key_property(http)
    _, made = await send(
        http,
        f"{V}/deals/batch/create",
        {"inputs": [{"properties": {**DEAL, "row_key": f"k{i}"}, "objectWriteTraceId": str(i)}
                    for i in range(3)]},
    )  # fmt: skip
    ids = sorted(r["id"] for r in made["results"])
    status, body = await send(http, f"{V}/deals/batch/read", {"inputs": [{"id": i} for i in ids]})
    assert status == 200
    assert sorted(r["id"] for r in body["results"]) == ids
    status, body = await send(
        http,
        f"{V}/deals/batch/read",
        {"idProperty": "row_key", "properties": ["row_key"],
         "inputs": [{"id": "k1"}, {"id": "nope"}, {"id": "k2"}, {"id": "gone"}]},
    )  # fmt: skip
    assert status == 207
    assert sorted(r["properties"]["row_key"] for r in body["results"]) == ["k1", "k2"]
    assert body["numErrors"] == 1
    (error,) = body["errors"]
    assert (error["category"], error["context"]) == ("OBJECT_NOT_FOUND", {"ids": ["nope", "gone"]})
    status, body = await send(
        http, f"{V}/deals/batch/read", {"idProperty": "dealname", "inputs": [{"id": "d"}]}
    )
    assert status == 400
    assert body["context"] == {"idProperty": ["dealname"]}
    status, body = await send(
        http, f"{V}/deals/batch/read", {"inputs": [{"id": str(i)} for i in range(101)]}
    )
    assert status == 400
    assert emu.stats.requests_by_operation["batch_read"] == 4


async def test_batch_read_is_a_fault_target(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.error_before(503, times=1, operation="batch_read")
    status, _ = await send(http, f"{V}/contacts/batch/read", {"inputs": [{"id": "1"}]})
    assert status == 503
    assert [r.operation for r in emu.faults.log] == ["batch_read"]


@pytest.mark.parametrize("refusal", ["409", "400"])
async def test_unique_values_are_refused_in_either_shape(
    emu: Emulator, http: aiohttp.ClientSession, refusal: str
) -> None:
    emu.configure(unique_refusal=refusal)  # type: ignore[arg-type]
    await _key_property(http)
    status, first = await send(http, f"{V}/deals", {"properties": {**DEAL, "row_key": "k"}})
    assert status == 201
    status, body = await send(http, f"{V}/deals", {"properties": {**DEAL, "row_key": "k"}})
    if refusal == "409":
        assert (status, body["category"]) == (409, "CONFLICT")
        assert body["message"] == f"Deal already exists. Existing ID: {first['id']}"
    else:
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")
        assert body["context"] == {"propertyName": ["row_key"]}
        assert first["id"] not in body["message"]
    status, body = await send(
        http,
        f"{V}/deals/batch/create",
        {"inputs": [{"properties": {**DEAL, "row_key": "k"}, "objectWriteTraceId": "a"},
                    {"properties": {**DEAL, "row_key": "j"}, "objectWriteTraceId": "b"}]},
    )  # fmt: skip
    assert status == 207
    (entry,) = body["errors"]
    assert entry["context"]["objectWriteTraceId"] == ["a"]
    assert entry["category"] == ("CONFLICT" if refusal == "409" else "VALIDATION_ERROR")
    # A contact's email is always refused with HubSpot's documented 409.
    await send(http, f"{V}/contacts", {"properties": {"email": "e@example.com"}})
    status, _ = await send(http, f"{V}/contacts", {"properties": {"email": "E@example.com"}})
    assert status == 409
    assert emu.count("deals") == 2


async def test_properties_api_checks_its_input(emu: Emulator, http: aiohttp.ClientSession) -> None:
    await _key_property(http)
    text = {"type": "string", "fieldType": "text", "groupName": "dealinformation"}
    status, body = await send(http, f"{P}/deals", {"name": "row_key", "label": "Again", **text})
    assert (status, body["category"]) == (409, "OBJECT_ALREADY_EXISTS")
    for bad in (
        {"name": "Bad Name", "label": "x", **text},
        {"name": "ok", "label": "x", **text, "type": "blob"},
        {"name": "ok", "label": "", **text},
        {"name": "ok", "label": "x", **text, "hasUniqueValue": "yes"},
    ):
        status, _ = await send(http, f"{P}/deals", bad)
        assert status == 400, bad
    for i in range(9):  # ten unique properties at most (row_key is the first)
        status, _ = await send(
            http, f"{P}/deals", {"name": f"u{i}", "label": "u", **text, "hasUniqueValue": True}
        )
        assert status == 201
    status, body = await send(
        http, f"{P}/deals", {"name": "u10", "label": "u", **text, "hasUniqueValue": True}
    )
    assert status == 400
    assert "at most 10" in body["message"]
    assert emu.object_type("deals").properties["row_key"].unique


async def test_upsert_results_can_leave_out_trace_ids(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    body = {"inputs": [{"id": "a@example.com", "idProperty": "email", "properties": {},
                        "objectWriteTraceId": "t1"}]}  # fmt: skip
    _, answer = await send(http, f"{V}/contacts/batch/upsert", body)
    assert answer["results"][0]["objectWriteTraceId"] == "t1"
    emu.configure(upsert_trace_ids=False)
    _, answer = await send(http, f"{V}/contacts/batch/upsert", body)
    assert "objectWriteTraceId" not in answer["results"][0]
    _, answer = await send(
        http,
        f"{V}/contacts/batch/create",
        {"inputs": [{"properties": {"email": "b@example.com"}, "objectWriteTraceId": "t2"}]},
    )
    assert answer["results"][0]["objectWriteTraceId"] == "t2"  # batch create still echoes


async def test_read_back_settings_are_checked_and_reachable(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="unique_refusal"):
        Emulator(unique_refusal="500")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="upsert_trace_ids"):
        emu.configure(upsert_trace_ids="no")  # type: ignore[arg-type]
    assert (
        Emulator(unique_refusal="400", upsert_trace_ids=False).settings["unique_refusal"] == "400"
    )
    async with aiohttp.ClientSession(base_url=emu.base_url) as admin:
        async with admin.post(
            "/_emulator/settings", json={"unique_refusal": "400", "upsert_trace_ids": False}
        ) as response:
            assert response.status == 200
        async with admin.post("/_emulator/settings", json={"unique_refusal": 400}) as response:
            assert response.status == 400
    assert (emu.settings["unique_refusal"], emu.settings["upsert_trace_ids"]) == ("400", False)
    args = build_parser().parse_args(["--unique-refusal", "400", "--no-upsert-trace-ids"])
    assert (args.unique_refusal, args.no_upsert_trace_ids) == ("400", True)
