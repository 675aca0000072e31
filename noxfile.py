"""The project's whole toolbelt: ``nox -s lint tests`` is what CI runs."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# Pinned so that a clean clone lints exactly as it did when the change was made.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
# The nodejs extra brings Node.js as a wheel: no separate Node.js install is needed.
PYRIGHT = "pyright[nodejs]==1.1.414"
# ruff is a test dependency too: the codegen freshness test formats the generated module.
TEST_DEPS = ["pytest>=8.3", "hypothesis>=6.100", RUFF]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the bundled emulator over real HTTP."""
    session.install("-e", ".[cli,redis]", *TEST_DEPS)
    # The shared-limiter tests start their own redis-server processes on free ports of
    # 127.0.0.1 (tests/support_redis.py). Here they must run: a missing redis-server
    # fails them instead of skipping them (.ci/run installs it).
    session.run("pytest", *session.posargs, env={"HUBCRM_REQUIRE_REDIS": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check); mypy --strict and pyright on the typing tests."""
    session.install("-e", ".[cli,redis]", MYPY, PYRIGHT, *TEST_DEPS)
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
    """Build the docs site (mkdocs.yml) into site/ with --strict: zero warnings."""
    session.install("-e", ".[cli]", *DOCS_DEPS)
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
