"""Injected faults, the fault log, stats, reset and the admin endpoints."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import anyio
import pytest
from support_time import wait_until

from hubcrm.testing import Emulator, FaultRecord, FaultRule

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"


async def create(http: aiohttp.ClientSession, n: int = 0, object_type: str = "contacts") -> Any:
    props = {"email": f"u{n}@example.com"} if object_type == "contacts" else {"name": f"c{n}"}
    async with http.post(f"{V}/{object_type}", json={"properties": props}) as response:
        return response.status, response.headers, await response.read()


async def test_error_before_writes_nothing(emu: Emulator, http: aiohttp.ClientSession) -> None:
    rule = emu.faults.error_before(502, times=2, operation="create")
    assert rule.kind == "error_before"
    for n in range(2):
        status, headers, raw = await create(http, n)
        assert status == 502
        assert headers["Content-Type"].startswith("application/json")
        body = json.loads(raw)
        assert body["status"] == "error"
        assert body["category"] == "INTERNAL_ERROR"
        assert body["correlationId"] == headers["x-hubspot-correlation-id"]
    assert emu.count("contacts") == 0
    assert (await create(http, 5))[0] == 201
    assert emu.count("contacts") == 1
    assert emu.faults.rules == []
    log = emu.faults.log
    assert [(r.kind, r.operation, r.object_type, r.status, r.ids) for r in log] == [
        ("error_before", "create", "contacts", 502, ()),
        ("error_before", "create", "contacts", 502, ()),
    ]
    stats = emu.stats
    assert stats.faults == {"error_before": 2}
    assert stats.faults_by_operation == {"create": {"error_before": 2}}
    assert stats.responses_by_status == {502: 2, 201: 1}


async def test_error_before_html_gateway_page(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.error_before(502, html=True)
    status, headers, raw = await create(http)
    assert status == 502
    assert headers["Content-Type"].startswith("text/html")
    assert b"<html>" in raw
    assert b"502 Bad Gateway" in raw
    assert "x-hubspot-correlation-id" in headers
    assert emu.count("contacts") == 0


@pytest.mark.parametrize(
    ("status", "retry_after", "category"),
    [(423, None, "LOCKED"), (477, "1", "MIGRATION_IN_PROGRESS"), (503, None, "INTERNAL_ERROR")],
)
async def test_error_before_statuses(
    emu: Emulator, http: aiohttp.ClientSession, status: int, retry_after: str | None, category: str
) -> None:
    emu.faults.error_before(status)
    got, headers, raw = await create(http)
    assert got == status
    assert headers.get("Retry-After") == retry_after
    body = json.loads(raw)
    assert body["category"] == category
    assert emu.count("contacts") == 0


async def test_error_before_retry_after_and_429(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.error_before(477, retry_after=7)
    emu.faults.error_before(429)
    status, headers, _ = await create(http)
    assert (status, headers["Retry-After"]) == (477, "7")
    status, _, raw = await create(http)
    body = json.loads(raw)
    assert status == 429
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"


async def test_next_three_creates_fail_with_502_after_committing(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.faults.error_after(502, times=3, operation="create")
    for n in range(3):
        status, _, _ = await create(http, n)
        assert status == 502
    assert (await create(http, 3))[0] == 201
    stored = emu.objects("contacts")
    assert len(stored) == 4  # the three "failed" creates are really stored
    log = emu.faults.log
    assert [r.kind for r in log] == ["error_after"] * 3
    assert [r.ids for r in log] == [(o["id"],) for o in stored[:3]]
    assert [o["properties"]["email"] for o in stored[:3]] == [f"u{n}@example.com" for n in range(3)]
    assert emu.stats.faults == {"error_after": 3}
    assert emu.stats.objects_created == 4


async def test_disconnect_after_commit(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.disconnect_after(operation="create")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await create(http)
    assert emu.count("contacts") == 1
    (record,) = emu.faults.log
    assert record.kind == "disconnect_after"
    assert record.status is None
    assert record.ids == (emu.objects("contacts")[0]["id"],)
    assert emu.stats.responses_by_status == {}
    assert (await create(http, 1))[0] == 201


async def test_timeout_after_commit(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.timeout_after(60.0, operation="create")
    timeout = aiohttp.ClientTimeout(total=0.3)
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            f"{V}/contacts", json={"properties": {"email": "slow@example.com"}}, timeout=timeout
        ) as response:
            await response.read()
    assert emu.count("contacts") == 1
    (record,) = emu.faults.log
    assert record.kind == "timeout_after"
    assert record.ids == (emu.objects("contacts")[0]["id"],)


async def test_timeout_after_does_not_hold_up_stop() -> None:
    emu = Emulator(rate_limit=None)
    await emu.start()
    emu.faults.timeout_after(3600.0)
    headers = {"Authorization": f"Bearer {emu.token}"}
    async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
        request = asyncio.ensure_future(create(http))
        await wait_until(lambda: emu.faults.log, "the write is committed and the handler sleeps")
        with anyio.fail_after(30):  # a hang guard, not a timing claim
            await emu.stop()
        with pytest.raises(aiohttp.ClientError):
            await request
    assert emu.count("contacts") == 1


async def test_short_timeout_after_eventually_answers(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.faults.timeout_after(0.05)
    status, _, _ = await create(http)
    assert status == 201
    assert emu.stats.faults == {"timeout_after": 1}


async def test_latency_then_normal_processing(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.latency(0.05, times=2)
    emu.faults.error_after(500)
    status, _, _ = await create(http, 0)
    assert status == 500
    assert (await create(http, 1))[0] == 201
    assert emu.count("contacts") == 2
    assert emu.stats.faults == {"latency": 2, "error_after": 1}
    assert [r.kind for r in emu.faults.log] == ["latency", "error_after", "latency"]


async def test_filters_by_object_type_and_operation(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.faults.error_before(503, object_type="0-2")
    emu.faults.error_before(504, operation="read")
    assert (await create(http, 0, "contacts"))[0] == 201
    assert (await create(http, 0, "companies"))[0] == 503
    object_id = emu.objects("contacts")[0]["id"]
    async with http.get(f"{V}/contacts/{object_id}") as response:
        assert response.status == 504
    async with http.get(f"{V}/contacts/{object_id}") as response:
        assert response.status == 200
    assert [(r.operation, r.object_type) for r in emu.faults.log] == [
        ("create", "companies"),
        ("read", "contacts"),
    ]


async def test_batch_create_error_after_logs_every_committed_id(
    emu: Emulator, http: aiohttp.ClientSession
) -> None:
    emu.faults.error_after(504, operation="batch_create")
    inputs = [
        {"properties": {"email": f"b{i}@example.com"}, "objectWriteTraceId": str(i)}
        for i in range(5)
    ]
    async with http.post(f"{V}/contacts/batch/create", json={"inputs": inputs}) as response:
        assert response.status == 504
    stored_ids = {o["id"] for o in emu.objects("contacts")}
    assert len(stored_ids) == 5
    (record,) = emu.faults.log
    assert set(record.ids) == stored_ids
    assert emu.stats.faults_by_operation == {"batch_create": {"error_after": 1}}


async def test_batch_upsert_disconnect_after(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.disconnect_after(operation="batch_upsert")
    inputs = [{"id": "a@example.com", "idProperty": "email", "properties": {}}]
    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(f"{V}/contacts/batch/upsert", json={"inputs": inputs}) as response:
            await response.read()
    assert emu.count("contacts") == 1
    async with http.post(f"{V}/contacts/batch/upsert", json={"inputs": inputs}) as response:
        body = await response.json()
    assert body["results"][0]["new"] is False  # the retry finds what the lost call wrote


async def test_token_endpoint_faults(emu: Emulator, http: aiohttp.ClientSession) -> None:
    rt = emu.register_oauth_app("cid", "secret")
    form = {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": "secret",
        "refresh_token": rt,
    }
    emu.faults.error_before(503, operation="token")
    emu.faults.error_after(502, operation="token")
    async with http.post("/oauth/2026-03/token", data=form) as response:
        assert response.status == 503
    assert emu.stats.oauth_refreshes == 0
    async with http.post("/oauth/2026-03/token", data=form) as response:
        assert response.status == 502
    assert emu.stats.oauth_refreshes == 1
    async with http.post("/oauth/2026-03/token", data=form) as response:
        assert response.status == 200
    assert emu.stats.faults_by_operation == {"token": {"error_before": 1, "error_after": 1}}


async def test_probability_faults_are_seeded() -> None:
    async def outcomes(seed: int) -> list[int]:
        async with Emulator(rate_limit=None, seed=seed) as emu:
            emu.faults.error_before(503, probability=0.5)
            headers = {"Authorization": f"Bearer {emu.token}"}
            async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
                statuses = [(await create(http, n))[0] for n in range(30)]
            assert emu.count("contacts") == statuses.count(201)
            assert emu.stats.faults.get("error_before", 0) == statuses.count(503)
            return statuses

    first = await outcomes(7)
    assert first == await outcomes(7)
    assert {201, 503} == set(first)


async def test_probability_one_and_zero(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.error_after(500, probability=0.0)
    emu.faults.error_before(503, probability=1.0, object_type="companies")
    assert (await create(http, 0))[0] == 201
    assert [(await create(http, n, "companies"))[0] for n in range(3)] == [503] * 3
    assert len(emu.faults.rules) == 2


def test_fault_rule_validation() -> None:
    with pytest.raises(ValueError, match="either times or probability"):
        FaultRule(kind="error_after", times=1, probability=0.5)
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultRule(kind="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown operation"):
        FaultRule(kind="latency", operation="delete")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probability"):
        FaultRule(kind="latency", probability=2.0)
    assert FaultRule(kind="latency").times == 1
    assert FaultRule(kind="latency").delay == 0.5
    assert FaultRule(kind="timeout_after").delay == 30.0


async def test_clear_and_reset(emu: Emulator, http: aiohttp.ClientSession) -> None:
    emu.faults.error_before(502, times=5)
    assert (await create(http, 0))[0] == 502
    emu.faults.clear()
    assert emu.faults.rules == []
    assert (await create(http, 1))[0] == 201
    assert len(emu.faults.log) == 1
    emu.faults.error_before(502)
    emu.reset()
    assert emu.count("contacts") == 0
    assert emu.faults.rules == []
    assert emu.faults.log == []
    assert emu.stats.requests == 0
    assert emu.stats.objects_created == 0
    assert (await create(http, 1))[0] == 201  # the email is free again


# --- admin endpoints --------------------------------------------------------------------------


async def test_admin_endpoints(emu: Emulator) -> None:
    async with aiohttp.ClientSession(base_url=emu.base_url) as admin:
        async with admin.post(
            "/_emulator/faults",
            json=[{"kind": "error_after", "status": 502, "times": 2, "operation": "create"}],
        ) as response:
            body = await response.json()
            assert response.status == 200
            assert body["rules"][0]["kind"] == "error_after"
            assert body["rules"][0]["times"] == 2
        headers = {"Authorization": f"Bearer {emu.token}"}
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            assert (await create(http, 0))[0] == 502
            assert (await create(http, 1))[0] == 502
            assert (await create(http, 2))[0] == 201
        async with admin.get("/_emulator/stats") as response:
            stats = await response.json()
        assert stats["requests"] == 3
        assert stats["requests_by_operation"] == {"create": 3}
        assert stats["responses_by_status"] == {"502": 2, "201": 1}
        assert stats["faults"] == {"error_after": 2}
        assert stats["objects_created"] == 3
        assert stats["objects"] == {"contacts": 3}
        async with admin.get("/_emulator/faults") as response:
            faults = await response.json()
        assert faults["rules"] == []
        assert [len(entry["ids"]) for entry in faults["log"]] == [1, 1]
        async with admin.get("/_emulator/objects/0-1") as response:
            objects = await response.json()
        assert objects["count"] == 3
        assert objects["name"] == "contacts"
        assert [o["id"] for o in objects["results"]] == [o["id"] for o in emu.objects("contacts")]
        async with admin.get("/_emulator/objects/nope") as response:
            assert response.status == 404
        async with admin.post(
            "/_emulator/rate-limit", json={"rate_limit": [1, 60], "daily_limit": 10}
        ) as response:
            assert await response.json() == {"rate_limit": [1, 60.0], "daily_limit": 10}
        async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as http:
            status, response_headers, _ = await create(http, 3)
            assert status == 201
            assert response_headers["X-HubSpot-RateLimit-Max"] == "1"
            assert response_headers["X-HubSpot-RateLimit-Daily-Remaining"] == "9"
            assert (await create(http, 4))[0] == 429
        async with admin.post("/_emulator/faults", json={"clear": True}) as response:
            assert (await response.json())["rules"] == []
        async with admin.post("/_emulator/reset") as response:
            assert await response.json() == {"status": "ok"}
        assert emu.count("contacts") == 0
        assert emu.stats.requests == 0


@pytest.mark.parametrize(
    "payload",
    [{"kind": "nope"}, {"kind": "latency", "bogus": 1}, [1], {"kind": "latency", "times": "x"}],
)
async def test_admin_faults_rejects_bad_specs(emu: Emulator, payload: Any) -> None:
    async with (
        aiohttp.ClientSession(base_url=emu.base_url) as admin,
        admin.post("/_emulator/faults", json=payload) as response,
    ):
        body = await response.json()
        assert response.status == 400
        assert body["status"] == "error"
    assert emu.faults.rules == []


async def test_fault_record_json() -> None:
    record = FaultRecord(
        kind="error_after",
        operation="create",
        object_type="contacts",
        status=502,
        ids=("1",),
        correlation_id="c",
    )
    assert record.to_json() == {
        "kind": "error_after",
        "operation": "create",
        "object_type": "contacts",
        "status": 502,
        "ids": ["1"],
        "correlation_id": "c",
    }
