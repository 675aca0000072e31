"""The state of one ``hubcrm import`` and the recording of each row's outcome.

Holds the parsed options, the counts, the error codes and the open ``--results`` and
``--errors`` files, and writes each row's outcome into them (and, for an unreadable
row, a line on the terminal that never quotes one of its values). The run
(``_cli_run``) and the summary (``_cli_progress``) build on it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, Literal

import attrs
import click
from rich.console import Console

from .._check.report import ValidationProblem
from .._client import AsyncHubCRM
from .._core.errors import APIError, HubCRMError, OutcomeUnknownError
from .._core.errors import _loggable as _loggable_message
from .._http.ratelimit import RateLimit
from .._write.outcomes import BulkOutcome
from ._files import LineWriter, OutputError, run_started_text
from ._input import Format, Record

__all__ = ["EXIT_INCOMPLETE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]

#: Exit statuses of ``hubcrm import``.
EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_SHOWN_PROBLEMS = 10


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
    resend_unknown: bool
    allow_removed: bool
    dry_run: bool
    validate: bool
    strict: bool
    emulator: bool
    base_url: str | None
    proxy: str | None
    trust_env: bool
    ca_bundle: str | None


class _ImportState:
    """What one run of ``hubcrm import`` knows, and its writing of row outcomes."""

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
        self.size: int | None = None  # FILE's bytes when the run began: all it reads
        self.total = 0
        self.sendable = 0
        self.unknown_unkeyed: list[int] = []  # rows left unknown, no key (--resume)
        self.done_rows: dict[int, str | None] = {}
        self.sending = False
        self.output_failure: OutputError | None = None
        self.unrecorded: list[dict[str, Any]] = []
        self.file_changed = False
        self.counts: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.first_row: dict[str, int] = {}
        self.first_message: dict[str, str] = {}
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
        # At a second Ctrl-C, from the engine: the inputs that may have been sent (None:
        # no report, so every row taken may have been), and outcomes not yielded.
        self.sent_when_cancelled: set[int] | None = None
        self.unyielded: list[BulkOutcome] = []
        self.crm: AsyncHubCRM | None = None
        self.columns: list[str] = []
        self.fmt: Format | None = None
        # The rows the portal check (--dry-run with a token, --validate) refused.
        self.refused_rows: dict[int, list[ValidationProblem]] = {}

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
        if code not in self.first_message:
            self.first_message[code] = _shown_message(record, fields.get("message"))
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
        if status == "unknown":
            self._record_unknown(record)

    def _record_unknown(self, record: Record) -> None:
        """Note in ``--results`` a row whose record may exist: ``--resume`` reads it."""
        if self.results_fh is None:
            return
        line: dict[str, Any] = {"row": record.row, "line": record.line, "status": "unknown"}
        line["object_type"] = self.object_type
        line["content"] = record.key
        line["run_started"] = run_started_text(self.run_started)
        if not self.results_fh.write(line):
            self._write_failed(self.results_fh)

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


def _shown_message(record: Record, message: object) -> str:
    """A row's error message as the summary shows it: never one of its values.

    HubSpot's validation messages quote the values they refuse: those are left out as
    ``str(APIError)`` leaves them out. Should the message still contain one of the
    row's values, a generic text stands in for it (the message is in ``--errors``).
    """
    if not isinstance(message, str) or not message:
        return ""
    shown = _loggable_message(message)
    if any(len(value) > 1 and value in shown for value in _values_in(record.data)):
        return "(the message quotes a value of the row: see --errors)"
    return shown


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
