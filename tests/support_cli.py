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


#: The reads ``hubcrm import`` makes before its first row: one record (its check of the
#: token and object type) and, to check the rows (``--dry-run`` with a token,
#: ``--validate``), the portal's definitions of the type.
_READS = frozenset(
    {"list", "list_properties", "property_validations", "read_pipelines", "read_owners"}
    | {"read_schema", "list_schemas"}
)


def writes(emulator: Emulator) -> int:
    """The requests an emulator received other than the reads ``hubcrm import`` makes
    before its first row (``_READS``): it sends nothing else before that row."""
    by_operation = emulator.stats.requests_by_operation
    return sum(n for operation, n in by_operation.items() if operation not in _READS)
