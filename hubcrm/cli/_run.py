"""One run of ``hubcrm import``, from the checks of its arguments to its exit status.

Reading rows (``_cli_input``), checking them against ``--results`` on ``--resume``,
sending them through the client, holding the 409s of resent rows and reading their
records back to settle rows an earlier run created, Ctrl-C handling, and ``--dry-run``.
The outcomes are written by ``_cli_state``; the progress and summary are drawn by
``_cli_progress``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import Path

import click

from .._client import AsyncHubCRM
from .._core.errors import ConflictError, HubCRMError
from .._core.models import CONTACT_TYPES, CrmObject, ObjectInput
from .._write.bulk import cancel_report
from .._write.compare import differing_properties
from .._write.outcomes import BulkOutcome
from .._write.readback import earlier_writes
from ._check import _Checked
from ._connect import check_access, client_options, target
from ._files import (
    LineWriter,
    OutputError,
    RefusedError,
    ResumeMatcher,
    check_outputs,
    read_results,
    run_line,
    spool,
)
from ._input import Format, InputFileError, Record, detect_format, read_records
from ._progress import _progress
from ._state import EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_USAGE

__all__: list[str] = []

_READ_BATCH = 100


class _Import(_Checked):
    """One run of ``hubcrm import``: reading, sending, reporting."""

    # --- setup ------------------------------------------------------------------------

    def main(self) -> int:
        o = self.o
        if o.resume and not o.results:
            raise click.UsageError("--resume needs --results (the file of rows already created)")
        if o.allow_removed and not o.resume:
            raise click.UsageError("--allow-removed only makes sense with --resume")
        if o.resend_unknown and not o.resume:
            raise click.UsageError("--resend-unknown only makes sense with --resume")
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

    def _check_access(self) -> None:
        """One read of OBJECT_TYPE before any row is read: a refused token or an unknown
        type stops the import here (RefusedError: exit 2, nothing sent)."""
        assert self.o.token, "main() refuses a run without a token"
        options = client_options(self.o, self.o.base_url)
        note = asyncio.run(check_access(self.o.token, self.object_type, options))
        if note is not None:
            self.err.print(note)

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
        if o.token and not o.emulator:
            self._check_access()  # a --dry-run with a token checks the rows against the portal
        # The rows the file holds now are this run's: rows appended while it runs are
        # neither counted nor sent (a --resume sends them).
        self.size = _size(self.source)
        problems = self._prescan(fmt, matcher)
        if matcher is not None:
            self._check_removed(matcher)
            self._check_unknown()
        records = read_records(self.source, fmt, name=self.path, limit=self.size)
        self.fmt = fmt
        if o.dry_run:
            again = read_records(self.source, fmt, name=self.path, limit=self.size)
            return self._dry_run(records, again)
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
            if matcher is None or matcher.prior.run_started is None:
                self._record_start(self.results_fh)
        self.sending = True
        try:
            return asyncio.run(self._run(records))
        except KeyboardInterrupt:  # before the run's own Ctrl-C handling was in place
            self.interrupted = True
            self._close()
            return self._report()

    def _record_start(self, results: LineWriter) -> None:
        """Put the run line on disk before the first request, so that ``--resume`` can
        settle rows in flight even if this run is killed before its first result line.

        Raises:
            OutputError: The line could not be written and synced (nothing is sent).
        """
        line = run_line(self.object_type, self.run_started)
        if not (results.write(line) and results.sync()):
            assert results.failed is not None
            raise results.failed

    def _prescan(self, fmt: Format, matcher: ResumeMatcher | None) -> int:
        problems = 0
        for record in read_records(self.source, fmt, name=self.path, limit=self.size):
            self.total += 1
            if matcher is not None and matcher.claim(record.row, record.key):
                self.done_rows[record.row] = record.key
            elif record.problem is not None:
                problems += 1
            else:
                self.sendable += 1
                unknown = matcher is not None and matcher.claim_unknown(record.key)
                if unknown and not self._has_key(record):
                    self.unknown_unkeyed.append(record.row)
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

    def _check_unknown(self) -> None:
        """Refuse to resend rows an earlier run left unknown when nothing can settle them.

        Such a row's record may exist; with no unique key (``--id-property``, a
        contact's email) a resend cannot meet it as a 409, and creates a second record.
        """
        rows = self.unknown_unkeyed
        if not rows:
            return
        key = "no --id-property" + (", no email" if self.object_type in CONTACT_TYPES else "")
        what = (
            f"{len(rows)} row(s) of {self.path} (the first is row {rows[0]}) were left with an "
            f"unknown outcome by an earlier run, as {self.o.results} records, and have no "
            f"unique key ({key}): HubSpot may have created their records, and sending them "
            "again would then create each a second time"
        )
        if not self.o.resend_unknown:
            raise RefusedError(
                f"{what}. Check those records in HubSpot (the earlier run's --errors lists "
                "the rows) and remove the rows found from the file, then add "
                "--resend-unknown to send the rest"
            )
        self.err.print(f"note: --resend-unknown: sending them again: {what}")

    # --- settling resent rows ---------------------------------------------------------

    def _has_key(self, record: Record) -> bool:
        """Whether a resent row can meet its own earlier record as a 409 (a unique key)."""
        key = self._key_property()
        return key is not None and record.input is not None and key in record.input.properties

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
        an earlier run: the row is created, if the record holds the row's values
        (`differing_properties`), and fails with RECORD_DIFFERS if not (the row was
        edited since). Otherwise (older, unreadable, or another row's) the row keeps
        its CONFLICT.
        """
        held = list(self.conflicts)  # kept until read: a second Ctrl-C releases them
        if not held:
            return
        since = self.settle_since
        assert since is not None
        key = self._key_property()
        object_type = self.object_type

        async def read_back(
            values: Sequence[str], by: str | None, properties: Sequence[str]
        ) -> list[CrmObject | None]:
            return await crm.objects.get_many(
                object_type, values, id_property=by, properties=properties
            )

        refused = [
            (_existing_id(outcome), _key_value(record, key) if key is not None else None)
            for record, outcome in held
        ]
        names: dict[str, None] = {}
        for record, _ in held:
            assert record.input is not None
            names.update(dict.fromkeys(record.input.properties))
        try:
            found = await earlier_writes(
                read_back,
                refused,
                key_property=key,
                since=since,
                claimed=self.claimed_ids,
                properties=list(names),
            )
        except HubCRMError as exc:  # unreadable: the 409s stand, and the user is told
            found = [None] * len(held)
            self.err.print(
                f"note: could not read back the records of {len(held)} row(s) refused as "
                f"duplicates ({type(exc).__name__}); they are reported as CONFLICT, and "
                "--resume reads them back again"
            )
        self.conflicts = []
        for (record, outcome), obj in zip(held, found, strict=True):
            if obj is None:
                self._outcome(record, outcome)
                continue
            assert record.input is not None
            differ = differing_properties(record.input.properties, obj.properties)
            if differ:
                self._differs(record, obj.id, differ)
            else:
                self.counts["settled"] += 1
                self._created(record, obj.id, True)

    def _differs(self, record: Record, object_id: str, names: list[str]) -> None:
        """The record an earlier run made for this row no longer holds the row's values:
        the row was edited since. Nothing is sent: the record keeps its values."""
        self.counts["failed"] += 1
        listed = ", ".join(names)
        self._write_error(
            record,
            "failed",
            category="CONFLICT",
            code="RECORD_DIFFERS",
            existing_id=object_id,
            message=f"record {object_id}, made for this row by an earlier run of this "
            f"import, holds other values of {listed}: the row was changed since. Update "
            "the record, or put the row back as it was",
        )

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
            problems = self.refused_rows.get(record.row)
            if problems:  # --validate: HubSpot would refuse it; not sent
                self.counts["failed"] += 1
                self.counts["refused_by_check"] += 1
                self._refuse(record, problems, "failed")
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
        try:
            async with target(o) as where:
                if where.emulator is not None:
                    self.out.print(f"started an in-process HubSpot emulator at {where.base_url}")
                async with AsyncHubCRM(where.token, **client_options(o, where.base_url)) as crm:
                    self.crm = crm
                    await self._send(crm, records)
                if where.emulator is not None:
                    self._show_stored(where.emulator)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)
            self._close()
        return self._report()

    def interrupt(self) -> None:
        """The first Ctrl-C: take no more rows, finish and record the rows in flight."""
        self.stopping = self.interrupted = True
        self.err.print(
            f"interrupted: finishing the {len(self.pending)} row(s) in flight "
            "(Ctrl-C again to abandon them)"
        )

    def _cancelled(self, lost: Sequence[int], unyielded: Sequence[BulkOutcome]) -> None:
        """What the engine says at the second Ctrl-C (``cancel_report``): the inputs
        whose requests may have reached HubSpot, and the outcomes it had not yielded."""
        self.sent_when_cancelled = set(lost)
        self.unyielded = list(unyielded)

    def _abandon(self) -> None:
        """Record the rows taken and never reported, at the second Ctrl-C: a row whose
        request may have reached HubSpot is unknown; one never sent (waiting for the
        rate limiter, say) is not attempted, and --resume sends it again."""
        for outcome in self.unyielded:
            record = self.pending.pop(outcome.index, None)
            if record is not None:
                self._outcome(record, outcome)
        sent = self.sent_when_cancelled
        for index, record in self.pending.items():
            if sent is not None and index not in sent:
                self.counts["not_attempted"] += 1
                self._write_error(
                    record,
                    "not_attempted",
                    category="INTERRUPTED",
                    message="abandoned at the second Ctrl-C before it was sent",
                )
                continue
            self.counts["unknown"] += 1
            self._write_error(
                record,
                "unknown",
                category="INTERRUPTED",
                message="abandoned at the second Ctrl-C before HubSpot answered: "
                "the record may exist",
            )
            self._record_unknown(record)
        self.pending.clear()

    async def _validate_first(self, crm: AsyncHubCRM) -> bool:
        """``--validate``: check every row before the first is sent (a second read of
        FILE); False, with nothing sent, when the portal's definitions cannot be read."""
        assert self.fmt is not None
        again = read_records(self.source, self.fmt, name=self.path, limit=self.size)
        try:
            await self._validate_rows(crm, again)
        except HubCRMError as exc:
            self.stopped_by = exc
            self.stopping = True
            self.err.print(
                f"error: --validate: could not read the portal's definitions "
                f"({type(exc).__name__}): nothing was sent"
            )
            return False
        refused = len(self.refused_rows)
        self.err.print(f"--validate: {refused:,} row(s) would be refused by HubSpot; not sent")
        return True

    async def _send(self, crm: AsyncHubCRM, records: Iterator[Record]) -> None:
        o = self.o
        cancel_report.set(self._cancelled)  # this task's context: its iteration only
        if o.validate and not await self._validate_first(crm):
            return
        outcomes = crm.objects.iter_create_many(
            self.object_type,
            self._inputs(records),
            batch_size=o.batch_size,
            concurrency=o.concurrency,
            id_property=o.id_property,
            mode=o.mode,
        )
        todo = self.total - len(self.done_rows)
        with _progress(self.err, todo, self.object_type) as progress:
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
                with contextlib.suppress(asyncio.CancelledError):
                    await outcomes.aclose()  # the engine accounts for its inputs: _cancelled
                self._abandon()
            finally:
                with contextlib.suppress(asyncio.CancelledError):
                    await outcomes.aclose()
            progress(self._snapshot(), final=True)


def _size(path: str) -> int | None:
    """The size of the file to read, or None when it cannot be read (the reader says why)."""
    try:
        return Path(path).stat().st_size
    except OSError:
        return None


def _non_empty(path: str) -> bool:
    try:
        return Path(path).stat().st_size > 0
    except OSError:
        return False


def _existing_id(outcome: BulkOutcome) -> str | None:
    """The id of the record a 409 names, if it names one."""
    error = outcome.error
    return error.existing_id if isinstance(error, ConflictError) else None


def _key_value(record: Record, key: str) -> str:
    """A row's value of its unique property (present: checked before it is held)."""
    assert record.input is not None
    return record.input.properties[key]
