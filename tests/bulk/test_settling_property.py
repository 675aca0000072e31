"""Property: every outcome a bulk create settles matches what HubSpot holds.

Hypothesis draws contacts whose emails repeat (in other cases too), or deals whose
``id_property`` values repeat (HubSpot refusing a taken value with a 409 or a 400), records that
existed before the run (long before, or moments before, with the same values or
others), faults before and after commit on the creates and the read-backs, HubSpot's
clock ahead of or behind the machine's within the documented tolerance, batch sizes,
concurrency and mode. Then, for every input:

- ``created``: the record exists under that id, holds this input's values, and no other
  input claimed it; it is not a record from before the run's tolerance;
- ``failed``: nothing of it was written: the stored record with its email is one from
  before the run or one another input was settled with;
- ``unknown``: its error says why (the cause), and HubSpot holds at most one record with
  its email.

And every record the run made is claimed by exactly one ``created`` input, or by an
input left ``unknown`` (none is silently lost). Two writers who make the same email
with the same values within the tolerance cannot be told apart: a record from moments
before the run, holding this input's values, may settle it as created.

The examples are capped (``HUBCRM_SETTLING_EXAMPLES``: 100 by default, so that the suite
stays within CI's time; nox gives it 500 on the one Python that runs the timing tests).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubcrm import BadRequestError, ConflictError, HubCRM, OutcomeUnknownError, RetryPolicy
from hubcrm.testing import Emulator, PropertyDef

EXAMPLES = int(os.environ.get("HUBCRM_SETTLING_EXAMPLES", "100"))
NAMES = ["ada", "bob", "cy", "dee", "eve", "fay"]
TOLERANCE = 60.0  # seconds: hubcrm's documented clock-skew tolerance


# Contacts keyed by email (HubSpot ignores its case), or deals keyed by a custom unique
# property through id_property (compared exactly: a case variant is another key).
KINDS = {
    "contacts": ("email", "firstname", None),
    "deals": ("import_key", "dealname", "import_key"),
}
DEAL = {"dealstage": "appointmentscheduled", "pipeline": "default"}


def _key(name: str, variant: int, kind: str) -> str:
    base = f"{name}@example.com" if kind == "contacts" else f"row-{name}"
    return [base, base.upper(), base.capitalize()][variant]


def _norm(key: str, kind: str) -> str:
    return key.lower() if kind == "contacts" else key


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    inputs = draw(
        st.lists(
            st.tuples(st.sampled_from(NAMES), st.integers(0, 2), st.sampled_from(["A", "B"])),
            min_size=1,
            max_size=24,
        )
    )
    before = draw(
        st.dictionaries(
            st.sampled_from(NAMES),
            st.tuples(st.sampled_from(["long ago", "moments ago"]), st.sampled_from(["A", "B"])),
            max_size=3,
        )
    )
    kind = draw(st.sampled_from(sorted(KINDS)))
    key, value, _ = KINDS[kind]
    extra = DEAL if kind == "deals" else {}
    return {
        "kind": kind,
        "inputs": [{key: _key(n, v, kind), value: f, **extra} for n, v, f in inputs],
        "before": before,
        "faults": draw(
            st.fixed_dictionaries(
                {
                    "error_before": st.sampled_from([0.0, 0.1, 0.3]),
                    "error_after": st.sampled_from([0.0, 0.1, 0.3]),
                    "disconnect_after": st.sampled_from([0.0, 0.1]),
                    "read_error": st.sampled_from([0.0, 0.1]),
                }
            )
        ),
        "skew": draw(st.sampled_from([0.0, -TOLERANCE * 0.8, -5.0, 5.0, TOLERANCE * 0.5])),
        "batch_size": draw(st.integers(1, 8)),
        "concurrency": draw(st.integers(1, 4)),
        "mode": draw(st.sampled_from(["batch", "batch", "single"])),
        "refusal": draw(st.sampled_from(["409", "400"])),  # how HubSpot refuses a taken key
    }


def _arrange(emu: Emulator, crm: HubCRM, scenario: dict[str, Any]) -> dict[str, str]:
    """Records from before the run; returns their ids by (normalised) key."""
    kind = scenario["kind"]
    key, value, _ = KINDS[kind]
    if kind == "deals":
        emu.add_property("deals", PropertyDef(name=key, unique=True))
        emu.configure(unique_refusal=scenario["refusal"])
    existing: dict[str, str] = {}
    for name, (when, text) in scenario["before"].items():
        # Long ago: well past the tolerance whatever the run's skew; moments ago: inside it.
        # Both by the run's own HubSpot clock, which never runs backwards: a record made
        # "moments ago" at a smaller skew would be newer than the run's own records.
        before = 10 * TOLERANCE if when == "long ago" else 2.0
        emu.configure(clock_skew=scenario["skew"] - before)
        extra = DEAL if kind == "deals" else {}
        record = crm.objects.create(kind, {key: _key(name, 0, kind), value: text, **extra})
        existing[_key(name, 0, kind)] = record.id
    emu.configure(clock_skew=scenario["skew"])
    faults = scenario["faults"]
    for kind, rate in faults.items():
        if not rate:
            continue
        if kind == "error_before":
            emu.faults.error_before(503, probability=rate, operation="batch_create")
            emu.faults.error_before(503, probability=rate, operation="create")
        elif kind == "error_after":
            emu.faults.error_after(502, probability=rate, operation="batch_create")
            emu.faults.error_after(502, probability=rate, operation="create")
        elif kind == "disconnect_after":
            emu.faults.disconnect_after(probability=rate, operation="batch_create")
            emu.faults.disconnect_after(probability=rate, operation="create")
        else:
            emu.faults.error_before(503, probability=rate, operation="batch_read")
            emu.faults.error_before(503, probability=rate, operation="read")
    return existing


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
@pytest.mark.hubspot_emulator(rate_limit=None)
def test_every_settled_outcome_matches_what_hubspot_holds(
    hubspot_emulator: Emulator, scenario: dict[str, Any]
) -> None:
    emu = hubspot_emulator
    emu.reset()
    emu.configure(clock_skew=0.0)
    policy = RetryPolicy(max_retries=8, backoff_base=0.001, backoff_max=0.005)
    with HubCRM(emu.token, base_url=emu.base_url, rate_limit=None, retry=policy) as crm:
        existing = _arrange(emu, crm, scenario)
        inputs = scenario["inputs"]
        kind = scenario["kind"]
        key, value, id_property = KINDS[kind]
        result = crm.objects.create_many(
            kind,
            inputs,
            batch_size=scenario["batch_size"],
            concurrency=scenario["concurrency"],
            mode=scenario["mode"],
            id_property=id_property,
        )
    emu.faults.clear()
    emu.configure(clock_skew=0.0, unique_refusal="409")

    stored = emu.objects(kind)
    by_key = Counter(_norm(o["properties"][key], kind) for o in stored)
    assert all(n == 1 for n in by_key.values()), by_key  # HubSpot keeps the key unique
    record_of = {_norm(o["properties"][key], kind): o for o in stored}
    existing = {_norm(k, kind): v for k, v in existing.items()}
    long_ago = {
        existing[_norm(_key(name, 0, kind), kind)]
        for name, (when, _) in scenario["before"].items()
        if when == "long ago"
    }
    assert len(result.outcomes) == len(inputs)
    claimed: Counter[str] = Counter()
    unknown_keys: set[str] = set()
    for outcome in result.outcomes:
        given_ = inputs[outcome.index]
        k = _norm(given_[key], kind)
        record = record_of.get(k)
        if outcome.status == "created":
            assert outcome.object is not None
            assert record is not None, outcome
            assert outcome.object.id == record["id"]
            assert record["properties"][value] == given_[value]
            assert record["id"] not in long_ago  # a record from before the run is a conflict
            claimed[record["id"]] += 1
        elif outcome.status == "failed":
            assert isinstance(outcome.error, (ConflictError, BadRequestError)), outcome.error
            assert record is not None  # refused because the key was taken
        else:
            assert outcome.status == "unknown", outcome
            assert isinstance(outcome.error, OutcomeUnknownError)
            assert outcome.error.cause is not None  # it says why
            unknown_keys.add(k)
    assert all(n == 1 for n in claimed.values()), claimed  # one record, one input
    # Failed inputs wrote nothing: their key's record is from before the run, or the
    # record another input was settled with, or one an unknown input may have made.
    for outcome in result.outcomes:
        if outcome.status == "failed":
            k = _norm(inputs[outcome.index][key], kind)
            record = record_of[k]
            assert (
                record["id"] in existing.values() or record["id"] in claimed or k in unknown_keys
            ), outcome
    # Every record the run made is some input's: created, or left unknown.
    for k, record in record_of.items():
        if record["id"] in existing.values():
            continue
        assert record["id"] in claimed or k in unknown_keys, (k, result.outcomes)
