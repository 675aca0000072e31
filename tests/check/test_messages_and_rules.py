"""What a report says: never a record's value; rules hubcrm does not evaluate are listed
as not checked, never guessed."""

from __future__ import annotations

import pytest

from hubcrm import AsyncHubCRM
from hubcrm._check.regex import java_compatible, same_reading
from hubcrm.testing import Emulator

pytestmark = pytest.mark.anyio

DEAL = {"dealname": "Deal", "pipeline": "default", "dealstage": "closedwon"}
SECRET = "Zq9Secret"


async def test_no_message_quotes_a_value_of_the_record(portal: Emulator, crm: AsyncHubCRM) -> None:
    bad = [
        {"tier": SECRET},
        {"tags": f"a;{SECRET}"},
        {"score": SECRET},
        {"score": "1" + "0" * 9 + SECRET},
        {"signed_on": SECRET},
        {"closedate": SECRET},
        {"vip": SECRET},
        {"code": SECRET},
        {"pipeline": SECRET},
        {"pipeline": "p2", "dealstage": SECRET},
        {"dealstage": SECRET},
        {"hubspot_owner_id": SECRET},
        {"calc": SECRET},
        {"deal_key": SECRET},
        {"deal_key": SECRET},
    ]
    report = await crm.objects.validate("deals", [{**DEAL, **change} for change in bad])
    assert len(report.refused) == len(bad) - 1  # the first deal_key is fine
    for text in [p.message for p in report.problems] + [repr(report)]:
        assert SECRET.lower() not in text.lower()
    contacts = await crm.objects.validate(
        "contacts", [{"email": f"{SECRET}@"}, {"email": "a@x.io"}, {"email": "A@x.io"}]
    )
    assert len(contacts.problems) == 2
    assert all(SECRET.lower() not in p.message.lower() for p in contacts.problems)
    assert all("a@x.io" not in p.message.lower() for p in contacts.problems)


async def test_rules_hubcrm_does_not_evaluate_are_listed_not_checked(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    portal.add_validation_rule("deals", "description", "REGEX", ["(?i)[a-z]+"])
    report = await crm.objects.validate("deals", [{**DEAL, "description": "123"}], refresh=True)
    assert report.ok  # the emulator (Python) would refuse it; HubSpot's Java may differ
    notes = {(s.property, s.reason.split(":")[0]) for s in report.skipped}
    assert ("description", "REGEX") in notes
    assert ("dealname", "WHITESPACE") in notes


async def test_a_value_the_engines_read_differently_is_not_checked_against_the_pattern(
    portal: Emulator, crm: AsyncHubCRM
) -> None:
    # Python's \d takes Arabic-Indic digits, Java's does not: not judged either way
    report = await crm.objects.validate("deals", [{**DEAL, "code": "AB-\u0661\u0662\u0663"}])
    assert report.ok
    assert any(s.property == "code" and "not checked" in s.reason for s in report.skipped)


@pytest.mark.parametrize(
    "pattern",
    [
        r"[A-Z]{2}-\d{3}",
        r"^(?:foo|bar)+$",
        r"[^@\s]+@[a-z.\-]+",
        r"a*?b+c?",
        r"\(\d{3}\) \d{3}-\d{4}",
        "",
    ],
)
def test_patterns_both_engines_read_alike_are_evaluated(pattern: str) -> None:
    assert java_compatible(pattern) is None


@pytest.mark.parametrize(
    "pattern",
    [
        r"\p{Alpha}+",
        r"[a-z&&[^q]]",
        r"a++",
        r"(?i)abc",
        r"(?<name>x)",
        r"(?=x)y",
        r"\bword\b",
        r"\Qa.b\E",
        r"a{,3}",
        r"x{",
        r"a$b",
        r"\x41",
        r"(a",
        r"[]a]",
    ],
)
def test_patterns_the_engines_read_differently_are_not(pattern: str) -> None:
    assert java_compatible(pattern) is not None


def test_same_reading_depends_on_the_values_characters() -> None:
    assert same_reading(r"\d+", "123")
    assert not same_reading(r"\d+", "\u0661")
    assert same_reading(r"a.c", "abc")
    assert not same_reading(r"a.c", "a\rc")
    assert same_reading(r"[a-z]+", "\u0661")
