"""The sandbox speaks the Linked API contract: envelopes, auth, workflow lifecycle, admin, stats."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from linkedapi_mcp.sandbox import Sandbox, WorkingHours

pytestmark = pytest.mark.anyio

SSI = {"actionType": "st.retrieveSSI"}


async def start(client: httpx.AsyncClient, definition: Any = SSI) -> str:
    response = await client.post("/workflows", json=definition)
    assert response.status_code == 200, response.text
    workflow_id: str = response.json()["result"]["workflowId"]
    return workflow_id


async def status(client: httpx.AsyncClient, workflow_id: str) -> dict[str, Any]:
    response = await client.get(f"/workflows/{workflow_id}")
    assert response.json()["success"] is True
    result: dict[str, Any] = response.json()["result"]
    return result


# -- auth -------------------------------------------------------------------------------------------


async def test_a_missing_linked_api_token_is_refused_before_anything_else(client: httpx.AsyncClient) -> None:
    request = client.build_request("POST", "/workflows", json={"nonsense": True})
    del request.headers["linked-api-token"]
    response = await client.send(request)
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": {"type": "linkedApiTokenRequired", "message": "'linked-api-token' is missing in request headers."},
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"linked-api-token": ""}, "linkedApiTokenRequired"),
        ({"identification-token": " "}, "identificationTokenRequired"),
    ],
)
async def test_an_empty_token_is_a_missing_token(
    client: httpx.AsyncClient, headers: dict[str, str], expected: str
) -> None:
    response = await client.get("/account", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == expected


async def test_the_main_api_needs_an_identification_token_but_the_admin_api_does_not(
    client: httpx.AsyncClient,
) -> None:
    request = client.build_request("GET", "/account")
    del request.headers["identification-token"]
    response = await client.send(request)
    assert response.json()["error"] == {
        "type": "identificationTokenRequired",
        "message": "'identification-token' is missing in request headers.",
    }
    admin = client.build_request("POST", "/admin/subscription.getStatus")
    del admin.headers["identification-token"]
    assert (await client.send(admin)).json()["success"] is True


async def test_pinned_tokens_make_any_other_value_invalid() -> None:
    sandbox = Sandbox(speed=0, linked_api_token="right", identification_token="right-id")
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url) as c:
        wrong = await c.get("/account", headers={"linked-api-token": "wrong", "identification-token": "right-id"})
        right = await c.get("/account", headers={"linked-api-token": "right", "identification-token": "right-id"})
    assert wrong.json()["error"]["type"] == "invalidLinkedApiToken"
    assert "wrong" not in wrong.text
    assert right.json()["success"] is True


# -- workflows --------------------------------------------------------------------------------------


async def test_a_workflow_goes_pending_then_running_then_completed_as_virtual_time_passes(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post("/workflows", json=SSI)
    ack = response.json()["result"]
    assert ack["workflowId"].startswith("wf-")
    assert (ack["workflowStatus"], ack["pendingReason"]) == ("pending", "queued")

    assert (await status(client, ack["workflowId"]))["workflowStatus"] == "pending"
    sandbox.advance(3)
    running = await status(client, ack["workflowId"])
    assert running["workflowStatus"] == "running"
    sandbox.advance(3600)
    done = await status(client, ack["workflowId"])
    assert done["workflowStatus"] == "completed"
    assert done["completion"]["actionType"] == "st.retrieveSSI"
    assert done["completion"]["success"] is True
    assert all("workflowId" not in snapshot for snapshot in (running, done))


async def test_a_second_workflow_stays_queued_while_the_first_runs(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    first = await start(client)
    second = await start(client)
    sandbox.advance(3)
    assert (await status(client, first))["workflowStatus"] == "running"
    queued = await status(client, second)
    assert (queued["workflowStatus"], queued["pendingReason"]) == ("pending", "queued")
    sandbox.advance(3600)
    assert (await status(client, second))["workflowStatus"] == "completed"
    described = {w["workflowId"]: w for w in sandbox.workflows()}
    assert described[second]["startedAt"] >= described[first]["finishedAt"]


async def test_a_definition_that_breaks_a_constraint_is_refused_naming_the_rule_and_nothing_is_created(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post("/workflows", json={"actionType": "st.retrievePersonSkills"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalidWorkflow"
    assert "st.retrievePersonSkills" in error["message"]
    assert "root" in error["message"]
    assert sandbox.workflows() == []


async def test_a_body_that_is_not_json_is_an_invalid_payload(client: httpx.AsyncClient) -> None:
    response = await client.post("/workflows", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalidRequestPayload"


async def test_sales_navigator_actions_need_a_plus_seat(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    sandbox.set_account(seat="core")
    response = await client.post("/workflows", json={"actionType": "nv.searchPeople", "term": "cto"})
    assert response.status_code == 403
    assert response.json()["error"] == {
        "type": "plusPlanRequired",
        "message": "Some actions in this workflow require the Plus plan.",
    }
    assert sandbox.workflows() == []


async def test_cancelling_a_pending_workflow_fails_it_and_a_second_cancel_reports_false(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    workflow_id = await start(client)
    first = await client.delete(f"/workflows/{workflow_id}")
    assert first.json() == {"success": True, "result": {"cancelled": True}}
    snapshot = await status(client, workflow_id)
    assert snapshot["workflowStatus"] == "failed"
    assert snapshot["failure"]["reason"] == "workflowCancelled"
    again = await client.delete(f"/workflows/{workflow_id}")
    assert again.json()["result"] == {"cancelled": False}


async def test_cancelling_a_running_workflow_frees_the_account_for_the_next(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    first = await start(client)
    second = await start(client)
    sandbox.advance(3)
    assert (await client.delete(f"/workflows/{first}")).json()["result"]["cancelled"] is True
    sandbox.advance(3)
    assert (await status(client, second))["workflowStatus"] in ("running", "completed")


async def test_an_unknown_workflow_id_is_a_404_envelope(client: httpx.AsyncClient) -> None:
    for method in ("GET", "DELETE"):
        response = await client.request(method, "/workflows/wf-00000000-0000-4000-8000-000000000000")
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "workflowNotFound"


# -- working hours ----------------------------------------------------------------------------------


async def test_outside_working_hours_a_workflow_is_parked_with_the_opening_time(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    # The default epoch is Monday 2026-11-23 09:00 UTC; this account only works Tuesday–Friday.
    sandbox.set_working_hours(WorkingHours(timezone="Europe/Berlin", days=(1, 2, 3, 4)))
    response = await client.post("/workflows", json=SSI)
    ack = response.json()["result"]
    assert ack["pendingReason"] == "outsideWorkingHours"
    expected = (
        "This workflow is scheduled and will start when the account working hours open at "
        "Tue, Nov 24, 09:00 (Europe/Berlin)."
    )
    assert ack["message"] == expected
    sandbox.advance(6 * 3600)
    parked = await status(client, ack["workflowId"])
    assert (parked["workflowStatus"], parked["pendingReason"], parked["message"]) == (
        "pending",
        "outsideWorkingHours",
        expected,
    )
    sandbox.advance(24 * 3600)
    assert (await status(client, ack["workflowId"]))["workflowStatus"] == "completed"


async def test_the_reject_policy_refuses_new_work_outside_working_hours(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.set_working_hours(WorkingHours(days=(5, 6), policy="reject"))
    response = await client.post("/workflows", json=SSI)
    assert response.json()["error"]["type"] == "outsideWorkingHours"
    assert sandbox.workflows() == []


async def test_a_parked_workflow_past_its_maximum_wait_fails_with_wait_expired(
    sandbox: Sandbox, client: httpx.AsyncClient
) -> None:
    sandbox.set_working_hours(WorkingHours(days=(4,), max_wait_seconds=3600))
    workflow_id = await start(client)
    sandbox.advance(3601)
    snapshot = await status(client, workflow_id)
    assert snapshot["workflowStatus"] == "failed"
    assert snapshot["failure"]["reason"] == "workingHoursWaitExpired"


async def test_working_hours_are_configurable_over_http(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_sandbox/working-hours",
        json={"timezone": "Europe/Stockholm", "days": ["sat"], "start": "10:00", "end": "12:00"},
    )
    assert response.json()["workingHours"]["days"] == ["sat"]
    ack = (await client.post("/workflows", json=SSI)).json()["result"]
    assert ack["message"].endswith("open at Sat, Nov 28, 10:00 (Europe/Stockholm).")
    bad = await client.post("/_sandbox/working-hours", json={"timezone": "Mars/Olympus"})
    assert bad.status_code == 400


# -- direct endpoints -------------------------------------------------------------------------------


async def test_account_info_names_the_account(client: httpx.AsyncClient) -> None:
    result = (await client.get("/account")).json()["result"]
    assert set(result) == {"name", "url"}
    assert result["name"]
    assert result["url"].startswith("https://www.linkedin.com/in/")


async def test_usage_statistics_refuse_periods_longer_than_30_days(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/stats/actions", params={"start": "2026-10-01T00:00:00Z", "end": "2026-11-23T00:00:00Z"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalidRequestPayload"
    ok = await client.get("/stats/actions", params={"start": "2026-11-01T00:00:00Z", "end": "2026-11-23T00:00:00Z"})
    assert isinstance(ok.json()["result"], list)


async def test_completed_actions_appear_in_usage_statistics(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    await start(client)
    sandbox.advance(3600)
    response = await client.get(
        "/stats/actions", params={"start": "2026-11-23T00:00:00Z", "end": "2026-11-24T00:00:00Z"}
    )
    assert "st.retrieveSSI" in {entry["actionType"] for entry in response.json()["result"]}


async def test_unknown_paths_answer_a_404_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["success"] is False


# -- admin ------------------------------------------------------------------------------------------


async def admin(client: httpx.AsyncClient, name: str, body: Any = None) -> httpx.Response:
    # The SDK sends parameterless admin calls with no body at all but a JSON content type.
    if body is None:
        return await client.post(f"/admin/{name}", headers={"content-type": "application/json"})
    return await client.post(f"/admin/{name}", json=body)


async def test_admin_calls_without_a_body_are_accepted(client: httpx.AsyncClient) -> None:
    for name in ("subscription.getStatus", "subscription.getSeats", "accounts.getAll", "limits.getDefaults"):
        response = await admin(client, name)
        assert response.json()["success"] is True, name
    seats = (await admin(client, "subscription.getSeats")).json()["result"]["seats"]
    assert seats[0]["seatType"] == "plus"


async def test_account_scoped_admin_calls_need_a_known_account_id(client: httpx.AsyncClient) -> None:
    missing = await admin(client, "limits.get", {})
    assert (missing.status_code, missing.json()["error"]["type"]) == (401, "accountIdRequired")
    unknown = await admin(client, "limits.get", {"accountId": "00000000-0000-4000-8000-000000000000"})
    assert (unknown.status_code, unknown.json()["error"]["type"]) == (401, "accountNotFound")


async def test_limits_set_through_the_admin_api_are_read_back(client: httpx.AsyncClient) -> None:
    account_id = (await admin(client, "accounts.getAll")).json()["result"]["accounts"][0]["id"]
    limit = {"category": "stMessages", "period": "daily", "maxValue": 25, "isEnabled": True}
    set_response = await admin(client, "limits.set", {"accountId": account_id, "limits": [limit]})
    assert set_response.json() == {"success": True}
    limits = (await admin(client, "limits.get", {"accountId": account_id})).json()["result"]["limits"]
    assert limit in limits
    usage = (await admin(client, "limits.getUsage", {"accountId": account_id})).json()["result"]["usage"]
    assert isinstance(usage, list)
    reset = await admin(client, "limits.resetToDefaults", {"accountId": account_id})
    assert reset.json() == {"success": True}


async def test_an_unknown_connection_session_is_a_404(client: httpx.AsyncClient) -> None:
    response = await admin(client, "accounts.getConnectionSession", {"sessionId": "nope"})
    assert (response.status_code, response.json()["error"]["type"]) == (404, "sessionNotFound")
    created = (await admin(client, "accounts.createConnectionSession")).json()["result"]
    session = await admin(client, "accounts.getConnectionSession", {"sessionId": created["sessionId"]})
    assert session.json()["result"]["session"]["status"] == "pending"


async def test_the_admin_api_allows_100_requests_per_minute(client: httpx.AsyncClient) -> None:
    for _ in range(100):
        assert (await admin(client, "subscription.getStatus")).status_code == 200
    limited = await admin(client, "subscription.getStatus")
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "tooManyRequests"
    assert int(limited.headers["Retry-After"]) >= 1


# -- determinism and introspection ------------------------------------------------------------------


async def exchange(sandbox: Sandbox) -> list[bytes]:
    bodies = []
    async with httpx.AsyncClient(
        transport=sandbox.transport(),
        base_url=sandbox.base_url,
        headers={"linked-api-token": "t", "identification-token": "i"},
    ) as c:
        samples = (await c.get("/_sandbox/samples")).json()
        first = await c.post("/workflows", json={"actionType": "st.searchPeople", "term": "engineer", "limit": 5})
        second = await c.post(
            "/workflows",
            json={"actionType": "st.openPersonPage", "personUrl": samples["personUrls"][0], "basicInfo": True},
        )
        bodies += [first.content, second.content]
        sandbox.advance(7200)
        for ack in (first, second):
            bodies.append((await c.get(f"/workflows/{ack.json()['result']['workflowId']}")).content)
        bodies.append((await c.get("/account")).content)
    return bodies


async def test_the_same_seed_gives_byte_identical_answers() -> None:
    assert await exchange(Sandbox(seed=7, speed=0)) == await exchange(Sandbox(seed=7, speed=0))


async def test_the_request_log_records_api_calls_without_headers(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    await client.get("/account")
    await client.get("/_sandbox/clock")
    log = (await client.get("/_sandbox/requests")).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [("GET", "/account", 200)]
    assert "test-linked-api-token" not in str(log)
    assert "virtualTime" in log[0]
    await client.delete("/_sandbox/requests")
    assert len(sandbox.requests) == 0


async def test_the_clock_can_be_sped_up_and_advanced_over_http(client: httpx.AsyncClient) -> None:
    before = (await client.get("/_sandbox/clock")).json()
    assert before["now"] == "2026-11-23T09:00:00Z"
    after = (await client.post("/_sandbox/clock", json={"advance": 90, "speed": 0})).json()
    assert after["now"] == "2026-11-23T09:01:30Z"
    assert after["speed"] == 0


async def test_reset_starts_a_new_world_and_forgets_workflows(sandbox: Sandbox, client: httpx.AsyncClient) -> None:
    await start(client)
    sandbox.advance(100)
    response = await client.post("/_sandbox/reset", json={"seed": 5})
    assert response.json()["seed"] == 5
    assert (await client.get("/_sandbox/workflows")).json() == {"workflows": []}
    assert (await client.get("/_sandbox/clock")).json()["now"] == "2026-11-23T09:00:00Z"


async def test_samples_list_known_urls(client: httpx.AsyncClient) -> None:
    samples = (await client.get("/_sandbox/samples")).json()
    assert samples["personUrls"]


async def test_limits_with_an_unknown_category_are_refused(client: httpx.AsyncClient) -> None:
    account_id = (await admin(client, "accounts.getAll")).json()["result"]["accounts"][0]["id"]
    bogus = {"category": "stTeleportations", "period": "daily", "maxValue": 3}
    response = await admin(client, "limits.set", {"accountId": account_id, "limits": [bogus]})
    assert response.status_code == 400
    assert "stTeleportations" in response.json()["error"]["message"]


async def test_reset_drops_runtime_changes_to_the_account_and_working_hours(sandbox: Sandbox) -> None:
    sandbox.set_account(seat="core", sales_navigator=False)
    sandbox.set_working_hours(WorkingHours(days=(5,)))
    sandbox.set_speed(5)
    sandbox.reset()
    assert (sandbox.config.seat, sandbox.config.sales_navigator, sandbox.config.working_hours) == ("plus", True, None)
    assert sandbox.world.sales_navigator is True
    assert sandbox.clock.speed == 0
