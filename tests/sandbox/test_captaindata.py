"""The sandbox's Captain Data API v3 emulator (docs/captaindata.md) with a plain HTTP client:
templates and their details, launching each template, jobs that run on the virtual clock, paged
results, cancel, integration accounts, refusals, and the shared fault injection and request log.

The clock is frozen (speed 0): jobs move only through ``sandbox.advance``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

HEADERS = {"Authorization": "x-api-key test-cd-key", "x-project-id": "test-project"}
HOUR = 3600.0


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=42, speed=0)


@pytest.fixture
async def cd(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=sandbox.transport(), base_url=sandbox.base_url + "/v3", headers=HEADERS
    ) as client:
        yield client


async def details(cd: httpx.AsyncClient, permalink: str) -> dict[str, Any]:
    listing = (await cd.get("/workflows")).json()["workflows"]
    (found,) = [w for w in listing if w["steps"][0]["permalink"] == permalink]
    answer = await cd.get(f"/workflows/{found['uid']}/details")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


async def launch(
    cd: httpx.AsyncClient, permalink: str, inputs: list[dict[str, Any]], parameters: dict[str, Any] | None = None
) -> httpx.Response:
    workflow = await details(cd, permalink)
    step = workflow["steps"][0]
    body = {
        "job_name": f"test {permalink}",
        "inputs": inputs,
        "steps": [{"step_uid": step["step_uid"], "accounts": [], "parameters": parameters or {}}],
    }
    return await cd.post(f"/workflows/{workflow['uid']}/schedule", json=body)


async def finish(sandbox: Sandbox, cd: httpx.AsyncClient, job_uid: str) -> dict[str, Any]:
    sandbox.advance(HOUR)
    job: dict[str, Any] = (await cd.get(f"/jobs/{job_uid}")).json()
    return job


async def all_results(cd: httpx.AsyncClient, job_uid: str) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    pages = 0
    params: dict[str, str] = {}
    while True:
        page = (await cd.get(f"/jobs/{job_uid}/results", params=params)).json()
        pages += 1
        rows.extend(page["results"])
        if not page["paging"]["have_next_page"]:
            return rows, pages
        params = {"cursor": page["paging"]["next"]}


async def test_templates_list_inputs_steps_parameters_and_which_act_on_the_account(cd: httpx.AsyncClient) -> None:
    listing = (await cd.get("/workflows")).json()["workflows"]
    by_permalink = {w["steps"][0]["permalink"]: w for w in listing}
    assert set(by_permalink) == {
        "extract-linkedin-people-profile",
        "search-linkedin-people",
        "extract-linkedin-company-employees",
        "send-linkedin-message",
    }
    assert [w["x-read-only"] for w in listing] == [True, True, True, False]
    message = by_permalink["send-linkedin-message"]["steps"][0]
    assert set(message["input_schema"]) == {"linkedin_profile_url", "message"}
    assert by_permalink["search-linkedin-people"]["steps"][0]["parameters_schema"] == {
        "properties": {"max_results": 50}
    }
    unknown = await cd.get("/workflows/00000000-0000-0000-0000-000000000000/details")
    assert unknown.status_code == 404
    assert unknown.json()["error_label"] == "WORKFLOW_NOT_FOUND"


async def test_profile_job_waits_runs_on_the_virtual_clock_and_returns_the_person_with_meta(
    sandbox: Sandbox, cd: httpx.AsyncClient
) -> None:
    person = sandbox.samples()["personUrls"][0]
    answer = await launch(cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": person, "meta": {"crm": 7}}])
    assert answer.status_code == 200
    body = answer.json()
    assert body["message"] == "Bot successfully scheduled."
    job_uid = body["job_uid"]
    before = (await cd.get(f"/jobs/{job_uid}")).json()
    assert before["status"] == "pending"
    assert (await cd.get(f"/jobs/{job_uid}/results")).json()["results"] == []
    job = await finish(sandbox, cd, job_uid)
    assert job["status"] == "completed"
    assert job["error_message"] is None
    rows, _ = await all_results(cd, job_uid)
    assert len(rows) == 1
    assert rows[0]["linkedin_profile_url"] == person
    assert rows[0]["full_name"]
    assert rows[0]["meta"] == {"crm": 7}


async def test_search_job_pages_its_results_with_an_opaque_cursor(sandbox: Sandbox, cd: httpx.AsyncClient) -> None:
    answer = await launch(cd, "search-linkedin-people", [{"keywords": "engineer"}], {"max_results": 60})
    job_uid = answer.json()["job_uid"]
    assert (await finish(sandbox, cd, job_uid))["status"] == "completed"
    rows, pages = await all_results(cd, job_uid)
    assert len(rows) == (await cd.get(f"/jobs/{job_uid}")).json()["results_count"]
    assert len(rows) > 25
    assert pages == (len(rows) + 24) // 25
    assert len({row["linkedin_profile_url"] for row in rows}) == len(rows)
    bad = await cd.get(f"/jobs/{job_uid}/results", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400
    assert bad.json()["error_scope"] == "param"


async def test_company_employees_job_lists_people_of_that_company(sandbox: Sandbox, cd: httpx.AsyncClient) -> None:
    company = sandbox.samples()["companyUrls"][0]
    answer = await launch(cd, "extract-linkedin-company-employees", [{"linkedin_company_url": company}])
    job_uid = answer.json()["job_uid"]
    assert (await finish(sandbox, cd, job_uid))["status"] == "completed"
    rows, _ = await all_results(cd, job_uid)
    assert rows
    assert all(row["linkedin_profile_url"].startswith("https://www.linkedin.com/in/") for row in rows)


async def test_message_job_sends_through_the_same_world_as_linked_api(sandbox: Sandbox, cd: httpx.AsyncClient) -> None:
    connection = sandbox.samples()["connectionUrls"][0]
    answer = await launch(
        cd, "send-linkedin-message", [{"linkedin_profile_url": connection, "message": "Hello from Captain Data"}]
    )
    job_uid = answer.json()["job_uid"]
    assert (await finish(sandbox, cd, job_uid))["status"] == "completed"
    rows, _ = await all_results(cd, job_uid)
    assert rows == [{"linkedin_profile_url": connection, "message": "Hello from Captain Data", "status": "sent"}]
    # The Linked API side sees the message sent from the same account: its executed-actions log.
    day = sandbox.now()
    async with httpx.AsyncClient(
        transport=sandbox.transport(),
        base_url=sandbox.base_url,
        headers={"linked-api-token": "t", "identification-token": "i"},
    ) as linked:
        stats = await linked.get(
            "/stats/actions",
            params={"start": (day - timedelta(days=1)).isoformat(), "end": day.isoformat()},
        )
    sent = [a for a in stats.json()["result"] if a["actionType"] == "st.sendMessage"]
    assert [a["success"] for a in sent] == [True]


async def test_a_job_whose_every_input_failed_is_a_warning(sandbox: Sandbox, cd: httpx.AsyncClient) -> None:
    answer = await launch(
        cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": "https://www.linkedin.com/in/nobody-zz9"}]
    )
    job = await finish(sandbox, cd, answer.json()["job_uid"])
    assert job["status"] == "warning"
    assert "not an existing LinkedIn person" in job["error_message"]


async def test_cancel_stops_a_pending_job_and_jobs_are_listed_per_workflow(
    sandbox: Sandbox, cd: httpx.AsyncClient
) -> None:
    person = sandbox.samples()["personUrls"][0]
    first = (await launch(cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": person}])).json()
    second = (await launch(cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": person}])).json()
    stopped = await cd.post(f"/jobs/{second['job_uid']}/cancel")
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped"
    await finish(sandbox, cd, first["job_uid"])
    assert (await cd.get(f"/jobs/{second['job_uid']}")).json()["status"] == "stopped"
    jobs = (await cd.get(f"/workflows/{first['workflow']['uid']}/jobs", params={"page": 0})).json()
    assert [(j["uid"], j["status"]) for j in jobs["jobs"]] == [
        (second["job_uid"], "stopped"),
        (first["job_uid"], "completed"),
    ]
    assert jobs["next_page_exist"] is False
    missing = await cd.get("/jobs/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["error_label"] == "JOB_NOT_FOUND"


async def test_integration_account_is_the_sandbox_account_and_its_uid_is_accepted(
    sandbox: Sandbox, cd: httpx.AsyncClient
) -> None:
    accounts = (await cd.get("/integrations/linkedin/accounts")).json()
    (account,) = accounts["accounts"]
    assert account["name"] == sandbox.samples()["me"]["name"]
    assert "cookies" not in account
    workflow = await details(cd, "extract-linkedin-people-profile")
    person = sandbox.samples()["personUrls"][0]
    body = {
        "job_name": "with account",
        "inputs": [{"linkedin_profile_url": person}],
        "steps": [{"step_uid": workflow["steps"][0]["step_uid"], "accounts": [account["uid"]], "parameters": {}}],
    }
    assert (await cd.post(f"/workflows/{workflow['uid']}/schedule", json=body)).status_code == 200
    body["steps"][0]["accounts"] = ["someone-else"]  # type: ignore[index]
    refused = await cd.post(f"/workflows/{workflow['uid']}/schedule", json=body)
    assert refused.status_code == 400
    assert refused.json()["error_label"] == "ACCOUNT_NOT_FOUND"


@pytest.mark.parametrize(
    ("inputs", "parameters", "label"),
    [
        ([{"linkedin_profile_url": "https://example.com/x"}], None, "INVALID_INPUT"),
        ([{"keywords": "x"}], None, "INVALID_INPUT"),
        ([], None, "INVALID_INPUT"),
        ([{"linkedin_profile_url": "https://www.linkedin.com/in/a"}], {"max_results": 5}, "INVALID_PARAMETER"),
    ],
)
async def test_bad_launches_are_refused_and_start_nothing(
    sandbox: Sandbox,
    cd: httpx.AsyncClient,
    inputs: list[dict[str, Any]],
    parameters: dict[str, Any] | None,
    label: str,
) -> None:
    refused = await launch(cd, "extract-linkedin-people-profile", inputs, parameters)
    assert refused.status_code == 400
    assert refused.json()["error_label"] == label
    assert refused.json()["status_code"] == 400
    assert sandbox.scheduler.all() == []


async def test_auth_headers(sandbox: Sandbox, cd: httpx.AsyncClient) -> None:
    sandbox.captaindata.api_key = "test-cd-key"
    sandbox.captaindata.project_id = "test-project"
    assert (await cd.get("/workflows")).status_code == 200
    bare = await cd.get("/workflows", headers={"Authorization": "test-cd-key"})
    assert bare.status_code == 200  # the reference's generated cURL sends the bare key
    wrong = await cd.get("/workflows", headers={"Authorization": "x-api-key nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error_scope"] == "auth"
    missing = await cd.get("/workflows", headers={"x-project-id": ""})
    assert missing.status_code == 401
    other = await cd.get("/workflows", headers={"x-project-id": "another"})
    assert other.status_code == 404
    assert other.json()["error_label"] == "PROJECT_NOT_FOUND"


async def test_faults_apply_and_the_request_log_shows_a_dropped_launch_once(
    sandbox: Sandbox, cd: httpx.AsyncClient
) -> None:
    person = sandbox.samples()["personUrls"][0]
    workflow = await details(cd, "extract-linkedin-people-profile")
    sandbox.faults.add("rateLimit", method="GET", path="/v3/jobs", seconds=2)
    sandbox.faults.add("dropAfterAccept", method="POST", path="/v3/workflows")
    with pytest.raises(httpx.RemoteProtocolError):
        await launch(cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": person}])
    # The dropped launch created its job: one workflow exists, one POST is in the log.
    (record,) = sandbox.scheduler.all()
    job_uid = record.id.removeprefix("wf-")
    limited = await cd.get(f"/jobs/{job_uid}")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert (await cd.get(f"/jobs/{job_uid}")).json()["status"] == "pending"
    posts = [e for e in sandbox.requests if e.method == "POST" and e.path.startswith("/v3/")]
    assert [(e.path, e.outcome) for e in posts] == [(f"/v3/workflows/{workflow['uid']}/schedule", "dropped")]


async def test_a_lost_session_pauses_running_jobs(sandbox: Sandbox, cd: httpx.AsyncClient) -> None:
    person = sandbox.samples()["personUrls"][0]
    job_uid = (await launch(cd, "extract-linkedin-people-profile", [{"linkedin_profile_url": person}])).json()[
        "job_uid"
    ]
    sandbox.sign_out()
    job = (await cd.get(f"/jobs/{job_uid}")).json()
    assert job["status"] == "paused"
    assert job["error_message"]


async def test_jobs_survive_a_persistent_sandbox_restart_and_a_reset_forgets_them(tmp_path: Path) -> None:
    path = tmp_path / "account.pickle"
    first = Sandbox(seed=42, speed=0, persist_to=path)
    person = first.samples()["personUrls"][0]
    async with httpx.AsyncClient(
        transport=first.transport(), base_url=first.base_url + "/v3", headers=HEADERS
    ) as client:
        job_uid = (await launch(client, "extract-linkedin-people-profile", [{"linkedin_profile_url": person}])).json()[
            "job_uid"
        ]
    first.close()
    second = Sandbox(seed=42, speed=0, persist_to=path)
    async with httpx.AsyncClient(
        transport=second.transport(), base_url=second.base_url + "/v3", headers=HEADERS
    ) as client:
        assert (await client.get(f"/jobs/{job_uid}")).json()["name"] == "test extract-linkedin-people-profile"
        second.reset()
        assert (await client.get(f"/jobs/{job_uid}")).status_code == 404
    second.close()
