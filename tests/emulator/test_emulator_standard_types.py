"""The standard object types, read from the data file shipped in hubcrm.testing."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import attrs

from hubcrm.testing import Emulator, ObjectTypeDef, PropertyDef
from hubcrm.testing._schema import STANDARD_TYPES_FILE, standard_types

# SHA-256 of the JSON dump of attrs.asdict() of every standard type, as the Python table
# the data file replaced defined them. A deliberate change to the file changes it too.
FINGERPRINT = "e54578314dcd86430d4484fc6191fa5387c3e9ede7b10d2b3ee71d25cbe397a3"
TYPE_IDS = [
    "0-1", "0-2", "0-3", "0-5", "0-7", "0-8", "0-14", "0-18",
    "0-27", "0-46", "0-47", "0-48", "0-49", "0-53", "0-136",
]  # fmt: skip


def _without_new_defaults(field: attrs.Attribute[object], value: object) -> bool:
    # PropertyDef.calculated came after the pin: left out while it keeps its default
    return not (field.name == "calculated" and value is False)


def fingerprint(types: list[ObjectTypeDef]) -> str:
    dump = json.dumps([attrs.asdict(t, filter=_without_new_defaults) for t in types])
    return hashlib.sha256(dump.encode()).hexdigest()


def test_the_data_file_is_in_the_package() -> None:
    assert resources.files("hubcrm.testing").joinpath(STANDARD_TYPES_FILE).is_file()


def test_loaded_types_are_unchanged() -> None:
    types = standard_types()
    assert [t.object_type_id for t in types] == TYPE_IDS
    assert fingerprint(types) == FINGERPRINT
    for tdef in types:
        assert isinstance(tdef.required, tuple)
        assert isinstance(tdef.required_one_of, tuple)
        assert tdef.default_read_properties is None or isinstance(
            tdef.default_read_properties, tuple
        )
        assert all(isinstance(p, PropertyDef) for p in tdef.properties.values())
        assert all(isinstance(p.options, tuple) for p in tdef.properties.values())
        # system properties last, as for custom types
        assert list(tdef.properties)[-3:] == [
            "hs_object_id",
            tdef.created_property,
            tdef.modified_property,
        ]


def test_each_emulator_gets_its_own_property_maps() -> None:
    first, second = standard_types(), standard_types()
    assert first == second
    assert all(a.properties is not b.properties for a, b in zip(first, second, strict=True))
    emu = Emulator()
    emu.add_property("contacts", PropertyDef(name="shoe_size", type="number"))
    assert "shoe_size" in emu.object_type("contacts").properties
    assert "shoe_size" not in Emulator().object_type("contacts").properties
    assert [Emulator().object_type(i) for i in TYPE_IDS] == standard_types()
