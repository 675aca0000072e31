"""The ``hubcrm`` command, driven for real: click's runner, and subprocesses for Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support_cli import cli_runner, writes
from support_time import wait_until_sync

from hubcrm import AssociationType, HubCRM
from hubcrm.cli import cli
from hubcrm.testing import Emulator, PropertyDef

HEADER = "email,firstname,lifecyclestage\n"


def csv_file(tmp_path: Path, rows: list[str], name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), "utf-8")
    return path


def contacts(n: int, start: int = 1) -> list[str]:
    return [f"user{i}@example.com,User {i},lead" for i in range(start, start + n)]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return cli_runner().invoke(cli, list(args), env=env, catch_exceptions=False)


def lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a results or errors file, without the results' run line."""
    found = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [d for d in found if "hubcrm_results" not in d]


def remote(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.token]


def test_import_hubcrm_does_not_import_the_cli() -> None:
    code = "import sys, hubcrm; print(sorted({'hubcrm.cli', 'click', 'rich'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_emulator_flag_imports_reports_and_shows_the_store(tmp_path: Path) -> None:
    rows = contacts(4)
    rows.insert(2, "not-an-email,Bad,lead")  # row 3, line 4
    path = csv_file(tmp_path, rows)
    results, errors = tmp_path / "results.jsonl", tmp_path / "errors.jsonl"
    result = run(
        "import", "contacts", str(path), "--emulator", "--results", str(results),
        "--errors", str(errors),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "The emulator stored 4 contacts." in result.stdout
    # The progress goes to stderr, when it is not a terminal as plain lines; stdout
    # keeps the summary alone.
    assert "progress: 5/5 rows, 4 created, 1 not created" in result.stderr
    assert "progress:" not in result.stdout
    assert "INVALID_EMAIL" in result.stdout
    # HubSpot's first message for the code, without the value it quotes.
    assert "Property values were not valid: email" in result.stdout
    for text in (result.stdout, result.stderr):
        assert "not-an-email" not in text  # no property value outside the store sample
    done = lines(results)
    assert sorted(d["row"] for d in done) == [1, 2, 4, 5]
    assert all(d["line"] == d["row"] + 1 and d["id"].isdigit() for d in done)
    [error] = lines(errors)
    assert error["row"] == 3
    assert error["line"] == 4
    assert error["status"] == "failed"
    assert error["http_status"] == 400
    assert error["category"] == "VALIDATION_ERROR"
    assert error["code"] == "INVALID_EMAIL"
    assert "not-an-email" in error["message"]
    assert error["correlation_id"]
    assert error["input"] == {"email": "not-an-email", "firstname": "Bad", "lifecyclestage": "lead"}


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_remote_import_all_created_exit_0(hubspot_emulator: Emulator, tmp_path: Path) -> None:
    path = csv_file(tmp_path, [*contacts(250), "blank@example.com,,"])
    results = tmp_path / "r.jsonl"
    result = run(
        "import", "contacts", str(path), *remote(hubspot_emulator), "--batch-size", "50",
        "--results", str(results),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    stored = {o["id"]: o["properties"] for o in hubspot_emulator.objects("contacts")}
    assert len(stored) == 251
    by_row = {d["row"]: d["id"] for d in lines(results)}
    assert sorted(by_row) == list(range(1, 252))
    assert stored[by_row[7]]["email"] == "user7@example.com"
    assert "firstname" not in stored[by_row[251]]  # an empty cell is not set
    assert hubspot_emulator.token not in result.output


def test_token_from_environment_and_missing_token(tmp_path: Path) -> None:
    path = csv_file(tmp_path, contacts(3))
    with Emulator(rate_limit=None) as emu:
        env = {"HUBSPOT_ACCESS_TOKEN": emu.token}
        result = run("import", "contacts", str(path), "--base-url", emu.base_url, env=env)
        assert result.exit_code == 0, result.output
        assert emu.count("contacts") == 3
    result = run("import", "contacts", str(path), env={"HUBSPOT_ACCESS_TOKEN": ""})
    assert result.exit_code == 2
    assert "no token" in result.stderr


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_resume_skips_exactly_the_rows_done(hubspot_emulator: Emulator, tmp_path: Path) -> None:
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    first = csv_file(tmp_path, contacts(30), "part.csv")  # as if the run stopped at row 30
    args = ["--results", str(results), "--errors", str(errors), *remote(hubspot_emulator)]
    assert run("import", "contacts", str(first), *args).exit_code == 0
    full = csv_file(tmp_path, contacts(75), "full.csv")
    refused = run("import", "contacts", str(full), *args)
    assert refused.exit_code == 2
    assert "--resume" in refused.stderr
    result = run("import", "contacts", str(full), *args, "--resume", "--batch-size", "10")
    assert result.exit_code == 0, result.output
    assert "already created (--resume)" in result.stdout
    rows = [d["row"] for d in lines(results)]
    assert sorted(rows) == list(range(1, 76))  # each row once
    emails = [o["properties"]["email"] for o in hubspot_emulator.objects("contacts")]
    assert sorted(emails) == sorted(f"user{i}@example.com" for i in range(1, 76))
    assert lines(errors) == []
    assert hubspot_emulator.stats.responses_by_status.get(409, 0) == 0


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_dry_run_sends_nothing(hubspot_emulator: Emulator, tmp_path: Path) -> None:
    path = csv_file(tmp_path, [*contacts(5), "USER2@example.com,Again,lead", "a,b"])
    errors = tmp_path / "e.jsonl"
    result = run(
        "import", "contacts", str(path), *remote(hubspot_emulator), "--dry-run",
        "--errors", str(errors),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "nothing was sent" in result.stdout
    assert writes(hubspot_emulator) == 0
    found = [(e["row"], e["status"]) for e in lines(errors)]
    assert found == [(6, "duplicate"), (7, "malformed")]
    clean = csv_file(tmp_path, contacts(5), "clean.csv")
    assert run("import", "contacts", str(clean), "--dry-run").exit_code == 0
    assert writes(hubspot_emulator) == 0


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_malformed_csv_reported_with_lines(hubspot_emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        HEADER.encode()
        + b"a1@example.com,A,lead\n"  # row 1, line 2
        + b"a2@example.com,A,lead,extra\n"  # row 2, line 3: ragged
        + b"\n"  # line 4: blank, not a row
        + b"a3@example.com,\xff\xfe,lead\n"  # row 3, line 5: bad UTF-8
        + b'a4@example.com,"two\nlines",lead\n'  # row 4, lines 6-7
        + b"a5@example.com,A,lead\n"  # row 5, line 8
    )
    errors, results = tmp_path / "e.jsonl", tmp_path / "r.jsonl"
    args = [*remote(hubspot_emulator), "--errors", str(errors), "--results", str(results)]
    strict = run("import", "contacts", str(path), *args, "--strict")
    assert strict.exit_code == 1
    assert writes(hubspot_emulator) == 0
    assert "Traceback" not in strict.output
    result = run("import", "contacts", str(path), *args)
    assert result.exit_code == 1
    assert f"{path}:3: row 2: expected 3 fields, found 4" in result.stderr
    assert f"{path}:5: row 3: invalid UTF-8 at byte 16 of the line" in result.stderr
    assert [(e["row"], e["line"], e["status"]) for e in lines(errors)] == [
        (2, 3, "malformed"),
        (3, 5, "malformed"),
    ]
    assert sorted((d["row"], d["line"]) for d in lines(results)) == [(1, 2), (4, 6), (5, 8)]
    assert hubspot_emulator.count("contacts") == 3


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_jsonl_both_shapes_associations_and_bad_lines(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    with HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as crm:
        company = crm.objects.create("companies", {"name": "Acme"})
    deal = {"dealname": "D", "dealstage": "appointmentscheduled", "pipeline": "default"}
    link = {
        "to": {"id": company.id},
        "types": [
            {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": int(AssociationType.DEAL_TO_COMPANY),
            }
        ],
    }
    path = tmp_path / "deals.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"properties": deal, "associations": [link]}),  # row 1
                json.dumps({**deal, "amount": 12.5, "closedate": None}),  # row 2, flat
                "{not json",  # row 3
                "",  # blank line 4: not a row
                "[1, 2]",  # row 4, line 5
                json.dumps({**deal, "amount": [1]}),  # row 5, line 6: bad value
            ]
        )
        + "\n",
        "utf-8",
    )
    errors = tmp_path / "e.jsonl"
    result = run("import", "deals", str(path), *remote(hubspot_emulator), "--errors", str(errors))
    assert result.exit_code == 1
    assert f"{path}:3: row 3: invalid JSON" in result.stderr
    assert f"{path}:5: row 4: expected a JSON object" in result.stderr
    assert [(e["row"], e["line"], e["status"]) for e in lines(errors)] == [
        (3, 3, "malformed"),
        (4, 5, "malformed"),
        (5, 6, "invalid"),
    ]
    stored = hubspot_emulator.objects("deals")
    assert len(stored) == 2
    assert stored[0]["associations"][0]["toObjectId"] == company.id
    assert stored[1]["properties"]["amount"] == "12.5"


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_rejected_token_is_refused_before_any_row_is_read(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, contacts(20))
    errors, results = tmp_path / "e.jsonl", tmp_path / "r.jsonl"
    result = run(
        "import", "contacts", str(path), "--base-url", hubspot_emulator.base_url,
        "--token", "wrong-token", "--errors", str(errors), "--results", str(results),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "HubSpot did not accept the token" in result.stderr
    assert "INVALID_AUTHENTICATION" in result.stderr
    assert "nothing was sent" in result.stderr
    assert "wrong-token" not in result.output
    assert result.stdout == ""  # no summary: the import never began
    assert hubspot_emulator.stats.requests == 1  # the one check
    assert writes(hubspot_emulator) == 0
    assert not errors.exists()
    assert not results.exists()


def test_unknown_object_type_is_refused_before_any_row_is_read(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, contacts(20))
    result = run("import", "contactz", str(path), *remote(hubspot_emulator))
    assert result.exit_code == 2, result.output
    assert "HubSpot does not know the object type 'contactz'" in result.stderr
    assert "Unable to infer object type from: contactz" in result.stderr
    assert "nothing was sent" in result.stderr
    assert result.stdout == ""
    assert hubspot_emulator.stats.requests_by_operation == {"list": 1}


def test_a_token_that_may_not_read_is_not_refused(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    emu = hubspot_emulator
    emu.faults.error_before(403, operation="list", times=1)
    path = csv_file(tmp_path, contacts(5))
    result = run("import", "contacts", str(path), *remote(emu))
    assert result.exit_code == 0, result.output
    assert "the check of the token and object type was skipped; going on" in result.stderr
    assert emu.count("contacts") == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "lots"], "REQUESTS/SECONDS"),
        (["--batch-size", "101"], "101"),
        (["--resume"], "--resume needs --results"),
        (["--allow-removed"], "--allow-removed only makes sense with --resume"),
        (["--mode", "parallel"], "parallel"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = csv_file(tmp_path, contacts(1))
    result = run("import", "contacts", str(path), "--emulator", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    missing = run("import", "contacts", str(tmp_path / "nope.csv"), "--emulator")
    assert missing.exit_code == 2
    assert "nope.csv" in missing.stderr
    header = tmp_path / "h.csv"
    header.write_text("email,,email\n", "utf-8")
    result = run("import", "contacts", str(header), "--emulator")
    assert result.exit_code == 2
    assert f"{header}:1: the header has an empty column name" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_id_property_creates_and_refuses_a_repeated_key(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, [*contacts(3), "user1@example.com,Renamed,lead"])
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    result = run(
        "import", "contacts", str(path), *remote(hubspot_emulator), "--id-property", "email",
        "--results", str(results), "--errors", str(errors), "--mode", "batch",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert hubspot_emulator.count("contacts") == 3
    assert len(lines(results)) == 3
    assert [(e["row"], e["category"]) for e in lines(errors)] == [(4, "CONFLICT")]
    stored = {o["properties"]["email"]: o for o in hubspot_emulator.objects("contacts")}
    assert stored["user1@example.com"]["properties"]["firstname"] == "User 1"  # not updated


# --- subprocesses -----------------------------------------------------------------------


def hubcrm(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hubcrm.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "HUBSPOT_ACCESS_TOKEN": "test-token"},
    )


def test_emulator_command_runs_in_the_foreground() -> None:
    process = hubcrm("emulator", "--port", "0", "--faults", "latency=1:0.01,error_after=0.5")
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("hubcrm emulator listening on http://")
        assert process.stdout.readline().strip() == "fault latency (0.01) on 100.0% of requests"
        assert process.stdout.readline().strip() == "fault error_after on 50.0% of requests"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in stderr


def test_emulator_command_rejects_bad_faults() -> None:
    result = run("emulator", "--faults", "explode=1")
    assert result.exit_code == 2
    assert "Invalid value for '--faults'" in result.stderr
    assert "expected KIND=PROBABILITY[:ARG]" in result.stderr


def test_help_is_one_style_with_defaults_shown() -> None:
    imports = " ".join(run("import", "--help").stdout.split())
    assert "--concurrency INTEGER RANGE Requests in flight. [default: (from the rate limit)" in (
        imports
    )
    assert "[default: (100/10, then HubSpot's announced limit)]" in imports
    assert "--env-proxy / --no-env-proxy" in imports
    emulator = run("emulator", "--help")
    assert emulator.exit_code == 0
    text = " ".join(emulator.stdout.split())
    # click's layout, as for import: "Usage: ... [OPTIONS]", "Options:", "[default: ...]".
    assert text.startswith("Usage: cli emulator [OPTIONS]")
    assert "Options:" in text
    assert "--port INTEGER port; 0 = a free one [default: 8080]" in text
    assert "--seed INTEGER seed for shuffles and faults [default: 0]" in text
    assert "--not-found-body [json|empty|html]" in text


def test_ctrl_c_writes_files_and_resume_completes(tmp_path: Path) -> None:
    path = csv_file(tmp_path, contacts(300))
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    with Emulator(rate_limit=None) as emu:
        emu.faults.latency(0.25, probability=1.0)
        args = [
            "import", "contacts", str(path), "--base-url", emu.base_url, "--batch-size", "10",
            "--concurrency", "2", "--results", str(results), "--errors", str(errors),
        ]  # fmt: skip
        process = hubcrm(*args)
        wait_until_sync(
            lambda: results.exists() and len(lines(results)) >= 40,
            "40 rows are in the results file",
            timeout=60,
        )
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert "interrupted: finishing" in stderr
        resume_line = next(line for line in stdout.splitlines() if "--resume" in line)
        assert resume_line.startswith("hubcrm import contacts ")
        assert "--batch-size 10" in resume_line
        assert "test-token" not in stdout + stderr
        done = [d["row"] for d in lines(results)]
        assert 40 <= len(done) < 300
        assert len(done) == len(set(done))
        assert lines(errors) == []
        assert emu.count("contacts") == len(done)  # in-flight batches were finished
        emu.faults.clear()
        again = subprocess.run(
            [sys.executable, "-m", "hubcrm.cli", *resume_line.split()[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HUBSPOT_ACCESS_TOKEN": "test-token"},
            check=False,
        )
        assert again.returncode == 0, again.stderr
        assert sorted(d["row"] for d in lines(results)) == list(range(1, 301))
        emails = [o["properties"]["email"] for o in emu.objects("contacts")]
        assert len(emails) == len(set(emails)) == 300


def test_kill_9_then_resume_with_id_property_creates_every_row_exactly_once(
    tmp_path: Path,
) -> None:
    """A real SIGKILL mid-import: the rows in flight were committed by the emulator (in
    this process, on its own thread) but never written to --results. The resumed run
    sends them again; their key is taken, so none is created twice, and each meets a
    record made since the import began: created, with that record's id."""
    n = 400
    path = tmp_path / "deals.csv"
    path.write_text(
        "dealname,dealstage,pipeline,row_key\n"
        + "".join(f"deal {i},appointmentscheduled,default,deals.csv:{i}\n" for i in range(n)),
        "utf-8",
    )
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    with Emulator(rate_limit=None) as emu:
        emu.add_property("deals", PropertyDef(name="row_key", unique=True))
        emu.faults.latency(0.3, probability=1.0, operation="batch_create")
        args = [
            "import", "deals", str(path), "--base-url", emu.base_url, "--id-property", "row_key",
            "--batch-size", "10", "--concurrency", "4", "--results", str(results),
            "--errors", str(errors),
        ]  # fmt: skip
        process = hubcrm(*args)

        def mid_run() -> bool:
            # At least 60 rows written, and a batch the emulator has received whose rows
            # are not written yet: the kill then lands with rows in flight, whatever the
            # timing (each batch waits 0.3 s in the emulator before it is committed).
            if not results.exists():
                return False
            written = len(lines(results))
            received = emu.stats.requests_by_operation.get("batch_create", 0) * 10
            return written >= 60 and received - written >= 10

        wait_until_sync(mid_run, "60 rows written and a batch in flight", timeout=60)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL
        wait_until_sync(
            lambda: sum(emu.stats.responses_by_status.values()) == emu.stats.requests,
            "the emulator has answered every request of the killed run",
            timeout=30,
        )
        done = {d["row"] for d in lines(results)}
        in_flight = emu.count("deals") - len(done)
        assert in_flight > 0  # committed, yet not in --results: the rows this test is about
        emu.faults.clear()
        again = subprocess.run(
            [sys.executable, "-m", "hubcrm.cli", *args, "--resume"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HUBSPOT_ACCESS_TOKEN": "test-token"},
            check=False,
        )
        assert "Traceback" not in again.stderr
        assert again.returncode == 0, again.stdout + again.stderr
        stored = emu.objects("deals")
        keys = Counter(o["properties"]["row_key"] for o in stored)
        assert keys == Counter(f"deals.csv:{i}" for i in range(n))  # each exactly once
        assert lines(errors) == []
        # The rows in flight at the kill met their own records: created, with their ids.
        written = lines(results)
        assert sorted(d["row"] for d in written) == list(range(1, n + 1))  # each once
        id_of = {o["properties"]["row_key"]: o["id"] for o in stored}
        assert all(d["id"] == id_of[f"deals.csv:{d['row'] - 1}"] for d in written)
        assert len({d["run_started"] for d in written}) == 1  # the first run's start
        assert "made by an earlier run" in again.stdout


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_unknown_outcomes_are_written_with_their_cause(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    hubspot_emulator.faults.error_after(502, times=1, operation="batch_create")
    path = tmp_path / "deals.jsonl"
    deal = {"dealstage": "appointmentscheduled", "pipeline": "default"}
    path.write_text("".join(json.dumps({**deal, "dealname": f"d{i}"}) + "\n" for i in range(4)))
    errors = tmp_path / "e.jsonl"
    result = run("import", "deals", str(path), *remote(hubspot_emulator), "--errors", str(errors))
    assert result.exit_code == 1
    written = lines(errors)
    assert [e["row"] for e in written] == [1, 2, 3, 4]  # the batch was committed, answer lost
    for e in written:
        assert (e["status"], e["http_status"]) == ("unknown", 502)
        assert e["code"] == e["category"] == "INTERNAL_ERROR"  # the 502 names no code
        assert e["code"] in result.stdout  # the summary counts rows by the same code
    assert hubspot_emulator.count("deals") == 4
