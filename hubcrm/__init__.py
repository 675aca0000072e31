"""hubcrm: an async-first SDK for creating HubSpot CRM objects, with a sync facade.

Everything public is importable from here; modules with a leading underscore are
private. The HubSpot emulator for tests lives in :mod:`hubcrm.testing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._associations import (
    AssociatedRecord,
    AssociationInput,
    AssociationLabel,
    AssociationLink,
    AssociationOutcome,
    AsyncAssociations,
)
from ._auth import OAuth, StaticToken, TokenProvider, TokenSet
from ._batch_write import ArchiveOutcome, BatchResult, ObjectUpdate, UpdateOutcome
from ._client import AsyncHubCRM
from ._clock import Clock
from ._config import RetryPolicy, RetryWrites, Timeouts
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
    RateLimitPauseError,
    RedisLimiterError,
    ResponseParseError,
    SearchCapError,
    ServerError,
)
from ._models import (
    AssociatedId,
    Association,
    AssociationCategory,
    AssociationSpec,
    AssociationType,
    CrmObject,
    CrmProperty,
    ObjectInput,
    ObjectWarning,
    ValueWithTimestamp,
)
from ._objects import AsyncObjects, AsyncObjectsWithRawResponse
from ._outcomes import BulkInput, BulkInputs, BulkOutcome, BulkProgress, BulkResult, BulkRunError
from ._properties import AsyncProperties
from ._ratelimit import Limiter, PauseOnlyLimiter, RateLimit, RollingWindowLimiter
from ._raw import RawResponse, RequestSafety
from ._search import Filter, FilterOperator, Sort, SortDirection
from ._session import Response
from ._stats import ClientStats, RateLimitStatus
from ._sync import Associations, HubCRM, Objects, ObjectsWithRawResponse, Properties
from ._values import PropertyValue

if TYPE_CHECKING:
    from ._redislimiter import OnRedisError, RedisRateLimiter

    __version__: str
else:
    _RENAMED = {
        # old name: (new object, what to say)
        "NoLimiter": (
            PauseOnlyLimiter,
            "hubcrm.NoLimiter is now hubcrm.PauseOnlyLimiter (it still pauses every "
            "sender after a 429)",
        ),
        "BulkError": (
            BulkOutcome,
            "hubcrm.BulkError is now hubcrm.BulkOutcome: BulkResult.errors holds the "
            "outcomes without a record",
        ),
    }

    def __getattr__(name: str) -> object:
        if name in _RENAMED:
            import warnings

            new, message = _RENAMED[name]
            warnings.warn(
                f"{message}; the old name goes away in the next minor release",
                DeprecationWarning,
                stacklevel=2,
            )
            return new
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
    "ArchiveOutcome",
    "AssociatedId",
    "AssociatedRecord",
    "Association",
    "AssociationCategory",
    "AssociationInput",
    "AssociationLabel",
    "AssociationLink",
    "AssociationOutcome",
    "AssociationSpec",
    "AssociationType",
    "Associations",
    "AsyncAssociations",
    "AsyncHubCRM",
    "AsyncObjects",
    "AsyncObjectsWithRawResponse",
    "AsyncProperties",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "BulkInput",
    "BulkInputs",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    "BulkRunError",
    "ClientStats",
    "Clock",
    "ConflictError",
    "CrmObject",
    "CrmProperty",
    "DailyLimitError",
    "ErrorDetail",
    "Filter",
    "FilterOperator",
    "ForbiddenError",
    "HubCRM",
    "HubCRMError",
    "Limiter",
    "NotFoundError",
    "OAuth",
    "ObjectInput",
    "ObjectUpdate",
    "ObjectWarning",
    "Objects",
    "ObjectsWithRawResponse",
    "OnRedisError",
    "OutcomeUnknownError",
    "PauseOnlyLimiter",
    "Properties",
    "PropertyValue",
    "RateLimit",
    "RateLimitError",
    "RateLimitPauseError",
    "RateLimitStatus",
    "RawResponse",
    "RedisLimiterError",
    "RedisRateLimiter",
    "RequestSafety",
    "Response",
    "ResponseParseError",
    "RetryPolicy",
    "RetryWrites",
    "RollingWindowLimiter",
    "SearchCapError",
    "ServerError",
    "Sort",
    "SortDirection",
    "StaticToken",
    "Timeouts",
    "TokenProvider",
    "TokenSet",
    "UpdateOutcome",
    "ValueWithTimestamp",
    "__version__",
]
