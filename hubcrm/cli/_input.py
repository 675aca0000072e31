"""Reading the input file of ``hubcrm import``: CSV or JSON Lines, row by row.

Row numbers: ``row`` is the 1-based position of a data record in the file (a CSV record
after the header, or a non-blank JSONL line); blank lines are not rows. ``line`` is the
1-based file line where the record starts. Both are a function of the file's bytes
alone, so results, errors and ``--resume`` agree across runs.

A record that cannot be read (invalid UTF-8, a ragged CSV row, invalid JSON, a value of
the wrong type), or that has no property value at all (a CSV row of empty cells, ``{}``),
is still a row: it comes back with a ``problem`` and no ``input``. A
broken CSV record (a stray quote) may span many lines: it is one row, ``line`` to
``end_line``, and nothing inside it is ever sent as a row of its own.

Every readable row carries ``key``, an identity of its content (the encoded properties
and associations), which ``--resume`` matches instead of row numbers.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from .._core.convert import dump_input
from .._core.models import Association, AssociationSpec, ObjectInput

__all__ = [
    "CSV_FIELD_LIMIT",
    "EMPTY_ROW",
    "Format",
    "InputFileError",
    "Record",
    "content_key",
    "detect_format",
    "read_records",
]

Format = Literal["csv", "jsonl"]

#: csv's field limit while hubcrm reads a file. The default (131,072 characters) makes
#: the reader give up inside a long quoted cell and start again in the middle of it,
#: reading the cell's own lines as rows. Above any real cell (HubSpot stores at most
#: 65,536 characters per value, and rejects longer ones row by row), below C's long.
CSV_FIELD_LIMIT = 2**31 - 1


class InputFileError(Exception):
    """The file cannot be read at all (missing, unreadable, or a bad CSV header).

    Args:
        path: The file.
        line: The 1-based line of the problem, when there is one.
        reason: What is wrong.
    """

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Record:
    """One data row of the input file.

    Attributes:
        row: 1-based number of the data record (CSV header and blank lines excluded).
        line: 1-based file line where the record starts.
        data: The row as read: its properties (CSV) or the decoded JSON object, or the
            raw text / list of cells when it could not be read.
        input: The encoded input, or ``None`` when the row has a problem.
        problem: Why the row cannot be sent.
        kind: ``"malformed"`` (the file is broken there) or ``"invalid"`` (well-formed
            but a value cannot be encoded).
    """

    row: int
    line: int
    data: Any
    input: ObjectInput | None = None
    problem: str | None = None
    kind: Literal["malformed", "invalid"] = "malformed"
    end_line: int = 0
    key: str | None = None

    @property
    def last_line(self) -> int:
        """The file line where the record ends (``line`` unless it spans lines)."""
        return max(self.line, self.end_line)


def content_key(obj: ObjectInput) -> str:
    """An identity of a row's content: a hash of its encoded properties and associations.

    Two rows have the same key exactly when they would send the same request body, so
    the key survives edits elsewhere in the file, a change of format (CSV or JSONL) and
    renumbering. It reveals nothing of the values.
    """
    body = dump_input(obj)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def detect_format(path: str, explicit: str | None) -> Format:
    """The format named by ``--format``, else by the file's extension.

    Raises:
        InputFileError: The extension is not one of ``.csv``, ``.jsonl``, ``.ndjson``
            or ``.json`` (read as JSON Lines).
    """
    if explicit == "csv":
        return "csv"
    if explicit == "jsonl":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise InputFileError(path, None, "cannot tell the format from the extension; use --format")


def _raw_lines(handle: BinaryIO, limit: int | None) -> Iterator[bytes]:
    """The lines of ``handle``, or of its first ``limit`` bytes."""
    if limit is None:
        yield from handle
        return
    left = limit
    while left > 0:
        raw = handle.readline(left)
        if not raw:
            return
        left -= len(raw)
        yield raw


def _decoded_lines(handle: Iterator[bytes], bad: dict[int, str]) -> Iterator[str]:
    for number, raw in enumerate(handle, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = f"invalid UTF-8 at byte {exc.start + 1} of the line"
            yield raw.decode("utf-8", "replace")


def read_records(
    path: str, fmt: Format, *, name: str | None = None, limit: int | None = None
) -> Iterator[Record]:
    """Yield every data row of ``path`` in file order.

    Args:
        path: The file to read.
        fmt: Its format.
        name: The file's name in error messages (the user's name for a spooled copy).
        limit: Read only the first ``limit`` bytes (the file's size when an import
            began: rows appended while it runs are left for a later run).

    Raises:
        InputFileError: The file cannot be opened, or its CSV header is unusable.
    """
    shown = path if name is None else name
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InputFileError(shown, None, exc.strerror or str(exc)) from None
    with handle:
        lines = _raw_lines(handle, limit)
        if fmt == "csv":
            yield from _csv_records(shown, lines)
        else:
            yield from _jsonl_records(shown, lines)


#: Why a row without a single property value is not sent.
EMPTY_ROW = "the row has no property values (every field is empty): it would create a blank record"


def _build(
    row: int, line: int, data: Any, properties: Mapping[str, Any], assoc: Any, end_line: int = 0
) -> Record:
    if all(value == "" for value in properties.values()):
        return Record(row, line, data, problem=EMPTY_ROW, kind="invalid", end_line=end_line)
    try:
        obj = ObjectInput(dict(properties), associations=assoc)
    except (TypeError, ValueError) as exc:
        return Record(row, line, data, problem=str(exc), kind="invalid", end_line=end_line)
    return Record(row, line, data, input=obj, end_line=end_line, key=content_key(obj))


def _span(start: int, end: int) -> str:
    return f"line {start}" if end <= start else f"lines {start}-{end}"


def _csv_records(path: str, handle: Iterator[bytes]) -> Iterator[Record]:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    bad: dict[int, str] = {}
    reader = csv.reader(_decoded_lines(handle, bad), strict=True)
    header: list[str] | None = None
    row = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = max(start, reader.line_num)
            if header is None:
                raise InputFileError(path, start, f"bad CSV header: {exc}") from None
            row += 1
            yield Record(row, start, None, problem=_bad_csv(exc, start, end), end_line=end)
            continue
        end = max(start, reader.line_num)
        if not cells:  # a blank line is not a row
            continue
        encoding = next((bad[n] for n in range(start, end + 1) if n in bad), None)
        if header is None:
            if encoding is not None:
                raise InputFileError(path, start, encoding)
            header = [name.strip() for name in cells]
            if any(not name for name in header):
                raise InputFileError(path, start, "the header has an empty column name")
            dupes = sorted({name for name in header if header.count(name) > 1})
            if dupes:
                raise InputFileError(path, start, f"duplicate columns in the header: {dupes}")
            continue
        row += 1
        if encoding is not None:
            yield Record(row, start, cells, problem=encoding, end_line=end)
        elif len(cells) != len(header):
            reason = f"expected {len(header)} fields, found {len(cells)}"
            if end > start:
                reason += f" in {_span(start, end)} (is a quote missing or stray?)"
            yield Record(row, start, cells, problem=reason, end_line=end)
        else:
            properties = {
                name: value for name, value in zip(header, cells, strict=True) if value != ""
            }
            yield _build(row, start, properties, properties, (), end)
    if header is None:
        raise InputFileError(path, None, "the file is empty: a CSV needs a header row")


def _bad_csv(exc: csv.Error, start: int, end: int) -> str:
    if end <= start:
        return f"bad CSV: {exc}"
    return (
        f"bad CSV: {exc}: a quoted cell in the row starting on line {start} runs to line "
        f"{end}, so {_span(start, end)} are one malformed row (is a quote stray or missing?)"
    )


def _association(value: Any) -> Association:
    if not isinstance(value, Mapping):
        raise ValueError("an association must be an object with 'to' and 'types'")
    to = value.get("to")
    to_id = to.get("id") if isinstance(to, Mapping) else to
    types = value.get("types")
    if not isinstance(types, list):
        raise ValueError("an association's 'types' must be a list")
    specs: list[AssociationSpec | int] = []
    for entry in types:
        if isinstance(entry, Mapping):
            type_id: Any = entry.get("associationTypeId")
            specs.append(
                AssociationSpec(type_id, entry.get("associationCategory", "HUBSPOT_DEFINED"))
            )
        else:
            specs.append(entry)
    if not isinstance(to_id, (str, int)):
        raise ValueError("an association's 'to' must be a record id or {'id': ...}")
    return Association(to_id, specs)


def _jsonl_records(path: str, handle: Iterator[bytes]) -> Iterator[Record]:
    bad: dict[int, str] = {}
    row = 0
    for number, text in enumerate(_decoded_lines(handle, bad), 1):
        if not text.strip():
            continue
        row += 1
        if number in bad:
            yield Record(row, number, text.rstrip("\r\n"), problem=bad[number])
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            yield Record(row, number, text.rstrip("\r\n"), problem=f"invalid JSON: {exc}")
            continue
        except RecursionError:
            reason = "invalid JSON: nested too deeply to read"
            yield Record(row, number, text.rstrip("\r\n"), problem=reason)
            continue
        if not isinstance(data, dict):
            yield Record(row, number, data, problem="expected a JSON object")
            continue
        if isinstance(data.get("properties"), dict):
            extra = set(data) - {"properties", "associations"}
            if extra:
                reason = f"unexpected keys next to 'properties': {sorted(extra)}"
                yield Record(row, number, data, problem=reason)
                continue
            properties = data["properties"]
            raw_assoc = data.get("associations") or []
        else:
            properties, raw_assoc = data, []
        properties = {k: v for k, v in properties.items() if v is not None}
        try:
            if not isinstance(raw_assoc, list):
                raise ValueError("'associations' must be a list")
            associations = [_association(a) for a in raw_assoc]
        except (TypeError, ValueError) as exc:
            yield Record(row, number, data, problem=f"bad association: {exc}", kind="invalid")
            continue
        yield _build(row, number, data, properties, associations)
