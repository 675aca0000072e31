"""AsyncObjects: the CRM objects resource. It builds requests and reads answers;
sending them (and sending them again) is the retrier's job."""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._check.reader import DefinitionsReader
from .._core.config import RequestOptions
from .._core.convert import dump_input, load_object
from .._core.errors import ResponseParseError
from .._core.models import CONTACT_TYPES, Association, CrmObject, ObjectInput
from .._core.values import type_name
from .._http.retry import RequestKind, Retrier
from .._http.session import object_type_segment, path_segment
from .._write.recovery import Writes
from .._write.schedule import MAX_BATCH_SIZE
from .objects_bulk import BulkWrites
from .raw import WithRawResponse, raw_response

if TYPE_CHECKING:
    from .._core.values import PropertyValue
    from .._write.bulk_args import BulkArgs, Endpoint
    from .search import Filter, Sort

__all__ = ["AsyncObjects", "AsyncObjectsWithRawResponse"]


class AsyncObjects(BulkWrites):
    """CRM objects: contacts, companies, deals, tickets, custom objects and the rest.

    Reached as ``crm.objects`` on a client; not constructed directly.
    """

    # On HubCRM these read iterators hand over a page per thread crossing (the codegen
    # reads this); iter_create_many hands over one outcome at a time, so that an early
    # stop accounts for every outcome the caller has not seen.
    _sync_read_ahead = ("iter_all", "search")

    def __init__(
        self,
        retrier: Retrier,
        api_version: str,
        options: RequestOptions,
        *,
        search_retrier: Retrier | None = None,
    ) -> None:
        self._retrier = retrier
        self._writes = Writes(retrier)
        self._options = options
        # Searches go through a limiter of their own (HubSpot counts them apart).
        self._search_retrier = search_retrier or retrier
        if api_version == "v3":
            self._prefix = "/crm/v3/objects/"
        else:
            self._prefix = f"/crm/objects/{api_version}/"
        self._paths: dict[str, str] = {}
        # The portal's definitions that validate() checks inputs against, cached.
        self._definitions = DefinitionsReader(retrier, api_version, options)

    def _path(self, object_type: str) -> str:
        # An application uses a handful of object types; validating and quoting each
        # once keeps both off the per-request path.
        path = self._paths.get(object_type) if type(object_type) is str else None
        if path is None:
            path = self._prefix + object_type_segment(object_type)
            if len(self._paths) < 1024:
                self._paths[object_type] = path
        return path

    async def create(
        self,
        object_type: str,
        properties: Mapping[str, PropertyValue],
        associations: Iterable[Association] = (),
        *,
        id_property: str | None = None,
    ) -> CrmObject:
        """Create one CRM object.

        Property values are written in HubSpot's formats: ``bool`` as ``"true"`` /
        ``"false"``, numbers as plain decimal strings, ``date`` as ``YYYY-MM-DD``, aware
        ``datetime`` as ISO 8601 UTC, a list or set of strings as a ``;``-joined
        multi-select value and ``None`` as ``""`` (clears the value). Every input is
        checked before any request is sent.

        A create is not idempotent, so after an ambiguous failure (a timeout, a dropped
        connection, a 5xx) it is retried only when that cannot duplicate the record: with
        ``id_property`` (the record is looked up by that unique property first), or for
        a contact with an email (HubSpot answers a retry with 409, naming the record the
        first attempt made). Otherwise :class:`OutcomeUnknownError` is raised, unless
        the client was made with ``retry_writes="always"``.

        Args:
            object_type: a type name (``"contacts"``, ``"deals"``, ``"p1234_cars"``) or
                id (``"0-1"``, ``"2-123"``).
            properties: property names mapped to values.
            associations: records to associate the new one with, e.g.
                ``[Association(company_id, AssociationType.CONTACT_TO_COMPANY)]``.
            id_property: a unique-value property of the type (``"email"`` for contacts,
                or a custom one) whose value is in ``properties``; makes the create safe
                to retry.

        Returns:
            The created object as HubSpot returned it.

        Raises:
            TypeError: an argument or a property value has a type hubcrm cannot send.
            ValueError: an argument or a property value is malformed (an empty object
                type, a naive datetime, a NaN, an ``id_property`` with no value).
            APIError: HubSpot rejected the request; the subclass says why
                (``BadRequestError``, ``ConflictError``, ``AuthenticationError``, ...).
            DailyLimitError: the account's daily request limit is used up.
            APIConnectionError: no connection could be made; nothing was sent.
            OutcomeUnknownError: the request may or may not have created the record and
                could not be made safe to retry. It carries the input, and the
                underlying error as ``cause``.
        """
        path = self._path(object_type)
        obj = ObjectInput(properties, associations=associations)
        if id_property is not None and (
            not isinstance(id_property, str) or not obj.properties.get(id_property)
        ):
            raise ValueError(f"id_property {id_property!r} needs a non-empty value in properties")

        async def look_up(value: str, by: str | None) -> CrmObject:
            return await self.get(object_type, value, list(obj.properties), id_property=by)

        return await self._writes.create(
            path,
            obj,
            dump_input(obj),
            object_type=object_type,
            id_property=id_property,
            unique_email=object_type in CONTACT_TYPES and bool(obj.properties.get("email")),
            options=self._options,
            look_up=look_up,
        )

    async def get(
        self,
        object_type: str,
        object_id: str,
        properties: Iterable[str] = (),
        *,
        id_property: str | None = None,
        properties_with_history: Iterable[str] = (),
        associations: Iterable[str] = (),
        archived: bool = False,
    ) -> CrmObject:
        """Read one CRM object by its id, or by the value of a unique property.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            object_id: the record's id, or with ``id_property`` the property's value.
            properties: the properties to return; HubSpot's defaults when empty.
            id_property: a unique-value property (``"email"`` for contacts) to look the
                record up by instead of its id.
            properties_with_history: properties to return with their past values
                (``CrmObject.properties_with_history``).
            associations: object types (``"companies"``) whose associated record ids to
                return (``CrmObject.associations``).
            archived: read an archived record instead of a live one.

        Returns:
            The object.

        Raises:
            ValueError: ``object_type`` or ``object_id`` is empty, malformed, or ``"."``
                or ``".."`` (checked before any request).
            NotFoundError: there is no such record.
            APIError: HubSpot rejected the request.
        """
        path = f"{self._path(object_type)}/{path_segment(object_id, 'object_id')}"
        params: dict[str, str] = {}
        names = [properties] if isinstance(properties, str) else list(properties)
        if names:
            params["properties"] = ",".join(names)
        if properties_with_history or associations or archived:
            _read_params(params, properties_with_history, associations, archived)
        log_path = None
        if id_property is not None:
            params["idProperty"] = id_property
            # The value of a unique property (an email) is personal data: not for logs.
            log_path = f"{self._path(object_type)}/<{id_property}>"
        response = await self._retrier.request(
            "GET",
            path,
            kind=RequestKind.READ,
            params=params or None,
            options=self._options,
            log_path=log_path,
        )
        return load_object(response.json())

    async def get_many(
        self,
        object_type: str,
        ids: Iterable[str],
        *,
        id_property: str | None = None,
        properties: Iterable[str] = (),
        archived: bool = False,
    ) -> list[CrmObject | None]:
        """Read many CRM objects by id, or by the values of a unique property.

        Sent through ``batch/read``, 100 values per request. Reads are safe to repeat,
        so transient failures are retried.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            ids: record ids, or with ``id_property`` that property's values.
            id_property: a unique-value property (``"email"`` for contacts, or a custom
                one created with unique values) to read the records by instead of ids.
            properties: the properties to return; HubSpot's defaults when empty (the
                ``id_property`` is always returned).
            archived: read archived records instead of live ones.

        Returns:
            One entry per value of ``ids``, in the same order: the record, or None
            where HubSpot has none. Values are matched case-insensitively when no
            record matches exactly (HubSpot compares emails that way).

        Raises:
            TypeError, ValueError: a value is not a non-empty string (checked before
                any request).
            APIError: HubSpot rejected a request (an unknown ``id_property``, say).
        """
        values = [ids] if isinstance(ids, str) else list(ids)
        for value in values:
            if not isinstance(value, str):
                raise TypeError(f"ids must be strings, not {type(value).__name__}")
            if not value.strip():
                raise ValueError("ids must be non-empty strings")
        if not isinstance(archived, bool):
            raise TypeError("archived must be True or False")
        names = [properties] if isinstance(properties, str) else list(properties)
        # Records are matched to values by that property, or by id.
        key_property = id_property if id_property != "hs_object_id" else None
        if key_property is not None and key_property not in names:
            names.append(key_property)
        path = f"{self._path(object_type)}/batch/read"
        distinct = list(dict.fromkeys(values))
        found: dict[str, CrmObject] = {}
        folded: dict[str, CrmObject] = {}
        for start in range(0, len(distinct), MAX_BATCH_SIZE):
            chunk = distinct[start : start + MAX_BATCH_SIZE]
            # HubSpot's schema requires both lists; empty ones ask for the defaults.
            body: dict[str, Any] = {
                "inputs": [{"id": value} for value in chunk],
                "properties": names,
                "propertiesWithHistory": [],
            }
            if id_property is not None:
                body["idProperty"] = id_property
            response = await self._retrier.request(
                "POST",
                path,
                kind=RequestKind.READ,
                params={"archived": "true"} if archived else None,
                json_body=body,
                options=self._options,
            )
            data = response.json()
            if not isinstance(data, Mapping):
                raise ResponseParseError("a batch read answer is not a JSON object")
            for entry in _list(data.get("errors")):
                if isinstance(entry, Mapping) and entry.get("category") != "OBJECT_NOT_FOUND":
                    from .._core.error_bodies import error_from_batch_entry

                    raise error_from_batch_entry(
                        entry, headers=response.headers, method="POST", path=path
                    )
            for result in _list(data.get("results")):
                record = load_object(result)
                key = record.id if key_property is None else record.properties.get(key_property)
                if isinstance(key, str):
                    found[key] = record
                    folded[key.strip().lower()] = record
        return [found.get(v) or folded.get(v.strip().lower()) for v in values]

    def _bulk_endpoint(self, args: BulkArgs) -> Endpoint:
        object_type = args.object_type

        async def read_back(
            values: Sequence[str], by: str | None, properties: Sequence[str]
        ) -> list[CrmObject | None]:
            return await self.get_many(object_type, values, id_property=by, properties=properties)

        from .._write.bulk_args import Endpoint

        return Endpoint(
            requester=self._retrier,
            path=f"{self._path(object_type)}/{args.operation}",
            options=self._options,
            create_one=self.create,
            writes=self._writes,
            read_back=read_back,
        )

    # --- reading back, updating, archiving, paging and searching --------------------------

    def _record_path(self, object_type: str, object_id: str) -> str:
        return f"{self._path(object_type)}/{path_segment(object_id, 'object_id')}"

    async def update(
        self,
        object_type: str,
        object_id: str,
        properties: Mapping[str, PropertyValue],
        *,
        id_property: str | None = None,
    ) -> CrmObject:
        """Update one CRM object's properties (``PATCH``); the others keep their values.

        Values are written as for :meth:`create` (``None`` clears a value). An update
        is idempotent, so it is retried after an ambiguous failure (a timeout, a dropped
        connection, a 5xx) like a read.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            object_id: the record's id, or with ``id_property`` the property's value.
            properties: property names mapped to their new values.
            id_property: a unique-value property (``"email"`` for contacts) to find the
                record by instead of its id.

        Returns:
            The updated object as HubSpot returned it.

        Raises:
            TypeError, ValueError: an argument or value cannot be sent (checked first).
            NotFoundError: there is no such record.
            BadRequestError: HubSpot refused a property or value.
            ConflictError: the update would give a unique property a value another
                record has.
            APIError: HubSpot rejected the request for another reason.
        """
        path = self._record_path(object_type, object_id)
        body = {"properties": ObjectInput(properties).properties}
        params = None
        log_path = None
        if id_property is not None:
            if not isinstance(id_property, str) or not id_property:
                raise ValueError("id_property must be a non-empty property name or None")
            params = {"idProperty": id_property}
            log_path = f"{self._path(object_type)}/<{id_property}>"
        response = await self._retrier.request(
            "PATCH",
            path,
            kind=RequestKind.UPSERT,
            json_body=body,
            params=params,
            options=self._options,
            log_path=log_path,
        )
        return load_object(response.json())

    async def archive(self, object_type: str, object_id: str) -> None:
        """Archive (soft-delete) one CRM object.

        HubSpot answers 204 whether or not the record exists, so archiving twice is
        harmless and an ambiguous failure is retried.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            object_id: the record's id.

        Raises:
            ValueError: ``object_type`` or ``object_id`` is malformed (checked first).
            APIError: HubSpot rejected the request.
        """
        path = self._record_path(object_type, object_id)
        await self._retrier.request("DELETE", path, kind=RequestKind.UPSERT, options=self._options)

    def iter_all(
        self,
        object_type: str,
        *,
        properties: Iterable[str] = (),
        associations: Iterable[str] = (),
        archived: bool = False,
        page_size: int = 100,
    ) -> AsyncGenerator[CrmObject, None]:
        """Iterate over every record of a type, page after page (``after`` cursors).

        Pages are read one at a time as the iteration goes, each through the client's
        rate limiter; stopping early reads no further page. (The blocking client reads
        the next page while you work through the current one: at most one more.)
        Arguments are checked by this call, before any request.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            properties: the properties to return; HubSpot's defaults when empty.
            associations: object types whose associated record ids to return.
            archived: iterate over archived records instead of live ones.
            page_size: records per request, 1 to 100.

        Returns:
            The records: an async generator on the async client, a generator on the
            blocking one.

        Raises:
            TypeError, ValueError: an argument is invalid.
        """
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise TypeError(f"page_size must be an int, not {type_name(page_size)}")
        if not 1 <= page_size <= 100:
            raise ValueError(f"page_size must be between 1 and 100, not {page_size}")
        path = self._path(object_type)
        params: dict[str, str] = {"limit": str(page_size)}
        names = [properties] if isinstance(properties, str) else list(properties)
        if names:
            params["properties"] = ",".join(names)
        _read_params(params, (), associations, archived)
        from .paging import PageRequest, paginate  # loaded by the first listing

        return paginate(
            self._retrier, PageRequest("GET", path, params), load_object, options=self._options
        )

    def search(
        self,
        object_type: str,
        *,
        filters: Iterable[Filter] = (),
        filter_groups: Iterable[Iterable[Filter]] = (),
        properties: Iterable[str] = (),
        sorts: Iterable[Sort | str] = (),
        query: str | None = None,
        page_size: int = 100,
    ) -> AsyncGenerator[CrmObject, None]:
        """Search records by property values, paging automatically.

        ``filters`` is one group of conditions that must all hold;
        ``filter_groups`` is several such groups, of which one must hold. HubSpot takes
        at most 5 groups, 10 filters per group and 25 in all, and a ``query`` of at most
        3,000 characters: checked by this call, before any request. Searches go through
        the client's search limiter (``search_rate_limit``, HubSpot's 5 per second), not
        its main window, which HubSpot does not count them in.

        Search is eventually consistent: a record written a moment ago may not be found
        yet. To read back what you wrote, use :meth:`get`.

        One query pages through at most 10,000 results; paging further raises
        :class:`SearchCapError` (HubSpot would answer 400). To read more, sort by a
        unique increasing property (``Sort("hs_object_id")``) and start a new search
        with ``Filter("hs_object_id", "GT", last_id)`` when one ends.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            filters: conditions that must all hold (``Filter("email", "EQ", ...)``).
            filter_groups: groups of conditions, of which at least one must hold.
            properties: the properties to return; HubSpot's defaults when empty.
            sorts: :class:`Sort` values, or property names (``"-createdate"`` sorts
                descending).
            query: text to find in the record's default searchable properties (at most
                3,000 characters).
            page_size: records per request, 1 to 200.

        Returns:
            The matching records: an async generator on the async client, a generator
            on the blocking one.

        Raises:
            TypeError, ValueError: an argument is invalid or over HubSpot's limits.
            SearchCapError: while iterating, when paging would pass 10,000 results.
        """
        from .paging import PageRequest, paginate
        from .search import search_body, search_next_page

        path = f"{self._path(object_type)}/search"
        body = search_body(
            filters=filters,
            filter_groups=filter_groups,
            properties=properties,
            sorts=sorts,
            query=query,
            page_size=page_size,
        )
        return paginate(
            self._search_retrier,
            PageRequest("POST", path, json_body=body),
            load_object,
            options=self._options,
            next_page=search_next_page(page_size),
        )

    @property
    def with_raw_response(self) -> AsyncObjectsWithRawResponse:
        """The single-record calls (``create``, ``get``, ``update``, ``archive``)
        returning a :class:`RawResponse`: its ``status`` and ``headers``, and
        ``parse()`` for what the plain call returns."""
        return AsyncObjectsWithRawResponse(self)

    def _sending_through(self, retrier: Retrier) -> AsyncObjects:
        """A copy of this resource whose requests, its writes' settling included, go
        through ``retrier`` (``with_raw_response`` runs the plain methods on one)."""
        copied = copy.copy(self)
        copied._retrier = retrier
        copied._writes = Writes(retrier)
        return copied


def _read_params(
    params: dict[str, str],
    properties_with_history: Iterable[str],
    associations: Iterable[str],
    archived: bool,
) -> None:
    for name, value in (
        ("propertiesWithHistory", properties_with_history),
        ("associations", associations),
    ):
        names = [value] if isinstance(value, str) else list(value)
        for item in names:
            if not isinstance(item, str) or not item:
                raise TypeError(f"{name} must be non-empty strs, found {type_name(item)}")
        if names:
            params[name] = ",".join(names)
    if not isinstance(archived, bool):
        raise TypeError("archived must be True or False")
    if archived:
        params["archived"] = "true"


class AsyncObjectsWithRawResponse(WithRawResponse[AsyncObjects]):
    """``crm.objects.with_raw_response``: the single-record calls, returning a
    :class:`RawResponse` whose ``parse()`` is what the plain call returns.

    Reached as ``crm.objects.with_raw_response``; not constructed directly.
    """

    create = raw_response(AsyncObjects.create)
    get = raw_response(AsyncObjects.get)
    update = raw_response(AsyncObjects.update)
    archive = raw_response(AsyncObjects.archive)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
