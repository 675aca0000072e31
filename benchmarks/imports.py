"""Import time, workload 5 of the suite: what a user's first import statement costs.

``import hubcrm`` alone loads nothing (its names load on first use), so the suite times
the statements a user writes: ``from hubcrm import AsyncHubCRM, HubCRM`` (both clients
and everything they need) and ``import hubcrm.testing`` (the emulator), against
importing hubcrm's four dependencies, and the official SDKs when installed.

Each statement runs cold in a fresh interpreter (the same one as the suite, so the same
site-packages), interleaved; the figure is the wall time of the statement alone, read
with ``time.perf_counter`` around it: the interpreter's own start-up is left out.
:func:`top_entries` reports what ``-X importtime`` puts first for a statement.
Run it with ``suite.py``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys

import _sdks

CLIENTS = "from hubcrm import AsyncHubCRM, HubCRM"
TESTING = "import hubcrm.testing"
DEPENDENCIES = "import aiohttp, attrs, cattrs, anyio"
# label -> the statement timed
TARGETS: dict[str, str] = {
    f"`{CLIENTS}`": CLIENTS,
    f"`{TESTING}` (the emulator)": TESTING,
    "hubcrm's own dependencies (aiohttp, attrs, cattrs, anyio)": DEPENDENCIES,
    "hubspot-sdk (hubspot_sdk)": "import hubspot_sdk",
    "hubspot-api-client (hubspot)": "import hubspot",
}
CLIENTS_LABEL, TESTING_LABEL, DEPENDENCIES_LABEL = list(TARGETS)[:3]
NEEDS = {"hubspot-sdk (hubspot_sdk)": _sdks.SDK, "hubspot-api-client (hubspot)": _sdks.API_CLIENT}
# What `import hubcrm` must not load: the CLI, the emulator, the code generator.
KEPT_OUT = ("hubcrm.cli", "hubcrm.cli._input", "hubcrm.testing", "hubcrm._codegen", "click")

# Bytecode is cached as an installed wheel's would be: with PYTHONDONTWRITEBYTECODE set,
# an editable hubcrm would be compiled from source on every import while its
# dependencies load their cached .pyc, and the comparison would measure the compiler.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_TIMED = (
    "import time as _t\n_t0 = _t.perf_counter()\n{statement}\n"
    "print((_t.perf_counter() - _t0) * 1000)"
)
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)\s*$")


def import_ms(statement: str) -> float:
    """Milliseconds that ``statement`` takes in a fresh interpreter, start-up left out."""
    proc = subprocess.run(
        [sys.executable, "-c", _TIMED.format(statement=statement)],
        check=True,
        capture_output=True,
        text=True,
        env=_ENV,
    )
    return float(proc.stdout.split()[-1])


def import_times(runs: int) -> dict[str, list[float]]:
    """Every target ``runs`` times, interleaved: milliseconds per fresh process."""
    targets = {
        label: statement
        for label, statement in TARGETS.items()
        if label not in NEEDS or _sdks.version(NEEDS[label]) is not None
    }
    for statement in targets.values():
        import_ms(statement)  # not counted: writes any missing bytecode cache
    times: dict[str, list[float]] = {label: [] for label in targets}
    for _ in range(runs):
        for label, statement in targets.items():
            times[label].append(import_ms(statement))
    return times


def top_entries(statement: str, n: int = 10, runs: int = 3) -> list[tuple[str, float, float]]:
    """The ``n`` modules with the most self time under ``-X importtime`` for
    ``statement``: (module, self ms, cumulative ms), medians of ``runs`` processes."""
    self_us: dict[str, list[int]] = {}
    cumulative_us: dict[str, list[int]] = {}
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _TIMED.format(statement=statement)],
            check=True,
            capture_output=True,
            text=True,
            env=_ENV,
        )
        for line in proc.stderr.splitlines():
            match = _LINE.match(line)
            if match:
                self_us.setdefault(match[4], []).append(int(match[1]))
                cumulative_us.setdefault(match[4], []).append(int(match[2]))
    ranked = sorted(self_us, key=lambda m: statistics.median(self_us[m]), reverse=True)
    return [
        (m, statistics.median(self_us[m]) / 1000, statistics.median(cumulative_us[m]) / 1000)
        for m in ranked[:n]
    ]


def loaded_by_import() -> list[str]:
    """Which of ``KEPT_OUT`` (and their submodules) ``import hubcrm`` loads: want none."""
    code = (
        f"import sys, hubcrm\nprint(' '.join(m for m in sys.modules if m.startswith({KEPT_OUT!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.split()
