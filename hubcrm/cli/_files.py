"""The files around ``hubcrm import``: where it may write, what ``--resume`` trusts.

- `check_outputs` refuses ``--results``/``--errors`` naming the same file, or a file
  being read (the input, or the results file that ``--resume`` reads and then writes
  the errors over), before anything is opened for writing or sent.
- `spool` copies a FILE that is not a regular file (``/dev/stdin``, a pipe, a process
  substitution) to a temporary file once, so the import can read it more than once.
- `read_results` reads a results file and checks it belongs to this import;
  `ResumeMatcher` then decides, row by row and by content, what is already created.
- `LineWriter` appends JSON lines whole or not at all, and reports a failed write as an
  `OutputError` instead of a traceback.

A results file holds one JSON object a line. A *run line* (`run_line`) records when the
import began, before its first request: it heads a new results file, and is appended by a
``--resume`` of a file that records no start (one written by an earlier hubcrm,
without run lines). Every other line is a *result line*: one created row. Files without run lines
are still read.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._input import InputFileError

__all__ = [
    "RESULTS_FORMAT",
    "LineWriter",
    "OutputError",
    "PriorResults",
    "RefusedError",
    "ResumeMatcher",
    "check_outputs",
    "read_results",
    "run_line",
    "run_started_text",
    "spool",
]


class RefusedError(Exception):
    """The import must not start: nothing is sent, the exit status is 2."""


class OutputError(Exception):
    """An output file could not be written (disk full, removed, read-only, ...).

    Args:
        path: The file.
        error: The operating system's error.
    """

    def __init__(self, path: str, error: OSError) -> None:
        self.path = path
        self.error = error
        reason = error.strerror or os.strerror(error.errno or errno.EIO)
        super().__init__(f"cannot write {path}: {reason}")


def _identity(path: str) -> tuple[str, tuple[int, int] | None]:
    """The resolved path, and the (device, inode) when the file exists."""
    resolved = str(Path(path).resolve())
    try:
        st = os.stat(path)
    except OSError:
        return resolved, None
    return resolved, (st.st_dev, st.st_ino)


def _same(a: tuple[str, tuple[int, int] | None], b: tuple[str, tuple[int, int] | None]) -> bool:
    if a[1] is not None and b[1] is not None:
        return a[1] == b[1]
    return a[0] == b[0]


def check_outputs(source: str, results: str | None, errors: str | None, *, resume: bool) -> None:
    """Refuse output files that would overwrite each other or a file being read.

    Args:
        source: The input FILE.
        results: ``--results``, if given.
        errors: ``--errors``, if given.
        resume: Whether ``--results`` is read before it is appended to.

    Raises:
        RefusedError: Two of the files are one file (by path or by device and inode,
            so symlinks and hard links count).
    """
    src = _identity(source)
    outputs = [("--results", results), ("--errors", errors)]
    named = [(flag, path, _identity(path)) for flag, path in outputs if path]
    for flag, path, ident in named:
        if _same(ident, src):
            raise RefusedError(
                f"{flag} {path} is the input file: writing it would destroy the rows being "
                "read; name another file"
            )
    if len(named) == 2 and _same(named[0][2], named[1][2]):
        why = (
            "the errors would overwrite the record of created rows, and --resume would then "
            "create them again"
        )
        if resume:
            why = "--resume reads the results file, and the errors would overwrite it"
        raise RefusedError(f"--results and --errors name the same file ({results}): {why}")


@contextlib.contextmanager
def spool(path: str) -> Iterator[str]:
    """Yield a path to read ``path`` from as often as needed.

    A regular file (or a missing one, for the reader to report) is read in place. Any
    other file (a pipe, ``/dev/stdin``, a process substitution, a character device) can
    be read only once: it is copied to a temporary file, removed on exit.

    Raises:
        InputFileError: Copying failed.
    """
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        regular = True  # let the reader report it
    if regular:
        yield path
        return
    fd, spooled = tempfile.mkstemp(prefix="hubcrm-import-", suffix=Path(path).suffix)
    try:
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
        except OSError as exc:
            raise InputFileError(path, None, f"cannot copy it: {exc.strerror or exc}") from None
        yield spooled
    finally:
        with contextlib.suppress(OSError):
            os.unlink(spooled)


@dataclass
class PriorResults:
    """What a results file says was created already.

    Attributes:
        contents: How many created rows had each content key.
        rows: Row numbers of lines written before content keys existed (matched by
            row number alone, as those versions promised).
        first_line: For each content key, the results file line that recorded it first
            (to name the rows no longer in the input).
        lines: Result lines read.
        run_started: When the import's first run began (``time.time()``): the earliest
            ``run_started`` the lines record; None when none does (older hubcrm).
        ids: The record ids the lines record.
        unknown: How many rows of each content key were left with an unknown outcome
            (``"status": "unknown"`` lines): their records may exist.
    """

    contents: Counter[str] = field(default_factory=Counter)
    rows: set[int] = field(default_factory=set)
    first_line: dict[str, tuple[int, Any]] = field(default_factory=dict)
    lines: int = 0
    run_started: float | None = None
    ids: set[str] = field(default_factory=set)
    unknown: Counter[str] = field(default_factory=Counter)


def run_started_text(started: float) -> str:
    """``time.time()`` as the ISO UTC timestamp results lines carry as ``run_started``."""
    return datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="milliseconds")


#: The version of the run line this hubcrm writes and reads.
RESULTS_FORMAT = 1


def run_line(object_type: str, started: float) -> dict[str, Any]:
    """The line that records the start of an import, written before its first request.

    ``{"hubcrm_results": 1, "object_type": ..., "run_started": ...}``: the format
    version, the object type imported, and when the import began (as `run_started_text`).
    With it ``--resume`` can settle rows a run killed before its first result line left
    in flight.
    """
    return {
        "hubcrm_results": RESULTS_FORMAT,
        "object_type": object_type,
        "run_started": run_started_text(started),
    }


def _run_started(value: Any) -> float | None:
    """The time a ``run_started`` field names, or None when it names none."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.timestamp()


