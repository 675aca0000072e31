"""Where the examples connect: HubSpot itself, or the bundled emulator.

With ``HUBSPOT_ACCESS_TOKEN`` set, the examples talk to your HubSpot portal: the clients
read the token from the environment and use HubSpot's default base URL. Without it they
start ``hubcrm.testing.Emulator``, a local HubSpot, and point the client at it.
"""

from __future__ import annotations

import contextlib
import os

from hubcrm import AsyncHubCRM, HubCRM
from hubcrm.testing import Emulator


def emulator_unless_token() -> Emulator | contextlib.nullcontext[None]:
    """A local HubSpot to use with ``with`` or ``async with``; None when a token is set."""
    if os.environ.get("HUBSPOT_ACCESS_TOKEN"):
        return contextlib.nullcontext()
    return Emulator()


def client_for(hubspot: Emulator | None) -> HubCRM:
    """A blocking client for the emulator, or for HubSpot with ``HUBSPOT_ACCESS_TOKEN``."""
    if hubspot is None:
        return HubCRM()
    return HubCRM(hubspot.token, base_url=hubspot.base_url)


def async_client_for(hubspot: Emulator | None) -> AsyncHubCRM:
    """An async client for the emulator, or for HubSpot with ``HUBSPOT_ACCESS_TOKEN``."""
    if hubspot is None:
        return AsyncHubCRM()
    return AsyncHubCRM(hubspot.token, base_url=hubspot.base_url)
