"""The checks of ``hubcrm import`` before anything is sent: ``--dry-run`` and ``--validate``.

With a token (or ``--emulator``), every readable row is checked against the portal's
own definitions of the type (``objects.validate``: properties, options, pipelines and
stages, owners, validation rules, unique values) and each row HubSpot would refuse is
written to ``--errors`` with its row number, HubSpot's code, the property and the
message (never the value). Without a token, ``--dry-run`` encodes the rows only and
says so.

The check holds the readable rows' encoded inputs in memory at once (one call, so a
unique value repeated anywhere in the file is caught), then keeps only the row numbers
it refused: its memory is a few times the file's size, for the length of the check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

import attrs
from rich.table import Table

from .._check.report import ValidationProblem, ValidationReport
from .._client import AsyncHubCRM
from .._core.convert import dump_input
from .._core.errors import HubCRMError
from .._core.models import CONTACT_TYPES, ObjectInput
from ._connect import client_options, target
from ._input import Record
from ._progress import _Summary
from ._state import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE

__all__: list[str] = []


class _Checked(_Summary):
    """``hubcrm import``'s check against the portal, and its ``--dry-run``."""

    @property
    def _checks_portal(self) -> bool:
        """Whether the rows are checked against a portal (a token, or ``--emulator``)."""
        return bool(self.o.emulator or self.o.token)

    async def _validate_rows(self, crm: AsyncHubCRM, records: Iterable[Record]) -> None:
        """Check every readable row not already created against the portal.

        Sets ``refused_rows``: the problems of each row HubSpot would refuse, by row
        number (a clash with an earlier row names that row, not an input index). The
        checks not run are printed as notes on stderr.

        Raises:
            HubCRMError: a definition could not be read (other than a 403).
        """
        rows: list[int] = []
        inputs: list[ObjectInput] = []
        for record in records:
            if record.row in self.done_rows or record.problem is not None:
                continue
            if record.input is None:
                continue
            rows.append(record.row)
            inputs.append(record.input)
        report = await crm.objects.validate(self.object_type, inputs)
        del inputs
        self.refused_rows = {
            rows[index]: [_by_row(p, rows) for p in found]
            for index, found in report.by_index().items()
        }
        self._note_skipped(report)

    def _note_skipped(self, report: ValidationReport) -> None:
        for skipped in report.skipped:
            what = skipped.check + (f" of {skipped.property!r}" if skipped.property else "")
            self.err.print(f"note: not checked: {what}: {skipped.reason}", markup=False)

    def _refuse(self, record: Record, problems: list[ValidationProblem], status: str) -> None:
        """Write a row the check refused to ``--errors``: its first problem as the line's
        code, property and message, and every problem under ``problems``."""
        first = problems[0]
        conflict = all(p.code == "CONFLICT" for p in problems)
        self._write_error(
            record,
            status,
            category="CONFLICT" if conflict else "VALIDATION_ERROR",
            code=first.code,
            property=first.property,
            message=first.message,
            problems=[
                {"property": p.property, "code": p.code, "message": p.message} for p in problems
            ],
        )

    async def _check_against_portal(self, records: Iterable[Record]) -> None:
        """Run the check for ``--dry-run`` in its own client (and emulator, with
        ``--emulator``)."""
        async with target(self.o) as where:
            options = client_options(self.o, where.base_url)
            async with AsyncHubCRM(where.token, **options) as crm:
                await self._validate_rows(crm, records)

    def _dry_run(self, records: Iterator[Record], again: Iterator[Record]) -> int:
        """Read, encode and (with a token or ``--emulator``) check every row; send nothing.

        ``again`` reads the same rows a second time, for the check.
        """
        self._open_errors()
        checked = self._checks_portal
        self.refused_rows = {}
        if checked:
            try:
                asyncio.run(self._check_against_portal(again))
            except HubCRMError as exc:
                self._close()
                self.err.print(
                    f"error: could not read the portal's definitions to check the rows "
                    f"({type(exc).__name__}: {exc}); nothing was sent"
                )
                return EXIT_USAGE
        unique = "email" if self.object_type in CONTACT_TYPES and not self.o.id_property else None
        seen: dict[str, int] = {}
        encoded = 0
        for record in records:
            if record.row in self.done_rows:
                self.counts["skipped"] += 1
                continue
            if record.problem is not None or record.input is None:
                self._problem(record)
                continue
            dump_input(record.input)
            problems = self.refused_rows.get(record.row)
            if problems:
                # The check finds the in-file duplicates too: one report per row.
                if all(p.code == "CONFLICT" for p in problems):
                    self.counts["duplicate"] += 1
                    self._refuse(record, problems, "duplicate")
                else:
                    self.counts["refused"] += 1
                    self._refuse(record, problems, "invalid")
                continue
            value = record.input.properties.get(unique) if unique and not checked else None
            if value is not None and value.lower() in seen:
                self.counts["duplicate"] += 1
                message = f"same {unique} as row {seen[value.lower()]}: HubSpot would answer 409"
                self._write_error(record, "duplicate", category="CONFLICT", message=message)
                continue
            if value is not None:
                seen[value.lower()] = record.row
            encoded += 1
        self._close()
        self._dry_run_table(encoded, unique, checked)
        if self.output_failure is not None:
            self.err.print(f"error: {self.output_failure}")
            return EXIT_INCOMPLETE
        return EXIT_OK if encoded + self.counts["skipped"] == self.total else EXIT_INCOMPLETE

    def _dry_run_table(self, encoded: int, unique: str | None, checked: bool) -> None:
        table = Table(title=f"dry run: {self.object_type} {self.path}", title_justify="left")
        table.add_column("rows")
        table.add_column("count", justify="right")
        table.add_row("in the file", f"{self.total:,}")
        if self.counts["skipped"]:
            table.add_row("already created (--resume)", f"{self.counts['skipped']:,}")
        table.add_row("ready to send", f"{encoded:,}")
        table.add_row("unreadable (malformed or invalid)", f"{self.counts['unreadable']:,}")
        what = (unique or "unique values") if not checked else "unique values"
        table.add_row(f"duplicate {what} in the file", str(self.counts["duplicate"]))
        if checked:
            table.add_row("would be refused by HubSpot", f"{self.counts['refused']:,}")
        self.out.print(table)
        self._print_codes("rows that would not be created, by code")
        if checked:
            where = "the in-process emulator" if self.o.emulator else "the portal"
            self.out.print(f"dry run: rows were checked against {where}; nothing was sent")
        else:
            self.out.print("dry run: nothing was sent")
            self.out.print("no token: rows were encoded, not checked against the portal")


def _by_row(problem: ValidationProblem, rows: list[int]) -> ValidationProblem:
    """A problem whose message names an earlier input by index, naming its row instead."""
    if problem.held_by is None:
        return problem
    message = (
        f'"{problem.property}" has unique values, and row {rows[problem.held_by]} holds '
        "this one: HubSpot creates that one and refuses this one"
    )
    return attrs.evolve(problem, message=message)
