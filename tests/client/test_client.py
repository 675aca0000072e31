"""AsyncHubCRM.objects.create against the emulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from support_servers import Serve
from support_time import VirtualTime

import hubcrm
from hubcrm import (
    APIConnectionError,
    APITimeoutError,
    Association,
    AssociationSpec,
    AssociationType,
    AsyncHubCRM,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CrmObject,
    HubCRMError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseParseError,
    ServerError,
)
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

DEAL = {"dealname": "d", "dealstage": "closedwon", "pipeline": "default"}


async def test_create_contact_returns_the_stored_object(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    obj = await crm.objects.create("contacts", {"email": "ada@example.com", "firstname": "Ada"})

    assert isinstance(obj, CrmObject)
    assert obj.id.isdigit()
    assert obj.properties["email"] == "ada@example.com"
    assert obj.properties["firstname"] == "Ada"
    assert obj.properties["hs_object_id"] == obj.id
    assert obj.created_at.tzinfo is not None
    assert before <= obj.created_at <= datetime.now(timezone.utc) + timedelta(seconds=5)
    assert obj.archived is False
    stored = hubspot_emulator.objects("contacts")
    assert [s["id"] for s in stored] == [obj.id]
    assert hubspot_emulator.count("contacts") == 1


async def test_object_type_by_id_and_custom_type(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    company = await crm.objects.create("0-2", {"name": "Acme"})
    assert hubspot_emulator.count("companies") == 1
    assert company.properties["name"] == "Acme"


async def test_python_values_are_written_in_hubspot_formats(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    obj = await crm.objects.create(
        "contacts",
        {
            "email": "grace@example.com",
            "hs_email_optout": True,
            "total_revenue": Decimal("1234.50"),
            "hs_lead_score": 0.00001,
            "date_of_birth": date(1906, 12, 9),
            "closedate": datetime(
                2024, 11, 20, 21, 12, 9, 236000, tzinfo=timezone(timedelta(hours=1))
            ),
            "firstname": None,
        },
    )
    props = hubspot_emulator.objects("contacts")[0]["properties"]
    assert props["hs_email_optout"] == "true"
    assert props["total_revenue"] == "1234.50"
    assert props["hs_lead_score"] == "0.00001"
    assert props["date_of_birth"] == "1906-12-09"
    assert props["closedate"] == "2024-11-20T20:12:09.236Z"
    assert props.get("firstname") in ("", None)  # "" clears: nothing is stored
    assert obj.properties["hs_email_optout"] == "true"


async def test_multiselect_values_are_joined(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    await crm.objects.create(
        "tickets",
        {
            "subject": "Printer on fire",
            "hs_pipeline": "0",
            "hs_pipeline_stage": "1",
            "hs_ticket_category": ["PRODUCT_ISSUE", "BILLING_ISSUE"],
        },
    )
    props = hubspot_emulator.objects("tickets")[0]["properties"]
    assert props["hs_ticket_category"] == "PRODUCT_ISSUE;BILLING_ISSUE"


async def test_associations_reach_hubspot(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    company = await crm.objects.create("companies", {"name": "Acme", "domain": "acme.test"})
    contact = await crm.objects.create(
        "contacts",
        {"email": "ada@acme.test"},
        [Association(company.id, AssociationType.CONTACT_TO_COMPANY)],
    )
    deal = await crm.objects.create(
        "deals",
        {"dealname": "Big", "dealstage": "appointmentscheduled", "pipeline": "default"},
        associations=[
            Association(int(contact.id), [AssociationSpec(AssociationType.DEAL_TO_CONTACT)]),
            Association(company.id, AssociationType.DEAL_TO_COMPANY_PRIMARY),
        ],
    )
    stored = {o["id"]: o for o in hubspot_emulator.objects("deals")}[deal.id]
    wire = json.dumps(stored["associations"])
    assert contact.id in wire
    assert company.id in wire


async def test_association_to_missing_record_is_rejected(crm: AsyncHubCRM) -> None:
    with pytest.raises(BadRequestError) as info:
        await crm.objects.create(
            "contacts", {"email": "x@example.com"}, [Association("999999999", 279)]
        )
    assert info.value.status == 400


# --- errors ------------------------------------------------------------------------


async def test_unknown_property_is_a_bad_request_with_details(crm: AsyncHubCRM) -> None:
    with pytest.raises(BadRequestError) as info:
        await crm.objects.create("contacts", {"email": "a@example.com", "shoe_size": "9"})
    err = info.value
    assert err.status == 400
    assert err.category == "VALIDATION_ERROR"
    assert [d.code for d in err.errors] == ["PROPERTY_DOESNT_EXIST"]
    assert err.correlation_id
    assert err.headers["x-hubspot-correlation-id"] == err.correlation_id
    text = str(err)
    assert "400" in text
    assert "VALIDATION_ERROR" in text
    assert err.correlation_id in text
    assert err.method == "POST"
    assert err.path == "/crm/objects/2026-03/contacts"


async def test_duplicate_contact_is_a_conflict_with_the_existing_id(crm: AsyncHubCRM) -> None:
    first = await crm.objects.create("contacts", {"email": "dup@example.com"})
    with pytest.raises(ConflictError) as info:
        await crm.objects.create("contacts", {"email": "dup@example.com"})
    assert info.value.existing_id == first.id


def test_duplicate_contact_newer_conflict_shape() -> None:
    async def main() -> None:
        async with (
            Emulator(conflict_style="object_already_exists") as emu,
            AsyncHubCRM(emu.token, base_url=emu.base_url) as crm,
        ):
            first = await crm.objects.create("contacts", {"email": "dup@example.com"})
            with pytest.raises(ConflictError) as info:
                await crm.objects.create("contacts", {"email": "dup@example.com"})
            assert info.value.category == "OBJECT_ALREADY_EXISTS"
            assert info.value.existing_id == first.id

    asyncio.run(main())


async def test_wrong_token_is_an_authentication_error(hubspot_emulator: Emulator) -> None:
    async with AsyncHubCRM("pat-na1-wrong", base_url=hubspot_emulator.base_url) as crm:
        with pytest.raises(AuthenticationError) as info:
            await crm.objects.create("contacts", {"email": "a@example.com"})
    assert info.value.category == "INVALID_AUTHENTICATION"
    assert hubspot_emulator.count("contacts") == 0


async def test_unknown_object_type_is_a_bad_request(crm: AsyncHubCRM) -> None:
    with pytest.raises(BadRequestError) as info:
        await crm.objects.create("spaceships", {"name": "x"})
    assert "Unable to infer object type from: spaceships" in str(info.value)


@pytest.mark.hubspot_emulator(rate_limit=(2, 60.0))
async def test_429_beyond_the_deadline_is_a_rate_limit_error(hubspot_emulator: Emulator) -> None:
    async with AsyncHubCRM(
        hubspot_emulator.token,
        base_url=hubspot_emulator.base_url,
        rate_limit=None,  # no local limiting: HubSpot's 429 is what stops it
        rate_limit_deadline=0,
    ) as crm:
        await crm.objects.create("contacts", {"email": "a@example.com"})
        await crm.objects.create("contacts", {"email": "b@example.com"})
        with pytest.raises(RateLimitError) as info:
            await crm.objects.create("contacts", {"email": "c@example.com"})
    assert info.value.status == 429
    assert info.value.policy_name == "TEN_SECONDLY_ROLLING"
    assert hubspot_emulator.count("contacts") == 2


async def test_error_before_processing_is_a_server_error(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    hubspot_emulator.faults.error_before(503, times=1, operation="create")
    with pytest.raises(OutcomeUnknownError) as info:
        await crm.objects.create(
            "deals", {"dealname": "d", "dealstage": "closedwon", "pipeline": "default"}
        )
    # A 503 might or might not have been processed, as far as the client can tell.
    assert isinstance(info.value.cause, ServerError)
    assert info.value.cause.status == 503
    assert hubspot_emulator.count("deals") == 0


async def test_html_502_after_commit_is_an_unknown_outcome(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, html=True)
    props = {"dealname": "d", "dealstage": "closedwon", "pipeline": "default"}
    with pytest.raises(OutcomeUnknownError) as info:
        await crm.objects.create("deals", props)
    err = info.value
    assert err.object_type == "deals"
    assert err.input is not None
    assert err.input.properties["dealname"] == "d"
    assert isinstance(err.cause, ServerError)
    assert err.cause.status == 502
    assert "not JSON" in str(err.cause) or "non-JSON" in str(err.cause)
    # The write really happened: that is why the client must not say it failed.
    assert hubspot_emulator.count("deals") == 1


async def test_dropped_connection_after_commit_is_an_unknown_outcome(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    hubspot_emulator.faults.disconnect_after(times=1)
    with pytest.raises(OutcomeUnknownError) as info:
        await crm.objects.create("deals", DEAL)  # a deal has no unique key to retry safely
    assert isinstance(info.value.cause, APIConnectionError)
    assert info.value.cause.request_sent is True
    assert hubspot_emulator.count("deals") == 1


async def test_slow_response_is_a_timeout_and_an_unknown_outcome(
    hubspot_emulator: Emulator,
) -> None:
    hubspot_emulator.faults.timeout_after(5.0, times=1)
    async with AsyncHubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, timeout=0.3
    ) as crm:
        with pytest.raises(OutcomeUnknownError) as info:
            await crm.objects.create("deals", DEAL)
    assert isinstance(info.value.cause, APITimeoutError)
    assert hubspot_emulator.count("deals") == 1


async def test_connection_refused_is_a_connection_error_not_an_unknown_outcome(
    unused_port: int, virtual_time: VirtualTime
) -> None:
    client = AsyncHubCRM("t", base_url=f"http://127.0.0.1:{unused_port}")
    async with virtual_time.install(client) as crm:
        with pytest.raises(APIConnectionError) as info:
            await crm.objects.create("contacts", {"email": "a@example.com"})
    assert info.value.request_sent is False
    assert not isinstance(info.value, OutcomeUnknownError)
    assert len(virtual_time.slept) == 3  # not sent, so retried: 3 backoffs, on virtual time


# --- bad input fails before any I/O -----------------------------------------------------


@pytest.mark.parametrize(
    ("object_type", "exc"),
    [
        ("", ValueError),
        ("con tacts", ValueError),
        ("contacts/123", ValueError),
        ("contacts?x=1", ValueError),
        ("contacts#", ValueError),
        ("contacts\n", ValueError),
        (123, TypeError),
        (None, TypeError),
    ],
)
async def test_bad_object_type_fails_before_io(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, object_type: Any, exc: type[Exception]
) -> None:
    with pytest.raises(exc, match="object_type"):
        await crm.objects.create(object_type, {"email": "a@example.com"})
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.parametrize(
    ("properties", "associations", "exc", "match"),
    [
        ({1: "x"}, (), TypeError, "1"),
        ({"age": b"12"}, (), TypeError, "age"),
        ({"n": float("nan")}, (), ValueError, "'n'"),
        ({"when": datetime(2024, 1, 1)}, (), ValueError, "naive"),
        ({"x": object()}, (), TypeError, "'x'"),
        ("email=a@b.c", (), TypeError, "Mapping|mapping"),
    ],
)
async def test_bad_properties_fail_before_io(
    crm: AsyncHubCRM,
    hubspot_emulator: Emulator,
    properties: Any,
    associations: Any,
    exc: type[Exception],
    match: str,
) -> None:
    with pytest.raises(exc, match=match):
        await crm.objects.create("contacts", properties, associations)
    assert hubspot_emulator.stats.requests == 0


async def test_association_without_types_fails_before_io(
    crm: AsyncHubCRM, hubspot_emulator: Emulator
) -> None:
    with pytest.raises(ValueError, match="at least one type"):
        await crm.objects.create("contacts", {"email": "a@example.com"}, [Association("1", [])])
    assert hubspot_emulator.stats.requests == 0


# --- construction, closing, loops ----------------------------------------------------------


def test_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-from-env")
    crm = AsyncHubCRM(base_url="http://127.0.0.1:9")
    assert "pat-na1-from-env" not in repr(crm)


def test_no_token_at_all_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    with pytest.raises(HubCRMError, match="HUBSPOT_ACCESS_TOKEN"):
        AsyncHubCRM()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"api_version": "2026/03"}, "api_version"),
        ({"timeout": 0}, "timeout"),
        ({"max_connections": 0}, "max_connections"),
    ],
)
def test_bad_settings_are_rejected(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        AsyncHubCRM("t", **kwargs)


async def test_close_twice_and_use_after_close(hubspot_emulator: Emulator) -> None:
    crm = AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    await crm.objects.create("contacts", {"email": "a@example.com"})
    await crm.aclose()
    await crm.aclose()
    assert crm.closed
    with pytest.raises(HubCRMError, match="closed"):
        await crm.objects.create("contacts", {"email": "b@example.com"})
    with pytest.raises(HubCRMError, match="closed"):
        async with crm:
            pass
    gc.collect()  # an unclosed aiohttp session would warn here, and warnings are errors
    assert hubspot_emulator.count("contacts") == 1


async def test_connections_are_reused(crm: AsyncHubCRM, hubspot_emulator: Emulator) -> None:
    await crm.objects.create("contacts", {"email": "first@example.com"})
    pool = crm._session.transport.client
    await asyncio.gather(
        *(crm.objects.create("contacts", {"email": f"c{i}@example.com"}) for i in range(50))
    )
    assert crm._session.transport.client is pool
    assert hubspot_emulator.count("contacts") == 51


def test_client_survives_a_second_asyncio_run(hubspot_emulator: Emulator) -> None:
    crm = AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)

    async def create(email: str) -> str:
        return (await crm.objects.create("contacts", {"email": email})).id

    asyncio.run(create("one@example.com"))
    asyncio.run(create("two@example.com"))
    asyncio.run(crm.aclose())
    gc.collect()
    assert hubspot_emulator.count("contacts") == 2


def test_client_in_use_on_another_loop_is_a_clear_error(hubspot_emulator: Emulator) -> None:
    crm = AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(
            crm.objects.create("contacts", {"email": "a@example.com"}), loop
        ).result(10)

        async def other() -> None:
            await crm.objects.create("contacts", {"email": "b@example.com"})

        with pytest.raises(HubCRMError, match="another event loop"):
            asyncio.run(other())
    finally:
        asyncio.run_coroutine_threadsafe(crm.aclose(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


# --- tolerant reading, headers: a tiny server that answers what a test wants -------------


@attrs.frozen
class Seen:
    """What the scripted server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Scripted = tuple[str, list[Seen], list[web.Response]]


