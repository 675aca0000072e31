"""Processes sharing one HubSpot budget: the worker, and the code that runs a fleet of them.

Run as a script, this is one worker process: ``python benchmarks/_shared_worker.py SPEC``
with ``SPEC`` a JSON object (see :class:`Spec`). It builds its client and limiter,
prints ``ready``, waits for a line on stdin (the start signal, so that every worker of
a fleet starts at the same moment whatever its import time), creates its contacts and
prints one JSON line: what it created, what it did not, and when each request started.
It prints indexes and counts, never property values.

Imported, :func:`run_fleet` starts the workers, starts them together, optionally does
something to the world meanwhile (stops Redis), and returns a :class:`Fleet`: the
workers' reports and what the emulator saw. ``benchmarks/shared_limit.py`` runs it at
full scale and ``tests/session/test_redis_processes.py`` at CI size.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import math
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import attrs
from _harness import TOKEN, Props, Tally, admin, props

WORKER = Path(__file__).resolve()


@attrs.frozen(kw_only=True)
class Spec:
    """What one worker does.

    Attributes:
        base_url: the emulator's.
        run: a number unique to the fleet's run: the emails are ``props(run, i)``.
        first: the index of this worker's first contact; it creates ``first`` to
            ``first + count - 1``.
        count: contacts to create.
        limiter: ``"redis"`` (a RedisRateLimiter, shared by ``key``) or ``"local"``
            (``rate_limit=RateLimit(max_requests, interval)``, this process alone).
        redis_url, key: the shared budget (``limiter="redis"``).
        max_requests, interval: the limit.
        on_redis_error, local_share: as for RedisRateLimiter.
        mode: ``create_many``'s mode (``"single"``: one request per contact).
        threads: 0: ``AsyncHubCRM.objects.create_many``; N: the sync facade ``HubCRM``,
            its ``objects.create`` called from N threads.
    """

    base_url: str
    run: int
    first: int
    count: int
    limiter: Literal["redis", "local"] = "redis"
    redis_url: str = ""
    key: str = ""
    max_requests: int = 50
    interval: float = 1.0
    on_redis_error: Literal["raise", "local"] = "raise"
    local_share: float | None = None
    mode: Literal["single", "batch"] = "single"
    threads: int = 0

    def inputs(self) -> list[Props]:
        return [props(self.run, i) for i in range(self.first, self.first + self.count)]


# --- the worker -------------------------------------------------------------------------


def _make_limiter(spec: Spec) -> Any:
    """The spec's limiter, noting when each request starts and when Redis first fails."""
    from hubcrm import RateLimit, RedisLimiterError, RedisRateLimiter, RollingWindowLimiter

    class Recording:
        """Mixed into a limiter: records each grant (epoch seconds) and the first error."""

        starts: list[float]
        local_starts: list[float]
        first_redis_error: float | None = None

        async def acquire(self, max_pause: float = math.inf) -> float:
            try:
                waited: float = await super().acquire(max_pause)  # type: ignore[misc]
            except RedisLimiterError:
                if self.first_redis_error is None:
                    self.first_redis_error = time.time()
                raise
            now = time.time()
            self.starts.append(now)
            if getattr(self, "mode", "shared") == "local":
                self.local_starts.append(now)
            return waited

    limiter: Any
    if spec.limiter == "local":

        class RecordingLocal(Recording, RollingWindowLimiter):
            pass

        # What AsyncHubCRM(rate_limit=RateLimit(...)) makes: an explicit limit.
        limiter = RecordingLocal(RateLimit(spec.max_requests, spec.interval), explicit=True)
    else:

        class RecordingRedis(Recording, RedisRateLimiter):
            pass

        options: dict[str, Any] = {"on_redis_error": spec.on_redis_error}
        if spec.local_share is not None:
            options["local_share"] = spec.local_share
        limiter = RecordingRedis.from_url(
            spec.redis_url,
            key=spec.key,
            max_requests=spec.max_requests,
            interval=spec.interval,
            **options,
        )
    limiter.starts = []
    limiter.local_starts = []
    return limiter


