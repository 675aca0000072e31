"""The project's whole toolbelt: ``nox -s lint tests`` is what CI runs."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# Pinned so that a clean clone lints exactly as it did when the change was made.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
# ruff is a test dependency too: the codegen freshness test formats the generated module.
TEST_DEPS = ["pytest>=8.3", "hypothesis>=6.100", RUFF]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the bundled emulator over real HTTP."""
    session.install("-e", ".[cli]", *TEST_DEPS)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check) and mypy --strict on the package."""
    session.install("-e", ".[cli]", MYPY, *TEST_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # tests/typing holds assert_type checks of the public API; mypy fails on a regression.
    # The examples are what users copy: they type-check too.
    session.run("mypy", "--strict", "hubcrm", "tests/typing", "examples")


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate hubcrm/_sync.py from the async classes (``-- --check`` only checks)."""
    session.install("-e", ".", RUFF)
    session.run("python", "-m", "hubcrm._codegen", *session.posargs)
