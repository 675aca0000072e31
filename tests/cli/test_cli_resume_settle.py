"""``--resume`` settles the rows an earlier run left unknown: a resent row that meets a
record made since the import first began is created (with that record's id); a record
older than the import stays a real CONFLICT."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import Result
from support_cli import cli_runner, writes

from hubcrm import HubCRM
from hubcrm import cli as cli_module
from hubcrm._write.recovery import CLOCK_SKEW
from hubcrm.cli import _state as _cli_state
from hubcrm.testing import Emulator

pytestmark = pytest.mark.hubspot_emulator(rate_limit=None)

N = 30


def contacts_file(path: Path) -> Path:
    path.write_text(
        "email,firstname\n" + "".join(f"user{i}@example.com,User {i}\n" for i in range(1, N + 1)),
        "utf-8",
    )
    return path


def run(*args: str) -> Result:
    return cli_runner().invoke(cli_module.cli, list(args), catch_exceptions=False)


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    """The JSON lines of a results or errors file, without the results' run line."""
    found = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [d for d in found if "hubcrm_results" not in d]


def created(results: Path) -> list[dict[str, Any]]:
    """The results lines of created rows (not those of rows left unknown)."""
    return [d for d in lines(results) if "id" in d]


def leave_first_batch_unknown(emu: Emulator) -> None:
    """The first batch is committed, its answer lost, and reading it back is refused:
    its 10 rows end "unknown" although their records exist."""
    emu.faults.error_after(502, times=1, operation="batch_create")
    emu.faults.error_before(400, operation="batch_read")


def first_run(emu: Emulator, args: list[str]) -> Result:
    leave_first_batch_unknown(emu)
    result = run(*args)
    emu.faults.clear()
    return result


def import_args(emu: Emulator, tmp_path: Path) -> tuple[list[str], Path, Path]:
    path = contacts_file(tmp_path / "contacts.csv")
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    args = [
        "import", "contacts", str(path), "--base-url", emu.base_url, "--token", emu.token,
        "--batch-size", "10", "--concurrency", "1", "--results", str(results),
        "--errors", str(errors),
    ]  # fmt: skip
    return args, results, errors


