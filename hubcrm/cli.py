"""The ``hubcrm`` command: ``hubcrm import`` and ``hubcrm emulator``.

Needs the ``cli`` extra (``pip install "hubcrm[cli]"``: click and rich). ``import
hubcrm`` never imports this module. See ``docs/guides/cli.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs
import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ._cli_files import (
    LineWriter,
    OutputError,
    RefusedError,
    ResumeMatcher,
    check_outputs,
    read_results,
    run_started_text,
    spool,
)
from ._cli_input import Format, InputFileError, Record, detect_format, read_records
from ._client import AsyncHubCRM
from ._convert import dump_input
from ._errors import APIError, ConflictError, HubCRMError, OutcomeUnknownError
from ._models import CONTACT_TYPES, CrmObject, ObjectInput
from ._outcomes import BulkOutcome
from ._ratelimit import RateLimit
from ._recovery import made_since

if TYPE_CHECKING:
    from .testing import Emulator

__all__ = [
    "cli",
    "emulator_command",
    "import_command",
    "main",
]

#: Exit statuses of ``hubcrm import``.
EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_SHOWN_PROBLEMS = 10
_READ_BATCH = 100
_PLAIN_INTERVAL = 2.0


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubcrm", prog_name="hubcrm")
def cli() -> None:
    """Bulk-create HubSpot CRM records from files, and run a local HubSpot emulator."""


# --- hubcrm import ----------------------------------------------------------------------


def _rate_limit(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> RateLimit | None:
    if value is None:
        return None
    try:
        return RateLimit.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("import")
@click.argument("object_type")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--token",
    envvar="HUBSPOT_ACCESS_TOKEN",
    show_envvar=True,
    help="Private-app or OAuth access token.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: by extension.")
@click.option(
    "--id-property",
    help="A unique-value property every row has: exactly-once creation, kill -9 and --resume "
    "included (a key in HubSpot before the import began fails the row with CONFLICT).",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 100), default=100, show_default=True, help="Rows/batch."
)
@click.option("--concurrency", type=click.IntRange(1, 256), help="Requests in flight.")
@click.option("--mode", type=click.Choice(["batch", "single"]), default="batch", show_default=True)
@click.option(
    "--rate-limit", callback=_rate_limit, metavar="N/W", help="At most N requests per W s."
)
@click.option("--results", type=click.Path(dir_okay=False), help="JSONL of created rows.")
@click.option("--errors", type=click.Path(dir_okay=False), help="JSONL of rows not created.")
@click.option("--resume", is_flag=True, help="Skip the rows already in --results.")
@click.option(
    "--allow-removed",
    is_flag=True,
    help="With --resume: go on although rows recorded as created are gone from FILE.",
)
@click.option("--dry-run", is_flag=True, help="Read and encode every row; send nothing.")
@click.option("--strict", is_flag=True, help="Send nothing if any row cannot be read.")
@click.option("--emulator", is_flag=True, help="Import into an in-process HubSpot emulator.")
@click.option("--base-url", help="HubSpot's API root (for tests and proxies).")
@click.pass_context
def import_command(ctx: click.Context, /, **params: Any) -> None:
    """Create OBJECT_TYPE records (contacts, deals, 2-123...) from FILE (CSV or JSONL).

    Rows are numbered from 1, counting data rows only (not the CSV header, not blank
    lines); results and errors name rows by that number (--resume matches rows by their
    content, not their number). Exit status: 0 when every row
    was created, 1 when some were not, 2 for a usage or unreadable-file error, 130 when
    interrupted.
    """
    # No markup: paths, codes and messages are printed as they are ("[/]" in a file name
    # is text, not a style). The progress bar's columns style themselves.
    # The command reports every row itself (counts, codes, row numbers, the resume
    # command). The library's own warnings say the same in other words, with 0-based
    # input indexes: kept off the terminal, unless the caller configured logging.
    library_log = logging.getLogger("hubcrm")
    if not library_log.handlers:
        library_log.addHandler(logging.NullHandler())
    out = Console(highlight=False, markup=False)
    err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
    job = _Import(ctx, _ImportOptions(**params), out, err)
    ctx.exit(job.main())


@attrs.frozen(kw_only=True)
class _ImportOptions:
    """The arguments and options of one ``hubcrm import``, as click parsed them.

    The names are click's parameter names (see ``import_command``); click has applied
    the defaults, checked the ranges and choices and parsed ``--rate-limit``.
    """

    object_type: str
    file: str
    token: str | None
    fmt: Format | None
    id_property: str | None
    batch_size: int
    concurrency: int | None
    mode: Literal["batch", "single"]
    rate_limit: RateLimit | None
    results: str | None
    errors: str | None
    resume: bool
    allow_removed: bool
    dry_run: bool
    strict: bool
    emulator: bool
    base_url: str | None


class _Import:
    """One run of ``hubcrm import``: reading, sending, reporting."""

    def __init__(
        self, ctx: click.Context, options: _ImportOptions, out: Console, err: Console
    ) -> None:
        self.ctx = ctx
        self.o = options
        self.out = out
        self.err = err
        self.object_type = options.object_type
        self.path = options.file
        self.source = options.file  # what is read: FILE, or its spooled copy
        self.total = 0
        self.sendable = 0
        self.done_rows: dict[int, str | None] = {}
        self.sending = False
        self.output_failure: OutputError | None = None
        self.unrecorded: list[dict[str, Any]] = []
        self.file_changed = False
        self.counts: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.first_row: dict[str, int] = {}
        self.shown_problems = 0
        self.pending: dict[int, Record] = {}
        self.stopping = False
        self.interrupted = False
        self.stopped_by: HubCRMError | None = None
        self.results_fh: LineWriter | None = None
        self.errors_fh: LineWriter | None = None
        self.started = time.monotonic()
        # When this import first began (carried forward from --results on --resume), and
        # the records those results name: what settles a resent row meeting a 409.
        self.run_started = time.time()
        self.settle_since: float | None = None
        self.claimed_ids: set[str] = set()
        self.conflicts: list[tuple[Record, BulkOutcome]] = []
        self.crm: AsyncHubCRM | None = None
        self.columns: list[str] = []

    # --- setup ------------------------------------------------------------------------

    def main(self) -> int:
        o = self.o
        if o.resume and not o.results:
            raise click.UsageError("--resume needs --results (the file of rows already created)")
        if o.allow_removed and not o.resume:
            raise click.UsageError("--allow-removed only makes sense with --resume")
        if o.resume and o.emulator:
            raise click.UsageError(
                "--resume cannot continue an --emulator import: the in-process emulator "
                "starts empty each run (resume against a portal, or a `hubcrm emulator` "
                "with --base-url)"
            )
        if not (o.dry_run or o.emulator or o.token):
            raise click.UsageError("no token: pass --token or set HUBSPOT_ACCESS_TOKEN")
        if o.emulator and o.base_url:
            raise click.UsageError("--emulator and --base-url exclude each other")
        try:
            fmt = detect_format(self.path, o.fmt)
            check_outputs(self.path, o.results, o.errors, resume=o.resume)
            with spool(self.path) as source:
                self.source = source
                return self._start(fmt)
        except (InputFileError, RefusedError, OutputError) as exc:
            self._close()
            self.err.print(f"error: {exc}")
            if not self.sending:
                self.err.print("nothing was sent")
            return EXIT_USAGE
        except KeyboardInterrupt:
            self._close()
            if self.sending:
                self.err.print("interrupted")
            else:
                self.err.print("interrupted before the import started: nothing was sent")
            return EXIT_INTERRUPTED

    def _start(self, fmt: Format) -> int:
        """Everything after the checks of the arguments: read, match, send."""
        o = self.o
        matcher = None
        if o.resume and o.results:
            prior = read_results(o.results, self.object_type)
            if prior.rows:
                self.err.print(
                    f"note: {len(prior.rows)} line(s) of {o.results} were written by an older "
                    "hubcrm and name no row content: those rows are matched by row number "
                    f"alone, so {self.path} must not have changed since",
                    markup=False,
                )
            matcher = ResumeMatcher(prior)
            self.claimed_ids = set(prior.ids)
            if prior.run_started is not None:
                self.run_started = min(self.run_started, prior.run_started)
                self.settle_since = prior.run_started
        elif o.results and _non_empty(o.results) and not o.dry_run:
            raise click.UsageError(
                f"{o.results} already holds results: add --resume to continue that import, "
                "or remove the file"
            )
        problems = self._prescan(fmt, matcher)
        if matcher is not None:
            self._check_removed(matcher)
        records = read_records(self.source, fmt, name=self.path)
        if o.dry_run:
            return self._dry_run(records)
        self._open_errors()
        if o.strict and problems:
            for record in records:
                if record.problem is not None:
                    self._problem(record)
            self._close()
            self.err.print(f"--strict: {problems} row(s) cannot be read; nothing was sent")
            if self.output_failure is not None:
                self.err.print(f"error: {self.output_failure}")
            return EXIT_INCOMPLETE
        if o.results:
            self.results_fh = LineWriter(o.results, append=True)
        self.sending = True
        try:
            return asyncio.run(self._run(records))
        except KeyboardInterrupt:  # before the run's own Ctrl-C handling was in place
            self.interrupted = True
            self._close()
            return self._report()

    def _prescan(self, fmt: Format, matcher: ResumeMatcher | None) -> int:
        problems = 0
        for record in read_records(self.source, fmt, name=self.path):
            self.total += 1
            if matcher is not None and matcher.claim(record.row, record.key):
                self.done_rows[record.row] = record.key
            elif record.problem is not None:
                problems += 1
            else:
                self.sendable += 1
            if not self.columns and record.input is not None:
                self.columns = list(record.input.properties)[:4]
        return problems

    def _check_removed(self, matcher: ResumeMatcher) -> None:
        """Refuse to resume when created rows are gone from FILE and other rows would be sent.

        Such a row was removed (nothing to do) or edited after it was created (sending
        the edited row creates the record a second time): no file can tell which.
        """
        missing = matcher.unmatched_count()
        if not missing:
            return
        line, row = matcher.unmatched()[0]
        where = f"{self.o.results}:{line} (row {row} of the run that created it)"
        if self.sendable and not self.o.allow_removed:
            raise RefusedError(
                f"{missing} row(s) recorded as created in {self.o.results} are no longer in "
                f"{self.path}, the first at {where}. If such a row was edited, sending it "
                "would create its record again; if it was removed, nothing is lost. Put the "
                "rows back as they were, or add --allow-removed to send the other rows anyway"
            )
        self.err.print(
            f"note: {missing} row(s) recorded as created are no longer in {self.path}, "
            f"the first at {where}",
            markup=False,
        )

    def _open_errors(self) -> None:
        if self.o.errors and self.errors_fh is None:
            self.errors_fh = LineWriter(self.o.errors, append=False)

    def _close(self) -> None:
        for fh in (self.results_fh, self.errors_fh):
            if fh is not None:
                fh.close()

    def _write_failed(self, writer: LineWriter) -> None:
        """An output file cannot be written: stop taking rows, as the first Ctrl-C does."""
        if self.output_failure is None:
            self.output_failure = writer.failed
            self.stopping = True

    # --- writing outcomes -------------------------------------------------------------

    def _write_error(self, record: Record, status: str, **fields: Any) -> None:
        code = fields.get("code") or fields.get("category") or status.upper()
        self.codes[code] += 1
        self.first_row.setdefault(code, record.row)
        if self.errors_fh is not None:
            line = {"row": record.row, "line": record.line, "status": status, **fields}
            if record.last_line > record.line:
                line["end_line"] = record.last_line
            line["input"] = record.data
            try:
                written = self.errors_fh.write(line)
            except (RecursionError, ValueError):  # data nested too deeply to write back
                line["input"] = None
                written = self.errors_fh.write(line)
            if not written:
                self._write_failed(self.errors_fh)

    def _problem(self, record: Record) -> None:
        self.counts["unreadable"] += 1
        category = "MALFORMED_ROW" if record.kind == "malformed" else "INVALID_INPUT"
        self._write_error(record, record.kind, category=category, message=record.problem)
        if self.shown_problems < _SHOWN_PROBLEMS:
            where = f"{self.path}:{record.line}: row {record.row}"
            self.err.print(f"{where}: {_terminal_reason(record)}")
        elif self.shown_problems == _SHOWN_PROBLEMS:
            self.err.print("further unreadable rows are only in the errors file")
        self.shown_problems += 1

    def _outcome(self, record: Record, outcome: BulkOutcome) -> None:
        if outcome.object is not None:
            self._created(record, outcome.object.id, outcome.new)
            return
        status = outcome.status
        self.counts[status] += 1
        self._write_error(record, status, **_describe(outcome))

    def _created(self, record: Record, object_id: str, new: bool | None) -> None:
        self.counts["created"] += 1
        if new is False:
            self.counts["updated"] += 1
        self.claimed_ids.add(object_id)
        if self.results_fh is None:
            return
        line: dict[str, Any] = {"row": record.row, "line": record.line, "id": object_id}
        if new is not None:
            line["new"] = new
        line["object_type"] = self.object_type
        line["content"] = record.key
        line["run_started"] = run_started_text(self.run_started)
        if not self.results_fh.write(line):
            self._write_failed(self.results_fh)
            self.unrecorded.append(line)

    # --- settling resent rows ---------------------------------------------------------

    def _key_property(self) -> str | None:
        """The unique property a resent row's record can be read back by, if any."""
        if self.o.id_property:
            return self.o.id_property
        return "email" if self.object_type in CONTACT_TYPES else None

    def _settleable(self, record: Record, outcome: BulkOutcome) -> bool:
        """Whether a refused row may have met a record an earlier run of this import made.

        Only on ``--resume`` with a known first start: a row in flight when a run was
        killed, or left unknown, is sent again and meets its own record as a 409.
        """
        error = outcome.error
        if self.settle_since is None or not isinstance(error, ConflictError):
            return False
        if error.existing_id is not None:
            return True
        key = self._key_property()
        return key is not None and record.input is not None and key in record.input.properties

    async def _settle(self, crm: AsyncHubCRM) -> None:
        """Read back the records the held 409s point at and write each row's outcome.

        A record made since this import first began (less hubcrm's clock-skew
        tolerance), and not already the record of another row, was made by this row in
        an earlier run: the row is created. Otherwise (older, unreadable, or another
        row's) the row keeps its CONFLICT.
        """
        held = list(self.conflicts)  # kept until read: a second Ctrl-C releases them
        if not held:
            return
        found: list[CrmObject | None] = [None] * len(held)
        by_id = [i for i, (_, o) in enumerate(held) if _existing_id(o) is not None]
        by_key = [i for i, (_, o) in enumerate(held) if _existing_id(o) is None]
        key = self._key_property()
        try:
            if by_id:
                ids = [_existing_id(held[i][1]) or "" for i in by_id]
                got = await crm.objects.get_many(self.object_type, ids)
                for i, obj in zip(by_id, got, strict=True):
                    found[i] = obj
            if by_key and key is not None:
                values = [_key_value(held[i][0], key) for i in by_key]
                got = await crm.objects.get_many(self.object_type, values, id_property=key)
                for i, obj in zip(by_key, got, strict=True):
                    found[i] = obj
        except HubCRMError as exc:  # unreadable: the 409s stand, and the user is told
            self.err.print(
                f"note: could not read back the records of {len(held)} row(s) refused as "
                f"duplicates ({type(exc).__name__}); they are reported as CONFLICT, and "
                "--resume reads them back again"
            )
        self.conflicts = []
        since = self.settle_since
        assert since is not None
        for (record, outcome), obj in zip(held, found, strict=True):
            if obj is not None and obj.id not in self.claimed_ids and made_since(obj, since):
                self.counts["settled"] += 1
                self._created(record, obj.id, True)
            else:
                self._outcome(record, outcome)

    def _release_conflicts(self) -> None:
        """Write the held 409s as they came (the run is abandoned before reading back)."""
        held, self.conflicts = self.conflicts, []
        for record, outcome in held:
            self._outcome(record, outcome)

    # --- sending ----------------------------------------------------------------------

    async def _inputs(self, records: Iterable[Record]) -> AsyncIterator[ObjectInput]:
        index = 0
        for record in records:
            if self.stopping:
                return
            if record.row in self.done_rows:
                if self.done_rows[record.row] != record.key:
                    self.file_changed = self.stopping = True
                    return
                self.counts["skipped"] += 1
                continue
            if record.problem is not None or record.input is None:
                self._problem(record)
                continue
            self.pending[index] = record
            index += 1
            yield record.input

    async def _run(self, records: Iterator[Record]) -> int:
        o = self.o
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        def on_sigint() -> None:
            if not self.interrupted:
                self.interrupt()
            else:
                task.cancel()

        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, on_sigint)
        emulator = None
        base_url: str | None
        try:
            if o.emulator:
                from .testing import Emulator

                emulator = Emulator()
                await emulator.__aenter__()
                token, base_url = emulator.token, emulator.base_url
                self.out.print(f"started an in-process HubSpot emulator at {base_url}")
            else:
                assert o.token, "main() refuses a run without a token"
                token, base_url = o.token, o.base_url
            kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
            if o.rate_limit is not None:
                kwargs["rate_limit"] = o.rate_limit
            async with AsyncHubCRM(token, **kwargs) as crm:
                self.crm = crm
                await self._send(crm, records)
            if emulator is not None:
                self._show_stored(emulator)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)
            if emulator is not None:
                await emulator.__aexit__(None, None, None)
            self._close()
        return self._report()

    def interrupt(self) -> None:
        """The first Ctrl-C: take no more rows, finish and record the rows in flight."""
        self.stopping = self.interrupted = True
        self.err.print(
            f"interrupted: finishing the {len(self.pending)} row(s) in flight "
            "(Ctrl-C again to abandon them)"
        )

    async def _send(self, crm: AsyncHubCRM, records: Iterator[Record]) -> None:
        o = self.o
        outcomes = crm.objects.iter_create_many(
            self.object_type,
            self._inputs(records),
            batch_size=o.batch_size,
            concurrency=o.concurrency,
            id_property=o.id_property,
            mode=o.mode,
        )
        todo = self.total - len(self.done_rows)
        with _progress(self.out, self.err, todo, self.object_type) as progress:
            try:
                async for outcome in outcomes:
                    record = self.pending.pop(outcome.index)
                    if not outcome.ok and outcome.status == "not_attempted":
                        err = outcome.error
                        if isinstance(err, HubCRMError) and self.stopped_by is None:
                            self.stopped_by = err
                    if self._settleable(record, outcome):
                        self.conflicts.append((record, outcome))
                        if len(self.conflicts) >= _READ_BATCH:
                            await self._settle(crm)
                    else:
                        self._outcome(record, outcome)
                    progress(self._snapshot())
                await self._settle(crm)
            except asyncio.CancelledError:
                self._release_conflicts()
                for record in self.pending.values():
                    self.counts["unknown"] += 1
                    self._write_error(
                        record,
                        "unknown",
                        category="INTERRUPTED",
                        message="abandoned at the second Ctrl-C before HubSpot answered: "
                        "the record may exist",
                    )
                self.pending.clear()
            finally:
                with contextlib.suppress(asyncio.CancelledError):
                    await outcomes.aclose()
            progress(self._snapshot(), final=True)

    def _snapshot(self) -> dict[str, float]:
        c = self.counts
        done = c["created"] + c["failed"] + c["unknown"] + c["not_attempted"] + c["unreadable"]
        wait = 0.0
        if self.crm is not None:
            stats = self.crm.stats
            wait = stats.rate_limit_wait + stats.pause_time
        elapsed = time.monotonic() - self.started
        return {
            "done": done,
            "created": c["created"],
            "failed": done - c["created"],
            "rate": done / elapsed if elapsed > 0 else 0.0,
            "wait": wait,
        }

    # --- reporting --------------------------------------------------------------------

    def _show_stored(self, emulator: Emulator) -> None:
        stored = emulator.objects(self.object_type)
        self.out.print(f"\nThe emulator stored {len(stored):,} {self.object_type}.")
        if not stored:
            return
        table = Table(title=f"first {min(3, len(stored))} stored records", title_justify="left")
        table.add_column("id")
        for name in self.columns:
            table.add_column(name)
        for obj in stored[:3]:
            props = obj.get("properties", {})
            table.add_row(str(obj.get("id")), *(str(props.get(n) or "") for n in self.columns))
        self.out.print(table)

    def _report(self) -> int:
        c = self.counts
        elapsed = time.monotonic() - self.started
        accounted = c["skipped"] + sum(
            c[k] for k in ("created", "failed", "unknown", "not_attempted", "unreadable")
        )
        not_sent = self.total - accounted
        table = Table(title=f"hubcrm import {self.object_type} {self.path}", title_justify="left")
        table.add_column("rows", justify="left")
        table.add_column("count", justify="right")
        lines = [
            ("in the file", self.total),
            ("already created (--resume)", c["skipped"]),
            ("created", c["created"]),
            ("  of which updated (--id-property)", c["updated"]),
            ("  of which made by an earlier run (--resume)", c["settled"]),
            ("failed (HubSpot said no)", c["failed"]),
            ("unknown outcome", c["unknown"]),
            ("not attempted (safe to resend)", c["not_attempted"]),
            ("unreadable (malformed or invalid)", c["unreadable"]),
            ("not sent (interrupted or stopped)", not_sent),
        ]
        for label, value in lines:
            if value or label in ("in the file", "created"):
                table.add_row(label, f"{value:,}")
        snap = self._snapshot()
        table.add_section()
        table.add_row("elapsed", f"{elapsed:.1f} s")
        table.add_row("rows/s", f"{snap['rate']:,.0f}")
        table.add_row("rate-limit wait, summed over requests", f"{snap['wait']:.1f} s")
        if self.crm is not None:
            stats = self.crm.stats
            table.add_row("requests (429s)", f"{stats.requests:,} ({stats.rate_limited})")
        self.out.print(table)
        if self.codes:
            codes = Table(title="rows not created, by error code", title_justify="left")
            codes.add_column("code")
            codes.add_column("rows", justify="right")
            codes.add_column("first row", justify="right")
            for code, count in self.codes.most_common():
                codes.add_row(code, f"{count:,}", str(self.first_row[code]))
            self.out.print(codes)
        for label, path in (("results", self.o.results), ("errors", self.o.errors)):
            if path:
                self.out.print(f"{label}: {path}")
        if self.stopped_by is not None:
            self.err.print(f"stopped by {type(self.stopped_by).__name__}: {self.stopped_by}")
        if self.file_changed:
            self.err.print(f"error: {self.path} changed while it was being imported: stopped")
        if self.output_failure is not None:
            self._report_output_failure(self.output_failure)
            self._print_resume()
            return EXIT_INCOMPLETE
        complete = c["skipped"] + c["created"] == self.total
        if self.interrupted and not complete:
            self._print_resume()
            return EXIT_INTERRUPTED
        return EXIT_OK if complete else EXIT_INCOMPLETE

    def _report_output_failure(self, failure: OutputError) -> None:
        self.err.print(f"error: {failure}: stopped sending")
        if not self.unrecorded:
            return
        self.err.print(
            f"{len(self.unrecorded)} created row(s) are recorded nowhere else. Add these lines "
            f"to {self.o.results} before --resume, or those rows will be created again:",
            markup=False,
        )
        for line in self.unrecorded:
            self.err.print(json.dumps(line), markup=False, soft_wrap=True, highlight=False)

    def _print_resume(self) -> None:
        if self.o.emulator:
            self.err.print("(the in-process emulator is gone with its records: nothing to resume)")
            return
        if not self.o.results:
            self.err.print("interrupted: pass --results next time to be able to --resume")
            return
        words = ["hubcrm", "import", self.object_type, self.path]
        for param in self.ctx.command.params:
            name = param.name
            if name in ("object_type", "file", "token", "resume") or name is None:
                continue
            source = self.ctx.get_parameter_source(name)
            if source is not click.core.ParameterSource.COMMANDLINE:
                continue
            flag = max(param.opts, key=len)
            value = self.ctx.params[name]
            if isinstance(param, click.Option) and param.is_flag:
                words.append(flag)
            else:
                words += [flag, str(value)]
        words.append("--resume")
        command = " ".join(shlex.quote(w) for w in words)
        self.err.print("to continue where this run stopped (the token as before):")
        self.out.print(command, markup=False, soft_wrap=True)
        if self.source != self.path:
            self.err.print(f"({self.path} is not a regular file: give it the same rows again)")

    def _dry_run(self, records: Iterator[Record]) -> int:
        self._open_errors()
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
            value = record.input.properties.get(unique) if unique else None
            if value is not None and value.lower() in seen:
                self.counts["duplicate"] += 1
                message = f"same {unique} as row {seen[value.lower()]}: HubSpot would answer 409"
                self._write_error(record, "duplicate", category="CONFLICT", message=message)
                continue
            if value is not None:
                seen[value.lower()] = record.row
            encoded += 1
        self._close()
        table = Table(title=f"dry run: {self.object_type} {self.path}", title_justify="left")
        table.add_column("rows")
        table.add_column("count", justify="right")
        table.add_row("in the file", f"{self.total:,}")
        if self.counts["skipped"]:
            table.add_row("already created (--resume)", f"{self.counts['skipped']:,}")
        table.add_row("ready to send", f"{encoded:,}")
        table.add_row("unreadable (malformed or invalid)", f"{self.counts['unreadable']:,}")
        table.add_row(
            f"duplicate {unique or 'unique values'} in the file", str(self.counts["duplicate"])
        )
        self.out.print(table)
        self.out.print("dry run: nothing was sent")
        if self.output_failure is not None:
            self.err.print(f"error: {self.output_failure}")
            return EXIT_INCOMPLETE
        return EXIT_OK if encoded + self.counts["skipped"] == self.total else EXIT_INCOMPLETE