@pytest.fixture
async def scripted_server(serve: Serve) -> Scripted:
    """A server that records each request and answers with the next of ``answers``."""
    seen: list[Seen] = []
    answers: list[web.Response] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen.append(Seen(request.method, request.path, dict(request.headers), body))
        return answers.pop(0)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return await serve(app), seen, answers


async def test_tolerant_reading_of_an_unusual_success(
    scripted_server: Scripted,
) -> None:
    url, seen, answers = scripted_server
    body = {
        "id": "512",
        "properties": {"email": "a@example.com", "firstname": None},
        "createdAt": "2023-11-07T05:31:56Z",
        "updatedAt": "2024-11-20T20:12:09.236Z",
        "archived": False,
        "someFieldFrom2027": {"nested": [1, 2]},
    }
    answers.append(web.json_response(body, status=200))
    async with AsyncHubCRM("pat-na1-secret", base_url=url) as crm:
        obj = await crm.objects.create("contacts", {"email": "a@example.com"})
    assert obj.id == "512"
    assert obj.properties == {"email": "a@example.com", "firstname": None}
    assert obj.created_at == datetime(2023, 11, 7, 5, 31, 56, tzinfo=timezone.utc)
    assert obj.archived_at is None
    assert obj.url is None
    assert obj.warnings is None
    request = seen[0]
    assert request.method == "POST"
    assert request.headers["Authorization"] == "Bearer pat-na1-secret"
    assert request.headers["Content-Type"] == "application/json"
    ua = request.headers["User-Agent"]
    assert ua.startswith(f"hubcrm/{hubcrm.__version__} ")
    assert "Python/" in ua
    assert f"aiohttp/{aiohttp.__version__}" in ua


