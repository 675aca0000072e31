"""hubcrm: an async-first SDK for creating HubSpot CRM objects, with a sync facade.

Everything public is importable from here; modules with a leading underscore are
private. The HubSpot emulator for tests lives in :mod:`hubcrm.testing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._auth import OAuth, StaticToken, TokenProvider, TokenSet
from ._client import AsyncHubCRM
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DailyLimitError,
    ErrorDetail,
    ForbiddenError,
    HubCRMError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RedisLimiterError,
    ResponseParseError,
    ServerError,
)
from ._models import (
    Association,
    AssociationCategory,
    AssociationSpec,
    AssociationType,
    CrmObject,
    ObjectInput,
    ObjectWarning,
    ValueWithTimestamp,
)
from ._outcomes import BulkError, BulkInput, BulkInputs, BulkOutcome, BulkProgress, BulkResult
from ._ratelimit import Limiter, NoLimiter, RateLimit, RollingWindowLimiter
from ._retry import RetryWrites
from ._session import ClientStats, RateLimitStatus
from ._sync import HubCRM
from ._values import PropertyValue

if TYPE_CHECKING:
    from ._redislimiter import OnRedisError, RedisRateLimiter

    __version__: str
else:

    def __getattr__(name: str) -> object:
        # The Redis limiter imports redis (the hubcrm[redis] extra): loaded on first use.
        if name in ("RedisRateLimiter", "OnRedisError"):
            from . import _redislimiter

            value = getattr(_redislimiter, name)
            globals()[name] = value
            return value
        # __version__ is read from the package metadata on first use: importing
        # importlib.metadata costs tens of milliseconds that `import hubcrm` need not
        # pay. Hidden from type checkers, which would otherwise accept any attribute.
        if name == "__version__":
            from importlib.metadata import PackageNotFoundError, version

            try:
                value = version("hubcrm")
            except PackageNotFoundError:  # pragma: no cover - a source tree, not installed
                value = "0.0.0"
            globals()["__version__"] = value
            return value
        raise AttributeError(f"module 'hubcrm' has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AssociationCategory",
    "Association",
    "AssociationSpec",
    "AssociationType",
    "AsyncHubCRM",
    "AuthenticationError",
    "BulkError",
    "BulkInput",
    "BulkInputs",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    "BadRequestError",
    "ConflictError",
    "ClientStats",
    "CrmObject",
    "DailyLimitError",
    "ErrorDetail",
    "ForbiddenError",
    "HubCRM",
    "HubCRMError",
    "Limiter",
    "NoLimiter",
    "NotFoundError",
    "OAuth",
    "ObjectInput",
    "ObjectWarning",
    "OnRedisError",
    "OutcomeUnknownError",
    "PropertyValue",
    "RateLimit",
    "RateLimitStatus",
    "RateLimitError",
    "RedisLimiterError",
    "RedisRateLimiter",
    "ResponseParseError",
    "RetryWrites",
    "RollingWindowLimiter",
    "ServerError",
    "StaticToken",
    "TokenProvider",
    "TokenSet",
    "ValueWithTimestamp",
    "__version__",
]
