"""Associations between existing records: ``crm.associations``.

Single-record calls live under ``/crm/objects/{version}/{type}/{id}/associations/...``;
the batch create and the label definitions under ``/crm/associations/{version}/...``
(for ``api_version="v3"``, HubSpot's v4 associations paths). Every request goes through
the client's retrier: associating and removing an association are idempotent, so they
are retried after ambiguous failures like reads.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import attrs

from .._core.config import RequestOptions
from .._core.errors import HubCRMError, ResponseParseError
from .._core.models import AssociationSpec, AssociationType, _to_specs, record_id
from .._core.values import type_name
from .._http.retry import RequestKind, Retrier
from .._http.session import object_type_segment, path_segment
from .._write import batch_write as _batch_write
from .._write.batch_write import BatchResult
from .._write.bulk_answer import BatchAnswer, entry_outcome
from .._write.executor import Verdict
from .._write.outcomes import OutcomeStatus
from .._write.schedule import check_batch_size
from .association_labels import AssociationLabel, LabelWrites, _str
from .paging import PageRequest, page_results, paginate

__all__ = [
    "AssociatedRecord",
    "AssociationInput",
    "AssociationLabel",
    "AssociationLink",
    "AssociationOutcome",
    "AssociationStatus",
    "AssociationTypes",
    "AsyncAssociations",
]

AssociationTypes = int | AssociationType | AssociationSpec | Iterable[int | AssociationSpec]


@attrs.frozen
class AssociatedRecord:
    """One record associated with the record ``associations.list`` was asked about.

    Attributes:
        to_id: The associated record's id.
        types: The association types linking the two (with their labels).
    """

    to_id: str
    types: tuple[AssociationLabel, ...]

    @classmethod
    def _from_json(cls, data: Any) -> AssociatedRecord:
        types = data.get("associationTypes") or []
        return cls(_str(data["toObjectId"]), tuple(AssociationLabel._from_json(t) for t in types))


@attrs.frozen
class AssociationLink:
    """An association HubSpot made: from one record to another, with its labels.

    Attributes:
        from_type_id: The ``from`` record's object type id (``"0-1"``); empty when
            HubSpot's answer does not say (a default association).
        from_id: The ``from`` record's id.
        to_type_id: The ``to`` record's object type id; empty when not said.
        to_id: The ``to`` record's id.
        labels: The labels of the association types made (unlabelled ones have none).
    """

    from_type_id: str
    from_id: str
    to_type_id: str
    to_id: str
    labels: tuple[str, ...] = ()

    @classmethod
    def _from_json(cls, data: Any) -> AssociationLink:
        labels = data.get("labels")
        return cls(
            _str(data.get("fromObjectTypeId", "")),
            _str(data["fromObjectId"]),
            _str(data.get("toObjectTypeId", "")),
            _str(data["toObjectId"]),
            tuple(x for x in labels if isinstance(x, str)) if isinstance(labels, list) else (),
        )


def _input_from_id(value: str | int) -> str:
    return record_id(value, "an association input's from_id")


def _input_to_id(value: str | int) -> str:
    return record_id(value, "an association input's to_id")


@attrs.frozen
class AssociationInput:
    """One association for ``associations.create_many``.

    Attributes:
        from_id: The ``from`` record's id (an int is converted to str).
        to_id: The ``to`` record's id.
        types: One or more association types: type ids (``AssociationType``) or
            ``AssociationSpec`` values, read from the ``from`` record's side.

    Raises:
        TypeError: an id is not a str or int, or a type is not a type id or spec.
        ValueError: an id is empty, or no type is given.
    """

    from_id: str = attrs.field(converter=_input_from_id)
    to_id: str = attrs.field(converter=_input_to_id)
    types: tuple[AssociationSpec, ...] = attrs.field(converter=_to_specs)

    @types.validator
    def _check_types(self, _: object, value: tuple[AssociationSpec, ...]) -> None:
        if not value:
            raise ValueError("an association needs at least one type")


AssociationStatus = Literal["created", "failed", "unknown", "not_attempted"]


@attrs.frozen
class AssociationOutcome:
    """What became of one input of ``associations.create_many``.

    Attributes:
        index: The input's position, from 0.
        input: The input.
        status: ``"created"``, ``"failed"`` (HubSpot refused it), ``"unknown"``
            (retries ran out after ambiguous failures) or ``"not_attempted"``.
        link: The association made, for ``"created"``.
        error: Why it was not made, else None.
    """

    index: int
    input: AssociationInput
    status: AssociationStatus
    link: AssociationLink | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """Whether the association was made."""
        return self.status == "created"


def _spec_json(spec: AssociationSpec) -> dict[str, Any]:
    return {"associationCategory": spec.category, "associationTypeId": spec.type_id}


R = TypeVar("R")


def _parse(path: str, read: Callable[[Any], R], data: Any) -> R:
    try:
        return read(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ResponseParseError(f"could not read HubSpot's answer to {path}: {exc!r}") from exc


class AsyncAssociations(LabelWrites):
    """Associations between existing records: make, list, remove; labels: look them up,
    create, rename and delete them.

    Reached as ``crm.associations`` on a client; not constructed directly. Types are
    read from the ``from`` record's side (``AssociationType.CONTACT_TO_COMPANY`` from a
    contact to a company).
    """

    # On HubCRM, list() hands over a page per thread crossing (the codegen reads this).
    _sync_read_ahead = ("list",)

    def __init__(self, retrier: Retrier, api_version: str, options: RequestOptions) -> None:
        self._retrier = retrier
        self._options = options
        if api_version == "v3":
            self._objects = "/crm/v4/objects/"
            self._schema = "/crm/v4/associations/"
        else:
            self._objects = f"/crm/objects/{api_version}/"
            self._schema = f"/crm/associations/{api_version}/"

    def _record(self, object_type: str, object_id: str) -> str:
        return (
            f"{self._objects}{object_type_segment(object_type)}/"
            f"{path_segment(object_id, 'object_id')}/associations"
        )

    def _pair(self, from_type: str, to_type: str) -> str:
        return f"{self._schema}{object_type_segment(from_type)}/{object_type_segment(to_type)}"

    async def create(
        self,
        from_type: str,
        from_id: str,
        to_type: str,
        to_id: str,
        types: AssociationTypes | None = None,
    ) -> AssociationLink:
        """Associate two existing records.

        Args:
            from_type: the ``from`` record's object type (``"contacts"``).
            from_id: the ``from`` record's id.
            to_type: the ``to`` record's object type (``"companies"``).
            to_id: the ``to`` record's id.
            types: one or more association types (``AssociationType`` members, type
                ids or ``AssociationSpec`` values for labels, from :meth:`labels`).
                ``None`` makes HubSpot's default, unlabelled association.

        Returns:
            The association as HubSpot reports it.

        Raises:
            TypeError, ValueError: an argument is malformed (checked first).
            NotFoundError: one of the records does not exist.
            BadRequestError: a type does not fit the two object types.
        """
        to_segment = f"{object_type_segment(to_type)}/{path_segment(to_id, 'to_id')}"
        if types is None:
            path = f"{self._record(from_type, from_id)}/default/{to_segment}"
            response = await self._retrier.request(
                "PUT", path, kind=RequestKind.UPSERT, options=self._options
            )
            data = response.json() if response.body else {}
            results = data.get("results") if isinstance(data, Mapping) else None
            if isinstance(results, list) and results and isinstance(results[0], Mapping):
                first = results[0]

                def read_default(item: Any) -> AssociationLink:
                    return AssociationLink(
                        "", _str(item["from"]["id"]), "", _str(item["to"]["id"]), ()
                    )

                return _parse(path, read_default, first)
            return AssociationLink("", from_id, "", to_id, ())
        specs = _to_specs(types)
        if not specs:
            raise ValueError("types needs at least one association type (or None)")
        path = f"{self._record(from_type, from_id)}/{to_segment}"
        response = await self._retrier.request(
            "PUT",
            path,
            kind=RequestKind.UPSERT,
            json_body=[_spec_json(spec) for spec in specs],
            options=self._options,
        )
        return _parse(path, AssociationLink._from_json, response.json())

    def list(
        self,
        from_type: str,
        from_id: str,
        to_type: str,
        *,
        page_size: int = 500,
    ) -> AsyncGenerator[AssociatedRecord, None]:
        """Iterate over the records of ``to_type`` a record is associated with.

        Pages are read as the iteration goes (``after`` cursors). Arguments are checked
        by this call, before any request.

        Args:
            from_type: the record's object type.
            from_id: the record's id.
            to_type: the object type of the associated records to list.
            page_size: records per request, 1 to 500.

        Returns:
            :class:`AssociatedRecord` values, each ``to_id`` with its association
            types and labels: an async generator on the async client, a generator on
            the blocking one.

        Raises:
            TypeError, ValueError: an argument is invalid.
        """
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise TypeError(f"page_size must be an int, not {type_name(page_size)}")
        if not 1 <= page_size <= 500:
            raise ValueError(f"page_size must be between 1 and 500, not {page_size}")
        path = f"{self._record(from_type, from_id)}/{object_type_segment(to_type)}"
        return paginate(
            self._retrier,
            PageRequest("GET", path, {"limit": str(page_size)}),
            functools.partial(_parse, path, AssociatedRecord._from_json),
            options=self._options,
        )

    async def delete(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Remove every association between two records (HubSpot answers 204).

        Args:
            from_type: the ``from`` record's object type.
            from_id: the ``from`` record's id.
            to_type: the ``to`` record's object type.
            to_id: the ``to`` record's id.

        Raises:
            ValueError: an argument is malformed (checked first).
            APIError: HubSpot rejected the request.
        """
        path = (
            f"{self._record(from_type, from_id)}/{object_type_segment(to_type)}/"
            f"{path_segment(to_id, 'to_id')}"
        )
        await self._retrier.request("DELETE", path, kind=RequestKind.UPSERT, options=self._options)

    async def labels(self, from_type: str, to_type: str) -> builtins.list[AssociationLabel]:
        """The association types from one object type to another, with their labels.

        ``USER_DEFINED`` type ids (labels made in a portal, such as "Decision maker")
        differ from portal to portal: look them up here, then pass ``label.spec`` to
        :meth:`create`.

        Args:
            from_type: the ``from`` object type (``"contacts"``).
            to_type: the ``to`` object type (``"companies"``).

        Returns:
            Every association type between the two, HubSpot's and the portal's.

        Raises:
            ValueError: an argument is malformed (checked first).
            APIError: HubSpot rejected the request.
        """
        path = f"{self._pair(from_type, to_type)}/labels"
        response = await self._retrier.request(
            "GET", path, kind=RequestKind.READ, options=self._options
        )
        results = page_results(response.json(), path)
        return [_parse(path, AssociationLabel._from_json, item) for item in results]

    async def create_many(
        self,
        from_type: str,
        to_type: str,
        inputs: Iterable[AssociationInput],
        *,
        batch_size: int = 100,
        concurrency: int | None = None,
    ) -> BatchResult[AssociationOutcome]:
        """Associate many pairs of records through the batch endpoint.

        Every input is accounted for: HubSpot's per-input answers (a 207 when some
        fail) are matched back to the inputs by their record ids; a batch refused as a
        whole is split until the bad inputs are isolated.

        Args:
            from_type: the ``from`` records' object type.
            to_type: the ``to`` records' object type.
            inputs: :class:`AssociationInput` values.
            batch_size: inputs per request, 1 to 100.
            concurrency: requests in flight at once; by default enough to use the
                client's rate limit.

        Returns:
            A ``BatchResult`` whose ``outcomes[i]`` says what became of input ``i``.

        Raises:
            TypeError, ValueError: an argument is invalid (checked before any request).
        """
        path = f"{self._pair(from_type, to_type)}/batch/create"
        check_batch_size(batch_size)
        workers = _batch_write.concurrency_for(self._retrier, concurrency)
        if isinstance(inputs, (str, bytes, Mapping)) or not isinstance(inputs, Iterable):
            raise TypeError(
                f"inputs must be an iterable of AssociationInput, not {type_name(inputs)}"
            )
        items = list(inputs)
        for item in items:
            if not isinstance(item, AssociationInput):
                raise TypeError(
                    f"inputs must hold AssociationInput values, found {type_name(item)}"
                )
        seen: dict[tuple[str, str], int] = {}
        rounds: list[list[int]] = []
        for index, item in enumerate(items):
            key = (item.from_id, item.to_id)
            k = seen.get(key, 0)
            seen[key] = k + 1
            while len(rounds) <= k:
                rounds.append([])
            rounds[k].append(index)

        spec = _LinkSpec(path, RequestKind.UPSERT, self._options)
        results, stopped_by = await _batch_write.run_rounds(
            self._retrier, spec, items, rounds, batch_size=batch_size, concurrency=workers
        )
        outcomes: list[AssociationOutcome] = []
        for index, verdict in enumerate(results):
            if verdict is None:  # in no round: cannot happen, but never lose an input
                verdict = Verdict("not_attempted", error=stopped_by)
            status = _LINK_STATUS[verdict.status]
            link = verdict.value if status == "created" else None
            outcomes.append(AssociationOutcome(index, items[index], status, link, verdict.error))
        return BatchResult(outcomes, stopped_by)


