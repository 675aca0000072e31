"""The bulk writes of the CRM objects resource: ``create_many``, ``iter_create_many``,
``upsert_many``, ``update_many`` and ``archive_many``.

A mixin of :class:`~hubcrm._resources.objects.AsyncObjects` (the codegen reads its methods into
the blocking ``Objects`` as well). Like the resource, it builds the run's arguments and
hands them to the engines (``_bulk``, ``_batch_write``); it sends nothing itself.
The bulk engine, the batch update and archive engine and the validate check are
imported by the methods that use them, so that importing the client (and a first
``create``) does not load them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._core.config import RequestOptions
from .._http.retry import RequestKind, Retrier

if TYPE_CHECKING:
    from .._check.reader import DefinitionsReader
    from .._check.report import ValidationReport
    from .._core.models import CrmObject
    from .._write.batch_write import ArchiveOutcome, BatchResult, ObjectUpdate, UpdateOutcome
    from .._write.bulk_args import BulkArgs, Endpoint
    from .._write.outcomes import BulkInput, BulkInputs, BulkOutcome, BulkProgress, BulkResult

__all__ = ["BulkWrites"]


class BulkWrites:
    """Bulk creation, upserts, updates and archives of CRM objects (a mixin)."""

    # Provided by AsyncObjects.
    _retrier: Retrier
    _options: RequestOptions
    _path: Callable[[str], str]
    _bulk_endpoint: Callable[[BulkArgs], Endpoint]
    _definitions: DefinitionsReader
    get_many: Callable[..., Awaitable[list[CrmObject | None]]]

    async def create_many(
        self,
        object_type: str,
        inputs: BulkInputs,
        *,
        batch_size: int = 100,
        concurrency: int | None = None,
        id_property: str | None = None,
        mode: Literal["batch", "single"] = "batch",
        on_progress: Callable[[BulkProgress], object] | None = None,
        validate: bool = False,
    ) -> BulkResult:
        """Create many CRM objects concurrently; every input is accounted for.

        Inputs are taken lazily and sent through ``batch/create`` in batches of up to
        ``batch_size``, each input with its own ``objectWriteTraceId`` so that HubSpot
        answers per input and every answer is matched to its input by that id. A batch
        rejected as a whole is split until the bad inputs are isolated; inputs sharing a
        unique value (a contact's email, the ``id_property``) go in different batches,
        in input order, so the first one is created and the later ones get HubSpot's
        409 (a ``ConflictError`` with ``existing_id``).

        After an ambiguous failure (a timeout, a dropped connection, a 5xx) a batch's
        inputs are read back by their unique key: a contact's email, or the
        ``id_property`` value. One found and made since the batch was sent is created;
        one made before is a ``ConflictError`` with ``existing_id``; one not found is
        sent again. Every record then exists exactly once. Inputs without a key (a deal
        with no ``id_property``) are reported as unknown outcomes
        (``OutcomeUnknownError``) and not resent, unless the client has
        ``retry_writes="always"``. To update existing records instead, use
        :meth:`upsert_many`.

        A ``DailyLimitError`` (or a rejected token) stops the run: no more inputs are
        taken, and the ones taken but not sent are reported as not attempted (see
        :meth:`BulkResult.not_attempted_inputs`), to be sent again later.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            inputs: an iterable or async iterable of ``ObjectInput``, or of mappings
                (each mapping is an input's properties). A plain iterator is read on
                the event loop: it should not block.
            batch_size: inputs per request, 1 to 100.
            concurrency: requests in flight at once. By default enough to use the
                client's whole rate limit (and never more than its connection pool).
            id_property: a unique-value property (``"email"`` for contacts, or a custom
                one) whose value every input has: makes the run exactly-once, with
                associations. A record that already has an input's value is not
                changed: that input fails with a ``ConflictError`` (``existing_id``).
            mode: ``"batch"``, or ``"single"`` for one :meth:`create` per input (slower,
                same outcomes; ``id_property`` then means a look-up before retrying).
            on_progress: called with a :class:`BulkProgress` at most a few times per
                second, and once at the end, on the event loop.
            validate: check every input first against the portal's definitions, as
                :meth:`validate` does (all inputs are then read into memory before
                any is sent). The inputs it finds HubSpot would refuse fail without
                being sent, each with a ``BadRequestError`` (a ``ConflictError`` for a
                unique value an earlier input holds) whose ``errors`` carry one entry
                per problem with its code and ``context["propertyName"]``; the others
                are sent. ``on_progress`` then counts the inputs sent only.

        Returns:
            A :class:`BulkResult`: ``outcomes[i]`` is what became of input ``i``,
            ``results[i]`` its record or None, and ``errors`` the outcomes without one.

        Raises:
            TypeError, ValueError: an argument is invalid (checked before any request).
                A malformed input, or one that cannot be sent, only fails that input.
            BulkRunError: ``inputs`` or ``on_progress`` raised. No more inputs were
                taken and no new request was sent; the requests in flight finished.
                Its ``result`` holds every outcome known (inputs taken but not sent are
                not attempted), and ``__cause__`` the original exception.
        """
        from .._write.bulk_args import BulkArgs

        args = BulkArgs(
            object_type=object_type,
            batch_size=batch_size,
            concurrency=concurrency,
            id_property=id_property,
            mode=mode,
            on_progress=on_progress,
        )
        endpoint = self._bulk_endpoint(args)
        from .._check.bulk import run_checked
        from .._check.validate import collect_inputs
        from .._write import bulk as _bulk

        if not validate:
            return await _bulk.create_many(endpoint, args, inputs)
        items = await collect_inputs(inputs)
        report = await self.validate(object_type, items)

        async def run(sent: list[BulkInput]) -> BulkResult:
            return await _bulk.create_many(endpoint, args, sent)

        return await run_checked(items, report, run)

    async def validate(
        self,
        object_type: str,
        inputs: BulkInputs,
        *,
        check_existing: bool = False,
        refresh: bool = False,
    ) -> ValidationReport:
        """Find every input HubSpot would refuse, before any is sent.

        Each input is encoded as :meth:`create_many` encodes it, and the strings HubSpot
        would receive are checked against the portal's own definitions of the type:

        - a property that does not exist, or is read-only or calculated
          (``PROPERTY_DOESNT_EXIST``, ``READ_ONLY_VALUE``);
        - a value HubSpot would not read as its property's type: a number
          (``INVALID_INTEGER``), a bool (``INVALID_BOOLEAN``), a date at midnight UTC
          (``INVALID_DATE``), a datetime (``INVALID_LONG``), a contact's email
          (``INVALID_EMAIL``), leading or trailing spaces included;
        - an option that is not one of an enumeration's, each part of a multi-select
          checked (``INVALID_OPTION``);
        - a value that breaks one of the portal's validation rules (``INVALID_VALUE``):
          ``MIN_LENGTH``, ``MAX_LENGTH``, ``MIN_NUMBER``, ``MAX_NUMBER``, ``REGEX``,
          ``EMAIL_ALLOWED_DOMAINS`` and ``EMAIL_BLOCKED_DOMAINS``; other rule types,
          and REGEX patterns Java and Python read differently, are listed in
          ``skipped`` as not checked;
        - a pipeline that does not exist or is archived, a stage that is not a live
          stage of the input's pipeline (or of the default pipeline when it names
          none; a stage given by its label gets a message naming its id)
          (``INVALID_OPTION``);
        - an owner id (``hubspot_owner_id``) that names no live owner
          (``INVALID_OWNER_ID``);
        - a required property missing: a custom type's (from its schema), and those
          HubSpot's documentation names for standard types (a deal's ``dealname``,
          ``pipeline`` and ``dealstage``, ...) (``MISSING_REQUIRED_PROPERTY``);
        - a unique value (a contact's email, a property with unique values) that an
          earlier input holds: HubSpot creates the first and refuses the later ones
          (``CONFLICT``); with ``check_existing``, also one a record of the portal
          already holds.

        Associations are not checked. Which codes HubSpot's documentation confirms is
        said in the API reference's notes on ``validate``.

        The definitions are read once per object type (properties, validation rules,
        pipelines, owners, a custom type's schema: a fixed number of requests, none per
        input) and reused for ``PORTAL_DEFINITIONS_TTL`` seconds (60) by this client.
        One the token may not read (403) is left out: the checks that need it are
        listed in ``skipped``, and the others still run.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            inputs: the inputs, as :meth:`create_many` takes them (read into memory).
            check_existing: also look up, by each unique property, the values the
                inputs would set (``batch/read``, 100 values per request).
            refresh: read the definitions again even if they are cached.

        Returns:
            A :class:`ValidationReport`: the problems by input index (``ok`` when there
            are none), the checks skipped, and the requests spent.

        Raises:
            TypeError: ``inputs`` is not an iterable.
            APIError: reading a definition failed other than with a 403.
        """
        from .._check.validate import collect_inputs, validate_inputs

        items = await collect_inputs(inputs)
        return await validate_inputs(
            self._definitions,
            self._read_by_unique,
            object_type,
            items,
            check_existing=check_existing,
            refresh=refresh,
        )

    async def _read_by_unique(
        self, object_type: str, values: Sequence[str], id_property: str
    ) -> list[CrmObject | None]:
        return await self.get_many(
            object_type, values, id_property=id_property, properties=[id_property]
        )

    def iter_create_many(
        self,
        object_type: str,
        inputs: BulkInputs,
        *,
        batch_size: int = 100,
        concurrency: int | None = None,
        id_property: str | None = None,
        mode: Literal["batch", "single"] = "batch",
        on_progress: Callable[[BulkProgress], object] | None = None,
    ) -> AsyncGenerator[BulkOutcome, None]:
        """Create many CRM objects, yielding each input's :class:`BulkOutcome` as it is known.

        The same engine and arguments as :meth:`create_many`, but outcomes come in
        completion order and nothing is collected: at most ``concurrency x batch_size``
        inputs are taken and not yet yielded, whatever the size of ``inputs``.
        Stopping the iteration early (``break``, then closing the generator:
        ``contextlib.aclosing`` on the async client, ``contextlib.closing`` on the
        blocking one) cancels the requests in flight; their outcome is then
        unknown. One warning accounts for what was not yielded: the outcomes already
        known (by status) and the inputs in flight, as counts and index ranges.

        When ``inputs`` or ``on_progress`` raises, the run stops as for
        :meth:`create_many`: every outcome known is yielded (inputs taken but not sent
        as not attempted), then that exception itself is raised.

        Raises:
            TypeError, ValueError: an argument is invalid (raised by this call).
            HubCRMError: (from a step) the client is closed; nothing more is sent.
        """
        from .._write.bulk_args import BulkArgs

        args = BulkArgs(
            object_type=object_type,
            batch_size=batch_size,
            concurrency=concurrency,
            id_property=id_property,
            mode=mode,
            on_progress=on_progress,
        )
        endpoint = self._bulk_endpoint(args)
        from .._write import bulk as _bulk

        return _bulk.iter_create_many(endpoint, args, inputs)

    async def upsert_many(
        self,
        object_type: str,
        inputs: BulkInputs,
        *,
        id_property: str,
        batch_size: int = 100,
        concurrency: int | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
    ) -> BulkResult:
        """Create or update many CRM objects by a unique property, exactly once.

        Sent through ``batch/upsert``: an input whose ``id_property`` value a record
        already has updates that record (its outcome is ``"updated"``, ``new`` False);
        the others create one (``"created"``, ``new`` True). An upsert is idempotent, so
        ambiguous failures are retried; when a resend's answer calls a record existing
        that was created since the batch was first sent (less a 60 s clock-skew
        tolerance), the first attempt may have made it: its ``new`` is None (unknown),
        its status ``"updated"``. HubSpot's upsert cannot set associations: use
        :meth:`create_many` with ``id_property`` for inputs that have them. Results
        that come back without their ``objectWriteTraceId`` are matched to inputs by
        their ``id_property`` value (case-insensitively).

        Args:
            object_type: a type name or id, as for :meth:`create`.
            inputs: as for :meth:`create_many`; every input has an ``id_property`` value.
            id_property: a unique-value property (``"email"`` for contacts, or a custom
                one created with unique values).
            batch_size: inputs per request, 1 to 100.
            concurrency: requests in flight at once (default: from the rate limit).
            on_progress: as for :meth:`create_many`.

        Returns:
            A :class:`BulkResult`, as for :meth:`create_many`.

        Raises:
            TypeError, ValueError: an argument is invalid (checked before any request).
                A malformed input (one without an ``id_property`` value, or with
                associations) only fails that input.
        """
        from .._write.bulk_args import BulkArgs

        args = BulkArgs(
            object_type=object_type,
            batch_size=batch_size,
            concurrency=concurrency,
            id_property=id_property,
            mode="batch",
            on_progress=on_progress,
            upsert=True,
        )
        endpoint = self._bulk_endpoint(args)
        from .._write import bulk as _bulk

        return await _bulk.create_many(endpoint, args, inputs)

    async def update_many(
        self,
        object_type: str,
        inputs: Iterable[ObjectUpdate | Mapping[str, Any]],
        *,
        batch_size: int = 100,
        concurrency: int | None = None,
    ) -> BatchResult[UpdateOutcome]:
        """Update many CRM objects through ``batch/update``; every input is accounted for.

        Inputs are read up front and sent in batches of up to ``batch_size``, each with
        its own ``objectWriteTraceId``, and HubSpot's per-input answers (a 207 when some
        fail) are matched back to them. A batch refused as a whole is split until the
        bad inputs are isolated. Updates are idempotent: a batch is retried after an
        ambiguous failure, and its inputs are ``"unknown"`` only when retries run out.
        Two updates of the same record never share a batch; they are applied in input
        order, in successive rounds (a round is sent once the one before is answered).

        Names are compared as HubSpot compares them: an email case-insensitively, an id
        or another unique value exactly. A run naming records only by id, or only by
        one ``idProperty``, costs nothing extra (case variants of one email go in
        successive rounds, as repeats do). A run that mixes kinds (ids and emails, or
        two unique properties) first reads its keyed names (``batch/read`` by
        ``idProperty``, one request per 100 distinct values of each property) and
        orders by record id; a name with no record keeps its own key and HubSpot
        refuses its update. Should such a read fail (after its retries), nothing is
        sent: every input is ``"not_attempted"`` and ``stopped_by`` is the read's error.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            inputs: :class:`ObjectUpdate` values, or mappings with ``"id"``,
                ``"properties"`` and optionally ``"idProperty"``.
            batch_size: inputs per request, 1 to 100.
            concurrency: requests in flight at once; by default enough to use the
                client's rate limit.

        Returns:
            A ``BatchResult``: ``outcomes[i]`` is what became of input ``i``
            (``"updated"`` with its record, ``"failed"``, ``"unknown"`` or
            ``"not_attempted"``).

        Raises:
            TypeError, ValueError: an argument is invalid (checked before any request).
                A malformed input only fails that input.
        """
        path = f"{self._path(object_type)}/batch/update"

        async def resolve(values: Sequence[str], id_property: str) -> list[CrmObject | None]:
            return await self.get_many(object_type, values, id_property=id_property)

        from .._write import batch_write as _batch_write

        return await _batch_write.update_batches(
            self._retrier,
            path,
            object_type,
            inputs,
            batch_size=batch_size,
            concurrency=concurrency,
            options=self._options,
            kind=RequestKind.UPSERT,
            resolve=resolve,
        )

    async def archive_many(
        self,
        object_type: str,
        ids: Iterable[str | int],
        *,
        batch_size: int = 100,
        concurrency: int | None = None,
    ) -> BatchResult[ArchiveOutcome]:
        """Archive many CRM objects through ``batch/archive``; every id is accounted for.

        HubSpot answers each batch as a whole (204), so an id's outcome is its batch's.
        A batch refused as a whole is split until the bad ids are isolated.

        Args:
            object_type: a type name or id, as for :meth:`create`.
            ids: the record ids.
            batch_size: ids per request, 1 to 100.
            concurrency: requests in flight at once; by default enough to use the
                client's rate limit.

        Returns:
            A ``BatchResult`` whose ``outcomes[i]`` says what became of ``ids[i]``
            (``"archived"``, ``"failed"``, ``"unknown"`` or ``"not_attempted"``).

        Raises:
            TypeError, ValueError: an argument is invalid (checked before any request).
        """
        path = f"{self._path(object_type)}/batch/archive"
        from .._write import batch_write as _batch_write

        return await _batch_write.archive_batches(
            self._retrier,
            path,
            ids,
            batch_size=batch_size,
            concurrency=concurrency,
            options=self._options,
            kind=RequestKind.UPSERT,
        )