def _non_empty(path: str) -> bool:
    try:
        return Path(path).stat().st_size > 0
    except OSError:
        return False


def _values_in(data: Any) -> Iterator[str]:
    """Every scalar in a row as read, as text (for keeping values off the terminal)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif item is not None and not isinstance(item, bool):
            yield str(item)


def _terminal_reason(record: Record) -> str:
    """Why a row cannot be sent, as shown on the terminal: never one of its values.

    The reader's own reasons (bad UTF-8, bad CSV or JSON, a field count) name no
    values. A value that cannot be encoded gets its message from the library, which
    names the property only; should a message still contain one of the row's values,
    the terminal gets a generic reason and only the errors file the message.
    """
    reason = record.problem or ""
    if record.kind != "invalid":
        return reason
    if any(len(value) > 1 and value in reason for value in _values_in(record.data)):
        return "a value cannot be encoded (the message, which quotes it, is in --errors)"
    return reason


def _existing_id(outcome: BulkOutcome) -> str | None:
    """The id of the record a 409 names, if it names one."""
    error = outcome.error
    return error.existing_id if isinstance(error, ConflictError) else None


def _key_value(record: Record, key: str) -> str:
    """A row's value of its unique property (present: checked before it is held)."""
    assert record.input is not None
    return record.input.properties[key]


