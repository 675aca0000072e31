"""The public surface is exactly what ``hubcrm.__all__`` lists, and all of it exists."""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

import hubcrm
from hubcrm.testing import Emulator

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
    # custom object schemas
    "AsyncSchemas",
    "Schemas",
    "ObjectSchema",
    "ObjectTypeLabels",
    "SchemaAssociation",
    "AsyncPipelines",
    "Pipelines",
    "AsyncOwners",
    "Owners",
    # the check before sending
    "SkippedCheck",
    "ValidationProblem",
    "ValidationReport",
    # the portal's pipelines and owners
    "Owner",
    "OwnerTeam",
    "Pipeline",
    "PipelineStage",
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
    "PropertyGroup",
    "PropertyOption",
    "PropertyValue",
    "ValidationRule",
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
    assert public <= set(hubcrm.__all__), public - set(hubcrm.__all__)
    assert set(dir(hubcrm)) >= set(hubcrm.__all__)


def test_the_package_namespace_holds_the_exported_names_only() -> None:
    # What dir() and completion offer is what __all__ exports: no helper of
    # hubcrm/__init__.py, and no submodule, whichever were loaded already.
    import hubcrm.cli
    import hubcrm.testing

    exported = sorted(name for name in hubcrm.__all__ if not name.startswith("_"))
    assert [name for name in dir(hubcrm) if not name.startswith("_")] == exported
    assert "__version__" in dir(hubcrm)
    for helper in ("import_module", "annotations", "TYPE_CHECKING"):
        assert not hasattr(hubcrm, helper), helper
        with pytest.raises(AttributeError, match=helper):
            getattr(hubcrm, helper)


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
    from hubcrm._http import redislimiter as _redislimiter

    assert hubcrm.RedisRateLimiter is _redislimiter.RedisRateLimiter
    assert hubcrm.OnRedisError is _redislimiter.OnRedisError


def _defined_names(tree: ast.Module) -> tuple[set[str], list[str] | None]:
    """The names a module defines at its top level, and its ``__all__`` (None if absent).

    A logger, a TypeVar and a ParamSpec are plumbing, not offerings: left out."""
    defined: set[str] = set()
    listed: list[str] | None = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            call = node.value if isinstance(node.value, ast.Call) else None
            made_by = ast.unparse(call.func) if call is not None else ""
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                if target.id == "__all__":
                    assert node.value is not None
                    listed = list(ast.literal_eval(node.value))
                elif made_by not in ("TypeVar", "ParamSpec", "logging.getLogger"):
                    defined.add(target.id)
    return defined, listed


