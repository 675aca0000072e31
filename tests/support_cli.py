"""A click test runner that keeps stderr apart on every click the ``cli`` extra allows."""

from __future__ import annotations

from click.testing import CliRunner

from hubcrm.testing import Emulator


def cli_runner() -> CliRunner:
    """A ``CliRunner`` whose results have ``stdout`` and ``stderr`` apart.

    click 8.2 keeps them apart by default and removed the ``mix_stderr`` argument; click
    8.1 (the ``cli`` extra's lower bound) mixes stderr in unless told not to.
    """
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg,unused-ignore]
    except TypeError:
        return CliRunner()


def writes(emulator: Emulator) -> int:
    """The requests an emulator received other than reads of a record list: ``hubcrm
    import`` reads one record before it reads a row (its check of the token and object
    type), and sends nothing else before its first row."""
    by_operation = emulator.stats.requests_by_operation
    return sum(n for operation, n in by_operation.items() if operation != "list")
