"""Build hubcrm's sdist and wheel, check them, and test the wheel as a user installs it.

Run by ``nox -s dist`` (which installs build, twine and pytest), from the repository
root, with the supported Pythons as arguments: ``python .ci/check_dist.py 3.10 3.11``.

1. ``python -m build`` (the wheel is built from the sdist), then ``twine check --strict``.
2. The sdist holds every tracked file of hubcrm/, tests/, docs/ and examples/, and the
   license; the wheel holds hubcrm/ (every tracked file, so no package data is missing)
   and its metadata only: no tests, benchmarks, docs or examples. The metadata has the
   license, the project URLs, a classifier per supported Python and both entry points.
3. A fresh virtualenv gets the wheel (``hubcrm[cli]``, not editable) and pytest; from a
   folder outside the source tree it runs every example (checked against the patterns
   of tests/docs/test_examples.py), a smoke test of the import, py.typed and the
   emulator, a pytest file using the ``hubspot_emulator`` fixture (the pytest11 entry
   point), and the ``hubcrm`` console script.
"""

from __future__ import annotations

import email
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = "Scripts" if sys.platform == "win32" else "bin"

SMOKE = r"""
import sys
from importlib.metadata import distribution, entry_points, version
from importlib.resources import files
from pathlib import Path

import hubcrm
import hubcrm.testing
from hubcrm import HubCRM
from hubcrm.testing import Emulator

where = Path(hubcrm.__file__).resolve()
assert Path(sys.prefix).resolve() in where.parents, f"hubcrm imported from {where}"
assert files("hubcrm").joinpath("py.typed").is_file(), "py.typed is missing"
assert hubcrm.__version__ == version("hubcrm"), hubcrm.__version__
(plugin,) = entry_points(group="pytest11", name="hubcrm")
assert plugin.value == "hubcrm.testing._pytest_plugin", plugin
plugin.load()
(script,) = entry_points(group="console_scripts", name="hubcrm")
assert script.value == "hubcrm.__main__:main", script
assert distribution("hubcrm").read_text("licenses/LICENSE"), "no LICENSE in the metadata"
with Emulator() as hubspot, HubCRM(hubspot.token, base_url=hubspot.base_url) as crm:
    contact = crm.objects.create("contacts", {"email": "smoke@example.com"})
    result = crm.objects.create_many("companies", [{"name": "A"}, {"name": "B"}])
    assert result.ok and hubspot.count("companies") == 2, result
    assert hubspot.objects("contacts")[0]["id"] == contact.id
print("smoke: hubcrm", hubcrm.__version__, "from", where.parent)
"""

FIXTURE_TEST = """
import pytest

from hubcrm import HubCRM
from hubcrm.testing import Emulator


@pytest.mark.hubspot_emulator(rate_limit=(50, 1.0))
def test_fixture_from_the_installed_plugin(hubspot_emulator: Emulator) -> None:
    with HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm:
        crm.objects.create("contacts", {"email": "fixture@example.com"})
    assert hubspot_emulator.count("contacts") == 1
"""


