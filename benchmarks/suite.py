"""hubcrm against HubSpot's official SDKs: the whole benchmark suite, in one run.

    nox -s bench                 # the published figures (docs/benchmarks.md)
    nox -s bench -- --quick      # a reduced run, under 2 minutes
    python benchmarks/suite.py [--quick] [--only 2,3] [--out DIR] [--chart PNG]

Starts ONE emulator process on 127.0.0.1 and runs every client against it, the variants
of each workload interleaved (A B C A B C ...), and reports medians with min-max:

1. sequential single creates (``client.py``);
2. 64 creates in flight, unthrottled (``client.py``);
3. 1,000 concurrent creates under a 50 per 1 s rolling limit (``ratelimit.py``);
4. bulk, 50,000 objects, unthrottled and at 190 per 1 s, after a first run shown apart,
   and its peak RSS (``bulk.py``);
5. import time: ``from hubcrm import AsyncHubCRM, HubCRM`` and ``hubcrm.testing``,
   cold (``imports.py``);
6. exactly-once bulk creation under faults, 20,000 contacts and 20,000 deals with
   companies at 190 per 1 s (``exactly_once.py``).
7. reading back: ``iter_all`` over 10,000 records and a 2,000-result search, against
   hubspot-sdk's auto-paging (``reading.py``);
8. bulk creation under faults at HubSpot's real window: 30,000 deals with companies at
   190 per 10 s, every request of the run faulted (``faults.py``).

Writes ``results.md`` (the tables), ``results.json`` (every sample) and a chart of
workloads 2 and 3 into ``--out``. The official SDKs (``hubspot-sdk``,
``hubspot-api-client``) are never hubcrm dependencies: ``nox -s bench`` installs them in
its own environment, and their rows are left out when they are missing.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import _sdks
import attrs
import bulk
import client
import exactly_once
import faults
import imports
import ratelimit
import reading
from _harness import Sample, cpu_ms, emulator_process, machine, rate, spread


@attrs.frozen
class Sizes:
    """How much each workload does: the full run or ``--quick``."""

    sequential: int = 500  # workload 1: creates per run
    in_flight: int = 2000  # workload 2: creates per run
    single_repeats: int = 5  # workloads 1 and 2
    limited: int = 1000  # workload 3: creates per run
    limited_repeats: int = 3
    bulk: int = 50_000  # workload 4: objects per run
    bulk_repeats: int = 3
    imports: int = 10  # workload 5: fresh processes per import
    exactly_once: int = 20_000  # workload 6: records per run
    exactly_once_repeats: int = 1
    reading: int = 10_000  # workload 7: records paged through
    reading_repeats: int = 3
    faults_deals: int = 30_000  # workload 8: deals per run
    faults_window: float = faults.WINDOW  # workload 8: seconds per 190 requests


FULL = Sizes()
QUICK = Sizes(
    sequential=100,
    in_flight=500,
    single_repeats=1,
    limited=200,
    limited_repeats=1,
    bulk=5_000,
    bulk_repeats=1,
    imports=3,
    exactly_once=2_000,
    reading=2_000,
    reading_repeats=1,
    faults_deals=2_000,
    faults_window=1.0,
)


class Report:
    """The Markdown page being written, and the goals checked along the way."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.goals: list[tuple[str, str, bool]] = []  # (goal, measured, met)

    def add(self, *lines: str) -> None:
        for line in lines:
            print(line, flush=True)
        self.lines.extend(lines)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.add(
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows),
            "",
        )

    def section(self, title: str, text: str) -> None:
        self.add("", f"## {title}", "", text)

    def goal(self, goal: str, measured: str, met: bool) -> None:
        self.goals.append((goal, measured, met))
        self.add(f"- goal {goal}: {measured}, **{'met' if met else 'MISSED'}**")


def _rate_cells(samples: list[Sample]) -> list[str]:
    errors = sum(sum(s.errors.values()) for s in samples)
    rates = [s.ops / s.wall for s in samples]
    return [spread(rates, ",.0f"), f"{cpu_ms(samples):.3f}", f"{errors:,}"]


