"""``linkedapi-mcp``: serve (stdio or HTTP), list the tools, call one, or run the sandbox.

    linkedapi-mcp                         # serve over stdio (what MCP clients start)
    linkedapi-mcp --transport http        # Streamable HTTP on 127.0.0.1:8000/mcp
    linkedapi-mcp tools                   # the tool list
    linkedapi-mcp call search_people term=engineer limit=3
    linkedapi-mcp sandbox --port 8765     # a standalone Linked API sandbox

Imports stay inside the functions: ``linkedapi-mcp tools`` should not pay for an HTTP stack, and
the stdio server should be ready as soon as the SDK is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkedapi_mcp.settings import Settings

_COMMANDS = ("serve", "tools", "call", "sandbox", "secret-key", "accounts", "keys", "webhooks", "ledger")


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("configuration (flags override the environment)")
    group.add_argument("--data-dir", help="where the workflow ledger lives (env LINKEDAPI_MCP_DATA_DIR)")
    group.add_argument(
        "--wait-seconds",
        type=float,
        help="how long a tool call waits for a workflow before returning a handle "
        "(default: the client's request time-out minus 5 s; env LINKEDAPI_MCP_WAIT_SECONDS)",
    )
    group.add_argument(
        "--max-wait-seconds", type=float, help="cap on every wait (default 595; env LINKEDAPI_MCP_MAX_WAIT_SECONDS)"
    )
    group.add_argument(
        "--dedupe-window",
        type=float,
        help="seconds during which an identical write call returns the earlier workflow "
        "(default 600; env LINKEDAPI_MCP_DEDUPE_WINDOW_SECONDS)",
    )
    group.add_argument(
        "--poll-interval",
        type=float,
        help="at most one status GET per this many seconds of a workflow's life (default 5, the official "
        "server's rate; lower = results sooner, more GETs; env LINKEDAPI_MCP_POLL_INTERVAL_SECONDS)",
    )
    group.add_argument("--sandbox-speed", type=float, help="embedded sandbox speed factor (default 10)")
    group.add_argument("--sandbox-seed", type=int, help="embedded sandbox world seed (default 42)")
    group.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], help="stderr log level"
    )
    # --- toolsets
    group.add_argument(
        "--toolsets",
        metavar="A,B,...",
        help="enabled toolsets: people, companies, search, jobs, messaging, network, posts, salesnav, account, "
        "workflows, or all (default: all but workflows; env LINKEDAPI_MCP_TOOLSETS)",
    )
    group.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="only tools that read; wins over --toolsets (env LINKEDAPI_MCP_READ_ONLY=1)",
    )
    group.add_argument(
        "--tool-mode",
        choices=["auto", "core", "full"],
        help="full: every operation a tool; core: the most used operations as tools, the rest via "
        "describe_operation/run_operation; auto: full, core for clients that cap tool counts "
        "(default auto; env LINKEDAPI_MCP_TOOL_MODE)",
    )
    # --- guards (server/guards.py)
    group.add_argument(
        "--confirm",
        choices=["elicit-or-preview", "elicit-or-allow", "never"],
        help="how account-changing tools are confirmed: ask the user by elicitation, else a preview to "
        "approve (default) / else allow / never ask (env LINKEDAPI_MCP_CONFIRM)",
    )
    group.add_argument(
        "--budgets",
        help='local action caps per account, e.g. "stMessages=30/day,stConnectionRequests=5/hour"; '
        '"off" for none (env LINKEDAPI_MCP_BUDGETS; see docs/safety.md)',
    )


def _add_data_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="where the vault lives (env LINKEDAPI_MCP_DATA_DIR)")


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. The sandbox command's own options are added only when ``command`` is
    ``sandbox`` or unknown (None): they come with the sandbox package (Starlette, uvicorn, the
    world model, ~130 ms to import), which serving over stdio must not pay for."""
    parser = argparse.ArgumentParser(
        prog="linkedapi-mcp",
        description="MCP server for Linked API: LinkedIn search, profiles, messaging and workflows for AI agents. "
        "Without LINKED_API_TOKEN and IDENTIFICATION_TOKEN it runs on a built-in sandbox.",
        epilog="With no command it serves MCP over stdio; see `linkedapi-mcp serve --help` for its options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", metavar="{serve,tools,call,sandbox,secret-key,accounts,keys,webhooks,ledger}"
    )

    serve = commands.add_parser("serve", help="run the MCP server (the default command)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="default: stdio")
    serve.add_argument("--host", help="HTTP interface (default 127.0.0.1; env HOST)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8000; env PORT)")
    serve.add_argument(
        "--auth",
        choices=["oauth", "jwt", "none"],
        help="who may call over HTTP: oauth (built-in authorization server and account page), jwt (an external "
        "identity provider's tokens), none (loopback only; default there). Env LINKEDAPI_MCP_AUTH",
    )
    serve.add_argument(
        "--public-url",
        help="the https URL clients reach this server at, e.g. https://mcp.example.com (env LINKEDAPI_MCP_PUBLIC_URL)",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST",
        help="extra Host/Origin name to accept over HTTP (repeatable; localhost is always accepted)",
    )
    _add_config_flags(serve)

    tools = commands.add_parser("tools", help="list the tools a client would see: name, effect, what it does")
    tools.add_argument("--json", action="store_true", help="the same rows as JSON, for machines")
    _add_config_flags(tools)  # --- toolsets: the same filter as the server

    call = commands.add_parser(
        "call",
        help="run one tool through an in-process MCP client and print the result",
        description="Arguments are key=value, typed by the tool's input schema: a text field keeps what you typed "
        "(term=2024), numbers, booleans, lists and objects are JSON (limit=3, locations='[\"Berlin\"]'). "
        "An account-changing call shows the server's preview and asks y/N first; the call then waits until "
        "the workflow finishes (Ctrl-C stops waiting and prints the handle).",
    )
    call.add_argument("tool", help="tool name, e.g. search_people")
    call.add_argument("arguments", nargs="*", metavar="key=value")
    call.add_argument("--json", action="store_true", help="print the raw structured result as JSON")
    call.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="confirm an account-changing call without asking (for scripts; without it a call whose stdin "
        "is not a terminal is refused)",
    )
    call.add_argument(
        "--no-wait",
        action="store_true",
        help="print the handle of a workflow still running instead of waiting until it finishes",
    )
    _add_config_flags(call)

    from linkedapi_mcp.hosted.cli import add_parsers

    add_parsers(commands, _add_data_flags)
    from linkedapi_mcp.ledger_cli import add_parser as add_ledger_parser

    add_ledger_parser(commands, _add_data_flags)
    # Defined here, not imported: the stdio server must not pay for the setup module's imports.
    hooks = commands.add_parser("webhooks", help="Linked API webhook push to this server")
    hook_actions = hooks.add_subparsers(dest="action", required=True, metavar="{setup}")
    hook_setup = hook_actions.add_parser(
        "setup", help="subscribe the account (Admin API webhook.set, signed) and print the secret once"
    )
    hook_setup.add_argument("--public-url", help="the URL this server is reached at (env LINKEDAPI_MCP_PUBLIC_URL)")
    hook_setup.add_argument("--payload-mode", choices=["fat", "thin"], default="fat")
    hook_setup.add_argument(
        "--replace", action="store_true", help="replace a subscription that delivers to another URL"
    )
    sandbox = commands.add_parser("sandbox", help="run a standalone Linked API sandbox over HTTP")
    if command in (None, "sandbox"):
        from linkedapi_mcp.sandbox.cli import add_arguments

        add_arguments(sandbox)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("linkedapi-mcp")
    except PackageNotFoundError:  # pragma: no cover
        return "0.0.0"


