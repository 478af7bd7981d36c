"""Completions become the same data the official SDK's mappers produce, with no action error lost.

Oracle: for every fixture completion, the SDK 1.4.7 mapper of the same operation. Our result must
hold the same data (our models keep the API's camelCase names) and the same errors; ours add the
failing ``actionType``/``label`` and keep errors the SDK drops.
"""

from __future__ import annotations

import json
from typing import Any

import linkedapi.operations as sdk_operations
import pytest
from pydantic import BaseModel

from linkedapi_mcp.catalog import CATALOG, ActionError, Mapped, by_operation_name
from linkedapi_mcp.catalog.mappers import map_custom

from ..conftest import shared_fixtures

FIXTURES = shared_fixtures()
_SDK = {
    cls.operation_name: cls
    for cls in (getattr(sdk_operations, n) for n in sdk_operations.__all__)
    if hasattr(cls, "operation_name")
}


def completion(name: str, index: int) -> Any:
    exchange = json.loads((FIXTURES / name).read_text())["exchanges"][index]
    return exchange["response"]["body"]["result"]["completion"]


def plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def mapped(tool: str, raw: Any) -> Any:  # Any: tests read fields of the typed result
    mapper = CATALOG[tool].map
    assert mapper is not None
    return mapper(raw)


CASES = [
    ("01-fetch-person.json", 2, "fetchPerson"),
    ("02-search-people.json", 1, "searchPeople"),
    ("03-search-companies.json", 1, "searchCompanies"),
    ("04-fetch-company-with-employees.json", 1, "fetchCompany"),
    ("05-send-message.json", 1, "sendMessage"),
    ("05-send-message.json", 3, "sendMessage"),
    ("07-action-error.json", 1, "checkConnectionStatus"),
    ("07-action-error.json", 2, "sendConnectionRequest"),
    ("08-pending-states.json", 3, "retrieveSSI"),
    ("09-batch-workflow.json", 1, "customWorkflow"),
    ("10-custom-workflow-iterator.json", 1, "customWorkflow"),
    ("11-nv-search-people.json", 1, "nvSearchPeople"),
    ("11-nv-search-people.json", 2, "nvSearchPeople"),
    ("17-fetch-post-with-comments.json", 1, "fetchPost"),
]


@pytest.mark.parametrize(("fixture", "index", "operation"), CASES)
def test_mapped_data_and_errors_match_the_official_sdk(fixture: str, index: int, operation: str) -> None:
    raw = completion(fixture, index)
    op = by_operation_name(operation)
    assert op.map is not None
    ours = op.map(raw)
    theirs = _SDK[operation].mapper.map_response(raw)

    assert drop_nulls(plain(ours.data)) == drop_nulls(plain(theirs.data))
    sdk_errors = [(e.type, e.message) for e in theirs.errors]
    assert [(e.type, e.message) for e in ours.errors][: len(sdk_errors)] == sdk_errors or operation == "customWorkflow"


def test_fetch_person_children_become_named_fields() -> None:
    result = mapped("fetch_person", completion("01-fetch-person.json", 2))
    person = result.data
    assert person.name == "Maya Lindqvist"
    assert [e.companyName for e in person.experiences] == ["Northwind Analytics", "Kestrel Freight"]
    assert "SQL" in [s.name for s in person.skills]
    assert len(person.posts) == 1
    assert person.education is None  # not requested
    assert not hasattr(person, "then")


def test_a_failed_child_keeps_the_rest_of_the_profile_and_names_the_failing_action() -> None:
    raw = completion("01-fetch-person.json", 2)
    posts = next(c for c in raw["data"]["then"] if c["actionType"] == "st.retrievePersonPosts")
    posts.pop("data")
    posts.update(success=False, error={"type": "retrievingNotAllowed", "message": "LinkedIn blocked it."})

    result = mapped("fetch_person", raw)

    assert result.data.name == "Maya Lindqvist"
    assert result.data.skills  # siblings intact
    assert result.data.posts is None
    assert result.errors == [
        ActionError(type="retrievingNotAllowed", message="LinkedIn blocked it.", actionType="st.retrievePersonPosts")
    ]


