"""Settling beside sending: an ambiguous batch leaves the send path at once.

Its read-back and resends run beside new batches, holding no batch slot, while inputs
that share a key with one being settled still wait for it. Scripted servers make the
order of requests certain, with no timing: a read-back is held until the test has seen
what it waits for.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
import pytest
from aiohttp import web
from support_servers import Serve

from hubcrm import AsyncHubCRM, RetryPolicy

pytestmark = pytest.mark.anyio

NEW = "2030-01-01T00:00:00.000Z"  # after the batch was sent, whatever the clock says


def _made(body: dict[str, Any], first_id: int) -> list[dict[str, Any]]:
    """The records a batch/create body makes, each echoing its trace id."""
    return [
        {
            "id": str(first_id + n),
            "properties": dict(entry["properties"]),
            "createdAt": NEW,
            "updatedAt": NEW,
            "archived": False,
            "objectWriteTraceId": entry["objectWriteTraceId"],
        }
        for n, entry in enumerate(body["inputs"])
    ]


async def test_a_batch_being_settled_holds_no_batch_slot(serve: Serve) -> None:
    """With one batch in flight at a time, the second batch is sent while the first
    one's read-back is still waiting: settling does not hold the only slot."""
    seen: list[str] = []
    second_sent = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        op = request.path.rsplit("/", 1)[1]
        if op == "create":
            emails = [entry["properties"]["email"] for entry in body["inputs"]]
            seen.append(f"create {','.join(emails)}")
            if seen == ["create a@example.com"]:
                return web.json_response({"status": "error", "message": "bad gw"}, status=502)
            second_sent.set()
            return web.json_response({"status": "COMPLETE", "results": _made(body, 20)})
        seen.append("read")
        await second_sent.wait()  # the read-back waits until the next batch was sent
        return web.json_response({"status": "COMPLETE", "results": []})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with AsyncHubCRM("t", base_url=url, rate_limit=None) as crm:
        with anyio.fail_after(10):  # held slot: the read would wait forever
            result = await crm.objects.create_many(
                "contacts",
                [{"email": "a@example.com"}, {"email": "b@example.com"}],
                batch_size=1,
                concurrency=1,
            )
    # The resend of a follows its read; b went out while the read was held.
    assert seen == ["create a@example.com", "read", "create b@example.com", "create a@example.com"]
    assert [o.status for o in result.outcomes] == ["created", "created"]
    assert (result.read_backs, result.settle_resends) == (1, 1)


async def test_an_input_sharing_a_key_with_one_being_settled_waits_for_it(serve: Serve) -> None:
    """The second input with the first one's email is sent only after the first is
    settled (found by the read-back), so it meets HubSpot's 409, never a race."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        op = request.path.rsplit("/", 1)[1]
        if op == "create" and not seen:
            seen.append("create 1")
            return web.json_response({"status": "error", "message": "bad gw"}, status=502)
        if op == "read":
            seen.append("read")
            record = _made({"inputs": [{"properties": {"email": "a@example.com"},
                                        "objectWriteTraceId": "x"}]}, 7)[0]  # fmt: skip
            return web.json_response({"status": "COMPLETE", "results": [record]})
        seen.append(f"create {len(seen)}")
        trace = body["inputs"][0]["objectWriteTraceId"]
        entry = {"status": "error", "category": "CONFLICT",
                 "message": "Contact already exists. Existing ID: 7",
                 "context": {"objectWriteTraceId": [trace]}}  # fmt: skip
        return web.json_response(
            {"status": "COMPLETE", "results": [], "numErrors": 1, "errors": [entry]},
            status=207,
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with AsyncHubCRM("t", base_url=url, rate_limit=None) as crm:
        result = await crm.objects.create_many(
            "contacts",
            [{"email": "a@example.com"}, {"email": "A@example.com "}],
            batch_size=1,
            concurrency=4,
        )
    assert seen == ["create 1", "read", "create 2"]
    first, second = result.outcomes
    assert (first.status, first.object and first.object.id) == ("created", "7")
    assert second.status == "failed"


async def test_a_pause_asked_past_the_deadline_ends_settling_without_waiting(
    serve: Serve,
) -> None:
    """A 503 asking for an hour, with a 30 s rate_limit_deadline: the inputs are unknown
    at once, and settling never sleeps."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"status": "error", "message": "busy"}, status=503, headers={"Retry-After": "3600"}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = RetryPolicy(rate_limit_deadline=30.0)
    async with AsyncHubCRM("t", base_url=url, rate_limit=None, retry=policy) as crm:
        crm._session.use_time(sleep=sleep)
        result = await crm.objects.create_many("contacts", [{"email": "a@example.com"}])
    (outcome,) = result.outcomes
    assert outcome.status == "unknown"
    assert slept == []
    assert (result.read_backs, result.settle_resends) == (0, 0)
