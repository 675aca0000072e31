"""The clients as users' type checkers see them: AsyncHubCRM, HubCRM and their models.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict), and
an ``assert_type`` that no longer holds fails the session.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import aiohttp

import hubcrm
from hubcrm import (
    AssociatedId,
    Association,
    AssociationCategory,
    Associations,
    AssociationSpec,
    AssociationType,
    AsyncAssociations,
    AsyncHubCRM,
    AsyncObjects,
    AsyncProperties,
    ClientStats,
    Clock,
    CrmObject,
    DailyLimitError,
    HubCRM,
    Limiter,
    OAuth,
    ObjectInput,
    Objects,
    ObjectWarning,
    PauseOnlyLimiter,
    Properties,
    PropertyValue,
    RateLimit,
    RateLimitStatus,
    RetryPolicy,
    RetryWrites,
    RollingWindowLimiter,
    StaticToken,
    Timeouts,
    TokenProvider,
    TokenSet,
    ValueWithTimestamp,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type

PROPERTIES: dict[str, PropertyValue] = {
    "email": "ada@example.com",
    "hs_email_optout": False,
    "employees": 12,
    "amount": Decimal("1250.50"),
    "score": 0.5,
    "date_of_birth": date(1815, 12, 10),
    "closedate": datetime(2026, 1, 1, tzinfo=timezone.utc),
    "colours": ["red", "blue"],
    "tags": {"a", "b"},
    "notes": None,
}


async def async_client(token: str) -> None:
    async with AsyncHubCRM(
        token,
        base_url="http://127.0.0.1:8080",
        api_version="2026-03",
        timeout=5.0,
        connect_timeout=1.0,
        max_connections=10,
        rate_limit=RateLimit(100, 10.0),
        max_retries=2,
        retry_writes="always",
        rate_limit_deadline=60.0,
        search_rate_limit=RateLimit(5, 1.0),
    ) as crm:
        assert_type(crm, AsyncHubCRM)
        assert_type(crm.objects, AsyncObjects)
        assert_type(crm.properties, AsyncProperties)
        assert_type(crm.associations, AsyncAssociations)
        link = Association("123", AssociationType.CONTACT_TO_COMPANY)
        obj = await crm.objects.create("contacts", PROPERTIES, [link], id_property="email")
        assert_type(obj, CrmObject)
        got = await crm.objects.get("contacts", obj.id, ["email"], id_property=None)
        assert_type(got, CrmObject)
        faster = crm.with_options(timeout=1.0, connect_timeout=0.5, max_retries=0)
        assert_type(faster, AsyncHubCRM)
        assert_type(crm.with_options(retry_writes="never", rate_limit_deadline=1.0), AsyncHubCRM)
        assert_type(crm.with_options(timeouts=Timeouts(5.0), retry=RetryPolicy()), AsyncHubCRM)
        assert_type(crm.timeouts, Timeouts)
        assert_type(crm.retry, RetryPolicy)
        assert_type(crm.stats, ClientStats)
        assert_type(crm.closed, bool)
        assert_type(await crm.aclose(), None)
    assert_type(AsyncHubCRM(), AsyncHubCRM)  # the token from HUBSPOT_ACCESS_TOKEN


def sync_client(token: str) -> None:
    with HubCRM(token, rate_limit=None, retry_writes="safe", search_rate_limit=None) as crm:
        assert_type(crm, HubCRM)
        assert_type(crm.objects, Objects)
        assert_type(crm.properties, Properties)
        assert_type(crm.associations, Associations)
        obj = crm.objects.create("deals", {"dealname": "First order", "amount": 1250.5})
        assert_type(obj, CrmObject)
        assert_type(crm.objects.get("deals", obj.id), CrmObject)
        assert_type(crm.with_options(timeout=5.0), HubCRM)
        assert_type(crm.with_options(timeouts=Timeouts(connect=2.0)), HubCRM)
        assert_type(crm.with_options(retry=RetryPolicy(max_retries=0)), HubCRM)
        assert_type(crm.timeouts, Timeouts)
        assert_type(crm.retry, RetryPolicy)
        assert_type(crm.stats, ClientStats)
        assert_type(crm.closed, bool)
    assert_type(crm.close(), None)


def config() -> None:
    timeouts = Timeouts(total=30.0, connect=10.0)
    assert_type(timeouts.total, float)
    assert_type(timeouts.connect, float)
    policy = RetryPolicy(
        max_retries=3,
        backoff_base=0.5,
        backoff_max=8.0,
        rate_limit_deadline=300.0,
        retry_writes="safe",
    )
    assert_type(policy.max_retries, int)
    assert_type(policy.backoff_base, float)
    assert_type(policy.backoff_max, float)
    assert_type(policy.rate_limit_deadline, float)
    assert_type(policy.retry_writes, RetryWrites)
    assert_type(HubCRM("pat-123", timeouts=timeouts, retry=policy), HubCRM)
    assert_type(AsyncHubCRM("pat-123", timeouts=timeouts, retry=policy), AsyncHubCRM)


def connection_settings() -> None:
    context = ssl.create_default_context(cafile="corporate-ca.pem")
    crm = AsyncHubCRM(
        "pat-123",
        proxy="http://user:password@proxy.example.com:3128",
        ssl=context,
        trace_configs=[aiohttp.TraceConfig()],
        connector_options={"keepalive_timeout": 30.0, "ttl_dns_cache": 60},
    )
    assert_type(crm, AsyncHubCRM)
    assert_type(HubCRM("pat-123", trust_env=True, ssl=False), HubCRM)
    tagged = AsyncHubCRM("pat-123", extra_headers={"X-Source": "sync"}, app_name="acme/2.1")
    assert_type(tagged.with_options(extra_headers={"X-Trace": "t"}), AsyncHubCRM)
    blocking = HubCRM("pat-123", extra_headers={"X-Source": "sync"}, app_name="acme/2.1")
    assert_type(blocking.with_options(extra_headers={"X-Trace": "t"}), HubCRM)


def crm_object(obj: CrmObject) -> None:
    assert_type(obj.id, str)
    assert_type(obj.properties, dict[str, str | None])
    assert_type(obj.created_at, datetime)
    assert_type(obj.updated_at, datetime)
    assert_type(obj.archived, bool)
    assert_type(obj.archived_at, datetime | None)
    history = obj.properties_with_history
    assert_type(history, dict[str, tuple[ValueWithTimestamp, ...]] | None)
    if history is not None:
        for value in history["email"]:
            assert_type(value.value, str | None)
            assert_type(value.timestamp, datetime)
            assert_type(value.source_type, str)
            assert_type(value.source_id, str | None)
            assert_type(value.source_label, str | None)
            assert_type(value.updated_by_user_id, int | None)
    assert_type(obj.object_write_trace_id, str | None)
    assert_type(obj.url, str | None)
    assert_type(obj.warnings, tuple[ObjectWarning, ...] | None)
    associated = obj.associations
    assert_type(associated, dict[str, tuple[AssociatedId, ...]] | None)
    for ids in (associated or {}).values():
        for one in ids:
            assert_type(one.id, str)
            assert_type(one.type, str | None)
    for warning in obj.warnings or ():
        assert_type(warning.category, str)
        assert_type(warning.message, str)
        assert_type(warning.context, dict[str, str])


def models() -> None:
    spec = AssociationSpec(AssociationType.DEAL_TO_CONTACT)
    assert_type(spec.type_id, int)
    assert_type(spec.category, AssociationCategory)
    link = Association("42", [AssociationType.DEAL_TO_CONTACT, spec])
    assert_type(link.to_id, str)
    assert_type(link.types, tuple[AssociationSpec, ...])
    assert_type(AssociationType(279), AssociationType)
    type_id: int = AssociationType.CONTACT_TO_COMPANY  # an IntEnum: usable as HubSpot's id
    assert_type(AssociationSpec(type_id, "USER_DEFINED").category, AssociationCategory)
    item = ObjectInput({"email": "ada@example.com"}, associations=[link])
    assert_type(item.properties, dict[str, str])
    assert_type(item.associations, tuple[Association, ...])
    assert_type(item.object_write_trace_id, str | None)


class FixedClock:
    """A user's own clock: anything with time() and monotonic() is a Clock."""

    def time(self) -> float:
        return 1_700_000_000.0

    def monotonic(self) -> float:
        return 0.0