def fail(message: str) -> None:
    sys.exit(f"check_dist: FAILED: {message}")


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    """Run a command; fail with its output unless it exits 0; return its stdout."""
    shown = " ".join("<script>" if "\n" in str(a) else str(a) for a in args)
    print(f"check_dist: $ {shown}", flush=True)
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        fail(f"{shown} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def tracked(*folders: str) -> set[str]:
    out = run("git", "ls-files", "-z", "--", *folders)
    return {name for name in out.split("\0") if name}


def check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {n.removeprefix(f"{top}/") for n in archive.getnames()}
    missing = (tracked("hubcrm", "tests", "docs", "examples") | {"LICENSE", "README.md"}) - names
    if missing:
        fail(f"the sdist lacks {sorted(missing)}")
    print(f"check_dist: sdist: {len(names)} entries; tests/, docs/, examples/ and LICENSE in")


def check_wheel(wheel: Path, pythons: list[str]) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (info,) = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        metadata = email.message_from_bytes(archive.read(f"{info}/METADATA"))
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    tops = {n.split("/")[0] for n in names}
    if tops != {"hubcrm", info}:
        fail(f"the wheel holds more than hubcrm/ and its metadata: {sorted(tops)}")
    missing = tracked("hubcrm") - names
    if missing:
        fail(f"the wheel lacks package files: {sorted(missing)}")
    if f"{info}/licenses/LICENSE" not in names:
        fail("the wheel has no licenses/LICENSE")
    if metadata["License-Expression"] != "MIT":
        fail(f"License-Expression is {metadata['License-Expression']!r}")
    urls = {value.split(",")[0] for value in metadata.get_all("Project-URL") or []}
    if not {"Documentation", "Changelog", "Issues"} <= urls:
        fail(f"Project-URL: {sorted(urls)}")
    classifiers = set(metadata.get_all("Classifier") or [])
    for python in pythons:
        if f"Programming Language :: Python :: {python}" not in classifiers:
            fail(f"no classifier for Python {python}")
    if not re.search(r"^hubcrm = hubcrm\.__main__:main$", entry_points, re.M):
        fail(f"no hubcrm console script:\n{entry_points}")
    if not re.search(
        r"^\[pytest11\]\nhubcrm = hubcrm\.testing\._pytest_plugin$", entry_points, re.M
    ):
        fail(f"no pytest11 entry point:\n{entry_points}")
    print(f"check_dist: wheel: {len(names)} files, hubcrm/ and {info}/ only; metadata complete")


def load_example_patterns() -> tuple[dict[str, str], str, int]:
    """EXPECTED, PYTEST_EXAMPLE and PYTEST_EXAMPLE_TESTS of tests/docs/test_examples.py."""
    path = ROOT / "tests" / "docs" / "test_examples.py"
    spec = importlib.util.spec_from_file_location("_test_examples", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXPECTED, module.PYTEST_EXAMPLE, module.PYTEST_EXAMPLE_TESTS


def check_installed(wheel: Path, work: Path) -> None:
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / BIN / "python"
    run(python, "-m", "pip", "install", "--quiet", f"hubcrm[cli] @ {wheel.as_uri()}", "pytest")
    # Outside the source tree: nothing but the installed wheel can be imported as hubcrm.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HUBSPOT_ACCESS_TOKEN")}
    env["PATH"] = f"{env_dir / BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    here = work / "user"
    shutil.copytree(ROOT / "examples", here / "examples")

    print(run(python, "-c", SMOKE, cwd=here, env=env).strip())

    expected, pytest_example, pytest_example_tests = load_example_patterns()
    for script, pattern in sorted(expected.items()):
        out = run(python, "-W", "error", here / "examples" / script, cwd=here, env=env)
        if not re.search(pattern, out, re.M):
            fail(f"examples/{script} printed:\n{out}")
        print(f"check_dist: examples/{script}: ok")
    out = run(
        python,
        "-m",
        "pytest",
        f"examples/{pytest_example}",
        "-p",
        "no:cacheprovider",
        "-q",
        cwd=here,
        env=env,
    )
    if not re.search(rf"^{pytest_example_tests} passed in ", out, re.M):
        fail(f"examples/{pytest_example}:\n{out}")
    print(f"check_dist: examples/{pytest_example}: {pytest_example_tests} passed")

    (here / "test_fixture.py").write_text(FIXTURE_TEST, "utf-8")
    out = run(
        python, "-m", "pytest", "test_fixture.py", "-p", "no:cacheprovider", "-q", cwd=here, env=env
    )
    if not re.search(r"^1 passed in ", out, re.M):
        fail(f"the hubspot_emulator fixture:\n{out}")
    print("check_dist: the pytest11 plugin's hubspot_emulator fixture: 1 passed")

    hubcrm = env_dir / BIN / "hubcrm"
    version = run(
        python,
        "-c",
        "from importlib.metadata import version; print(version('hubcrm'))",
        cwd=here,
        env=env,
    ).strip()
    out = run(hubcrm, "--version", cwd=here, env=env).strip()
    if out != f"hubcrm, version {version}":
        fail(f"hubcrm --version printed {out!r}, the metadata says {version}")
    out = run(hubcrm, "emulator", "--help", cwd=here, env=env)
    if "Usage: hubcrm emulator" not in out or "--freeze-gc" not in out:
        fail(f"hubcrm emulator --help printed:\n{out}")
    print(f"check_dist: console script: {out.splitlines()[0]!r}; --version {version}")


def main() -> None:
    pythons = sys.argv[1:]
    if not pythons:
        fail("give the supported Pythons as arguments, e.g. 3.10 3.11 3.12 3.13")
    with tempfile.TemporaryDirectory(prefix="hubcrm-dist-") as tmp:
        work = Path(tmp)
        dist = work / "dist"
        run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
        (sdist,) = dist.glob("hubcrm-*.tar.gz")
        (wheel,) = dist.glob("hubcrm-*.whl")
        run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel)
        check_sdist(sdist)
        check_wheel(wheel, pythons)
        check_installed(wheel, work)
    print("check_dist: all checks passed")


if __name__ == "__main__":
    main()
