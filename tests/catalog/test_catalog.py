"""The catalog as a whole: every operation present, named, described, bounded and flat."""

from __future__ import annotations

import re
from typing import Any

import pytest

from linkedapi_mcp.catalog import CATALOG, Operation, by_operation_name

SDK_OPERATIONS = [
    "customWorkflow",
    "fetchPerson",
    "nvFetchPerson",
    "fetchCompany",
    "nvFetchCompany",
    "fetchPost",
    "fetchJob",
    "searchPeople",
    "nvSearchPeople",
    "searchCompanies",
    "nvSearchCompanies",
    "searchJobs",
    "searchPosts",
    "checkConnectionStatus",
    "retrievePendingRequests",
    "retrieveInvitations",
    "retrieveConnections",
    "retrieveFeed",
    "retrieveProfileViewers",
    "retrieveSSI",
    "retrievePerformance",
    "syncConversation",
    "nvSyncConversation",
    "syncInbox",
    "nvSyncInbox",
    "syncNetwork",
    "sendMessage",
    "nvSendMessage",
    "manageConversation",
    "nvManageConversation",
    "sendConnectionRequest",
    "withdrawConnectionRequest",
    "acceptInvitation",
    "ignoreInvitation",
    "removeConnection",
    "reactToPost",
    "commentOnPost",
    "reactToComment",
    "replyToComment",
    "createPost",
    "createRepost",
    "endorsePersonSkill",
    "endorsePersonSkills",
]
DIRECT_READS = {
    "pollConversations": "get_conversation",
    "nvPollConversations": "nv_get_conversation",
    "pollInbox": "get_inbox",
    "pollNetwork": "get_network",
    "getAccountInfo": "get_account_info",
    "getApiUsage": "get_api_usage",
}
# Contract §9.2: the official server's tool names (minus get_workflow_result, which the MCP layer owns).
OFFICIAL_TOOLS = [
    "send_message",
    "get_conversation",
    "sync_inbox",
    "get_inbox",
    "sync_network",
    "get_network",
    "manage_conversation",
    "check_connection_status",
    "retrieve_connections",
    "send_connection_request",
    "withdraw_connection_request",
    "retrieve_pending_requests",
    "retrieve_invitations",
    "accept_invitation",
    "ignore_invitation",
    "remove_connection",
    "search_companies",
    "search_people",
    "search_jobs",
    "fetch_company",
    "fetch_person",
    "fetch_post",
    "fetch_job",
    "react_to_post",
    "comment_on_post",
    "react_to_comment",
    "reply_to_comment",
    "create_post",
    "retrieve_feed",
    "retrieve_profile_viewers",
    "retrieve_ssi",
    "retrieve_performance",
    "nv_send_message",
    "nv_get_conversation",
    "nv_sync_inbox",
    "nv_manage_conversation",
    "nv_search_companies",
    "nv_search_people",
    "nv_fetch_company",
    "nv_fetch_person",
    "execute_custom_workflow",
    "get_api_usage",
]
# Contract §5.0 effect column (R/M/W); customWorkflow "depends" → write (the safe assumption).
MONITOR = {"syncConversation", "nvSyncConversation", "syncInbox", "nvSyncInbox", "syncNetwork"}
WRITE = {
    "customWorkflow",
    "sendMessage",
    "nvSendMessage",
    "manageConversation",
    "nvManageConversation",
    "sendConnectionRequest",
    "withdrawConnectionRequest",
    "acceptInvitation",
    "ignoreInvitation",
    "removeConnection",
    "reactToPost",
    "commentOnPost",
    "reactToComment",
    "replyToComment",
    "createPost",
    "createRepost",
    "endorsePersonSkill",
    "endorsePersonSkills",
}
# Contract §5.3 bounds: (operation, field path, minimum, maximum).
NUMERIC_BOUNDS = [
    ("fetchPerson", "postsRetrievalConfig.limit", 1, 20),
    ("fetchPerson", "commentsRetrievalConfig.limit", 1, 20),
    ("fetchPerson", "reactionsRetrievalConfig.limit", 1, 20),
    ("fetchCompany", "employeesRetrievalConfig.limit", 1, 500),
    ("fetchCompany", "dmsRetrievalConfig.limit", 1, 20),
    ("fetchCompany", "postsRetrievalConfig.limit", 1, 20),
    ("nvFetchCompany", "employeesRetrievalConfig.limit", 1, 500),
    ("nvFetchCompany", "dmsRetrievalConfig.limit", 1, 20),
    ("fetchPost", "commentsRetrievalConfig.limit", 1, 500),
    ("fetchPost", "reactionsRetrievalConfig.limit", 1, 1000),
    ("searchPeople", "limit", 1, 1000),
    ("nvSearchPeople", "limit", 1, 2500),
    ("searchCompanies", "limit", 1, 1000),
    ("nvSearchCompanies", "limit", 1, 1000),
    ("searchJobs", "limit", 1, 1000),
    ("searchPosts", "limit", 1, 100),
    ("retrieveConnections", "limit", 1, 1000),
    ("retrieveFeed", "limit", 1, 100),
    ("retrieveProfileViewers", "limit", 1, 300),
    ("syncConversation", "days", 1, 90),
    ("nvSyncConversation", "days", 1, 90),
]
DEFAULTS = [
    ("fetchPerson", "postsRetrievalConfig.limit", 20),
    ("fetchCompany", "employeesRetrievalConfig.limit", 500),
    ("fetchPost", "commentsRetrievalConfig.limit", 10),
    ("fetchPost", "reactionsRetrievalConfig.limit", 10),
    ("searchPeople", "limit", 10),
    ("nvSearchPeople", "limit", 25),
    ("nvSearchCompanies", "limit", 25),
    ("searchPosts", "limit", 10),
    ("retrieveFeed", "limit", 20),
    ("retrieveProfileViewers", "limit", 20),
    ("syncConversation", "days", 30),
    ("withdrawConnectionRequest", "unfollow", True),
    ("reactToComment", "type", "like"),
    ("searchJobs", "allowSimilarResults", True),
]
TEXT_LIMITS = [
    ("sendMessage", "text", 1900),
    ("nvSendMessage", "text", 1900),
    ("nvSendMessage", "subject", 80),
    ("commentOnPost", "text", 1000),
    ("replyToComment", "text", 1000),
    ("createPost", "text", 3000),
]