def workload_1(report: Report, base_url: str, sizes: Sizes) -> dict[str, list[Sample]]:
    results = client.single_creates(
        base_url, client.SEQUENTIAL, sizes.sequential, sizes.single_repeats
    )
    report.section(
        "1. Sequential single creates",
        f"{sizes.sequential:,} creates per run, one at a time, unthrottled; median (min-max) "
        f"of {sizes.single_repeats} interleaved runs.",
    )
    report.table(
        ["client", "creates/s", "client CPU ms/create", "failed calls"],
        [[name, *_rate_cells(samples)] for name, samples in results.items()],
    )
    ours = results.get(client.Case(client.HUBCRM_ASYNC, 1).name)
    blocking = results.get(client.Case(client.HUBCRM_SYNC, 1).name)
    if ours and blocking:
        ratio = rate(blocking)[0] / rate(ours)[0]
        report.goal(
            "hubcrm sync, sequential >= 0.8x hubcrm async, sequential",
            f"{ratio:.2f}x",
            ratio >= 0.8,
        )
    return results


def workload_2(report: Report, base_url: str, sizes: Sizes) -> dict[str, list[Sample]]:
    results = client.single_creates(
        base_url, client.IN_FLIGHT, sizes.in_flight, sizes.single_repeats
    )
    ceiling = rate(results[client.Case(client.PLAIN_AIOHTTP, 64).name])[0]
    report.section(
        "2. 64 creates in flight, unthrottled",
        f"{sizes.in_flight:,} creates per run; async clients keep 64 in flight, blocking "
        f"ones run 16 threads sharing one client; median (min-max) of "
        f"{sizes.single_repeats} interleaved runs. The ceiling posts prebuilt JSON bodies "
        f"with plain aiohttp.",
    )
    report.table(
        ["client", "creates/s", "client CPU ms/create", "failed calls", "x ceiling"],
        [
            [name, *_rate_cells(samples), f"{rate(samples)[0] / ceiling:.2f}"]
            for name, samples in results.items()
        ],
    )
    ours_samples = results[client.Case(client.HUBCRM_ASYNC, 64).name]
    ours = rate(ours_samples)[0]
    report.goal(
        "hubcrm async >= 0.95x the ceiling", f"{ours / ceiling:.2f}x", ours >= 0.95 * ceiling
    )
    cpu = cpu_ms(ours_samples) / cpu_ms(results[client.Case(client.PLAIN_AIOHTTP, 64).name])
    report.goal(
        "hubcrm async client CPU per create <= 1.15x the ceiling's", f"{cpu:.2f}x", cpu <= 1.15
    )
    blocking = results.get(client.Case(client.HUBCRM_SYNC, 16).name)
    if blocking:
        ratio = rate(blocking)[0] / ours
        report.goal(
            "hubcrm sync, 16 threads >= 0.55x hubcrm async, 64 in flight",
            f"{ratio:.2f}x",
            ratio >= 0.55,
        )
    sdk = results.get(client.Case(client.SDK_AIOHTTP, 64).name)
    if sdk:
        theirs = rate(sdk)[0]
        report.goal(
            "hubcrm async >= 3x hubspot-sdk async (aiohttp)",
            f"{ours / theirs:.2f}x",
            ours >= 3 * theirs,
        )
    return results