_LINK_STATUS: dict[OutcomeStatus, AssociationStatus] = {
    "created": "created",
    "updated": "created",
    "failed": "failed",
    "unknown": "unknown",
    "not_attempted": "not_attempted",
}


@attrs.frozen
class _LinkSpec:
    """An associations ``batch/create`` request, for the batch executor."""

    path: str
    kind: RequestKind
    options: RequestOptions

    def body(self, items: Sequence[AssociationInput]) -> dict[str, Any]:
        return {
            "inputs": [
                {
                    "from": {"id": item.from_id},
                    "to": {"id": item.to_id},
                    "types": [_spec_json(spec) for spec in item.types],
                }
                for item in items
            ]
        }

    def read(
        self, items: Sequence[AssociationInput], data: Any, headers: Mapping[str, str]
    ) -> BatchAnswer[AssociationLink]:
        return _map_association_answer(items, data, headers, self.path)

    def unsendable(self, item: AssociationInput, error: Exception) -> Exception:
        return error


def _map_association_answer(
    chunk: Sequence[AssociationInput], data: Any, headers: Mapping[str, str], path: str
) -> BatchAnswer[AssociationLink]:
    """Match a batch create's results and errors to its inputs by record ids."""
    from .._core.error_bodies import error_from_batch_entry

    n = len(chunk)
    status: list[OutcomeStatus | None] = [None] * n
    links: list[AssociationLink | None] = [None] * n
    errors_out: list[HubCRMError | None] = [None] * n
    by_pair: dict[tuple[str, str], int] = {
        (item.from_id, item.to_id): i for i, item in enumerate(chunk)
    }
    readable = isinstance(data, Mapping)
    results = data.get("results") if isinstance(data, Mapping) else None
    if results is not None and not isinstance(results, list):
        readable = False
    for result in results if isinstance(results, list) else ():
        try:
            link = AssociationLink._from_json(result)
        except (KeyError, TypeError, ValueError, AttributeError):
            readable = False  # it may stand for any input
            continue
        i = by_pair.pop((link.from_id, link.to_id), None)
        if i is not None:
            status[i], links[i] = "created", link
    unattributed: list[Any] = []
    errors = data.get("errors") if isinstance(data, Mapping) else None
    for entry in errors if isinstance(errors, list) else ():
        if not isinstance(entry, Mapping):
            continue
        context = entry.get("context")
        context = context if isinstance(context, Mapping) else {}
        froms = _named_ids(context.get("fromObjectId"))
        tos = _named_ids(context.get("toObjectId"))
        matched = False
        for pair in list(by_pair):
            # Every id list the entry names must name the pair: an error about 1 -> 10
            # says nothing of 1 -> 11.
            if (froms or tos) and (not froms or pair[0] in froms) and (not tos or pair[1] in tos):
                i = by_pair.pop(pair)
                error = error_from_batch_entry(entry, headers=headers, method="POST", path=path)
                status[i], errors_out[i] = entry_outcome(error), error
                matched = True
        if not matched:
            unattributed.append(entry)
    left = [i for i in range(n) if status[i] is None]
    if unattributed and len(left) == 1:
        error = error_from_batch_entry(unattributed[0], headers=headers, method="POST", path=path)
        status[left[0]], errors_out[left[0]] = entry_outcome(error), error
    elif unattributed and left:
        # An error named no input of several: split to find whose it is.
        mid = len(left) // 2
        return BatchAnswer(status, links, errors_out, [None] * n, (left[:mid], left[mid:]))
    elif left:
        # HubSpot answered 2xx: it may have made them. Ambiguous, as an unreadable
        # answer is.
        how = "did not mention" if readable else "could not be read for"
        cause = ResponseParseError(
            f"HubSpot's answer to {path} {how} {len(left)} of its inputs "
            f"(correlation id {headers.get('x-hubspot-correlation-id', '-')})"
        )
        for i in left:
            status[i], errors_out[i] = "unknown", cause
    return BatchAnswer(status, links, errors_out, [None] * n)


def _named_ids(value: object) -> set[str]:
    """The record ids an error entry's ``context`` field names (a list, or one id)."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        return set()
    return {
        x if isinstance(x, str) else int.__repr__(x)
        for x in value
        if isinstance(x, (str, int)) and not isinstance(x, bool)
    }
