"""hubcrm's version, read from the installed package's metadata once, when first asked."""

from __future__ import annotations

import functools

__all__ = ["version"]


@functools.cache
def version() -> str:
    """The installed hubcrm's version (``"0.0.0"`` in a source tree that is not installed).

    Read on first use: importing :mod:`importlib.metadata` costs tens of milliseconds
    that ``import hubcrm`` need not pay.
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("hubcrm")
    except PackageNotFoundError:  # pragma: no cover - a source tree, not installed
        return "0.0.0"
