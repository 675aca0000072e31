"""The ``hubcrm`` command: ``hubcrm import`` and ``hubcrm emulator``.

Needs the ``cli`` extra (``pip install "hubcrm[cli]"``: click and rich). ``import
hubcrm`` never imports this module. See ``docs/guides/cli.md``.
"""

from __future__ import annotations

import logging
from typing import Any

import click
from rich.console import Console

from .._http.ratelimit import RateLimit
from ._emulator import emulator_command

# _eta, _progress, _Import and _terminal_reason are named here for the tests of them.
from ._progress import _eta as _eta
from ._progress import _progress as _progress
from ._run import _Import as _Import
from ._state import _ImportOptions
from ._state import _terminal_reason as _terminal_reason

__all__ = [
    "cli",
    "emulator_command",
    "import_command",
    "main",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubcrm", prog_name="hubcrm")
def cli() -> None:
    """Bulk-create HubSpot CRM records from files, and run a local HubSpot emulator."""


# --- hubcrm import ----------------------------------------------------------------------


def _rate_limit(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> RateLimit | None:
    if value is None:
        return None
    try:
        return RateLimit.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("import")
@click.argument("object_type")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--token",
    envvar="HUBSPOT_ACCESS_TOKEN",
    show_envvar=True,
    help="Private-app or OAuth access token.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: by extension.")
@click.option(
    "--id-property",
    help="A unique-value property every row has: exactly-once creation, kill -9 and --resume "
    "included (a key in HubSpot before the import began fails the row with CONFLICT).",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 100), default=100, show_default=True, help="Rows/batch."
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    show_default="from the rate limit",
    help="Requests in flight.",
)
@click.option("--mode", type=click.Choice(["batch", "single"]), default="batch", show_default=True)
@click.option(
    "--rate-limit",
    callback=_rate_limit,
    metavar="N/W",
    show_default="100/10, then HubSpot's announced limit",
    help="At most N requests per W s.",
)
@click.option("--results", type=click.Path(dir_okay=False), help="JSONL of created rows.")
@click.option("--errors", type=click.Path(dir_okay=False), help="JSONL of rows not created.")
@click.option("--resume", is_flag=True, help="Skip the rows already in --results.")
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="With --resume: send again rows whose outcome is unknown although they have no "
    "unique key (their records may then exist twice).",
)
@click.option(
    "--allow-removed",
    is_flag=True,
    help="With --resume: go on although rows recorded as created are gone from FILE.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read and encode every row and, with a token or --emulator, check each against "
    "the portal's definitions (properties, options, stages, owners, rules, unique values); "
    "send nothing. Exit 0 only if no row would be refused.",
)
@click.option(
    "--validate",
    is_flag=True,
    help="Check every row against the portal first (as --dry-run does) and send only the "
    "rows that pass; the others fail in --errors with HubSpot's code, unsent.",
)
@click.option("--strict", is_flag=True, help="Send nothing if any row cannot be read.")
@click.option("--emulator", is_flag=True, help="Import into an in-process HubSpot emulator.")
@click.option("--base-url", help="HubSpot's API root (for tests and proxies).")
@click.option(
    "--proxy",
    metavar="URL",
    help="HTTP proxy for every request (credentials allowed, never shown). "
    "Default: HTTPS_PROXY/HTTP_PROXY, unless --no-env-proxy.",
)
@click.option(
    "--env-proxy/--no-env-proxy",
    "trust_env",
    default=True,
    show_default=True,
    help="Honour HTTPS_PROXY, HTTP_PROXY, NO_PROXY (and .netrc) from the environment.",
)
@click.option(
    "--ca-bundle",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="PEM file of the CAs to trust for HubSpot's TLS certificate (a TLS-inspecting "
    "proxy's CA, say), instead of the system's.",
)
@click.pass_context
def import_command(ctx: click.Context, /, **params: Any) -> None:
    """Create OBJECT_TYPE records (contacts, deals, 2-123...) from FILE (CSV or JSONL).

    Rows are numbered from 1, counting data rows only (not the CSV header, not blank
    lines); results and errors name rows by that number (--resume matches rows by their
    content, not their number). Before reading a row, one read of OBJECT_TYPE checks the
    token and the type. Progress goes to stderr, the summary to stdout. Exit status: 0
    when every row was created, 1 when some were not, 2 for a usage or unreadable-file
    error or a failed check (nothing sent), 130 when interrupted.
    """
    # No markup: paths, codes and messages are printed as they are ("[/]" in a file name
    # is text, not a style). The progress bar's columns style themselves.
    # The command reports every row itself (counts, codes, row numbers, the resume
    # command). The library's own warnings say the same in other words, with 0-based
    # input indexes: kept off the terminal, unless the caller configured logging.
    library_log = logging.getLogger("hubcrm")
    if not library_log.handlers:
        library_log.addHandler(logging.NullHandler())
    out = Console(highlight=False, markup=False)
    err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
    job = _Import(ctx, _ImportOptions(**params), out, err)
    ctx.exit(job.main())


# --- hubcrm emulator --------------------------------------------------------------------


cli.add_command(emulator_command)


def main() -> None:
    """The ``hubcrm`` console script."""
    cli(prog_name="hubcrm")
