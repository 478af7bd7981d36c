"""The conformance server: our real HTTP server plus the fixtures of the MCP conformance suite.

Test-only (started by ``.ci/conformance``; never part of the product's listing). The official
suite (``@modelcontextprotocol/conformance``) calls tools, prompts and resources of its own
reference ("everything") server by name — ``greet``, ``slow_compute``, ``test_simple_text``,
``test://static-text``, ... A product server has none of them, so this module takes the server
``linkedapi-mcp serve --transport http`` runs — :func:`linkedapi_mcp.server.app.build`, with the
same tasks extension, protocol layer (unknown tools/prompts, logging, completions), workflow
resources, validation middleware and HTTP app — and adds those fixtures to it, so the suite's
scenarios exercise our protocol machinery instead of being skipped.

The tasks fixtures become tasks through our tasks extension (server/tasks.py) the way a workflow
does: the tool hands back a pending handle (``status: running`` and a ``workflowId``); for a client
that declared the extension, the extension's interceptor turns it into a ``CreateTaskResult``
and answers ``tasks/get`` / ``tasks/update`` / ``tasks/cancel`` for it — here through the
extension's :class:`~linkedapi_mcp.server.tasks.TaskSource` seam (:class:`FixtureJobs`), since a
fixture job is no Linked API workflow and has no ledger row. A client without the extension gets
the tool's result in the call (or ``-32021`` for a tool whose tasks are required).

Run: ``python -m tools.conformance_server --port 8123`` (the sandbox backend, no auth, loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import logging
import time
import uuid
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import Message, UserMessage
from mcp.server.mcpserver.server import require_client_extension
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INTERNAL_ERROR,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    AudioContent,
    CallToolResult,
    EmbeddedResource,
    EmptyResult,
    ImageContent,
    TextContent,
    TextResourceContents,
)
from mcp_types import InputRequiredResult
from pydantic import BaseModel

from linkedapi_mcp.server.tasks import (
    TASKS_EXTENSION,
    TaskStatus,
    TaskView,
    WorkflowTasks,
    declared,
    task_wait_cap,
)
from linkedapi_mcp.settings import Settings

# A blocking (non-tasks) client waits at most this long for a fixture job in the call.
SYNC_LIMIT = 120.0
POLL_MS = 200  # what a fixture task suggests as its polling interval
TERMINAL: frozenset[TaskStatus] = frozenset({"completed", "failed", "cancelled"})


def _text(text: str, *, error: bool = False) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=error)


def _elicit(message: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An ``elicitation/create`` input request (SEP-2322's ``inputRequests`` entry)."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {"method": "elicitation/create", "params": {"mode": "form", "message": message, "requestedSchema": schema}}


# -- fixture jobs: the TaskSource ------------------------------------------------------------------


@dataclass
class Job:
    """One fixture job: a coroutine running in the server's loop, parked while it waits for input."""

    job_id: str
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    status: TaskStatus = "working"
    result: CallToolResult | None = None
    error: dict[str, Any] | None = None
    asked: dict[str, Any] = field(default_factory=dict)  # input requests not answered yet
    answers: dict[str, Any] = field(default_factory=dict)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    runner: asyncio.Task[None] | None = None

    def touch(self, status: TaskStatus) -> None:
        self.status = status
        self.updated_at = time.time()

    async def ask(self, requests: dict[str, Any]) -> dict[str, Any]:
        """Park as ``input_required`` until every one of ``requests`` is answered (in any number
        of ``tasks/update`` calls); the answers by key."""
        self.asked.update(requests)
        self.touch("input_required")
        while any(key in self.asked for key in requests):
            self.answered.clear()
            await self.answered.wait()
        self.touch("working")
        return {key: self.answers[key] for key in requests}


Work = Callable[[Job], Awaitable[CallToolResult]]


