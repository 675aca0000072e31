"""``hubcrm import --dry-run`` with a token and ``--validate``: the rows HubSpot would
refuse are found against the portal's definitions, by row number, before any is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support_cli import cli_runner, writes

from hubcrm.cli import cli
from hubcrm.testing import Emulator, PropertyDef, StageDef

OWNER = "100000001"
HEADER = "dealname,pipeline,dealstage,hubspot_owner_id,tier,amount,tierr\n"
ROWS = [
    f"Clean 1,default,closedwon,{OWNER},gold,100,",  # row 1
    "Other pipeline's stage,default,s1,,,,",  # row 2: s1 is a stage of p2
    "Stage by label,default,Closed Won,,,,",  # row 3
    f"Clean 2,p2,s2,{OWNER},silver,,",  # row 4
    "Unknown owner,default,closedwon,999999,,,",  # row 5
    "Not an option,default,closedwon,,platinum,,",  # row 6
    "Misspelled,default,closedwon,,,,gold",  # row 7: a value under "tierr"
    "Bad number,default,closedwon,,,12x,",  # row 8
    "Clean 3,default,closedlost,,bronze,5.5,",  # row 9
]
EXPECTED = {
    2: ("dealstage", "INVALID_OPTION"),
    3: ("dealstage", "INVALID_OPTION"),
    5: ("hubspot_owner_id", "INVALID_OWNER_ID"),
    6: ("tier", "INVALID_OPTION"),
    7: ("tierr", "PROPERTY_DOESNT_EXIST"),
    8: ("amount", "INVALID_INTEGER"),
}


@pytest.fixture
def portal(hubspot_emulator: Emulator) -> Emulator:
    emu = hubspot_emulator
    emu.add_pipeline(
        "deals",
        "p2",
        "Partners",
        [StageDef(id="s1", label="Signed"), StageDef(id="s2", label="Go")],
    )
    emu.add_owner("owner@example.com", "Owner", "One", owner_id=OWNER)
    emu.add_property(
        "deals", PropertyDef(name="tier", type="enumeration", options=("gold", "silver", "bronze"))
    )
    return emu


def deals_csv(tmp_path: Path) -> Path:
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in ROWS), "utf-8")
    return path


def run(*args: str) -> Result:
    return cli_runner().invoke(cli, list(args), catch_exceptions=False)


def lines(path: Path) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [d for d in found if "hubcrm_results" not in d]


def remote(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.token]


def table(result: Result) -> dict[str, str]:
    rows = (line.strip("│┃ ").replace("│", " ").split() for line in result.stdout.splitlines())
    return {" ".join(cells[:-1]): cells[-1] for cells in rows if cells}


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_dry_run_with_a_token_finds_the_mistakes_by_row(portal: Emulator, tmp_path: Path) -> None:
    errors = tmp_path / "e.jsonl"
    path = deals_csv(tmp_path)
    result = run(
        "import", "deals", str(path), *remote(portal), "--dry-run", "--errors", str(errors)
    )
    assert result.exit_code == 1, result.output
    found = lines(errors)
    assert {e["row"]: (e["property"], e["code"]) for e in found} == EXPECTED
    assert all(e["status"] == "invalid" and e["line"] == e["row"] + 1 for e in found)
    assert all(e["category"] == "VALIDATION_ERROR" for e in found)
    assert all(e["problems"][0]["code"] == e["code"] for e in found)
    by_row = {e["row"]: e for e in found}
    assert "closedwon" in by_row[3]["message"]  # a stage by its label: its id is named
    assert table(result)["would be refused by HubSpot"] == "6"
    assert table(result)["ready to send"] == "3"
    assert "checked against the portal; nothing was sent" in result.stdout
    for text in (result.stdout, result.stderr):
        assert "platinum" not in text
        assert "12x" not in text
        assert "999999" not in text
    assert portal.count("deals") == 0
    assert writes(portal) == 0
    creates = [r for r in portal.received if r.method != "GET"]
    assert creates == []


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_dry_run_reports_an_in_file_duplicate_once(portal: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "email,firstname\na@example.com,A\nb@example.com,B\nA@example.com,again\n", "utf-8"
    )
    errors = tmp_path / "e.jsonl"
    result = run(
        "import", "contacts", str(path), *remote(portal), "--dry-run", "--errors", str(errors)
    )
    assert result.exit_code == 1, result.output
    [line] = lines(errors)
    assert (line["row"], line["status"], line["code"]) == (3, "duplicate", "CONFLICT")
    assert "row 1 holds this one" in line["message"]
    assert table(result)["duplicate unique values in the file"] == "1"
    assert table(result)["would be refused by HubSpot"] == "0"


def test_dry_run_without_a_token_says_it_did_not_check(tmp_path: Path) -> None:
    errors = tmp_path / "e.jsonl"
    path = deals_csv(tmp_path)
    result = cli_runner().invoke(
        cli,
        ["import", "deals", str(path), "--dry-run", "--errors", str(errors)],
        env={"HUBSPOT_ACCESS_TOKEN": ""},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "no token: rows were encoded, not checked against the portal" in result.stdout
    assert lines(errors) == []
    assert "would be refused by HubSpot" not in result.stdout


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_validate_creates_only_the_clean_rows(portal: Emulator, tmp_path: Path) -> None:
    errors, results = tmp_path / "e.jsonl", tmp_path / "r.jsonl"
    path = deals_csv(tmp_path)
    args = [*remote(portal), "--errors", str(errors), "--results", str(results)]
    result = run("import", "deals", str(path), *args, "--validate")
    assert result.exit_code == 1, result.output
    assert sorted(d["row"] for d in lines(results)) == [1, 4, 9]
    assert portal.count("deals") == 3
    assert sorted(o["properties"]["dealname"] for o in portal.objects("deals")) == [
        "Clean 1",
        "Clean 2",
        "Clean 3",
    ]
    found = lines(errors)
    assert {e["row"]: (e["property"], e["code"]) for e in found} == EXPECTED
    assert all(e["status"] == "failed" and "http_status" not in e for e in found)
    # HubSpot refused nothing: the refused rows were never sent
    assert portal.stats.responses_by_status.get(400, 0) == 0
    assert table(result)["of which refused by the check (--validate), not sent"] == "6"
    # --resume: the created rows are skipped before the check, nothing is sent twice
    again = run("import", "deals", str(path), *args, "--validate", "--resume")
    assert again.exit_code == 1, again.output
    assert portal.count("deals") == 3
    assert sorted(e["row"] for e in lines(errors)) == sorted(EXPECTED)


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_without_validate_hubspot_refuses_the_rows(portal: Emulator, tmp_path: Path) -> None:
    errors = tmp_path / "e.jsonl"
    path = deals_csv(tmp_path)
    result = run("import", "deals", str(path), *remote(portal), "--errors", str(errors))
    assert result.exit_code == 1, result.output
    found = lines(errors)
    assert {e["row"] for e in found} == set(EXPECTED)
    assert all(e["status"] == "failed" and e["http_status"] in (400, 207) for e in found)