async def auth(clock: Clock) -> None:
    static = StaticToken("pat-123")
    assert_type(await static.token(), str)
    assert_type(static.value, str)
    assert_type(static.invalidate("pat-123"), None)

    def saved(tokens: TokenSet) -> None:
        assert_type(tokens.access_token, str)
        assert_type(tokens.refresh_token, str)
        assert_type(tokens.expires_at, float)

    async def saved_async(tokens: TokenSet) -> None:
        pass

    oauth = OAuth("client-id", "client-secret", "refresh-token", on_refresh=saved, clock=clock)
    assert_type(await oauth.token(), str)
    assert_type(oauth.invalidate("old"), None)
    assert_type(oauth.refreshes, int)
    assert_type(oauth.token_url, str)
    OAuth(
        "client-id",
        "client-secret",
        "refresh-token",
        access_token="at",
        expires_at=0.0,
        on_refresh=saved_async,
        token_url="http://127.0.0.1:8080/oauth/v1/token",
        refresh_margin=30.0,
        timeout=5.0,
        clock=FixedClock(),
    )
    assert_type(clock.time(), float)
    assert_type(clock.monotonic(), float)
    provider: TokenProvider = oauth
    async with AsyncHubCRM(provider, rate_limit=RollingWindowLimiter(RateLimit.DEFAULT)):
        pass


