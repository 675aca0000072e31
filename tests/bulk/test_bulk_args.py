"""The arguments of a bulk run are checked once, when they are gathered: every rule."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hubcrm import AsyncHubCRM
from hubcrm._write.bulk import BulkArgs

pytestmark = pytest.mark.anyio

VALID: dict[str, Any] = {
    "object_type": "contacts",
    "batch_size": 100,
    "concurrency": None,
    "id_property": None,
    "mode": "batch",
    "on_progress": None,
}

BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"object_type": 5}, TypeError, "object_type must be a str such as 'contacts'"),
    ({"object_type": ""}, ValueError, "object_type is empty; pass a type name such as"),
    ({"object_type": "a/b"}, ValueError, "object_type 'a/b' contains '/'"),
    ({"batch_size": "10"}, TypeError, "batch_size must be an int"),
    ({"batch_size": True}, TypeError, "batch_size must be an int"),
    ({"batch_size": 0}, ValueError, "batch_size must be between 1 and 100, not 0"),
    ({"batch_size": 101}, ValueError, "batch_size must be between 1 and 100, not 101"),
    ({"concurrency": 1.5}, TypeError, "concurrency must be an int or None"),
    ({"concurrency": False}, TypeError, "concurrency must be an int or None"),
    ({"concurrency": 0}, ValueError, "concurrency must be at least 1"),
    ({"id_property": ""}, ValueError, "id_property must be a non-empty property name or None"),
    ({"id_property": 5}, ValueError, "id_property must be a non-empty property name or None"),
    ({"mode": "parallel"}, ValueError, "mode must be 'batch' or 'single', not 'parallel'"),
    ({"on_progress": 5}, TypeError, "on_progress must be callable or None"),
]  # fmt: skip

# Several bad arguments: the first in this order is reported, the object type first.
FIRST_BAD: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"object_type": 5, "batch_size": 0}, TypeError, "object_type must be a str"),
    ({"batch_size": 0, "mode": "x"}, ValueError, "batch_size must be between"),
]


@pytest.mark.parametrize(("override", "error", "message"), BAD + FIRST_BAD)
def test_bad_arguments_are_refused_when_gathered(
    override: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}"):
        BulkArgs(**{**VALID, **override})


@pytest.mark.parametrize(
    ("override", "upsert", "operation"),
    [
        ({}, False, "batch/create"),
        ({"id_property": "email"}, False, "batch/create"),
        ({"id_property": "email", "upsert": True}, True, "batch/upsert"),
        ({"id_property": "email", "mode": "single"}, False, "batch/create"),
        ({"batch_size": 1, "concurrency": 3, "on_progress": print}, False, "batch/create"),
    ],
)
def test_good_arguments_say_where_batches_go(
    override: dict[str, Any], upsert: bool, operation: str
) -> None:
    args = BulkArgs(**{**VALID, **override})
    assert (args.upsert, args.operation) == (upsert, operation)


@pytest.mark.parametrize(("override", "error", "message"), BAD)
async def test_both_methods_check_when_called(
    override: dict[str, Any], error: type[Exception], message: str
) -> None:
    kwargs = {**VALID, **override}
    object_type = kwargs.pop("object_type")
    async with AsyncHubCRM("token", base_url="http://127.0.0.1:9") as crm:
        with pytest.raises(error, match=f"^{re.escape(message)}"):
            await crm.objects.create_many(object_type, [], **kwargs)
        with pytest.raises(error, match=f"^{re.escape(message)}"):
            crm.objects.iter_create_many(object_type, [], **kwargs)  # raised by the call
        assert crm.stats.requests == 0
