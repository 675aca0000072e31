"""hubcrm/_sync.py is generated from the async classes and must never be stale."""

from __future__ import annotations

import ast
import collections.abc
import inspect
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import hubcrm._sync
from hubcrm import AsyncHubCRM, HubCRM
from hubcrm._codegen import TARGET, generate
from hubcrm._resources.objects import AsyncObjects, AsyncObjectsWithRawResponse
from hubcrm._sync import Objects, ObjectsWithRawResponse

PAIRS = [
    (AsyncHubCRM, HubCRM),
    (AsyncObjects, Objects),
    (AsyncObjectsWithRawResponse, ObjectsWithRawResponse),
]


def test_checked_in_sync_module_is_fresh() -> None:
    assert Path(hubcrm._sync.__file__) == TARGET
    assert TARGET.read_text("utf-8") == generate(), "run `nox -s codegen`"


def test_check_flag_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hubcrm import _codegen

    stale = tmp_path / "_sync.py"
    stale.write_text(TARGET.read_text("utf-8") + "\n# hand edit\n", "utf-8")
    monkeypatch.setattr(_codegen, "TARGET", stale)
    assert _codegen.main(["--check"]) == 1
    assert _codegen.main([]) == 0  # regenerates
    assert _codegen.main(["--check"]) == 0


def test_module_entry_point_check_passes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hubcrm._codegen", "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("async_cls", "sync_cls"), PAIRS)
def test_public_methods_match(async_cls: type, sync_cls: type) -> None:
    def public(cls: type) -> set[str]:
        return {n for n in vars(cls) if not n.startswith("_")}

    managed = {"aclose"}  # close() on the sync side
    assert public(async_cls) - managed <= set(dir(sync_cls))


@pytest.mark.parametrize(("async_cls", "sync_cls"), PAIRS)
def test_signatures_and_docstrings_are_identical(async_cls: type, sync_cls: type) -> None:
    compared = [
        name
        for name, member in vars(async_cls).items()
        if (name == "__init__" and async_cls is AsyncHubCRM)
        or (not name.startswith("_") and name != "aclose" and inspect.iscoroutinefunction(member))
    ]
    assert compared
    for name in compared:
        member = getattr(async_cls, name)
        sync_member = getattr(sync_cls, name)
        a = inspect.signature(member)
        s = inspect.signature(sync_member)
        assert list(a.parameters) == list(s.parameters), name
        for pa, ps in zip(a.parameters.values(), s.parameters.values(), strict=False):
            assert (pa.kind, pa.default, pa.annotation) == (ps.kind, ps.default, ps.annotation)
        assert a.return_annotation == s.return_annotation
        assert inspect.getdoc(member) == inspect.getdoc(sync_member)


def _method(source: str) -> ast.FunctionDef:
    (node,) = ast.parse(source).body
    assert isinstance(node, ast.FunctionDef)
    return node


def test_an_async_generator_becomes_a_generator() -> None:
    from hubcrm._codegen import _returns_async_generator, _sync_annotation

    method = _method("def stream(self) -> AsyncGenerator[BulkOutcome, None]: ...")
    assert _returns_async_generator(method)
    assert _sync_annotation(method.returns) == "Generator[BulkOutcome, None, None]"
    assert not _returns_async_generator(_method("def get(self) -> CrmObject: ..."))


def test_a_public_method_returning_an_async_iterator_is_refused() -> None:
    # An AsyncIterator cannot be closed early (no aclose to call, and aclosing() does
    # not type-check): the generator insists on AsyncGenerator for public iterators.
    from hubcrm._codegen import _returns_async_generator

    with pytest.raises(ValueError, match=r"stream\(\) returns AsyncIterator"):
        _returns_async_generator(_method("def stream(self) -> AsyncIterator[X]: ..."))
    assert not _returns_async_generator(_method("def _pages(self) -> AsyncIterator[X]: ..."))


def _annotation_names() -> dict[str, object]:
    """The generated module's namespace with the names its annotations use, which it
    imports for type checkers only (``if TYPE_CHECKING:``), imported here."""
    namespace = dict(vars(hubcrm._sync))
    tree = ast.parse(TARGET.read_text("utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If)]
    exec(compile(ast.Module(block.body, []), str(TARGET), "exec"), namespace)
    return namespace


def test_the_generated_module_imports_only_what_it_runs() -> None:
    # The annotations' names (the rarer resources' models among them) are imported for
    # type checkers only; what the module needs at run time is imported as usual.
    names = _annotation_names()
    assert {"CrmProperty", "Pipeline", "BulkInputs", "Generator"} <= set(names)
    assert {"CrmProperty", "Pipeline", "BulkInputs", "Generator"}.isdisjoint(vars(hubcrm._sync))
    assert {"AsyncHubCRM", "Portal", "SyncClientBase", "RateLimit"} <= set(vars(hubcrm._sync))


@pytest.mark.parametrize("name", ["iter_create_many", "iter_all", "search"])
def test_the_sync_iterators_can_be_closed(name: str) -> None:
    hints = typing.get_type_hints(getattr(Objects, name), _annotation_names())
    assert typing.get_origin(hints["return"]) is collections.abc.Generator


@pytest.mark.parametrize("name", ["create", "get", "update", "archive"])
def test_a_raw_call_takes_its_plain_call_s_arguments(name: str) -> None:
    # with_raw_response's methods are made from the plain ones (raw_response), never
    # written out: same parameters, a RawResponse of the same value.
    plain = inspect.signature(getattr(AsyncObjects, name))
    raw = inspect.signature(getattr(AsyncObjectsWithRawResponse, name))
    assert raw.parameters == plain.parameters
    assert raw.return_annotation == f"RawResponse[{plain.return_annotation}]"
    assert getattr(AsyncObjectsWithRawResponse, name).__name__ == name
