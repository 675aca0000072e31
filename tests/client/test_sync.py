"""HubCRM, the generated blocking facade: threads, fork, running loops, closing."""

from __future__ import annotations

import asyncio
import functools
import gc
import os
import signal
import threading
import warnings
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support_time import wait_until_sync

from hubcrm import ConflictError, CrmObject, HubCRM, HubCRMError
from hubcrm._portal import Portal
from hubcrm.testing import Emulator


def _portal_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "HubCRM"]


def test_create_blocks_and_returns_the_object(sync_crm: HubCRM, hubspot_emulator: Emulator) -> None:
    obj = sync_crm.objects.create("contacts", {"email": "ada@example.com", "firstname": "Ada"})
    assert isinstance(obj, CrmObject)
    assert obj.properties["firstname"] == "Ada"
    assert [o["id"] for o in hubspot_emulator.objects("contacts")] == [obj.id]


def test_errors_cross_the_portal_unchanged(sync_crm: HubCRM) -> None:
    first = sync_crm.objects.create("contacts", {"email": "dup@example.com"})
    with pytest.raises(ConflictError) as info:
        sync_crm.objects.create("contacts", {"email": "dup@example.com"})
    assert info.value.existing_id == first.id


def test_bad_input_fails_in_the_callers_thread_before_io(
    sync_crm: HubCRM, hubspot_emulator: Emulator
) -> None:
    with pytest.raises(ValueError, match="object_type"):
        sync_crm.objects.create("", {"email": "a@example.com"})
    with pytest.raises(TypeError, match="'age'"):
        sync_crm.objects.create("contacts", {"age": b"1"})  # type: ignore[dict-item]
    assert hubspot_emulator.stats.requests == 0


@pytest.mark.hubspot_emulator(rate_limit=None)
def test_one_portal_and_one_pool_shared_by_64_threads(hubspot_emulator: Emulator) -> None:
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url, rate_limit=None)
    try:
        assert _portal_threads() == []  # started lazily, on first use
        crm.objects.create("contacts", {"email": "warmup@example.com"})
        pool = crm._async_client._session.transport.client

        def work(i: int) -> str:
            return crm.objects.create("contacts", {"email": f"t{i}@example.com"}).id

        with ThreadPoolExecutor(64) as executor:
            ids = list(executor.map(work, range(640)))
        assert len(set(ids)) == 640
        assert len(_portal_threads()) == 1
        assert crm._async_client._session.transport.client is pool
    finally:
        crm.close()
    assert hubspot_emulator.count("contacts") == 641
    assert _portal_threads() == []


def test_usable_from_a_thread_whose_loop_is_running(
    sync_crm: HubCRM, hubspot_emulator: Emulator
) -> None:
    """As in Jupyter, or a sync helper called from inside an async app."""

    async def inside_a_loop() -> str:
        return sync_crm.objects.create("contacts", {"email": "loop@example.com"}).id

    object_id = asyncio.run(inside_a_loop())
    assert [o["id"] for o in hubspot_emulator.objects("contacts")] == [object_id]


def test_call_from_the_portal_thread_is_a_clear_error(
    sync_crm: HubCRM, hubspot_emulator: Emulator
) -> None:
    async def callback_on_the_clients_loop() -> None:
        sync_crm.objects.create("contacts", {"email": "deadlock@example.com"})

    with pytest.raises(HubCRMError, match="own event loop thread"):
        sync_crm._portal.call(callback_on_the_clients_loop)
    assert hubspot_emulator.count("contacts") == 0


def test_close_is_idempotent_and_final(hubspot_emulator: Emulator) -> None:
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    crm.objects.create("contacts", {"email": "a@example.com"})
    crm.close()
    crm.close()
    assert crm.closed
    with pytest.raises(HubCRMError, match="closed"):
        crm.objects.create("contacts", {"email": "b@example.com"})
    with pytest.raises(HubCRMError, match="closed"), crm:
        pass
    gc.collect()  # "Unclosed client session" would be raised here: warnings are errors
    assert _portal_threads() == []
    assert hubspot_emulator.count("contacts") == 1


