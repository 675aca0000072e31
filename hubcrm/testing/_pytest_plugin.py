"""pytest plugin (``pytest11`` entry point): the ``hubspot_emulator`` fixture.

The emulator is imported lazily, so merely having hubcrm installed costs a test session
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = [
    "hubspot_emulator",
    "pytest_configure",
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``hubspot_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "hubspot_emulator(**kwargs): keyword arguments for the hubspot_emulator fixture's "
        "hubcrm.testing.Emulator (rate_limit=(50, 1.0), token=..., seed=..., "
        "search_delay=0, ...)",
    )


@pytest.fixture
def hubspot_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A started :class:`hubcrm.testing.Emulator` on a background thread.

    It serves sync and async tests alike. Configure it with
    ``@pytest.mark.hubspot_emulator(rate_limit=(50, 1.0), ...)``: the marker's keyword
    arguments go to the constructor. Unlike the constructor's default, writes reach its
    search only after ``FIXTURE_SEARCH_DELAY`` (3 s) on the emulator's clock, as on
    HubSpot; ``@pytest.mark.hubspot_emulator(search_delay=0)`` makes them searchable at
    once.
    """
    from ._emulator import FIXTURE_SEARCH_DELAY, Emulator

    marker = request.node.get_closest_marker("hubspot_emulator")
    if marker is not None and marker.args:
        raise TypeError("@pytest.mark.hubspot_emulator takes keyword arguments only")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    kwargs.setdefault("search_delay", FIXTURE_SEARCH_DELAY)
    with Emulator(**kwargs) as emulator:
        yield emulator
