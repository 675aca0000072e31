"""The test matrix of noxfile.py (.ci/matrix.py): whole under CI, what the machine has elsewhere.

The README's test command must pass on a machine with one supported Python: outside CI
the sessions of a missing Python are skipped, ``oldest_deps`` and ``dist`` move to a
Python at hand, and the run ends by listing what it left out. Under CI nothing moves.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_matrix() -> ModuleType:
    name = "hubcrm_ci_matrix"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / ".ci" / "matrix.py")
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


matrix = _load_matrix()

ONLY_311 = [
    "tests-3.10: skipped, python3.10 not on PATH; CI runs it",
    "tests-3.12: skipped, python3.12 not on PATH; CI runs it",
    "tests-3.13: skipped, python3.13 not on PATH; CI runs it",
    "oldest_deps-3.10: ran on 3.11 instead, python3.10 not on PATH; CI runs it on 3.10",
    "dist-3.13: ran on 3.11 instead, python3.13 not on PATH; CI runs it on 3.13",
]
NO_REDIS = (
    "tests needing redis-server: skipped, redis-server not on PATH"
    " (apt-get install redis-server); CI runs them"
)


def test_the_supported_pythons_are_those_pyproject_names() -> None:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    named = [line.split("::")[-1].strip(' ",') for line in text.splitlines()]
    assert [p for p in named if p.startswith("3.")] == list(matrix.PYTHONS)


@pytest.mark.parametrize("found", [[], ["3.11"], ["3.10", "3.11", "3.12", "3.13"]])
def test_ci_runs_the_whole_matrix_whatever_is_found(found: list[str]) -> None:
    plan = matrix.plan(ci=True, found=found, redis_server=False)
    assert (plan.oldest_deps, plan.dist, plan.timing) == ("3.10", "3.13", "3.11")
    assert plan.notes == ()


def test_one_python_runs_everything_on_it_and_notes_the_rest() -> None:
    plan = matrix.plan(ci=False, found={"3.11"}, redis_server=True)
    assert (plan.oldest_deps, plan.dist, plan.timing) == ("3.11", "3.11", "3.11")
    assert [str(note) for note in plan.notes] == ONLY_311


def test_the_timing_tests_move_to_a_python_at_hand() -> None:
    plan = matrix.plan(ci=False, found={"3.12", "3.13"}, redis_server=True)
    assert (plan.oldest_deps, plan.dist, plan.timing) == ("3.12", "3.13", "3.12")
    assert [note.session for note in plan.notes] == [
        "tests-3.10",
        "tests-3.11",
        "oldest_deps-3.10",
    ]


def test_every_python_found_is_ci_but_for_a_missing_redis_server() -> None:
    plan = matrix.plan(ci=False, found=set(matrix.PYTHONS), redis_server=True)
    assert plan == matrix.plan(ci=True, found=(), redis_server=True)
    plan = matrix.plan(ci=False, found=set(matrix.PYTHONS), redis_server=False)
    assert [str(note) for note in plan.notes] == [NO_REDIS]


def test_no_supported_python_skips_oldest_deps_and_dist() -> None:
    plan = matrix.plan(ci=False, found={"3.9", "3.14"}, redis_server=True)
    assert (plan.oldest_deps, plan.dist) == ("3.10", "3.13")
    assert [str(note) for note in plan.notes][-2:] == [
        "oldest_deps-3.10: skipped, python3.10 not on PATH; CI runs it on 3.10",
        "dist-3.13: skipped, python3.13 not on PATH; CI runs it on 3.13",
    ]


def test_the_summary_speaks_of_the_sessions_the_run_had() -> None:
    plan = matrix.plan(ci=False, found={"3.11"}, redis_server=False)
    header = "Left out of CI's matrix on this machine (CI runs it all):"
    everything = {"tests-3.11", "oldest_deps-3.11", "dist-3.11"}
    lines = [f"* {line}" for line in [*ONLY_311, NO_REDIS]]
    assert matrix.summary(plan.notes, everything) == [header, *lines]
    # `nox -s tests`: nothing about oldest_deps or dist, which did not run.
    assert matrix.summary(plan.notes, {"tests-3.11"}) == [header, *lines[:3], lines[-1]]
    # A Python that nox found elsewhere than on PATH did run: it is not reported.
    ran = {"tests-3.11", "tests-3.12"}
    assert "tests-3.12" not in "".join(matrix.summary(plan.notes, ran))
    # `nox -s lint docs`, or CI: nothing to say.
    assert matrix.summary(plan.notes, set()) == []
    ci = matrix.plan(ci=True, found=(), redis_server=True)
    assert matrix.summary(ci.notes, everything) == []


def _script(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", "utf-8")
    path.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="shell scripts stand in for Pythons")
def test_a_python_counts_when_it_runs_as_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = "{}.{}".format(*sys.version_info[:2])
    others = [p for p in matrix.PYTHONS if p != here]
    _script(tmp_path, f"python{here}", f'exec "{sys.executable}" "$@"')
    # A pyenv shim of a version that is not selected: on PATH, but it fails.
    _script(tmp_path, f"python{others[0]}", "echo 'pyenv: command not found' >&2; exit 127")
    # Another Python under this version's name.
    _script(tmp_path, f"python{others[1]}", f'exec "{sys.executable}" "$@"')
    monkeypatch.setenv("PATH", str(tmp_path))
    assert matrix.pythons_on_path([here, *others]) == {here}