def schema_of(op: Operation) -> dict[str, Any]:
    return op.params.model_json_schema(by_alias=True)


def field_schema(op: Operation, path: str) -> dict[str, Any]:
    schema = schema_of(op)
    node: dict[str, Any] = schema
    for part in path.split("."):
        node = node["properties"][part]
        ref = node.get("$ref") or next((s["$ref"] for s in node.get("anyOf", []) if "$ref" in s), None)
        if ref and part != path.split(".")[-1]:
            node = schema["$defs"][ref.rsplit("/", 1)[-1]]
    return node


def all_properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    objects = [("", schema)] + [(f"{name}.", d) for name, d in schema.get("$defs", {}).items()]
    return [(prefix + n, p) for prefix, obj in objects for n, p in obj.get("properties", {}).items()]


def test_every_sdk_operation_and_direct_read_is_in_the_catalog() -> None:
    assert len(SDK_OPERATIONS) == 43
    names = {op.name for op in CATALOG.values()}
    assert names == set(SDK_OPERATIONS) | set(DIRECT_READS)
    for name, tool in DIRECT_READS.items():
        assert by_operation_name(name).tool == tool
        assert by_operation_name(name).kind == "direct"


def test_tool_names_are_unique_valid_and_the_official_servers_where_it_has_one() -> None:
    tools = [op.tool for op in CATALOG.values()]
    assert len(tools) == len(set(tools)) == 49
    assert all(re.fullmatch(r"[a-z0-9_]{1,64}", t) for t in tools)
    assert set(OFFICIAL_TOOLS) <= set(tools)
    assert all(CATALOG[t].tool == t for t in tools)


