"""Interrupting the blocking client: Ctrl-C, close() from another thread, leaving early.

The Ctrl-C tests are real: a child process runs a blocking bulk call against the
emulator of this process and gets a SIGINT in the middle of it; the emulator then shows
whether the child's event loop thread went on creating records after the
``KeyboardInterrupt`` reached the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from support_time import wait_until, wait_until_sync

from hubcrm import AsyncHubCRM, HubCRM, HubCRMError
from hubcrm._portal import Portal, _Call
from hubcrm.testing import Emulator

BATCH_SIZE = 10
CONCURRENCY = 4

# The child: a blocking bulk call that would run for minutes. When the KeyboardInterrupt
# reaches it, it says so and stays alive (as an interactive session or a program that
# catches Ctrl-C would) until its stdin is closed, then lets the interrupt end it.
CHILD = f"""
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
from hubcrm import HubCRM

base_url, token, how = sys.argv[1:4]
inputs = ({{"name": f"company {{i}}"}} for i in range(10_000_000))
with HubCRM(token, base_url=base_url, rate_limit=None) as crm:
    try:
        if how == "create_many":
            crm.objects.create_many(
                "companies", inputs, batch_size={BATCH_SIZE}, concurrency={CONCURRENCY}
            )
        else:
            for outcome in crm.objects.iter_create_many(
                "companies", inputs, batch_size={BATCH_SIZE}, concurrency={CONCURRENCY}
            ):
                pass
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.stdin.read()
        raise
print("finished", flush=True)
"""


class _Lines:
    """The lines a child writes to stdout, read by a thread so waits can time out."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        self._stdout = process.stdout
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._stdout:
            self._queue.put(line)
        self._queue.put(None)  # the child closed its stdout: it has exited

    def next(self, timeout: float = 30.0) -> str:
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"the child wrote nothing for {timeout:g} s")
        if line is None:
            pytest.fail("the child exited without a word (see its stderr)")
        return line.strip()


