"""The ``sandbox`` subcommand of ``linkedapi-mcp`` (and ``python -m linkedapi_mcp.sandbox``).

``linkedapi-mcp sandbox [options]`` serves a standalone sandbox over HTTP;
``linkedapi-mcp sandbox reset`` forgets the embedded sandbox account kept in the data directory.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from .config import WorkingHours, parse_working_hours


def _working_hours(text: str) -> WorkingHours:
    try:
        return parse_working_hours(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=["serve", "reset"],
        default="serve",
        help="serve (default): run a standalone sandbox over HTTP; "
        "reset: start the embedded sandbox account (kept in the data directory) over",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic world (default: 42)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="virtual seconds per real second (default: 1; 0 freezes time)"
    )
    parser.add_argument(
        "--epoch",
        default="now",
        help="virtual start time, ISO 8601 (e.g. 2026-11-23T09:00:00Z, for byte-identical runs) "
        "or 'now' (default: now — the sandbox follows today's calendar)",
    )
    parser.add_argument(
        "--working-hours",
        type=_working_hours,
        default=None,
        metavar="SPEC",
        help="the account's working hours, e.g. 'mon-fri 09:00-17:00 Europe/Berlin' (add 'reject' to refuse "
        "work outside them instead of parking it); default: always open",
    )
    parser.add_argument(
        "--sales-navigator",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether the account has Sales Navigator (default: yes)",
    )
    parser.add_argument("--seat", choices=["core", "plus"], default="plus", help="the account's seat (default: plus)")
    parser.add_argument(
        "--account-api",
        choices=["000", "002"],
        default="000",
        help="vocabulary of the Account API served at /account/workflow: 000 (completed/running/failed, the "
        "later one; default) or 002 (complete/processing/error)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="for reset: the data directory (default: LINKEDAPI_MCP_DATA_DIR or your user data directory)",
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 42,
    speed: float = 1.0,
    *,
    epoch: str | None = "now",
    sales_navigator: bool = True,
    seat: str = "plus",
    working_hours: WorkingHours | None = None,
    account_api: str = "000",
) -> None:
    """Run a standalone sandbox until interrupted; prints its base URL first."""
    from .app import Sandbox
    from .server import serve_forever

    if seat not in ("core", "plus"):
        raise ValueError("seat must be 'core' or 'plus'")
    sandbox = Sandbox(
        seed=seed,
        speed=speed,
        epoch=epoch,
        sales_navigator=sales_navigator,
        seat="core" if seat == "core" else "plus",
        working_hours=working_hours,
        account_api=account_api,
    )
    serve_forever(sandbox, host, port)


def reset(data_dir: Path | None) -> int:
    from linkedapi_mcp.settings import Settings

    from .persist import account_file, forget

    directory = data_dir if data_dir is not None else Settings().resolved_data_dir()
    path = account_file(directory)
    if forget(path):
        print(f"The sandbox account in {path} was removed; the next run starts a fresh one.")
    else:
        print(f"No sandbox account to reset in {directory}.")
    return 0


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", "serve") == "reset":
        try:
            return reset(args.data_dir)
        except OSError as exc:
            print(f"linkedapi-mcp sandbox reset: {exc}", file=sys.stderr)
            return 1
    with contextlib.suppress(KeyboardInterrupt):
        serve(
            args.host,
            args.port,
            args.seed,
            args.speed,
            epoch=args.epoch,
            sales_navigator=args.sales_navigator,
            seat=args.seat,
            working_hours=args.working_hours,
            account_api=getattr(args, "account_api", "000"),
        )
    return 0
