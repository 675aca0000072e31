"""Connection settings on the transport: proxy, trust_env, ssl, trace configs, connector.

A real forward proxy (tests/support_proxy.py) and a TLS server with a certificate
authority made for the test (tests/support_tls.py) run on 127.0.0.1; the tests assert
what went through the proxy and what a TLS handshake accepted.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import anyio
import pytest
from support_proxy import ForwardProxy
from support_tls import Certificates

from hubcrm import APIConnectionError, AsyncHubCRM, HubCRM, HubCRMError, OAuth
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

CONTACTS = "/crm/objects/2026-03/contacts"
TOKEN = "/oauth/2026-03/token"
PASSWORD = "pr0xy-s3cret"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NETRC")


def _relayed(proxy: ForwardProxy) -> list[tuple[str, str]]:
    return [(p.method, p.target) for p in proxy.seen]


_EMAILS = itertools.count()


async def _create(crm: AsyncHubCRM) -> str:
    email = f"c{next(_EMAILS)}@example.com"
    return (await crm.objects.create("contacts", {"email": email})).id


# --- proxy= --------------------------------------------------------------------------------


async def test_requests_go_through_the_proxy_and_only_when_asked(
    hubspot_emulator: Emulator, clean_environment: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    async with ForwardProxy() as proxy:
        async with AsyncHubCRM(emu.token, base_url=emu.base_url) as direct:
            await _create(direct)
        assert proxy.seen == []
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, proxy=proxy.url) as crm:
            made = await _create(crm)
            # Clients made by with_options share the pool, and so its proxy.
            await crm.with_options(timeout=5).objects.get("contacts", made)
    assert _relayed(proxy) == [
        ("POST", emu.base_url + CONTACTS),
        ("GET", f"{emu.base_url}{CONTACTS}/{made}"),
    ]
    assert emu.count("contacts") == 2


async def test_https_is_tunnelled_through_the_proxy(
    tls_portal: str, certificates: Certificates, clean_environment: pytest.MonkeyPatch
) -> None:
    async with (
        ForwardProxy() as proxy,
        AsyncHubCRM(
            "t", base_url=tls_portal, proxy=proxy.url, ssl=certificates.client_context()
        ) as crm,
    ):
        assert await _create(crm) == "1"
    assert _relayed(proxy) == [("CONNECT", tls_portal.removeprefix("https://"))]


async def test_proxy_credentials_are_sent_and_never_shown(
    hubspot_emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    clean_environment: pytest.MonkeyPatch,
) -> None:
    emu = hubspot_emulator
    caplog.set_level(logging.DEBUG)
    async with ForwardProxy(credentials=("hub", PASSWORD)) as proxy:
        with_credentials = f"http://hub:{PASSWORD}@127.0.0.1:{proxy.port}"
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, proxy=with_credentials) as crm:
            await _create(crm)
            shown = [repr(crm), repr(crm._session.transport), str(crm.stats)]
    (seen,) = proxy.seen
    assert seen.authorization is not None
    assert seen.authorization.startswith("Basic ")
    assert emu.count("contacts") == 1
    assert "<redacted>@127.0.0.1" in shown[1]
    for text in [*shown, caplog.text]:
        assert PASSWORD not in text


async def test_a_proxy_refusing_the_tunnel_is_a_request_not_sent(
    tls_portal: str, certificates: Certificates, clean_environment: pytest.MonkeyPatch
) -> None:
    async with ForwardProxy(credentials=("hub", "right")) as proxy:
        wrong = f"http://hub:{PASSWORD}@127.0.0.1:{proxy.port}"
        client = AsyncHubCRM(
            "t", base_url=tls_portal, proxy=wrong, ssl=certificates.client_context()
        )
        async with client.with_options(max_retries=0) as crm:
            with pytest.raises(APIConnectionError) as info:
                await _create(crm)
    assert info.value.request_sent is False
    assert "the proxy refused to connect to https://127.0.0.1" in str(info.value)
    assert "407" in str(info.value)
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value)


async def test_an_unreachable_proxy_is_named_without_its_credentials(
    unused_port: int, clean_environment: pytest.MonkeyPatch
) -> None:
    proxy = f"http://hub:{PASSWORD}@127.0.0.1:{unused_port}"
    client = AsyncHubCRM("t", base_url="http://127.0.0.1:9", proxy=proxy, max_retries=0)
    async with client as crm:
        with pytest.raises(APIConnectionError) as info:
            await _create(crm)
    assert info.value.request_sent is False
    assert "could not connect to the proxy for http://127.0.0.1:9" in str(info.value)
    assert PASSWORD not in str(info.value)


async def test_oauth_refreshes_go_through_the_clients_proxy(
    hubspot_emulator: Emulator, clean_environment: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    oauth = OAuth("app", "secret", emu.register_oauth_app("app", "secret"))
    async with (
        ForwardProxy() as proxy,
        AsyncHubCRM(oauth, base_url=emu.base_url, proxy=proxy.url) as crm,
    ):
        await _create(crm)
    assert _relayed(proxy) == [("POST", emu.base_url + TOKEN), ("POST", emu.base_url + CONTACTS)]
    assert oauth.refreshes == 1


# --- trust_env= ----------------------------------------------------------------------------


async def test_trust_env_takes_the_proxy_from_the_environment_and_honours_no_proxy(
    hubspot_emulator: Emulator, clean_environment: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    async with ForwardProxy() as proxy:
        clean_environment.setenv("HTTP_PROXY", proxy.url)
        async with AsyncHubCRM(emu.token, base_url=emu.base_url) as ignoring:
            await _create(ignoring)  # trust_env is off by default
        assert proxy.seen == []
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, trust_env=True) as trusting:
            await _create(trusting)
        assert _relayed(proxy) == [("POST", emu.base_url + CONTACTS)]
        clean_environment.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, trust_env=True) as bypassing:
            await _create(bypassing)
        assert len(proxy.seen) == 1  # NO_PROXY: straight to the server
    assert emu.count("contacts") == 3


async def test_trust_env_reads_the_proxys_credentials_from_netrc(
    hubspot_emulator: Emulator, tmp_path: Path, clean_environment: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login hub password {PASSWORD}\n")
    netrc.chmod(0o600)
    async with ForwardProxy(credentials=("hub", PASSWORD)) as proxy:
        clean_environment.setenv("HTTP_PROXY", proxy.url)
        clean_environment.setenv("NETRC", str(netrc))
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, trust_env=True) as crm:
            await _create(crm)
    assert [p.authorization is not None for p in proxy.seen] == [True]
    assert emu.count("contacts") == 1


# --- ssl= ----------------------------------------------------------------------------------


async def test_tls_verification_fails_without_the_ca_and_succeeds_with_it(
    tls_portal: str, certificates: Certificates
) -> None:
    async with AsyncHubCRM("t", base_url=tls_portal, max_retries=0) as system_cas:
        with pytest.raises(APIConnectionError) as info:
            await _create(system_cas)
    assert info.value.request_sent is False
    assert "TLS certificate could not be verified" in str(info.value)
    context = certificates.client_context()
    async with AsyncHubCRM("t", base_url=tls_portal, ssl=context) as trusting:
        assert await _create(trusting) == "1"
    async with AsyncHubCRM("t", base_url=tls_portal, ssl=False) as unverified:
        assert await _create(unverified) == "1"


async def test_the_blocking_client_takes_the_same_settings(
    tls_portal: str, certificates: Certificates
) -> None:
    def blocking() -> str:
        with HubCRM("t", base_url=tls_portal, ssl=certificates.client_context()) as crm:
            return crm.objects.create("contacts", {"email": "a@example.com"}).id

    assert await anyio.to_thread.run_sync(blocking) == "1"  # this loop serves the portal


async def test_oauth_refreshes_use_the_clients_tls_settings(
    tls_portal: str, certificates: Certificates
) -> None:
    oauth = OAuth("app", "secret", "rt")
    context = certificates.client_context()
    async with AsyncHubCRM(oauth, base_url=tls_portal, ssl=context) as crm:
        assert await _create(crm) == "1"
    assert oauth.refreshes == 1


# --- trace_configs= and connector_options= -------------------------------------------------


def _connection_counter() -> tuple[aiohttp.TraceConfig, list[str]]:
    events: list[str] = []

    async def started(_: Any, __: SimpleNamespace, params: Any) -> None:
        events.append(f"request {params.method}")

    async def connected(_: Any, __: SimpleNamespace, ___: Any) -> None:
        events.append("new connection")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_connection_create_end.append(connected)
    return trace, events


async def test_trace_configs_see_each_request_and_connector_options_reach_the_pool(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    trace, events = _connection_counter()
    async with AsyncHubCRM(emu.token, base_url=emu.base_url, trace_configs=[trace]) as crm:
        await _create(crm)
        await _create(crm)
    assert events == ["request POST", "new connection", "request POST"]  # reused
    trace, events = _connection_counter()
    async with AsyncHubCRM(
        emu.token,
        base_url=emu.base_url,
        trace_configs=[trace],
        connector_options={"force_close": True},
    ) as crm:
        await _create(crm)
        await _create(crm)
    assert events == ["request POST", "new connection"] * 2  # one connection per request


@pytest.mark.parametrize(
    ("settings", "error", "words"),
    [
        ({"proxy": 3128}, TypeError, "proxy must be a str"),
        ({"proxy": f"socks5://hub:{PASSWORD}@proxy:1080"}, ValueError, "<redacted>@proxy"),
        ({"proxy": f"http://hub:{PASSWORD}@proxy:port"}, ValueError, "not a valid URL"),
        ({"trust_env": "yes"}, TypeError, "trust_env must be a bool"),
        ({"ssl": "verify"}, TypeError, "ssl must be an ssl.SSLContext"),
        ({"trace_configs": [object()]}, TypeError, "aiohttp.TraceConfig"),
        ({"connector_options": {"limit": 5}}, ValueError, "max_connections"),
        ({"connector_options": {"ssl": False}}, ValueError, "follows ssl"),
        ({"connector_options": {"no_such": 1}}, TypeError, "takes no 'no_such'"),
        ({"connector_options": [("force_close", True)]}, TypeError, "a mapping"),
    ],
)
def test_bad_settings_fail_in_the_constructor(
    settings: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words) as info:
        AsyncHubCRM("t", **settings)
    assert PASSWORD not in str(info.value)


# --- NO_PROXY, and proxy credentials kept out of sight ---------------------------------------


def _everything_shown(error: BaseException) -> str:
    """An error as a user may see it: its text, its repr and the whole chained traceback."""
    return "\n".join(
        [str(error), repr(error), "".join(traceback.format_exception(error)), repr(error.args)]
    )


@pytest.mark.parametrize(
    "no_proxy",
    ["127.0.0.1", "localhost,127.0.0.1", " other.example , 127.0.0.1 ", "*", "127.0.0.1:{port}"],
)
@pytest.mark.parametrize("lower_case", [False, True])
async def test_no_proxy_sends_requests_direct_and_without_it_they_go_through_the_proxy(
    hubspot_emulator: Emulator,
    clean_environment: pytest.MonkeyPatch,
    no_proxy: str,
    lower_case: bool,
) -> None:
    emu = hubspot_emulator
    port = emu.base_url.rpartition(":")[2]
    async with ForwardProxy() as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY"):
            clean_environment.setenv(name.lower() if lower_case else name, proxy.url)
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, trust_env=True) as through:
            await _create(through)
        assert _relayed(proxy) == [("POST", emu.base_url + CONTACTS)]
        variable = "no_proxy" if lower_case else "NO_PROXY"
        clean_environment.setenv(variable, no_proxy.format(port=port))
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, trust_env=True) as direct:
            await _create(direct)
            await direct.with_options(timeout=5).request("GET", CONTACTS)
        assert len(proxy.seen) == 1  # the proxy saw nothing more
    assert emu.count("contacts") == 2
    assert [r.method for r in emu.received] == ["POST", "POST", "GET"]


async def test_no_proxy_for_another_port_still_uses_the_proxy(
    hubspot_emulator: Emulator, clean_environment: pytest.MonkeyPatch, unused_port: int
) -> None:
    emu = hubspot_emulator
    async with ForwardProxy() as proxy:
        clean_environment.setenv("HTTP_PROXY", proxy.url)
        clean_environment.setenv("NO_PROXY", f"127.0.0.1:{unused_port},example.com")
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, trust_env=True) as crm:
            await _create(crm)
    assert _relayed(proxy) == [("POST", emu.base_url + CONTACTS)]


async def test_proxy_credentials_stay_out_of_reprs_logs_and_errors(
    hubspot_emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    clean_environment: pytest.MonkeyPatch,
) -> None:
    emu = hubspot_emulator
    caplog.set_level(logging.DEBUG)
    async with ForwardProxy(credentials=("hub", "right")) as proxy:
        wrong = f"http://hub:{PASSWORD}@127.0.0.1:{proxy.port}"
        async with AsyncHubCRM(emu.token, base_url=emu.base_url, proxy=wrong, max_retries=1) as crm:
            other = crm.with_options(timeout=5, extra_headers={"X-A": "1"})
            # A plain-HTTP request through a proxy refusing the credentials: a 407 answer.
            with pytest.raises(HubCRMError) as refused:
                await _create(other)
            shown = [repr(crm), repr(other), repr(crm._session.transport), str(crm.stats)]
    assert "407" in str(refused.value)
    assert len(proxy.seen) == 1  # a 407 is not retried
    assert emu.received == []
    for text in [*shown, _everything_shown(refused.value), caplog.text]:
        assert PASSWORD not in text


@pytest.mark.parametrize("from_environment", [False, True])
async def test_an_unreachable_proxys_credentials_are_in_no_error_nor_log(
    unused_port: int,
    caplog: pytest.LogCaptureFixture,
    clean_environment: pytest.MonkeyPatch,
    from_environment: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    proxy = f"http://hub:{PASSWORD}@127.0.0.1:{unused_port}"
    settings: dict[str, Any] = {"trust_env": True} if from_environment else {"proxy": proxy}
    if from_environment:
        clean_environment.setenv("HTTP_PROXY", proxy)
    client = AsyncHubCRM("t", base_url="http://127.0.0.1:9", max_retries=1, **settings)
    async with client as crm:
        with pytest.raises(APIConnectionError) as info:
            await crm.with_options(max_retries=1).request("GET", CONTACTS)
        shown = [repr(crm), str(crm.stats)]
    assert "could not connect to the proxy for http://127.0.0.1:9" in str(info.value)
    assert crm.stats.requests == 2  # not sent, so retried
    for text in [*shown, _everything_shown(info.value), caplog.text]:
        assert PASSWORD not in text


async def test_a_proxy_refusing_the_tunnel_shows_no_credentials_in_the_traceback(
    tls_portal: str, certificates: Certificates, clean_environment: pytest.MonkeyPatch
) -> None:
    async with ForwardProxy(credentials=("hub", "right")) as proxy:
        wrong = f"http://hub:{PASSWORD}@127.0.0.1:{proxy.port}"
        client = AsyncHubCRM(
            "t", base_url=tls_portal, proxy=wrong, ssl=certificates.client_context()
        )
        async with client.with_options(max_retries=0) as crm:
            with pytest.raises(APIConnectionError) as info:
                await _create(crm)
    assert "407" in str(info.value)
    assert PASSWORD not in _everything_shown(info.value)
