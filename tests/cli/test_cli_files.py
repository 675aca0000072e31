"""``hubcrm import`` against hostile files: collisions, edits, malformed input, full disks."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support_cli import cli_runner, writes

from hubcrm.cli import _run as _cli_run
from hubcrm.cli import _terminal_reason, cli
from hubcrm.cli._files import LineWriter
from hubcrm.cli._input import Record
from hubcrm.testing import Emulator

HEADER = "email,firstname,lifecyclestage\n"
DEAL = {"dealstage": "appointmentscheduled", "pipeline": "default"}

pytestmark = pytest.mark.hubspot_emulator(rate_limit=None)


def run(*args: str) -> Result:
    return cli_runner().invoke(cli, list(args), catch_exceptions=False)


def remote(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.token]


def lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a results or errors file, without the results' run line."""
    found = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [d for d in found if "hubcrm_results" not in d]


def contacts(n: int, start: int = 1) -> list[str]:
    return [f"user{i}@example.com,User {i},lead" for i in range(start, start + n)]


def csv_file(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), "utf-8")
    return path


def deals_file(path: Path, names: list[str]) -> Path:
    path.write_text("".join(json.dumps({**DEAL, "dealname": n}) + "\n" for n in names), "utf-8")
    return path


def deal_names(emu: Emulator) -> list[str]:
    return sorted(o["properties"]["dealname"] for o in emu.objects("deals"))


# --- outputs that would collide ---------------------------------------------------------


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
@pytest.mark.parametrize("resume", [False, True])
def test_results_and_errors_naming_one_file_are_refused(
    hubspot_emulator: Emulator, tmp_path: Path, link: str, resume: bool
) -> None:
    path = csv_file(tmp_path / "in.csv", contacts(3))
    results = tmp_path / "out.jsonl"
    results.write_text("", "utf-8")
    errors = tmp_path / "other.jsonl"
    if link == "same":
        errors = results
    elif link == "symlink":
        errors.symlink_to(results)
    else:
        os.link(results, errors)
    extra = ["--resume"] if resume else []
    args = ["--results", str(results), "--errors", str(errors), *extra]
    result = run("import", "contacts", str(path), *remote(hubspot_emulator), *args)
    assert result.exit_code == 2
    assert "--results and --errors name the same file" in result.stderr
    assert writes(hubspot_emulator) == 0


@pytest.mark.parametrize("flag", ["--errors", "--results"])
@pytest.mark.parametrize("via_symlink", [False, True])
def test_an_output_naming_the_input_is_refused_and_the_input_kept(
    hubspot_emulator: Emulator, tmp_path: Path, flag: str, via_symlink: bool
) -> None:
    path = csv_file(tmp_path / "in.csv", contacts(3))
    before = path.read_bytes()
    target = path
    if via_symlink:
        target = tmp_path / "alias.csv"
        target.symlink_to(path)
    extra = ["--resume"] if flag == "--results" else []
    result = run(
        "import", "contacts", str(path), *remote(hubspot_emulator), flag, str(target), *extra
    )
    assert result.exit_code == 2
    assert "is the input file" in result.stderr
    assert path.read_bytes() == before
    assert writes(hubspot_emulator) == 0


# --- --resume by content ----------------------------------------------------------------


