"""``hubcrm emulator``: the options of ``python -m hubcrm.testing``, as a click command.

The options are made from the emulator's own argument parser (``build_parser``), so the
two commands take the same options, and ``hubcrm emulator --help`` is laid out as
``hubcrm import --help`` is, defaults shown.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from ..testing import __main__ as standalone

__all__ = ["emulator_command"]


class _Parsed(click.ParamType):  # type: ignore[type-arg,unused-ignore]  # generic in 8.2+
    """A click type that parses with one of the emulator's argparse type functions."""

    def __init__(self, parse: Callable[[str], Any], metavar: str | None) -> None:
        self.parse = parse
        self.name = metavar or "TEXT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default, already parsed
        try:
            return self.parse(value)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            self.fail(str(exc) or f"{value!r} is not valid", param, ctx)


def _shown_default(action: argparse.Action) -> bool:
    """Whether ``--help`` shows the default (not when there is none, nor when the
    option's help already says it)."""
    default = action.default
    return not (default is None or default == [] or "default" in (action.help or ""))


def _option(action: argparse.Action) -> click.Option:
    """The click option of one argparse option."""
    decls = [*action.option_strings, action.dest]
    help_text = action.help
    if isinstance(action, argparse._StoreTrueAction):
        return click.Option(decls, is_flag=True, default=False, help=help_text)
    multiple = isinstance(action, argparse._AppendAction)
    kind: Any
    if action.choices is not None:
        kind = click.Choice([str(c) for c in action.choices])
    elif action.type in (int, float):
        kind = action.type
    elif action.type is not None:
        parse: Callable[[str], Any] = action.type  # type: ignore[assignment]
        kind = _Parsed(parse, action.metavar if isinstance(action.metavar, str) else None)
    else:
        kind = str
    return click.Option(
        decls,
        type=kind,
        multiple=multiple,
        default=None if multiple else action.default,
        show_default=_shown_default(action),
        metavar=action.metavar if isinstance(action.metavar, str) else None,
        help=help_text,
    )


def _run(**params: Any) -> None:
    """Run the HubSpot emulator in the foreground until Ctrl-C.

    The same options as python -m hubcrm.testing. --faults KIND=P[:ARG],... arms
    probabilistic faults, e.g. latency=1:0.2,error_after=0.02,disconnect_after=0.01.
    """
    for name, value in params.items():
        if isinstance(value, tuple):  # repeatable options: as argparse gives them
            params[name] = list(value)
    args = argparse.Namespace(**params)
    try:
        asyncio.run(standalone.serve(args))
    except OSError as exc:
        click.echo(f"hubcrm emulator: cannot listen: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # pragma: no cover - a signal before the handler was set
        sys.exit(130)


def _options(actions: Sequence[argparse.Action]) -> list[click.Parameter]:
    return [
        _option(action)
        for action in actions
        if action.option_strings and not isinstance(action, argparse._HelpAction)
    ]


emulator_command = click.Command(
    "emulator",
    callback=_run,
    params=_options(standalone.build_parser()._actions),
    help=_run.__doc__,
    short_help="Run the HubSpot emulator in the foreground.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
