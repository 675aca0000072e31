"""The public surface is exactly what ``hubcrm.__all__`` lists, and all of it exists."""

from __future__ import annotations

import hubcrm

PUBLIC = {
    "__version__",
    # clients
    "AsyncHubCRM",
    "HubCRM",
    # models
    "Association",
    "AssociationCategory",
    "AssociationSpec",
    "AssociationType",
    "CrmObject",
    "ObjectInput",
    "ObjectWarning",
    "PropertyValue",
    "ValueWithTimestamp",
    # errors
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DailyLimitError",
    "ErrorDetail",
    "ForbiddenError",
    "HubCRMError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitError",
    "RedisLimiterError",
    "ResponseParseError",
    "ServerError",
    # auth
    "OAuth",
    "StaticToken",
    "TokenProvider",
    "TokenSet",
    # bulk
    "BulkError",
    "BulkInput",
    "BulkInputs",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    # rate limits, retries, stats
    "ClientStats",
    "Limiter",
    "NoLimiter",
    "RateLimit",
    "RateLimitStatus",
    "RetryWrites",
    "RollingWindowLimiter",
    # the shared limiter (hubcrm[redis]), loaded on first use
    "OnRedisError",
    "RedisRateLimiter",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(hubcrm.__all__) == PUBLIC
    assert len(hubcrm.__all__) == len(PUBLIC)  # no duplicates


def test_every_exported_name_exists() -> None:
    for name in hubcrm.__all__:
        assert getattr(hubcrm, name) is not None, name


def test_version_is_a_string() -> None:
    assert isinstance(hubcrm.__version__, str)
    assert hubcrm.__version__


def test_redis_limiter_is_loaded_on_first_use() -> None:
    from hubcrm import _redislimiter

    assert hubcrm.RedisRateLimiter is _redislimiter.RedisRateLimiter
    assert hubcrm.OnRedisError is _redislimiter.OnRedisError