class FixtureJobs:
    """The fixture tools' jobs, by handle (a :class:`~linkedapi_mcp.server.tasks.TaskSource`)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    async def run(self, ctx: Context[Any, Any], work: Work, *, required: bool = False) -> CallToolResult:
        """What a task-supporting fixture tool returns: for a tasks client, a pending handle at
        once (the extension makes it a task); otherwise the job's own result, waited for in the
        call — or ``-32021`` when the tool's tasks are ``required``."""
        request = ctx.request_context
        tasks_client = declared(request)
        if required and not tasks_client:
            require_client_extension(request, TASKS_EXTENSION)
        job = Job(job_id=f"fx-{uuid.uuid4().hex}")
        self._jobs[job.job_id] = job
        job.runner = asyncio.get_running_loop().create_task(self._drive(job, work))
        # Like a workflow tool's wait budget: a tasks client's cap (server/tasks.py) becomes the
        # handle now — a fixture job is long by definition; a blocking client waits it out.
        if task_wait_cap.get() is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(job.done.wait(), SYNC_LIMIT)
            if job.status == "failed" and job.error is not None:
                raise MCPError(code=int(job.error["code"]), message=str(job.error["message"]))
            if job.result is not None:
                return job.result
        return CallToolResult(
            content=[TextContent(type="text", text=f"Started {job.job_id}; ask for it later.")],
            structured_content={"status": "running", "workflowId": job.job_id, "pollAfterSeconds": POLL_MS / 1000},
        )

    async def _drive(self, job: Job, work: Work) -> None:
        try:
            job.result = await work(job)
            job.touch("completed")
        except asyncio.CancelledError:
            job.touch("cancelled")
        except MCPError as exc:  # a protocol-level failure: the task fails with its error
            job.error = {"code": exc.error.code, "message": exc.error.message}
            job.touch("failed")
        except Exception as exc:
            job.error = {"code": INTERNAL_ERROR, "message": f"{type(exc).__name__}: {exc}"}
            job.touch("failed")
        finally:
            job.done.set()

    async def view(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> TaskView | None:
        job = self._jobs.get(task_id)
        if job is None:
            return None
        return TaskView(
            status=job.status,
            created_at=job.created_at,
            updated_at=job.updated_at,
            result=job.result if job.status == "completed" else None,
            error=job.error if job.status == "failed" else None,
            input_requests=dict(job.asked) if job.status == "input_required" else None,
            poll_interval_ms=None if job.status in TERMINAL else POLL_MS,
        )

    async def update(self, ctx: ServerRequestContext[Any, Any], task_id: str, responses: dict[str, Any]) -> None:
        job = self._jobs[task_id]
        for key, response in responses.items():
            if key in job.asked:  # a response for a key never issued (or already answered) is ignored
                del job.asked[key]
                job.answers[key] = _plain(response)
        job.answered.set()

    async def cancel(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> None:
        job = self._jobs[task_id]
        if job.runner is not None and not job.runner.done():
            job.runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job.runner


def _plain(response: Any) -> Any:
    """An input response as JSON data (the SDK parses ``inputResponses`` into its models)."""
    return response.model_dump(by_alias=True, mode="json") if isinstance(response, BaseModel) else response


def _accepted(answer: Any) -> dict[str, Any] | None:
    """The content of an accepted elicitation answer (else ``None``)."""
    answer = _plain(answer)
    if isinstance(answer, dict) and answer.get("action") == "accept":
        content = answer.get("content")
        return content if isinstance(content, dict) else {}
    return None


# -- the tasks scenarios' fixture tools -----------------------------------------------------------


def add_task_fixtures(server: MCPServer[Any], jobs: FixtureJobs) -> None:
    """``greet``, ``slow_compute``, ``failing_job``, ``protocol_error_job``, ``confirm_delete``,
    ``multi_input`` and ``test_tool_with_task`` (the suite's tasks scenarios)."""

    @server.tool(name="greet", description="Sync-only: says hello.")
    def greet(name: str) -> str:
        return f"Hello, {name}!"

    @server.tool(name="slow_compute", description="Task-supporting: sleeps `seconds`, then answers.")
    async def slow_compute(ctx: Context[Any, Any], seconds: float = 1.0, label: str = "") -> CallToolResult:
        async def work(_job: Job) -> CallToolResult:
            await asyncio.sleep(seconds)
            return _text(f"Computed {label or 'result'} after {seconds:g} s")

        return await jobs.run(ctx, work)

    @server.tool(name="failing_job", description="Task-required: a tool execution error after ~1 s.")
    async def failing_job(ctx: Context[Any, Any]) -> CallToolResult:
        async def work(_job: Job) -> CallToolResult:
            await asyncio.sleep(1.0)
            return _text("failing_job failed on purpose", error=True)

        return await jobs.run(ctx, work, required=True)

    @server.tool(name="protocol_error_job", description="Task-supporting: ends in a protocol-level error.")
    async def protocol_error_job(ctx: Context[Any, Any]) -> CallToolResult:
        async def work(_job: Job) -> CallToolResult:
            await asyncio.sleep(0.2)
            raise MCPError(code=INTERNAL_ERROR, message="protocol_error_job failed on purpose")

        return await jobs.run(ctx, work)

    @server.tool(name="confirm_delete", description="Task-supporting: asks to confirm, then 'deletes'.")
    async def confirm_delete(ctx: Context[Any, Any], filename: str) -> CallToolResult:
        async def work(job: Job) -> CallToolResult:
            asked = {"confirm": _elicit(f"Delete {filename}?", {"confirm": {"type": "boolean"}}, ["confirm"])}
            content = _accepted((await job.ask(asked))["confirm"])
            if content is not None and content.get("confirm") is True:
                return _text(f"Deleted {filename}")
            return _text(f"Kept {filename}")

        return await jobs.run(ctx, work, required=True)

    @server.tool(name="multi_input", description="Task-supporting: asks two questions at once.")
    async def multi_input(ctx: Context[Any, Any]) -> CallToolResult:
        async def work(job: Job) -> CallToolResult:
            fields = {"name": {"type": "string"}, "confirm": {"type": "boolean"}}
            answers = await job.ask(
                {
                    "first": _elicit("First input?", fields, ["name"]),
                    "second": _elicit("Second input?", fields, ["name"]),
                }
            )
            names = [(_accepted(answer) or {}).get("name", "?") for answer in answers.values()]
            return _text("Got " + " and ".join(str(n) for n in names))

        return await jobs.run(ctx, work, required=True)

    @server.tool(name="test_tool_with_task", description="Asks for a name (MRTR), then runs as a task.")
    async def test_tool_with_task(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        content = _accepted((ctx.input_responses or {}).get("user_name"))
        if content is None:
            asked = {"user_name": _elicit("What is your name?", {"name": {"type": "string"}}, ["name"])}
            return InputRequiredResult.model_validate({"inputRequests": asked})
        name = str(content.get("name", "?"))

        async def work(_job: Job) -> CallToolResult:
            await asyncio.sleep(0.2)
            return _text(f"Hello, {name}!")

        return await jobs.run(ctx, work, required=True)


# -- the other scenarios' fixtures: content, errors, progress, logging, sampling, elicitation -------

# A 1x1 PNG and a 10 ms silent WAV (the suite checks the content's shape, not the picture).
PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="


def _wav_base64() -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 80)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# The suite's SEP-1613 / SEP-2106 fixture schema, kept verbatim in the listing.
JSON_SCHEMA_2020_12: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}

# SEP-2243: a string parameter the client mirrors in an `Mcp-Param-Region` header.
HEADER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"region": {"type": "string", "x-mcp-header": "Region"}},
    "required": ["region"],
}

