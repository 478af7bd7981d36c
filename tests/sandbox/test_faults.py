"""Injected faults, configured through ``/_sandbox/faults``, and how real clients react (§1.2, §9.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests

from linkedapi_mcp.sandbox import Sandbox, ServerThread

linkedapi = pytest.importorskip("linkedapi")
from linkedapi.errors import LinkedApiError  # noqa: E402

TOKENS = {"linked-api-token": "t", "identification-token": "i"}


def add_fault(live: ServerThread, **rule: Any) -> dict[str, Any]:
    response = requests.post(f"{live.base_url}/_sandbox/faults", json=rule, timeout=5)
    assert response.status_code == 200, response.text
    fault: dict[str, Any] = response.json()["fault"]
    return fault


def workflow_polls(live: ServerThread, workflow_id: str) -> int:
    return sum(1 for e in live.sandbox.requests if e.method == "GET" and e.path == f"/workflows/{workflow_id}")


def test_the_sdk_rides_out_15_html_server_errors_while_polling(sdk: Any, live: ServerThread) -> None:
    started = sdk.retrieve_ssi.execute()
    add_fault(live, kind="serverError", path="/workflows/", count=15)
    result = sdk.retrieve_ssi.result(started.workflow_id, poll_interval=0.001, timeout=10)
    assert result.data.ssi >= 0
    assert workflow_polls(live, started.workflow_id) >= 16


def test_the_sdk_gives_up_at_the_16th_consecutive_html_server_error(sdk: Any, live: ServerThread) -> None:
    started = sdk.retrieve_ssi.execute()
    add_fault(live, kind="serverError", path="/workflows/", count=16, status=502)
    with pytest.raises(LinkedApiError) as raised:
        sdk.retrieve_ssi.result(started.workflow_id, poll_interval=0.001, timeout=10)
    assert raised.value.type == "httpError"
    assert "HTTP 502" in raised.value.message
    assert workflow_polls(live, started.workflow_id) == 16


def test_an_enveloped_server_error_stops_polling_at_once(sdk: Any, live: ServerThread) -> None:
    started = sdk.retrieve_ssi.execute()
    add_fault(live, kind="serverErrorEnveloped", path="/workflows/")
    with pytest.raises(LinkedApiError) as raised:
        sdk.retrieve_ssi.result(started.workflow_id, poll_interval=0.001, timeout=10)
    assert raised.value.type == "internalServerError"
    assert workflow_polls(live, started.workflow_id) == 1


def test_a_rate_limited_start_raises_too_many_requests_with_retry_after(sdk: Any, live: ServerThread) -> None:
    add_fault(live, kind="rateLimit", method="POST", path="/workflows", seconds=7)
    with pytest.raises(LinkedApiError) as raised:
        sdk.retrieve_ssi.execute()
    assert raised.value.type == "tooManyRequests"
    assert live.sandbox.workflows() == []
    add_fault(live, kind="rateLimit")
    response = requests.get(f"{live.base_url}/account", headers=TOKENS, timeout=5)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")


def test_a_connection_dropped_after_accept_is_an_http_error_but_the_workflow_exists(
    sdk: Any, live: ServerThread
) -> None:
    add_fault(live, kind="dropAfterAccept")
    with pytest.raises(LinkedApiError) as raised:
        sdk.retrieve_ssi.execute()
    assert raised.value.type == "httpError"
    assert raised.value.message.startswith("Request error")
    workflows = requests.get(f"{live.base_url}/_sandbox/workflows", timeout=5).json()["workflows"]
    assert [w["definition"] for w in workflows] == [{"actionType": "st.retrieveSSI"}]
    assert live.sandbox.requests[-1].outcome == "dropped"


def test_malformed_json_makes_the_sdk_fail(sdk: Any, live: ServerThread) -> None:
    add_fault(live, kind="malformedJson", path="/account")
    with pytest.raises(LinkedApiError) as raised:
        sdk.get_account_info()
    assert raised.value.type == "httpError"


def test_a_signed_out_account_refuses_new_workflows(sdk: Any, live: ServerThread) -> None:
    add_fault(live, kind="signedOut")
    with pytest.raises(LinkedApiError) as raised:
        sdk.retrieve_ssi.execute()
    assert raised.value.type == "linkedinAccountSignedOut"
    assert live.sandbox.workflows() == []


def test_signing_out_fails_running_workflows(sdk: Any, live: ServerThread) -> None:
    live.sandbox.set_speed(0)
    started = sdk.retrieve_ssi.execute()
    add_fault(live, kind="signedOut", method="GET")
    with pytest.raises(LinkedApiError) as raised:
        sdk.retrieve_ssi.result(started.workflow_id, poll_interval=0.001, timeout=5)
    assert raised.value.type == "linkedinAccountSignedOut"
    assert "reconnect" in raised.value.message


def test_an_invalid_token_fault_answers_invalid_linked_api_token(sdk: Any, live: ServerThread) -> None:
    add_fault(live, kind="invalidToken", count=2)
    with pytest.raises(LinkedApiError) as raised:
        sdk.get_account_info()
    assert raised.value.type == "invalidLinkedApiToken"
    assert len(requests.get(f"{live.base_url}/_sandbox/faults", timeout=5).json()["faults"]) == 1
    requests.delete(f"{live.base_url}/_sandbox/faults", timeout=5)
    assert sdk.get_account_info().data.name


def test_a_slow_answer_past_the_read_timeout_is_a_read_timeout_over_a_real_socket(live: ServerThread) -> None:
    add_fault(live, kind="slow", seconds=2.0, path="/account")  # held far past the read timeout
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{live.base_url}/account", headers=TOKENS, timeout=httpx.Timeout(0.2, connect=30.0))


def test_unknown_fault_kinds_are_refused(live: ServerThread) -> None:
    response = requests.post(f"{live.base_url}/_sandbox/faults", json={"kind": "meteorStrike"}, timeout=5)
    assert response.status_code == 400
    assert "meteorStrike" in response.json()["error"]


# -- the in-process transport fails like a socket ---------------------------------------------------


@pytest.mark.anyio
async def test_in_process_a_drop_is_a_remote_protocol_error_after_the_workflow_was_created() -> None:
    sandbox = Sandbox(speed=0)
    sandbox.faults.add("dropAfterAccept")
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url, headers=TOKENS) as c:
        with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected without sending a response"):
            await c.post("/workflows", json={"actionType": "st.retrieveSSI"})
    assert len(sandbox.workflows()) == 1


@pytest.mark.anyio
async def test_in_process_a_slow_answer_past_the_read_timeout_is_a_read_timeout() -> None:
    sandbox = Sandbox(speed=0)
    sandbox.faults.add("slow", seconds=0.5)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url, headers=TOKENS) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.post("/workflows", json={"actionType": "st.retrieveSSI"}, timeout=0.05)
        # The server did the work, as a real one would have.
        assert len(sandbox.workflows()) == 1
        sandbox.faults.add("slow", seconds=0.01)
        assert (await c.get("/account", timeout=30)).status_code == 200


@pytest.mark.anyio
async def test_a_rule_only_hits_its_method_and_path_and_an_unlimited_one_stays_until_cleared() -> None:
    sandbox = Sandbox(speed=0)
    sandbox.faults.add("serverError", method="GET", path="/workflows/", count=None)
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url, headers=TOKENS) as c:
        started = await c.post("/workflows", json={"actionType": "st.retrieveSSI"})
        assert started.status_code == 200
        workflow_id = started.json()["result"]["workflowId"]
        for _ in range(3):
            assert (await c.get(f"/workflows/{workflow_id}")).status_code == 503
        assert (await c.get("/account")).status_code == 200
        assert (await c.delete("/_sandbox/faults")).json() == {"faults": []}
        assert (await c.get(f"/workflows/{workflow_id}")).status_code == 200
    assert [e.fault for e in sandbox.requests][:4] == [None, "serverError", "serverError", "serverError"]
