"""A click test runner that keeps stderr apart on every click the ``cli`` extra allows."""

from __future__ import annotations

from click.testing import CliRunner


def cli_runner() -> CliRunner:
    """A ``CliRunner`` whose results have ``stdout`` and ``stderr`` apart.

    click 8.2 keeps them apart by default and removed the ``mix_stderr`` argument; click
    8.1 (the ``cli`` extra's lower bound) mixes stderr in unless told not to.
    """
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg,unused-ignore]
    except TypeError:
        return CliRunner()