class _Switches(logging.Handler):
    """Counts the limiter's switches to its fallback and back, from its warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "limiting this process alone" in message:
            self.counts["fallbacks"] += 1
        elif "sharing resumed" in message:
            self.counts["resumed"] += 1


_switches = _Switches()


def _report(spec: Spec, limiter: Any, started: float, finished: float) -> dict[str, Any]:
    return {
        "fallbacks": _switches.counts["fallbacks"],
        "resumed": _switches.counts["resumed"],
        "first": spec.first,
        "count": spec.count,
        "started": started,
        "finished": finished,
        "starts": limiter.starts,
        "local_starts": limiter.local_starts,
        "first_redis_error": limiter.first_redis_error,
        "redis_calls": getattr(limiter, "redis_calls", 0),
        "redis_errors": getattr(limiter, "redis_errors", 0),
    }


async def _bulk(spec: Spec, limiter: Any) -> dict[str, Any]:
    from hubcrm import AsyncHubCRM

    inputs = spec.inputs()
    async with AsyncHubCRM(TOKEN, base_url=spec.base_url, rate_limit=limiter) as crm:
        _wait_for_go()
        started = time.time()
        result = await crm.objects.create_many("contacts", inputs, mode=spec.mode)
        finished = time.time()
        client = crm.stats
    statuses = collections.Counter(e.status for e in result.errors)
    report = _report(spec, limiter, started, finished)
    report.update(
        created=[spec.first + i for i, obj in enumerate(result.results) if obj is not None],
        not_attempted=[spec.first + e.index for e in result.errors if not e.attempted],
        failed=statuses["failed"],
        unknown=statuses["unknown"],
        taken=result.total,
        stopped_by=type(result.stopped_by).__name__ if result.stopped_by else None,
        client_requests=client.requests,
        client_429s=client.rate_limited,
    )
    return report


def _threads(spec: Spec, limiter: Any) -> dict[str, Any]:
    from hubcrm import HubCRM

    inputs = spec.inputs()
    errors: collections.Counter[str] = collections.Counter()
    with HubCRM(TOKEN, base_url=spec.base_url, rate_limit=limiter) as crm:

        def create(i: int) -> int | None:
            try:
                crm.objects.create("contacts", inputs[i])
            except Exception as exc:
                errors[type(exc).__name__] += 1
                return None
            return spec.first + i

        with ThreadPoolExecutor(spec.threads) as pool:
            _wait_for_go()
            started = time.time()
            done = list(pool.map(create, range(len(inputs))))
            finished = time.time()
        client = crm.stats
    report = _report(spec, limiter, started, finished)
    report.update(
        created=[i for i in done if i is not None],
        not_attempted=[],
        failed=sum(errors.values()),
        unknown=0,
        taken=len(inputs),
        stopped_by=None,
        errors=dict(errors),
        client_requests=client.requests,
        client_429s=client.rate_limited,
    )
    return report


def _wait_for_go() -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no start signal")


def _dump_tasks(signum: int, frame: object) -> None:
    """On SIGUSR1 (a run that does not finish): where every task waits, to stderr."""
    for task in list(asyncio.tasks._all_tasks):
        if not task.done():
            print(f"--- {task.get_name()}", file=sys.stderr)
            task.print_stack(limit=12, file=sys.stderr)
    sys.stderr.flush()


def main(argv: Sequence[str]) -> None:
    logging.getLogger("hubcrm").addHandler(_switches)
    signal.signal(signal.SIGUSR1, _dump_tasks)
    spec = Spec(**json.loads(argv[0]))
    limiter = _make_limiter(spec)
    report = _threads(spec, limiter) if spec.threads else asyncio.run(_bulk(spec, limiter))
    print(json.dumps(report), flush=True)


# --- the fleet --------------------------------------------------------------------------


@attrs.frozen
class Fleet:
    """What a fleet of workers did, and what the emulator saw of it.

    Attributes:
        reports: each worker's JSON report.
        tally: the emulator's requests and 429s, and the records stored per intended email.
        phantom: intended emails stored but reported by no worker as created (a record
            the caller was never told of).
        go: epoch seconds when the workers were told to start.
        permitted: the limit's sustained rate, requests per second.
    """

    reports: list[dict[str, Any]]
    tally: Tally
    phantom: int
    go: float
    permitted: float

    @property
    def expected(self) -> int:
        return sum(r["count"] for r in self.reports)

    @property
    def created(self) -> int:
        return sum(len(r["created"]) for r in self.reports)

    @property
    def elapsed(self) -> float:
        """From the first worker's start to the last one's end, in seconds."""
        return max(r["finished"] for r in self.reports) - min(r["started"] for r in self.reports)

    @property
    def share_429(self) -> float:
        return self.tally.rate_limited / max(self.tally.requests, 1)

    @property
    def use(self) -> float:
        """Successful creates per second of ``elapsed``, as a share of the permitted rate.

        The same definition as ``benchmarks/ratelimit.py``'s ``Outcome.use``, for the
        fleet as a whole. In single mode one create is one request, so it is also the
        rate of request starts that succeeded.
        """
        return self.created / self.elapsed / self.permitted

    @property
    def request_use(self) -> float:
        """Every request the emulator received (429s included) per second, / permitted."""
        return self.tally.requests / self.elapsed / self.permitted

    @property
    def accounted(self) -> bool:
        """Every input is created, or not attempted, or never taken: none failed, none
        unknown, and no record exists that no worker reported (nothing lost silently)."""
        for r in self.reports:
            if r["failed"] or r["unknown"]:
                return False
            if (
                len(r["created"]) + len(r["not_attempted"]) + (r["count"] - r["taken"])
                != r["count"]
            ):
                return False
        return self.phantom == 0

    @property
    def exactly_once(self) -> bool:
        """Every intended record stored once, reported created, and nothing unaccounted."""
        t = self.tally
        return (
            t.stored == self.expected == self.created
            and t.lost == 0
            and t.duplicates == 0
            and self.accounted
        )

    def busiest(self, window: float, *, local_only: bool = False) -> int:
        """The most request starts of the fleet (or, ``local_only``, of one worker's
        fallback limiter) inside any ``window`` seconds."""
        if local_only:
            return max(_busiest(r["local_starts"], window) for r in self.reports)
        return _busiest([t for r in self.reports for t in r["starts"]], window)

    def starts_between(self, start: float, end: float, *, local_only: bool = False) -> int:
        """Request starts (grants of the limiters) in ``[start, end)``, epoch seconds."""
        field = "local_starts" if local_only else "starts"
        return sum(1 for r in self.reports for t in r[field] if start <= t < end)


def stop_after(server: Any, delay: float, stopped: list[float]) -> Callable[[float], None]:
    """A ``meanwhile`` for :func:`run_fleet`: ``server.stop()`` ``delay`` seconds after the
    start, noting when (epoch seconds) in ``stopped``."""

    def meanwhile(go: float) -> None:
        time.sleep(max(go + delay - time.time(), 0.0))
        stopped.append(time.time())
        server.stop()

    return meanwhile


def _busiest(times: Sequence[float], window: float) -> int:
    ordered = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(ordered):
        while t - ordered[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def run_fleet(
    specs: Sequence[Spec],
    *,
    meanwhile: Callable[[float], None] | None = None,
    timeout: float | None = None,
) -> Fleet:
    """Run one worker process per spec, started together; return what they did.

    The emulator's store and counters are reset first (sleeping out one window, so that
    no earlier request counts). ``meanwhile(go)`` runs in this process right after the
    start signal (``go``: epoch seconds), while the workers work. Workers that have
    not finished after ``timeout`` seconds are asked where they wait (SIGUSR1) and
    killed, and RuntimeError carries their answer.
    """
    base_url = specs[0].base_url
    permitted = specs[0].max_requests / specs[0].interval
    if timeout is None:  # four times what the creates need at the permitted rate
        timeout = 60 + 4 * sum(s.count for s in specs) / permitted
    time.sleep(max(s.interval for s in specs) + 0.2)
    admin(base_url, "reset", {})
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(attrs.asdict(spec))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=WORKER.parent,
        )
        for spec in specs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                _, err = proc.communicate(timeout=30)
                raise RuntimeError(f"a worker did not start: {line!r}\n{err[-3000:]}")
        go = time.time()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        if meanwhile is not None:
            meanwhile(go)
        deadline = time.monotonic() + timeout
        reports = []
        for proc in procs:
            try:
                out, err = proc.communicate(timeout=max(deadline - time.monotonic(), 1.0))
            except subprocess.TimeoutExpired:
                raise RuntimeError(
                    f"the workers did not finish in {timeout:g} s:\n" + _stacks(procs)
                ) from None
            if proc.returncode != 0:
                raise RuntimeError(f"a worker failed (exit {proc.returncode}):\n{err[-3000:]}")
            reports.append(json.loads(out.splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    inputs = [p for spec in specs for p in spec.inputs()]
    created = {
        props(spec.run, i)["email"].lower()
        for r, spec in zip(reports, specs, strict=True)
        for i in r["created"]
    }
    stored = {
        str(o["properties"].get("email") or "").lower()
        for o in admin(base_url, "objects/contacts")["results"]
    }
    intended = {p["email"].lower() for p in inputs}
    phantom = len((stored & intended) - created)
    return Fleet(reports, Tally.of(base_url, inputs), phantom, go, permitted)


def _stacks(procs: Sequence[subprocess.Popen[str]]) -> str:
    """Where the unfinished workers' tasks wait (their SIGUSR1 dump), then end them."""
    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGUSR1)
    time.sleep(1.0)
    dumps = []
    for proc in running:
        proc.kill()
        _, err = proc.communicate()
        dumps.append(f"=== worker {proc.pid}\n{err[-6000:]}")
    return "\n".join(dumps)


def specs_for(base_url: str, run: int, workers: int, count: int, **options: Any) -> list[Spec]:
    """``workers`` specs of ``count`` contacts each, the same options, distinct emails."""
    return [
        Spec(base_url=base_url, run=run, first=w * count, count=count, **options)
        for w in range(workers)
    ]


if __name__ == "__main__":
    main(sys.argv[1:])