async def limits(daily: DailyLimitError) -> None:
    limit = RateLimit.parse("190/10")
    assert_type(limit, RateLimit)
    assert_type(limit.max_requests, int)
    assert_type(limit.interval, float)
    assert_type(limit.per_second, float)
    for tier in (
        RateLimit.FREE,
        RateLimit.STARTER,
        RateLimit.PROFESSIONAL,
        RateLimit.ENTERPRISE,
        RateLimit.API_LIMIT_INCREASE,
        RateLimit.OAUTH_APP,
    ):
        assert_type(tier, RateLimit)

    pause_only = PauseOnlyLimiter()
    limiter: Limiter = pause_only
    assert_type(await limiter.acquire(), float)
    assert_type(await limiter.acquire(max_pause=5.0), float)
    headers: Mapping[str, str] = {}
    assert_type(limiter.observe(headers), None)
    assert_type(limiter.penalize(), float)
    assert_type(limiter.penalize(10.0), float)
    assert_type(limiter.rate_limit, RateLimit | None)
    assert_type(limiter.daily_limit_reached(daily), None)
    assert_type(await limiter.aclose(), None)
    assert_type(await pause_only.acquire(1.0), float)

    window = RollingWindowLimiter(RateLimit(100, 10.0), explicit=True, clock=lambda: 0.0)
    assert_type(window.rate_limit, RateLimit)
    assert_type(await window.acquire(max_pause=0.0), float)
    limiter = window
    async with AsyncHubCRM("pat-123", rate_limit=limiter, search_rate_limit=PauseOnlyLimiter()):
        pass


def retry_writes(crm: AsyncHubCRM, writes: RetryWrites) -> None:
    assert_type(crm.with_options(retry_writes=writes), AsyncHubCRM)
    assert_type(HubCRM("pat-123", retry_writes=writes), HubCRM)


def stats(crm: HubCRM) -> None:
    s = crm.stats
    assert_type(s.requests, int)
    assert_type(s.retries, Mapping[str, int])
    assert_type(s.rate_limited, int)
    assert_type(s.rate_limit_wait, float)
    assert_type(s.pauses, int)
    assert_type(s.pause_time, float)
    assert_type(s.read_backs, int)
    status = s.rate_limit
    assert_type(status, RateLimitStatus | None)
    if status is not None:
        assert_type(status.max_requests, int | None)
        assert_type(status.remaining, int | None)
        assert_type(status.interval_ms, int | None)
        assert_type(status.daily, int | None)
        assert_type(status.daily_remaining, int | None)


async def redis_limiter() -> None:
    from redis.asyncio import Redis

    from hubcrm import OnRedisError, RedisRateLimiter

    on_error: OnRedisError = "local"
    limiter = RedisRateLimiter(
        Redis(), key="acme-app", max_requests=190, interval=10.0, on_redis_error=on_error
    )
    assert_type(await limiter.acquire(), float)
    assert_type(await limiter.acquire(max_pause=2.0), float)
    assert_type(limiter.key, str)
    assert_type(limiter.mode, Literal["shared", "local"])
    assert_type(limiter.redis_keys, tuple[str, str, str])
    assert_type(await limiter.aclose(), None)
    from_url = RedisRateLimiter.from_url(
        "redis://localhost:6379/0", key="acme-app", max_requests=190, interval=10.0
    )
    assert_type(from_url, RedisRateLimiter)
    async with AsyncHubCRM("pat-123", rate_limit=limiter):
        pass


def version() -> None:
    assert_type(hubcrm.__version__, str)
