"""The terminal client behind ``linkedapi-mcp call`` and ``linkedapi-mcp tools``: a person at the keyboard.

``call`` is an MCP client of the server built in this process, like any other client, plus what a
person needs:

* ``key=value`` arguments typed by the tool's input schema (``term=2024`` stays a string, ``limit=3``
  is a number, ``locations=["Berlin"]`` a list); malformed JSON for a list or object is reported
  as such and nothing is sent.
* An account-changing call first comes back as the server's ``confirmation_required`` preview;
  the preview is shown and the person answers ``y/N``; ``yes`` repeats the call with the preview's
  ``confirmationId`` (the server's own confirmation path, end to end), anything else sends nothing.
  ``--yes`` answers for scripts; without it, a call whose standard input is not a terminal is
  refused with the preview and the ways on (nobody can answer).
* It waits until the workflow finishes (``get_workflow_result`` again for as long as it takes)
  with a live progress bar (rich) fed by the server's progress notifications; their ``total``,
  when the server predicts the duration, gives the estimate. Ctrl-C stops *waiting*, never the
  workflow: the handle is printed with the command that fetches its result later.

``tools`` prints a table (rich) of what a client would see; ``--json`` the same rows for machines.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from linkedapi_mcp.jsonvalues import drop_none

if TYPE_CHECKING:
    from mcp import Client
    from mcp.types import CallToolResult
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from linkedapi_mcp.settings import Settings

CONFIRM_FIELD = "confirmationId"  # the server's name for it (server/guards.py)
WAITING = frozenset({"pending", "running"})
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class ArgumentError(ValueError):
    """A ``key=value`` the CLI cannot turn into an argument; nothing is sent."""


# -- arguments ------------------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """Without a schema: ``3`` → 3, ``true`` → True, ``["a"]`` → list; anything that is not JSON stays a string."""
    stripped = text.strip()
    if stripped[:1] in '[{"' or stripped in ("true", "false", "null") or _is_number(stripped):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def schema_types(prop: Mapping[str, Any], defs: Mapping[str, Any] | None = None, depth: int = 0) -> set[str]:
    """The JSON types a property schema admits (``anyOf``/``oneOf`` branches and ``$ref`` into the
    input schema's ``$defs`` included); empty = unknown."""
    found: set[str] = set()
    ref = prop.get("$ref")
    if isinstance(ref, str) and depth < 8:
        target = (defs or {}).get(ref.rsplit("/", 1)[-1]) if ref.startswith("#/$defs/") else None
        return schema_types(target, defs, depth + 1) if isinstance(target, Mapping) else set()
    kind = prop.get("type")
    if isinstance(kind, str):
        found.add(kind)
    elif isinstance(kind, list):
        found.update(k for k in kind if isinstance(k, str))
    if "enum" in prop and not found:
        found.update(_json_type(v) for v in prop["enum"])
    if "const" in prop and not found:
        found.add(_json_type(prop["const"]))
    for branch_key in ("anyOf", "oneOf"):
        for branch in prop.get(branch_key) or []:
            if isinstance(branch, Mapping):
                branch_types = schema_types(branch, defs, depth + 1)
                if not branch_types:
                    return set()  # a branch we cannot read ($ref): no typing for this property
                found |= branch_types
    return found


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _admits(types: set[str], value: Any) -> bool:
    kind = _json_type(value)
    return kind in types or (kind == "integer" and "number" in types)


def typed_value(key: str, text: str, prop: Mapping[str, Any] | None, defs: Mapping[str, Any] | None = None) -> Any:
    """One ``key=value`` value, typed by the property's schema.

    A property that admits only strings keeps the text as typed (``term=2024``, ``text={hi}``).
    Any other type is read as JSON; text that is not JSON for a scalar goes to the server as a
    string, whose validation names the expected type; text meant as a list or object that is not
    valid JSON is refused here, with the parser's reason.
    """
    types = schema_types(prop or {}, defs)
    if not types:
        return parse_value(text)
    stripped = text.strip()
    if types <= {"string", "null"}:
        return text
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as exc:
        structured = types & {"array", "object"}
        if stripped[:1] in "[{" or (structured and "string" not in types):
            raise ArgumentError(f"{key}: malformed JSON ({exc.msg} at column {exc.colno}): {text}") from None
        return text
    if "string" in types and not _admits(types, value):
        return text  # e.g. a string-or-list property given 2024: the string "2024"
    return value


def parse_arguments(pairs: Sequence[str], schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``key=value`` pairs → arguments, typed by ``schema`` (a tool's input schema) where it knows the key."""
    properties: Mapping[str, Any] = (schema or {}).get("properties") or {}
    defs: Mapping[str, Any] = (schema or {}).get("$defs") or {}
    arguments: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ArgumentError(f"expected key=value, got {pair!r}")
        prop = properties.get(key)
        if schema is None:
            arguments[key] = parse_value(value)
        else:
            arguments[key] = typed_value(key, value, prop if isinstance(prop, Mapping) else None, defs)
    return arguments


# -- progress -------------------------------------------------------------------------------------


@dataclass
class ProgressView:
    """The live view of one waiting call on stderr: a rich progress bar on a terminal, lines otherwise.

    The bar runs against ``total`` when a progress notification carries one (the server's
    predicted duration), with rich's time-remaining estimate; without one it pulses, showing the
    time waited so far. Messages (the server's status text) become the bar's description.
    """

    console: Console
    title: str
    _progress: Progress | None = None
    _task: TaskID | None = None
    _last: str = ""

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[estimate]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(self.title, total=None, estimate="estimate: none yet")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        if self._progress is None or self._task is None:
            if message and message != self._last:
                self._last = message
                self.console.print(f"… {message}", markup=False, highlight=False)
            return
        update: dict[str, Any] = {}
        if message:
            update["description"] = message
        if total is not None and total > 0:
            remaining = max(total - progress, 0.0)
            update |= {"total": total, "completed": min(progress, total), "estimate": f"~{remaining:.0f} s left"}
        elif self._progress.tasks[0].total is not None:
            # The server sends no total once the run outlasts its prediction: full bar, no promise.
            update |= {"completed": self._progress.tasks[0].total, "estimate": "longer than predicted"}
        self._progress.update(self._task, **update)

    def finish(self, message: str) -> None:
        if self._progress is not None and self._task is not None:
            task = self._progress.tasks[0]
            self._progress.update(self._task, description=message, total=task.total or 1, completed=task.total or 1)
        elif message != self._last:
            self.console.print(f"… {message}", markup=False, highlight=False)


# -- the call -------------------------------------------------------------------------------------


@dataclass
class CallOptions:
    tool: str
    pairs: list[str]
    raw: bool = False  # --json
    yes: bool = False  # --yes
    wait: bool = True  # --no-wait turns it off
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty())


class Interrupted(Exception):
    """Ctrl-C while waiting: the handle (if the start got one) and what to tell the person."""

    def __init__(self, handle: str | None) -> None:
        super().__init__(handle)
        self.handle = handle


def _text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def _all_tools(client: Client) -> dict[str, Any]:
    tools: dict[str, Any] = {}
    cursor: str | None = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools |= {t.name: t for t in page.tools}
        cursor = page.next_cursor
        if not cursor:
            return tools


@contextlib.contextmanager
def _plain_sigint() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt in a blocking ``input()`` (the event loop's handler only
    cancels a task, which a thread blocked in ``input()`` never notices)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ask_yes_no(question: str, console: Console, stdin: TextIO | None = None) -> bool:
    """``y/N`` on the terminal; Enter, anything else, end of input or Ctrl-C is no."""
    stream = stdin or sys.stdin
    console.print(f"{question} [y/N] ", end="", markup=False, highlight=False)
    try:
        with _plain_sigint():
            answer = stream.readline()
    except KeyboardInterrupt:
        console.print()
        return False
    return answer.strip().lower() in ("y", "yes")


async def _until_interrupted(work: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
    """Run ``work``; Ctrl-C cancels it instead of the process. ``(interrupted, result)``."""
    import anyio

    outcome: list[Any] = []
    failure: list[Exception] = []  # raised again outside the task group (no ExceptionGroup to unwrap)
    interrupted = False
    try:
        receiver = anyio.open_signal_receiver(signal.SIGINT)
        signals = receiver.__enter__()
    except (NotImplementedError, ValueError, RuntimeError):  # no signal handling here: plain await
        return False, await work()
    try:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                nonlocal interrupted
                async for _ in signals:
                    interrupted = True
                    group.cancel_scope.cancel()
                    return

            group.start_soon(watch)
            try:
                outcome.append(await work())
            except Exception as exc:
                failure.append(exc)
            group.cancel_scope.cancel()
    finally:
        receiver.__exit__(None, None, None)
    if failure and not interrupted:
        raise failure[0]
    return interrupted, outcome[0] if outcome else None


async def run_call(settings: Settings, options: CallOptions, out: Console, err: Console) -> int:
    """``linkedapi-mcp call``; the exit code (0 done, 1 tool error or failed, 2 refused, 130 interrupted)."""
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.app import build

    server, _state = build(settings)
    _console_logs_at(settings.log_level)
    async with Client(server) as client:
        tools = await _all_tools(client)
        tool, schema = options.tool, None
        wrapped = tool not in tools and "run_operation" in tools and tool in CATALOG
        if tool in tools:
            schema = tools[tool].input_schema
        elif wrapped:
            described = await client.call_tool("describe_operation", {"name": tool})
            data = described.structured_content or {}
            schema = data.get("inputSchema") if isinstance(data, dict) else None
        try:
            arguments = parse_arguments(options.pairs, schema)
        except ArgumentError as exc:
            err.print(f"linkedapi-mcp call: {exc}. Nothing was sent.", markup=False, highlight=False)
            return 2

        def request(extra: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
            merged = {**arguments, **extra}
            if wrapped:
                # --- toolsets: an operation the tool mode leaves unlisted goes through run_operation
                # (the confirmationId inside its arguments, where the preview's own call had it).
                return "run_operation", {"name": tool, "arguments": merged}
            return tool, merged

        op = CATALOG.get(tool)
        title = op.title if op is not None else tool
        started_at = time.time()
        handle: str | None = None

        async def call(name: str, args: dict[str, Any]) -> CallToolResult:
            with ProgressView(err, f"{title}: starting") as view:
                result = await client.call_tool(name, args, progress_callback=view)
                data = result.structured_content if isinstance(result.structured_content, dict) else {}
                status = data.get("status")
                if status and not result.is_error and status not in WAITING and status != "confirmation_required":
                    view.finish(f"{title}: {status}.")  # a workflow's end; a plain read has no status line
            return result

        async def work() -> CallToolResult:
            nonlocal handle
            result = await call(*request({}))
            data = result.structured_content if isinstance(result.structured_content, dict) else {}
            if not result.is_error and data.get("status") == "confirmation_required":
                approved = _confirm(data, options, err)
                if approved is None:
                    raise _Refused(data)
                if not approved:
                    raise _Declined()
                result = await call(*request({CONFIRM_FIELD: data[CONFIRM_FIELD]}))
                data = result.structured_content if isinstance(result.structured_content, dict) else {}
            # An explicit waitSeconds argument is the person's own choice of how long to wait.
            follow = options.wait and "waitSeconds" not in arguments
            while follow and not result.is_error and data.get("status") in WAITING and data.get("workflowId"):
                handle = str(data["workflowId"])
                result = await call("get_workflow_result", {"workflowId": handle})
                data = result.structured_content if isinstance(result.structured_content, dict) else {}
            return result

        try:
            interrupted, result = await _until_interrupted(work)
        except MCPError as exc:  # a protocol error (e.g. an unknown tool): the server's message
            err.print(f"linkedapi-mcp call: {exc}", markup=False, highlight=False)
            return 1
        except _Declined:
            err.print("Not confirmed: nothing was sent.", markup=False, highlight=False)
            return 1
        except _Refused as refused:
            err.print(_refusal(refused.preview, options), markup=False, highlight=False)
            return 2
        if interrupted:
            if handle is None and op is not None:
                handle = await _latest_handle(client, op.name, started_at)
            err.print(_interrupted_text(handle), markup=False, highlight=False)
            return EXIT_INTERRUPTED
    return _print_result(result, options.raw, out, err)


def _console_logs_at(level: str) -> None:
    """The terminal shows log records at ``level`` and above only. The server's log forwarding to
    MCP clients lowers the ``linkedapi_mcp`` logger to DEBUG, and records propagate to the console
    handler whatever the root logger's level, so the handler itself gets the level."""
    import logging

    for handler in logging.getLogger().handlers:
        if handler.level == logging.NOTSET:
            handler.setLevel(level)


class _Declined(Exception):
    pass


class _Refused(Exception):
    def __init__(self, preview: dict[str, Any]) -> None:
        super().__init__("stdin is not a terminal")
        self.preview = preview


def action_of(preview: Mapping[str, Any]) -> str:
    """The exact action a preview asks to approve, for a person; the whole message if its wording
    is not the one the server writes for a model (server/guards.py ``preview_text``)."""
    message = str(preview.get("message") or "")
    found = re.search(r"approve exactly this: (.*?)\. If they approve", message, flags=re.S)
    return found.group(1) if found else message


def _confirm(preview: dict[str, Any], options: CallOptions, err: Console) -> bool | None:
    """The person's answer to the preview; ``None`` when nobody can answer (not a terminal, no --yes)."""
    if options.yes:
        err.print(f"About to: {action_of(preview)}\n--yes: confirmed.", markup=False, highlight=False)
        return True
    if not options.interactive:
        return None
    err.print(f"About to: {action_of(preview)}\nNothing is sent unless you answer y.", markup=False, highlight=False)
    return ask_yes_no("Send it?", err)


def _refusal(preview: dict[str, Any], options: CallOptions) -> str:
    import shlex

    arguments = " ".join(shlex.quote(pair) for pair in options.pairs if not pair.startswith(f"{CONFIRM_FIELD}="))
    return (
        f"About to: {action_of(preview)}\n"
        f"linkedapi-mcp call: {options.tool} changes the LinkedIn account and standard input is not a terminal, "
        "so nobody can confirm it: nothing was sent. Run it from a terminal to answer y/N, add --yes to confirm in "
        f"a script, or approve this preview: linkedapi-mcp call {options.tool} {arguments} "
        f"{CONFIRM_FIELD}={preview.get(CONFIRM_FIELD)}"
    ).replace("  ", " ")


async def _latest_handle(client: Client, operation: str, since: float) -> str | None:
    """The workflow this call started, from ``list_workflows`` (the ledger records it before the
    start returns): the newest of this operation started since the call began."""
    from datetime import datetime

    try:
        listed = await client.call_tool("list_workflows", {})
    except Exception:
        return None
    data = listed.structured_content if isinstance(listed.structured_content, dict) else {}
    for row in data.get("workflows") or []:
        if row.get("operationName") != operation or not row.get("workflowId"):
            continue
        started = row.get("startedAt")
        try:
            when = datetime.fromisoformat(str(started).replace("Z", "+00:00")).timestamp()
        except ValueError:
            continue
        if when >= since - 1.0:  # startedAt has whole seconds
            return str(row["workflowId"])
    return None


def _interrupted_text(handle: str | None) -> str:
    if handle is None:
        return (
            "Stopped waiting before Linked API returned a workflow id. If the start got through, "
            "`linkedapi-mcp call list_workflows` shows it."
        )
    return (
        f"Stopped waiting; the workflow goes on. Handle: workflowId={handle}\n"
        f"Its result later: linkedapi-mcp call get_workflow_result workflowId={handle}\n"
        f"To stop it: linkedapi-mcp call cancel_workflow workflowId={handle}"
    )


def _print_result(result: CallToolResult, raw: bool, out: Console, err: Console) -> int:
    if result.is_error:
        err.print(_text(result), markup=False, highlight=False)
        return 1
    data = result.structured_content
    if raw or not isinstance(data, dict):
        out.print(json.dumps(data, indent=2, ensure_ascii=False), markup=False, highlight=False, soft_wrap=True)
        return 0
    out.print(readable(data), markup=False, highlight=False, soft_wrap=True)
    return 1 if data.get("status") == "failed" else 0


_HEAD = ("status", "operationName", "workflowId", "backend", "pendingReason", "pollAfterSeconds")


def readable(data: dict[str, Any]) -> str:
    """A short human summary of an Outcome envelope followed by its result as indented JSON."""
    lines = []
    head = [f"status: {data.get('status')}"]
    head += [f"{key}: {data[key]}" for key in _HEAD[1:] if data.get(key) not in (None, "")]
    if data.get("deduplicated"):
        head.append("deduplicated: yes")
    lines.append("  ".join(head))
    if data.get("message"):
        lines.append(str(data["message"]))
    for error in data.get("errors") or []:
        lines.append(f"error [{error.get('type')}]: {error.get('message')}")
    body = {k: v for k, v in data.items() if k not in {*_HEAD, "deduplicated", "message", "errors"}}
    if "result" in body and set(body) == {"result"}:
        body = body["result"]
    if body not in (None, {}, []):
        lines.append(json.dumps(drop_none(body), indent=2, ensure_ascii=False))
    return "\n".join(lines)


# -- tools ----------------------------------------------------------------------------------------


def tool_rows(settings: Settings) -> tuple[str, list[dict[str, Any]]]:
    """What ``tools/list`` shows with these settings, then what is reachable through run_operation."""
    from linkedapi_mcp.catalog import CATALOG
    from linkedapi_mcp.server.tools import WORKFLOW_TOOLS
    from linkedapi_mcp.server.toolsets import DESCRIBE_TOOL, RUN_TOOL, Exposure

    exposure = Exposure.from_settings(settings)
    rows = [
        {"name": op.tool, "effect": op.effect, "toolset": op.toolset, "listed": True, "description": op.description}
        for op in CATALOG.values()
        if exposure.plain(op.tool)
    ]
    rows += [
        {"name": s.name, "effect": "handles", "toolset": "handles", "listed": True, "description": s.description}
        for s in WORKFLOW_TOOLS
        if exposure.plain(s.name)
    ]
    if exposure.extras:  # the captaindata toolset (server/captaindata.py), listed in every mode
        from linkedapi_mcp.server.captaindata import tool_specs

        rows += [
            {"name": s.name, "effect": s.effect, "toolset": "captaindata", "listed": True, "description": s.description}
            for s in tool_specs(read_only=settings.read_only)
        ]
    hidden = exposure.disclosed(CATALOG)
    if hidden:
        rows += [
            {
                "name": DESCRIBE_TOOL,
                "effect": "read",
                "toolset": "disclosure",
                "listed": True,
                "description": "The input schema of an operation below",
            },
            {
                "name": RUN_TOOL,
                "effect": "any",
                "toolset": "disclosure",
                "listed": True,
                "description": "Run an operation below, typed and checked like a tool",
            },
        ]
        rows += [
            {
                "name": name,
                "effect": CATALOG[name].effect,
                "toolset": CATALOG[name].toolset,
                "listed": False,
                "description": CATALOG[name].description,
            }
            for name in hidden
        ]
    return f"{exposure.notice()} Tool mode: {exposure.mode}.", rows


def print_tools(settings: Settings, as_json: bool, out: Console) -> int:
    from rich import box
    from rich.table import Table

    notice, rows = tool_rows(settings)
    if as_json:
        out.print(json.dumps(rows, indent=2, ensure_ascii=False), markup=False, highlight=False, soft_wrap=True)
        return 0
    table = Table(box=box.SIMPLE_HEAD, title=notice, title_justify="left", pad_edge=False, show_edge=False)
    table.add_column("tool", no_wrap=True)
    table.add_column("effect", no_wrap=True)
    table.add_column("toolset", no_wrap=True)
    table.add_column("what it does")
    styles = {"write": "bold yellow", "read": "green", "monitor": "cyan", "handles": "blue", "any": "magenta"}
    for row in rows:
        first = str(row["description"]).split(". ")[0].rstrip(".")
        name = row["name"] if row["listed"] else f"  {row['name']}"
        if not row["listed"]:
            first = f"{first} (via run_operation)"
        table.add_row(name, f"[{styles.get(row['effect'], '')}]{row['effect']}[/]", row["toolset"], first)
    out.print(table)
    return 0


def consoles() -> tuple[Console, Console]:
    """stdout and stderr consoles. Not a terminal: no colours and no wrapping (one line per row,
    for grep and head)."""
    from rich.console import Console

    def make(stream: TextIO) -> Console:
        if stream.isatty():
            return Console(file=stream)
        return Console(file=stream, width=100_000, no_color=True, highlight=False, soft_wrap=True)

    return make(sys.stdout), make(sys.stderr)
