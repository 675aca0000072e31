"""Rate limits, workload 3 of the suite: 1,000 concurrent contact creates at 50 per 1 s.

The emulator's rolling limit is set to at most 50 requests in any 1 s, and each client
creates N contacts (unique emails) with no user-side throttling: the async clients all
at once (``asyncio.gather``), the blocking ones from 16 threads, plain aiohttp (no
retry, no limiter) 64 in flight. Every client is built as its README teaches, with
its default retry settings. A run starts cold (no warm-up create: hubcrm learns the
limit from its first response's headers, as it would from HubSpot's).

Requests and 429s come from the emulator's ``/_emulator/stats``; lost records and
duplicates from the records it stored. Run it with ``suite.py``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

import attrs
from _harness import Sample, Tally, interleave, set_limit
from client import (
    API_CLIENT,
    HUBCRM_ASYNC,
    HUBCRM_SYNC,
    PLAIN_AIOHTTP,
    SDK_AIOHTTP,
    SDK_HTTPX,
    Case,
    new_inputs,
    run_case,
)

LIMIT = (50, 1.0)  # at most 50 requests in any 1 s
PERMITTED = LIMIT[0] / LIMIT[1]  # requests per second

CASES = [
    Case(HUBCRM_ASYNC, None),
    Case(HUBCRM_SYNC, 16),
    Case(SDK_HTTPX, None),
    Case(SDK_AIOHTTP, None),
    Case(API_CLIENT, 16),
    Case(PLAIN_AIOHTTP, 64),
]


@attrs.frozen
class Outcome:
    """One run of one client: what it reported and what the emulator saw."""

    sample: Sample
    tally: Tally

    @property
    def failed(self) -> int:
        """Creates that raised (or, for plain aiohttp, got an answer but 201)."""
        return sum(self.sample.errors.values())

    @property
    def share_429(self) -> float:
        return self.tally.rate_limited / max(self.tally.requests, 1)

    @property
    def use(self) -> float:
        """Successful creates per second, as a share of the permitted rate."""
        return (self.sample.ops - self.failed) / self.sample.wall / PERMITTED


def limited_creates(
    base_url: str, cases: Sequence[Case], creates: int, repeats: int
) -> dict[str, list[Outcome]]:
    """Workload 3: the cases interleaved, each on an emptied store under ``LIMIT``."""
    results: dict[str, list[Outcome]] = {}

    def variant(case: Case) -> Callable[[list[Sample]], None]:
        def run(samples: list[Sample]) -> None:
            set_limit(base_url, LIMIT)
            inputs = new_inputs(creates)
            sample = run_case(base_url, case, inputs, warm_up=False)
            samples.append(sample)
            results.setdefault(case.name, []).append(Outcome(sample, Tally.of(base_url, inputs)))

        return run

    interleave([(c.name, variant(c)) for c in cases if c.client.available], repeats)
    set_limit(base_url, None)
    return results


def fastest(creates: int) -> float:
    """Seconds a perfect client needs: a rolling window admits a full burst at once."""
    return (-(-creates // LIMIT[0]) - 1) * LIMIT[1]


def goals(outcomes: Sequence[Outcome]) -> dict[str, tuple[str, bool]]:
    """hubcrm's workload 3 goals, on the medians (lost and duplicates: the worst run)."""
    use = statistics.median(o.use for o in outcomes)
    share = statistics.median(o.share_429 for o in outcomes)
    lost = max(o.tally.lost for o in outcomes)
    dupes = max(o.tally.duplicates for o in outcomes)
    return {
        "lost 0": (f"{lost} in the worst run", lost == 0),
        "duplicates 0": (f"{dupes} in the worst run", dupes == 0),
        "429s <= 1%": (f"{100 * share:.1f}%", share <= 0.01),
        "use >= 0.95": (f"{use:.2f}", use >= 0.95),
    }