def test_closing_an_unused_client_starts_nothing() -> None:
    crm = HubCRM("t", base_url="http://127.0.0.1:9")
    crm.close()
    assert crm.closed
    assert _portal_threads() == []
    with pytest.raises(HubCRMError, match="closed"):
        crm.objects.create("contacts", {"email": "a@example.com"})


def _fork() -> int:
    with warnings.catch_warnings():
        # Python 3.12+ warns that fork() in a multi-threaded process may deadlock; the
        # point of this test is that hubcrm's own threads don't.
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_child_process_after_fork_gets_a_working_client(hubspot_emulator: Emulator) -> None:
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    parent = crm.objects.create("contacts", {"email": "parent@example.com"})
    pid = _fork()
    if pid == 0:  # child: must end with os._exit, never return into pytest
        code = 1
        try:
            child = crm.objects.create("contacts", {"email": "child@example.com"})
            crm.close()
            code = 0 if child.id != parent.id else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 0
    # The parent's client is untouched by the child's use and close.
    again = crm.objects.create("contacts", {"email": "parent-again@example.com"})
    crm.close()
    emails = sorted(o["properties"]["email"] for o in hubspot_emulator.objects("contacts"))
    assert emails == ["child@example.com", "parent-again@example.com", "parent@example.com"]
    assert again.id != parent.id


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_while_another_thread_holds_the_portal_lock(hubspot_emulator: Emulator) -> None:
    # Without the at-fork reset, the child inherits the lock held, by a thread that does
    # not exist in the child, and its first call waits for it forever.
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    crm.objects.create("contacts", {"email": "before-fork@example.com"})
    portal_lock = crm._portal._lock
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with portal_lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        pid = _fork()
        if pid == 0:  # child: must end with os._exit, never return into pytest
            code = 1
            try:
                signal.alarm(20)  # a deadlock ends the child (status: killed by SIGALRM)
                crm.objects.create("contacts", {"email": "forked-child@example.com"})
                crm.close()
                code = 0
            finally:
                os._exit(code)
    finally:
        release.set()
        holder.join()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"the child did not exit normally: status {status}"
    assert os.WEXITSTATUS(status) == 0
    crm.close()
    assert hubspot_emulator.count("contacts") == 2


# --- read iterators: a page per thread crossing ------------------------------------------------


def _seed(crm: HubCRM, n: int) -> list[str]:
    made = crm.objects.create_many("contacts", ({"email": f"r{i}@example.com"} for i in range(n)))
    return [o.id for o in made.results if o is not None]