def _describe(outcome: BulkOutcome) -> dict[str, Any]:
    """The errors-file fields for an outcome without a record (HubSpot's message, no token)."""
    error = outcome.error
    cause = error.cause if isinstance(error, OutcomeUnknownError) else error
    if isinstance(cause, APIError):
        return {
            "http_status": cause.status,
            "category": cause.category,
            "code": outcome.code,
            "message": cause.message,
            "correlation_id": cause.correlation_id,
        }
    if isinstance(error, OutcomeUnknownError):
        return {
            "category": "OUTCOME_UNKNOWN",
            "code": outcome.code or "unknown",
            "message": str(cause or error),
        }
    return {"category": "INVALID_INPUT", "code": outcome.code, "message": str(error)}


class _progress:
    """A rich progress bar when stderr is a terminal, else plain lines on stdout (a
    context manager). The bar is drawn by the stderr console, so the command's other
    messages, printed there too, appear above it instead of on its line."""

    def __init__(self, out: Console, err: Console, total: int, object_type: str) -> None:
        self.console = out
        self.bar_console = err
        self.total = total
        self.bar: Progress | None = None
        self.task: Any = None
        self.last = time.monotonic()
        self.object_type = object_type

    def __enter__(self) -> _progress:
        if self.bar_console.is_terminal:
            self.bar = Progress(
                TextColumn(f"[bold]{escape(self.object_type)}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[green]{task.fields[created]:,} created"),
                TextColumn("[red]{task.fields[failed]:,} not"),
                TextColumn("{task.fields[rate]:,.0f} rows/s"),
                TextColumn("ETA {task.fields[eta]}"),
                TextColumn("rate-limit wait Σ{task.fields[wait]:.1f}s"),
                console=self.bar_console,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task(
                "import", total=self.total, created=0, failed=0, rate=0.0, wait=0.0, eta="-"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def __call__(self, snap: dict[str, float], *, final: bool = False) -> None:
        if self.bar is not None:
            self.bar.update(
                self.task,
                completed=snap["done"],
                created=snap["created"],
                failed=snap["failed"],
                rate=snap["rate"],
                wait=snap["wait"],
                eta=_eta(self.total - snap["done"], snap["rate"]),
            )
            return
        now = time.monotonic()
        if not final and now - self.last < _PLAIN_INTERVAL:
            return
        self.last = now
        done = int(snap["done"])
        self.console.print(
            f"progress: {done:,}/{self.total:,} rows, {int(snap['created']):,} created, "
            f"{int(snap['failed']):,} not created, {snap['rate']:,.0f} rows/s, "
            f"ETA {_eta(self.total - done, snap['rate'])}, "
            f"rate-limit wait (summed over requests) {snap['wait']:.1f}s",
            soft_wrap=True,
        )


def _eta(remaining: float, rate: float) -> str:
    """The time left at the run's average rate (not a recent burst's), as ``1:02:03``."""
    if remaining <= 0:
        return "0:00:00"
    if rate <= 0:
        return "-"
    seconds = round(remaining / rate)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# --- hubcrm emulator --------------------------------------------------------------------


@cli.command(
    "emulator",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
    short_help="Run the HubSpot emulator in the foreground (--help for options).",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator_command(args: tuple[str, ...]) -> None:
    """Run the HubSpot emulator until Ctrl-C: the options of ``python -m hubcrm.testing``.

    ``--faults KIND=P[:ARG],...`` arms probabilistic faults, e.g.
    ``latency=1:0.2,error_after=0.02,disconnect_after=0.01``.
    """
    from .testing import __main__ as standalone

    sys.exit(standalone.main(list(args), prog="hubcrm emulator"))


def main() -> None:
    """The ``hubcrm`` console script."""
    cli(prog_name="hubcrm")


if __name__ == "__main__":
    main()
