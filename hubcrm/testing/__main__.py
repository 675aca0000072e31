"""``python -m hubcrm.testing``: run the emulator standalone until SIGINT / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Sequence

from ._emulator import Emulator

__all__ = [
    "arm_faults",
    "build_parser",
    "main",
    "serve",
]


def _rate_limit(text: str) -> tuple[int, float] | None:
    if text.lower() == "none":
        return None
    try:
        count, _, window = text.partition("/")
        parsed = (int(count), float(window))
    except ValueError:
        raise argparse.ArgumentTypeError("expected N/W (e.g. 190/10) or none") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise argparse.ArgumentTypeError("expected N >= 1 and W > 0")
    return parsed


def _oauth_app(text: str) -> tuple[str, str, str | None]:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise argparse.ArgumentTypeError("expected CLIENT_ID:CLIENT_SECRET[:REFRESH_TOKEN]")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


_FAULT_KINDS = ("latency", "error_before", "error_after", "disconnect_after", "timeout_after")


def _faults(text: str) -> list[tuple[str, float, float | None]]:
    """Read ``KIND=P[:ARG],...`` (e.g. ``latency=1:0.2,error_after=0.02``)."""
    faults: list[tuple[str, float, float | None]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, spec = part.partition("=")
        probability, _, arg = spec.partition(":")
        try:
            parsed = (kind.strip(), float(probability), float(arg) if arg else None)
        except ValueError:
            parsed = ("", 0.0, None)
        if parsed[0] not in _FAULT_KINDS or not 0 < parsed[1] <= 1:
            raise argparse.ArgumentTypeError(
                f"expected KIND=PROBABILITY[:ARG] with KIND in {', '.join(_FAULT_KINDS)} "
                f"and 0 < PROBABILITY <= 1, not {part!r}"
            )
        faults.append(parsed)
    return faults


def arm_faults(emulator: Emulator, faults: Sequence[tuple[str, float, float | None]]) -> None:
    """Arm the probabilistic faults read by ``--faults`` on a running emulator.

    ``ARG`` is the delay in seconds for ``latency`` (default 0.5) and ``timeout_after``
    (default 30), the HTTP status for ``error_before`` / ``error_after`` (default 502),
    and unused for ``disconnect_after``.
    """
    for kind, probability, arg in faults:
        if kind == "latency":
            emulator.faults.latency(0.5 if arg is None else arg, probability=probability)
        elif kind == "timeout_after":
            emulator.faults.timeout_after(30.0 if arg is None else arg, probability=probability)
        elif kind == "error_before":
            emulator.faults.error_before(502 if arg is None else int(arg), probability=probability)
        elif kind == "error_after":
            emulator.faults.error_after(502 if arg is None else int(arg), probability=probability)
        else:
            emulator.faults.disconnect_after(probability=probability)


def build_parser(prog: str = "python -m hubcrm.testing") -> argparse.ArgumentParser:
    """The command line of ``python -m hubcrm.testing`` (and of ``hubcrm emulator``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the hubcrm HubSpot emulator until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 = a free one")
    parser.add_argument(
        "--token",
        action="append",
        help="accepted bearer token (repeatable; default test-token)",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=(190, 10.0),
        metavar="N/W|none",
        help="N requests per W seconds per app (default 190/10)",
    )
    parser.add_argument("--daily-limit", type=int, default=None, help="daily request cap")
    parser.add_argument("--seed", type=int, default=0, help="seed for shuffles and faults")
    parser.add_argument("--portal-id", type=int, default=12345678, help="account id")
    parser.add_argument(
        "--access-token-ttl", type=float, default=1800.0, help="OAuth access token lifetime (s)"
    )
    parser.add_argument(
        "--oauth-app",
        action="append",
        type=_oauth_app,
        default=[],
        metavar="ID:SECRET[:REFRESH]",
        help="register an OAuth app (repeatable); its refresh token is printed",
    )
    parser.add_argument(
        "--not-found-body",
        choices=("json", "empty", "html"),
        default="json",
        help="body of a 404 answering a GET: HubSpot's JSON error (default), nothing, "
        "or an HTML page",
    )
    parser.add_argument(
        "--require-company-domain-or-name",
        action="store_true",
        help="companies need domain or name at creation (default: neither, as in "
        "HubSpot's 2026-03 schema)",
    )
    parser.add_argument(
        "--unique-refusal",
        choices=("409", "400"),
        default="409",
        help="how a clash on a custom unique-value property is refused: a 409 naming the "
        "existing id (default) or a 400 naming the property",
    )
    parser.add_argument(
        "--no-upsert-trace-ids",
        action="store_true",
        help="leave objectWriteTraceId out of batch upsert results",
    )
    parser.add_argument(
        "--freeze-gc",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="every SECONDS, move the objects alive to Python's permanent GC generation "
        "(gc.freeze), so that full collections stay short as the store grows: a stall "
        "would count requests late in the rate window, where HubSpot counts them as they "
        "arrive. For long benchmark runs: cyclic garbage frozen this way is never freed. "
        "0 (default): off",
    )
    parser.add_argument(
        "--search-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds before a write is visible to search (default 0: at once)",
    )
    parser.add_argument(
        "--faults",
        type=_faults,
        default=[],
        metavar="KIND=P[:ARG],...",
        help="probabilistic faults, e.g. latency=1:0.2,error_after=0.02,disconnect_after=0.01 "
        f"(KIND: {', '.join(_FAULT_KINDS)}; ARG: delay in s or HTTP status)",
    )
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Run until SIGINT or SIGTERM."""
    emulator = Emulator(
        token=args.token or ["test-token"],
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        daily_limit=args.daily_limit,
        access_token_ttl=args.access_token_ttl,
        seed=args.seed,
        portal_id=args.portal_id,
        not_found_body=args.not_found_body,
        require_company_domain_or_name=args.require_company_domain_or_name,
        unique_refusal=args.unique_refusal,
        upsert_trace_ids=not args.no_upsert_trace_ids,
        search_delay=args.search_delay,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    async with emulator:
        print(f"hubcrm emulator listening on {emulator.base_url}", flush=True)
        for client_id, secret, refresh in args.oauth_app:
            token = emulator.register_oauth_app(client_id, secret, refresh_token=refresh)
            print(f"oauth app {client_id}: refresh token {token}", flush=True)
        arm_faults(emulator, args.faults)
        for kind, probability, arg in args.faults:
            extra = "" if arg is None else f" ({arg:g})"
            print(f"fault {kind}{extra} on {probability:.1%} of requests", flush=True)
        freezing = None
        if args.freeze_gc > 0:
            freezing = asyncio.create_task(_freeze_gc(args.freeze_gc))
        try:
            await stop.wait()
        finally:
            if freezing is not None:
                freezing.cancel()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (0.0 <= value < float("inf")):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return value


async def _freeze_gc(every: float) -> None:
    """Freeze the objects alive every ``every`` seconds (see ``--freeze-gc``)."""
    while True:
        gc.freeze()
        await asyncio.sleep(every)


def main(argv: Sequence[str] | None = None, prog: str = "python -m hubcrm.testing") -> int:
    """Entry point; returns the exit status.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        prog: The program name shown in help and errors.
    """
    args = build_parser(prog).parse_args(argv)
    try:
        asyncio.run(serve(args))
    except OSError as exc:
        print(f"hubcrm emulator: cannot listen: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover - a signal before the handler was set
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
