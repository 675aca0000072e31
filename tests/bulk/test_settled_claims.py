"""A record settles at most one input of a run, and a batch's own records are its own.

Settling reads an ambiguous input back by its unique value. The record it finds may be
one an earlier input of the same run made with that value (then this input was refused,
or never got through), or the one this input's own write made, even in the very
millisecond an earlier answer completed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from support_servers import Serve
from support_time import VirtualTime

from hubcrm import AsyncHubCRM, ConflictError, ObjectInput, OutcomeUnknownError
from hubcrm._core.convert import load_object
from hubcrm._core.models import CrmObject
from hubcrm._core.values import format_utc
from hubcrm._write.batch_settling import MadeBy, claim, earlier_in_run
from hubcrm._write.readback import OtherValues
from hubcrm._write.schedule import SeenKeys
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["batch", "single"])
@pytest.mark.parametrize("keyed_by", ["email", "id_property"])
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_two_inputs_with_one_key_never_both_claim_its_record(
    hubspot_emulator: Emulator, virtual_time: VirtualTime, mode: str, keyed_by: str
) -> None:
    """Both inputs with one unique value meet a commit-then-502. The first is settled by
    reading its record back; the second was refused by HubSpot (the value was taken)
    and reads the same record back: it is the first input's, so the second failed."""
    emu = hubspot_emulator
    object_type = "contacts" if keyed_by == "email" else "deals"
    key = "email" if keyed_by == "email" else "import_key"
    inputs = [{key: "a@example.com", "firstname": "First"}, {key: "A@example.com"}]
    if object_type == "deals":
        deal = {"dealstage": "appointmentscheduled", "pipeline": "default", key: "k-1"}
        inputs = [deal | {"dealname": "First"}, deal | {"dealname": "Second"}]
    async with virtual_time.install(AsyncHubCRM(emu.token, base_url=emu.base_url)) as crm:
        if object_type == "deals":
            await crm.properties.create("deals", key, label="Import key", unique=True)
        operation = "batch_create" if mode == "batch" else "create"
        emu.faults.error_after(502, times=2, operation=operation, object_type=object_type)
        result = await crm.objects.create_many(
            object_type,
            inputs,
            batch_size=1,
            concurrency=1,
            mode=mode,  # type: ignore[arg-type]
            id_property=None if keyed_by == "email" else key,
        )
    stored = emu.objects(object_type)
    assert len(stored) == 1
    assert emu.stats.faults == {"error_after": 2}
    first, second = result.outcomes
    assert first.status == "created"
    assert first.object is not None
    assert first.object.id == stored[0]["id"]
    assert second.status == "failed"
    assert isinstance(second.error, ConflictError)
    assert second.error.existing_id == first.object.id
    assert result.created == 1


NOW = "2030-01-01T00:00:00.000Z"  # after the batch was sent, whatever the clock says


async def test_a_record_made_in_the_millisecond_an_earlier_answer_completed_is_ours(
    serve: Serve,
) -> None:
    """The first batch's answer completes at NOW; the second batch's record is made at
    NOW too (HubSpot's clock has milliseconds only) and its answer is lost (502). The
    read-back finds it: its email was in no earlier input, so it is this input's."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        op = request.path.rsplit("/", 1)[1]
        seen.append(op)
        if op == "read":
            return web.json_response({"status": "COMPLETE", "results": [_record("2", "b")]})
        entry = body["inputs"][0]
        if entry["properties"]["email"] == "b@example.com":
            return web.json_response({"status": "error", "message": "bad gw"}, status=502)
        record = _record("1", "a") | {"objectWriteTraceId": entry["objectWriteTraceId"]}
        answer = {"status": "COMPLETE", "results": [record], "completedAt": NOW}
        return web.json_response(answer, status=201)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with AsyncHubCRM("t", base_url=url, rate_limit=None) as crm:
        result = await crm.objects.create_many(
            "contacts",
            [{"email": "a@example.com"}, {"email": "b@example.com"}],
            batch_size=1,
            concurrency=1,
        )
    assert seen == ["create", "create", "read"]
    assert [o.status for o in result.outcomes] == ["created", "created"]
    assert [o.object.id for o in result.outcomes if o.object] == ["1", "2"]


async def test_a_repeated_key_meets_the_record_an_answer_gave_in_the_same_millisecond(
    serve: Serve,
) -> None:
    """The first input's record is answered, made at NOW and completed at NOW. The
    second input has its email; its batch is refused by HubSpot but the answer is lost
    (502), and the read-back finds the first input's record: the second failed."""

    async def handler(request: web.Request) -> web.StreamResponse:
        body = json.loads(await request.read())
        op = request.path.rsplit("/", 1)[1]
        if op == "read":
            return web.json_response({"status": "COMPLETE", "results": [_record("1", "a")]})
        entry = body["inputs"][0]
        if entry["properties"]["email"] == "A@example.com":
            return web.json_response({"status": "error", "message": "bad gw"}, status=502)
        record = _record("1", "a") | {"objectWriteTraceId": entry["objectWriteTraceId"]}
        answer = {"status": "COMPLETE", "results": [record], "completedAt": NOW}
        return web.json_response(answer, status=201)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    url = await serve(app)
    async with AsyncHubCRM("t", base_url=url, rate_limit=None) as crm:
        result = await crm.objects.create_many(
            "contacts",
            [{"email": "a@example.com"}, {"email": "A@example.com"}],
            batch_size=1,
            concurrency=1,
        )
    first, second = result.outcomes
    assert first.status == "created"
    assert second.status == "failed"
    assert isinstance(second.error, ConflictError)
    assert second.error.existing_id == "1"