def test_effects_follow_the_contract_legend() -> None:
    for op in CATALOG.values():
        expected = "monitor" if op.name in MONITOR else "write" if op.name in WRITE else "read"
        assert op.effect == expected, op.name


@pytest.mark.parametrize("tool", list(CATALOG))
def test_the_operation_is_complete_and_briefly_described(tool: str) -> None:
    op = CATALOG[tool]
    if op.kind == "workflow":
        assert op.build is not None
        assert op.map is not None
        assert op.call is None
        assert (op.root_action is None) == (op.name == "customWorkflow")
    else:
        assert op.call is not None
        assert op.build is None
    assert op.title
    assert 20 <= len(op.description) <= 260
    assert op.description.count(". ") <= 1, "at most two sentences"


@pytest.mark.parametrize("tool", list(CATALOG))
def test_the_input_schema_is_flat_closed_and_every_field_is_described(tool: str) -> None:
    schema = schema_of(CATALOG[tool])
    assert schema["type"] == "object"
    assert not {"anyOf", "oneOf", "allOf"} & set(schema), "no top-level combinators"
    assert schema.get("additionalProperties") is False
    undocumented = [name for name, prop in all_properties(schema) if not prop.get("description")]
    # Issue 11 (a listing within 40,000 bytes): a description that would only repeat the name is
    # left out — a search's `term`, and a `…RetrievalConfig` object beside the `retrieve…` flag that
    # is described, whose own fields each are (checked here too: they are in $defs).
    assert [n for n in undocumented if n != "term" and not n.endswith("RetrievalConfig")] == []
    nullable = [n for n, p in schema["properties"].items() if {"type": "null"} in p.get("anyOf", [])]
    assert nullable == [], "optional arguments are shown as their plain type"


@pytest.mark.parametrize(("operation", "path", "minimum", "maximum"), NUMERIC_BOUNDS)
def test_documented_numeric_bounds_are_in_the_schema(operation: str, path: str, minimum: int, maximum: int) -> None:
    node = field_schema(by_operation_name(operation), path)
    assert (node.get("minimum"), node.get("maximum")) == (minimum, maximum)


@pytest.mark.parametrize(("operation", "path", "default"), DEFAULTS)
def test_documented_defaults_are_in_the_schema(operation: str, path: str, default: Any) -> None:
    assert field_schema(by_operation_name(operation), path).get("default") == default


@pytest.mark.parametrize(("operation", "path", "max_length"), TEXT_LIMITS)
def test_documented_text_limits_are_in_the_schema(operation: str, path: str, max_length: int) -> None:
    assert field_schema(by_operation_name(operation), path).get("maxLength") == max_length


def test_request_enums_are_closed_lists_in_the_schema() -> None:
    assert field_schema(CATALOG["react_to_post"], "type")["enum"] == [
        "like",
        "celebrate",
        "support",
        "love",
        "insightful",
        "funny",
    ]
    assert field_schema(CATALOG["nv_manage_conversation"], "operation")["enum"] == ["archive", "unarchive"]
    assert field_schema(CATALOG["accept_invitation"], "invitationType")["enum"] == [
        "connect",
        "companyFollow",
        "newsletterSubscribe",
    ]


def test_result_types_have_schemas_with_documented_main_fields() -> None:
    from pydantic import TypeAdapter

    for op in CATALOG.values():
        if op.data_type is None or op.name == "customWorkflow":
            continue
        schema = TypeAdapter(op.data_type).json_schema()
        props = [p for _, p in all_properties(schema)]
        assert props, op.name
        assert all(p.get("description") for p in props), op.name
