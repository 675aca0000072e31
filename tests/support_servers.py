"""Servers a test runs itself: a fake HubSpot or token endpoint that answers as scripted.

The ``serve`` fixture (tests/conftest.py) hands a test a :data:`Serve` function.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

#: ``await serve(app)`` serves ``app`` on 127.0.0.1 and returns its base URL.
Serve = Callable[[web.Application], Awaitable[str]]


@asynccontextmanager
async def servers() -> AsyncIterator[Serve]:
    """Yield a :data:`Serve` function; every app it served is cleaned up on exit."""
    runners: list[web.AppRunner] = []

    async def serve(app: web.Application) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    try:
        yield serve
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
