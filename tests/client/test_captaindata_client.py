"""The Captain Data client (client/captaindata.py) against the sandbox's emulator: templates, a
launch of each template collected page after page, cancel, the error mapping, and the retry rules
— reads ride out injected faults, a launch is never repeated (the sandbox's request log shows one
POST), a rate-limited launch created nothing. The retry policy sleeps on a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from linkedapi_mcp.client import RetryPolicy
from linkedapi_mcp.client.captaindata import CaptainDataClient
from linkedapi_mcp.client.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
)
from linkedapi_mcp.sandbox import Sandbox

from .conftest import FakeClock

pytestmark = pytest.mark.anyio

API_KEY = "cd-secret-key-123"
PROJECT = "project-1"
HOUR = 3600.0


@pytest.fixture
def sandbox() -> Sandbox:
    box = Sandbox(seed=42, speed=0)
    box.captaindata.api_key = API_KEY
    box.captaindata.project_id = PROJECT
    return box


@pytest.fixture
async def cd(sandbox: Sandbox, policy: RetryPolicy) -> AsyncIterator[CaptainDataClient]:
    async with CaptainDataClient(
        api_key=API_KEY,
        project_id=PROJECT,
        base_url=sandbox.base_url + "/v3",
        transport=sandbox.transport(),
        retry=policy,
    ) as client:
        yield client


async def launch_body(
    cd: CaptainDataClient, permalink: str, inputs: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    (workflow,) = [w for w in await cd.list_workflows() if w["steps"][0]["permalink"] == permalink]
    step = workflow["steps"][0]
    body = {"job_name": permalink, "inputs": inputs, "steps": [{"step_uid": step["step_uid"], "parameters": {}}]}
    return str(workflow["uid"]), body


def posts(sandbox: Sandbox) -> list[str]:
    return [e.path for e in sandbox.requests if e.method == "POST"]


async def test_each_template_launches_and_collects_its_rows(sandbox: Sandbox, cd: CaptainDataClient) -> None:
    samples = sandbox.samples()
    inputs = {
        "extract-linkedin-people-profile": [{"linkedin_profile_url": samples["personUrls"][0]}],
        "search-linkedin-people": [{"keywords": "engineer"}],
        "extract-linkedin-company-employees": [{"linkedin_company_url": samples["companyUrls"][0]}],
        "send-linkedin-message": [{"linkedin_profile_url": samples["connectionUrls"][0], "message": "Hi"}],
    }
    jobs = {}
    for permalink, rows in inputs.items():
        uid, body = await launch_body(cd, permalink, rows)
        jobs[permalink] = await cd.launch(uid, body)
        assert (await cd.get_workflow(jobs[permalink])).workflowStatus == "pending"
    sandbox.advance(HOUR)
    for permalink, job_uid in jobs.items():
        state = await cd.get_workflow(job_uid)
        assert state.workflowStatus == "completed", permalink
        assert state.completion["job"]["status"] == "completed"
        assert state.completion["results"], permalink
        assert state.completion["truncated"] is False
    # The people search returns 50 rows (its default max_results): two full pages and one of 0..25.
    search = await cd.get_workflow(jobs["search-linkedin-people"])
    assert len(search.completion["results"]) == search.completion["job"]["results_count"]
    result_gets = [e for e in sandbox.requests if e.path.endswith(f"/jobs/{jobs['search-linkedin-people']}/results")]
    assert len(result_gets) >= 2


async def test_cancel_and_failed_jobs_read_as_failed_workflows(sandbox: Sandbox, cd: CaptainDataClient) -> None:
    uid, body = await launch_body(
        cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": sandbox.samples()["personUrls"][0]}]
    )
    job_uid = await cd.launch(uid, body)
    assert await cd.cancel_workflow(job_uid) is True
    state = await cd.get_workflow(job_uid)
    assert state.workflowStatus == "failed"
    assert state.failure is not None
    assert state.failure.reason == "captainData.stopped"
    uid, body = await launch_body(
        cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": "https://www.linkedin.com/in/nobody-zz9"}]
    )
    warned = await cd.launch(uid, body)
    sandbox.advance(HOUR)
    failed = (await cd.get_workflow(warned)).failed_error()
    assert failed is not None
    assert failed.type == "captainData.warning"


async def test_refusals_map_once_and_are_not_retried(
    sandbox: Sandbox, cd: CaptainDataClient, fake_clock: FakeClock
) -> None:
    uid, body = await launch_body(cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": "https://x.io/a"}])
    with pytest.raises(InvalidRequestError) as refused:
        await cd.launch(uid, body)
    assert refused.value.type == "INVALID_INPUT"
    with pytest.raises(NotFoundError):
        await cd.get_job("00000000-0000-0000-0000-000000000000")
    sandbox.captaindata.api_key = "another"
    with pytest.raises(AuthenticationError) as denied:
        await cd.list_workflows()
    assert API_KEY not in str(denied.value)
    assert fake_clock.slept == []


async def test_reads_ride_out_faults_with_backoff(
    sandbox: Sandbox, cd: CaptainDataClient, fake_clock: FakeClock
) -> None:
    sandbox.faults.add("serverError", method="GET", path="/v3/workflows")
    sandbox.faults.add("rateLimit", method="GET", path="/v3/workflows", seconds=3)
    sandbox.faults.add("malformedJson", method="GET", path="/v3/workflows")
    workflows = await cd.list_workflows()
    assert len(workflows) == 4
    assert fake_clock.slept == [0.5, 3.0, 2.0]  # backoff, Retry-After, backoff
    gets = [e for e in sandbox.requests if e.method == "GET" and e.path == "/v3/workflows"]
    assert [e.fault for e in gets] == ["serverError", "rateLimit", "malformedJson", None]


@pytest.mark.parametrize("fault", ["dropAfterAccept", "serverError", "malformedJson"])
async def test_a_launch_whose_answer_is_lost_is_outcome_unknown_and_sent_once(
    sandbox: Sandbox, cd: CaptainDataClient, fake_clock: FakeClock, fault: str
) -> None:
    uid, body = await launch_body(
        cd, "send-linkedin-message", [{"linkedin_profile_url": sandbox.samples()["connectionUrls"][0], "message": "Hi"}]
    )
    sandbox.faults.add(fault, method="POST", path="/v3/workflows")
    with pytest.raises(OutcomeUnknownError):
        await cd.launch(uid, body)
    assert posts(sandbox) == [f"/v3/workflows/{uid}/schedule"]
    assert fake_clock.slept == []
    # dropAfterAccept processed the launch (one job exists); the others answered before processing.
    assert len(sandbox.scheduler.all()) == (1 if fault == "dropAfterAccept" else 0)


async def test_a_rate_limited_launch_created_nothing_and_is_not_resent(sandbox: Sandbox, cd: CaptainDataClient) -> None:
    uid, body = await launch_body(
        cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": sandbox.samples()["personUrls"][0]}]
    )
    sandbox.faults.add("rateLimit", method="POST", path="/v3/workflows", seconds=4)
    with pytest.raises(RateLimitedError) as limited:
        await cd.launch(uid, body)
    assert limited.value.retry_after == 4.0
    assert posts(sandbox) == [f"/v3/workflows/{uid}/schedule"]
    assert sandbox.scheduler.all() == []


async def test_accounts_drop_credentials(sandbox: Sandbox, cd: CaptainDataClient) -> None:
    accounts = await cd.list_accounts()
    (account,) = accounts["accounts"]
    assert account["uid"] == sandbox.captaindata.account_uid()
    assert "cookies" not in account
    assert API_KEY not in repr(cd)