def _count_crossings(crm: HubCRM, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    crossings = [0]
    portal = crm._portal
    real = portal.call

    def counted(func):  # type: ignore[no-untyped-def]
        crossings[0] += 1
        return real(func)

    monkeypatch.setattr(portal, "call", counted)
    return crossings


def test_iter_all_hands_over_a_page_per_crossing(
    sync_crm: HubCRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _seed(sync_crm, 250)
    crossings = _count_crossings(sync_crm, monkeypatch)
    read = [record.id for record in sync_crm.objects.iter_all("contacts", page_size=100)]
    assert sorted(read) == sorted(ids)  # every record, once
    # Three pages, plus making the stream and its end: nowhere near one per record.
    assert crossings[0] <= 8


def test_iter_create_many_still_hands_over_one_outcome_per_crossing(
    sync_crm: HubCRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    crossings = _count_crossings(sync_crm, monkeypatch)
    rows = [{"email": f"c{i}@example.com"} for i in range(30)]
    outcomes = list(sync_crm.objects.iter_create_many("contacts", rows, batch_size=10))
    assert len(outcomes) == 30
    assert crossings[0] >= 30


def test_stopping_a_read_early_cancels_what_it_read_ahead(
    sync_crm: HubCRM, hubspot_emulator: Emulator
) -> None:
    _seed(sync_crm, 500)
    before = hubspot_emulator.stats.requests_by_operation.get("list", 0)
    stream = sync_crm.objects.iter_all("contacts", page_size=100)
    first = [next(stream) for _ in range(150)]  # the second page is being read
    stream.close()
    assert len({record.id for record in first}) == 150
    pages = hubspot_emulator.stats.requests_by_operation["list"] - before
    assert 2 <= pages <= 3  # at most one page read ahead of the caller
    assert sync_crm.objects.get("contacts", first[0].id).id == first[0].id  # still usable


def test_close_with_a_read_ahead_stream_left_open(hubspot_emulator: Emulator) -> None:
    crm = HubCRM(hubspot_emulator.token, base_url=hubspot_emulator.base_url)
    _seed(crm, 150)
    stream = crm.objects.iter_all("contacts", page_size=100)
    next(stream)  # its next item, or the next page, is on its way
    crm.close()  # closes the stream first, without "generator already running"
    with pytest.raises(HubCRMError, match="closed"):
        next(stream)


def test_a_failure_read_ahead_comes_after_the_items_before_it() -> None:
    portal = Portal("test-portal")

    async def pages() -> AsyncGenerator[int, None]:
        for item in (1, 2, 3):
            yield item
        await asyncio.sleep(0.01)  # the next "page" is requested...
        raise ValueError("refused")  # ...and refused

    try:
        got: list[int] = []
        stream = portal.iterate(pages, read_ahead=True)
        got += [next(stream), next(stream), next(stream)]
        with pytest.raises(ValueError, match="refused"):
            next(stream)
        assert got == [1, 2, 3]
    finally:
        portal.close(lambda: asyncio.sleep(0))


def test_closing_a_read_ahead_stream_cancels_the_read_in_progress() -> None:
    portal = Portal("test-portal")
    cancelled = threading.Event()

    async def slow_second_page() -> AsyncGenerator[int, None]:
        yield 1
        try:
            await asyncio.sleep(60)  # the next page, read ahead
        except asyncio.CancelledError:
            cancelled.set()
            raise
        yield 2

    try:
        stream = portal.iterate(slow_second_page, read_ahead=True)
        assert next(stream) == 1
        stream.close()
        assert cancelled.is_set()
    finally:
        portal.close(lambda: asyncio.sleep(0))


def test_one_wake_up_of_the_loop_starts_every_call_handed_over_meanwhile() -> None:
    portal = Portal("test-portal")
    portal.call(lambda: asyncio.sleep(0))  # starts the loop thread
    loop_thread = portal._loop_thread
    assert loop_thread is not None
    loop = loop_thread._loop
    wake_ups = 0
    real_wake = loop.call_soon_threadsafe

    def counting_wake(*args: Any) -> Any:
        nonlocal wake_ups
        wake_ups += 1
        return real_wake(*args)

    busy, release = threading.Event(), threading.Event()

    async def hold_the_loop() -> None:
        busy.set()
        release.wait(30)  # blocks the loop thread itself: no call starts meanwhile

    async def answer(i: int) -> int:
        return i

    loop.call_soon_threadsafe = counting_wake  # type: ignore[method-assign]
    try:
        with ThreadPoolExecutor(9) as pool:
            holding = pool.submit(portal.call, hold_the_loop)
            assert busy.wait(30)
            answers = [pool.submit(portal.call, functools.partial(answer, i)) for i in range(8)]
            wait_until_sync(lambda: len(loop_thread._pending) == 8, "8 calls are handed over")
            release.set()
            assert [a.result(30) for a in answers] == list(range(8))
            holding.result(30)
    finally:
        release.set()
        loop.call_soon_threadsafe = real_wake  # type: ignore[method-assign]
        portal.close(lambda: asyncio.sleep(0))
    assert wake_ups == 2  # one for the call that held the loop, one for the 8 others


def test_the_loop_thread_lets_go_of_every_finished_call() -> None:
    # The loop thread keeps each call's task alive while it runs, and no longer: calls
    # that returned, raised, or were never started because their caller gave up.
    portal = Portal("test-portal")
    portal.call(lambda: asyncio.sleep(0))  # starts the loop thread
    loop_thread = portal._loop_thread
    assert loop_thread is not None

    async def fail() -> None:
        raise ValueError("expected")

    async def held() -> list[asyncio.Task[object]]:
        return list(loop_thread._tasks)

    try:
        for _ in range(5):
            portal.call(lambda: asyncio.sleep(0))
            with pytest.raises(ValueError, match="expected"):
                portal.call(fail)
        assert len(portal.call(held)) == 1  # held() itself, while it runs
    finally:
        portal.close(lambda: asyncio.sleep(0))
