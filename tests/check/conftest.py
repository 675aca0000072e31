"""The portal the check tests run against: deal and custom-type pipelines with an
archived stage and an archived pipeline, owners (one archived), enumeration,
multi-select, number, date, datetime and bool properties, validation rules, a
calculated and a unique property, and a custom type with a required property."""

from __future__ import annotations

import pytest

from hubcrm.testing import Emulator, PropertyDef, StageDef

LIVE_OWNER = "100000001"
ARCHIVED_OWNER = "100000002"
RULE_PATTERN = r"[A-Z]{2}-\d{3}"


def set_up_portal(emu: Emulator) -> None:
    """Define the portal (idempotent: definitions stay across ``emu.reset()``)."""
    if "tier" in emu.object_type("deals").properties:
        return
    emu.add_pipeline(
        "deals",
        "p2",
        "Partners",
        [
            StageDef(id="s1", label="Signed Up", display_order=0),
            StageDef(id="s2", label="Trained", display_order=1),
            StageDef(id="old", label="Old Stage", display_order=2, archived=True),
        ],
        display_order=1,
    )
    emu.add_pipeline(
        "deals", "gone", "Retired", [StageDef(id="g1", label="G1")], display_order=2, archived=True
    )
    emu.add_owner("live@example.com", "Live", "Owner", owner_id=LIVE_OWNER)
    emu.add_owner("gone@example.com", "Gone", "Owner", owner_id=ARCHIVED_OWNER, archived=True)
    props = [
        PropertyDef(name="tier", type="enumeration", options=("gold", "silver", "bronze")),
        PropertyDef(name="tags", type="enumeration", options=("a", "b", "c"), multiple=True),
        PropertyDef(name="score", type="number"),
        PropertyDef(name="signed_on", type="date"),
        PropertyDef(name="vip", type="bool"),
        PropertyDef(name="code", type="string"),
        PropertyDef(name="calc", type="number", calculated=True),
        PropertyDef(name="deal_key", type="string", unique=True),
    ]
    for prop in props:
        emu.add_property("deals", prop)
    emu.add_validation_rule("deals", "score", "MIN_NUMBER", ["0"])
    emu.add_validation_rule("deals", "score", "MAX_NUMBER", ["100"])
    emu.add_validation_rule("deals", "code", "REGEX", [RULE_PATTERN])
    emu.add_validation_rule("deals", "code", "MAX_LENGTH", ["6"])
    emu.add_validation_rule("deals", "dealname", "WHITESPACE", [])
    emu.define_object_type(
        "cars",
        properties=[
            PropertyDef(name="vin", type="string", unique=True),
            PropertyDef(name="model", type="string"),
            PropertyDef(name="color", type="enumeration", options=("red", "blue")),
            PropertyDef(name="hubspot_owner_id", type="string"),
        ],
        required=["model"],
    )
    # a custom type's record naming no pipeline goes into its first live pipeline
    cars = f"p{emu.portal_id}_cars"
    emu.add_pipeline(cars, "retired", "Retired", [StageDef(id="r1", label="R1")], archived=True)
    emu.add_pipeline(
        cars,
        "lot",
        "Lot",
        [
            StageDef(id="new", label="New"),
            StageDef(id="sold", label="Sold", display_order=1),
            StageDef(id="scrapped", label="Scrapped", display_order=2, archived=True),
        ],
        display_order=1,
    )
    emu.add_pipeline(
        cars, "repair", "Repair", [StageDef(id="fixing", label="Fixing")], display_order=2
    )


@pytest.fixture
def portal(hubspot_emulator: Emulator) -> Emulator:
    """The emulator with the portal above."""
    set_up_portal(hubspot_emulator)
    return hubspot_emulator