def test_fetch_post_children_become_comments_and_reactions() -> None:
    post = mapped("fetch_post", completion("17-fetch-post-with-comments.json", 1)).data
    assert post.comments
    assert post.comments[0].commentUrl
    assert post.reactions
    assert post.reactions[0].type


def test_fetch_company_children_become_employees_and_dms() -> None:
    company = mapped("fetch_company", completion("04-fetch-company-with-employees.json", 1)).data
    assert company.name == "Northwind Analytics"
    assert company.employees
    assert company.dms


def test_a_failed_root_action_gives_no_data_and_its_error() -> None:
    result = mapped("check_connection_status", completion("07-action-error.json", 1))
    assert result.data is None
    assert result.errors[0].type == "personNotFound"
    assert result.errors[0].actionType == "st.checkConnectionStatus"


def test_a_custom_workflow_returns_the_raw_completion_and_lists_every_failed_action_with_its_label() -> None:
    raw = completion("09-batch-workflow.json", 1)
    result = map_custom(raw)
    assert result.data == raw
    failed = [a for a in raw if not a["success"]]
    assert [(e.type, e.label) for e in result.errors] == [(a["error"]["type"], a.get("label")) for a in failed]
    assert result.errors


def test_custom_workflow_errors_are_found_inside_iterated_items() -> None:
    raw = completion("10-custom-workflow-iterator.json", 1)
    # The fixture hides one failed openCompanyPage inside an iterated search item.
    assert [(e.type, e.actionType) for e in map_custom(raw).errors] == [("retrievingNotAllowed", "st.openCompanyPage")]
    inner = raw["data"][0]["then"][0]
    inner.pop("data", None)
    inner.update(success=False, error={"type": "companyNotFound", "message": "gone"})
    assert "companyNotFound" in [e.type for e in map_custom(raw).errors]


def test_unknown_result_fields_and_enum_values_pass_through() -> None:
    raw = {"actionType": "st.retrieveSSI", "success": True, "data": {"ssi": 61, "brandNew": {"x": 1}}}
    result = mapped("retrieve_ssi", raw)
    assert result.data.ssi == 61
    assert result.data.model_dump()["brandNew"] == {"x": 1}
    status = mapped(
        "check_connection_status",
        {"actionType": "st.checkConnectionStatus", "success": True, "data": {"connectionStatus": "blocked"}},
    )
    assert status.data.connectionStatus == "blocked"


def test_send_message_reports_a_failed_manage_conversation_child() -> None:
    raw = {
        "actionType": "st.sendMessage",
        "success": True,
        "data": {
            "then": [
                {
                    "actionType": "st.manageConversation",
                    "success": False,
                    "error": {"type": "threadNotFound", "message": "no thread"},
                }
            ]
        },
    }
    result = mapped("send_message", raw)
    assert result == Mapped(
        data=None, errors=[ActionError(type="threadNotFound", message="no thread", actionType="st.manageConversation")]
    )


def test_endorse_person_skills_lists_each_selected_skill_outcome() -> None:
    raw = {
        "actionType": "st.openPersonPage",
        "success": True,
        "data": {
            "then": [
                {
                    "actionType": "st.retrievePersonSkills",
                    "success": True,
                    "data": [
                        {"name": "Python", "then": [{"actionType": "st.endorsePersonSkill", "success": True}]},
                        {"name": "Excel"},
                        {
                            "name": "SQL",
                            "then": [
                                {
                                    "actionType": "st.endorsePersonSkill",
                                    "success": False,
                                    "error": {"type": "endorsementUnavailable", "message": "no"},
                                }
                            ],
                        },
                    ],
                }
            ]
        },
    }
    ours = mapped("endorse_person_skills", raw)
    theirs = _SDK["endorsePersonSkills"].mapper.map_response(raw)
    assert [(e.skillName, e.success) for e in ours.data] == [(e.skill_name, e.success) for e in theirs.data]
    assert [e.type for e in ours.errors] == ["endorsementUnavailable"]
