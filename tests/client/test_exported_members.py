"""The public surface is exactly what ``hubcrm.__all__`` lists, and all of it exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hubcrm

PUBLIC = {
    "__version__",
    # clients and their resources
    "AsyncHubCRM",
    "AsyncObjects",
    "AsyncProperties",
    "HubCRM",
    "Objects",
    "Properties",
    "AsyncAssociations",
    "Associations",
    "AsyncObjectsWithRawResponse",
    "ObjectsWithRawResponse",
    # raw requests and responses
    "RawResponse",
    "RequestSafety",
    "Response",
    # search
    "Filter",
    "FilterOperator",
    "SearchCapError",
    "Sort",
    "SortDirection",
    # associations on existing records
    "AssociatedId",
    "AssociatedRecord",
    "AssociationInput",
    "AssociationLabel",
    "AssociationLink",
    "AssociationOutcome",
    # batch updates and archives
    "ArchiveOutcome",
    "BatchResult",
    "ObjectUpdate",
    "UpdateOutcome",
    # models
    "Association",
    "AssociationCategory",
    "AssociationSpec",
    "AssociationType",
    "CrmObject",
    "CrmProperty",
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
    "RateLimitPauseError",
    "RedisLimiterError",
    "ResponseParseError",
    "ServerError",
    # auth
    "Clock",
    "OAuth",
    "StaticToken",
    "TokenProvider",
    "TokenSet",
    # bulk
    "BulkInput",
    "BulkInputs",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    "BulkRunError",
    # rate limits, retries, stats
    "ClientStats",
    "Limiter",
    "PauseOnlyLimiter",
    "RateLimit",
    "RateLimitStatus",
    "RetryPolicy",
    "RetryWrites",
    "RollingWindowLimiter",
    "Timeouts",
    # the shared limiter (hubcrm[redis]), loaded on first use
    "OnRedisError",
    "RedisRateLimiter",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(hubcrm.__all__) == PUBLIC
    assert len(hubcrm.__all__) == len(PUBLIC)  # no duplicates


def test_all_is_sorted() -> None:
    assert hubcrm.__all__ == sorted(hubcrm.__all__)


def test_every_public_name_in_the_module_is_exported() -> None:
    # Built from the module itself: a public name defined in or loaded into
    # hubcrm/__init__.py but left out of __all__ (or a private module leaking through)
    # fails here. Every exported name is loaded first, so vars() holds them all.
    for name in hubcrm.__all__:
        getattr(hubcrm, name)
    public = {
        name
        for name, value in vars(hubcrm).items()
        if not name.startswith("_") and not isinstance(value, type(hubcrm))
    }
    public.discard("TYPE_CHECKING")
    public.discard("annotations")
    public.discard("import_module")
    assert public <= set(hubcrm.__all__), public - set(hubcrm.__all__)
    assert set(dir(hubcrm)) >= set(hubcrm.__all__)


def test_the_lazy_table_is_exactly_all_and_matches_the_typed_imports() -> None:
    # hubcrm/__init__.py names each export twice: in the imports type checkers read
    # and in the table __getattr__ loads from. The two must agree, name by module.
    assert set(hubcrm._WHERE) | {"__version__"} == set(hubcrm.__all__)
    tree = ast.parse(Path(hubcrm.__file__).read_text("utf-8"))
    (typed,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    imported = {
        alias.name: statement.module
        for statement in typed.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }
    assert imported == hubcrm._WHERE


def test_exported_classes_are_hubcrm_s_own() -> None:
    classes = [getattr(hubcrm, name) for name in hubcrm.__all__]
    classes = [value for value in classes if isinstance(value, type)]
    assert len(classes) > 30
    for cls in classes:
        assert cls.__module__.startswith("hubcrm."), cls


def test_no_limiter_is_a_deprecated_name_for_pause_only_limiter() -> None:
    with pytest.deprecated_call(match="PauseOnlyLimiter"):
        old = hubcrm.NoLimiter  # type: ignore[attr-defined]
    assert old is hubcrm.PauseOnlyLimiter


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