def _objects_in(text: str) -> list[Any]:
    """Every JSON value in one line (two results glued together by an old bug are two)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    at = 0
    text = text.strip()
    while at < len(text):
        value, end = decoder.raw_decode(text, at)
        found.append(value)
        while end < len(text) and text[end].isspace():
            end += 1
        at = end
    return found


def read_results(path: str, object_type: str) -> PriorResults:
    """Read the results file ``--resume`` continues from.

    Args:
        path: The results file (missing means nothing was created).
        object_type: The object type of this import.

    Returns:
        The created rows it records.

    Raises:
        RefusedError: A line is not a result (a created row may be recorded there), or
            records a row of another object type's import.
    """
    prior = PriorResults()
    try:
        handle = open(path, encoding="utf-8", errors="strict")  # noqa: SIM115
    except FileNotFoundError:
        return prior
    except OSError as exc:
        raise RefusedError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    _read_result_line(path, number, line, object_type, prior)
        except UnicodeDecodeError:
            raise RefusedError(f"{path} is not a results file (not UTF-8 text)") from None
    return prior


def _read_result_line(
    path: str, number: int, line: str, object_type: str, prior: PriorResults
) -> None:
    where = f"{path}:{number}"
    try:
        entries = _objects_in(line)
    except (ValueError, RecursionError):
        entries = []
    if len(entries) == 1 and isinstance(entries[0], dict) and "hubcrm_results" in entries[0]:
        _read_run_line(where, entries[0], object_type, prior)
        return
    for entry in entries:
        row = entry.get("row") if isinstance(entry, dict) else None
        if type(row) is int and entry.get("status") == "unknown" and "id" not in entry:
            if not _read_unknown_line(where, entry, object_type, prior):
                break
            continue
        if type(row) is not int or "id" not in entry:
            break
        _check_type(where, entry, object_type)
        key = entry.get("content")
        prior.lines += 1
        prior.ids.add(str(entry["id"]))
        started = _run_started(entry.get("run_started"))
        if started is not None and (prior.run_started is None or started < prior.run_started):
            prior.run_started = started
        if isinstance(key, str) and key:
            prior.contents[key] += 1
            prior.first_line.setdefault(key, (number, row))
        else:
            prior.rows.add(row)
    else:
        if entries:
            return
    raise RefusedError(
        f"{where}: not a result line, so --resume cannot tell which row it records (a "
        "created row may be lost there): repair or remove that line, then resume"
    )


def _read_run_line(
    where: str, entry: dict[str, Any], object_type: str, prior: PriorResults
) -> None:
    version = entry.get("hubcrm_results")
    if type(version) is not int or version > RESULTS_FORMAT:
        raise RefusedError(
            f"{where}: this results file was written by a newer hubcrm (format {version!s}): "
            "resume it with that version"
        )
    _check_type(where, entry, object_type)
    started = _run_started(entry.get("run_started"))
    if started is None:
        raise RefusedError(
            f"{where}: the run line names no valid run_started time: repair or remove that "
            "line, then resume"
        )
    if prior.run_started is None or started < prior.run_started:
        prior.run_started = started


def _read_unknown_line(
    where: str, entry: dict[str, Any], object_type: str, prior: PriorResults
) -> bool:
    """Read a line recording a row whose outcome was unknown; False if it is not one."""
    key = entry.get("content")
    if not isinstance(key, str) or not key:
        return False
    _check_type(where, entry, object_type)
    prior.unknown[key] += 1
    return True


def _check_type(where: str, entry: dict[str, Any], object_type: str) -> None:
    recorded_type = entry.get("object_type")
    if recorded_type is not None and recorded_type != object_type:
        raise RefusedError(
            f"{where}: this results file records an import of {recorded_type!s}, "
            f"not {object_type}: name the results file of this import"
        )


class ResumeMatcher:
    """Claims, in file order, the rows a results file records as created.

    A row is already created when a result with its content key is still unclaimed
    (so two identical rows need two results), or, for results written before content
    keys, when its row number is recorded.
    """

    def __init__(self, prior: PriorResults) -> None:
        self.prior = prior
        self.left: Counter[str] = Counter(prior.contents)
        self.unknown: Counter[str] = Counter(prior.unknown)

    def claim(self, row: int, key: str | None) -> bool:
        """Whether the row ``row`` with content ``key`` is already created."""
        if key is not None and self.left[key] > 0:
            self.left[key] -= 1
            return True
        return row in self.prior.rows

    def claim_unknown(self, key: str | None) -> bool:
        """Whether a row not created, of content ``key``, was left with an unknown outcome."""
        if key is not None and self.unknown[key] > 0:
            self.unknown[key] -= 1
            return True
        return False

    def unmatched(self) -> list[tuple[int, Any]]:
        """(results line, row) of each created row whose content is no longer in the file."""
        missing: list[tuple[int, Any]] = []
        for key, count in self.left.items():
            if count > 0:
                missing.append(self.prior.first_line[key])
        return sorted(missing)

    def unmatched_count(self) -> int:
        """How many created rows have no row of that content in the file."""
        return sum(count for count in self.left.values() if count > 0)


def _last_byte(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1)
    except OSError:
        return b"\n"  # not seekable (a pipe, /dev/full): nothing to repair


class LineWriter:
    """A JSONL output file written a whole line at a time, each line flushed to the OS.

    A line that cannot be written completely is cut off again (the file is truncated
    back to its last whole line), so the file never holds half a line.

    Args:
        path: The file.
        append: Append (repairing a missing final newline) rather than truncate.

    Raises:
        OutputError: The file cannot be opened or repaired.
    """

    def __init__(self, path: str, *, append: bool) -> None:
        self.path = path
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        try:
            self.fd = os.open(path, flags, 0o666)
        except OSError as exc:
            raise OutputError(path, exc) from None
        self.size = os.fstat(self.fd).st_size if append else 0
        self.failed: OutputError | None = None
        # A last line never ended gets its newline, so the next one is not glued onto it.
        unended = append and self.size > 0 and _last_byte(path) != b"\n"
        if unended and not self.write_raw(b"\n"):
            error = self.failed
            self.close()
            raise error or OutputError(path, OSError(errno.EIO, "write failed"))

    def write(self, value: dict[str, Any]) -> bool:
        """Append one JSON line; False (and `failed` set) when it could not be written."""
        line = json.dumps(value, ensure_ascii=False, default=str) + "\n"
        # A lone surrogate becomes its JSON escape, which reads back as the same str.
        return self.write_raw(line.encode("utf-8", "backslashreplace"))

    def write_raw(self, data: bytes) -> bool:
        """Append ``data`` whole, or leave the file as it was and return False."""
        if self.failed is not None:
            return False
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                written += self._write(view[written:])
        except OSError as exc:
            self.failed = OutputError(self.path, exc)
            # Part of the line may be out, even when the call that wrote it failed.
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.size)
            return False
        self.size += written
        return True

    def _write(self, data: memoryview) -> int:
        return os.write(self.fd, data)

    def sync(self) -> bool:
        """Put what was written on disk (``fsync``, and the folder's entry for the file);
        False (and `failed` set) when that failed."""
        if self.failed is not None:
            return False
        try:
            os.fsync(self.fd)
        except OSError as exc:
            if exc.errno in (errno.EINVAL, errno.ENOTSUP):  # a pipe, a terminal: no disk
                return True
            self.failed = OutputError(self.path, exc)
            return False
        with contextlib.suppress(OSError):  # not every system can sync a folder
            folder = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        return True

    def close(self) -> None:
        """Close the file (errors closing are reported by the writes before)."""
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