SEP1034_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
    "required": [],
}

_CHOICES = [{"const": f"value{i}", "title": t} for i, t in ((1, "First"), (2, "Second"), (3, "Third"))]
SEP1330_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "untitledSingle": {
            "type": "string",
            "description": "Select one option",
            "enum": ["option1", "option2", "option3"],
        },
        "titledSingle": {
            "type": "string",
            "description": "Select one option with titles",
            "oneOf": [{**c, "title": f"{c['title']} Option"} for c in _CHOICES],
        },
        "legacyEnum": {
            "type": "string",
            "description": "Select one option (legacy)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Select multiple options",
            "minItems": 1,
            "maxItems": 3,
            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
        },
        "titledMulti": {
            "type": "array",
            "description": "Select multiple options with titles",
            "minItems": 1,
            "maxItems": 3,
            "items": {"anyOf": [{**c, "title": f"{c['title']} Choice"} for c in _CHOICES]},
        },
    },
    "required": [],
}

# test_tool_with_logging logs through the server's own log forwarding (server/protocol.py): a
# record of a ``linkedapi_mcp`` logger during a request goes to that request's client at the
# level it asked for. INFO here whatever the process's level (this logger only).
fixture_log = logging.getLogger("linkedapi_mcp.conformance")
fixture_log.setLevel(logging.INFO)


