"""Headers a user adds (``extra_headers=``, ``crm.request(headers=...)``) and ``app_name``.

The emulator records the headers each request arrived with (``emu.received``); the
tests assert what it received, and that refused headers send nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from hubcrm import AsyncHubCRM, HubCRM, OAuth
from hubcrm._core.config import RequestOptions, merge_options
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"
SECRET = "s3cret-header-value"


def _arrived(emu: Emulator) -> list[Mapping[str, str]]:
    return [r.headers for r in emu.received]


async def test_extra_headers_reach_every_request_and_with_options_adds_to_them(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    async with AsyncHubCRM(
        emu.token, base_url=emu.base_url, extra_headers={"X-Source": "nightly", "X-Team": "a"}
    ) as crm:
        made = await crm.objects.create("contacts", {"email": "ada@example.com"})
        traced = crm.with_options(extra_headers={"x-team": "b", "X-Trace": "t-1"})
        await traced.objects.get("contacts", made.id)
        await crm.objects.get("contacts", made.id)  # the first client is unchanged
    created, read_traced, read_plain = _arrived(emu)
    assert (created["x-source"], created["x-team"], "x-trace" in created) == (
        "nightly",
        "a",
        False,
    )
    # A name given again replaces its value, whatever its case.
    assert (read_traced["x-source"], read_traced["x-team"], read_traced["x-trace"]) == (
        "nightly",
        "b",
        "t-1",
    )
    assert (read_plain["x-team"], "x-trace" in read_plain) == ("a", False)
    # hubcrm's own headers are still there, and the token was accepted.
    assert all(h["authorization"] == "Bearer <redacted>" for h in _arrived(emu))
    assert emu.stats.responses_by_status == {201: 1, 200: 2}


async def test_request_headers_go_with_that_request_only(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    async with AsyncHubCRM(
        emu.token, base_url=emu.base_url, extra_headers={"X-Source": "nightly"}
    ) as crm:
        created = await crm.request(
            "POST",
            f"{V}/contacts",
            json={"properties": {"email": "ada@example.com"}},
            headers={"X-Request-Id": "r-1", "x-source": "manual"},
        )
        await crm.request("GET", f"{V}/contacts/{created.json()['id']}")
    first, second = _arrived(emu)
    assert (first["x-request-id"], first["x-source"]) == ("r-1", "manual")
    assert first["content-type"] == "application/json"
    assert ("x-request-id" in second, second["x-source"]) == (False, "nightly")
    assert emu.count("contacts") == 1


async def test_app_name_is_appended_to_the_user_agent(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    oauth = OAuth("app", "secret", emu.register_oauth_app("app", "secret"))
    async with AsyncHubCRM(oauth, base_url=emu.base_url, app_name="acme-sync/2.1") as crm:
        await crm.with_options(timeout=5).objects.create("contacts", {"email": "a@example.com"})
    async with AsyncHubCRM(emu.token, base_url=emu.base_url) as plain:
        await plain.objects.create("contacts", {"email": "b@example.com"})
    agents = [h["user-agent"] for h in _arrived(emu)]
    assert len(agents) == 3  # the token refresh, the create, the other client's create
    assert all(agent.startswith("hubcrm/") for agent in agents)
    assert [agent.endswith(" acme-sync/2.1") for agent in agents] == [True, True, False]
    assert "Python/" in agents[2]


def test_the_blocking_client_takes_the_same_options(hubspot_emulator: Emulator) -> None:
    emu = hubspot_emulator
    with HubCRM(
        emu.token,
        base_url=emu.base_url,
        extra_headers={"X-Source": "cron"},
        app_name="acme-sync/2.1 worker/7",
    ) as crm:
        made = crm.with_options(extra_headers={"X-Trace": "t"}).objects.create(
            "contacts", {"email": "ada@example.com"}
        )
        crm.request("GET", f"{V}/contacts/{made.id}", headers={"X-Once": "1"})
        with pytest.raises(ValueError, match="'Authorization'"):
            crm.request("GET", f"{V}/contacts/{made.id}", headers={"Authorization": "x"})
    created, read = _arrived(emu)
    assert (created["x-source"], created["x-trace"], "x-once" in created) == ("cron", "t", False)
    assert (read["x-source"], read["x-once"], "x-trace" in read) == ("cron", "1", False)
    assert created["user-agent"].endswith(" acme-sync/2.1 worker/7")


# --- what is refused -----------------------------------------------------------------------

REFUSED: list[tuple[Any, type[Exception], str]] = [
    ({"Authorization": "Bearer other"}, ValueError, "'Authorization' header: it carries"),
    ({"authorization": "Bearer other"}, ValueError, "'authorization' header"),
    ({"AUTHORIZATION": "Bearer other"}, ValueError, "'AUTHORIZATION' header"),
    ({"Proxy-Authorization": "Basic x"}, ValueError, "'Proxy-Authorization' header"),
    ({"User-Agent": "mine"}, ValueError, "pass app_name="),
    ({"Content-Type": "text/plain"}, ValueError, "'Content-Type' header"),
    ({"Content-Length": "3"}, ValueError, "'Content-Length' header"),
    ({"Transfer-Encoding": "chunked"}, ValueError, "'Transfer-Encoding' header"),
    ({"Host": "evil.example"}, ValueError, "'Host' header"),
    ({"Connection": "close"}, ValueError, "'Connection' header"),
    ({"X-A": "1", "x-a": "2"}, ValueError, "'x-a' header twice"),
    ({"X-Bad\r\nX-Injected": "1"}, ValueError, "is not a valid header name"),
    ({"X Bad": "1"}, ValueError, "is not a valid header name"),
    ({"X-Bad:": "1"}, ValueError, "is not a valid header name"),
    ({"": "1"}, ValueError, "is not a valid header name"),
    ({"X-Value": f"{SECRET}\r\nX-Injected: 1"}, ValueError, "value of header 'X-Value'"),
    ({"X-Value": f"{SECRET}\nX-Injected: 1"}, ValueError, "value of header 'X-Value'"),
    ({"X-Value": f"{SECRET}\r"}, ValueError, "line break"),
    ({"X-Value": f"{SECRET}\x00"}, ValueError, "control"),
    ({"X-Value": f"{SECRET}é"}, ValueError, "non-ASCII"),
    ({"X-Value": f" {SECRET}"}, ValueError, "whitespace"),
    ({"X-Value": ""}, ValueError, "empty"),
    ({"X-Value": 3}, TypeError, "value of header 'X-Value' must be a str"),
    ({3: "x"}, TypeError, "header names must be str"),
    ([("X-A", "1")], TypeError, "must be a mapping"),
]


@pytest.mark.parametrize(("headers", "error", "message"), REFUSED)
async def test_refused_headers_name_the_header_and_send_nothing(
    hubspot_emulator: Emulator, headers: Any, error: type[Exception], message: str
) -> None:
    emu = hubspot_emulator
    with pytest.raises(error, match=r"^extra_headers") as made:
        AsyncHubCRM(emu.token, base_url=emu.base_url, extra_headers=headers)
    assert message in str(made.value)
    async with AsyncHubCRM(emu.token, base_url=emu.base_url) as crm:
        with pytest.raises(error, match=r"^extra_headers") as optioned:
            crm.with_options(extra_headers=headers)
        with pytest.raises(error, match=r"^headers") as requested:
            await crm.request("GET", f"{V}/contacts", headers=headers)
    for raised in (made, optioned, requested):
        assert message in str(raised.value)
        assert SECRET not in str(raised.value)
    assert emu.received == []


@pytest.mark.parametrize(
    ("app_name", "error"),
    [
        ("acme\r\nX-Injected: 1", ValueError),
        ("acme/2.1\n", ValueError),
        ("", ValueError),
        (" acme", ValueError),
        ("acme  sync", ValueError),
        ("acme/", ValueError),
        ("acme/2.1/3", ValueError),
        ("acme:2", ValueError),
        ("acmé", ValueError),
        (21, TypeError),
    ],
)
def test_a_bad_app_name_is_refused(app_name: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="app_name"):
        AsyncHubCRM("t", base_url="http://127.0.0.1:9", app_name=app_name)
    with pytest.raises(error, match="app_name"):
        HubCRM("t", base_url="http://127.0.0.1:9", app_name=app_name)


# --- values are never shown ----------------------------------------------------------------


async def test_header_values_are_never_logged_nor_shown(
    hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = hubspot_emulator
    caplog.set_level(logging.DEBUG)
    emu.faults.error_after(502, times=1, operation="read")  # a retry is logged too
    async with AsyncHubCRM(
        emu.token, base_url=emu.base_url, extra_headers={"X-Api-Key": SECRET}
    ) as crm:
        made = await crm.objects.create("contacts", {"email": "ada@example.com"})
        other = crm.with_options(extra_headers={"X-Other": SECRET + "2"})
        await other.request("GET", f"{V}/contacts/{made.id}", headers={"X-Once": SECRET + "3"})
        shown = [repr(crm), repr(other), repr(other._options), str(crm.stats)]
    assert [h.get("x-api-key") for h in _arrived(emu)] == [SECRET, SECRET, SECRET]
    assert "X-Api-Key" in repr(other._options)  # the names are shown, not the values
    assert f"retrying GET {V}/contacts/{made.id}" in caplog.text
    assert " -> 200 in " in caplog.text  # the DEBUG line of each response
    for text in [*shown, caplog.text]:
        assert SECRET not in text


def test_merging_keeps_the_options_when_nothing_changes() -> None:
    base = merge_options(RequestOptions(), extra_headers={"X-A": "1"})
    assert merge_options(base) is base
    assert merge_options(base, extra_headers={}) is base
    assert merge_options(base, extra_headers={"x-a": "2"}).extra_headers == (("x-a", "2"),)
