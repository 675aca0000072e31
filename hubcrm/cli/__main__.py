"""``python -m hubcrm.cli``: the hubcrm command, as the console script runs it."""

from . import main

__all__: list[str] = []

main()
