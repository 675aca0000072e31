"""The docs' examples run as written (against the bundled emulator).

README.md's python blocks all run. In ``docs/**/*.md`` every ```python block runs too,
unless the line right before its fence is ``<!-- not-run: REASON -->`` (a reason is
required). A block preceded by ``<!-- run-with: pytest -->`` is a pytest example: it is
written to ``test_block.py`` and run with ``python -m pytest``. Blocks in other languages
(console, text, json) are not run. A block that starts ``redis-server`` needs it and the
redis package, as the Redis tests do (tests/support_redis.py); a block using
OpenTelemetry needs opentelemetry-sdk, as the tracing tests do.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support_redis import require_redis

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
OPENING = re.compile(r"^```(\S*)(.*)$")
MARKER = re.compile(r"^<!--\s*(not-run|run-with)\s*:(.*?)-->\s*$")
TIMEOUT = 120


def python_blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text("utf-8"))


README_BLOCKS = python_blocks(ROOT / "README.md")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a docs page."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    info: str  # what follows the language on the fence line
    marker: str | None  # "not-run" or "run-with", from the line before the fence
    argument: str  # the marker's reason or runner
    source: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(DOCS).as_posix()}:{self.line}"


def fenced_blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path`` (fences at the start of a line)."""
    lines = path.read_text("utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = OPENING.match(lines[i])
        if opening is None:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        assert end < len(lines), f"{path}:{i + 1}: unclosed code fence"
        marker = MARKER.match(lines[i - 1]) if i > 0 else None
        blocks.append(
            Block(
                path=path,
                line=i + 1,
                language=opening.group(1),
                info=opening.group(2).strip(),
                marker=marker.group(1) if marker else None,
                argument=marker.group(2).strip() if marker else "",
                source="".join(line + "\n" for line in lines[i + 1 : end]),
            )
        )
        i = end + 1
    return blocks


DOC_PAGES = sorted(DOCS.rglob("*.md"))
DOC_BLOCKS = [block for page in DOC_PAGES for block in fenced_blocks(page)]
PYTHON_BLOCKS = [block for block in DOC_BLOCKS if block.language == "python"]
RUN_BLOCKS = [block for block in PYTHON_BLOCKS if block.marker != "not-run"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUBSPOT_ACCESS_TOKEN"}
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=cwd,
        env=env,
    )


def test_readme_has_the_three_quickstarts() -> None:
    assert len(README_BLOCKS) == 3


@pytest.mark.parametrize("source", README_BLOCKS, ids=["async", "sync", "bulk"])
def test_readme_example_runs(source: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(source, "utf-8")
    proc = run([sys.executable, "-W", "error", str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    assert "Traceback" not in proc.stderr


def test_every_page_shows_the_readme_test_command() -> None:
    """The README's test command is shown the same wherever it is, and .ci/run runs it."""
    readme = (ROOT / "README.md").read_text("utf-8")
    (command,) = [line for line in readme.splitlines() if "pip install nox" in line]
    nox = command.partition(" && ")[2]
    assert nox.startswith("nox -s "), command
    pages = [ROOT / name for name in ("README.md", "CHANGELOG.md", "noxfile.py", ".ci/run")]
    pages += sorted(DOCS.rglob("*.md"))
    problems = []
    for page in pages:
        text = page.read_text("utf-8")
        shown = re.findall(r"[^`\n]*pip install nox[^`\n]*|nox -s lint\b[^`\n]*", text)
        problems += [f"{page.relative_to(ROOT)}: {s!r}" for s in shown if s not in (nox, command)]
    assert problems == []
    assert command in (DOCS / "index.md").read_text("utf-8")
    assert f".ci-venv/bin/{nox}\n" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_docs_have_runnable_python_blocks() -> None:
    assert len(RUN_BLOCKS) >= 5


def test_docs_blocks_follow_the_convention() -> None:
    """Markers have a reason and stand right before a python fence; no other spellings."""
    problems: list[str] = []
    for block in DOC_BLOCKS:
        if block.language.startswith("python") and (block.language != "python" or block.info):
            problems.append(
                f"{block.id}: use a plain ```python fence (and <!-- not-run: REASON --> "
                f"before it), not ```{block.language} {block.info}".rstrip()
            )
        if block.marker is not None and block.language != "python":
            problems.append(f"{block.id}: <!-- {block.marker}: --> marks a python block only")
        if block.marker == "not-run" and not block.argument:
            problems.append(f"{block.id}: <!-- not-run: --> needs a reason")
        if block.marker == "run-with" and block.argument != "pytest":
            problems.append(f"{block.id}: the only runner is <!-- run-with: pytest -->")
    for page in DOC_PAGES:
        lines = page.read_text("utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            stray = MARKER.match(line)
            following = lines[number] if number < len(lines) else ""
            if stray and not following.startswith("```"):
                where = f"{page.relative_to(DOCS).as_posix()}:{number}"
                problems.append(f"{where}: a marker must be the line right before a fence")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[block.id for block in RUN_BLOCKS])
def test_docs_example_runs(block: Block, tmp_path: Path) -> None:
    if '"redis-server"' in block.source:
        require_redis()  # the block starts one: skip, saying how to install it, without
    if "opentelemetry" in block.source:
        # The tests sessions install it (noxfile.py); elsewhere the block skips, saying how.
        pytest.importorskip(
            "opentelemetry.sdk", reason="pip install -e '.[otel]' opentelemetry-sdk"
        )
    if block.marker == "run-with":
        script = tmp_path / "test_block.py"
        script.write_text(block.source, "utf-8")
        args = [sys.executable, "-W", "error", "-m", "pytest", "-p", "no:cacheprovider"]
        proc = run([*args, "-q", str(script)], tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert " passed" in proc.stdout, proc.stdout
    else:
        script = tmp_path / "example.py"
        script.write_text(block.source, "utf-8")
        proc = run([sys.executable, "-W", "error", str(script)], tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
