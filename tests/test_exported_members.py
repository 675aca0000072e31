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