def workload_3(report: Report, base_url: str, sizes: Sizes) -> dict[str, list[ratelimit.Outcome]]:
    results = ratelimit.limited_creates(
        base_url, ratelimit.CASES, sizes.limited, sizes.limited_repeats
    )
    n, (limit, window) = sizes.limited, ratelimit.LIMIT
    best = ratelimit.fastest(n)
    report.section(
        f"3. {n:,} concurrent creates under a {limit} per {window:g} s rolling limit",
        f"At most {limit} requests in any {window:g} s; median (min-max) of "
        f"{sizes.limited_repeats} interleaved runs. Async clients start every create at "
        f"once, blocking ones use 16 threads, plain aiohttp (no retry) keeps 64 in flight. "
        f"Default retry settings throughout.",
    )
    rows = []
    for name, outs in results.items():
        rows.append(
            [
                name,
                spread([o.sample.wall for o in outs], ".1f"),
                spread([o.tally.requests for o in outs], ",.0f"),
                spread([o.tally.rate_limited for o in outs], ",.0f"),
                spread([100 * o.share_429 for o in outs], ".1f"),
                spread([o.failed for o in outs], ",.0f"),
                spread([o.tally.lost for o in outs], ",.0f"),
                spread([o.tally.duplicates for o in outs], ",.0f"),
                spread([o.use for o in outs], ".2f"),
            ]
        )
    report.table(
        [
            *("client", "elapsed s", "requests", "429s", "429s %", "failed calls"),
            *("lost", "duplicates", "use"),
        ],
        rows,
    )
    report.add(
        f"- use = successful creates / elapsed / {limit / window:g} per s. A rolling window "
        f"admits a full burst at once, so {n:,} creates can be stored in {best:g} s plus a "
        f"round trip: use can reach {n / max(best, window) / (limit / window):.2f}. It only "
        f"means something for a client that stored every record.",
    )
    for name, outs in results.items():
        errors = sum((o.sample.errors for o in outs), Sample(0, 0, 0).errors)
        if errors:
            listed = ", ".join(f"{k:,} x {kind}" for kind, k in errors.most_common())
            report.add(f"- {name}, errors over all runs: {listed}")
    for case in ratelimit.CASES[:2]:
        for goal, (measured, met) in ratelimit.goals(results[case.name]).items():
            report.goal(f"{case.client.name}: {goal}", measured, met)
    return results


def workload_4(report: Report, base_url: str, sizes: Sizes) -> dict[str, Any]:
    n = sizes.bulk
    names = {
        "hubcrm": "hubcrm create_many",
        "hubspot-sdk": "hubspot-sdk batch.create, chunks of 100",
        "hand-written": "hand-written aiohttp loader (the floor)",
    }
    drivers = {
        k: v for k, v in bulk.DRIVERS.items() if k != "hubspot-sdk" or _sdks.version(_sdks.SDK)
    }
    limits: dict[str, float | None] = {"unthrottled": None, f"{bulk.LIMIT} per 1 s": bulk.WINDOW}
    # A client's first bulk run in the process also pays one-off costs (modules loaded
    # on first use, the event loop's first start): it is shown on its own row, and the
    # interleaved runs below, each client's later runs, are its steady state.
    first = {key: bulk.run_once(base_url, driver, n, None) for key, driver in drivers.items()}
    outcomes: dict[tuple[str, str], list[bulk.Outcome]] = {}
    for _ in range(sizes.bulk_repeats):
        for limit, window in limits.items():
            for key, driver in drivers.items():
                if window is not None and key in bulk.UNTHROTTLED_ONLY:
                    continue
                outcome = bulk.run_once(base_url, driver, n, window)
                outcomes.setdefault((key, limit), []).append(outcome)
    rss = {key: bulk.driver_rss_mib(base_url, key, n) for key in drivers}

    report.section(
        f"4. Bulk: {n:,} contacts",
        f"hubcrm `create_many` against hubspot-sdk's `batch.create` with the caller "
        f"chunking into 100s and gathering every chunk (aiohttp transport, default "
        f"retries), unthrottled and at {bulk.LIMIT} requests per 1 s (HubSpot's default "
        f"190 per 10 s, scaled); median (min-max) of {sizes.bulk_repeats} interleaved runs, "
        f"after each client's first run in the process (unthrottled, its own row: it also "
        f"pays one-off costs such as modules loaded on first use). The hand-written "
        f"loader is the floor: plain aiohttp, 100 inputs per body, `json.dumps` and "
        f"`json.loads`, each result matched to its input by trace id and kept as a dict; "
        f"no retries, no typed records, no settling, so it runs unthrottled only.",
    )
    rows = [
        [
            f"{names[key]}, first run",
            "unthrottled",
            f"{o.stored / o.elapsed:,.0f}",
            f"{o.requests:,}",
            f"{o.rate_limited:,}",
            f"{o.calls.failed_inputs:,}",
            f"{o.lost:,}",
            f"{o.duplicates:,}",
            f"{o.cpu / o.n * 1e6:,.0f}",
        ]
        for key, o in first.items()
    ]
    for (key, limit), outs in outcomes.items():
        rows.append(
            [
                names[key],
                limit,
                spread([o.stored / o.elapsed for o in outs], ",.0f"),
                spread([o.requests for o in outs], ",.0f"),
                spread([o.rate_limited for o in outs], ",.0f"),
                spread([o.calls.failed_inputs for o in outs], ",.0f"),
                spread([o.lost for o in outs], ",.0f"),
                spread([o.duplicates for o in outs], ",.0f"),
                spread([o.cpu / o.n * 1e6 for o in outs], ",.0f"),
            ]
        )
    report.table(
        [
            *("client", "limit", "stored objects/s", "requests", "429s", "failed inputs"),
            *("lost", "duplicates", "client CPU µs/object"),
        ],
        rows,
    )
    report.add(
        f"Peak RSS of the same {n:,}-object run (unthrottled) in a fresh process each; "
        f"'run' is the peak less the RSS once the library is imported and the {n:,} "
        f"input dicts are built.",
    )
    report.table(
        ["client", "peak RSS MiB", "run MiB"],
        [[names[key], f"{peak:.1f}", f"{delta:.1f}"] for key, (peak, delta) in rss.items()],
    )
    per_object = max(
        statistics.median(o.cpu / o.n * 1e6 for o in outs)
        for (key, _), outs in outcomes.items()
        if key == "hubcrm"
    )
    cold = first["hubcrm"].cpu / n * 1e6
    floor = statistics.median(o.cpu / o.n * 1e6 for o in outcomes["hand-written", "unthrottled"])
    report.goal(
        "hubcrm create_many client CPU <= 12 µs per object",
        f"{per_object:.1f} µs (the higher of the two limits' medians; the process's first "
        f"run: {cold:.1f} µs; the hand-written floor in the same runs: {floor:.1f} µs)",
        per_object <= 12,
    )
    return {
        "outcomes": {" / ".join(k): v for k, v in outcomes.items()},
        "first": first,
        "rss": rss,
    }


