"""The facade's workflow lifecycle against the sandbox: pending → completed, failed, cancelled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from linkedapi_mcp.catalog import CATALOG
from linkedapi_mcp.client import LinkedApiClient, WorkflowFailedError
from linkedapi_mcp.facade import LinkedApi
from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

SSI = CATALOG["retrieve_ssi"]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=5, speed=0)


@pytest.fixture
async def api(sandbox: Sandbox, client_for: Callable[[Sandbox], LinkedApiClient]) -> AsyncIterator[LinkedApi]:
    client = client_for(sandbox)
    async with client:
        yield LinkedApi(client)


async def test_a_started_workflow_is_in_progress_then_completed_with_its_mapped_result(
    api: LinkedApi, sandbox: Sandbox
) -> None:
    started = await api.start(SSI, SSI.parse({}))
    assert started.workflowStatus in ("pending", "running")

    before = await api.status(started.workflowId, SSI)
    assert before.workflowStatus in ("pending", "running")
    assert (before.result, before.failure) == (None, None)

    sandbox.advance(3600)
    after = await api.status(started.workflowId, SSI)
    assert after.workflowStatus == "completed"
    assert after.result is not None
    assert after.result.errors == []
    assert after.result.data.ssi is not None
    assert after.operationName == "retrieveSSI"
    assert after.workflowId == started.workflowId


async def test_a_failed_workflow_is_returned_with_its_reason_and_run_raises_it(
    api: LinkedApi, sandbox: Sandbox
) -> None:
    started = await api.start(SSI, SSI.parse({}))
    sandbox.sign_out()

    snap = await api.status(started.workflowId, SSI)
    assert snap.workflowStatus == "failed"
    assert snap.failure is not None
    assert snap.failure["reason"] == "linkedinAccountSignedOut"
    assert snap.failure["message"]
    assert snap.result is None


async def test_run_raises_workflow_failed_for_a_failure(api: LinkedApi, sandbox: Sandbox) -> None:
    async def sign_out_while_waiting(seconds: float) -> None:
        sandbox.sign_out()

    with pytest.raises(WorkflowFailedError) as caught:
        await api.run(SSI, SSI.parse({}), poll_interval=5, sleep=sign_out_while_waiting)
    assert caught.value.type == "linkedinAccountSignedOut"


async def test_a_pending_workflow_can_be_cancelled_once(api: LinkedApi, sandbox: Sandbox) -> None:
    started = await api.start(SSI, SSI.parse({}))
    assert await api.cancel(started.workflowId) is True
    assert await api.cancel(started.workflowId) is False


async def test_run_gives_up_after_its_timeout_and_says_the_workflow_keeps_running(api: LinkedApi) -> None:
    async def time_stands_still(seconds: float) -> None:
        return None

    with pytest.raises(TimeoutError, match="keeps running"):
        await api.run(SSI, SSI.parse({}), poll_interval=5, timeout=15, sleep=time_stands_still)


async def test_direct_reads_and_workflows_are_not_mixed_up(api: LinkedApi, sandbox: Sandbox) -> None:
    account = CATALOG["get_account_info"]
    with pytest.raises(ValueError, match="direct read"):
        await api.start(account, account.parse({}))
    with pytest.raises(ValueError, match="runs as a workflow"):
        await api.call(SSI, SSI.parse({}))
    assert len(sandbox.requests) == 0
    assert (await api.call(account, account.parse({}))).data.name == sandbox.samples()["me"]["name"]
