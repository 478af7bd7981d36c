"""The world answers the fixtures' requests with the fixtures' shapes (key sets, not values)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from linkedapi_mcp.actions import validate_definition
from linkedapi_mcp.sandbox.world import World

from ..conftest import shared_fixtures

FIXTURES = shared_fixtures()
EPOCH = datetime(2026, 8, 20, 9, 0, tzinfo=UTC)
NOW = EPOCH + timedelta(hours=2)

def _exchanges(prefix: str) -> list[dict[str, Any]]:
    path = next(FIXTURES.glob(f"{prefix}-*.json"))
    return list(json.loads(path.read_text())["exchanges"])


def _workflows(prefix: str) -> list[tuple[Any, Any]]:
    """(request definition, completion) pairs of one fixture file, in order."""
    ex = _exchanges(prefix)
    starts = [e["request"]["body"] for e in ex
              if e["request"]["method"] == "POST" and e["request"]["path"] == "/workflows"]
    done = [e["response"]["body"]["result"]["completion"] for e in ex
            if e["request"]["method"] == "GET" and "completion" in (e["response"]["body"].get("result") or {})]
    return list(zip(starts, done, strict=False))


def _localise(node: Any, world: World) -> Any:
    """Point the fixture's targets at this world's objects; drop term/filter so results are non-empty."""
    s = world.samples()
    subst = {"personUrl": s["connectionUrls"][0], "threadId": s["threadIds"][0], "companyUrl": s["companyUrls"][0],
             "postUrl": s["postUrls"][0], "jobUrl": s["jobUrls"][0]}
    if isinstance(node, list):
        return [_localise(n, world) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("term", "filter"):
            continue
        if key in subst and not any(bad in str(value) for bad in ("no-such", "deleted")):
            value = subst[key]
        out[key] = _localise(value, world)
    return out


def _compare(fixture: Any, ours: Any, path: str) -> None:
    if fixture is None or ours is None:
        return
    if isinstance(fixture, dict) and isinstance(ours, dict):
        if "success" in fixture and fixture["success"] != ours.get("success"):
            return
        if fixture.get("type") in ("person", "company") and fixture.get("type") != ours.get("type"):
            return
        assert set(fixture) == set(ours), f"{path}: fixture {sorted(fixture)} vs world {sorted(ours)}"
        for key in fixture:
            _compare(fixture[key], ours[key], f"{path}.{key}")
    elif isinstance(fixture, list) and isinstance(ours, list):
        for i, (a, b) in enumerate(zip(fixture, ours, strict=False)):
            _compare(a, b, f"{path}[{i}]")
    else:
        assert isinstance(fixture, dict) == isinstance(ours, dict), path
        assert isinstance(fixture, list) == isinstance(ours, list), path


@pytest.mark.parametrize("prefix", ["01", "02", "03", "04", "05", "07", "08", "09", "10", "11", "17"])
def test_completions_have_the_fixture_shapes(prefix: str) -> None:
    pairs = _workflows(prefix)
    assert pairs
    for request, completion in pairs:
        world = World(3, epoch=EPOCH, sales_navigator=completion_has_nv_access(completion))
        definition = _localise(request, world)
        validate_definition(definition)
        ours = world.execute(definition, NOW)
        roots = list(zip(completion, ours, strict=True)) if isinstance(completion, list) else [(completion, ours)]
        assert [a["success"] for a, _ in roots] == [b["success"] for _, b in roots] or prefix == "07"
        _compare(completion, ours, f"{prefix}:completion")


def completion_has_nv_access(completion: Any) -> bool:
    return "noSalesNavigator" not in json.dumps(completion)


def test_direct_endpoint_results_have_the_fixture_shapes() -> None:
    world = World(3, epoch=EPOCH)
    s = world.samples()
    person = s["connectionUrls"][0]
    inviter = next(i.person for i in world.invitations if i.type == "connect")
    world.execute([{"actionType": "st.syncInbox"}, {"actionType": "st.syncNetwork"},
                   {"actionType": "st.syncConversation", "personUrl": person}], NOW)
    later = NOW + timedelta(minutes=5)
    world.execute([{"actionType": "st.sendMessage", "personUrl": person, "text": "Hi"},
                   {"actionType": "st.acceptInvitation", "invitationType": "connect",
                    "personUrl": inviter.public_url}], later)
    world.inject_incoming_message(person, "Hello back", later + timedelta(minutes=1))
    for e in _exchanges("15"):
        req, body = e["request"], e["response"]["body"]
        if not body.get("success"):
            continue
        path = req["path"].split("?")[0]
        if path == "/account":
            ours: Any = world.account_info()
        elif path == "/stats/actions":
            ours = world.action_stats(EPOCH, later + timedelta(hours=1))
        elif path == "/inbox/poll":
            ours = world.poll_inbox({**req["body"], **({"personUrl": person} if "personUrl" in req["body"] else {}),
                                     "since": None})
        elif path == "/network/poll":
            ours = world.poll_network({"type": "connectionAdded"})
            body = json.loads(json.dumps(body).replace("connectionAccepted", "connectionAdded"))
        elif path == "/conversations/poll":
            ours = world.poll_conversations([{**req["body"][0], "personUrl": person}])
        else:
            continue
        assert ours, path
        _compare(body["result"], ours, path)
