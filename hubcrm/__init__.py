"""hubcrm: an async-first SDK for creating HubSpot CRM objects, with a sync facade.

Everything public is importable from here; modules with a leading underscore are
private. The HubSpot emulator for tests lives in :mod:`hubcrm.testing`.

Names load on first use: ``import hubcrm`` imports none of its dependencies until a
name such as ``hubcrm.AsyncHubCRM`` is used, and ``hubcrm.RedisRateLimiter`` needs
redis (the ``hubcrm[redis]`` extra) only then.
"""

# Only the exported names stay in this namespace (dir(hubcrm) lists those): no
# `from __future__ import annotations`, helpers under private names, and TYPE_CHECKING
# deleted at the end.
from importlib import import_module as _import_module

# The name type checkers treat as true; importing it from typing would cost `import hubcrm`
# (and so the hubcrm command's start-up) ten milliseconds.
TYPE_CHECKING = False

# Type checkers read the public names from these imports; at run time __getattr__ below
# loads each from the module _EXPORTS names (PEP 562), so that the hubcrm command's
# entry point runs before aiohttp, click and rich load and can catch an early Ctrl-C.
# tests/client/test_exported_members.py checks that the two lists agree.
if TYPE_CHECKING:
    from ._check.report import SkippedCheck, ValidationProblem, ValidationReport
    from ._client import AsyncHubCRM
    from ._core.clock import Clock
    from ._core.config import RetryPolicy, RetryWrites, Timeouts
    from ._core.errors import (
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
    from ._core.models import (
        AssociatedId,
        Association,
        AssociationCategory,
        AssociationSpec,
        AssociationType,
        CrmObject,
        ObjectInput,
        ObjectWarning,
        ValueWithTimestamp,
    )
    from ._core.pipeline_owner_models import Owner, OwnerTeam, Pipeline, PipelineStage
    from ._core.property_models import CrmProperty, PropertyGroup, PropertyOption, ValidationRule
    from ._core.values import PropertyValue
    from ._http.auth import OAuth, StaticToken, TokenProvider, TokenSet
    from ._http.client_stats import ClientStats, RateLimitStatus
    from ._http.limiters import PauseOnlyLimiter, RollingWindowLimiter
    from ._http.ratelimit import Limiter, RateLimit
    from ._http.redislimiter import OnRedisError, RedisRateLimiter
    from ._http.session import Response
    from ._resources.associations import (
        AssociatedRecord,
        AssociationInput,
        AssociationLabel,
        AssociationLink,
        AssociationOutcome,
        AsyncAssociations,
    )
    from ._resources.objects import AsyncObjects, AsyncObjectsWithRawResponse
    from ._resources.owners import AsyncOwners
    from ._resources.pipelines import AsyncPipelines
    from ._resources.properties import AsyncProperties
    from ._resources.raw import RawResponse, RequestSafety
    from ._resources.schemas import AsyncSchemas, ObjectSchema, ObjectTypeLabels, SchemaAssociation
    from ._resources.search import Filter, FilterOperator, Sort, SortDirection
    from ._sync import (
        Associations,
        HubCRM,
        Objects,
        ObjectsWithRawResponse,
        Owners,
        Pipelines,
        Properties,
        Schemas,
    )
    from ._write.batch_write import ArchiveOutcome, BatchResult, ObjectUpdate, UpdateOutcome
    from ._write.outcomes import (
        BulkInput,
        BulkInputs,
        BulkOutcome,
        BulkProgress,
        BulkResult,
        BulkRunError,
    )

    __version__: str

#: The private module that defines each public name: ``{module: names}``.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "_resources.associations": (
        "AssociatedRecord",
        "AssociationInput",
        "AssociationLabel",
        "AssociationLink",
        "AssociationOutcome",
        "AsyncAssociations",
    ),
    "_http.auth": ("OAuth", "StaticToken", "TokenProvider", "TokenSet"),
    "_write.batch_write": ("ArchiveOutcome", "BatchResult", "ObjectUpdate", "UpdateOutcome"),
    "_check.report": ("SkippedCheck", "ValidationProblem", "ValidationReport"),
    "_client": ("AsyncHubCRM",),
    "_core.clock": ("Clock",),
    "_core.config": ("RetryPolicy", "RetryWrites", "Timeouts"),
    "_core.errors": (
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
        "RateLimitPauseError",
        "RedisLimiterError",
        "ResponseParseError",
        "SearchCapError",
        "ServerError",
    ),
    "_http.limiters": ("PauseOnlyLimiter", "RollingWindowLimiter"),
    "_core.models": (
        "AssociatedId",
        "Association",
        "AssociationCategory",
        "AssociationSpec",
        "AssociationType",
        "CrmObject",
        "ObjectInput",
        "ObjectWarning",
        "ValueWithTimestamp",
    ),
    "_resources.objects": ("AsyncObjects", "AsyncObjectsWithRawResponse"),
    "_write.outcomes": (
        "BulkInput",
        "BulkInputs",
        "BulkOutcome",
        "BulkProgress",
        "BulkResult",
        "BulkRunError",
    ),
    "_resources.properties": ("AsyncProperties",),
    "_resources.schemas": ("AsyncSchemas", "ObjectSchema", "ObjectTypeLabels", "SchemaAssociation"),
    "_resources.pipelines": ("AsyncPipelines",),
    "_resources.owners": ("AsyncOwners",),
    "_core.pipeline_owner_models": ("Owner", "OwnerTeam", "Pipeline", "PipelineStage"),
    "_core.property_models": ("CrmProperty", "PropertyGroup", "PropertyOption", "ValidationRule"),
    "_http.ratelimit": ("Limiter", "RateLimit"),
    "_resources.raw": ("RawResponse", "RequestSafety"),
    "_http.redislimiter": ("OnRedisError", "RedisRateLimiter"),
    "_resources.search": ("Filter", "FilterOperator", "Sort", "SortDirection"),
    "_http.session": ("Response",),
    "_http.client_stats": ("ClientStats", "RateLimitStatus"),
    "_sync": (
        "Associations",
        "HubCRM",
        "Objects",
        "ObjectsWithRawResponse",
        "Owners",
        "Pipelines",
        "Properties",
        "Schemas",
    ),
    "_core.values": ("PropertyValue",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

_RENAMED = {
    # old name: (new name, what to say)
    "NoLimiter": (
        "PauseOnlyLimiter",
        "hubcrm.NoLimiter is now hubcrm.PauseOnlyLimiter (it still pauses every "
        "sender after a 429)",
    ),
    "BulkError": (
        "BulkOutcome",
        "hubcrm.BulkError is now hubcrm.BulkOutcome: BulkResult.errors holds the "
        "outcomes without a record",
    ),
}


# Hidden from type checkers, which would otherwise accept any attribute of hubcrm.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _WHERE.get(name)
        if module is not None:
            value = getattr(_import_module(f"{__name__}.{module}"), name)
            globals()[name] = value  # the next look-up is an ordinary attribute
            return value
        if name in _RENAMED:
            import warnings

            new, message = _RENAMED[name]
            warnings.warn(
                f"{message}; the old name goes away in the next minor release",
                DeprecationWarning,
                stacklevel=2,
            )
            return __getattr__(new)
        if name == "__version__":
            from ._core.version import version

            value = globals()["__version__"] = version()
            return value
        raise AttributeError(f"module 'hubcrm' has no attribute {name!r}")

    def __dir__() -> list[str]:
        # The exports, loaded or not, and the module's dunders; not the submodules
        # loaded so far (hubcrm.testing, hubcrm._resources.objects...), which import sets here.
        return sorted({name for name in globals() if name.startswith("__")} | set(__all__))


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
    "AsyncOwners",
    "AsyncPipelines",
    "AsyncProperties",
    "AsyncSchemas",
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
    "ObjectSchema",
    "ObjectTypeLabels",
    "ObjectUpdate",
    "ObjectWarning",
    "Objects",
    "ObjectsWithRawResponse",
    "OnRedisError",
    "OutcomeUnknownError",
    "Owner",
    "OwnerTeam",
    "Owners",
    "PauseOnlyLimiter",
    "Pipeline",
    "PipelineStage",
    "Pipelines",
    "Properties",
    "PropertyGroup",
    "PropertyOption",
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
    "SchemaAssociation",
    "Schemas",
    "SearchCapError",
    "ServerError",
    "SkippedCheck",
    "Sort",
    "SortDirection",
    "StaticToken",
    "Timeouts",
    "TokenProvider",
    "TokenSet",
    "UpdateOutcome",
    "ValidationProblem",
    "ValidationReport",
    "ValidationRule",
    "ValueWithTimestamp",
    "__version__",
]

del TYPE_CHECKING