MODULES = sorted(Path(hubcrm.__file__).parent.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_every_module_lists_what_it_offers_in_all(path: Path) -> None:
    # Within the package too, a module says what other modules may use: every name
    # without a leading underscore is in its __all__, and everything else is private.
    defined, listed = _defined_names(ast.parse(path.read_text("utf-8")))
    public = {name for name in defined if not name.startswith("_")} - {"TYPE_CHECKING"}
    assert listed is not None, f"{path.name} has no __all__"
    assert public <= set(listed), sorted(public - set(listed))
    assert len(listed) == len(set(listed))


def _import_graph(*, deferred: bool = False) -> dict[str, set[str]]:
    """Module -> the package modules it imports at its top level (``TYPE_CHECKING``
    blocks included: a circle there is a circle in the design, if not at run time) and,
    with ``deferred``, also inside its functions and methods (imports left for first
    use)."""
    package = Path(hubcrm.__file__).parent
    modules: dict[str, Path] = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        tree = ast.parse(path.read_text("utf-8"))
        if deferred:
            statements: list[ast.stmt] = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
        else:
            statements = [
                s for node in tree.body for s in (node.body if isinstance(node, ast.If) else [node])
            ]
        edges: set[str] = set()
        for statement in statements:
            if isinstance(statement, ast.Import):
                edges.update(a.name for a in statement.names if a.name.startswith("hubcrm."))
                continue
            if not isinstance(statement, ast.ImportFrom):
                continue
            if statement.level:
                base = here[: len(here) - statement.level + 1]
                target = ".".join(base + ([statement.module] if statement.module else []))
            elif statement.module and statement.module.startswith("hubcrm"):
                target = statement.module
            else:
                continue
            for alias in statement.names:
                submodule = f"{target}.{alias.name}"
                edges.add(submodule if submodule in modules else target)
        graph[name] = edges & set(modules) - {name}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    circles: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return circles


# Circles closed only by an import inside a function, each with the reason it is
# sound. None today; an entry names the circle's modules in the order _circles gives.
_DEFERRED_CIRCLES_ALLOWED: dict[tuple[str, ...], str] = {}


def _unexplained_circles(
    eager: dict[str, set[str]], every: dict[str, set[str]], allowed: dict[tuple[str, ...], str]
) -> list[list[str]]:
    """The circles of top-level imports, and those of ``every`` import that are not
    excused by a reason in ``allowed`` (a circle of top-level imports never is)."""
    excused = {frozenset(circle) for circle, why in allowed.items() if why.strip()}
    return [*_circles(eager)] + [
        circle
        for circle in _circles(every)
        if frozenset(circle) not in excused
        or all(b in eager[a] for a, b in itertools.pairwise(circle))
    ]


def test_no_module_imports_one_that_imports_it_back() -> None:
    """No circle in the import graph, counting every import of the package's modules:
    at the top level, under ``TYPE_CHECKING``, and inside functions and methods (the
    imports left for first use: the rarer resources, the bulk engine, the validate
    check). A deferred import does not break a circle in the design, it only hides it
    from the interpreter until the function runs; so a circle closed only by a deferred
    import fails too, unless ``_DEFERRED_CIRCLES_ALLOWED`` lists it with the reason it
    is sound (a lower module calling back up only in a path the upper one starts, say).
    A circle of top-level imports is never allowed."""
    eager, every = _import_graph(), _import_graph(deferred=True)
    assert eager["hubcrm._client"] >= {
        "hubcrm._resources.objects",
        "hubcrm._http.session",
    }  # read right
    # Imports inside functions are read too: the bulk engine, for one.
    assert "hubcrm._write.bulk" in every["hubcrm._resources.objects_bulk"]
    assert "hubcrm._write.bulk" not in eager["hubcrm._resources.objects_bulk"]
    assert _unexplained_circles(eager, every, _DEFERRED_CIRCLES_ALLOWED) == []
    for circle, reason in _DEFERRED_CIRCLES_ALLOWED.items():
        assert reason.strip(), f"{circle} has no reason"
        assert list(circle) in _circles(every), f"{circle} is no longer a circle: drop it"
    # The check itself finds a circle when there is one, at the top level or deferred;
    # a reason excuses a deferred one only.
    back = {"hubcrm._core.models": every["hubcrm._core.models"] | {"hubcrm._client"}}
    assert _unexplained_circles({**eager, **back}, {**every, **back}, {})
    found = _circles({**every, **back})
    assert _unexplained_circles({**eager, **back}, {**every, **back}, {tuple(found[0]): "a"})
    assert _unexplained_circles(eager, {**every, **back}, {})
    excused = {tuple(c): "the upper module imports it only when called" for c in found}
    assert _unexplained_circles(eager, {**every, **back}, excused) == []


def _imported_modules(tree: ast.Module) -> set[str]:
    """Every absolute module a module imports, at its top level or inside a function."""
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            imported.add(node.module)
    return imported


def _aiohttp_importers(package: Path) -> list[str]:
    """The client's modules (not the emulator's, a server) that import aiohttp."""
    return sorted(
        str(path.relative_to(package.parent))
        for path in package.rglob("*.py")
        if "testing" not in path.relative_to(package).parts
        and any(
            name == "aiohttp" or name.startswith("aiohttp.")
            for name in _imported_modules(ast.parse(path.read_text("utf-8")))
        )
    )


def test_only_the_transport_imports_aiohttp(tmp_path: Path) -> None:
    # One seam: connection settings, the pool and the mapping of aiohttp's errors live in
    # _transport.py; the session, OAuth and the config reach the network through it.
    package = Path(hubcrm.__file__).parent
    assert _aiohttp_importers(package) == ["hubcrm/_http/transport.py"]
    # The check itself finds an import anywhere in a module, in any spelling.
    copy = tmp_path / "hubcrm"
    (copy / "testing").mkdir(parents=True)
    (copy / "_a.py").write_text("def f():\n    from aiohttp import web\n")
    (copy / "_b.py").write_text("import aiohttp.client_exceptions as e\n")
    (copy / "_c.py").write_text("from ._transport import Reply  # aiohttp\n")
    (copy / "testing" / "_d.py").write_text("import aiohttp\n")
    assert _aiohttp_importers(copy) == ["hubcrm/_a.py", "hubcrm/_b.py"]


def test_only_recovery_reads_retry_writes() -> None:
    """One owner decides how ambiguous writes are settled: no other module reads the
    policy's ``retry_writes`` (passing it along as an argument is not reading it)."""
    package = Path(hubcrm.__file__).parent
    readers = sorted(
        str(path.relative_to(package.parent))
        for path in package.rglob("*.py")
        if any(
            isinstance(node, ast.Attribute) and node.attr == "retry_writes"
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
        )
    )
    assert readers == ["hubcrm/_write/recovery.py"]


# What the client's import leaves for first use: the bulk engine and the validate
# check load when create_many, upsert_many, iter_create_many or validate first runs,
# the batch update and archive engine when update_many or archive_many does; the bulk
# arguments, the batch executor, the reading of batch answers and the settling of an
# ambiguous batch when a bulk run starts or a batch is first settled (a single create,
# even one settled after an ambiguous failure, needs none of them); the comparison of a
# record read back with the values sent when a record is first read back; search's
# filters and request building when a search first runs, and paging when a listing or a
# search first runs; the snapshot types of
# crm.stats when it is first read; the reading of HubSpot's error answers (and
# ErrorDetail with it) when the first error is made; RawResponse with the first raw
# call.
_LOADED_ON_FIRST_USE = (
    "hubcrm._write.bulk",
    "hubcrm._write.engine",
    "hubcrm._write.intake",
    "hubcrm._check.validate",
    "hubcrm._check.check",
    "hubcrm._check.bulk",
    "hubcrm._check.reading",
    "hubcrm._check.snapshot",
    "hubcrm._check.report",
    "hubcrm._write.batch_write",
    "hubcrm._write.outcomes",
    "hubcrm._write.bulk_args",
    "hubcrm._write.executor",
    "hubcrm._write.bulk_answer",
    "hubcrm._write.batch_settling",
    "hubcrm._write.compare",
    "hubcrm._resources.search",
    "hubcrm._resources.paging",
    "hubcrm._http.client_stats",
    "hubcrm._core.error_bodies",
    "hubcrm._core.error_detail",
    "hubcrm._resources.raw_response",
)


def _modules_loaded_by(code: str) -> set[str]:
    """The hubcrm modules a fresh interpreter has loaded after running ``code``."""
    script = (
        f"{code}\nimport sys\nprint('\\n'.join(m for m in sys.modules if m.startswith('hubcrm')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def test_importing_the_clients_leaves_the_bulk_engine_and_validate_for_first_use() -> None:
    loaded = _modules_loaded_by("from hubcrm import AsyncHubCRM, HubCRM")
    assert "hubcrm._resources.objects" in loaded  # read right
    assert sorted(set(_LOADED_ON_FIRST_USE) & loaded) == []


def test_the_modules_left_for_first_use_exist_and_load_with_bulk_writes() -> None:
    # Each name above is a real module, so the check above cannot pass by a typo.
    code = (
        "import hubcrm._write.bulk, hubcrm._check.validate, hubcrm._check.bulk\n"
        "import hubcrm._write.engine, hubcrm._write.intake, hubcrm._check.check\n"
        "import hubcrm._check.reading, hubcrm._write.batch_write, hubcrm._resources.search\n"
        "import hubcrm._http.client_stats, hubcrm._write.compare, hubcrm._core.error_bodies\n"
        "import hubcrm._resources.raw_response"
    )
    assert set(_LOADED_ON_FIRST_USE) <= _modules_loaded_by(code)


_DEPENDENCIES_ONLY = "import aiohttp, attrs, cattrs, anyio"
_CLIENTS = "from hubcrm import AsyncHubCRM, HubCRM"
_DEPENDENCY_PACKAGES = {"aiohttp", "attr", "attrs", "cattrs", "anyio"}


def _modules_loaded_by(code: str) -> set[str]:
    """The modules a fresh interpreter has after ``code``."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def _third_party_modules_loaded_by(code: str) -> set[str]:
    """The modules of hubcrm's dependencies a fresh interpreter has after ``code``."""
    return {m for m in _modules_loaded_by(code) if m.split(".")[0] in _DEPENDENCY_PACKAGES}


def _modules_outside_hubcrm_loaded_by(code: str) -> set[str]:
    """The modules other than hubcrm's a fresh interpreter has after ``code``."""
    return {m for m in _modules_loaded_by(code) if m.split(".")[0] != "hubcrm"}


# The speed extra's orjson, when installed, loads with the clients, and with it what
# orjson itself imports (zoneinfo, in some versions): here it counts as a dependency.
_DEPENDENCIES_AND_SPEED = (
    f"{_DEPENDENCIES_ONLY}\ntry:\n    import orjson\nexcept ImportError:\n    pass"
)


def test_importing_the_clients_loads_no_module_their_dependencies_do_not() -> None:
    # Not even one of the standard library: decimal, for one, loads with the first
    # value that needs it (a Decimal, or PropertyValue's first use), not at import.
    baseline = _modules_outside_hubcrm_loaded_by(_DEPENDENCIES_AND_SPEED)
    assert {"aiohttp", "json", "re"} <= baseline  # read right
    assert "decimal" not in baseline
    loaded = _modules_outside_hubcrm_loaded_by(f"{_DEPENDENCIES_AND_SPEED}\n{_CLIENTS}")
    assert sorted(loaded - baseline) == []
    # ...and what loads decimal is seen: the check above could fail.
    code = f"{_DEPENDENCIES_AND_SPEED}\n{_CLIENTS}\nimport hubcrm\nhubcrm.PropertyValue"
    assert "decimal" in _modules_outside_hubcrm_loaded_by(code) - baseline


def test_importing_the_clients_builds_no_converter_and_no_route_table() -> None:
    # The general converter (a record in HubSpot's usual shape is read without it) and
    # tracing's table of route templates are made by their first use.
    code = (
        f"{_CLIENTS}\nfrom hubcrm._core import convert\nfrom hubcrm._http import tracing\n"
        "print('converter' in vars(convert), tracing._SHAPES is None)\n"
        "assert convert._converter() is convert.converter\n"
        "tracing.route_template('/crm/objects/2026-03/contacts')\n"
        "print('converter' in vars(convert), tracing._SHAPES is None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split("\n")[:2] == ["False True", "True False"]


def test_the_clients_load_no_more_of_their_dependencies_than_importing_them_does() -> None:
    # Importing both clients and making an async client loads no module of aiohttp,
    # attrs, cattrs or anyio beyond what importing the four dependencies loads: anyio's task
    # machinery waits for the blocking client's first call (or a bulk run, or the
    # validate check).
    baseline = _third_party_modules_loaded_by(_DEPENDENCIES_ONLY)
    assert {"aiohttp", "attrs", "cattrs", "anyio"} <= baseline  # read right
    code = (
        f"{_DEPENDENCIES_ONLY}\nfrom hubcrm import AsyncHubCRM, HubCRM\n"
        "AsyncHubCRM('pat-na1-00000000-0000-0000-0000-000000000000')"
    )
    assert sorted(_third_party_modules_loaded_by(code) - baseline) == []


# The rarer resources, and the modules each one's first access loads (and the import of
# the clients leaves unloaded): what a client that only creates records never pays for.
_RARE_RESOURCES = {
    "properties": {
        "hubcrm._resources.properties",
        "hubcrm._resources.property_parts",
        "hubcrm._core.property_models",
    },
    "associations": {
        "hubcrm._resources.associations",
        "hubcrm._resources.association_labels",
        "hubcrm._write.batch_write",
        "hubcrm._write.update_order",
        "hubcrm._write.outcomes",
    },
    "schemas": {"hubcrm._resources.schemas", "hubcrm._core.schema_models"},
    "pipelines": {"hubcrm._resources.pipelines", "hubcrm._core.pipeline_owner_models"},
    "owners": {"hubcrm._resources.owners"},
}
_RARE = sorted(set().union(*_RARE_RESOURCES.values()))

# Run in a fresh interpreter: which of _RARE each step loads, and what the call read.
_TOUCH_EACH_RESOURCE = """
import asyncio, json, sys
from hubcrm import AsyncHubCRM, HubCRM

url, token, blocking = sys.argv[1], sys.argv[2], sys.argv[3] == "blocking"
rare = set(json.loads(sys.argv[4]))
steps = []
seen = set()

def step(name, result=None):
    now = rare & set(sys.modules)
    steps.append([name, sorted(now - seen), result])
    seen.update(now)

CALLS = {
    "properties": lambda crm: crm.properties.list("contacts"),
    "associations": lambda crm: crm.associations.labels("contacts", "companies"),
    "schemas": lambda crm: crm.schemas.list(),
    "pipelines": lambda crm: crm.pipelines.list("deals"),
    "owners": lambda crm: crm.owners.list(),
}

async def main(crm, call):
    step("import")
    created = await call(crm.objects.create("contacts", {"email": "ada@example.com"}))
    step("objects.create", created.id is not None)
    for name, read in CALLS.items():
        resource = getattr(crm, name)
        step(name, resource is getattr(crm, name))
        step(name + " call", len(await call(read(crm))))

async def awaited(value):
    return await value

async def returned(value):
    return value

if blocking:
    with HubCRM(token, base_url=url) as crm:
        asyncio.run(main(crm, returned))
else:
    async def run():
        async with AsyncHubCRM(token, base_url=url) as crm:
            await main(crm, awaited)
    asyncio.run(run())
print(json.dumps(steps))
"""


@pytest.mark.parametrize("client", ["async", "blocking"])
def test_the_rarer_resources_load_on_first_access(client: str, hubspot_emulator: Emulator) -> None:
    hubspot_emulator.add_owner("ada@example.com", "Ada")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _TOUCH_EACH_RESOURCE,
            hubspot_emulator.base_url,
            hubspot_emulator.token,
            client,
            json.dumps(_RARE),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    steps = {name: (loaded, result) for name, loaded, result in json.loads(done.stdout)}
    # Importing both clients and creating a record load none of them...
    assert steps["import"] == ([], None)
    assert steps["objects.create"] == ([], True)
    for name, modules in _RARE_RESOURCES.items():
        # ...the attribute loads its resource's modules (one resource, kept)...
        assert steps[name] == (sorted(modules), True), name
        # ...and the resource works: one real read each, every one with an answer.
        loaded, count = steps[f"{name} call"]
        assert loaded == [], name
        assert count >= (name != "schemas"), name  # no custom type yet: an empty list
    assert len(steps) == 2 + 2 * len(_RARE_RESOURCES)
    # One request each reached the emulator: over HTTP, none retried, none left out.
    assert hubspot_emulator.stats.requests_by_operation == {
        "create": 1,
        "list_properties": 1,
        "association_labels": 1,
        "list_schemas": 1,
        "read_pipelines": 1,
        "read_owners": 1,
    }
