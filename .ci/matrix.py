"""Which Pythons the test matrix of noxfile.py uses on this machine, and what it leaves out.

Under CI (the ``CI`` variable set; ``.ci/run`` sets it) the matrix is whole: ``tests`` on
every supported Python, ``oldest_deps`` on the oldest, ``dist`` on the newest, and a
missing interpreter fails the run. Elsewhere the same command adapts to the Pythons
found on ``PATH``: ``tests`` runs on each of them (nox skips the others), ``oldest_deps``
on the oldest of them, ``dist`` on the newest, and the timing tests on CI's timing
Python or else on the oldest found, so that the whole suite runs once. :func:`plan`
says what that leaves out, and :func:`summary` what the end of a run says about it.

Only the standard library is imported here: noxfile.py loads this file by its path, and
so do the tests (``tests/tooling/test_nox_matrix.py``), which run without nox.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection, Iterable
from dataclasses import dataclass

__all__ = ["PYTHONS", "TIMING_PYTHON", "Note", "Plan", "plan", "pythons_on_path", "summary"]

# Every Python that pyproject.toml's classifiers name, oldest first.
PYTHONS = ("3.10", "3.11", "3.12", "3.13")

# Tests marked `timing` check rates in real time over several processes; a loaded
# machine can upset them, so they run on one Python of the matrix, not on all four.
TIMING_PYTHON = "3.11"


@dataclass(frozen=True)
class Note:
    """One thing of CI's matrix that a run outside CI does not do as CI does.

    ``session`` is the nox session CI runs (``tests-3.10``), or a family of sessions
    (``tests``) when the note is about some of their tests, which ``label`` then names.
    """

    session: str
    text: str
    label: str = ""

    @property
    def family(self) -> str:
        return self.session.partition("-")[0]

    def __str__(self) -> str:
        return f"{self.label or self.session}: {self.text}"


@dataclass(frozen=True)
class Plan:
    """The Pythons of the sessions whose Python is chosen, and what is left out."""

    oldest_deps: str
    dist: str
    timing: str
    notes: tuple[Note, ...]


def plan(*, ci: bool, found: Collection[str], redis_server: bool) -> Plan:
    """The matrix under CI (``ci``), or on a machine where the supported Pythons ``found``
    are on ``PATH``, ``redis_server`` telling whether ``redis-server`` is too."""
    if ci:
        return Plan(PYTHONS[0], PYTHONS[-1], TIMING_PYTHON, ())
    here = [python for python in PYTHONS if python in found]
    notes = [
        Note(f"tests-{python}", f"skipped, python{python} not on PATH; CI runs it")
        for python in PYTHONS
        if python not in found
    ]
    chosen = {"oldest_deps": PYTHONS[0], "dist": PYTHONS[-1]}
    if here:
        chosen = {"oldest_deps": here[0], "dist": here[-1]}
    for session, wanted in (("oldest_deps", PYTHONS[0]), ("dist", PYTHONS[-1])):
        if wanted in found:
            continue
        instead = f"ran on {chosen[session]} instead" if here else "skipped"
        notes.append(
            Note(
                f"{session}-{wanted}",
                f"{instead}, python{wanted} not on PATH; CI runs it on {wanted}",
            )
        )
    if not redis_server:
        text = "skipped, redis-server not on PATH (apt-get install redis-server); CI runs them"
        notes.append(Note("tests", text, label="tests needing redis-server"))
    timing = TIMING_PYTHON if TIMING_PYTHON in found or not here else here[0]
    return Plan(chosen["oldest_deps"], chosen["dist"], timing, tuple(notes))


def summary(notes: Iterable[Note], ran: Collection[str]) -> list[str]:
    """The closing lines of a run whose sessions ``ran`` (``tests-3.11``, ...): the notes
    about the session families it ran, less those about a session it ran all the same
    (one that nox found an interpreter for elsewhere than on ``PATH``)."""
    families = {session.partition("-")[0] for session in ran}
    kept = [f"* {n}" for n in notes if n.family in families and n.session not in ran]
    if not kept:
        return []
    return ["Left out of CI's matrix on this machine (CI runs it all):", *kept]


def pythons_on_path(pythons: Iterable[str] = PYTHONS) -> set[str]:
    """Which of ``pythons`` (``"3.12"``, ...) run as ``python3.12`` from ``PATH`` and are
    that version. A pyenv shim is on ``PATH`` for every version pyenv has, selected or
    not, but one of a version not selected fails: it does not count."""
    found = set()
    for python in pythons:
        path = shutil.which(f"python{python}")
        if path is None:
            continue
        try:
            proc = subprocess.run(
                [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if proc.returncode == 0 and proc.stdout.strip() == python:
            found.add(python)
    return found