def workload_6(report: Report, base_url: str, sizes: Sizes) -> dict[str, Any]:
    n = sizes.exactly_once
    outcomes = exactly_once.measure(base_url, n, sizes.exactly_once_repeats)
    report.section(
        f"6. Exactly-once bulk creation under faults: {n:,} records",
        f"At {exactly_once.LIMIT} requests per {exactly_once.WINDOW:g} s, with the "
        f"object type's requests faulted: 5% answered 503 before processing, 2% answered "
        f"502 after the write committed, 1% dropped after it committed. hubcrm "
        f"`create_many` with defaults (contacts, read back by email) and with "
        f"`id_property` (deals, each associated with one of {exactly_once.COMPANIES} "
        f"companies); hubspot-sdk's `batch.create` in chunks of 100, gathered, with its "
        f"own retries. Median (min-max) of {sizes.exactly_once_repeats} run(s).",
    )
    report.table(exactly_once.HEADER, exactly_once.rows(outcomes))
    report.add(
        "- stored, lost, duplicated: counted by the emulator. unknown: inputs hubcrm "
        "reported as `OutcomeUnknownError`; for hubspot-sdk, the inputs of chunk calls "
        "that raised (it cannot say what became of them). ambiguous batches: batch "
        "creates that met a fault. reads per fault: hubcrm's `batch/read` requests per "
        "ambiguous batch, the cost of settling them."
    )
    for goal, measured, met in exactly_once.goals(outcomes):
        report.goal(goal, measured, met)
    return outcomes


