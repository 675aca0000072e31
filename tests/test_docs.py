"""The README's examples run as written (against the bundled emulator)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text("utf-8"))


README_BLOCKS = python_blocks(ROOT / "README.md")


def test_readme_has_the_three_quickstarts() -> None:
    assert len(README_BLOCKS) == 3


@pytest.mark.parametrize("source", README_BLOCKS, ids=["async", "sync", "bulk"])
def test_readme_example_runs(source: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(source, "utf-8")
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert "Traceback" not in proc.stderr
