"""Import time, workload 5 of the suite: ``python -X importtime -c "import ..."``.

Each import runs in a fresh interpreter (the same one as the suite, so the same
site-packages), interleaved, and the figure is the cumulative time that ``-X importtime``
reports for the imported top-level modules: the interpreter's own start-up is left out.
Run it with ``suite.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence

import _sdks

# label -> the modules one statement imports
TARGETS: dict[str, tuple[str, ...]] = {
    "hubcrm": ("hubcrm",),
    "hubcrm's own dependencies (aiohttp, attrs, cattrs, anyio)": (
        "aiohttp",
        "attrs",
        "cattrs",
        "anyio",
    ),
    "hubspot-sdk (hubspot_sdk)": ("hubspot_sdk",),
    "hubspot-api-client (hubspot)": ("hubspot",),
}
NEEDS = {"hubspot-sdk (hubspot_sdk)": _sdks.SDK, "hubspot-api-client (hubspot)": _sdks.API_CLIENT}
# What `import hubcrm` must not load: the CLI, the emulator, the code generator.
KEPT_OUT = ("hubcrm.cli", "hubcrm.cli._input", "hubcrm.testing", "hubcrm._codegen", "click")

# Bytecode is cached as an installed wheel's would be: with PYTHONDONTWRITEBYTECODE set,
# an editable hubcrm would be compiled from source on every import while its
# dependencies load their cached .pyc, and the comparison would measure the compiler.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_LINE = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)\s*$")


def import_ms(modules: Sequence[str]) -> float:
    """Milliseconds to import ``modules`` in a fresh interpreter (their cumulative sum)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import " + ", ".join(modules)],
        check=True,
        capture_output=True,
        text=True,
        env=_ENV,
    )
    total = 0
    for line in proc.stderr.splitlines():
        match = _LINE.match(line)
        if match and not match[2] and match[3] in modules:
            total += int(match[1])
    return total / 1000


def import_times(runs: int) -> dict[str, list[float]]:
    """Every target ``runs`` times, interleaved: milliseconds per fresh process."""
    targets = {
        label: modules
        for label, modules in TARGETS.items()
        if label not in NEEDS or _sdks.version(NEEDS[label]) is not None
    }
    for modules in targets.values():
        import_ms(modules)  # not counted: writes any missing bytecode cache
    times: dict[str, list[float]] = {label: [] for label in targets}
    for _ in range(runs):
        for label, modules in targets.items():
            times[label].append(import_ms(modules))
    return times


def loaded_by_import() -> list[str]:
    """Which of ``KEPT_OUT`` (and their submodules) ``import hubcrm`` loads: want none."""
    code = (
        f"import sys, hubcrm\nprint(' '.join(m for m in sys.modules if m.startswith({KEPT_OUT!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.split()
