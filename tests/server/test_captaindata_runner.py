"""Captain Data launches through the server's one pipeline (server/captaindata.py + runner.py):
each emulated template launched and collected, the handle in the same ledger, confirmation and
dedupe of a launch that acts on the account, budgets counting what it does, collection after a
restart (a new runner on the same ledger file), cancel by handle, and injected faults without a
second launch in the emulator's request log.

The runner runs on the sandbox's virtual clock (as tests/server/test_poll_schedule.py does): its
sleeps advance the frozen sandbox, nothing waits in real time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from mcp.server.mcpserver.exceptions import ToolError

from linkedapi_mcp.client import LinkedApiClient
from linkedapi_mcp.client.captaindata import CaptainDataClient
from linkedapi_mcp.sandbox import Sandbox
from linkedapi_mcp.server.captaindata import (
    CD_READ,
    CD_WRITE,
    HANDLE_PREFIX,
    LaunchRefused,
    RoutingApi,
    launch_for,
    resolve,
)
from linkedapi_mcp.server.guards import Cap, GuardConfig, GuardInput
from linkedapi_mcp.server.ledger import Ledger
from linkedapi_mcp.server.runner import Backend, Runner
from linkedapi_mcp.server.storage_faults import NotedApi
from linkedapi_mcp.server.timing import PollPolicy

pytestmark = pytest.mark.anyio


async def _no_report(_progress: float, _message: str, /, *, total: float | None = None) -> None:
    return None


def _resolve(name: str) -> Any:
    op = resolve(name)
    assert op is not None, name
    return op


@dataclass
class World:
    sandbox: Sandbox
    backend: Backend
    cd: CaptainDataClient
    make_runner: Callable[..., Runner]
    ledger_path: Path

    def posts(self) -> list[str]:
        return [e.path for e in self.sandbox.requests if e.method == "POST" and e.path.startswith("/v3/")]

    async def launch(
        self, runner: Runner, permalink: str, inputs: list[dict[str, Any]], guard: GuardInput | None = None
    ) -> dict[str, Any]:
        (details,) = [w for w in await self.cd.list_workflows() if w["steps"][0]["permalink"] == permalink]
        op, params = launch_for(details, job_name=permalink, inputs=inputs, parameters=None, accounts=None)
        return await runner.run_workflow(self.backend, op, params, budget=3600, report=_no_report, guard=guard)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    sandbox = Sandbox(seed=42, speed=0)

    def now() -> float:
        return float(sandbox.clock.now().timestamp())

    async def sleep(seconds: float) -> None:
        sandbox.clock.advance(-(-seconds * 1e6 // 1) / 1e6)
        await anyio.lowlevel.checkpoint()

    ledgers: list[Ledger] = []
    path = tmp_path / "ledger.sqlite3"

    def make_runner(guards: GuardConfig | None = None) -> Runner:
        ledger = Ledger(path, clock=now)
        ledgers.append(ledger)
        return Runner(ledger, dedupe_window=600, guards=guards, wall=now, monotonic=now, sleep=sleep)

    async with (
        LinkedApiClient(
            linked_api_token="x", identification_token="y", base_url=sandbox.base_url, transport=sandbox.transport()
        ) as linked,
        CaptainDataClient(
            api_key="k", project_id="p", base_url=sandbox.base_url + "/v3", transport=sandbox.transport()
        ) as cd,
    ):
        api = RoutingApi(NotedApi(linked), cd)
        backend = Backend(kind="sandbox", account="acct", api=api, policy=PollPolicy())
        yield World(sandbox, backend, cd, make_runner, path)
    for ledger in ledgers:
        ledger.close()


async def test_each_template_launches_as_a_recorded_handle_and_its_rows_come_back(world: World) -> None:
    runner = world.make_runner(GuardConfig(confirm="never"))
    samples = world.sandbox.samples()
    cases = {
        "extract-linkedin-people-profile": [{"linkedin_profile_url": samples["personUrls"][0]}],
        "search-linkedin-people": [{"keywords": "engineer"}],
        "extract-linkedin-company-employees": [{"linkedin_company_url": samples["companyUrls"][0]}],
        "send-linkedin-message": [{"linkedin_profile_url": samples["connectionUrls"][0], "message": "Hi"}],
    }
    for permalink, inputs in cases.items():
        outcome = await world.launch(runner, permalink, inputs)
        assert outcome["status"] == "completed", (permalink, outcome)
        assert outcome["workflowId"].startswith(HANDLE_PREFIX)
        assert outcome["result"]["results"], permalink
        assert outcome["result"]["job"]["status"] == "completed"
    recent = await runner.recent(world.backend, limit=10, operation=None)
    assert {r.operationName for r in recent} == {"captainDataRead", "captainDataWrite"}
    assert len(world.posts()) == 4


async def test_a_message_launch_asks_for_confirmation_then_sends_once_and_is_deduplicated(world: World) -> None:
    runner = world.make_runner(GuardConfig(confirm="elicit-or-preview"))
    inputs = [{"linkedin_profile_url": world.sandbox.samples()["connectionUrls"][0], "message": "Hello"}]
    preview = await world.launch(runner, "send-linkedin-message", inputs)
    assert preview["status"] == "confirmation_required"
    assert "Hello" in preview["message"]
    assert world.posts() == []
    sent = await world.launch(
        runner, "send-linkedin-message", inputs, GuardInput(confirmation_id=preview["confirmationId"])
    )
    assert sent["status"] == "completed"
    again = await world.launch(runner, "send-linkedin-message", inputs, GuardInput(confirmation_id=None))
    # The identical launch within the dedupe window hands back the same job: nothing is sent again.
    assert again["workflowId"] == sent["workflowId"]
    assert len(world.posts()) == 1
    # A read-only template is never held for confirmation.
    profile = [{"linkedin_profile_url": inputs[0]["linkedin_profile_url"]}]
    read = await world.launch(runner, "extract-linkedin-people-profile", profile)
    assert read["status"] == "completed"


async def test_budgets_count_the_messages_a_launch_sends(world: World) -> None:
    runner = world.make_runner(GuardConfig(confirm="never", caps=(Cap("stMessages", "day", 1),)))
    connections = world.sandbox.samples()["connectionUrls"]
    two = [{"linkedin_profile_url": url, "message": "Hi"} for url in connections[:2]]
    with pytest.raises(ToolError, match="budget"):
        await world.launch(runner, "send-linkedin-message", two)
    assert world.posts() == []


async def test_a_job_is_collected_after_a_restart_and_cancelled_by_its_handle(world: World) -> None:
    person = world.sandbox.samples()["personUrls"][0]
    first = world.make_runner(GuardConfig(confirm="never"))
    (details,) = [
        w for w in await world.cd.list_workflows() if w["steps"][0]["permalink"].startswith("extract-linkedin-p")
    ]
    op, params = launch_for(
        details, job_name="restart", inputs=[{"linkedin_profile_url": person}], parameters=None, accounts=None
    )
    started = await first.run_workflow(world.backend, op, params, budget=0, report=_no_report)
    assert started["status"] in ("pending", "running")
    handle = started["workflowId"]
    second = world.make_runner(GuardConfig(confirm="never"))  # a new process on the same ledger file
    done = await second.workflow_result(
        world.backend, handle, resolve=_resolve, operation_name=None, budget=3600, report=_no_report
    )
    assert done["status"] == "completed"
    assert done["result"]["results"][0]["linkedin_profile_url"] == person
    other = await second.run_workflow(
        world.backend,
        op,
        launch_for(
            details, job_name="other", inputs=[{"linkedin_profile_url": person}], parameters=None, accounts=None
        )[1],
        budget=0,
        report=_no_report,
    )
    cancelled, _message = await second.cancel(world.backend, other["workflowId"])
    assert cancelled is True
    assert f"/v3/jobs/{other['workflowId'].removeprefix(HANDLE_PREFIX)}/cancel" in world.posts()


@pytest.mark.parametrize("fault", ["dropAfterAccept", "serverError"])
async def test_a_launch_whose_answer_is_lost_is_never_sent_again(world: World, fault: str) -> None:
    runner = world.make_runner(GuardConfig(confirm="never"))
    inputs = [{"linkedin_profile_url": world.sandbox.samples()["connectionUrls"][0], "message": "Once"}]
    world.sandbox.faults.add(fault, method="POST", path="/v3/workflows")
    first = await world.launch(runner, "send-linkedin-message", inputs)
    assert first["status"] == "outcome_unknown"
    second = await world.launch(runner, "send-linkedin-message", inputs)
    assert second["status"] == "outcome_unknown"
    assert len(world.posts()) == 1


async def test_reads_ride_out_faults_while_waiting(world: World) -> None:
    runner = world.make_runner(GuardConfig(confirm="never"))
    world.sandbox.faults.add("serverError", method="GET", path="/v3/jobs", count=2)
    world.sandbox.faults.add("rateLimit", method="GET", path="/v3/jobs", seconds=1)
    outcome = await world.launch(
        runner, "extract-linkedin-people-profile", [{"linkedin_profile_url": world.sandbox.samples()["personUrls"][0]}]
    )
    assert outcome["status"] == "completed"
    assert len(world.posts()) == 1
    faulted = [e.fault for e in world.sandbox.requests if e.fault is not None]
    assert faulted == ["serverError", "serverError", "rateLimit"]
    assert world.sandbox.faults.rules == []


async def test_a_launch_that_does_not_fit_the_template_is_refused_before_sending(world: World) -> None:
    (details,) = [w for w in await world.cd.list_workflows() if w["steps"][0]["permalink"] == "send-linkedin-message"]
    with pytest.raises(LaunchRefused, match="missing"):
        launch_for(
            details,
            job_name="x",
            inputs=[{"linkedin_profile_url": "https://www.linkedin.com/in/a"}],
            parameters=None,
            accounts=None,
        )
    with pytest.raises(LaunchRefused, match="Unknown parameters"):
        launch_for(
            details,
            job_name="x",
            inputs=[{"linkedin_profile_url": "https://www.linkedin.com/in/a", "message": "m"}],
            parameters={"max_results": 3},
            accounts=None,
        )
    op, _ = launch_for(
        details,
        job_name="x",
        inputs=[{"linkedin_profile_url": "https://www.linkedin.com/in/a", "message": "m"}],
        parameters=None,
        accounts=None,
    )
    assert op is CD_WRITE
    assert world.posts() == []
    assert CD_READ.effect == "read"
