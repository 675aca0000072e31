"""A second Ctrl-C: the rows whose requests may have reached HubSpot are unknown; the
rows taken but never sent (waiting for the rate limiter) are not attempted, and a
``--resume`` sends them again without ``--resend-unknown``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from support_time import wait_until_sync

from hubcrm.testing import Emulator


def lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a results or errors file, without the results' run line."""
    found = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [d for d in found if "hubcrm_results" not in d]


def test_a_second_ctrl_c_leaves_rows_never_sent_not_attempted(tmp_path: Path) -> None:
    path = tmp_path / "deals.jsonl"
    deal = {"dealstage": "appointmentscheduled", "pipeline": "default"}
    path.write_text("".join(json.dumps({"dealname": f"D{i}", **deal}) + "\n" for i in range(20)))
    results, errors = tmp_path / "r.jsonl", tmp_path / "e.jsonl"
    with Emulator(rate_limit=None) as emu:
        # The first batch is held by HubSpot; the second waits for the client's rate
        # limiter (one request a minute), so it is never sent.
        emu.faults.latency(60, operation="batch_create")
        args = [
            "import", "deals", str(path), "--base-url", emu.base_url, "--batch-size", "10",
            "--concurrency", "2", "--rate-limit", "1/60", "--results", str(results),
            "--errors", str(errors),
        ]  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "-m", "hubcrm.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "HUBSPOT_ACCESS_TOKEN": emu.token},
        )
        try:
            wait_until_sync(
                lambda: emu.stats.requests_by_operation.get("batch_create", 0) == 1,
                "the first batch reached the emulator",
                timeout=60,
            )
            process.send_signal(signal.SIGINT)
            assert process.stderr is not None
            said = []
            while not any("interrupted: finishing" in line for line in said):
                said.append(process.stderr.readline())
                assert said[-1], "the command ended before its first Ctrl-C was handled"
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert emu.stats.requests_by_operation.get("batch_create", 0) == 1
        found = {(e["row"], e["status"], e["category"]) for e in lines(errors)}
        assert found == {
            *((row, "unknown", "INTERRUPTED") for row in range(1, 11)),
            *((row, "not_attempted", "INTERRUPTED") for row in range(11, 21)),
        }
        # Only the rows that may exist are recorded as unknown for --resume.
        assert [d["row"] for d in lines(results)] == list(range(1, 11))
        assert all(d["status"] == "unknown" for d in lines(results))
        summary = " ".join(stdout.split())
        assert "not attempted (safe to resend) │ 10" in summary
        assert "unknown outcome │ 10" in summary