def _settings(args: argparse.Namespace) -> Settings:
    from linkedapi_mcp.settings import Settings

    overrides: dict[str, Any] = {}
    for flag, field in (
        ("data_dir", "data_dir"),
        ("wait_seconds", "wait_seconds"),
        ("max_wait_seconds", "max_wait_seconds"),
        ("dedupe_window", "dedupe_window_seconds"),
        ("poll_interval", "poll_interval_seconds"),
        ("sandbox_speed", "sandbox_speed"),
        ("sandbox_seed", "sandbox_seed"),
        ("log_level", "log_level"),
        ("confirm", "confirm"),  # --- guards
        ("budgets", "budgets"),  # --- guards
        ("toolsets", "toolsets"),  # --- toolsets
        ("read_only", "read_only"),  # --- toolsets
        ("tool_mode", "tool_mode"),  # --- toolsets
        ("auth", "auth"),  # --- hosted
        ("public_url", "public_url"),
        ("host", "host"),
        ("port", "port"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[field] = value
    return Settings(**overrides)


def parse_arguments(pairs: Sequence[str], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """``key=value`` pairs → arguments (typed by ``schema``, a tool's input schema, when given)."""
    from linkedapi_mcp.terminal import parse_arguments as parse

    return parse(pairs, schema)


def parse_value(text: str) -> Any:
    from linkedapi_mcp.terminal import parse_value as parse

    return parse(text)


# -- commands -----------------------------------------------------------------------------------


def _banner(settings: Settings) -> str:
    from linkedapi_mcp.server.captaindata_settings import captaindata_only, current

    if captaindata_only(settings):
        backend = (
            f"Captain Data only, at {current().base_url} (no Linked API tokens: Linked API's tools are off).\n"
            "  Set LINKED_API_TOKEN and IDENTIFICATION_TOKEN to use your Linked API account beside it."
        )
    elif settings.uses_sandbox:
        backend = (
            "built-in SANDBOX (synthetic LinkedIn data; nothing reaches LinkedIn).\n"
            "  Set LINKED_API_TOKEN and IDENTIFICATION_TOKEN to use your Linked API account."
        )
    else:
        backend = f"your Linked API account at {settings.base_url}."
    return (
        f"linkedapi-mcp {_version()}: an MCP server for Linked API (LinkedIn for AI agents).\n"
        f"Backend: {backend}\n"
        "It speaks MCP on stdin/stdout and is meant to be started by an MCP client, for example:\n"
        "  Claude Code:     claude mcp add linkedapi -- linkedapi-mcp\n"
        '  Claude Desktop, Cursor, VS Code:  {"mcpServers": {"linkedapi": {"command": "linkedapi-mcp"}}}\n'
        "  Over HTTP:       linkedapi-mcp --transport http   (then connect to http://127.0.0.1:8000/mcp)\n"
        "To try it by hand: linkedapi-mcp tools | linkedapi-mcp call search_people term=engineer limit=3\n"
        "Waiting for an MCP client on stdin (Ctrl+C to quit)."
    )


def _checked_settings(args: argparse.Namespace) -> Settings | None:
    """The settings, or ``None`` after saying on stderr why they cannot work (exit code 2)."""
    from linkedapi_mcp.settings import ConfigurationError

    settings = _settings(args)
    try:
        settings.check()
    except ConfigurationError as exc:
        print(f"linkedapi-mcp: {exc}", file=sys.stderr)
        return None
    return settings


def _http_banner(settings: Settings, state: Any) -> str:
    where = f"http://{settings.host}:{settings.port}/mcp"
    if state.hosted is not None:
        return (
            f"MCP over HTTP at {where}, public at {state.hosted.resource_url}; auth: {state.hosted.mode}, "
            "each principal on its own connected accounts"
        )
    if state.accounts is not None:
        backend = f"the accounts in {settings.accounts_file}"
    elif state.captaindata_only:
        backend = "Captain Data only (no Linked API tokens)"
    else:
        backend = "sandbox" if settings.uses_sandbox else "Linked API (the environment's tokens)"
    return (
        f"MCP over HTTP at {where}, backend: {backend}. NO AUTHENTICATION: loopback only, for local "
        "development (use --auth oauth or jwt to host it)."
    )


def _defer_httpx_cli() -> None:
    """Keep ``import httpx`` from importing httpx's own command-line tool.

    httpx's ``__init__`` runs ``from ._main import main`` whenever click, rich and pygments are
    installed (they are: rich for our terminal, click for uvicorn). That imports click, rich's
    progress bars and syntax colouring, and pygments' lexers: ~45 ms of CPU at every start on the
    project's VM, for a command the server never runs (issue 14, spawn → first result). A
    stand-in ``httpx._main`` whose ``main`` imports the real one when called keeps ``httpx.main``
    working; it is taken out of ``sys.modules`` once httpx is imported, so a later ``import
    httpx._main`` gets the real module. Hand-written because no library does this; it only
    touches httpx's module name, and is skipped if httpx is already imported."""
    import types

    if "httpx" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main")

    def main(*args: Any, **kwargs: Any) -> Any:
        from httpx._main import main as real_main  # the stand-in is gone from sys.modules by now

        return real_main(*args, **kwargs)

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in
    try:
        import httpx  # noqa: F401
    finally:
        if sys.modules.get("httpx._main") is stand_in:
            del sys.modules["httpx._main"]


# Full (oldest-generation) garbage collections happen after this many middle-generation ones
# (the interpreter's default is 10). [hand-written, issue 14] A full collection walks every
# tracked object; with 1000 calls waiting over HTTP that stopped the event loop for 0.2-0.5 s,
# nine or ten times in half a minute, and those stalls were the HTTP benchmark's slowest quick
# calls (docs/benchmarks.md, "HTTP"). The young generations, which free the cycles requests
# leave behind, keep their defaults.
FULL_COLLECTION_AFTER = 100


def _settle_heap() -> None:
    """Before serving: the objects the start made (modules, the SDK, the plan of the tools:
    ~90,000) move to the permanent generation, which no collection walks again (``gc.freeze``),
    full collections become rarer (:data:`FULL_COLLECTION_AFTER`), and the collector, off while
    the start made them (:func:`_serve`), runs again."""
    import gc

    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
    gc.enable()


def _serve(args: argparse.Namespace) -> int:
    import gc

    # [issue 14, spawn → first result] The start's imports and build made ~280 young and two or
    # three full collections, ~0.25 s of CPU, to find next to nothing: what a start makes lives as
    # long as the process. So no collection until _settle_heap freezes it all (the pattern the gc
    # module's documentation gives for gc.freeze).
    gc.disable()
    try:
        return _start_and_serve(args)
    finally:
        gc.enable()


def _start_and_serve(args: argparse.Namespace) -> int:
    import anyio

    from linkedapi_mcp.server.app import build
    from linkedapi_mcp.settings import ConfigurationError

    try:
        settings = _settings(args)
    except ValueError as exc:  # a malformed HOST/PORT or other setting
        print(f"linkedapi-mcp: {exc}", file=sys.stderr)
        return 2
    http = args.transport == "http"
    _defer_httpx_cli()
    if http or not settings.uses_sandbox:  # an upstream over HTTPS: its TLS context beside the imports
        from linkedapi_mcp.client import tls

        tls.prewarm()
    try:
        server, state = build(settings, http=http, warm_up=True)
    except ConfigurationError as exc:
        print(f"linkedapi-mcp: {exc}", file=sys.stderr)
        return 2
    _settle_heap()
    if http:
        from linkedapi_mcp.server.http import serve_http

        host, port = settings.host, settings.port
        print(f"linkedapi-mcp: {_http_banner(settings, state)}", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(lambda: serve_http(server, host=host, port=port, allowed_hosts=args.allowed_host))
        return 0
    if sys.stdin.isatty():
        # A human started us by hand: say what this is on stderr (stdout belongs to the protocol).
        print(_banner(settings), file=sys.stderr, flush=True)
    from linkedapi_mcp.server.stdio import run_stdio  # every line answered, even unreadable ones

    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(run_stdio, server)
    return 0


def _tools(args: argparse.Namespace) -> int:
    """What ``tools/list`` shows with these settings, then what is reachable through run_operation."""
    from linkedapi_mcp.terminal import consoles, print_tools

    settings = _checked_settings(args)
    if settings is None:
        return 2
    return print_tools(settings, args.json, consoles()[0])


def _call(args: argparse.Namespace) -> int:
    import anyio

    from linkedapi_mcp.terminal import EXIT_INTERRUPTED, CallOptions, consoles, run_call

    settings = _checked_settings(args)
    if settings is None:
        return 2
    options = CallOptions(args.tool, list(args.arguments), raw=args.json, yes=args.yes, wait=not args.no_wait)
    out, err = consoles()
    try:
        return anyio.run(run_call, settings, options, out, err)
    except KeyboardInterrupt:  # Ctrl-C outside a wait (listing, the prompt's aftermath): nothing to report
        err.print("Interrupted.")
        return EXIT_INTERRUPTED


def _quiet_broken_pipe() -> int:
    """``linkedapi-mcp tools | head``: the reader left; end quietly with status 1, as rich's console
    does when it meets the closed pipe first (``Console.on_broken_pipe``)."""
    import os

    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # No command (or only flags) means "serve": what an MCP client runs.
    if not argv or (argv[0] not in _COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    args = _parser(argv[0] if argv[0] in _COMMANDS else None).parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        return _quiet_broken_pipe()


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(args)
    if args.command == "tools":
        return _tools(args)
    if args.command == "call":
        return _call(args)
    if args.command == "webhooks":
        from linkedapi_mcp.server.webhook_setup import run as run_webhooks

        return run_webhooks(args)
    if args.command == "ledger":
        from linkedapi_mcp.ledger_cli import run as run_ledger

        return run_ledger(args, _settings(args))
    if args.command in ("secret-key", "accounts", "keys"):
        from linkedapi_mcp.hosted.cli import run as run_hosted

        return run_hosted(args, _settings(args))
    from linkedapi_mcp.sandbox.cli import run

    return run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
