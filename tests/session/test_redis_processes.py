"""One HubSpot budget shared by OS processes through Redis, at CI size.

Real processes (``benchmarks/_shared_worker.py``, the worker the full-scale benchmark
``benchmarks/shared_limit.py`` runs too), one real ``redis-server`` and one emulator
process with a rolling limit of 50 requests per 1 s. The emulator counts requests and
429s and stores the records; each worker reports which of its inputs it created, which
it did not attempt, and when each of its requests started.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support_redis import RedisServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from _harness import emulator_process
from _shared_worker import run_fleet, specs_for, stop_after

# Several processes share one budget in real time: rates a loaded machine can upset.
pytestmark = pytest.mark.timing

LIMIT = 50  # requests per 1 s: the emulator's, and every limiter's
WORKERS = 4
CREATES = 150  # per worker
LOCAL_SHARE = 0.25
OUTAGE_AFTER = 2.0  # seconds after the start, Redis is stopped


@pytest.fixture(scope="module")
def hubspot() -> Iterator[str]:
    with emulator_process("--rate-limit", f"{LIMIT}/1") as base_url:
        yield base_url


def test_four_processes_share_one_limit(hubspot: str, redis_server: RedisServer) -> None:
    specs = specs_for(hubspot, 1, WORKERS, CREATES, redis_url=redis_server.url, key="t-four")
    fleet = run_fleet(specs)

    assert fleet.exactly_once, fleet
    assert fleet.tally.requests >= fleet.expected
    assert fleet.share_429 <= 0.01, fleet.tally
    # Together the four never started more than the limit in a window. Starts are
    # stamped by each worker when its limiter grants them; 0.9 s rather than 1 s leaves
    # room for the few ms between Redis' grant and that stamp.
    assert fleet.busiest(0.9) <= LIMIT
    # 600 creates take at least 11 s at 50 per rolling second (the first 50 at once),
    # so a perfect client scores 1.09 here; 0.9 leaves room for process start-up skew
    # and a noisy machine.
    assert fleet.use >= 0.9, fleet.use


def test_local_limits_alone_storm(hubspot: str) -> None:
    """Each process keeping to 50/1 s by itself: together they overrun it (the test
    above would fail without the shared limiter)."""
    fleet = run_fleet(specs_for(hubspot, 2, WORKERS, 80, limiter="local"))

    assert fleet.share_429 >= 0.10, fleet.tally
    assert fleet.busiest(0.9) > LIMIT
    assert fleet.exactly_once, fleet  # 429s are safe to retry: all made it, in the end


def test_redis_outage_raises_promptly(hubspot: str, private_redis: RedisServer) -> None:
    stopped: list[float] = []
    specs = specs_for(hubspot, 3, WORKERS, CREATES, redis_url=private_redis.url, key="t-raise")
    fleet = run_fleet(specs, meanwhile=stop_after(private_redis, OUTAGE_AFTER, stopped))

    for report in fleet.reports:
        assert report["stopped_by"] == "RedisLimiterError"
        # Promptly: within redis_timeout (1 s) of the outage, with room for a busy machine.
        assert report["first_redis_error"] - stopped[0] < 2.0
        assert report["finished"] - stopped[0] < 5.0
        assert 0 < len(report["created"]) < report["count"]
    # Every input accounted for: created, not attempted, or never taken; no record
    # that was not reported, none twice.
    assert fleet.accounted
    assert fleet.tally.duplicates == 0
    assert fleet.tally.stored == fleet.created
    assert fleet.share_429 <= 0.01, fleet.tally


def test_redis_outage_falls_back_to_local_share(hubspot: str, private_redis: RedisServer) -> None:
    stopped: list[float] = []
    specs = specs_for(
        hubspot,
        4,
        WORKERS,
        120,
        redis_url=private_redis.url,
        key="t-local",
        on_redis_error="local",
        local_share=LOCAL_SHARE,
    )
    fleet = run_fleet(specs, meanwhile=stop_after(private_redis, OUTAGE_AFTER, stopped))

    assert fleet.exactly_once, fleet
    assert all(report["stopped_by"] is None for report in fleet.reports)
    assert all(report["redis_errors"] >= 1 for report in fleet.reports)
    # During the outage each process kept to its share: 12 per 1 s.
    assert fleet.starts_between(stopped[0], float("inf"), local_only=True) > 0
    assert fleet.busiest(0.9, local_only=True) <= int(LIMIT * LOCAL_SHARE)
    # Low, not zero: when Redis goes, each fresh local limiter may start its share at
    # once while HubSpot's window still holds the last second's shared starts. Below
    # HubSpot's 5% error-rate guideline.
    assert fleet.share_429 <= 0.05, fleet.tally


def test_threads_of_two_processes_share_one_limit(hubspot: str, redis_server: RedisServer) -> None:
    """The sync facade, 16 threads in each of two processes, one key."""
    specs = specs_for(hubspot, 5, 2, 120, redis_url=redis_server.url, key="t-threads", threads=16)
    fleet = run_fleet(specs)

    assert fleet.exactly_once, fleet
    assert fleet.share_429 <= 0.01, fleet.tally
    assert fleet.busiest(0.9) <= LIMIT