async def _ask_client(ctx: Context[Any, Any], method: str, params: dict[str, Any]) -> dict[str, Any]:
    """A server-to-client request on this call's stream (handshake-era back-channel)."""
    from mcp.shared.message import ServerMessageMetadata
    from mcp.types import CreateMessageRequest, CreateMessageResult, ElicitRequest, ElicitResult

    session = ctx.request_context.session
    metadata = ServerMessageMetadata(related_request_id=ctx.request_id)
    wire = {"method": method, "params": params}
    answer: BaseModel
    if method == "sampling/createMessage":
        answer = await session.send_request(
            CreateMessageRequest.model_validate(wire), CreateMessageResult, metadata=metadata
        )
    else:
        answer = await session.send_request(ElicitRequest.model_validate(wire), ElicitResult, metadata=metadata)
    data: dict[str, Any] = answer.model_dump(by_alias=True, mode="json", exclude_none=True)
    return data


def add_content_fixtures(server: MCPServer[Any]) -> None:
    """The tools of the suite's tools, elicitation and JSON-schema scenarios."""
    png, wav = PNG_BASE64, _wav_base64()

    @server.tool(name="test_simple_text", description="Tests simple text content response")
    def test_simple_text() -> CallToolResult:
        return _text("This is a simple text response for testing.")

    @server.tool(name="test_image_content", description="Tests image content response")
    def test_image_content() -> CallToolResult:
        return CallToolResult(content=[ImageContent(type="image", data=png, mime_type="image/png")])

    @server.tool(name="test_audio_content", description="Tests audio content response")
    def test_audio_content() -> CallToolResult:
        return CallToolResult(content=[AudioContent(type="audio", data=wav, mime_type="audio/wav")])

    def embedded(uri: str, mime_type: str, text: str) -> EmbeddedResource:
        return EmbeddedResource(type="resource", resource=TextResourceContents(uri=uri, mime_type=mime_type, text=text))

    @server.tool(name="test_embedded_resource", description="Tests embedded resource content response")
    def test_embedded_resource() -> CallToolResult:
        text = "This is an embedded resource content."
        return CallToolResult(content=[embedded("test://embedded-resource", "text/plain", text)])

    @server.tool(name="test_multiple_content_types", description="Tests text, image and resource content")
    def test_multiple_content_types() -> CallToolResult:
        return CallToolResult(
            content=[
                TextContent(type="text", text="Multiple content types test:"),
                ImageContent(type="image", data=png, mime_type="image/png"),
                embedded("test://mixed-content-resource", "application/json", '{"test": "data", "value": 123}'),
            ]
        )

    @server.tool(name="test_error_handling", description="Tests error response handling")
    def test_error_handling() -> str:
        raise ToolError("This tool intentionally returns an error for testing")

    @server.tool(name="test_tool_with_progress", description="Tests tool that reports progress notifications")
    async def test_tool_with_progress(ctx: Context[Any, Any]) -> str:
        for step in (0, 50, 100):
            await ctx.report_progress(step, 100, f"Completed step {step} of 100")
            await asyncio.sleep(0.05)
        return "progress reported"

    @server.tool(name="test_tool_with_logging", description="Tests tool that emits log messages during execution")
    async def test_tool_with_logging() -> str:
        for message in ("Tool execution started", "Tool processing data", "Tool execution completed"):
            fixture_log.info(message)
            await asyncio.sleep(0.05)
        return "Tool with logging executed successfully"

    @server.tool(name="test_sampling", description="Tests server-initiated sampling (LLM completion request)")
    async def test_sampling(ctx: Context[Any, Any], prompt: str) -> str:
        answer = await _ask_client(
            ctx,
            "sampling/createMessage",
            {"messages": [{"role": "user", "content": {"type": "text", "text": prompt}}], "maxTokens": 100},
        )
        content = answer.get("content")
        text = content.get("text") if isinstance(content, dict) else None
        return f"LLM response: {text or 'No response'}"

    async def elicitation(ctx: Context[Any, Any], message: str, schema: dict[str, Any]) -> str:
        answer = await _ask_client(ctx, "elicitation/create", {"message": message, "requestedSchema": schema})
        return f"Elicitation completed: action={answer.get('action')}, content={answer.get('content') or {}}"

    @server.tool(name="test_elicitation", description="Tests server-initiated elicitation (user input request)")
    async def test_elicitation(ctx: Context[Any, Any], message: str) -> str:
        schema = {
            "type": "object",
            "properties": {"response": {"type": "string", "description": "User's response"}},
            "required": ["response"],
        }
        return await elicitation(ctx, message, schema)

    @server.tool(name="test_elicitation_sep1034_defaults", description="Tests elicitation with default values")
    async def test_elicitation_sep1034_defaults(ctx: Context[Any, Any]) -> str:
        return await elicitation(ctx, "Please review and update the form fields with defaults", SEP1034_SCHEMA)

    @server.tool(name="test_elicitation_sep1330_enums", description="Tests elicitation with enum schemas")
    async def test_elicitation_sep1330_enums(ctx: Context[Any, Any]) -> str:
        return await elicitation(ctx, "Please select options from the enum fields", SEP1330_SCHEMA)

    @server.tool(name="json_schema_2020_12_tool", description="Tool with JSON Schema 2020-12 features (SEP-1613)")
    def json_schema_2020_12_tool(name: str | None = None) -> str:
        return f"JSON Schema 2020-12 tool called with name={name}"

    @server.tool(name="test_custom_header", description="Takes a parameter mirrored in an Mcp-Param header")
    def test_custom_header(region: str) -> str:
        return f"Region: {region}"

    @server.tool(name="test_reconnection", description="Closes the SSE stream mid-call (SEP-1699)")
    async def test_reconnection(ctx: Context[Any, Any]) -> str:
        await ctx.close_sse_stream()
        await asyncio.sleep(0.1)
        return "Reconnection test completed successfully."

    # Schemas listed verbatim (the SDK's HTTP transport validates Mcp-Param-* headers by them too).
    for name, schema in (
        ("json_schema_2020_12_tool", JSON_SCHEMA_2020_12),
        ("test_custom_header", HEADER_SCHEMA),
    ):
        tool = server._tool_manager.get_tool(name)
        assert tool is not None
        tool.parameters = schema