async def test_body_always_carries_associations_and_strings(
    scripted_server: Scripted,
) -> None:
    url, seen, answers = scripted_server
    answers.append(
        web.json_response(
            {
                "id": "1",
                "properties": {},
                "createdAt": "2024-01-01T00:00:00.000Z",
                "updatedAt": "2024-01-01T00:00:00.000Z",
                "archived": False,
            },
            status=201,
        )
    )
    async with AsyncHubCRM("t", base_url=url) as crm:
        await crm.objects.create("p123_cars", {"wheels": 4, "electric": False, "plate": None})
    assert seen[0].path == "/crm/objects/2026-03/p123_cars"
    assert json.loads(seen[0].body) == {
        "properties": {"wheels": "4", "electric": "false", "plate": ""},
        "associations": [],
    }


async def test_success_body_that_is_not_json_is_an_unknown_outcome(
    scripted_server: Scripted,
) -> None:
    """HubSpot said 201 but the body is unreadable: the record exists, id unknown."""
    url, seen, answers = scripted_server
    answers.append(web.Response(text="<html>ok</html>", status=201, content_type="text/html"))
    async with AsyncHubCRM("t", base_url=url) as crm:
        with pytest.raises(OutcomeUnknownError) as info:
            await crm.objects.create("deals", DEAL)
    assert isinstance(info.value.cause, ResponseParseError)
    assert "not JSON" in str(info.value.cause)
    assert len(seen) == 1  # not sent again: that could create a second deal


@pytest.mark.parametrize(
    "value", ["Ada \ud800", 10**5000, Decimal("1e999999999")], ids=["surrogate", "int", "decimal"]
)
async def test_create_refuses_a_value_it_cannot_send_naming_the_property(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, value: object
) -> None:
    with pytest.raises(ValueError, match=r"^property 'firstname': ") as info:
        await crm.objects.create("contacts", {"email": "a@example.com", "firstname": value})
    assert not isinstance(info.value, UnicodeError)  # a clear message, not a codec's
    assert hubspot_emulator.stats.requests == 0


async def test_a_refused_value_is_not_in_the_error_s_text(crm: AsyncHubCRM) -> None:
    with pytest.raises(BadRequestError) as info:
        await crm.objects.create("contacts", {"email": "not-an-email-ada"})
    assert "email (INVALID_EMAIL)" in str(info.value)
    assert "not-an-email-ada" not in str(info.value)
    assert "not-an-email-ada" in info.value.message  # HubSpot's own text, kept
