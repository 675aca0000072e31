"""Which rows ``hubcrm import`` reads and sends, and the command it prints to resume."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support_cli import cli_runner

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
    result = run("import", "contacts", str(path), *remote(hubspot_emulator), "--errors", str(errors))
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
    table = {
        " ".join(cells[:-1]): cells[-1]
        for cells in (line.strip("│┃ ").replace("│", " ").split() for line in dry.stdout.splitlines())
        if cells
    }
    assert table["ready to send"] == "2"
    assert table["unreadable (malformed or invalid)"] == "1"
    sent = run("import", "deals", str(path), *remote(hubspot_emulator))
    assert sent.exit_code == 1, sent.output
    assert hubspot_emulator.count("deals") == 2