def workload_5(report: Report, sizes: Sizes) -> dict[str, Any]:
    times = imports.import_times(sizes.imports)
    deps = statistics.median(times[imports.DEPENDENCIES_LABEL])
    report.section(
        "5. Import time",
        f"What a user's first import statement costs, cold in a fresh interpreter: the "
        f"wall time of the statement alone (start-up left out), median (min-max) of "
        f"{sizes.imports} fresh processes each, interleaved.",
    )
    report.table(
        ["import", "ms", "x hubcrm's dependencies"],
        [
            [label, spread(ms, ",.0f"), f"{statistics.median(ms) / deps:.2f}"]
            for label, ms in times.items()
        ],
    )
    top = imports.top_entries(imports.CLIENTS)
    report.add(f"`-X importtime`'s top entries for `{imports.CLIENTS}` (median of 3):")
    report.table(
        ["module", "self ms", "cumulative ms"],
        [[f"`{m}`", f"{own:.1f}", f"{cum:.1f}"] for m, own, cum in top],
    )
    ours = statistics.median(times[imports.CLIENTS_LABEL])
    report.goal(
        f"`{imports.CLIENTS}` <= 1.15x its dependencies", f"{ours / deps:.2f}x", ours <= 1.15 * deps
    )
    loaded = imports.loaded_by_import()
    report.goal(
        "`import hubcrm` loads no CLI, emulator or codegen",
        ", ".join(loaded) if loaded else "none loaded",
        not loaded,
    )
    return {"times": times, "top": top}


def workload_7(report: Report, base_url: str, sizes: Sizes) -> dict[str, Any]:
    results = reading.reading(base_url, sizes.reading, sizes.reading_repeats)
    report.section(
        "7. Reading back: iter_all and search",
        f"{sizes.reading:,} contacts paged through 100 at a time (`after` cursors), "
        f"unthrottled window; then a search matching a fifth of them, 100 per page, under "
        f"HubSpot's 5 searches per second (which the emulator enforces). Median (min-max) "
        f"of {sizes.reading_repeats} interleaved runs.",
    )
    rows = []
    for part, samples_by_case in results.items():
        for name, samples in samples_by_case.items():
            errors = sum(n for s in samples for kind, n in s.errors.items() if kind != "429s")
            answered_429 = sum(s.errors.get("429s", 0) for s in samples)
            rows.append(
                [
                    part,
                    name,
                    spread([s.ops / s.wall for s in samples], ",.0f"),
                    f"{cpu_ms(samples):.4f}",
                    f"{answered_429:,}",
                    f"{errors:,}",
                ]
            )
    report.table(
        ["part", "client", "records/s", "client CPU ms/record", "429s drawn", "failed runs"],
        rows,
    )
    return results


def workload_8(report: Report, base_url: str, sizes: Sizes) -> faults.Run:
    n, window = sizes.faults_deals, sizes.faults_window
    run = faults.run_once(base_url, n, faults.LIMIT, window)
    report.section(
        f"8. Bulk creation under faults at {faults.LIMIT} per {window:g} s: {n:,} deals",
        f'hubcrm `create_many("deals", ..., id_property="{faults.KEY}")`, 100 per '
        f"batch, each deal associated with one of {-(-n // faults.DEALS_PER_COMPANY):,} "
        f"companies made beforehand, the client's limiter at the emulator's window. Every "
        f"request of the run, creates, reads and resends alike, is faulted: 5% answered "
        f"503 before processing, 2% 502 after the commit, 1% dropped after the commit. "
        f"One run.",
    )
    report.table(faults.HEADER, [faults.row(run)])
    report.add(*faults.details(run))
    report.goal(
        "faults: every deal exactly once with its company, none unknown, every outcome as stored",
        f"{run.audit.lost} lost, {run.audit.duplicated} duplicated, {run.unknown} unknown, "
        f"{run.audit.missing_association} without association, "
        f"{run.audit.contradicted} contradicted",
        run.clean,
    )
    return run


