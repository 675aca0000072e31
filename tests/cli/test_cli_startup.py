"""Starting the ``hubcrm`` command: light imports, and Ctrl-C before it is running.

The start-up test stops the command inside its import of aiohttp (a ``sitecustomize``
on ``PYTHONPATH`` holds that import until the test sends SIGINT), so the interrupt
lands in the fraction of a second a user's early Ctrl-C would, every time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from support_time import wait_until_sync

HEAVY = ("aiohttp", "attr", "attrs", "cattrs", "anyio", "click", "rich")

# Imported by `site` at start-up: the first import of aiohttp writes the marker file,
# then sleeps until SIGINT interrupts it.
HOLD_AIOHTTP = """
import os, sys, time

class _HoldAiohttp:
    def find_spec(self, name, path=None, target=None):
        if name == "aiohttp":
            sys.meta_path.remove(self)
            open(os.environ["HUBCRM_TEST_HELD"], "w").close()
            time.sleep(120)
        return None

sys.meta_path.insert(0, _HoldAiohttp())
"""


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("hubcrm")
    if not script.exists():
        pytest.skip("the hubcrm console script is not installed beside this Python")
    return [str(script)]


COMMANDS = {
    "python -m hubcrm": lambda: [sys.executable, "-m", "hubcrm"],
    "console script": console_script,
}


def test_import_hubcrm_imports_no_dependency() -> None:
    code = (
        f"import sys, hubcrm\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_console_script_is_the_light_entry_point() -> None:
    (script,) = entry_points(group="console_scripts", name="hubcrm")
    assert script.value == "hubcrm.__main__:main"


@pytest.mark.parametrize("command", COMMANDS)
def test_ctrl_c_while_starting_exits_130_without_a_traceback(tmp_path: Path, command: str) -> None:
    (tmp_path / "sitecustomize.py").write_text(HOLD_AIOHTTP, "utf-8")
    held = tmp_path / "held"
    data = tmp_path / "in.csv"
    data.write_text("email\nuser1@example.com\n", "utf-8")
    pythonpath = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [*COMMANDS[command](), "import", "contacts", str(data), "--emulator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": pythonpath, "HUBCRM_TEST_HELD": str(held)},
    )
    try:
        wait_until_sync(held.exists, "the command is importing aiohttp", timeout=60)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() == "interrupted while starting: nothing was sent"
    assert stdout == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_the_command_runs_from_its_entry_point(command: str) -> None:
    out = subprocess.run(
        [*COMMANDS[command](), "--help"], capture_output=True, text=True, check=True
    )
    assert "import" in out.stdout
    assert "emulator" in out.stdout


# Imported by `site` at start-up: click cannot be found, as without the cli extra.
NO_CLICK = """
import sys

class _NoClick:
    def find_spec(self, name, path=None, target=None):
        if name == "click" or name.startswith("click."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoClick())
"""


@pytest.mark.parametrize("command", COMMANDS)
def test_without_the_cli_extra_the_command_says_how_to_install_it(
    tmp_path: Path, command: str
) -> None:
    (tmp_path / "sitecustomize.py").write_text(NO_CLICK, "utf-8")
    pythonpath = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    out = subprocess.run(
        [*COMMANDS[command](), "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": pythonpath},
        check=False,
    )
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    # What works from a clone today, and the published name for later.
    assert 'pip install ".[cli]" in a clone of hubcrm' in out.stderr
    assert 'once hubcrm is on PyPI: pip install "hubcrm[cli]"' in out.stderr
    assert "click is not installed" in out.stderr
