"""The public :class:`Emulator`: lifecycle (async, background thread) and inspection."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Iterable
from types import EllipsisType, TracebackType
from typing import Any, Literal

from aiohttp import web

from ._app import build_app
from ._counters import Stats
from ._crm_core import UNIQUE_REFUSALS, UniqueRefusal
from ._emulator_portal import PortalSetup
from ._faults import Faults
from ._oauth import Credentials
from ._received import ReceivedRequest
from ._rules import make_rule
from ._schema import AssociationCategory, ObjectTypeDef, PropertyDef
from ._state import NOT_FOUND_BODIES, NotFoundBody, State

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "FIXTURE_SEARCH_DELAY",
    "ConflictStyle",
    "Emulator",
]

ConflictStyle = Literal["CONFLICT", "OBJECT_ALREADY_EXISTS", "conflict", "object_already_exists"]
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
#: The ``search_delay`` of the ``hubspot_emulator`` pytest fixture, in seconds: writes
#: reach HubSpot's search after about a second to a few seconds, so a search right after
#: a write misses them there; 3 s makes it miss them here too, and costs a test that
#: moves the emulator's clock (``advance_clock``) nothing.
FIXTURE_SEARCH_DELAY = 3.0


class Emulator(PortalSetup):
    """A local HubSpot CRM objects API (2026-03 and v3 paths) over real HTTP.

    Use it as ``async with Emulator() as emu:`` (served by the running event loop) or
    ``with Emulator() as emu:`` (served by a background thread with its own loop). Every
    configuration and inspection method is thread-safe.

    Args:
        token: the static bearer token(s) accepted (private-app tokens); each is its own
            app for rate limiting.
        host: interface to listen on.
        port: TCP port; 0 picks a free one (read :attr:`base_url`).
        rate_limit: ``(N, W)``: at most N processed requests per app in any W seconds
            (HubSpot's rolling window); ``None`` turns it off.
        daily_limit: requests per day for the whole account; ``None`` means no cap.
        access_token_ttl: lifetime in seconds of the OAuth access tokens it issues.
        seed: seeds the shuffling of batch results and the random faults; ``None`` for
            a fresh seed.
        max_body_bytes: larger request bodies get a 413.
        portal_id: the account id (custom type names are ``p<portal_id>_<name>``).
        conflict_style: body of a duplicate-value 409: ``"CONFLICT"`` (classic:
            ``category: CONFLICT``) or ``"OBJECT_ALREADY_EXISTS"`` (newer: that category
            plus ``errors[].in`` naming the property); case-insensitive.
        not_found_body: what a 404 answering a ``GET`` carries: ``"json"`` (HubSpot's
            error body), ``"empty"`` (no body at all) or ``"html"`` (an HTML page), as
            HubSpot's edge sometimes answers.
        require_company_domain_or_name: companies need ``domain`` or ``name`` at
            creation (the requirement HubSpot's guides state). By default neither is
            required, as in HubSpot's 2026-03 OpenAPI schema.
        unique_refusal: how a create that repeats the value of a custom unique-value
            property is refused, as HubSpot documents no one shape: ``"409"`` (a
            conflict naming the existing id, as for a contact's email) or ``"400"`` (a
            validation error naming the property, without the id).
        upsert_trace_ids: whether batch upsert results echo each input's
            ``objectWriteTraceId`` (HubSpot documents the echo for batch create only).
        search_rate_limit: ``(N, W)``: at most N searches per account in any W seconds
            (HubSpot's search limit: 5 per second). Searches are not counted in the
            burst window and their answers carry no rate-limit headers; over the limit
            they get a 429 ``"You have reached your secondly limit."``. ``None`` turns
            it off.
        search_delay: seconds before a create or an update is visible to search, on the
            emulator's clock (:meth:`advance_clock` moves it), as HubSpot's search is
            eventually consistent. Reads by id and ``batch/read`` see writes at once.
            ``0.0`` (the default here) makes writes searchable at once; the pytest
            fixture ``hubspot_emulator`` uses :data:`FIXTURE_SEARCH_DELAY` instead.
    """

    def __init__(
        self,
        *,
        token: str | Iterable[str] = "test-token",
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: tuple[int, float] | None = (190, 10.0),
        daily_limit: int | None = None,
        access_token_ttl: float = 1800.0,
        seed: int | None = 0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        portal_id: int = 12345678,
        conflict_style: ConflictStyle = "CONFLICT",
        not_found_body: NotFoundBody = "json",
        require_company_domain_or_name: bool = False,
        unique_refusal: UniqueRefusal = "409",
        upsert_trace_ids: bool = True,
        search_rate_limit: tuple[int, float] | None = (5, 1.0),
        search_delay: float = 0.0,
    ) -> None:
        tokens = [token] if isinstance(token, str) else list(token)
        if not tokens or not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("give at least one non-empty token")
        style = str(conflict_style).upper()
        if style not in ("CONFLICT", "OBJECT_ALREADY_EXISTS"):
            raise ValueError("conflict_style is 'CONFLICT' or 'OBJECT_ALREADY_EXISTS'")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        if access_token_ttl < 0:
            raise ValueError("access_token_ttl must be >= 0")
        _check_not_found_body(not_found_body)
        _check_bool("require_company_domain_or_name", require_company_domain_or_name)
        _check_unique_refusal(unique_refusal)
        _check_bool("upsert_trace_ids", upsert_trace_ids)
        _check_search_delay(search_delay)
        self.token: str = tokens[0]
        self.host = host
        self.port = port
        self._state = State(
            rate_limit=rate_limit,
            daily_limit=daily_limit,
            seed=seed,
            max_body_bytes=max_body_bytes,
            portal_id=portal_id,
            conflict_style=style,
            not_found_body=not_found_body,
            require_company_domain_or_name=require_company_domain_or_name,
            search_rate_limit=search_rate_limit,
        )
        self._state.crm.unique_refusal = unique_refusal
        self._state.crm.upsert_trace_ids = upsert_trace_ids
        self._state.crm.search_delay = float(search_delay)
        self._credentials = Credentials(self._state, tokens, access_token_ttl)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    def __repr__(self) -> str:
        return f"<Emulator {self._base_url or 'not started'}>"

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` once started."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not running")
        return self._base_url

    @property
    def portal_id(self) -> int:
        """The emulated account id."""
        return self._state.portal_id

    async def start(self) -> None:
        """Start serving on the running event loop."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self._state.stopping = asyncio.Event()
        app = build_app(self._state, self._credentials)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        host = address[0]
        if ":" in host:
            host = f"[{host}]"
        self._base_url = f"http://{host}:{address[1]}"

    async def stop(self) -> None:
        """Stop serving: pending slow responses are cut, connections closed."""
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        if self._state.stopping is not None:
            self._state.stopping.set()
        await runner.cleanup()
        self._base_url = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __enter__(self) -> Emulator:
        if self._thread is not None or self._runner is not None:
            raise RuntimeError("the emulator is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run_loop, args=(loop,), name="hubcrm-emulator", daemon=True
        )
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=30)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            raise
        self._loop = loop
        self._thread = thread
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            self._loop = None
            self._thread = None

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    # --- configuration -------------------------------------------------------------------

    def define_object_type(
        self,
        name: str,
        *,
        properties: Iterable[PropertyDef] = (),
        required: Iterable[str] = (),
        singular: str | None = None,
        type_number: int | None = None,
        default_read_properties: Iterable[str] | None = None,
    ) -> ObjectTypeDef:
        """Declare a custom object type, reachable as ``2-<n>`` and ``p<portal>_<name>``.

        Args:
            name: the schema name (``cars``); the full name is ``p<portal_id>_cars``.
            properties: its properties (``hs_object_id``, ``hs_createdate`` and
                ``hs_lastmodifieddate`` are added).
            required: properties that must be set at creation.
            singular: label used in messages (defaults to ``name``).
            type_number: the ``n`` of ``2-<n>``; by default the next free one.
            default_read_properties: what a read without ``properties`` returns; by
                default every set property.

        Returns:
            The definition, with its ``object_type_id`` and ``name``.
        """
        with self._state.lock:
            return self._state.store.define_type(
                name,
                properties,
                required=required,
                singular=singular,
                type_number=type_number,
                default_read_properties=default_read_properties,
            )

    def add_property(self, object_type: str, prop: PropertyDef) -> None:
        """Add (or replace) a property of any type, standard or custom."""
        with self._state.lock:
            self._state.store.add_property(object_type, prop)

    def add_validation_rule(
        self,
        object_type: str,
        property_name: str,
        rule_type: str,
        arguments: Iterable[str] = (),
        *,
        should_apply_normalization: bool = False,
    ) -> None:
        """Give a property a validation rule, as a portal admin does in HubSpot.

        The rule is served by ``GET /crm/property-validations/2026-03/{objectTypeId}``
        (and ``…/{propertyName}``) and replaces a rule of the same type. Creates and
        updates are checked against ``MAX_LENGTH`` and ``MIN_LENGTH`` (a length),
        ``REGEX`` (a pattern the whole value must match), ``MIN_NUMBER`` and
        ``MAX_NUMBER`` (a number; number properties), ``EMAIL_ALLOWED_DOMAINS`` and
        ``EMAIL_BLOCKED_DOMAINS`` (domains): a value that breaks one is refused with a
        ``VALIDATION_ERROR`` whose entry has code ``INVALID_VALUE`` and names the property
        and the rule. Other rule types are served but not enforced.

        Args:
            object_type: the type, by name or id.
            property_name: one of its properties.
            rule_type: HubSpot's rule type (``"MAX_LENGTH"``, ``"REGEX"``, ...).
            arguments: the rule's arguments, strings as HubSpot gives them (``["10"]``).
            should_apply_normalization: served as the rule's ``shouldApplyNormalization``.

        Raises:
            ValueError: an unknown type, property or rule type, or arguments that do
                not fit an enforced rule (a length that is not a number, a pattern that
                does not compile).
        """
        with self._state.lock:
            store = self._state.store
            tdef = store.require(object_type)
            prop = tdef.properties.get(property_name)
            if prop is None:
                raise ValueError(f"{tdef.name} has no property {property_name!r}")
            rule = make_rule(prop, rule_type, arguments, should_apply_normalization)
            rules = store.validation_rules.setdefault((tdef.object_type_id, property_name), [])
            rules[:] = [r for r in rules if r["ruleType"] != rule_type] + [rule]

    def object_type(self, object_type: str) -> ObjectTypeDef:
        """The definition of a type, by name or id (``ValueError`` if unknown)."""
        with self._state.lock:
            return self._state.store.require(object_type)

    def define_association_type(
        self,
        from_type: str,
        to_type: str,
        type_id: int,
        *,
        category: AssociationCategory = "USER_DEFINED",
        label: str | None = None,
    ) -> None:
        """Accept ``type_id`` in ``category`` for associations from ``from_type`` to ``to_type``.

        ``HUBSPOT_DEFINED`` ids are built in (HubSpot's default types); this declares
        ``USER_DEFINED``, ``INTEGRATOR_DEFINED`` and ``WORK`` ones.
        """
        with self._state.lock:
            self._state.store.define_association_type(from_type, to_type, type_id, category, label)

    def register_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        rotate_refresh_tokens: bool = False,
        refresh_token: str | None = None,
        scopes: Iterable[str] | None = None,
        user_id: int | None = None,
    ) -> str:
        """Register an OAuth app for the token endpoint; returns a valid refresh token.

        Registering the same client id and secret again adds a refresh token and replaces
        the app's settings.

        Args:
            client_id: the client id the refresh-token grant must send.
            client_secret: the client secret the refresh-token grant must send.
            rotate_refresh_tokens: each refresh returns a new refresh token and
                invalidates the one used (HubSpot keeps the same one by default).
            refresh_token: use this refresh token instead of a random one.
            scopes: the scopes the token answer lists (not enforced); ``None`` lists
                ``oauth`` and read and write scopes for contacts, companies and deals.
            user_id: the installing user's id, sent as ``user_id`` in the token answer
                (as for a user-level token); ``None`` leaves the field out.

        Returns:
            A refresh token the token endpoint accepts for this app.

        Raises:
            ValueError: ``scopes`` is not a list of non-empty names, or ``user_id`` is not
                an integer.
        """
        return self._credentials.register_oauth_app(
            client_id,
            client_secret,
            rotate_refresh_tokens=rotate_refresh_tokens,
            refresh_token=refresh_token,
            scopes=scopes,
            user_id=user_id,
        )

    def set_rate_limit(
        self,
        rate_limit: tuple[int, float] | None,
        daily_limit: int | EllipsisType | None = ...,
    ) -> None:
        """Change the burst limit (and the daily cap unless ``...``); windows restart.

        Setting ``daily_limit`` also zeroes the requests counted today.
        """
        with self._state.lock:
            limiter = self._state.limiter
            if daily_limit is ...:
                limiter.configure(rate_limit, limiter.daily_limit)
            else:
                limiter.configure(rate_limit, daily_limit)
                limiter.daily_used = 0

    def set_search_rate_limit(self, rate_limit: tuple[int, float] | None) -> None:
        """Change the search limit (``(N, W)``, or ``None`` for none); its window restarts."""
        with self._state.lock:
            self._state.search_limiter.configure(rate_limit)

    def configure(
        self,
        *,
        not_found_body: NotFoundBody | EllipsisType = ...,
        require_company_domain_or_name: bool | EllipsisType = ...,
        unique_refusal: UniqueRefusal | EllipsisType = ...,
        upsert_trace_ids: bool | EllipsisType = ...,
        clock_skew: float | EllipsisType = ...,
        search_delay: float | EllipsisType = ...,
    ) -> None:
        """Change fidelity settings while running; ``...`` leaves a setting as it is.

        Args:
            not_found_body: ``"json"``, ``"empty"`` or ``"html"``: what later 404s
                answering a ``GET`` carry (see the constructor).
            require_company_domain_or_name: whether later company creations need
                ``domain`` or ``name``.
            unique_refusal: ``"409"`` or ``"400"``: how later clashes on a custom
                unique-value property are refused (see the constructor).
            upsert_trace_ids: whether later batch upsert results echo trace ids.
            clock_skew: seconds HubSpot's wall clock is ahead of this machine's
                (negative: behind), for ``createdAt``, ``completedAt`` and the like; rate
                windows and token expiry keep the machine's time.
            search_delay: seconds before later writes are visible to search (see the
                constructor). ``0`` also makes every write still waiting visible now.

        Raises:
            ValueError: a setting has a value it cannot take.
        """
        if not_found_body is not ...:
            _check_not_found_body(not_found_body)
        if require_company_domain_or_name is not ...:
            _check_bool("require_company_domain_or_name", require_company_domain_or_name)
        if unique_refusal is not ...:
            _check_unique_refusal(unique_refusal)
        if upsert_trace_ids is not ...:
            _check_bool("upsert_trace_ids", upsert_trace_ids)
        if clock_skew is not ...:
            if isinstance(clock_skew, bool) or not isinstance(clock_skew, (int, float)):
                raise ValueError("clock_skew is a number of seconds")
            if not math.isfinite(clock_skew):
                raise ValueError("clock_skew must be finite")
        if search_delay is not ...:
            _check_search_delay(search_delay)
        state = self._state
        with state.lock:
            if not_found_body is not ...:
                state.not_found_body = not_found_body
            if require_company_domain_or_name is not ...:
                state.set_company_requirement(require_company_domain_or_name)
            if unique_refusal is not ...:
                state.crm.unique_refusal = unique_refusal
            if upsert_trace_ids is not ...:
                state.crm.upsert_trace_ids = upsert_trace_ids
            if clock_skew is not ...:
                state.clock.skew = float(clock_skew)
            if search_delay is not ...:
                state.set_search_delay(search_delay)

    @property
    def settings(self) -> dict[str, Any]:
        """The fidelity settings :meth:`configure` changes, by name."""
        state = self._state
        with state.lock:
            return {
                "not_found_body": state.not_found_body,
                "require_company_domain_or_name": state.require_company_domain_or_name,
                "unique_refusal": state.crm.unique_refusal,
                "upsert_trace_ids": state.crm.upsert_trace_ids,
                "clock_skew": state.clock.skew,
                "search_delay": state.crm.search_delay,
            }

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward: rate-limit windows, OAuth expiry and search
        indexing (``search_delay``) follow."""
        with self._state.lock:
            self._state.clock.advance(seconds)

    @property
    def faults(self) -> Faults:
        """The fault injector: ``emu.faults.error_after(502, times=3, operation="create")``."""
        return self._state.faults

    # --- inspection ----------------------------------------------------------------------

    def objects(self, object_type: str) -> list[dict[str, Any]]:
        """Stored objects of a type, oldest first, as the API renders them.

        Each carries every stored property and ``associations``: a list of
        ``{"toObjectTypeId", "toObjectId", "types": [{"associationCategory",
        "associationTypeId"}]}``.
        """
        state = self._state
        with state.lock:
            tdef = state.store.require(object_type)
            objects = state.store.objects[tdef.object_type_id]
            return [
                state.store.render_with_associations(objects[k]) for k in sorted(objects, key=int)
            ]

    def count(self, object_type: str) -> int:
        """How many objects of a type are stored."""
        with self._state.lock:
            tdef = self._state.store.require(object_type)
            return len(self._state.store.objects[tdef.object_type_id])

    @property
    def stats(self) -> Stats:
        """A snapshot of the counters."""
        with self._state.lock:
            return self._state.counters.snapshot()

    @property
    def received(self) -> list[ReceivedRequest]:
        """The latest API requests received (1,000 at most), oldest first: method, path,
        query and headers as they arrived (the token redacted). Requests to the admin
        endpoints under ``/_emulator/`` are not kept. :meth:`reset` clears them."""
        with self._state.lock:
            return list(self._state.received.requests)

    def reset(self) -> None:
        """Clear objects, counters, faults (rules and log) and rate-limit windows.

        Object types, properties, tokens and OAuth apps stay; object ids keep counting.
        """
        self._state.reset()


def _check_not_found_body(value: object) -> None:
    if value not in NOT_FOUND_BODIES:
        raise ValueError(f"not_found_body is one of {', '.join(NOT_FOUND_BODIES)}")


def _check_unique_refusal(value: object) -> None:
    if value not in UNIQUE_REFUSALS:
        raise ValueError(f"unique_refusal is one of {', '.join(UNIQUE_REFUSALS)}")


def _check_search_delay(value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"search_delay is a number of seconds >= 0, not {value!r}")


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} is True or False")
