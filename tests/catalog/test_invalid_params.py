"""Invalid arguments are refused locally with a message that says what to change, before any HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from linkedapi_mcp.actions import WorkflowDefinitionError, validate_definition
from linkedapi_mcp.catalog import CATALOG, InvalidParamsError
from linkedapi_mcp.client import LinkedApiClient, LinkedApiError
from linkedapi_mcp.facade import LinkedApi
from linkedapi_mcp.sandbox import Sandbox

pytestmark = pytest.mark.anyio

P = "https://www.linkedin.com/in/maya-lindqvist-4a1b2c"
POST = "https://www.linkedin.com/feed/update/urn:li:activity:7301234567890123456"
IMG = {"url": "https://cdn.example.com/a.png", "type": "image"}

# (tool, arguments, text the message must contain)
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("search_people", {"term": "cto", "limit": 5000}, "'limit' must be ≤ 1000 (got 5000)"),
    ("nv_search_people", {"limit": 0}, "'limit' must be ≥ 1 (got 0)"),
    (
        "fetch_person",
        {"personUrl": P, "retrievePosts": True, "postsRetrievalConfig": {"limit": 50}},
        "'postsRetrievalConfig.limit' must be ≤ 20 (got 50)",
    ),
    ("sync_conversation", {"personUrl": P, "days": 365}, "'days' must be ≤ 90"),
    ("react_to_post", {"postUrl": POST, "type": "wow"}, "'type' must be one of 'like', 'celebrate'"),
    (
        "nv_manage_conversation",
        {"threadId": "t", "operation": "star"},
        "'operation' must be one of 'archive' or 'unarchive'",
    ),
    ("fetch_person", {"personUrl": "https://example.com/in/jane"}, "'personUrl' must be a LinkedIn profile URL like"),
    (
        "fetch_person",
        {"personUrl": "https://www.linkedin.com/company/acme"},
        "'personUrl' must be a LinkedIn profile URL",
    ),
    ("fetch_company", {"companyUrl": P}, "'companyUrl' must be a LinkedIn company URL"),
    ("fetch_job", {"jobUrl": "https://jobs.example.com/view/1"}, "'jobUrl' must be a LinkedIn job URL"),
    ("fetch_post", {"postUrn": "activity:1"}, "'postUrn' must be a post URN like urn:li:activity:"),
    (
        "search_people",
        {"customSearchUrl": "https://google.com/search?q=cto"},
        "'customSearchUrl' must be a LinkedIn URL",
    ),
    ("search_people", {"query": "cto"}, "unknown parameter 'query'"),
    (
        "fetch_person",
        {"personUrl": P, "retrievePosts": True, "postsRetrievalConfig": {"count": 3}},
        "unknown parameter 'postsRetrievalConfig.count'",
    ),
    (
        "fetch_person",
        {"personUrl": P, "postsRetrievalConfig": {"limit": 5}},
        "'postsRetrievalConfig' only applies with 'retrievePosts': true",
    ),
    (
        "fetch_company",
        {"companyUrl": "https://www.linkedin.com/company/acme", "dmsRetrievalConfig": {"limit": 3}},
        "'dmsRetrievalConfig' only applies with 'retrieveDMs': true",
    ),
    (
        "search_jobs",
        {"term": "python", "filter": {"easyApply": True}, "preferences": {"remote": True}},
        "either 'filter' (classic search) or 'preferences' (AI search), not both",
    ),
    ("search_posts", {"limit": 5}, "give 'term' or 'customSearchUrl'"),
    ("fetch_post", {"retrieveComments": True}, "give 'postUrl' or 'postUrn'"),
    ("send_message", {"text": "hi"}, "give 'personUrl' or 'threadId'"),
    ("send_message", {"personUrl": P, "text": "x" * 1901}, "'text' is too long: at most 1900 characters"),
    ("send_message", {"personUrl": P, "text": ""}, "'text' must not be empty"),
    ("nv_send_message", {"personUrl": P, "text": "hi"}, "'subject' is required when starting a new conversation"),
    (
        "accept_invitation",
        {"invitationType": "connect", "companyUrl": "https://www.linkedin.com/company/acme"},
        "invitationType 'connect' needs 'personUrl'",
    ),
    (
        "ignore_invitation",
        {"invitationType": "connect", "personUrl": P, "companyUrl": "https://www.linkedin.com/company/acme"},
        "takes only 'personUrl'",
    ),
    (
        "create_post",
        {"text": "hi", "attachments": [IMG, {"url": "https://cdn.example.com/v.mp4", "type": "video"}]},
        "cannot mix images, video and documents",
    ),
    ("create_post", {"text": "hi", "attachments": [IMG] * 10}, "'attachments' is too long: at most 9 items"),
    (
        "create_post",
        {"text": "hi", "attachments": [{"url": "https://cdn.example.com/r.pdf", "type": "document"}]},
        "a document attachment needs a name",
    ),
    (
        "create_post",
        {"text": "hi", "mentions": [{"key": "maya", "name": "Maya"}]},
        "mention 'maya' has no '@[maya]' placeholder in 'text'",
    ),
    (
        "retrieve_connections",
        {"since": "2026-01-01", "filter": {"lastName": "Lima"}},
        "'since' is ignored when 'filter'",
    ),
    ("get_api_usage", {"start": "2026-08-01T00:00:00Z", "end": "2026-09-15T00:00:00Z"}, "must not exceed 30 days"),
    ("get_api_usage", {"start": "2026-08-10T00:00:00Z", "end": "2026-08-01T00:00:00Z"}, "'end' must not be before"),
    ("get_inbox", {"since": "yesterday"}, "'since' must be an ISO 8601 date or timestamp"),
    ("retrieve_ssi", {"verbose": True}, "unknown parameter 'verbose'"),
    ("send_connection_request", {"personUrl": P, "email": "maya at example"}, "'email' must be an email address"),
]

BROKEN_WORKFLOWS: list[Any] = [
    {"actionType": "st.retrievePersonSkills"},
    {"actionType": "st.openPersonPage", "personUrl": P, "then": {"actionType": "st.retrievePersonPosts", "limit": 50}},
    {"actionType": "st.searchCompanies", "then": {"actionType": "st.openCompanyPage"}},
    {"actionType": "st.flyToTheMoon"},
    {"actionType": "st.openPersonPage"},
    [],
    [{"label": "no type"}],
]


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    # One per module keeps the suite fast; no test here may ever reach it, so its log stays empty.
    return Sandbox(seed=3, speed=0)


@pytest.fixture
async def api(sandbox: Sandbox, client_for: Callable[[Sandbox], LinkedApiClient]) -> AsyncIterator[LinkedApi]:
    client = client_for(sandbox)
    async with client:
        yield LinkedApi(client)


async def attempt(api: LinkedApi, tool: str, args: Any) -> None:
    """What a caller does: validate the arguments, then run the operation."""
    op = CATALOG[tool]
    await api.run(op, op.parse(args), poll_interval=1)


@pytest.mark.parametrize(("tool", "args", "says"), INVALID, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(INVALID)])
async def test_invalid_arguments_are_refused_with_what_to_change_and_send_nothing(
    api: LinkedApi, sandbox: Sandbox, tool: str, args: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidParamsError) as caught:
        await attempt(api, tool, args)
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"Invalid arguments for {tool}: ")
    assert "errors.pydantic.dev" not in str(caught.value)
    assert len(sandbox.requests) == 0


@pytest.mark.parametrize("definition", BROKEN_WORKFLOWS)
async def test_a_broken_custom_workflow_is_refused_locally_in_the_sandboxs_words(
    api: LinkedApi, sandbox: Sandbox, definition: Any
) -> None:
    with pytest.raises(WorkflowDefinitionError) as sandbox_words:
        validate_definition(definition)  # the very check the sandbox answers invalidWorkflow with
    with pytest.raises(InvalidParamsError) as caught:
        await attempt(api, "execute_custom_workflow", {"definition": definition})
    assert caught.value.problems == [sandbox_words.value.message]
    assert len(sandbox.requests) == 0


async def test_the_facade_refuses_params_of_another_operation_before_any_request(
    api: LinkedApi, sandbox: Sandbox
) -> None:
    ssi = CATALOG["retrieve_ssi"].parse({})
    with pytest.raises(TypeError, match="fetch_person takes FetchPersonParams"):
        await api.start(CATALOG["fetch_person"], ssi)
    assert len(sandbox.requests) == 0


async def test_the_local_refusal_words_a_broken_workflow_exactly_as_the_sandbox_does(
    client_for: Callable[[Sandbox], LinkedApiClient],
) -> None:
    definition = BROKEN_WORKFLOWS[1]
    with pytest.raises(InvalidParamsError) as local:
        CATALOG["execute_custom_workflow"].parse({"definition": definition})

    client = client_for(Sandbox(seed=3, speed=0))
    async with client:
        with pytest.raises(LinkedApiError) as remote:
            await client.start_workflow(definition)  # bypassing the catalog on purpose
    assert remote.value.type == "invalidWorkflow"
    assert local.value.problems == [remote.value.message]


def test_null_arguments_mean_not_given() -> None:
    op = CATALOG["search_people"]
    params = op.parse({"term": "cto", "limit": None, "filter": None, "customSearchUrl": None})
    assert params.model_dump(exclude_unset=True) == {"term": "cto"}
    assert op.build is not None
    assert op.build(params) == {"actionType": "st.searchPeople", "term": "cto"}
    with pytest.raises(InvalidParamsError, match="'personUrl' is required"):
        CATALOG["fetch_person"].parse({"personUrl": None})


# -- the validators accept what they should (each case kills a mutant that refused it) -------------

URN = "urn:li:activity:7301234567890123456"


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("search_people", {"customSearchUrl": "https://www.linkedin.com/search/results/people/?keywords=cto"}),
        ("search_people", {"customSearchUrl": "HTTPS://WWW.LINKEDIN.COM/search/results/people/?keywords=cto"}),
        ("send_connection_request", {"personUrl": P, "email": " jane@example.com "}),
        ("react_to_post", {"postUrn": URN, "type": "like"}),
        ("create_repost", {"postUrn": URN}),
        ("fetch_post", {"postUrn": URN}),
        ("create_post", {"text": "Hi @[ana]!", "mentions": [{"key": "ana", "name": "Ana", "urn": "urn:li:person:1"}]}),
        ("get_api_usage", {"start": "2027-01-01T00:00:00", "end": "2027-01-31T00:00:00Z"}),  # no offset: UTC
        ("get_api_usage", {"start": "2027-01-01T12:00:00+02:00", "end": "2027-01-31T10:00:00Z"}),  # exactly 30 days
        ("get_api_usage", {"start": "2027-01-02T00:00:00+01:00", "end": "2027-01-01T23:30:00Z"}),  # 30 min later
    ],
)
def test_valid_arguments_are_accepted_so_the_user_is_not_refused_for_nothing(
    tool: str, arguments: dict[str, Any]
) -> None:
    CATALOG[tool].parse(arguments)


@pytest.mark.parametrize(
    ("tool", "arguments", "words"),
    [
        ("react_to_post", {"type": "like"}, "give 'postUrl' or 'postUrn' to say which post"),
        ("send_connection_request", {"personUrl": P, "email": "jane@example"}, "must be an email address"),
        (
            "create_post",
            {"text": "Hi @[ana]", "mentions": [{"key": "ana", "name": "Ana", "urn": "u", "personHashedUrl": "h"}]},
            "mention 'ana' has more than one identifier",
        ),
        (
            "create_post",
            {"text": "Hi Ana", "mentions": [{"key": "ana", "name": "Ana"}]},
            "mention 'ana' has no '@[ana]' placeholder in 'text'",
        ),
        # Offsets count: 00:00 at UTC+14 to 00:00 at UTC-12 is 30 days and 26 hours.
        ("get_api_usage", {"start": "2027-01-01T00:00:00+14:00", "end": "2027-01-31T00:00:00-12:00"}, "30 days"),
        ("get_api_usage", {"start": "2027-01-02T00:00:00+01:00", "end": "2027-01-01T22:30:00Z"}, "before 'start'"),
    ],
)
def test_invalid_arguments_are_refused_with_the_reason(tool: str, arguments: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidParamsError, match=re.escape(words)):
        CATALOG[tool].parse(arguments)


def test_a_post_given_neither_by_url_nor_by_urn_is_refused_in_exactly_these_words() -> None:
    with pytest.raises(InvalidParamsError) as refused:
        CATALOG["react_to_post"].parse({"type": "like"})
    assert str(refused.value) == "Invalid arguments for react_to_post: give 'postUrl' or 'postUrn' to say which post"


def test_a_message_of_only_whitespace_is_refused_in_exactly_these_words() -> None:
    with pytest.raises(InvalidParamsError) as refused:
        CATALOG["send_message"].parse({"personUrl": P, "text": "   "})
    assert str(refused.value) == "Invalid arguments for send_message: 'text' must contain text, not only whitespace"
