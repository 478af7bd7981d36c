"""The ``sandbox`` subcommand of ``linkedapi-mcp`` (and ``python -m linkedapi_mcp.sandbox``)."""

from __future__ import annotations

import argparse
import contextlib

from .app import Sandbox
from .server import serve_forever


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic world (default: 42)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="virtual seconds per real second (default: 1; 0 freezes time)"
    )
    parser.add_argument(
        "--epoch", default=None, help="virtual start time, ISO 8601 or 'now' (default: 2026-11-23T09:00:00Z)"
    )
    parser.add_argument(
        "--sales-navigator",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether the account has Sales Navigator (default: yes)",
    )
    parser.add_argument("--seat", choices=["core", "plus"], default="plus", help="the account's seat (default: plus)")


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 42,
    speed: float = 1.0,
    *,
    epoch: str | None = None,
    sales_navigator: bool = True,
    seat: str = "plus",
) -> None:
    """Run a standalone sandbox until interrupted; prints its base URL first."""
    if seat not in ("core", "plus"):
        raise ValueError("seat must be 'core' or 'plus'")
    sandbox = Sandbox(
        seed=seed,
        speed=speed,
        epoch=epoch,
        sales_navigator=sales_navigator,
        seat="core" if seat == "core" else "plus",
    )
    serve_forever(sandbox, host, port)


def run(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        serve(
            args.host,
            args.port,
            args.seed,
            args.speed,
            epoch=args.epoch,
            sales_navigator=args.sales_navigator,
            seat=args.seat,
        )
    return 0
