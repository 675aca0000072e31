"""OpenTelemetry spans: one per HTTP attempt, named by HubSpot's route template; a span per
bulk run with its counts; settling as a child span; never a token or a property value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk", reason="pip install -e '.[otel]' opentelemetry-sdk")

from conftest import Spans
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from support_time import VirtualTime

from hubcrm import AsyncHubCRM, NotFoundError
from hubcrm._http.tracing import route_template
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
CREATE = "POST /crm/objects/2026-03/{objectType}"
RECORD = "/crm/objects/2026-03/{objectType}/{objectId}"


def _everything(spans: Sequence[ReadableSpan]) -> str:
    """Every name, attribute and event of ``spans`` as one text."""
    parts: list[object] = []
    for span in spans:
        parts += [span.name, dict(span.attributes or {})]
        parts += [(event.name, dict(event.attributes or {})) for event in span.events]
        parts.append(span.status.description)
    return json.dumps(parts, default=str)


def _assert_clean(spans: Sequence[ReadableSpan], token: str, *values: str) -> None:
    assert spans, "nothing was recorded"
    text = _everything(spans)
    for secret in (token, *values):
        assert secret not in text


def _seconds(attributes: Mapping[str, object] | None) -> float:
    value = (attributes or {})["hubcrm.wait_seconds"]
    assert isinstance(value, float)
    return value


def _attempts(spans: Spans) -> list[ReadableSpan]:
    return [span for span in spans() if span.kind is SpanKind.CLIENT]


async def test_a_create_is_one_client_span_named_by_its_route(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans
) -> None:
    record = await crm.objects.create("contacts", {"email": "ada@example.com", "firstname": "Ada"})
    (span,) = spans()
    assert span.name == CREATE
    assert span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "hubcrm"
    attributes = dict(span.attributes or {})
    correlation_id = attributes.pop("hubcrm.correlation_id")
    assert isinstance(correlation_id, str)
    assert correlation_id
    host, port = hubspot_emulator.base_url.removeprefix("http://").split(":")
    assert attributes == {
        "http.request.method": "POST",
        "url.template": "/crm/objects/2026-03/{objectType}",
        "url.full": f"{hubspot_emulator.base_url}/crm/objects/2026-03/contacts",
        "server.address": host,
        "server.port": int(port),
        "http.response.status_code": 201,
        "hubcrm.object_type": "contacts",
        "hubcrm.attempt": 1,
    }
    assert span.status.status_code is StatusCode.UNSET
    assert record.id not in _everything([span])
    _assert_clean(spans(), hubspot_emulator.token, "ada@example.com", "Ada")


async def test_a_lookup_by_unique_value_is_templated_and_its_query_redacted(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans
) -> None:
    await crm.objects.create("contacts", {"email": "ada@example.com"})
    spans.named(CREATE)  # recorded; not the subject
    found = await crm.objects.get("contacts", "ada@example.com", id_property="email")
    (span,) = spans.named(f"GET {RECORD}")
    attributes = span.attributes or {}
    assert attributes["url.template"] == RECORD
    assert attributes["url.full"] == (
        f"{hubspot_emulator.base_url}/crm/objects/2026-03/contacts/<email>?idProperty=REDACTED"
    )
    assert attributes["http.response.status_code"] == 200
    _assert_clean(spans(), hubspot_emulator.token, "ada@example.com", "ada%40example.com", found.id)


async def test_each_retried_attempt_is_a_span_with_its_number_and_the_retry_an_event(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans, virtual_time: VirtualTime
) -> None:
    virtual_time.install(crm)
    created = await crm.objects.create("contacts", {"email": "bo@example.com"})
    hubspot_emulator.faults.error_before(503, times=2, operation="read")
    await crm.objects.get("contacts", created.id)
    reads = spans.named(f"GET {RECORD}")
    assert [(s.attributes or {})["hubcrm.attempt"] for s in reads] == [1, 2, 3]
    assert [(s.attributes or {})["http.response.status_code"] for s in reads] == [503, 503, 200]
    assert [(s.attributes or {}).get("error.type") for s in reads] == ["503", "503", None]
    assert [s.status.status_code for s in reads] == [StatusCode.ERROR] * 2 + [StatusCode.UNSET]
    retries = [[e for e in s.events if e.name == "hubcrm.retry"] for s in reads]
    assert [len(events) for events in retries] == [1, 1, 0]
    waits = [events[0].attributes or {} for events in retries[:2]]
    assert [w["hubcrm.wait_seconds"] for w in waits] == virtual_time.slept
    assert all("503" in str(w["hubcrm.retry.reason"]) for w in waits)
    # The backoff is slept after the failed attempt's span has ended.
    assert reads[0].end_time is not None
    assert reads[1].start_time is not None
    assert reads[0].end_time <= reads[1].start_time
    _assert_clean(spans(), hubspot_emulator.token, "bo@example.com")


async def test_a_429_pause_is_an_event_and_the_wait_it_imposes_another(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans
) -> None:
    created = await crm.objects.create("contacts", {"email": "cy@example.com"})
    hubspot_emulator.faults.error_before(429, times=1, retry_after=0.2, operation="read")
    await crm.objects.get("contacts", created.id)
    first, second = spans.named(f"GET {RECORD}")
    assert (first.attributes or {})["error.type"] == "429"
    (pause,) = [e for e in first.events if e.name == "hubcrm.rate_limit.pause"]
    assert _seconds(pause.attributes) > 0
    (wait,) = [e for e in second.events if e.name == "hubcrm.rate_limit.wait"]
    assert _seconds(wait.attributes) > 0
    assert (second.attributes or {})["hubcrm.attempt"] == 2
    _assert_clean(spans(), hubspot_emulator.token, "cy@example.com")


async def test_a_bulk_run_is_one_span_with_its_counts_around_its_requests(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans
) -> None:
    rows = [{"email": f"row{i}@example.com", "firstname": f"Row{i}"} for i in range(5)]
    rows[3]["email"] = "not-an-email-3"
    result = await crm.objects.create_many("contacts", rows, batch_size=2, concurrency=1)
    assert (result.created, result.failed) == (4, 1)
    (run,) = spans.named("hubcrm.create_many")
    assert dict(run.attributes or {}) == {
        "hubcrm.object_type": "contacts",
        "hubcrm.bulk.mode": "batch",
        "hubcrm.bulk.batch_size": 2,
        "hubcrm.bulk.created": 4,
        "hubcrm.bulk.updated": 0,
        "hubcrm.bulk.failed": 1,
        "hubcrm.bulk.unknown": 0,
        "hubcrm.bulk.not_attempted": 0,
        "hubcrm.bulk.read_backs": 0,
        "hubcrm.bulk.settle_resends": 0,
        "hubcrm.bulk.lost": 0,
    }
    attempts = _attempts(spans)
    assert attempts
    assert {span.name for span in attempts} == {
        "POST /crm/objects/2026-03/{objectType}/batch/create"
    }
    # One span per request HubSpot saw: three batches of at most two.
    assert len(attempts) == hubspot_emulator.stats.requests_by_operation["batch_create"] == 3
    assert all(span.parent is not None for span in attempts)
    assert {span.parent.span_id for span in attempts if span.parent} == {run.context.span_id}
    _assert_clean(
        spans(), hubspot_emulator.token, "not-an-email-3", *(v for r in rows for v in r.values())
    )


async def test_iter_create_many_is_traced_like_create_many(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans
) -> None:
    rows = [{"email": f"it{i}@example.com"} for i in range(3)]
    outcomes = [o async for o in crm.objects.iter_create_many("contacts", rows)]
    assert len(outcomes) == 3
    (run,) = spans.named("hubcrm.create_many")
    assert (run.attributes or {})["hubcrm.bulk.created"] == 3
    (attempt,) = _attempts(spans)
    assert attempt.parent is not None
    assert attempt.parent.span_id == run.context.span_id
    _assert_clean(spans(), hubspot_emulator.token, *(r["email"] for r in rows))


async def test_settling_an_ambiguous_create_is_a_child_span(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans, virtual_time: VirtualTime
) -> None:
    virtual_time.install(crm)
    hubspot_emulator.faults.disconnect_after(times=1, object_type="contacts")
    await crm.objects.create("contacts", {"email": "dee@example.com", "lastname": "Dee"})
    first, *later = spans.named(CREATE)
    assert (first.attributes or {})["error.type"] == "APIConnectionError"
    (settle,) = spans.named("hubcrm.settle")
    assert dict(settle.attributes or {}) == {
        "hubcrm.object_type": "contacts",
        "hubcrm.settle.inputs": 1,
    }
    assert later  # the resend, answered 409: the record the first attempt made
    assert all(s.parent is not None and s.parent.span_id == settle.context.span_id for s in later)
    assert (later[-1].attributes or {})["http.response.status_code"] == 409
    _assert_clean(spans(), hubspot_emulator.token, "dee@example.com", "Dee")


async def test_a_raw_request_off_hubspots_routes_is_named_by_its_redacted_path(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans
) -> None:
    with pytest.raises(NotFoundError):
        await crm.request("GET", "/files/v3/files/ada@example.com", params={"q": "ada"})
    (span,) = spans()
    assert span.name == "GET /files/v3/files/<redacted>"
    attributes = span.attributes or {}
    assert "url.template" not in attributes
    assert attributes["url.full"] == (
        f"{hubspot_emulator.base_url}/files/v3/files/<redacted>?q=REDACTED"
    )
    assert attributes["error.type"] == "404"
    _assert_clean(spans(), hubspot_emulator.token, "ada")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/crm/objects/2026-03/contacts", ("/crm/objects/2026-03/{objectType}", "contacts")),
        (
            "/crm/objects/2026-03/p123_cars/batch/upsert",
            ("/crm/objects/2026-03/{objectType}/batch/upsert", "p123_cars"),
        ),
        ("/crm/v3/objects/deals/search", ("/crm/v3/objects/{objectType}/search", "deals")),
        ("/crm/v3/objects/deals/42", ("/crm/v3/objects/{objectType}/{objectId}", "deals")),
        (
            "/crm/v4/objects/contacts/1/associations/default/companies/2",
            (
                "/crm/v4/objects/{objectType}/{objectId}/associations/default/"
                "{toObjectType}/{toObjectId}",
                "contacts",
            ),
        ),
        (
            "/crm/associations/2026-03/contacts/companies/labels",
            ("/crm/associations/2026-03/{objectType}/{toObjectType}/labels", "contacts"),
        ),
        (
            "/crm/properties/2026-03/0-1/hs_email",
            ("/crm/properties/2026-03/{objectType}/{propertyName}", "0-1"),
        ),
        ("/crm/objects/2026-03/contacts/1/2", None),  # not a route hubcrm knows
        ("/crm/objects/2026-03/contacts/batch/anything", None),
        ("/crm/owners/2026-03/x", None),
        ("/files/v3/files/1", None),
    ],
)
def test_route_templates(path: str, expected: tuple[str, str] | None) -> None:
    assert route_template(path) == expected


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, cwd=ROOT
    )


def test_importing_hubcrm_imports_no_opentelemetry() -> None:
    out = _python(
        "import sys, hubcrm\nprint(sorted(m for m in sys.modules if m.startswith('opentelemetry')))"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_without_the_extra_a_client_works_and_imports_nothing_of_it() -> None:
    code = """
