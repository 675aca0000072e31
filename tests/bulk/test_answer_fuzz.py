"""Every batch answer shape is survivable: the readers of ``batch/create``,
``batch/upsert``, ``batch/update`` and associations' ``batch/create`` answers are fed
arbitrary JSON (hypothesis) and must never raise; each input ends with an outcome (or
in exactly one group to send again), a record never settles two inputs, and a valid
result beside junk is still read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hubcrm import AssociationInput, HubCRMError, ResponseParseError
from hubcrm._core.config import RequestOptions
from hubcrm._http.safety import RequestKind
from hubcrm._resources.associations import _map_association_answer
from hubcrm._write.batch_write import ObjectUpdate, _UpdateSpec
from hubcrm._write.bulk_answer import BatchAnswer, map_batch_answer
from hubcrm._write.executor import execute

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
PATH = "/crm/objects/2026-03/contacts/batch/create"
TRACES = ("t0", "t1", "t2", "t3")
KEYS = ("a@x.com", "B@x.com", "c@x.com", "d@x.com")

ODD_KEYS = st.sampled_from(
    ["id", "properties", "objectWriteTraceId", "new", "createdAt", "updatedAt", "archived",
     "status", "category", "message", "context", "errors", "results", "ids", "email", ""]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.sampled_from([*TRACES, *KEYS, "A@X.COM", "1", "2"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(ODD_KEYS | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
TIMES = st.sampled_from(["2026-03-01T10:00:00Z", "2026-03-01T10:00:00.123Z", "yesterday", 5, None])


@st.composite
def records(draw: st.DrawFn) -> Any:
    """Something like a result: any field missing, of the wrong type, or right."""
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        body["id"] = draw(st.sampled_from(["1", "2", "3", 7]) | JSON)
    if draw(st.booleans()):
        body["properties"] = draw(
            st.dictionaries(st.sampled_from(["email", "name"]), st.sampled_from(KEYS) | JSON) | JSON
        )
    for name in ("createdAt", "updatedAt"):
        if draw(st.booleans()):
            body[name] = draw(TIMES)
    if draw(st.booleans()):
        body["objectWriteTraceId"] = draw(st.sampled_from([*TRACES, "elsewhere"]) | JSON)
    if draw(st.booleans()):
        body["new"] = draw(st.booleans() | JSON)
    if draw(st.booleans()):
        body["archived"] = draw(st.booleans() | JSON)
    return body


@st.composite
def error_entries(draw: st.DrawFn) -> Any:
    """Something like an ``errors[]`` entry."""
    entry: dict[str, Any] = {}
    if draw(st.booleans()):
        entry["status"] = draw(st.sampled_from(["error", 429, 500, 502, "503", 404, 200]) | JSON)
    if draw(st.booleans()):
        entry["category"] = draw(
            st.sampled_from(["VALIDATION_ERROR", "RATE_LIMIT", "CONFLICT", "OBJECT_NOT_FOUND"])
            | JSON
        )
    if draw(st.booleans()):
        entry["message"] = draw(JSON)
    if draw(st.booleans()):
        named = st.lists(st.sampled_from([*TRACES, "1", "2", "x"]) | JSON, max_size=3)
        entry["context"] = draw(
            st.dictionaries(
                st.sampled_from(["objectWriteTraceId", "ids", "fromObjectId", "toObjectId"]),
                named | JSON,
            )
            | JSON
        )
    if draw(st.booleans()):
        entry["errors"] = draw(JSON)
    return entry


def answers() -> st.SearchStrategy[Any]:
    """Decoded 2xx bodies: mostly answer-shaped, with junk anywhere, or any JSON."""
    entry_lists = st.lists(records() | JSON, max_size=6) | JSON
    error_lists = st.lists(error_entries() | JSON, max_size=4) | JSON
    shaped = st.fixed_dictionaries(
        {},
        optional={
            "status": st.sampled_from(["COMPLETE", 200, 201, 207]) | JSON,
            "results": entry_lists,
            "errors": error_lists,
            "numErrors": JSON,
        },
    )
    return shaped | JSON


def check_accounted(answer: BatchAnswer[Any], n: int, results: object) -> None:
    """Each input has one outcome, or is in exactly one group to send again."""
    assert len(answer.status) == len(answer.record) == len(answer.error) == n
    assert len(answer.new) == n
    grouped = [i for group in answer.split for i in group]
    assert len(grouped) == len(set(grouped))
    for i, status in enumerate(answer.status):
        if status is None:
            assert i in grouped
            continue
        assert i not in grouped
        if status in ("created", "updated"):
            assert answer.record[i] is not None
            assert answer.error[i] is None
        else:
            assert status in ("failed", "unknown", "not_attempted")
            assert isinstance(answer.error[i], HubCRMError)
            assert answer.record[i] is None
    # A result settles at most one input.
    made = sum(1 for r in answer.record if r is not None)
    readable = [r for r in results if isinstance(r, Mapping)] if isinstance(results, list) else []
    assert made <= len(readable)
    assert len({id(r) for r in answer.record if r is not None}) == made


def results_of(data: Any) -> Any:
    return data.get("results") if isinstance(data, Mapping) else None


@FUZZ
@given(data=answers(), n=st.integers(1, 4), upsert=st.booleans(), keyed=st.booleans())
def test_any_create_or_upsert_answer_is_read(data: Any, n: int, upsert: bool, keyed: bool) -> None:
    keys: Sequence[str | None] | None = KEYS[:n] if keyed else None
    answer = map_batch_answer(
        TRACES[:n],
        data,
        {},
        upsert=upsert,
        path=PATH,
        object_type="contacts",
        keys=keys,
        key_property="email" if keyed else None,
    )
    check_accounted(answer, n, results_of(data))


def valid(trace_id: str, object_id: str) -> dict[str, Any]:
    return {
        "id": object_id,
        "properties": {"email": "x@example.com"},
        "createdAt": "2026-03-01T10:00:00Z",
        "updatedAt": "2026-03-01T10:00:00Z",
        "archived": False,
        "objectWriteTraceId": trace_id,
    }


def untraced(value: Any) -> bool:
    """Junk that names no input of the batch by trace id or by key."""
    return not any(t in repr(value) for t in (*TRACES, *KEYS, "a@x.com".upper()))


@FUZZ
@given(
    junk=st.lists(JSON.filter(untraced) | records().filter(untraced), max_size=5),
    named=st.sets(st.integers(0, 3), min_size=1),
    keyed=st.booleans(),
    seed=st.randoms(use_true_random=False),
)
def test_valid_results_beside_junk_are_read(
    junk: list[Any], named: set[int], keyed: bool, seed: Any
) -> None:
    results: list[Any] = [valid(TRACES[i], str(100 + i)) for i in sorted(named)] + junk
    seed.shuffle(results)
    data = {"results": results}
    answer = map_batch_answer(
        TRACES,
        data,
        {},
        upsert=False,
        path=PATH,
        object_type="contacts",
        keys=KEYS if keyed else None,
        key_property="email" if keyed else None,
    )
    check_accounted(answer, 4, results)
    for i in range(4):
        record = answer.record[i]
        if i in named:
            assert answer.status[i] == "created"
            assert record is not None
            assert record.id == str(100 + i)
        else:
            # Unmentioned: HubSpot answered 2xx, so it may have made them.
            assert answer.status[i] == "unknown"
            assert isinstance(answer.error[i], ResponseParseError)


@FUZZ
@given(data=answers(), by_key=st.lists(st.booleans(), min_size=1, max_size=4))
@example(data={"errors": [{"context": {"ids": [["1"], "1"]}}]}, by_key=[False])
def test_any_update_answer_is_read(data: Any, by_key: list[bool]) -> None:
    spec = _UpdateSpec(PATH, RequestKind.UPSERT, RequestOptions(), "contacts", "t")
    items = [
        (
            i,
            ObjectUpdate(KEYS[i], {"a": "b"}, id_property="email")
            if k
            else ObjectUpdate(str(i + 1), {"a": "b"}),
        )
        for i, k in enumerate(by_key)
    ]
    answer = spec.read(items, data, {})
    check_accounted(answer, len(items), results_of(data))


@FUZZ
@given(data=answers(), n=st.integers(1, 4))
@example(data={"errors": [{"context": {"fromObjectId": 1, "toObjectId": None}}]}, n=2)
@example(data={"results": [None], "errors": [{"context": {"toObjectId": 2}}]}, n=1)
def test_any_association_answer_is_read(data: Any, n: int) -> None:
    chunk = [AssociationInput(str(i + 1), "2", 1) for i in range(n)]
    answer = _map_association_answer(chunk, data, {}, "/assoc/batch/create")
    check_accounted(answer, n, results_of(data))


def test_a_result_keyed_like_two_inputs_settles_neither() -> None:
    # Two inputs whose keys HubSpot holds equal (emails differ in case only): a result
    # carrying that key cannot tell which it is.
    result = valid("elsewhere", "5")
    del result["objectWriteTraceId"]
    result["properties"] = {"email": "a@x.com"}
    answer = map_batch_answer(
        ("t0", "t1"),
        {"results": [result]},
        {},
        upsert=True,
        path=PATH,
        object_type="contacts",
        keys=["A@x.com", "a@X.com"],
        key_property="email",
    )
    assert answer.status == ["unknown", "unknown"]


def test_an_upsert_result_with_a_foreign_trace_id_is_matched_by_its_key() -> None:
    result = valid("elsewhere", "5")
    result["properties"] = {"email": "B@X.com"}
    result["new"] = False
    answer = map_batch_answer(
        ("t0", "t1"),
        {"results": [result, valid("t0", "4")]},
        {},
        upsert=True,
        path=PATH,
        object_type="contacts",
        keys=["a@x.com", "b@x.com"],
        key_property="email",
    )
    assert answer.status == ["created", "updated"]
    assert [r.id if r else None for r in answer.record] == ["4", "5"]


def test_a_custom_unique_value_is_compared_exactly() -> None:
    # Only emails compare case-insensitively: "ABC" is another record than "abc".
    result = valid("elsewhere", "5")
    del result["objectWriteTraceId"]
    result["properties"] = {"vin": "ABC"}
    answer = map_batch_answer(
        ("t0",),
        {"results": [result]},
        {},
        upsert=True,
        path=PATH,
        object_type="cars",
        keys=["abc"],
        key_property="vin",
    )
    assert answer.status == ["unknown"]


class _Answer:
    headers: Mapping[str, str] = {}

    def json(self) -> Any:
        return {"results": []}


class _Requester:
    closed = False

    async def request(self, *args: Any, **kwargs: Any) -> _Answer:
        return _Answer()


class _TrippingSpec:
    path = PATH
    kind = RequestKind.CREATE
    options = RequestOptions()

    def body(self, items: Sequence[int]) -> dict[str, Any]:
        return {"inputs": list(items)}

    def read(self, items: Sequence[int], data: Any, headers: Mapping[str, str]) -> Any:
        return data["nothing"]  # a reader that trips on the answer

    def unsendable(self, item: int, error: Exception) -> Exception:
        return error


@pytest.mark.anyio
async def test_a_reader_tripping_on_an_answer_leaves_its_inputs_unknown() -> None:
    executed = await execute(_Requester(), _TrippingSpec(), [1, 2])  # type: ignore[arg-type]
    assert [v.status for v in executed.verdicts] == ["unknown", "unknown"]
    error = executed.verdicts[0].error
    assert isinstance(error, ResponseParseError)
    assert "KeyError" in str(error)
    assert PATH in str(error)