def test_rows_left_unknown_end_created_on_resume(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    emu = hubspot_emulator
    args, results, errors = import_args(emu, tmp_path)
    first = first_run(emu, args)
    assert first.exit_code == 1, first.output
    unknown = [e["row"] for e in lines(errors)]
    assert unknown == list(range(1, 11))
    assert {e["status"] for e in lines(errors)} == {"unknown"}
    assert emu.count("contacts") == N  # the unknown rows were committed
    # --results records them too, so that --resume knows them without --errors.
    assert [(d["row"], d["status"]) for d in lines(results) if "id" not in d] == [
        (row, "unknown") for row in range(1, 11)
    ]

    resumed = run(*args, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert lines(errors) == []
    written = created(results)
    assert sorted(d["row"] for d in written) == list(range(1, N + 1))  # each exactly once
    assert emu.count("contacts") == N  # nothing created twice
    id_of = {o["properties"]["email"]: o["id"] for o in emu.objects("contacts")}
    for d in written:
        assert d["id"] == id_of[f"user{d['row']}@example.com"]
        if d["row"] in unknown:
            assert d["new"] is True
    assert "made by an earlier run" in resumed.stdout
    for value in ("user1@example.com", "User 1"):  # no property value on the terminal
        assert value not in resumed.output


def test_results_without_run_started_keep_todays_conflicts(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    """Results written before ``run_started`` existed cannot date the import: no settling."""
    emu = hubspot_emulator
    args, results, errors = import_args(emu, tmp_path)
    assert first_run(emu, args).exit_code == 1
    # As an older hubcrm wrote them: no run line, no run_started.
    old = [{k: v for k, v in d.items() if k != "run_started"} for d in created(results)]
    assert len(old) == N - 10
    results.write_text("".join(json.dumps(d) + "\n" for d in old), "utf-8")

    resumed = run(*args, "--resume")
    assert resumed.exit_code == 1
    assert [(e["row"], e["category"]) for e in lines(errors)] == [
        (row, "CONFLICT") for row in range(1, 11)
    ]


def test_a_contact_older_than_the_import_stays_a_conflict(
    hubspot_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = hubspot_emulator
    args, results, errors = import_args(emu, tmp_path)
    with HubCRM(emu.token, base_url=emu.base_url) as crm:
        before = crm.objects.create("contacts", {"email": "user15@example.com"})
    # The import begins well after that contact was made (more than the clock-skew
    # tolerance): its clock and the emulator's move on together.
    later = 2 * CLOCK_SKEW + 60
    emu.advance_clock(later)
    shifted = SimpleNamespace(time=lambda: time.time() + later, monotonic=time.monotonic)
    with monkeypatch.context() as mp:
        mp.setattr(_cli_state, "time", shifted)  # the clock that dates the run
        first = first_run(emu, args)
    assert first.exit_code == 1, first.output
    assert [(e["row"], e["status"]) for e in lines(errors)] == [
        *((row, "unknown") for row in range(1, 11)),
        (15, "failed"),
    ]

    resumed = run(*args, "--resume")
    assert resumed.exit_code == 1, resumed.output
    conflicts = lines(errors)
    assert [(e["row"], e["category"]) for e in conflicts] == [(15, "CONFLICT")]
    assert before.id in conflicts[0]["message"]
    written = created(results)
    assert sorted(d["row"] for d in written) == [r for r in range(1, N + 1) if r != 15]
    assert before.id not in {d["id"] for d in written}
    assert emu.count("contacts") == N


def test_a_read_back_that_fails_on_resume_leaves_conflicts_and_says_so(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    emu = hubspot_emulator
    args, results, errors = import_args(emu, tmp_path)
    assert first_run(emu, args).exit_code == 1
    assert len(created(results)) == N - 10
    emu.faults.error_before(400, operation="batch_read")  # the read back is refused again
    resumed = run(*args, "--resume")
    assert resumed.exit_code == 1
    assert [(e["row"], e["category"]) for e in lines(errors)] == [
        (row, "CONFLICT") for row in range(1, 11)
    ]
    note = " ".join(resumed.stderr.split())
    assert "could not read back the records of 10 row(s) refused as duplicates" in note
    assert "(BadRequestError)" in note
    assert emu.count("contacts") == N


def test_a_row_edited_before_resume_is_not_settled_by_the_old_record(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    """Rows 1-10 were made by the first run, their answer lost. Row 3 is then edited (its
    record keeps the old name): failed, naming the property. Row 5's email only changes
    case, which HubSpot ignores: created."""
    emu = hubspot_emulator
    args, results, errors = import_args(emu, tmp_path)
    assert first_run(emu, args).exit_code == 1
    path = Path(args[2])
    text = path.read_text("utf-8")
    text = text.replace("user3@example.com,User 3\n", "user3@example.com,Someone Else\n")
    text = text.replace("user5@example.com,", "USER5@Example.com,")
    path.write_text(text, "utf-8")

    resumed = run(*args, "--resume")
    assert resumed.exit_code == 1, resumed.output
    [differs] = lines(errors)
    assert (differs["row"], differs["status"], differs["code"]) == (3, "failed", "RECORD_DIFFERS")
    stored = {o["properties"]["email"]: o for o in emu.objects("contacts")}
    assert differs["existing_id"] == stored["user3@example.com"]["id"]
    assert "firstname" in differs["message"]
    assert "email" not in differs["message"]
    for value in ("User 3", "Someone Else"):  # names the property, never its values
        assert value not in differs["message"]
        assert value not in resumed.output
    assert "RECORD_DIFFERS" in resumed.stdout
    assert stored["user3@example.com"]["properties"]["firstname"] == "User 3"  # untouched
    written = created(results)
    assert sorted(d["row"] for d in written) == [r for r in range(1, N + 1) if r != 3]
    assert emu.count("contacts") == N


def test_rows_left_unknown_without_a_key_are_resent_only_when_asked(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    """Deals have no unique key: a resent unknown row cannot meet its record as a 409."""
    emu = hubspot_emulator
    path = tmp_path / "deals.jsonl"
    deal = {"dealstage": "appointmentscheduled", "pipeline": "default"}
    rows = [{"dealname": f"D{i}", **deal} for i in range(1, N + 1)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    results = tmp_path / "r.jsonl"
    args = [
        "import",
        "deals",
        str(path),
        "--base-url",
        emu.base_url,
        "--token",
        emu.token,
        "--batch-size",
        "10",
        "--concurrency",
        "1",
        "--results",
        str(results),
    ]  # fmt: skip  (no --errors: --resume knows the unknown rows from --results)
    first = first_run(emu, args)
    assert first.exit_code == 1, first.output
    assert emu.count("deals") == N  # the 10 unknown rows were committed

    refused = run(*args, "--resume")
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.stderr.split())
    assert "10 row(s) of" in said
    assert "(the first is row 1) were left with an unknown outcome" in said
    assert "no unique key (no --id-property)" in said
    assert "--resend-unknown" in said
    assert "nothing was sent" in said
    assert writes(emu) == 3  # the first run's batches only
    assert emu.count("deals") == N

    resent = run(*args, "--resume", "--resend-unknown")
    assert resent.exit_code == 0, resent.output
    assert "note: --resend-unknown: sending them again: 10 row(s)" in " ".join(
        resent.stderr.split()
    )
    assert emu.count("deals") == N + 10  # what the flag warned of: each a second time
    assert sorted(d["row"] for d in created(results)) == list(range(1, N + 1))
    # Resumed again, nothing is left: the rows now created are not refused.
    again = run(*args, "--resume")
    assert again.exit_code == 0, again.output
    assert emu.count("deals") == N + 10


def test_resend_unknown_needs_resume(tmp_path: Path) -> None:
    path = contacts_file(tmp_path / "contacts.csv")
    result = run("import", "contacts", str(path), "--emulator", "--resend-unknown")
    assert result.exit_code == 2
    assert "--resend-unknown only makes sense with --resume" in result.stderr
