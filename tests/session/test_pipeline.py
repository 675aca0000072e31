"""The request pipeline's pieces: settling plans, token refresh decisions, the transport
error mapping, config objects, and the complete Limiter and TokenProvider protocols."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import Mapping

import aiohttp
import pytest
from support_time import VirtualTime

import hubcrm
from hubcrm import (
    APIConnectionError,
    APITimeoutError,
    AsyncHubCRM,
    DailyLimitError,
    Limiter,
    RetryPolicy,
    Timeouts,
    TokenProvider,
)
from hubcrm._core.error_bodies import error_from_response
from hubcrm._http.retry import RequestKind, decide
from hubcrm._http.transport import TRANSPORT_ERRORS, transport_error
from hubcrm._write.recovery import Recovery, plan_recovery
from hubcrm.testing import Emulator

# --- settling an ambiguous single create: a pure plan --------------------------------


@pytest.mark.parametrize(
    ("retry_writes", "id_property", "unique_email", "expected"),
    [
        ("never", "ext_id", True, Recovery.UNKNOWN),
        ("never", None, True, Recovery.UNKNOWN),
        ("safe", "ext_id", False, Recovery.LOOK_UP),
        ("safe", "ext_id", True, Recovery.LOOK_UP),
        ("safe", None, True, Recovery.RESEND),
        ("safe", None, False, Recovery.UNKNOWN),
        ("always", None, False, Recovery.RESEND),
        ("always", "ext_id", False, Recovery.LOOK_UP),
    ],
)
def test_plan_recovery(
    retry_writes: hubcrm.RetryWrites,
    id_property: str | None,
    unique_email: bool,
    expected: Recovery,
) -> None:
    recovery, reason = plan_recovery(
        retry_writes, id_property=id_property, unique_email=unique_email
    )
    assert recovery is expected
    assert reason


EXPIRED = error_from_response(
    401,
    b'{"status":"error","category":"EXPIRED_AUTHENTICATION",'
    b'"message":"The OAuth token used to make this call expired 5 second(s) ago."}',
    {},
)
INVALID = error_from_response(
    401, b'{"status":"error","category":"INVALID_AUTHENTICATION","message":"bad"}', {}
)


@pytest.mark.parametrize(
    ("error", "can_refresh", "retry", "refresh"),
    [
        (EXPIRED, True, True, True),
        (EXPIRED, False, False, False),  # refreshed once already: give up
        (INVALID, True, False, False),  # a wrong token does not get better
    ],
)
def test_expired_token_is_refreshed_once(
    error: hubcrm.HubCRMError, can_refresh: bool, retry: bool, refresh: bool
) -> None:
    decision = decide(RetryPolicy(), RequestKind.CREATE, error, 0, can_refresh_token=can_refresh)
    assert decision.retry is retry
    assert decision.refresh_token is refresh
    if refresh:
        assert decision.wait == 0.0


# --- the one mapping of transport failures -----------------------------------------------


def _connector_error() -> aiohttp.ClientConnectorError:
    key = aiohttp.client_reqrep.ConnectionKey("example.invalid", 443, True, True, None, None, None)
    return aiohttp.ClientConnectorError(key, OSError(111, "Connection refused"))


@pytest.mark.parametrize(
    ("raised", "expected", "sent", "words"),
    [
        (_connector_error(), APIConnectionError, False, "could not connect to T"),
        (aiohttp.ConnectionTimeoutError(), APITimeoutError, False, "took longer than 2 s"),
        (asyncio.TimeoutError(), APITimeoutError, True, "within 9 s"),
        (aiohttp.ServerTimeoutError(), APITimeoutError, True, "within 9 s"),
        (aiohttp.ServerDisconnectedError(), APIConnectionError, True, "may have been processed"),
        (aiohttp.ClientPayloadError("cut"), APIConnectionError, True, "ClientPayloadError"),
    ],
)
def test_transport_error(
    raised: BaseException, expected: type[APIConnectionError], sent: bool, words: str
) -> None:
    assert isinstance(raised, TRANSPORT_ERRORS)
    error = transport_error(raised, target="T", method="POST", path="/p", total=9, connect=2)
    assert type(error) is expected
    assert error.request_sent is sent
    assert error.method == "POST"
    assert error.path == "/p"
    assert words in str(error)


def test_a_transport_error_never_repeats_the_url() -> None:
    # aiohttp prints the whole URL in some errors; its path can hold a unique value.
    url = "https://api.example.invalid/crm/objects/2026-03/contacts/ada@example.com"
    raised = aiohttp.InvalidURL(url)
    assert "ada@example.com" in str(raised)
    error = transport_error(raised, target="T", method="GET", path="/p", total=9, connect=2)
    assert "ada@example.com" not in str(error)
    assert "InvalidURL" in str(error)


def test_other_exceptions_are_not_transport_errors() -> None:
    for other in (KeyError("x"), ValueError("x"), asyncio.CancelledError()):
        assert not isinstance(other, TRANSPORT_ERRORS)


# --- config objects next to the flat keyword arguments -----------------------------------


def test_config_objects_and_flat_overrides() -> None:
    crm = AsyncHubCRM(
        "pat-x",
        timeouts=Timeouts(total=5, connect=1),
        retry=RetryPolicy(max_retries=7, retry_writes="never"),
        timeout=6,
        rate_limit_deadline=9,
    )
    assert crm.timeouts == Timeouts(total=6, connect=1)
    assert crm.retry == RetryPolicy(max_retries=7, retry_writes="never", rate_limit_deadline=9)
    default = AsyncHubCRM("pat-x")
    assert default.timeouts == Timeouts()
    assert default.retry == RetryPolicy()


def test_with_options_takes_config_objects_and_keeps_the_rest() -> None:
    crm = AsyncHubCRM("pat-x", timeout=12, max_retries=5)
    quick = crm.with_options(timeouts=Timeouts(total=2))
    assert quick.timeouts == Timeouts(total=2)
    assert quick.retry == crm.retry
    careful = crm.with_options(retry_writes="never")
    assert careful.retry == RetryPolicy(max_retries=5, retry_writes="never")
    assert careful.timeouts == crm.timeouts
    assert crm.with_options().timeouts is crm.timeouts


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"timeouts": 5}, TypeError, r"hubcrm\.Timeouts"),
        ({"retry": {"max_retries": 1}}, TypeError, r"hubcrm\.RetryPolicy"),
        ({"timeouts": Timeouts(), "timeout": -1}, ValueError, "timeout total"),
        ({"retry_writes": "sometimes"}, ValueError, "retry_writes"),
    ],
)
def test_bad_config_objects_are_refused(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        AsyncHubCRM("pat-x", **kwargs)  # type: ignore[arg-type]


def test_sync_client_has_the_same_config_surface() -> None:
    with hubcrm.HubCRM("pat-x", retry=RetryPolicy(max_retries=1)) as crm:
        assert crm.retry.max_retries == 1
        assert crm.with_options(timeout=3).timeouts.total == 3


# --- the protocols declare everything the client calls ----------------------------------


class CountingLimiter(Limiter):
    """A limiter of a user's own: it writes the three required methods only."""

    def __init__(self) -> None:
        self.acquired = 0
        self.observed = 0

    async def acquire(self, max_pause: float = math.inf) -> float:
        self.acquired += 1
        return 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        self.observed += 1

    def penalize(self, wait: float | None = None) -> float:
        return 0.0