def _record(object_id: str, name: str) -> dict[str, Any]:
    return {
        "id": object_id,
        "properties": {"email": f"{name}@example.com"},
        "createdAt": NOW,
        "updatedAt": NOW,
        "archived": False,
    }


# --- the decision, unit by unit -------------------------------------------------------------


def _made_at(ms: int, object_id: str = "9", **properties: str) -> CrmObject:
    at = f"2030-01-01T00:00:00.{ms:03d}Z"
    return load_object(
        {"id": object_id, "properties": properties, "createdAt": at, "updatedAt": at}
    )


def test_earlier_in_run_compares_milliseconds_only_for_a_repeated_value() -> None:
    base = round(_made_at(0).created_at.timestamp() * 1000)
    made_by = MadeBy(base + 5, frozenset({"7"}))
    assert earlier_in_run(_made_at(1), False, made_by) == "no"  # a value seen once
    assert earlier_in_run(_made_at(1), True, None) == "no"  # nothing made before
    assert earlier_in_run(_made_at(4), True, made_by) == "yes"  # made before
    assert earlier_in_run(_made_at(6), True, made_by) == "no"  # made after
    assert earlier_in_run(_made_at(5), True, made_by) == "cannot tell"
    assert earlier_in_run(_made_at(5, "7"), True, made_by) == "yes"  # settled as earlier's


def test_made_by_moves_forward_only_and_keeps_the_records_made_at_its_millisecond() -> None:
    base = round(_made_at(0).created_at.timestamp() * 1000) / 1000
    assert MadeBy.after(None, None) is None
    start = MadeBy.after(None, base + 0.005, [_made_at(5, "1"), _made_at(3, "2")])
    assert start == MadeBy(round(base * 1000) + 5, frozenset({"1"}))  # "2" made before
    assert MadeBy.after(start, base + 0.004, [_made_at(4, "3")]) is start  # older
    assert MadeBy.after(start, None, [_made_at(9, "3")]) is start  # no time: nothing new
    same = MadeBy.after(start, base + 0.0052, [_made_at(5, "4")])  # the same millisecond
    assert same == MadeBy(start.ms, frozenset({"1", "4"}))
    later = MadeBy.after(same, base + 0.007)
    assert later == MadeBy(start.ms + 2, frozenset())


def test_seen_keys_never_forgets_and_rarely_imagines() -> None:
    seen = SeenKeys()
    n = 200_000  # past the first filter's capacity: the filters grow
    added = [seen.add(f"k{i}@example.com") for i in range(n)]
    assert all(seen.add(f"k{i}@example.com") for i in range(0, n, 7))  # no false "no"
    false_yes = sum(added)
    assert false_yes < n * 0.02  # about 1% expected


