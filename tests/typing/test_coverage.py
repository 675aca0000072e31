"""The typing tests (api_*.py in this folder) name every public name of hubcrm and
hubcrm.testing, so that a new export cannot go without a type check."""

from __future__ import annotations

import re
from pathlib import Path

import hubcrm
import hubcrm.testing

HERE = Path(__file__).parent


def _named() -> set[str]:
    text = "\n".join(p.read_text("utf-8") for p in sorted(HERE.glob("api_*.py")))
    return set(re.findall(r"\w+", text))


def test_every_export_of_hubcrm_is_type_checked() -> None:
    assert set(hubcrm.__all__) - _named() == set()


def test_every_export_of_hubcrm_testing_is_type_checked() -> None:
    assert set(hubcrm.testing.__all__) - _named() == set()
