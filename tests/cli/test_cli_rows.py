"""Which rows ``hubcrm import`` reads and sends, and the command it prints to resume."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support_cli import cli_runner
from support_time import wait_until_sync

from hubcrm.cli import cli
from hubcrm.testing import Emulator

pytestmark = pytest.mark.hubspot_emulator(rate_limit=None)


def run(*args: str) -> Result:
    return cli_runner().invoke(cli, list(args), catch_exceptions=False)


def lines(path: Path) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [d for d in found if "hubcrm_results" not in d]


def remote(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.token]


# --- rows without a value ---------------------------------------------------------------


def test_all_empty_csv_rows_are_row_errors_and_send_nothing(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "email,firstname,lifecyclestage\n"
        "a@example.com,A,lead\n"
        ",,\n"  # row 2, line 3
        "b@example.com,B,lead\n"
        "\n"  # a blank line is not a row
        ",,\n",  # row 4, line 6
        "utf-8",
    )
    errors = tmp_path / "e.jsonl"
    args = [*remote(hubspot_emulator), "--errors", str(errors)]
    result = run("import", "contacts", str(path), *args)
    assert result.exit_code == 1, result.output
    assert hubspot_emulator.count("contacts") == 2
    assert [(e["row"], e["line"], e["category"]) for e in lines(errors)] == [
        (2, 3, "INVALID_INPUT"),
        (4, 6, "INVALID_INPUT"),
    ]
    assert f"{path}:3: row 2: the row has no property values" in result.stderr
    assert f"{path}:6: row 4: the row has no property values" in result.stderr
    assert "unreadable (malformed or invalid)" in result.stdout
    assert "not sent" not in result.stdout


@pytest.mark.parametrize("empty", ["{}", '{"properties": {}}', '{"dealname": null}'])
def test_empty_jsonl_objects_are_row_errors_and_dry_run_counts_them(
    hubspot_emulator: Emulator, tmp_path: Path, empty: str
) -> None:
    path = tmp_path / "deals.jsonl"
    deal = json.dumps({"dealname": "d", "dealstage": "appointmentscheduled", "pipeline": "default"})
    path.write_text(f"{deal}\n{empty}\n{deal}\n", "utf-8")
    dry = run("import", "deals", str(path), "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert f"{path}:2: row 2: the row has no property values" in dry.stderr
    rows = (line.strip("│┃ ").replace("│", " ").split() for line in dry.stdout.splitlines())
    table = {" ".join(cells[:-1]): cells[-1] for cells in rows if cells}
    assert table["ready to send"] == "2"
    assert table["unreadable (malformed or invalid)"] == "1"
    sent = run("import", "deals", str(path), *remote(hubspot_emulator))
    assert sent.exit_code == 1, sent.output
    assert hubspot_emulator.count("deals") == 2


# --- the printed resume command ---------------------------------------------------------


@pytest.mark.parametrize("name", ["-h.csv", "--help.csv", "a b's.csv"])
def test_the_printed_resume_command_runs_for_any_file_name(
    hubspot_emulator: Emulator, tmp_path: Path, name: str
) -> None:
    """The first run is stopped by a Ctrl-C; the command it prints, split by a shell's
    rules and run, continues it."""
    emu = hubspot_emulator
    path = tmp_path / name
    path.write_text(
        "email,firstname\n" + "".join(f"u{i}@example.com,U{i}\n" for i in range(1, 21)), "utf-8"
    )
    results, errors = tmp_path / "-r.jsonl", tmp_path / "-e.jsonl"
    emu.faults.latency(1.0, times=1, operation="batch_create")
    args = [
        "import", "--base-url", emu.base_url, "--results", "-r.jsonl", "--errors", "-e.jsonl",
        "--batch-size", "10", "--concurrency", "1", "--", "contacts", name,
    ]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "hubcrm.cli", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HUBSPOT_ACCESS_TOKEN": emu.token},
    )
    wait_until_sync(
        lambda: emu.stats.requests_by_operation.get("batch_create", 0) >= 1,
        "the first batch is in the emulator",
        timeout=60,
    )
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout + stderr
    assert emu.count("contacts") == 10
    command = next(line for line in stdout.splitlines() if "--resume" in line)
    words = shlex.split(command)
    assert words[:2] == ["hubcrm", "import"]
    again = subprocess.run(
        [sys.executable, "-m", "hubcrm.cli", *words[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HUBSPOT_ACCESS_TOKEN": emu.token},
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert emu.count("contacts") == 20
    assert len(lines(results)) == 20
    assert errors.exists()


# --- rows appended while the import runs ------------------------------------------------


def test_rows_appended_during_a_run_are_left_for_the_next_and_the_summary_adds_up(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    emu = hubspot_emulator
    n = 2000
    path = tmp_path / "in.csv"
    path.write_text(
        "email,firstname\n" + "".join(f"u{i}@example.com,U{i}\n" for i in range(n)), "utf-8"
    )
    results = tmp_path / "r.jsonl"
    emu.faults.latency(0.2, probability=1.0, operation="batch_create")  # a slow HubSpot
    args = [
        "import", "contacts", str(path), "--base-url", emu.base_url, "--results", str(results),
        "--concurrency", "1",
    ]  # fmt: skip
    env = {**os.environ, "HUBSPOT_ACCESS_TOKEN": emu.token}
    process = subprocess.Popen(
        [sys.executable, "-m", "hubcrm.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    wait_until_sync(
        lambda: emu.stats.requests_by_operation.get("batch_create", 0) >= 1,
        "the first batch is in the emulator",
        timeout=60,
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(f"late{i}@example.com,L{i}\n" for i in range(30)))
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stdout + stderr
    assert emu.count("contacts") == n
    assert "not sent" not in stdout
    counts = {
        " ".join(cells[:-1]): cells[-1]
        for cells in (line.strip("│┃ ").replace("│", " ").split() for line in stdout.splitlines())
        if cells
    }
    assert counts["in the file"] == counts["created"] == f"{n:,}"
    emu.faults.clear()
    again = subprocess.run(
        [sys.executable, "-m", "hubcrm.cli", *args, "--resume"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert emu.count("contacts") == n + 30
    assert len(lines(results)) == n + 30