def test_resume_after_a_row_inserted_at_the_top_creates_each_row_once(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    results = tmp_path / "r.jsonl"
    args = [*remote(hubspot_emulator), "--results", str(results)]
    first = deals_file(tmp_path / "deals.jsonl", [f"d{i}" for i in range(1, 6)])
    assert run("import", "deals", str(first), *args).exit_code == 0
    # The file grows, and a row is inserted at the top: every row number shifts by one.
    deals_file(first, ["new", *(f"d{i}" for i in range(1, 11))])
    result = run("import", "deals", str(first), *args, "--resume")
    assert result.exit_code == 0, result.output
    assert deal_names(hubspot_emulator) == sorted(["new", *(f"d{i}" for i in range(1, 11))])
    recorded = lines(results)
    assert sorted(r["row"] for r in recorded[5:]) == [1, 7, 8, 9, 10, 11]
    assert {r["object_type"] for r in recorded} == {"deals"}
    assert len({r["content"] for r in recorded}) == 11


def test_resume_with_identical_rows_needs_one_result_per_row(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    results = tmp_path / "r.jsonl"
    args = [*remote(hubspot_emulator), "--results", str(results)]
    path = deals_file(tmp_path / "deals.jsonl", ["same"])
    assert run("import", "deals", str(path), *args).exit_code == 0
    deals_file(path, ["other", "same", "same"])  # the same deal twice, on purpose
    assert run("import", "deals", str(path), *args, "--resume").exit_code == 0
    assert deal_names(hubspot_emulator) == ["other", "same", "same"]


def test_resume_after_fixing_a_stray_quote(hubspot_emulator: Emulator, tmp_path: Path) -> None:
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    args = [*remote(hubspot_emulator), "--results", str(results), "--errors", str(errors)]
    rows = contacts(6)
    broken = list(rows)
    broken[1] = 'user2@example.com,"User 2,lead'  # a stray quote: swallows rows 3-4
    broken[4] = 'user5@example.com,"User" 5,lead'  # where the quote finally closes
    path = csv_file(tmp_path / "in.csv", broken)
    first = run("import", "contacts", str(path), *args)
    assert first.exit_code == 1
    [error] = lines(errors)
    assert (error["row"], error["line"], error["end_line"]) == (2, 3, 6)
    assert f"{path}:3: row 2: bad CSV" in first.stderr
    assert "lines 3-6 are one malformed row" in first.stderr
    created = {o["properties"]["email"] for o in hubspot_emulator.objects("contacts")}
    assert created == {"user1@example.com", "user6@example.com"}  # no fragments
    csv_file(path, rows)  # fixed: every row number after row 2 changes
    result = run("import", "contacts", str(path), *args, "--resume")
    assert result.exit_code == 0, result.output
    emails = [o["properties"]["email"] for o in hubspot_emulator.objects("contacts")]
    assert sorted(emails) == sorted(f"user{i}@example.com" for i in range(1, 7))
    assert hubspot_emulator.stats.responses_by_status.get(409, 0) == 0


def test_results_of_another_object_type_are_refused(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    results = tmp_path / "r.jsonl"
    path = csv_file(tmp_path / "in.csv", contacts(3))
    args = [*remote(hubspot_emulator), "--results", str(results)]
    assert run("import", "contacts", str(path), *args).exit_code == 0
    requests = writes(hubspot_emulator)
    deals = deals_file(tmp_path / "deals.jsonl", ["a", "b", "c"])
    result = run("import", "deals", str(deals), *args, "--resume")
    assert result.exit_code == 2
    assert "records an import of contacts, not deals" in result.stderr
    assert writes(hubspot_emulator) == requests
    assert hubspot_emulator.count("deals") == 0


def test_created_rows_gone_from_the_file_refuse_unless_allowed(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    results = tmp_path / "r.jsonl"
    args = [*remote(hubspot_emulator), "--results", str(results)]
    path = deals_file(tmp_path / "deals.jsonl", ["a", "b"])
    assert run("import", "deals", str(path), *args).exit_code == 0
    requests = writes(hubspot_emulator)
    deals_file(path, ["a", "B (edited)", "c"])  # "b" was created, then edited
    refused = run("import", "deals", str(path), *args, "--resume")
    assert refused.exit_code == 2
    assert "1 row(s) recorded as created" in refused.stderr
    assert f"{results}:3 (row 2 of the run that created it)" in refused.stderr  # 1: run line
    assert "--allow-removed" in refused.stderr
    assert writes(hubspot_emulator) == requests
    allowed = run("import", "deals", str(path), *args, "--resume", "--allow-removed")
    assert allowed.exit_code == 0, allowed.output
    assert deal_names(hubspot_emulator) == ["B (edited)", "a", "b", "c"]
    # Removed rows with nothing else to send: a note, no refusal.
    deals_file(path, ["a"])
    alone = run("import", "deals", str(path), *args, "--resume")
    assert alone.exit_code == 0, alone.output
    assert "no longer in" in alone.stderr
    assert hubspot_emulator.count("deals") == 4


def test_results_of_older_versions_match_by_row_number(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    results = tmp_path / "r.jsonl"
    # Two lines as older versions wrote them, the second glued onto the first by the
    # missing-newline bug, and no final newline.
    results.write_text('{"row": 1, "line": 2, "id": "1"}{"row": 2, "line": 3, "id": "2"}')
    path = csv_file(tmp_path / "in.csv", contacts(4))
    args = [*remote(hubspot_emulator), "--results", str(results), "--resume"]
    result = run("import", "contacts", str(path), *args)
    assert result.exit_code == 0, result.output
    assert "matched by row number" in result.stderr
    emails = sorted(o["properties"]["email"] for o in hubspot_emulator.objects("contacts"))
    assert emails == ["user3@example.com", "user4@example.com"]
    written = results.read_text("utf-8").splitlines()
    # The old line ended, a run line (the file recorded no start), one line per result.
    assert len(written) == 4
    assert json.loads(written[1])["hubcrm_results"] == 1
    assert [json.loads(line)["row"] for line in written[2:]] == [3, 4]


def test_a_line_that_is_not_a_result_is_refused(hubspot_emulator: Emulator, tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text('{"row": 1, "line": 2, "id": "1", "content": "x"}\n{"row": 2, "li\n')
    path = csv_file(tmp_path / "in.csv", contacts(3))
    args = [*remote(hubspot_emulator), "--results", str(results), "--resume"]
    result = run("import", "contacts", str(path), *args)
    assert result.exit_code == 2
    assert f"{results}:2: not a result line" in result.stderr
    assert writes(hubspot_emulator) == 0


def test_a_results_file_without_a_final_newline_is_appended_to_safely(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    results = tmp_path / "r.jsonl"
    path = deals_file(tmp_path / "deals.jsonl", ["a", "b"])
    args = [*remote(hubspot_emulator), "--results", str(results)]
    assert run("import", "deals", str(path), *args).exit_code == 0
    results.write_bytes(results.read_bytes().rstrip(b"\n"))  # as an editor may leave it
    deals_file(path, ["a", "b", "c"])
    assert run("import", "deals", str(path), *args, "--resume").exit_code == 0
    assert [r["row"] for r in lines(results)] == [1, 2, 3]
    deals_file(path, ["a", "b", "c", "d"])
    assert run("import", "deals", str(path), *args, "--resume").exit_code == 0
    assert deal_names(hubspot_emulator) == ["a", "b", "c", "d"]


# --- malformed input --------------------------------------------------------------------


def test_a_quoted_cell_longer_than_csv_field_limit_is_one_row(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    long_cell = "x" * 140_000 + "\nevil@example.com,Evil,lead\n" + "y" * 10
    path = tmp_path / "in.csv"
    path.write_text(
        HEADER + "a@example.com,A,lead\n" + f'b@example.com,"{long_cell}",lead\n'
        "c@example.com,C,lead\n",
        "utf-8",
    )
    results = tmp_path / "r.jsonl"
    result = run(
        "import", "contacts", str(path), *remote(hubspot_emulator), "--results", str(results)
    )
    assert "Traceback" not in result.output
    emails = {o["properties"]["email"] for o in hubspot_emulator.objects("contacts")}
    assert "evil@example.com" not in emails  # a line inside a quoted value is not a row
    assert {"a@example.com", "c@example.com"} <= emails
    rows = {r["row"]: r["line"] for r in lines(results)}
    assert rows[1] == 2
    assert rows[3] == 6  # row 2 is lines 3-5: one row, however long its cell


def test_deeply_nested_jsonl_is_a_row_error(hubspot_emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "deals.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    nested = '{"dealname": ' + "[" * 900 + "]" * 900 + "}"
    path.write_text(
        json.dumps({**DEAL, "dealname": "ok"}) + "\n" + deep + "\n" + nested + "\n", "utf-8"
    )
    errors = tmp_path / "e.jsonl"
    result = run("import", "deals", str(path), *remote(hubspot_emulator), "--errors", str(errors))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}:2: row 2: invalid JSON: nested too deeply" in result.stderr
    assert [(e["row"], e["status"]) for e in lines(errors)] == [(2, "malformed"), (3, "invalid")]
    assert deal_names(hubspot_emulator) == ["ok"]


def test_property_values_never_reach_the_terminal(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps({"email": "a@example.com", "hs_tags": ["fine", "SECRET;VALUE"]}) + "\n"
    )
    errors = tmp_path / "e.jsonl"
    result = run(
        "import", "contacts", str(path), *remote(hubspot_emulator), "--errors", str(errors)
    )
    assert result.exit_code == 1
    assert "option 2 contains ';'" in result.stderr
    assert "SECRET" not in result.output
    [error] = lines(errors)  # the errors file is the user's own copy of the row
    assert error["input"]["hs_tags"] == ["fine", "SECRET;VALUE"]


def test_a_message_quoting_a_value_is_replaced_on_the_terminal() -> None:
    data = {"email": "a@example.com", "note": "SECRET"}
    quoting = Record(1, 2, data, problem="property 'note': 'SECRET' is bad", kind="invalid")
    assert "SECRET" not in _terminal_reason(quoting)
    assert "in --errors" in _terminal_reason(quoting)
    plain = Record(1, 2, data, problem="property 'note': cannot encode bytes", kind="invalid")
    assert _terminal_reason(plain) == "property 'note': cannot encode bytes"


def test_the_summarys_messages_leave_the_values_out() -> None:
    from hubcrm.cli._state import _shown_message

    row = Record(1, 2, {"email": "ada@example.com", "note": "SECRET"})
    invalid = (
        'Property values were not valid: [{"isValid":false,"message":"Email address '
        'ada@example.com is invalid","error":"INVALID_EMAIL","name":"email"}]'
    )
    assert _shown_message(row, invalid) == "Property values were not valid: email (INVALID_EMAIL)"
    quoting = "Unique value SECRET is already taken"
    assert _shown_message(row, quoting) == "(the message quotes a value of the row: see --errors)"
    plain = "Contact already exists. Existing ID: 1001"
    assert _shown_message(row, plain) == plain


# --- output failures --------------------------------------------------------------------


def test_a_full_disk_mid_run_stops_and_prints_what_was_created(
    hubspot_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "r.jsonl"
    path = deals_file(tmp_path / "deals.jsonl", [f"d{i}" for i in range(1, 101)])
    writes = {"n": 0}
    original = LineWriter._write

    def fill_up(self: LineWriter, data: memoryview) -> int:
        if self.path == str(results):
            writes["n"] += 1
            if writes["n"] == 14:  # (the run line, 12 results) half a line, then full
                os.write(self.fd, data[:7])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            if writes["n"] > 14:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return original(self, data)

    monkeypatch.setattr(LineWriter, "_write", fill_up)
    args = [*remote(hubspot_emulator), "--results", str(results), "--batch-size", "5"]
    result = run("import", "deals", str(path), *args, "--concurrency", "2")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"cannot write {results}: No space left on device: stopped sending" in result.stderr
    recorded = lines(results)  # whole lines only: the half line was cut off again
    assert len(recorded) == 12
    printed = [json.loads(x) for x in result.stderr.splitlines() if x.startswith('{"row"')]
    created = hubspot_emulator.count("deals")
    assert len(recorded) + len(printed) == created < 100  # stopped, every creation recorded
    assert "--resume" in result.stdout
    # Do as told: add the printed lines, then resume.
    monkeypatch.setattr(LineWriter, "_write", original)
    with results.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(x) + "\n" for x in printed)
    again = run("import", "deals", str(path), *args, "--resume")
    assert again.exit_code == 0, again.output
    assert deal_names(hubspot_emulator) == sorted(f"d{i}" for i in range(1, 101))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_unwritable_results_file_stops_the_import_before_it_sends(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    """The run line is written before the first request: a results file that takes no
    line is found out before anything is created."""
    path = deals_file(tmp_path / "deals.jsonl", [f"d{i}" for i in range(1, 31)])
    args = [*remote(hubspot_emulator), "--results", "/dev/full", "--batch-size", "10"]
    result = run("import", "deals", str(path), *args, "--concurrency", "1")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "cannot write /dev/full: No space left on device" in result.stderr
    assert "nothing was sent" in result.stderr
    assert writes(hubspot_emulator) == 0


# --- pipes and Ctrl-C -------------------------------------------------------------------


def hubcrm(*args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hubcrm.cli", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "HUBSPOT_ACCESS_TOKEN": "test-token"},
    )


def test_a_pipe_is_read_once(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    process = hubcrm(
        "import", "contacts", "/dev/stdin", "--format", "csv", "--emulator",
        "--results", str(results), stdin=subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = process.communicate(HEADER + "".join(r + "\n" for r in contacts(3)), 120)
    assert process.returncode == 0, stderr
    assert "The emulator stored 3 contacts." in stdout
    assert [r["row"] for r in lines(results)] == [1, 2, 3]


def test_ctrl_c_while_reading_the_file_exits_130_without_a_traceback(tmp_path: Path) -> None:
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    process = hubcrm("import", "contacts", str(fifo), "--emulator")
    try:
        with open(fifo, "w", encoding="utf-8") as writer:  # returns once hubcrm reads it
            writer.write(HEADER + contacts(1)[0] + "\n")
            writer.flush()
            process.send_signal(signal.SIGINT)
        # The pipe is closed before waiting: hubcrm may still be reading it when the
        # signal lands, and it must see the end of the file, not wait for more.
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted before the import started: nothing was sent" in stderr


def test_reordered_rows_in_another_format_are_the_same_rows(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    results = tmp_path / "r.jsonl"
    args = [*remote(hubspot_emulator), "--results", str(results)]
    as_csv = tmp_path / "deals.csv"
    as_csv.write_text(
        "dealname,dealstage,pipeline\n" + "".join(f"d{i},{DEAL['dealstage']},default\n"
        for i in range(3)),
        "utf-8",
    )  # fmt: skip
    assert run("import", "deals", str(as_csv), *args).exit_code == 0
    requests = writes(hubspot_emulator)
    as_jsonl = deals_file(tmp_path / "deals.jsonl", ["d2", "d1", "d0"])
    result = run("import", "deals", str(as_jsonl), *args, "--resume")
    assert result.exit_code == 0, result.output
    assert writes(hubspot_emulator) == requests
    assert hubspot_emulator.count("deals") == 3


def test_an_output_that_cannot_be_opened_is_refused_before_sending(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    path = csv_file(tmp_path / "in.csv", contacts(2))
    for flag in ("--results", "--errors"):
        result = run(
            "import", "contacts", str(path), *remote(hubspot_emulator), flag,
            str(tmp_path / "missing-folder" / "out.jsonl"),
        )  # fmt: skip
        assert result.exit_code == 2
        assert "cannot write" in result.stderr
        assert "nothing was sent" in result.stderr
    assert writes(hubspot_emulator) == 0


def test_a_file_changed_during_the_import_stops_it(
    hubspot_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "r.jsonl"
    args = [*remote(hubspot_emulator), "--results", str(results)]
    path = deals_file(tmp_path / "deals.jsonl", ["a"])
    assert run("import", "deals", str(path), *args).exit_code == 0
    deals_file(path, ["a", "b", "c"])
    changed = deals_file(tmp_path / "changed.jsonl", ["A", "b", "c"])
    reads: list[str] = []
    original = _cli_run.read_records

    def read_records(source: str, fmt: Any, *, name: str | None = None, limit: Any = None) -> Any:
        reads.append(source)  # the check reads FILE, then the import reads it again
        return original(str(changed) if len(reads) > 1 else source, fmt, name=name, limit=limit)

    monkeypatch.setattr(_cli_run, "read_records", read_records)
    result = run("import", "deals", str(path), *args, "--resume")
    assert result.exit_code == 1
    assert "changed while it was being imported" in result.stderr
    assert deal_names(hubspot_emulator) == ["a"]


def test_paths_that_look_like_markup_are_printed_as_they_are(tmp_path: Path) -> None:
    # "[/]" closes a style in rich's markup and "[bold]" opens one: printed as text.
    (tmp_path / "d[").mkdir()
    data = csv_file(tmp_path / "in[bold].csv", [*contacts(2), "not-an-email,Bad,lead"])
    results, errors = tmp_path / "d[" / "]r.jsonl", tmp_path / "e[bold].jsonl"
    assert "[/]" in str(results)
    result = run(
        "import", "contacts", str(data), "--emulator", "--results", str(results),
        "--errors", str(errors),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    shown = " ".join(result.output.split())  # the console wraps long lines
    assert f"results: {results}" in shown
    assert f"errors: {errors}" in shown
    assert len(lines(results)) == 2
    assert len(lines(errors)) == 1


def test_a_stopped_run_is_reported_once_in_the_command_s_own_words(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    # A process of its own: pytest's log capture would hide the library's line anyway.
    data = csv_file(tmp_path / "in.csv", contacts(2))
    # The token is refused once the import has begun (revoked, say).
    hubspot_emulator.faults.error_before(401, operation="batch_create")
    process = hubcrm("import", "contacts", str(data), *remote(hubspot_emulator))
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "stopped by AuthenticationError" in stderr
    assert "bulk creation of contacts" not in stdout + stderr  # the library's log line


def test_the_progress_bar_is_drawn_on_stderr_with_an_eta_from_the_average_rate() -> None:
    import io

    from rich.console import Console

    from hubcrm.cli import _eta, _progress

    assert _eta(1_000, 10.0) == "0:01:40"
    assert _eta(0, 10.0) == "0:00:00"
    assert _eta(5, 0.0) == "-"
    snap = {"done": 250.0, "created": 250.0, "failed": 0.0, "rate": 50.0, "wait": 0.0}
    err_file = io.StringIO()
    err = Console(file=err_file, force_terminal=True, width=200)
    with _progress(err, 1_000, "contacts") as progress:
        progress(snap)
    assert "ETA 0:00:15" in err_file.getvalue()  # 750 rows left at 50 rows/s
    # Not a terminal (CI, a pipe): plain lines, on stderr still (stdout is the summary's).
    plain_file = io.StringIO()
    with _progress(Console(file=plain_file, force_terminal=False), 1_000, "contacts") as plain:
        plain(snap, final=True)
    assert plain_file.getvalue().startswith("progress: 250/1,000 rows, 250 created")