def chart(path: Path, w2: dict[str, list[Sample]], w3: dict[str, list[ratelimit.Outcome]]) -> None:
    """Workload 2's creates/s and workload 3's stored and lost records, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    if w2:
        names = list(w2)[::-1]
        meds, los, his = zip(*(rate(w2[n]) for n in names), strict=True)
        colors = [_color(n) for n in names]
        left.barh(names, meds, color=colors)
        left.errorbar(
            meds,
            names,
            xerr=[
                [m - lo for m, lo in zip(meds, los, strict=True)],
                [h - m for m, h in zip(meds, his, strict=True)],
            ],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        for y, m in enumerate(meds):
            left.text(m, y, f" {m:,.0f}", va="center", fontsize=8)
        left.set_xlabel("creates/s (median, min-max), higher is better")
        left.set_title("2. 64 creates in flight, unthrottled")
        left.set_xlim(0, max(his) * 1.18)
    if w3:
        names = list(w3)[::-1]
        stored = [statistics.median(o.tally.stored for o in w3[n]) for n in names]
        lost = [statistics.median(o.tally.lost for o in w3[n]) for n in names]
        right.barh(names, stored, color=[_color(n) for n in names])
        right.barh(names, lost, left=stored, color=LOST)
        for y, n in enumerate(names):
            outs = w3[n]
            wall = statistics.median(o.sample.wall for o in outs)
            share = statistics.median(o.share_429 for o in outs)
            right.text(
                stored[y] + lost[y],
                y,
                f" {wall:.1f} s, {100 * share:.0f}% 429s",
                va="center",
                fontsize=8,
            )
        total = stored[0] + lost[0]
        right.set_xlim(0, total * 1.45)
        right.set_xlabel("records (median): stored, lost")
        right.set_title(f"3. {total:,.0f} concurrent creates at 50 per 1 s")
        right.legend(
            handles=[
                Patch(color=_color("hubcrm"), label="stored: hubcrm"),
                Patch(color=_color("hubspot"), label="stored: official SDKs"),
                Patch(color=_color("plain"), label="stored: plain aiohttp"),
                Patch(color=LOST, label="lost"),
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=4,
            fontsize=8,
        )
    for axis in (left, right):
        axis.tick_params(axis="y", labelsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


LOST = "#f2b8b5"


def _color(name: str) -> str:
    if name.startswith("hubcrm"):
        return "#1f77b4"
    if name.startswith("plain"):
        return "#7f7f7f"
    return "#ff7f0e"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run, under 2 minutes")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8", help="workloads to run, e.g. 2,3")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--chart", type=Path, help="the PNG (default: OUT/workloads-2-3.png)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    only = {int(w) for w in args.only.split(",")}
    chart_path = args.chart or args.out / "workloads-2-3.png"
    command = shlex.join(["python", "benchmarks/suite.py", *(argv or sys.argv[1:])])
    versions = ", ".join(
        f"{dist} {_sdks.version(dist) or 'not installed'}"
        for dist in ("hubcrm", _sdks.SDK, _sdks.API_CLIENT)
    )

    report = Report()
    report.add(f"Machine: {machine()}.", f"Clients: {versions}.", f"Command: `{command}`.", "")
    started = time.perf_counter()
    raw: dict[str, Any] = {}
    steps: list[tuple[int, Callable[[str], Any]]] = [
        (1, lambda url: workload_1(report, url, sizes)),
        (2, lambda url: workload_2(report, url, sizes)),
        (3, lambda url: workload_3(report, url, sizes)),
        (4, lambda url: workload_4(report, url, sizes)),
        (6, lambda url: workload_6(report, url, sizes)),
        (7, lambda url: workload_7(report, url, sizes)),
        (8, lambda url: workload_8(report, url, sizes)),
    ]
    with emulator_process() as base_url:
        for number, step in steps:
            if number in only:
                raw[str(number)] = step(base_url)
    if 5 in only:
        raw["5"] = workload_5(report, sizes)
    if 2 in only or 3 in only:
        try:
            chart(chart_path, raw.get("2", {}), raw.get("3", {}))
        except ModuleNotFoundError as exc:  # matplotlib: installed by `nox -s bench`
            report.add(f"No chart: {exc}.")
    elapsed = time.perf_counter() - started

    report.add("", "## Goals")
    report.table(
        ["goal", "measured", ""],
        [[goal, measured, "met" if met else "**missed**"] for goal, measured, met in report.goals],
    )
    report.add(f"Suite wall time: {elapsed:.0f} s.")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text("\n".join(report.lines) + "\n", "utf-8")
    (args.out / "results.json").write_text(
        json.dumps(raw, default=_jsonable, indent=1) + "\n", "utf-8"
    )


def _jsonable(value: Any) -> Any:
    if attrs.has(type(value)):
        return attrs.asdict(value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return str(value)


if __name__ == "__main__":
    main()
