"""Every script in examples/ runs as written, against the bundled emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Each script, and a pattern its output must contain (re.MULTILINE).
EXPECTED = {
    "async_quickstart.py": r"^contact \d+: ada\.[0-9a-f]{8}@example\.com, created ",
    "sync_quickstart.py": r"^deal \d+: amount 1250\.5\ncontact \d+: born 1906-12-09$",
    "deal_with_associations.py": (
        r"^deal \d+ -> contact (\d+), company (\d+)\n"
        r"stored on the deal: 0-1/\1 \(DEAL_TO_CONTACT\)\n"
        r"stored on the deal: 0-2/\2 \(DEAL_TO_COMPANY\)$"
    ),
    "bulk_from_generator.py": (
        r"^progress: 3000 rows done, 2998 created, 2 failed, .*\n"
        r"summary: 3000 rows, 2998 created, 2 failed\n"
        r"  row 1000: failed INVALID_EMAIL\n"
        r"  row 2000: failed PROPERTY_DOESNT_EXIST$"
    ),
    "thread_pool.py": r"^40 contacts created from \d+ threads through one client$",
    "aiohttp_handler.py": (
        r"^POST /contacts alan\.\w+@example\.com -> 201 \{'id': '(\d+)'\}\n"
        r"POST /contacts alan\.\w+@example\.com -> 409 \{'existing_id': '\1'\}\n"
        r"POST /contacts not-an-email -> 400 \{'errors': \['Email address .* is invalid'\]\}\n"
        r"POST /contacts katherine\.\w+@example\.com -> 201 "
    ),
}
PYTEST_EXAMPLE = "test_with_emulator.py"
PYTEST_EXAMPLE_TESTS = 5


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUBSPOT_ACCESS_TOKEN"}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=env,
    )


def test_every_example_is_run_here_and_listed_in_the_readme() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == {*EXPECTED, PYTEST_EXAMPLE}
    readme = (EXAMPLES / "README.md").read_text("utf-8")
    for name in scripts:
        assert f"examples/{name}" in readme, name


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(script: str) -> None:
    proc = run("-W", "error", str(EXAMPLES / script))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert re.search(EXPECTED[script], proc.stdout, re.MULTILINE), proc.stdout


def test_pytest_example_passes() -> None:
    proc = run("-m", "pytest", f"examples/{PYTEST_EXAMPLE}", "-p", "no:cacheprovider", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last_line = proc.stdout.strip().splitlines()[-1]
    assert re.match(rf"{PYTEST_EXAMPLE_TESTS} passed in ", last_line), proc.stdout
