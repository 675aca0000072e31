"""hubcrm: an async-first SDK for creating HubSpot CRM objects, with a sync facade.

Everything public is importable from here; modules with a leading underscore are
private. The HubSpot emulator for tests lives in :mod:`hubcrm.testing`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._auth import OAuth, StaticToken, TokenProvider, TokenSet
from ._bulk import BulkError, BulkInput, BulkInputs, BulkOutcome, BulkProgress, BulkResult
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
from ._ratelimit import Limiter, NoLimiter, RateLimit, RollingWindowLimiter
from ._retry import RetryWrites
from ._session import ClientStats, RateLimitStatus
from ._sync import HubCRM
from ._values import PropertyValue

try:
    __version__ = version("hubcrm")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

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
    "OutcomeUnknownError",
    "PropertyValue",
    "RateLimit",
    "RateLimitStatus",
    "RateLimitError",
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
