"""``crm.request`` refuses a path whose segment reads as ``.`` or ``..``, in any form.

URL normalisation (by the client, a proxy or the server) resolves such a segment, so the
request, and its token, would leave the base URL's path. Each form is refused before
anything is sent: the emulator receives nothing.
"""

from __future__ import annotations

import pytest

from hubcrm import AsyncHubCRM, HubCRM, NotFoundError
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

V = "/crm/objects/2026-03"

DOT_SEGMENT_PATHS = [
    f"{V}/../../../oauth/v1/token",  # plain
    f"{V}/contacts/..",  # the last segment
    "/..",  # the only segment
    f"{V}/./contacts",  # "this folder"
    f"{V}/%2e%2e/contacts",  # percent-encoded
    f"{V}/%2E%2e/contacts",  # case variants
    f"{V}/%2e%2E/contacts",
    f"{V}/%2E%2E/contacts",
    f"{V}/.%2e/contacts",  # half encoded
    f"{V}/%2e./contacts",
    f"{V}/%2e/contacts",
    f"{V}/%252e%252e/contacts",  # encoded twice (a proxy decodes once, the server again)
    f"{V}/..%2fcontacts",  # an encoded slash after the dots
    f"{V}/..%2Fcontacts",
    f"{V}/%2e%2e%2fcontacts",
    f"{V}/contacts%2f..",
    f"{V}/..\\contacts",  # a backslash, which some servers read as a slash
    f"{V}/..%5ccontacts",
    f"{V}/%2e%2e%5Ccontacts",
]


@pytest.mark.parametrize("path", DOT_SEGMENT_PATHS)
async def test_a_dot_segment_in_any_form_is_refused_and_nothing_is_sent(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, path: str
) -> None:
    with pytest.raises(ValueError, match=r"reads as '\.' or '\.\.'") as info:
        await crm.request("GET", path)
    assert "leave the base URL's path" in str(info.value)
    assert hubspot_emulator.received == []
    assert hubspot_emulator.stats.requests == 0
    assert crm.stats.requests == 0


async def test_a_base_url_with_a_path_keeps_its_requests_below_it(
    hubspot_emulator: Emulator,
) -> None:
    emu = hubspot_emulator
    # A base URL with a path, as behind a gateway: ".." would step out of "/gateway".
    async with AsyncHubCRM(emu.token, base_url=f"{emu.base_url}/gateway") as crm:
        with pytest.raises(ValueError, match="reads as"):
            await crm.request("POST", f"/..{V}/contacts", json={"properties": {}})
        with pytest.raises(NotFoundError):  # below the base URL: sent, and not found
            await crm.request("GET", f"{V}/contacts/1")
    assert [(r.method, r.path) for r in emu.received] == [("GET", f"/gateway{V}/contacts/1")]
    assert emu.count("contacts") == 0


@pytest.mark.parametrize(
    ("segment", "arrives_as"),
    [
        ("...", "..."),
        ("a..b", "a..b"),
        ("..a", "..a"),
        ("%2e%2e%2e", "..."),  # the client decodes an encoded unreserved character
        ("a%2Fb", "a%2Fb"),
        ("a%5Cb", "a%5Cb"),
    ],
)
async def test_segments_that_only_contain_dots_are_sent(
    crm: AsyncHubCRM, hubspot_emulator: Emulator, segment: str, arrives_as: str
) -> None:
    with pytest.raises(NotFoundError):
        await crm.request("GET", f"{V}/contacts/{segment}")
    assert [r.path for r in hubspot_emulator.received] == [f"{V}/contacts/{arrives_as}"]


def test_the_blocking_client_refuses_them_too(sync_crm: HubCRM, hubspot_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="reads as"):
        sync_crm.request("GET", f"{V}/%2E%2e/contacts")
    assert hubspot_emulator.received == []
