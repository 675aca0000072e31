"""HubSpot's official SDKs, for comparison only: never hubcrm dependencies.

``nox -s bench`` installs them into its own environment. They are imported lazily, so
that the hubcrm-only parts of the benchmarks run without them and so that a child
process measuring one client's memory doesn't also load the others.
"""

from __future__ import annotations

import importlib.metadata
import logging
from typing import Any

SDK = "hubspot-sdk"  # HubSpot's Stainless-generated SDK for the 2026-03 API
API_CLIENT = "hubspot-api-client"  # the older generated SDK, v3 paths


def version(dist: str) -> str | None:
    """The installed version of ``dist``, or None when it isn't installed."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def sdk_async(base_url: str, token: str, transport: str) -> Any:
    """hubspot-sdk's ``AsyncHubSpot`` as its README builds it, on httpx or aiohttp."""
    from hubspot_sdk import AsyncHubSpot, DefaultAioHttpClient

    http = {"http_client": DefaultAioHttpClient()} if transport == "aiohttp" else {}
    return AsyncHubSpot(access_token=token, base_url=base_url, **http)


def sdk_sync(base_url: str, token: str) -> Any:
    """hubspot-sdk's blocking ``HubSpot`` client (httpx)."""
    from hubspot_sdk import HubSpot

    return HubSpot(access_token=token, base_url=base_url)


def api_client_contacts(base_url: str, token: str) -> Any:
    """hubspot-api-client's contacts ``BasicApi``, its README's ``HubSpot(access_token=)``.

    ``host`` points its generated configuration at the emulator, which serves the same
    ``/crm/v3/objects/contacts`` path as HubSpot. Each ``client.crm.contacts.basic_api``
    access builds a new API client and connection pool, so this takes it once.
    """
    from hubspot import HubSpot

    # Its urllib3 pool keeps 5 connections per CPU; more threads than that make urllib3
    # log "Connection pool is full, discarding connection" per request. That's its
    # default behaviour (measured), only the log lines are silenced.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    return HubSpot(access_token=token, host=base_url).crm.contacts.basic_api


def api_client_model() -> Any:
    """The request model ``basic_api.create`` takes: ``SimplePublicObjectInputForCreate``."""
    from hubspot.crm.contacts import SimplePublicObjectInputForCreate

    return SimplePublicObjectInputForCreate