@given(
    st.integers(0, 10**6),
    st.lists(st.integers(-4_000, 4_000), max_size=8),
    st.sampled_from([-1.0, 0.0, 0.4, 0.5, 0.6]),  # milliseconds
)
def test_made_by_names_exactly_the_records_of_its_millisecond(
    at_us: int, offsets_us: list[int], shift: float
) -> None:
    """Records far from ``at`` are passed over by a comparison: the same records as
    rounding every record's time, at microsecond and half-millisecond edges too."""
    epoch = datetime(2030, 1, 1, tzinfo=timezone.utc)
    at = (epoch + timedelta(microseconds=at_us)).timestamp() + shift / 1000
    records = [
        load_object(
            {
                "id": str(i),
                "createdAt": format_utc(epoch + timedelta(microseconds=at_us + offset)),
                "updatedAt": "2030-01-01T00:00:00Z",
            }
        )
        for i, offset in enumerate(offsets_us)
    ]
    ms = round(at * 1000)
    expected = frozenset(r.id for r in records if round(r.created_at.timestamp() * 1000) == ms)
    assert MadeBy.after(None, at, records) == MadeBy(ms, expected)


class _PlainBloom:
    """SeenKeys' filters as documented, probe by probe: its answers to compare with."""

    def __init__(self) -> None:
        self.filters: list[tuple[bytearray, int]] = []
        self.count = self.capacity = 0
        self.grow()

    def grow(self) -> None:
        self.capacity = SeenKeys._FIRST_CAPACITY * SeenKeys._GROWTH ** len(self.filters)
        bits = self.capacity * SeenKeys._BITS_PER_VALUE
        self.filters.append((bytearray(bits // 8), bits))
        self.count = 0

    def add(self, key: str) -> bool:
        h = hash(key)
        h1, h2 = h & 0xFFFF_FFFF, ((h >> 32) & 0xFFFF_FFFF) | 1
        probes = range(SeenKeys._PROBES)
        for table, bits in self.filters:
            at = [(h1 + i * h2) % bits for i in probes]
            if all(table[p >> 3] & (1 << (p & 7)) for p in at):
                return True
        if self.count >= self.capacity:
            self.grow()
        self.count += 1
        table, bits = self.filters[-1]
        for i in probes:
            p = (h1 + i * h2) % bits
            table[p >> 3] |= 1 << (p & 7)
        return False


def test_seen_keys_answers_as_the_plain_filter_through_its_growth() -> None:
    seen, plain = SeenKeys(), _PlainBloom()
    keys = [f"k{i}@example.com" for i in range(70_000)]  # past the first filter
    keys += keys[::50]  # and values seen before
    assert [seen.add(key) for key in keys] == [plain.add(key) for key in keys]
    assert len(plain.filters) == 2


def test_claim_names_the_earlier_record_and_never_a_value() -> None:
    base = round(_made_at(0).created_at.timestamp() * 1000)
    made_by = MadeBy(base + 5, frozenset({"7"}))
    obj = ObjectInput({"email": "secret@example.com", "firstname": "Ada"})
    kwargs: dict[str, Any] = {"object_type": "contacts", "obj": obj, "key_property": "email"}
    same_values = {"email": "SECRET@example.com", "firstname": "Ada"}
    created = claim(_made_at(6, **same_values), True, made_by, **kwargs)
    assert created.status == "created"
    earlier = claim(_made_at(5, "7", **same_values), True, made_by, **kwargs)
    assert earlier.status == "failed"
    assert isinstance(earlier.error, ConflictError)
    assert earlier.error.existing_id == "7"
    same_ms = claim(_made_at(5, "8", **same_values), True, made_by, **kwargs)
    assert same_ms.status == "unknown"
    assert isinstance(same_ms.error, OutcomeUnknownError)
    assert same_ms.error.retried
    assert "ID 8" in str(same_ms.error.cause)
    assert "same millisecond" in str(same_ms.error.cause)
    other = claim(
        _made_at(9, "9", email="secret@example.com", firstname="Bo"), False, None, **kwargs
    )
    assert other.status == "unknown"
    assert isinstance(other.error, OutcomeUnknownError)
    assert isinstance(other.error.cause, OtherValues)
    assert other.error.cause.properties == ["firstname"]
    assert "ID 9" in str(other.error.cause)
    for settled in (earlier, same_ms, other):
        for text in (
            str(settled.error),
            repr(settled.error),
            str(getattr(settled.error, "cause", "")),
        ):
            assert "secret" not in text
            assert "Bo" not in text
