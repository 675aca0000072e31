"""The bulk engine behind ``create_many`` and ``iter_create_many``.

Inputs are pulled lazily from any iterable or async iterable and sent through
``batch/create`` (or ``batch/upsert`` for ``upsert_many``) by a bounded number of
concurrent requests. Every input ends as exactly one :class:`BulkOutcome`: created or
updated (with its record), failed, unknown, or not attempted.

This module holds the two drivers: :func:`create_many` collects every outcome, and
:func:`iter_create_many` yields them as they come. The run itself is the engine's
(``_engine``); what it is given, ``_bulk_args``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from contextvars import ContextVar
from operator import attrgetter

import anyio

from .._core.errors import CLIENT_CLOSED, HubCRMError
from .._http.tracing import traced
from .bulk_args import BulkArgs, BulkMode, CreateOne, Endpoint
from .engine import Engine
from .outcomes import (
    BulkInputs,
    BulkOutcome,
    BulkProgress,
    BulkResult,
    BulkRunError,
    warn_cancelled,
)

__all__ = [
    "BulkArgs",
    # The result types live in _outcomes; the resources import them from here too.
    "BulkInputs",
    "BulkMode",
    "BulkOutcome",
    "BulkProgress",
    "BulkResult",
    "CreateOne",
    "Endpoint",
    "cancel_report",
    "create_many",
    "iter_create_many",
]

#: Set by a caller of ``iter_create_many`` (``hubcrm import``) to learn, when the
#: iteration is cancelled, what the log line says: the indexes of the inputs whose
#: requests may have reached HubSpot, and the outcomes known but not yielded. Every
#: other input taken and not yielded was never sent.
cancel_report: ContextVar[Callable[[Sequence[int], Sequence[BulkOutcome]], None] | None] = (
    ContextVar("hubcrm_cancel_report", default=None)
)

_by_index = attrgetter("index")


async def _run(engine: Engine, endpoint: Endpoint, args: BulkArgs) -> None:
    """Run the engine inside the run's span (when tracing), its counts added at the end."""
    with traced(
        endpoint.requester.session.tracing,
        "hubcrm.upsert_many" if args.upsert else "hubcrm.create_many",
        {
            "hubcrm.object_type": args.object_type,
            "hubcrm.bulk.mode": args.mode,
            "hubcrm.bulk.batch_size": args.batch_size,
        },
        lambda: {
            **{f"hubcrm.bulk.{status}": n for status, n in engine.counts.items()},
            "hubcrm.bulk.read_backs": engine.read_backs,
            "hubcrm.bulk.settle_resends": engine.settle_resends,
            "hubcrm.bulk.lost": len(engine.lost),
            **(
                {"hubcrm.bulk.stopped_by": type(engine.stopped_by).__qualname__}
                if engine.stopped_by is not None
                else {}
            ),
        },
    ):
        await engine.run()


# --- the two drivers --------------------------------------------------------------------


async def create_many(endpoint: Endpoint, args: BulkArgs, inputs: BulkInputs) -> BulkResult:
    """Run a bulk creation to the end and collect every outcome, in input order.

    Raises:
        BulkRunError: the iterable or ``on_progress`` raised; it carries the outcomes.
    """
    outcomes: list[BulkOutcome] = []
    engine = Engine(endpoint, args, inputs, deliver=outcomes.append, auto_release=True)
    await _run(engine, endpoint, args)
    # Delivered in completion order, which is nearly input order: a cheap sort.
    outcomes.sort(key=_by_index)
    if engine.failure is not None:
        raise _run_error(engine, args, outcomes) from engine.failure
    return BulkResult(
        outcomes=outcomes,
        stopped_by=engine.stopped_by,
        read_backs=engine.read_backs,
        settle_resends=engine.settle_resends,
    )


def _run_error(engine: Engine, args: BulkArgs, outcomes: list[BulkOutcome]) -> BulkRunError:
    failure = engine.failure
    return BulkRunError(
        f"bulk creation of {args.object_type!r} stopped early: {engine.failed_in} raised "
        f"{type(failure).__name__}; the outcomes of the {len(outcomes)} inputs taken are "
        "in this error's result",
        outcomes=outcomes,
        stopped_by=engine.stopped_by,
    )


class _Finished:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


async def iter_create_many(
    endpoint: Endpoint, args: BulkArgs, inputs: BulkInputs
) -> AsyncGenerator[BulkOutcome, None]:
    """Stream the outcomes of a bulk creation, in completion order."""
    # The engine runs in a task of its own: this generator may be driven from a new
    # task at every step (the sync facade does that), which a task group inside it
    # would not survive. Outcomes cross over through an unbounded queue; the engine's
    # pull budget (released here, as each outcome is taken) is what bounds it.
    queue: asyncio.Queue[BulkOutcome | _Finished] = asyncio.Queue()
    engine = Engine(
        endpoint,
        args,
        inputs,
        deliver=queue.put_nowait,
        auto_release=False,
        report_cancelled=False,  # reported below, with the outcomes not yielded
    )
    requester = endpoint.requester

    async def drive() -> None:
        try:
            await _run(engine, endpoint, args)
        except Exception as exc:
            queue.put_nowait(_Finished(exc))
        else:
            # After every outcome: the exception of the caller's code that stopped it.
            queue.put_nowait(_Finished(engine.failure))

    if endpoint.requester.closed:  # nothing is sent by a closed client
        raise HubCRMError(CLIENT_CLOSED)
    task = asyncio.get_running_loop().create_task(drive())
    finished = False
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _Finished):
                finished = True
                if item.error is not None:
                    raise item.error
                return
            if requester.closed:
                queue.put_nowait(item)  # not yielded: reported below
                raise HubCRMError(CLIENT_CLOSED)
            engine.release(1)
            yield item
    finally:
        if not task.done():
            task.cancel()
        # Shielded: when this generator is closed by cancellation, the engine's own
        # cancellation is still awaited, so no request of it outlives the iteration.
        with anyio.CancelScope(shield=True):
            await asyncio.wait([task])
        if not finished:
            unyielded = [o for o in _drain(queue) if isinstance(o, BulkOutcome)]
            report = cancel_report.get()
            if report is not None:
                report(list(engine.lost), unyielded)
            if unyielded or engine.lost or engine.unsent:
                warn_cancelled(args.object_type, engine.lost, engine.unsent, unyielded)


def _drain(queue: asyncio.Queue[BulkOutcome | _Finished]) -> list[BulkOutcome | _Finished]:
    items: list[BulkOutcome | _Finished] = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items
