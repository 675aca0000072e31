"""hubcrm/_sync.py is generated from the async classes and must never be stale."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import hubcrm._sync
from hubcrm import AsyncHubCRM, HubCRM
from hubcrm._codegen import TARGET, generate
from hubcrm._objects import AsyncObjects
from hubcrm._sync import Objects

PAIRS = [(AsyncHubCRM, HubCRM), (AsyncObjects, Objects)]


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