@pytest.fixture
def child_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root if not path else f"{root}{os.pathsep}{path}"}


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
@pytest.mark.hubspot_emulator(rate_limit=None)
@pytest.mark.parametrize("how", ["create_many", "iter_create_many"])
def test_ctrl_c_cancels_the_bulk_run_and_stays_a_keyboard_interrupt(
    hubspot_emulator: Emulator, child_env: dict[str, str], how: str
) -> None:
    # A steady run of hundreds of records a second; iterating, the main thread then
    # spends nearly all its time waiting for the next outcome, where Ctrl-C lands.
    hubspot_emulator.faults.latency(0.05 if how == "create_many" else 0.2)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, hubspot_emulator.base_url, hubspot_emulator.token, how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env,
    )
    try:
        lines = _Lines(child)
        wait_until_sync(
            lambda: hubspot_emulator.count("companies") >= 120, "the run is well under way"
        )
        child.send_signal(signal.SIGINT)
        assert lines.next() == "interrupted"
        at_interrupt = hubspot_emulator.count("companies")
        # The child is alive and idle from here on. Batches the emulator had already
        # received when the run was cancelled may still land (at most one per request
        # in flight); nothing may be sent after. Watched for 1.5 s: unfixed, the loop
        # thread goes on at full speed and adds hundreds of records.
        deadline = time.monotonic() + 1.5
        counts = []
        while time.monotonic() < deadline:
            counts.append(hubspot_emulator.count("companies"))
            time.sleep(0.05)
        assert counts[-1] - at_interrupt <= BATCH_SIZE * CONCURRENCY, counts
        assert counts[-1] == counts[len(counts) // 2], f"still growing: {counts}"
        assert child.stdin is not None
        child.stdin.close()
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.stderr is not None
    stderr = child.stderr.read()
    child.stderr.close()
    assert child.stdout is not None
    child.stdout.close()
    assert child.returncode in (130, -signal.SIGINT), stderr
    assert stderr.rstrip().endswith("KeyboardInterrupt"), stderr
    assert "RuntimeError" not in stderr


# --- Ctrl-C in this process, at chosen moments ------------------------------------------------


def _interrupt_main_thread_when(condition: Callable[[], bool]) -> threading.Thread:
    """Send SIGINT to the main thread (this test's) once ``condition()`` holds."""
    main = threading.main_thread().ident
    assert main == threading.get_ident(), "the test must run on the main thread"

    def watch() -> None:
        wait_until_sync(condition, "the moment to interrupt")
        assert main is not None
        signal.pthread_kill(main, signal.SIGINT)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


@pytest.fixture
def default_sigint() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
@pytest.mark.hubspot_emulator(rate_limit=None)
def test_ctrl_c_while_the_iterator_waits_is_a_keyboard_interrupt_and_cancels(
    hubspot_emulator: Emulator,
    sync_crm: HubCRM,
    default_sigint: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hubspot_emulator.faults.latency(2.0)
    both_batches_taken = threading.Event()

    def inputs() -> Iterator[dict[str, str]]:
        for i in range(1000):
            if i == 19:  # the last of two batches: pulled while next() waits for an outcome
                both_batches_taken.set()
            yield {"name": f"c{i}"}

    outcomes = sync_crm.objects.iter_create_many(
        "companies", inputs(), batch_size=10, concurrency=2
    )
    watcher = _interrupt_main_thread_when(both_batches_taken.is_set)
    # Unfixed: RuntimeError: aclose(): asynchronous generator is already running.
    with caplog.at_level(logging.WARNING, "hubcrm"), pytest.raises(KeyboardInterrupt):
        next(outcomes)
    watcher.join()
    # The two batches were cancelled, and said so, before the interrupt went on: each
    # input as in flight (sent) or taken but not sent (still waiting to be sent).
    sent = re.search(r"(\d+) inputs in flight, whose outcome is unknown", caplog.text)
    waiting = re.search(r"(\d+) inputs taken but not sent", caplog.text)
    assert sent is not None or waiting is not None, caplog.text
    counted = [int(found.group(1)) for found in (sent, waiting) if found is not None]
    assert sum(counted) == 20, caplog.text
    with pytest.raises(StopIteration):
        next(outcomes)  # the interrupt ended the iteration
    assert hubspot_emulator.stats.requests <= 2


class _Spawn:
    """Stands in for the loop thread's ``start_task_soon``, interrupted while handing over."""

    def __init__(self, real: Callable[[Callable[[], Any]], None], *, hand_over: bool) -> None:
        self._real = real
        self._hand_over = hand_over
        self.calls = 0

    def __call__(self, func: Callable[[], Any]) -> None:
        self.calls += 1
        if self.calls == 1:
            if self._hand_over:
                self._real(func)  # the task was handed over, then Ctrl-C
            raise KeyboardInterrupt
        self._real(func)


def _sleep_until_cancelled(
    started: threading.Event, cancelled: threading.Event
) -> Callable[[], Awaitable[None]]:
    """A call that sets ``started``, sleeps, and sets ``cancelled`` when cancelled."""

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    return work


@pytest.mark.parametrize("hand_over", [True, False], ids=["handed-over", "not-handed-over"])
def test_ctrl_c_while_handing_a_call_over_cancels_it(hand_over: bool) -> None:
    portal = Portal("test-portal")
    portal.call(lambda: asyncio.sleep(0))  # starts the loop thread
    started, cancelled = threading.Event(), threading.Event()

    work = _sleep_until_cancelled(started, cancelled)
    real = portal._loop_thread.start_task_soon  # type: ignore[union-attr]
    spawn = _Spawn(real, hand_over=hand_over)
    portal._loop_thread.start_task_soon = spawn  # type: ignore[union-attr, method-assign]
    try:
        begun = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            portal.call(work)
        # Handed over or not, nothing runs once the interrupt has reached the caller.
        assert started.is_set() is cancelled.is_set()
        assert time.monotonic() - begun < 5
    finally:
        portal._loop_thread.start_task_soon = real  # type: ignore[union-attr, method-assign]
        portal.close(lambda: asyncio.sleep(0))
    assert not started.is_set() or cancelled.is_set()


# --- close() with calls in flight -------------------------------------------------------------


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_close_waits_for_the_calls_in_flight_in_other_threads(
    hubspot_emulator: Emulator,
) -> None:
    hubspot_emulator.faults.latency(0.1)
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None)
    results: dict[str, Any] = {}

    def bulk() -> None:
        inputs = [{"name": f"c{i}"} for i in range(200)]
        results["bulk"] = crm.objects.create_many("companies", inputs, batch_size=10, concurrency=2)

    def single() -> None:
        results["single"] = crm.objects.create("companies", {"name": "single"})

    threads = [threading.Thread(target=bulk), threading.Thread(target=single)]
    for thread in threads:
        thread.start()
    wait_until_sync(lambda: hubspot_emulator.count("companies") >= 10, "both calls are under way")
    crm.close()
    # close() returned: both calls had finished, and finished whole.
    assert set(results) == {"bulk", "single"}
    for thread in threads:
        thread.join()
    assert results["single"].id
    assert [o.status for o in results["bulk"].outcomes] == ["created"] * 200
    assert hubspot_emulator.count("companies") == 201
    with pytest.raises(HubCRMError, match="closed"):
        crm.objects.create("companies", {"name": "too late"})


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_close_refuses_calls_made_while_it_waits(hubspot_emulator: Emulator) -> None:
    hubspot_emulator.faults.latency(0.5, times=1)
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None)
    slow = threading.Thread(target=crm.objects.create, args=("companies", {"name": "slow"}))
    slow.start()
    wait_until_sync(lambda: hubspot_emulator.stats.requests == 1, "the slow call is in flight")
    closer = threading.Thread(target=crm.close)
    closer.start()
    wait_until_sync(lambda: crm.closed, "close() has begun")
    with pytest.raises(HubCRMError, match="closed"):
        crm.objects.create("companies", {"name": "refused"})
    closer.join()
    slow.join()
    assert [o["properties"]["name"] for o in hubspot_emulator.objects("companies")] == ["slow"]


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_next_on_an_iterator_of_a_closed_client_is_a_hubcrm_error(
    hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None)
    outcomes = crm.objects.iter_create_many(
        "companies", [{"name": f"c{i}"} for i in range(30)], batch_size=10, concurrency=3
    )
    assert next(outcomes).ok
    wait_until_sync(lambda: hubspot_emulator.count("companies") == 30, "every batch is answered")
    with caplog.at_level(logging.WARNING, "hubcrm"):
        crm.close()  # closes the iterator left open
    _assert_the_rest_reported(caplog.text, 29)
    with pytest.raises(HubCRMError, match="closed"):
        next(outcomes)  # unfixed: RuntimeError: This portal is not running


