"""The run line of ``--results``: when the import began, on disk before its first
request, so that ``--resume`` settles the rows of a run killed before any result line."""

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
from support_cli import cli_runner
from support_time import wait_until_sync

from hubcrm import cli as cli_module
from hubcrm.cli._files import RefusedError, read_results
from hubcrm.testing import Emulator, PropertyDef


def run(*args: str) -> Result:
    return cli_runner().invoke(cli_module.cli, list(args), catch_exceptions=False)


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def deals_file(path: Path, n: int) -> Path:
    path.write_text(
        "dealname,dealstage,pipeline,row_key\n"
        + "".join(f"deal {i},appointmentscheduled,default,k{i}\n" for i in range(n)),
        "utf-8",
    )
    return path


def test_kill_9_before_the_first_result_line_then_resume_creates_each_row_once(
    tmp_path: Path,
) -> None:
    """SIGKILL while the first batches are in HubSpot and no row is in --results: the
    resume meets their records, made since the run line's start, and settles them."""
    n = 60
    path = deals_file(tmp_path / "deals.csv", n)
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    with Emulator(rate_limit=None) as emu:
        emu.add_property("deals", PropertyDef(name="row_key", unique=True))
        # Every batch waits 2 s in the emulator before it is committed: the kill lands
        # while the first is in flight, before any answer.
        emu.faults.latency(2.0, probability=1.0, operation="batch_create")
        args = [
            "import", "deals", str(path), "--base-url", emu.base_url, "--id-property",
            "row_key", "--batch-size", "10", "--concurrency", "2", "--results", str(results),
            "--errors", str(errors),
        ]  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "hubcrm.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "HUBSPOT_ACCESS_TOKEN": "test-token"},
        )
        wait_until_sync(
            lambda: emu.stats.requests_by_operation.get("batch_create", 0) >= 1,
            "a batch is in the emulator",
            timeout=60,
        )
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL
        written = lines(results)
        assert [sorted(d) for d in written] == [["hubcrm_results", "object_type", "run_started"]]
        assert written[0]["object_type"] == "deals"
        wait_until_sync(
            lambda: sum(emu.stats.responses_by_status.values()) == emu.stats.requests,
            "the emulator has answered every request of the killed run",
            timeout=30,
        )
        in_flight = emu.count("deals")
        assert in_flight >= 10  # committed, recorded nowhere
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
        assert lines(errors) == []
        stored = emu.objects("deals")
        assert Counter(o["properties"]["row_key"] for o in stored) == Counter(
            f"k{i}" for i in range(n)
        )  # each row exactly once
        rows = [d for d in lines(results) if "row" in d]
        assert sorted(d["row"] for d in rows) == list(range(1, n + 1))
        id_of = {o["properties"]["row_key"]: o["id"] for o in stored}
        assert all(d["id"] == id_of[f"k{d['row'] - 1}"] for d in rows)
        assert {d["run_started"] for d in rows} == {written[0]["run_started"]}
        assert "made by an earlier run" in again.stdout
        assert f"{in_flight:,}" in again.stdout


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_the_run_line_heads_the_results_and_is_not_repeated_on_resume(
    hubspot_emulator: Emulator, tmp_path: Path
) -> None:
    emu = hubspot_emulator
    path = tmp_path / "deals.csv"
    path.write_text(
        "dealname,dealstage,pipeline\n"
        + "".join(f"deal {i},appointmentscheduled,default\n" for i in range(5)),
        "utf-8",
    )
    results = tmp_path / "r.jsonl"
    args = ["import", "deals", str(path), "--base-url", emu.base_url, "--token", emu.token]
    first = run(*args, "--results", str(results))
    assert first.exit_code == 0, first.output
    written = lines(results)
    assert written[0]["hubcrm_results"] == 1
    assert [d["row"] for d in written[1:]] == [1, 2, 3, 4, 5]
    assert {d["run_started"] for d in written} == {written[0]["run_started"]}
    again = run(*args, "--results", str(results), "--resume")
    assert again.exit_code == 0, again.output
    assert lines(results) == written  # nothing sent, no second run line


def test_a_run_line_of_another_object_type_or_a_newer_format_is_refused(
    tmp_path: Path,
) -> None:
    results = tmp_path / "r.jsonl"
    line = {"hubcrm_results": 1, "object_type": "contacts", "run_started": "2026-01-01T00:00Z"}
    results.write_text(json.dumps(line) + "\n", "utf-8")
    assert read_results(str(results), "contacts").run_started is not None
    with pytest.raises(RefusedError, match="records an import of contacts, not deals"):
        read_results(str(results), "deals")
    results.write_text(json.dumps({**line, "hubcrm_results": 2}) + "\n", "utf-8")
    with pytest.raises(RefusedError, match="written by a newer hubcrm"):
        read_results(str(results), "contacts")