class Incomplete:
    async def acquire(self, max_pause: float = math.inf) -> float:
        return 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        pass

    def penalize(self, wait: float | None = None) -> float:
        return 0.0


def test_a_limiter_subclass_inherits_the_optional_methods() -> None:
    limiter = CountingLimiter()
    assert limiter.rate_limit is None
    error = DailyLimitError("daily", status=429)
    limiter.daily_limit_reached(error)  # inherited: does nothing, raises nothing
    assert asyncio.run(limiter.aclose()) is None


def test_an_incomplete_limiter_is_refused_with_what_to_do() -> None:
    with pytest.raises(TypeError, match=r"subclass hubcrm\.Limiter"):
        AsyncHubCRM("pat-x", rate_limit=Incomplete())  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_limiter_subclass_is_used_for_every_request(hubspot_emulator: Emulator) -> None:
    limiter = CountingLimiter()
    async with AsyncHubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=limiter
    ) as crm:
        for i in range(3):
            await crm.objects.create("contacts", {"email": f"l{i}@example.com"})
    assert limiter.acquired == 3
    assert limiter.observed == 3


class Rotating(TokenProvider):
    """A provider of a user's own that keeps the default, no-op invalidate."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.calls = 0

    async def token(self) -> str:
        self.calls += 1
        return self.value


class OnlyToken:
    async def token(self) -> str:
        return "x"


def test_a_token_provider_subclass_inherits_invalidate() -> None:
    provider = Rotating("t")
    provider.invalidate("t")  # inherited: does nothing, raises nothing
    assert asyncio.run(provider.token()) == "t"


def test_an_object_without_invalidate_is_refused_with_what_to_do() -> None:
    with pytest.raises(TypeError, match="TokenProvider"):
        AsyncHubCRM(OnlyToken())  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_token_provider_subclass_authenticates(hubspot_emulator: Emulator) -> None:
    provider = Rotating(hubspot_emulator.token)
    async with AsyncHubCRM(provider, base_url=hubspot_emulator.base_url) as crm:
        await crm.objects.create("contacts", {"email": "rot@example.com"})
    assert provider.calls == 1


def test_refused_connection_is_mapped_by_the_transport() -> None:
    # End to end: a port nobody listens on gives the transport's not-sent error.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> APIConnectionError:
        client = AsyncHubCRM("pat-x", base_url=f"http://127.0.0.1:{port}")
        async with VirtualTime().install(client) as crm:  # its backoffs on virtual time
            try:
                await crm.objects.create("contacts", {"email": "x@example.com"})
            except APIConnectionError as exc:
                return exc
        raise AssertionError("no error")

    error = asyncio.run(main())
    assert error.request_sent is False
    assert "could not connect to http://127.0.0.1" in str(error)


# --- paths: no segment that URL normalisation would change -------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("segment", [".", ".."])
async def test_dot_segments_are_refused_before_any_request(
    hubspot_emulator: Emulator, segment: str
) -> None:
    async with AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm:
        with pytest.raises(ValueError, match="another"):
            await crm.objects.get("contacts", segment)
        with pytest.raises(ValueError, match="folder"):
            await crm.objects.create(segment, {"email": "dot@example.com"})
        with pytest.raises(ValueError, match="folder"):
            await crm.objects.get(segment, "1")
        with pytest.raises(ValueError, match="folder"):
            await crm.objects.create_many(segment, [{"email": "dot@example.com"}])
        assert crm.stats.requests == 0
    assert hubspot_emulator.stats.requests == 0
