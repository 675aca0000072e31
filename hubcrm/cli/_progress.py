"""What ``hubcrm import`` shows: its progress as it runs, and its summary at the end.

The progress is a rich bar on a terminal and plain lines otherwise; the summary is the
table of row counts and error codes, the emulator's stored records, a failed output
file's unrecorded rows and the command that resumes a stopped run.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from .._http.transport import shown_proxy
from ._files import OutputError
from ._state import EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_OK, _ImportState

if TYPE_CHECKING:
    from ..testing import Emulator

__all__: list[str] = []

_PLAIN_INTERVAL = 2.0


class _Summary(_ImportState):
    """The progress figures and the closing report of one run of ``hubcrm import``."""

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

    def _print_codes(self, title: str) -> None:
        """The table of error codes: rows per code, its first row and first message."""
        if not self.codes:
            return
        codes = Table(title=title, title_justify="left")
        codes.add_column("code")
        codes.add_column("rows", justify="right")
        codes.add_column("first row", justify="right")
        codes.add_column("first message (values left out)")
        for code, count in self.codes.most_common():
            message = self.first_message.get(code, "")
            codes.add_row(code, f"{count:,}", str(self.first_row[code]), message)
        self.out.print(codes)

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
            ("failed (refused)", c["failed"]),
            ("  of which refused by the check (--validate), not sent", c["refused_by_check"]),
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
        self._print_codes("rows not created, by error code")
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
        words = ["hubcrm", "import"]
        arguments = [self.object_type, self.path]
        # A FILE such as "-h.csv" would be read as an option: such arguments go last,
        # after "--".
        dashed = any(word.startswith("-") for word in arguments)
        if not dashed:
            words += arguments
        for param in self.ctx.command.params:
            name = param.name
            # --resend-unknown is a decision about the rows unknown then: not carried on.
            skipped = ("object_type", "file", "token", "resume", "resend_unknown")
            if name in skipped or name is None:
                continue
            source = self.ctx.get_parameter_source(name)
            if source is not click.core.ParameterSource.COMMANDLINE:
                continue
            flag = max(param.opts, key=len)
            value = self.ctx.params[name]
            if isinstance(param, click.Option) and param.is_flag:
                if param.secondary_opts and not value:  # --no-env-proxy
                    flag = param.secondary_opts[0]
                words.append(flag)
            elif name == "proxy":  # its credentials are never printed
                words += [flag, shown_proxy(str(value))]
            elif str(value).startswith("-"):
                words.append(f"{flag}={value}")  # never taken for an option of its own
            else:
                words += [flag, str(value)]
        words.append("--resume")
        if dashed:
            words += ["--", *arguments]
        command = " ".join(shlex.quote(w) for w in words)
        secret = "the token" + (
            " and the proxy's credentials" if "<redacted>" in " ".join(words) else ""
        )
        self.err.print(f"to continue where this run stopped ({secret} as before):")
        self.out.print(command, markup=False, soft_wrap=True)
        if self.source != self.path:
            self.err.print(f"({self.path} is not a regular file: give it the same rows again)")


class _progress:
    """The progress on stderr (a context manager): a rich bar when stderr is a terminal,
    else a plain line every few seconds. stdout keeps the summary alone. The bar is
    drawn by the stderr console, so the command's other messages, printed there too,
    appear above it instead of on its line."""

    def __init__(self, err: Console, total: int, object_type: str) -> None:
        self.console = err
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
