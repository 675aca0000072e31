"""Property: whatever the file, the interruption and the edits before ``--resume``,
every row valid in the final file exists exactly once.

Hypothesis draws a CSV or JSONL file of deals (some rows malformed: a stray quote, or a
JSON line cut short), runs ``hubcrm import`` and stops it after N outcomes (as the
first Ctrl-C does) or fills the disk under ``--results`` after N lines, edits the file
(inserts rows, deletes rows, fixes malformed rows), and resumes. Deals have no unique
property, so a row created twice would show as two deals in the emulator.
"""

from __future__ import annotations

import errno
import json
import os
import string
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support_cli import cli_runner, writes

from hubcrm import cli as cli_module
from hubcrm.cli._files import LineWriter
from hubcrm.cli._input import read_records
from hubcrm.testing import Emulator

STAGE, PIPELINE = "appointmentscheduled", "default"

names = st.text(string.ascii_letters + string.digits + " ", min_size=1, max_size=8).map(
    lambda s: s.strip() or "x"
)


def render(rows: list[tuple[str, bool]], fmt: str) -> str:
    """The file for rows of (unique dealname, well-formed?)."""
    out = ["dealname,dealstage,pipeline\n"] if fmt == "csv" else []
    for name, good in rows:
        if fmt == "csv":
            out.append(f"{'' if good else chr(34)}{name},{STAGE},{PIPELINE}\n")  # stray quote
        else:
            line = json.dumps({"dealname": name, "dealstage": STAGE, "pipeline": PIPELINE})
            out.append((line if good else line[:-1]) + "\n")  # cut short: invalid JSON
    return "".join(out)


def stored_names(emu: Emulator) -> list[str]:
    return [o["properties"]["dealname"] for o in emu.objects("deals")]


def invoke(args: list[str]) -> Result:
    return cli_runner().invoke(cli_module.cli, args, catch_exceptions=False)


def interrupted_run(args: list[str], kind: str, after: int, results: Path) -> Result:
    """One run, stopped by a Ctrl-C after ``after`` outcomes or a full disk."""
    with pytest.MonkeyPatch.context() as mp:
        if kind == "ctrl-c":
            seen = {"n": 0}
            outcome = cli_module._Import._outcome

            def counting(self: Any, record: Any, result: Any) -> None:
                outcome(self, record, result)
                seen["n"] += 1
                if seen["n"] == after and not self.interrupted:
                    self.interrupt()

            mp.setattr(cli_module._Import, "_outcome", counting)
        elif kind == "disk-full":
            writes = {"n": 0}
            write = LineWriter._write

            def filling(self: LineWriter, data: memoryview) -> int:
                if self.path == str(results):
                    writes["n"] += 1
                    if writes["n"] > after:
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return write(self, data)

            mp.setattr(LineWriter, "_write", filling)
        result = invoke(args)
    if kind == "disk-full":  # do what the message says: keep the printed lines
        printed = [x for x in result.stderr.splitlines() if x.startswith('{"row"')]
        with results.open("a", encoding="utf-8") as fh:
            fh.writelines(x + "\n" for x in printed)
    return result


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.hubspot_emulator(rate_limit=None)
def test_every_valid_row_exists_exactly_once_after_resume(
    hubspot_emulator: Emulator, tmp_path: Path, data: st.DataObject
) -> None:
    emu = hubspot_emulator
    emu.reset()
    fmt = data.draw(st.sampled_from(["csv", "jsonl"]), "format")
    all_names = data.draw(st.lists(names, min_size=2, max_size=40, unique=True), "names")
    split = data.draw(st.integers(1, len(all_names)), "initial rows")
    pool = all_names[split:]  # names for rows inserted later
    rows = [(n, data.draw(st.sampled_from([True, True, True, False]), n)) for n in all_names]
    rows = rows[:split]
    folder = tmp_path / f"ex{os.urandom(4).hex()}"
    folder.mkdir()
    path, results = folder / f"deals.{fmt}", folder / "results.jsonl"
    path.write_text(render(rows, fmt), "utf-8")
    batch = data.draw(st.integers(1, 4), "batch size")
    args = [
        "import", "deals", str(path), "--base-url", emu.base_url, "--token", emu.token,
        "--results", str(results), "--batch-size", str(batch), "--concurrency", "2",
    ]  # fmt: skip

    kind = data.draw(st.sampled_from(["ctrl-c", "disk-full", "none"]), "interruption")
    after = data.draw(st.integers(1, max(1, split - 1)), "after")
    first = interrupted_run(args, kind, after, results)
    assert first.exit_code in (0, 1, 130), first.output
    assert "Traceback" not in first.output
    created_first = set(stored_names(emu))
    assert len(stored_names(emu)) == len(created_first)  # nothing created twice

    # Edits between the run and its resume.
    deleted: set[str] = set()
    for _ in range(data.draw(st.integers(0, 4), "edits")):
        edit = data.draw(st.sampled_from(["insert", "delete", "fix"]), "edit")
        if edit == "insert" and pool:
            at = data.draw(st.integers(0, len(rows)), "at")
            rows.insert(at, (pool.pop(), data.draw(st.sampled_from([True, True, False]))))
        elif edit == "delete" and rows:
            name, _ = rows.pop(data.draw(st.integers(0, len(rows) - 1), "which"))
            deleted.add(name)
        elif edit == "fix":
            broken = [i for i, (_, good) in enumerate(rows) if not good]
            if broken:
                i = data.draw(st.sampled_from(broken), "fix which")
                rows[i] = (rows[i][0], True)
    path.write_text(render(rows, fmt), "utf-8")

    records = list(read_records(str(path), fmt))
    valid = [r.data["dealname"] for r in records if r.input is not None]
    finals = {name for name, _ in rows}
    assert set(valid) <= finals  # the reader never makes a row out of a fragment
    if all(good for _, good in rows):
        assert sorted(valid) == sorted(finals)

    before = writes(emu)
    resumed = invoke([*args, "--resume"])
    event(f"{kind}: first run exit {first.exit_code}, resume exit {resumed.exit_code}")
    event(f"edits deleted created rows: {bool(deleted & created_first)}")
    if resumed.exit_code == 2:
        # Refused only because a created row is no longer a row of the file; nothing sent.
        assert "--allow-removed" in resumed.stderr
        assert created_first - set(valid)
        assert writes(emu) == before
        resumed = invoke([*args, "--resume", "--allow-removed"])
    assert "Traceback" not in resumed.output
    assert resumed.exit_code == (0 if len(valid) == len(records) else 1), resumed.output

    # The property: every valid row exists exactly once, and the resume created nothing
    # else (the other records are rows the first run created, since removed or broken).
    stored = Counter(stored_names(emu))
    assert all(count == 1 for count in stored.values()), stored
    assert set(valid) <= set(stored)
    assert set(stored) - set(valid) <= created_first

    # And once more: nothing is left to send.
    requests = writes(emu)
    again = invoke([*args, "--resume", "--allow-removed"])
    assert again.exit_code == resumed.exit_code
    assert writes(emu) == requests
