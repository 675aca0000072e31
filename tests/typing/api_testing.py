"""hubcrm.testing (everything in its __all__) as users' type checkers see it.

Never run: `nox -s lint` checks this file with mypy --strict and pyright (strict).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from hubcrm import HubCRM
from hubcrm.testing import (
    FIXTURE_SEARCH_DELAY,
    AssociationCategory,
    AssociationTypeDef,
    ConflictStyle,
    Emulator,
    FaultKind,
    FaultRecord,
    FaultRule,
    Faults,
    ObjectTypeDef,
    Operation,
    PropertyDef,
    PropertyType,
    ReceivedRequest,
    Stats,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type


def construct(style: ConflictStyle) -> Emulator:
    return Emulator(
        token=["tok-1", "tok-2"],
        host="127.0.0.1",
        port=0,
        rate_limit=(190, 10.0),
        daily_limit=None,
        access_token_ttl=60.0,
        seed=None,
        max_body_bytes=1 << 20,
        portal_id=1,
        conflict_style=style,
        not_found_body="html",
        require_company_domain_or_name=True,
        unique_refusal="400",
        upsert_trace_ids=False,
        search_rate_limit=(5, 1.0),
    )


def sync_emulator() -> None:
    with Emulator(rate_limit=None) as hubspot:
        assert_type(hubspot, Emulator)
        assert_type(hubspot.base_url, str)
        assert_type(hubspot.token, str)
        assert_type(hubspot.portal_id, int)
        assert_type(hubspot.objects("contacts"), list[dict[str, Any]])
        assert_type(hubspot.count("contacts"), int)
        assert_type(hubspot.stats, Stats)
        assert_type(hubspot.faults, Faults)
        assert_type(hubspot.reset(), None)
        assert_type(hubspot.advance_clock(1.5), None)
        assert_type(hubspot.set_rate_limit((10, 1.0), daily_limit=1000), None)
        assert_type(hubspot.set_rate_limit(None), None)
        assert_type(hubspot.set_search_rate_limit((5, 1.0)), None)
        assert_type(hubspot.set_search_rate_limit(None), None)
        assert_type(hubspot.configure(not_found_body="empty", unique_refusal="409"), None)
        assert_type(
            hubspot.configure(require_company_domain_or_name=False, upsert_trace_ids=True), None
        )
        assert_type(hubspot.configure(search_delay=0), None)
        assert_type(FIXTURE_SEARCH_DELAY, float)
        assert_type(hubspot.settings, dict[str, Any])
        refresh = hubspot.register_oauth_app("id", "secret", rotate_refresh_tokens=True)
        assert_type(refresh, str)
        other = hubspot.register_oauth_app(
            "id2", "secret", refresh_token="rt", scopes=["crm.objects.contacts.write"], user_id=7
        )
        assert_type(other, str)


async def async_emulator() -> None:
    async with Emulator() as hubspot:
        assert_type(hubspot, Emulator)
    other = Emulator()
    assert_type(await other.start(), None)
    assert_type(await other.stop(), None)


def schema(hubspot: Emulator, kind: PropertyType, category: AssociationCategory) -> None:
    prop = PropertyDef(name="vin", type=kind, options=["a"], unique=True)
    assert_type(prop.name, str)
    assert_type(prop.type, PropertyType)
    assert_type(prop.options, tuple[str, ...])
    assert_type(prop.multiple, bool)
    assert_type(prop.unique, bool)
    assert_type(prop.email, bool)
    assert_type(prop.read_only, bool)
    cars = hubspot.define_object_type(
        "cars",
        properties=[prop],
        required=["vin"],
        singular="car",
        type_number=1,
        default_read_properties=["vin"],
    )
    assert_type(cars, ObjectTypeDef)
    assert_type(cars.object_type_id, str)
    assert_type(cars.name, str)
    assert_type(cars.singular, str)
    assert_type(cars.properties, Mapping[str, PropertyDef])
    assert_type(cars.required, tuple[str, ...])
    assert_type(cars.unique_properties, tuple[str, ...])
    assert_type(cars.required_one_of, tuple[str, ...])
    assert_type(cars.created_property, str)
    assert_type(cars.modified_property, str)
    assert_type(cars.default_read_properties, tuple[str, ...] | None)
    assert_type(hubspot.object_type("cars"), ObjectTypeDef)
    assert_type(hubspot.add_property("cars", PropertyDef(name="colour")), None)
    hubspot.define_association_type("cars", "contacts", 7, category=category, label="owner")
    definition = AssociationTypeDef(
        from_type_id="2-1", to_type_id="0-1", type_id=7, category=category, label="owner"
    )
    assert_type(definition.type_id, int)
    assert_type(definition.category, AssociationCategory)
    assert_type(definition.label, str | None)


def faults(hubspot: Emulator, kind: FaultKind, operation: Operation) -> None:
    f = hubspot.faults
    assert_type(f.latency(0.2, times=1, operation=operation), FaultRule)
    assert_type(f.error_before(503, retry_after=1.0, html=True), FaultRule)
    assert_type(f.error_after(502, object_type="deals", probability=0.1), FaultRule)
    assert_type(f.disconnect_after(operation="create"), FaultRule)
    every: tuple[Operation, ...] = (
        "create",
        "batch_create",
        "batch_upsert",
        "read",
        "batch_read",
        "token",
        "list",
        "update",
        "archive",
        "batch_update",
        "batch_archive",
        "search",
        "associate",
        "list_associations",
        "delete_association",
        "batch_associate",
        "batch_disassociate",
        "association_labels",
    )
    for op in every:
        assert_type(f.error_before(500, operation=op), FaultRule)
    assert_type(f.timeout_after(5.0), FaultRule)
    assert_type(f.add(FaultRule(kind=kind, times=2)), FaultRule)
    rule = FaultRule(
        kind="error_after",
        times=None,
        probability=0.5,
        operation=operation,
        object_type="contacts",
        status=503,
        delay=0.0,
        retry_after=2.0,
        html=False,
    )
    assert_type(rule.kind, FaultKind)
    assert_type(rule.times, int | None)
    assert_type(rule.probability, float | None)
    assert_type(rule.operation, Operation | None)
    assert_type(rule.object_type, str | None)
    assert_type(rule.status, int)
    assert_type(rule.delay, float)
    assert_type(rule.retry_after, float | None)
    assert_type(rule.html, bool)
    assert_type(f.rules, list[FaultRule])
    assert_type(f.clear(), None)
    for record in f.log:
        assert_type(record, FaultRecord)
        assert_type(record.kind, FaultKind)
        assert_type(record.operation, str)
        assert_type(record.object_type, str | None)
        assert_type(record.status, int | None)
        assert_type(record.ids, tuple[str, ...])
        assert_type(record.correlation_id, str)
        assert_type(record.to_json(), dict[str, object])


def stats(s: Stats) -> None:
    assert_type(s.requests, int)
    assert_type(s.requests_by_operation, Mapping[str, int])
    assert_type(s.responses_by_status, Mapping[int, int])
    assert_type(s.rate_limited, Mapping[str, int])
    assert_type(s.faults, Mapping[str, int])
    assert_type(s.faults_by_operation, Mapping[str, Mapping[str, int]])
    assert_type(s.oauth_refreshes, int)
    assert_type(s.objects_created, int)
    assert_type(s.objects_updated, int)
    assert_type(s.to_json(), dict[str, Any])


def received(hubspot: Emulator) -> None:
    assert_type(hubspot.received, list[ReceivedRequest])
    request = hubspot.received[-1]
    assert_type(request.method, str)
    assert_type(request.path, str)
    assert_type(request.query, str)
    assert_type(request.headers, Mapping[str, str])


# The pytest plugin's fixture, as a user's test module uses it.
@pytest.fixture
def crm(hubspot_emulator: Emulator) -> Iterator[HubCRM]:
    with HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url) as client:
        yield client


@pytest.mark.hubspot_emulator(rate_limit=(4, 1.0))
def check_with_fixture(crm: HubCRM, hubspot_emulator: Emulator) -> None:
    assert_type(crm.objects.create("contacts", {"email": "a@example.com"}).id, str)
    assert_type(hubspot_emulator.count("contacts"), int)
