"""Fixtures of the emulator's own tests: an emulator on the test's loop and a raw client.

These tests speak HubSpot's wire format directly (plain aiohttp), not through hubcrm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from hubcrm.testing import Emulator


@pytest.fixture
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    """An :class:`Emulator` served on the test's own event loop, without a rate limit.

    ``@pytest.mark.hubspot_emulator(...)`` keyword arguments go to its constructor, as
    they do for the ``hubspot_emulator`` fixture (``rate_limit=...`` restores a limit).
    """
    marker = request.node.get_closest_marker("hubspot_emulator")
    kwargs = {"rate_limit": None, **(marker.kwargs if marker is not None else {})}
    async with Emulator(**kwargs) as emulator:
        yield emulator


@pytest.fixture
async def http(emu: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session on ``emu``'s base URL, sending its token."""
    headers = {"Authorization": f"Bearer {emu.token}"}
    async with aiohttp.ClientSession(base_url=emu.base_url, headers=headers) as session:
        yield session
