"""The bulk writes of the CRM objects resource: ``create_many``, ``iter_create_many``,
``upsert_many``, ``update_many`` and ``archive_many``.

A mixin of :class:`~hubcrm._resources.objects.AsyncObjects` (the codegen reads its methods into
the blocking ``Objects`` as well). Like the resource, it builds the run's arguments and
hands them to the engines (``_bulk``, ``_batch_write``); it sends nothing itself.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from .._core.config import RequestOptions
from .._core.models import CrmObject
from .._http.retry import RequestKind, Retrier
from .._write import batch_write as _batch_write
from .._write import bulk as _bulk
from .._write.batch_write import ArchiveOutcome, BatchResult, ObjectUpdate, UpdateOutcome
from .._write.bulk import BulkInputs, BulkOutcome, BulkProgress, BulkResult

__all__ = ["BulkWrites"]


class BulkWrites:
    """Bulk creation, upserts, updates and archives of CRM objects (a mixin)."""

    # Provided by AsyncObjects.
    _retrier: Retrier
    _options: RequestOptions
    _path: Callable[[str], str]
    _bulk_endpoint: Callable[[_bulk.BulkArgs], _bulk.Endpoint]
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
        args = _bulk.BulkArgs(
            object_type=object_type,
            batch_size=batch_size,
            concurrency=concurrency,
            id_property=id_property,
            mode=mode,
            on_progress=on_progress,
        )
        endpoint = self._bulk_endpoint(args)
        return await _bulk.create_many(endpoint, args, inputs)

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
        args = _bulk.BulkArgs(
            object_type=object_type,
            batch_size=batch_size,
            concurrency=concurrency,
            id_property=id_property,
            mode=mode,
            on_progress=on_progress,
        )
        endpoint = self._bulk_endpoint(args)
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
        args = _bulk.BulkArgs(
            object_type=object_type,
            batch_size=batch_size,
            concurrency=concurrency,
            id_property=id_property,
            mode="batch",
            on_progress=on_progress,
            upsert=True,
        )
        endpoint = self._bulk_endpoint(args)
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
        return await _batch_write.archive_batches(
            self._retrier,
            path,
            ids,
            batch_size=batch_size,
            concurrency=concurrency,
            options=self._options,
            kind=RequestKind.UPSERT,
        )