def _assert_the_rest_reported(log: str, rest: int) -> None:
    """Every input but those yielded is reported at the close: created, or unknown
    (settled as such, or still in flight) where the close cut short the reading of an
    answer the emulator had already sent. Nothing is reported failed: every record
    exists."""
    known = re.search(r"(\d+) outcomes known but not yielded \(([^;]*);", log)
    in_flight = re.search(r"(\d+) inputs in flight, whose outcome is unknown", log)
    assert known is not None, log
    counts = {status: int(n) for status, n in (part.split() for part in known[2].split(", "))}
    assert set(counts) <= {"created", "unknown"}, log
    assert counts.get("created", 0) >= 1, log
    assert sum(counts.values()) == int(known[1]), log
    assert int(known[1]) + (int(in_flight[1]) if in_flight else 0) == rest, log


# --- the async client, closed under a running iteration or bulk run -----------------------------


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_async_next_after_aclose_is_a_hubcrm_error_and_reports_the_rest(
    hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    crm = AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None)
    outcomes = crm.objects.iter_create_many(
        "companies", [{"name": f"c{i}"} for i in range(30)], batch_size=10, concurrency=3
    )
    assert (await outcomes.__anext__()).ok
    await wait_until(lambda: hubspot_emulator.count("companies") == 30, "every batch is answered")
    await crm.aclose()
    with caplog.at_level(logging.WARNING, "hubcrm"), pytest.raises(HubCRMError, match="closed"):
        await outcomes.__anext__()  # unfixed: yields the outcomes known, then "failed" ones
    _assert_the_rest_reported(caplog.text, 29)
    with pytest.raises(StopAsyncIteration):
        await outcomes.__anext__()


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_async_iterator_of_a_closed_client_sends_nothing(hubspot_emulator: Emulator) -> None:
    crm = AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    await crm.aclose()
    outcomes = crm.objects.iter_create_many("companies", [{"name": "never"}])
    with pytest.raises(HubCRMError, match="closed"):
        await outcomes.__anext__()
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_inputs_a_closed_client_never_sent_are_not_attempted(
    hubspot_emulator: Emulator,
) -> None:
    crm = AsyncHubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    await crm.aclose()
    result = await crm.objects.create_many("companies", [{"name": f"c{i}"} for i in range(5)])
    assert [o.status for o in result.outcomes] == ["not_attempted"] * 5  # unfixed: "failed"
    assert isinstance(result.stopped_by, HubCRMError)
    assert "closed" in str(result.stopped_by)
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.anyio
@pytest.mark.hubspot_emulator(rate_limit=None)
async def test_leaving_the_async_iteration_early_reports_outcomes_not_yielded(
    hubspot_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    async with AsyncHubCRM(
        hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None
    ) as crm:
        outcomes = crm.objects.iter_create_many(
            "companies", [{"name": f"c{i}"} for i in range(30)], batch_size=10, concurrency=3
        )
        with caplog.at_level(logging.WARNING, "hubcrm"):
            async with contextlib.aclosing(outcomes):  # type: ignore[type-var]
                async for outcome in outcomes:
                    assert outcome.ok
                    await wait_until(
                        lambda: hubspot_emulator.count("companies") == 30,
                        "every batch is answered",
                    )
                    break
        # Unfixed: no warning at all, 29 records unreported. The third batch's answer
        # may still be on its way when the loop is left: then its inputs are "in flight".
        import re

        known = re.search(r"(\d+) outcomes known but not yielded \(created \1;", caplog.text)
        assert known is not None, caplog.text
        in_flight = re.search(r"(\d+) inputs in flight", caplog.text)
        unyielded = int(known.group(1)) + (int(in_flight.group(1)) if in_flight else 0)
        assert unyielded == 29
        # The first batch's other nine are known (one of its outcomes was yielded); the
        # answers of the other two may still be unread on a busy machine.
        assert int(known.group(1)) >= 9


def test_close_finalizes_even_when_closing_a_left_open_iterator_fails() -> None:
    portal = Portal("test-portal")

    async def refuses_to_close() -> AsyncGenerator[int, None]:
        try:
            yield 1
            yield 2
        finally:
            raise RuntimeError("broke while closing")

    stream = portal.iterate(refuses_to_close)
    assert next(stream) == 1  # left open: close() closes it
    finalized: list[bool] = []

    async def finalizer() -> None:
        finalized.append(True)

    with pytest.raises(RuntimeError, match="broke while closing"):
        portal.close(finalizer)
    assert finalized == [True]


def test_ctrl_c_before_the_loop_is_woken_leaves_the_portal_working() -> None:
    # An interrupt that lands after a hand-over marked a wake-up of the loop as on its
    # way, but before sending it: the cancellation wakes the loop itself, and later
    # calls are not left waiting for a wake-up that never comes.
    portal = Portal("test-portal")
    portal.call(lambda: asyncio.sleep(0))  # starts the loop thread
    loop_thread = portal._loop_thread
    assert loop_thread is not None
    loop = loop_thread._loop
    real_wake = loop.call_soon_threadsafe
    wakes = 0

    def interrupted_wake(*args: Any) -> Any:
        nonlocal wakes
        wakes += 1
        if wakes == 1:
            raise KeyboardInterrupt
        return real_wake(*args)

    started, cancelled = threading.Event(), threading.Event()

    work = _sleep_until_cancelled(started, cancelled)

    async def answer() -> int:
        return 42

    loop.call_soon_threadsafe = interrupted_wake  # type: ignore[method-assign]
    working = False
    try:
        begun = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            portal.call(work)
        assert time.monotonic() - begun < 5
        # From a daemon thread: were the loop never woken, it would wait forever.
        got: list[int] = []
        caller = threading.Thread(target=lambda: got.append(portal.call(answer)), daemon=True)
        caller.start()
        caller.join(10)
        assert got == [42], "a call made after the interrupt never ran"
        working = True
    finally:
        loop.call_soon_threadsafe = real_wake  # type: ignore[method-assign]
        if working:  # else close() would wait for the stuck call forever
            portal.close(lambda: asyncio.sleep(0))
    assert started.is_set() is cancelled.is_set()  # handed over, so it ran cancelled


# --- an interrupted call stays cancelled until it ends ----------------------------------------


def _interrupted_call(work: Callable[[], Any], started: threading.Event) -> float:
    """Run ``work`` through a fresh portal, send Ctrl-C once it has started; return how
    long the call took to give up (the KeyboardInterrupt is checked here)."""
    portal = Portal("test-portal")
    portal.call(lambda: asyncio.sleep(0))  # starts the loop thread
    watcher = _interrupt_main_thread_when(started.is_set)
    try:
        begun = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            portal.call(work)
        return time.monotonic() - begun
    finally:
        watcher.join()
        portal.close(lambda: asyncio.sleep(0))


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
@pytest.mark.parametrize("sleep", ["asyncio", "anyio"])
def test_a_call_that_swallows_its_cancellation_is_cancelled_again(
    default_sigint: None, sleep: str
) -> None:
    # Cancellation is level-triggered, as cancelling an anyio scope is: code that
    # catches the first CancelledError and awaits again (a retry, a read-back) is
    # cancelled again, at its next await, and again, until the call ends.
    started = threading.Event()
    swallowed: list[int] = []
    pause = asyncio.sleep if sleep == "asyncio" else anyio.sleep

    async def work() -> str:
        started.set()
        for attempt in range(3):
            try:
                await pause(60)
            except asyncio.CancelledError:
                swallowed.append(attempt)  # caught, and tried again
        await pause(60)
        return "not cancelled"

    assert _interrupted_call(work, started) < 5
    assert swallowed == [0, 1, 2]


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_a_shielded_region_of_an_interrupted_call_runs_to_its_end(
    default_sigint: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client shields some clean-up (a bulk run's engine is awaited to its end): an
    # interrupt waits for the shielded region, then cancels what follows it.
    started, release, cancelled = threading.Event(), threading.Event(), threading.Event()
    steps: list[int] = []
    at_cancel: list[int] = []  # the region's steps when the call's cancellation landed
    after: list[str] = []
    real_cancel = _Call._cancel

    async def cancel_and_tell(call: _Call[Any]) -> None:
        await real_cancel(call)
        at_cancel.append(len(steps))
        cancelled.set()

    monkeypatch.setattr(_Call, "_cancel", cancel_and_tell)

    async def work() -> None:
        with anyio.CancelScope(shield=True):
            started.set()
            while not release.is_set():
                await asyncio.sleep(0.01)  # each an await the cancellation could land on
                steps.append(1)
            await anyio.lowlevel.checkpoint()
            steps.append(2)
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            after.append("cancelled")
            raise

    def let_go() -> None:  # the region is let go only once the call was cancelled in it
        cancelled.wait(10)
        release.set()

    releaser = threading.Thread(target=let_go, daemon=True)
    releaser.start()
    assert _interrupted_call(work, started) < 5
    releaser.join()
    assert cancelled.is_set()
    assert 2 not in steps[: at_cancel[0]]  # the cancellation landed inside the region,
    assert steps[-1] == 2  # and the region ran on to its end,
    assert after == ["cancelled"]  # and what followed it was cancelled


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_an_interrupted_call_cancels_its_task_groups_and_deadlines(default_sigint: None) -> None:
    # anyio inside the call: a task group's children are cancelled with it, and a
    # deadline still far off does not turn the interrupt into a TimeoutError.
    started = threading.Event()
    children: list[str] = []

    async def child() -> None:
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            children.append("cancelled")
            raise

    async def work() -> None:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(child)
                tg.start_soon(child)
                await anyio.lowlevel.checkpoint()  # the children have started
                started.set()
                await anyio.sleep(60)

    assert _interrupted_call(work, started) < 5
    assert children == ["cancelled", "cancelled"]
