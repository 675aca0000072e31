"""The ``hubcrm`` command's entry point (also ``python -m hubcrm``).

It imports nothing heavy itself: the command (click, rich) and the client (aiohttp,
attrs, cattrs, anyio) are imported inside :func:`main`, so that a Ctrl-C while they
load (the first fraction of a second) exits 130 with one line instead of a traceback.
``import hubcrm`` loads its names on first use, which keeps this module light.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

#: Exit status after a Ctrl-C, as ``hubcrm.cli`` uses it (128 + SIGINT).
_EXIT_INTERRUPTED = 130
#: What ``pip install "hubcrm[cli]"`` adds.
_CLI_EXTRA = frozenset({"click", "rich"})


def main() -> None:
    """Start the ``hubcrm`` command; a Ctrl-C while it starts exits 130."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting: nothing was sent\n")
        raise SystemExit(_EXIT_INTERRUPTED) from None
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in _CLI_EXTRA:
            raise
        sys.stderr.write(
            f"the hubcrm command needs the cli extra ({missing} is not installed): "
            'pip install ".[cli]" in a clone of hubcrm (once hubcrm is on PyPI: '
            'pip install "hubcrm[cli]"). The emulator alone runs without it: '
            "python -m hubcrm.testing\n"
        )
        raise SystemExit(1) from None
    run()


if __name__ == "__main__":
    main()
