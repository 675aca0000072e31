"""The project's whole toolbelt: ``nox -s lint tests oldest_deps dist docs`` is what CI runs.

The same command passes on a machine with one supported Python: outside CI it runs what
that machine can, and ends by listing what it left out (.ci/matrix.py decides).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import nox
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version


def _load(name: str, path: str) -> ModuleType:
    """The module of a file outside any package (registered as ``name``)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / path)
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


matrix = _load("hubcrm_ci_matrix", ".ci/matrix.py")

# CI (the CI variable set, as .ci/run does) runs the whole matrix, and a Python of it that
# is not on PATH (as python3.X) fails the run. Anywhere else such a Python is skipped,
# oldest_deps and dist run on the Pythons at hand, and the run ends with what it left out.
IN_CI = "CI" in os.environ
PYTHONS = list(matrix.PYTHONS)
PLAN = matrix.plan(
    ci=IN_CI,
    found=() if IN_CI else matrix.pythons_on_path(PYTHONS),
    redis_server=shutil.which("redis-server") is not None,
)

nox.options.sessions = ["lint", "tests", "oldest_deps", "dist", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = IN_CI

# Pinned so that a clean clone lints exactly as it did when the change was made.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
# The nodejs extra brings Node.js as a wheel: no separate Node.js install is needed.
PYRIGHT = "pyright[nodejs]==1.1.414"
# ruff is a test dependency too: the codegen freshness test formats the generated module.
TEST_DEPS = ["pytest>=8.3", "hypothesis>=6.100", RUFF]
# The tracing tests export spans through the OpenTelemetry SDK (tests only: the otel
# extra needs the API alone). oldest_deps pins it to the API's lower bound: each SDK
# release requires the API of its own version.
OTEL_SDK = "opentelemetry-sdk"
# The shared-limiter tests start their own redis-server processes on free ports of
# 127.0.0.1 (tests/support_redis.py). In CI they must run: a missing redis-server fails
# them (.ci/run installs it). Elsewhere they skip, saying how to install it.
TEST_ENV = {"HUBCRM_REQUIRE_REDIS": "1"} if IN_CI else {}

# The sessions of the matrix that ran in this process (tests-3.11, ...): the notes of the
# plan about them are printed once nox is done, after its own summary.
RAN: set[str] = set()


def _print_summary() -> None:
    lines = matrix.summary(PLAN.notes, RAN)
    if lines:
        print("\n".join(lines), file=sys.stderr, flush=True)


def _ran(session: nox.Session, family: str) -> None:
    if not RAN:
        atexit.register(_print_summary)
    RAN.add(f"{family}-{session.python}")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite against the bundled emulator over real HTTP."""
    _ran(session, "tests")
    timing = session.python == PLAN.timing
    # The speed extra (orjson) on the one Python that runs the whole suite with its
    # timing tests: the suite runs once with orjson's codec and, on the others, with the
    # standard library's, at no extra run (tests/session/test_codec.py checks the two
    # agree, and covers the fallback wherever orjson is installed or not).
    extras = "cli,redis,otel,speed" if timing else "cli,redis,otel"
    session.install("-e", f".[{extras}]", *TEST_DEPS, OTEL_SDK)
    select = [] if timing else ["-m", "not timing"]
    # On that one Python, the property-based settling test takes its full budget too.
    env = {**TEST_ENV, "HUBCRM_SETTLING_EXAMPLES": "500"} if timing else TEST_ENV
    session.run("pytest", *select, *session.posargs, env=env)


def lowest_pins(extras: list[str]) -> list[str]:
    """``name==X`` for each requirement of pyproject.toml (core and ``extras``), X being
    its ``>=`` lower bound; a requirement without one is an error: it claims too much."""
    project = nox.project.load_toml("pyproject.toml")["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    pins = []
    for text in requirements:
        req = Requirement(text)
        lower = [spec.version for spec in req.specifier if spec.operator == ">="]
        if len(lower) != 1 or req.marker:
            raise ValueError(f"{text!r}: only one >= lower bound, and no marker, is handled")
        pins.append(f"{req.name}=={lower[0]}")
    return pins


@nox.session(python=PLAN.oldest_deps)
def oldest_deps(session: nox.Session) -> None:
    """The test suite with the lowest versions pyproject.toml allows (core and extras)."""
    _ran(session, "oldest_deps")
    pins = lowest_pins(["cli", "redis", "otel", "speed"])
    api = next(pin for pin in pins if pin.startswith("opentelemetry-api=="))
    sdk = OTEL_SDK + "==" + api.partition("==")[2]
    session.install("-e", ".[cli,redis,otel,speed]", *TEST_DEPS, *pins, sdk)
    # What is installed is what the bounds say: no other requirement raised one.
    listing = session.run("python", "-m", "pip", "list", "--format=json", silent=True)
    installed = {canonicalize_name(d["name"]): d["version"] for d in json.loads(str(listing))}
    for pin in pins:
        name, _, wanted = pin.partition("==")
        got = installed.get(canonicalize_name(name), "0")
        if Version(got) != Version(wanted):
            session.error(f"{pin} was asked for, {got} is installed")
    session.log("lowest versions installed: " + ", ".join(pins))
    session.run("pytest", "-m", "not timing", *session.posargs, env=TEST_ENV)


@nox.session(python=PLAN.dist)
def dist(session: nox.Session) -> None:
    """Build the sdist and wheel, check them, and test the installed wheel (.ci/check_dist.py)."""
    _ran(session, "dist")
    session.install("build==1.6.1", "twine==7.0.0", "pytest>=8.3")
    session.run("python", ".ci/check_dist.py", *PYTHONS)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check); mypy --strict and pyright on the typing tests."""
    # The otel and speed extras too: mypy checks hubcrm's tracing against OpenTelemetry's
    # types, and its codec against orjson's.
    session.install("-e", ".[cli,redis,otel,speed]", MYPY, PYRIGHT, *TEST_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # tests/typing holds assert_type checks of the public API; mypy fails on a regression.
    # The examples are what users copy: they type-check too.
    session.run("mypy", "--strict", "hubcrm", "tests/typing", "examples")
    # The other checker users run: the same typing tests, strict ([tool.pyright]).
    # --pythonpath: this session's environment, where hubcrm and its extras are installed.
    session.run("pyright", "--pythonpath", f"{session.bin}/python", "tests/typing")


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate hubcrm/_sync.py from the async classes (``-- --check`` only checks)."""
    session.install("-e", ".", RUFF)
    session.run("python", "-m", "hubcrm._codegen", *session.posargs)


# The docs toolchain, pinned like the linters: `mkdocs build --strict` fails on any warning.
DOCS_DEPS = [
    "mkdocs==1.6.1",
    "mkdocs-material==9.8.1",
    "mkdocstrings==1.0.8",
    "mkdocstrings-python==2.0.11",
]


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs site (mkdocs.yml) into site/ with --strict: zero warnings; then check
    that no reST role or ``::`` marker of a docstring reached a page as written."""
    # ruff formats the reference's signatures (mkdocstrings runs it); without it they
    # would be one unformatted line each.
    session.install("-e", ".[cli]", *DOCS_DEPS, RUFF)
    # Material 9.7+ prints a banner about MkDocs 2.0 on every build; it is not a warning
    # of this site's, so silence it to keep the output to what needs attention.
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        "site",
        *session.posargs,
        env={"NO_MKDOCS_2_WARNING": "1"},
    )
    session.run("python", "docs/_ext/check_site.py", "site")


# HubSpot's official SDKs, for comparison only: they live in this session's environment,
# never in hubcrm's dependencies.
BENCH_DEPS = [
    "hubspot-sdk[aiohttp]==0.1.0a9",
    "hubspot-api-client==12.0.0",
    "matplotlib==3.11.2",
]


@nox.session
def bench(session: nox.Session) -> None:
    """hubcrm against HubSpot's official SDKs, one emulator (``-- --quick``: < 2 min)."""
    session.install("-e", ".", *BENCH_DEPS)
    session.run("python", "benchmarks/suite.py", *session.posargs)
