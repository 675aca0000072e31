"""An aiohttp web app whose handler creates a HubSpot contact per request.

Run it with ``python examples/aiohttp_handler.py``. Without ``HUBSPOT_ACCESS_TOKEN`` it
starts the bundled HubSpot emulator; with it, it creates the contacts in your portal.

The app makes one ``AsyncHubCRM`` when it starts (``cleanup_ctx``) and closes it when it
stops, and every request shares it: one connection pool and one rate limit for the
whole process. HubSpot's rejections become HTTP answers. To keep the example
self-contained, it serves the app on a free port of 127.0.0.1, sends itself a few
requests, prints the answers and stops.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from _connect import async_client_for, emulator_unless_token
from aiohttp import ClientSession, web

from hubcrm import AsyncHubCRM, BadRequestError, ConflictError
from hubcrm.testing import Emulator

CRM = web.AppKey("crm", AsyncHubCRM)


async def create_contact(request: web.Request) -> web.Response:
    """``POST /contacts`` with ``{"email": ..., "firstname": ...}``."""
    body = await request.json()
    crm = request.app[CRM]
    try:
        contact = await crm.objects.create(
            "contacts", {"email": body["email"], "firstname": body.get("firstname")}
        )
    except ConflictError as err:
        return web.json_response({"existing_id": err.existing_id}, status=409)
    except BadRequestError as err:
        problems = [detail.message for detail in err.errors] or [err.message]
        return web.json_response({"errors": problems}, status=400)
    return web.json_response({"id": contact.id}, status=201)


def make_app(hubspot: Emulator | None) -> web.Application:
    async def hubspot_client(app: web.Application) -> AsyncIterator[None]:
        async with async_client_for(hubspot) as crm:  # in your app: AsyncHubCRM()
            app[CRM] = crm
            yield

    app = web.Application()
    app.cleanup_ctx.append(hubspot_client)
    app.router.add_post("/contacts", create_contact)
    return app


async def main() -> None:
    run = uuid.uuid4().hex[:8]  # unique emails, so the example can run again
    signups = [
        {"email": f"alan.{run}@example.com", "firstname": "Alan"},
        {"email": f"alan.{run}@example.com", "firstname": "Alan again"},
        {"email": "not-an-email", "firstname": "Typo"},
        {"email": f"katherine.{run}@example.com", "firstname": "Katherine"},
    ]
    async with emulator_unless_token() as hubspot:
        runner = web.AppRunner(make_app(hubspot))
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            async with ClientSession(f"http://{host}:{port}") as http:
                for signup in signups:
                    async with http.post("/contacts", json=signup) as response:
                        answer = await response.json()
                        print(f"POST /contacts {signup['email']} -> {response.status} {answer}")
        finally:
            await runner.cleanup()  # runs cleanup_ctx: the client is closed


if __name__ == "__main__":
    asyncio.run(main())