import asyncio, sys
sys.modules["opentelemetry"] = None  # what a missing package looks like to an import
from hubcrm import AsyncHubCRM
from hubcrm.testing import Emulator

async def main():
    async with Emulator() as emu, AsyncHubCRM(emu.token, base_url=emu.base_url) as crm:
        assert crm._session.tracing is None
        record = await crm.objects.create("contacts", {"email": "x@example.com"})
        result = await crm.objects.create_many("contacts", [{"email": "y@example.com"}])
        print(bool(record.id), result.created)
    print(sorted(m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m]))

asyncio.run(main())
"""
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["True 1", "[]"]


async def test_with_the_extra_and_no_provider_nothing_records(
    hubspot_emulator: Emulator,
) -> None:
    # The global provider of this process records only inside a test holding `spans`.
    async with AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm:
        assert crm._session.tracing is not None
        tracing = crm._session.tracing
        assert tracing.attempt("GET", "/crm/objects/2026-03/contacts", None, 1) is None
        await crm.objects.create("contacts", {"email": "z@example.com"})


async def test_a_bulk_run_stopped_by_an_error_names_it(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, spans: Spans
) -> None:
    rows = [{"name": f"Thing {i}"} for i in range(4)]
    result = await crm.objects.create_many("p999_missing", rows, batch_size=2, concurrency=1)
    assert result.stopped_by is not None
    (run,) = spans.named("hubcrm.create_many")
    attributes = run.attributes or {}
    assert attributes["hubcrm.bulk.stopped_by"] == type(result.stopped_by).__qualname__
    assert type(result.stopped_by).__qualname__ == "BadRequestError"  # an unknown type
    assert attributes["hubcrm.bulk.created"] == 0
    failed, not_attempted = (
        attributes["hubcrm.bulk.failed"],
        attributes["hubcrm.bulk.not_attempted"],
    )
    assert (failed, not_attempted) == (result.failed, result.not_attempted)
    assert result.failed + result.not_attempted == len(result.outcomes) > 0
    _assert_clean(spans(), hubspot_emulator.token, *(r["name"] for r in rows))


def test_a_blocking_call_is_a_child_of_the_span_current_in_its_calling_thread(
    spans: Spans,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from opentelemetry import trace

    from hubcrm import HubCRM

    tracer = trace.get_tracer("hubcrm tests")

    def create_under(name: str) -> None:
        with tracer.start_as_current_span(name):
            crm.objects.create("contacts", {"email": f"{name}@example.com"})

    with Emulator() as hubspot, HubCRM(hubspot.token, base_url=hubspot.base_url) as crm:
        create_under("caller")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(create_under, [f"thread{i}" for i in range(8)]))
        crm.objects.create("contacts", {"email": "orphan@example.com"})
    attempts = spans.named(CREATE)
    assert len(attempts) == 10
    parents = {span.context.span_id: span.name for span in spans() if span.name != CREATE}
    assert sorted(parents.values()) == sorted(["caller", *(f"thread{i}" for i in range(8))])
    children = sorted(parents[span.parent.span_id] for span in attempts if span.parent is not None)
    # Each call is the child of its own caller's span, and of no other; the call made
    # outside any span starts a trace of its own.
    assert children == sorted(parents.values())
    assert sum(span.parent is None for span in attempts) == 1