# -- SEP-2322 multi-round-trip (InputRequiredResult) fixtures ---------------------------------------
# The SDK seals a result's requestState and checks it on the retry (MCPServer's RequestStateBoundary):
# the fixtures hand it plain strings, and a tampered one never reaches them.

_NAME_SCHEMA = ({"name": {"type": "string"}}, ["name"])
_SAMPLING = {
    "method": "sampling/createMessage",
    "params": {
        "messages": [{"role": "user", "content": {"type": "text", "text": "What is the capital of France?"}}],
        "maxTokens": 100,
    },
}
_ROOTS = {"method": "roots/list", "params": {}}


def _responses(ctx: Context[Any, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in (ctx.input_responses or {}).items()}


def _needs(requests: dict[str, Any], state: str | None = None) -> InputRequiredResult:
    data: dict[str, Any] = {"inputRequests": requests}
    if state is not None:
        data["requestState"] = state
    return InputRequiredResult.model_validate(data)


def _sampled(answer: Any) -> str:
    content = answer.get("content") if isinstance(answer, dict) else None
    if isinstance(content, list):
        content = content[0] if content else None
    return str(content.get("text", "")) if isinstance(content, dict) else ""


def add_input_required_fixtures(server: MCPServer[Any]) -> None:
    """The tools and the prompt of the suite's input-required-result (SEP-2322) scenarios."""
    ask_name = _elicit("What is your name?", *_NAME_SCHEMA)

    @server.tool(name="test_input_required_result_elicitation", description="MRTR: asks for a name")
    async def irr_elicitation(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        content = _accepted(_responses(ctx).get("user_name"))
        if content is None:  # first round, or the answer is missing: ask (again)
            return _needs({"user_name": ask_name})
        return _text(f"Hello, {content.get('name', '?')}!")

    @server.tool(name="test_input_required_result_sampling", description="MRTR: asks the client's model")
    async def irr_sampling(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        answer = _responses(ctx).get("capital_question")
        if answer is None:
            return _needs({"capital_question": _SAMPLING})
        return _text(f"The model said: {_sampled(answer)}")

    @server.tool(name="test_input_required_result_list_roots", description="MRTR: asks for the client's roots")
    async def irr_list_roots(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        answer = _responses(ctx).get("client_roots")
        roots = answer.get("roots") if isinstance(answer, dict) else None
        if not isinstance(roots, list):
            return _needs({"client_roots": _ROOTS})
        return _text(f"Roots: {len(roots)} ({', '.join(str(r.get('uri')) for r in roots if isinstance(r, dict))})")

    @server.tool(name="test_input_required_result_request_state", description="MRTR: with requestState")
    async def irr_request_state(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        content = _accepted(_responses(ctx).get("user_name"))
        if content is None or ctx.request_state != "asked-for-name":
            return _needs({"user_name": ask_name}, "asked-for-name")
        return _text(f"state-ok: Hello, {content.get('name', '?')}!")

    @server.tool(name="test_input_required_result_multiple_inputs", description="MRTR: three requests at once")
    async def irr_multiple(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        answers = _responses(ctx)
        wanted = {"user_name": ask_name, "greeting": _SAMPLING, "client_roots": _ROOTS}
        if ctx.request_state != "asked-three" or any(key not in answers for key in wanted):
            return _needs(wanted, "asked-three")
        name = (_accepted(answers["user_name"]) or {}).get("name", "?")
        roots = answers["client_roots"].get("roots", []) if isinstance(answers["client_roots"], dict) else []
        return _text(f"Name: {name}; Greeting: {_sampled(answers['greeting'])}; Roots: {len(roots)}")

    @server.tool(name="test_input_required_result_multi_round", description="MRTR: two rounds of questions")
    async def irr_multi_round(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        answers = _responses(ctx)
        if ctx.request_state == "round-2" and _accepted(answers.get("step2")) is not None:
            return _text("Both steps done")
        step1 = _accepted(answers.get("step1"))
        if ctx.request_state == "round-1" and step1 is not None:
            ask = _elicit(f"Step 2: hello {step1.get('name', '?')}, anything else?", *_NAME_SCHEMA)
            return _needs({"step2": ask}, "round-2")
        return _needs({"step1": _elicit("Step 1: What is your name?", *_NAME_SCHEMA)}, "round-1")

    @server.tool(name="test_input_required_result_tampered_state", description="MRTR: sealed requestState")
    async def irr_tampered(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        content = _accepted(_responses(ctx).get("user_name"))
        if content is None or ctx.request_state != "sealed":
            return _needs({"user_name": ask_name}, "sealed")
        return _text(f"Hello, {content.get('name', '?')}!")

    @server.tool(name="test_input_required_result_capabilities", description="MRTR: asks only what the client can do")
    async def irr_capabilities(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        capabilities = ctx.client_capabilities
        wanted: dict[str, Any] = {}
        if capabilities is not None and capabilities.elicitation is not None:
            wanted["user_name"] = ask_name
        if capabilities is not None and capabilities.sampling is not None:
            wanted["capital_question"] = _SAMPLING
        answers = _responses(ctx)
        if not wanted or all(key in answers for key in wanted):
            return _text("Nothing more to ask")
        return _needs({key: value for key, value in wanted.items() if key not in answers})

    @server.prompt(name="test_input_required_result_prompt", title="MRTR prompt")
    async def irr_prompt(ctx: Context[Any, Any]) -> str | InputRequiredResult:
        """MRTR: a prompt that asks for a name first"""
        content = _accepted(_responses(ctx).get("user_name"))
        if content is None:
            return _needs({"user_name": ask_name})
        return f"Write a greeting for {content.get('name', '?')}."


def add_stateless_fixtures(server: MCPServer[Any]) -> None:
    """The diagnostic tools of the suite's server-stateless (SEP-2575) scenario."""

    @server.tool(name="test_missing_capability", description="Needs the client's sampling capability")
    async def test_missing_capability(ctx: Context[Any, Any]) -> str:
        capabilities = ctx.client_capabilities
        if capabilities is None or capabilities.sampling is None:
            raise MCPError(
                code=MISSING_REQUIRED_CLIENT_CAPABILITY,
                message="This tool needs the client's sampling capability",
                data={"requiredCapabilities": {"sampling": {}}},
            )
        return "sampling declared"

    @server.tool(name="test_streaming_elicitation", description="Asks for input on its response stream")
    async def test_streaming_elicitation(ctx: Context[Any, Any]) -> CallToolResult | InputRequiredResult:
        if _accepted(_responses(ctx).get("user_name")) is None:
            return _needs({"user_name": _elicit("What is your name?", *_NAME_SCHEMA)})
        return _text("Thanks")

    @server.tool(name="test_logging_tool", description="Logs through the server's log forwarding")
    async def test_logging_tool() -> str:
        for message in ("logging tool started", "logging tool done"):
            fixture_log.info(message)
        return "logged"

    @server.tool(name="test_trigger_tool_change", description="Announces a changed tool list")
    async def test_trigger_tool_change(ctx: Context[Any, Any]) -> str:
        await ctx.notify_tools_changed()
        return "tools/list_changed sent"

    @server.tool(name="test_trigger_prompt_change", description="Announces a changed prompt list")
    async def test_trigger_prompt_change(ctx: Context[Any, Any]) -> str:
        await ctx.notify_prompts_changed()
        return "prompts/list_changed sent"


def add_prompt_fixtures(server: MCPServer[Any]) -> None:
    """The prompts of the suite's prompts scenarios."""

    @server.prompt(name="test_simple_prompt", title="Simple Test Prompt")
    def test_simple_prompt() -> str:
        """A simple prompt without arguments"""
        return "This is a simple prompt for testing."

    @server.prompt(name="test_prompt_with_arguments", title="Prompt With Arguments")
    def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
        """A prompt with required arguments"""
        return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"

    @server.prompt(name="test_prompt_with_embedded_resource", title="Prompt With Embedded Resource")
    def test_prompt_with_embedded_resource(resourceUri: str) -> list[Message]:
        """A prompt that includes an embedded resource"""
        resource = TextResourceContents(
            uri=resourceUri, mime_type="text/plain", text="Embedded resource content for testing."
        )
        return [
            UserMessage(content=EmbeddedResource(type="resource", resource=resource)),
            UserMessage(content="Please process the embedded resource above."),
        ]

    @server.prompt(name="test_prompt_with_image", title="Prompt With Image")
    def test_prompt_with_image() -> list[Message]:
        """A prompt that includes image content"""
        return [
            UserMessage(content=ImageContent(type="image", data=PNG_BASE64, mime_type="image/png")),
            UserMessage(content="Please analyze the image above."),
        ]


def add_resource_fixtures(server: MCPServer[Any]) -> None:
    """The resources of the suite's resources scenarios; ``test://`` subscriptions are accepted
    (and forgotten: nothing changes them) beside the product's workflow subscriptions."""

    @server.resource("test://static-text", name="static-text", title="Static Text Resource", mime_type="text/plain")
    def static_text() -> str:
        return "This is the content of the static text resource."

    @server.resource(
        "test://static-binary", name="static-binary", title="Static Binary Resource", mime_type="image/png"
    )
    def static_binary() -> bytes:
        return base64.b64decode(PNG_BASE64)

    @server.resource(
        "test://watched-resource", name="watched-resource", title="Watched Resource", mime_type="text/plain"
    )
    def watched() -> str:
        return "Watched resource content."

    @server.resource(
        "test://template/{id}/data", name="template", title="Resource Template", mime_type="application/json"
    )
    def template(id: str) -> str:
        return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})

    lowlevel = server._lowlevel_server
    for method in ("resources/subscribe", "resources/unsubscribe"):
        entry = lowlevel.get_request_handler(method)
        assert entry is not None, f"the product server has no {method}"
        product = entry.handler

        async def either(ctx: ServerRequestContext[Any, Any], params: Any, product: Any = product) -> Any:
            if str(params.uri).startswith("test://"):
                return EmptyResult()
            return await product(ctx, params)

        lowlevel.add_request_handler(method, entry.params_type, either)


def _known_prompts_live(server: MCPServer[Any]) -> None:
    """The protocol layer's unknown-prompt check (server/protocol.py) knows the prompts of build
    time; let it see the fixture prompts too."""
    from linkedapi_mcp.server.protocol import Protocol

    for middleware in server.middleware:
        if isinstance(middleware, Protocol):
            middleware._known_prompt = lambda name: server._prompt_manager.get_prompt(name) is not None


# -- the server ------------------------------------------------------------------------------------


def _tasks_extension(server: MCPServer[Any]) -> WorkflowTasks:
    for extension in server._extensions:  # mcp 2.3: the extensions the server was built with
        if isinstance(extension, WorkflowTasks):
            return extension
    raise RuntimeError("the server was built without the tasks extension")


def _list_fixtures_too(server: MCPServer[Any], names: list[str]) -> None:
    """``tools/list`` shows the fixture tools after the product's (the suite looks some up)."""
    product_list = server.list_tools
    registry = server._tool_manager

    async def list_tools(*args: Any, **kwargs: Any) -> Any:
        listed = list(await product_list(*args, **kwargs))
        known = {tool.name for tool in listed}
        fixtures = [registry.get_tool(name) for name in names if name not in known]
        listed += [_as_listed(tool) for tool in fixtures if tool is not None]
        return listed

    server.list_tools = list_tools  # type: ignore[method-assign]


def _as_listed(tool: Any) -> Any:
    from mcp.types import Tool as MCPTool

    return MCPTool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=tool.parameters,
        output_schema=tool.output_schema,
        annotations=tool.annotations,
    )


def build_conformance_server(port: int, settings: Settings | None = None) -> MCPServer[Any]:
    """``build()``'s HTTP server on the sandbox (no auth, loopback) with the suite's fixtures."""
    from linkedapi_mcp.server.app import build

    settings = settings or Settings(auth="none", host="127.0.0.1", port=port)
    server, _state = build(settings, http=True)
    before = {tool.name for tool in server._tool_manager.list_tools()}
    jobs = FixtureJobs()
    _tasks_extension(server).add_source(jobs)
    add_task_fixtures(server, jobs)
    add_content_fixtures(server)
    add_prompt_fixtures(server)
    add_input_required_fixtures(server)
    add_stateless_fixtures(server)
    add_resource_fixtures(server)
    _known_prompts_live(server)
    added = [tool.name for tool in server._tool_manager.list_tools() if tool.name not in before]
    _list_fixtures_too(server, added)
    return server


def main(argv: list[str] | None = None) -> int:
    import anyio

    from linkedapi_mcp.server.http import serve_http

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server = build_conformance_server(args.port)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(lambda: serve_http(server, host="127.0.0.1", port=args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
