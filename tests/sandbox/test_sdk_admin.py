"""The official SDK's admin client parses every admin answer of the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from linkedapi_mcp.sandbox import ServerThread

pytest.importorskip("linkedapi")
from linkedapi.admin import LinkedApiAdmin
from linkedapi.admin.http_client import AdminHttpClient
from linkedapi.errors import LinkedApiError
from linkedapi.types.admin import AdminConfig
from linkedapi.types.admin.accounts import (
    CancelConnectionSessionParams,
    GetConnectionSessionParams,
    RegenerateTokenParams,
)
from linkedapi.types.admin.limits import (
    DeleteLimitsParams,
    GetLimitsParams,
    GetLimitsUsageParams,
    ResetLimitsParams,
    SetLimitsParams,
)


@pytest.fixture
def admin(live: ServerThread) -> Any:
    # The admin config has no base_url; its HTTP client takes one.
    http = AdminHttpClient(AdminConfig(linked_api_token="test-linked-api-token"), base_url=live.base_url)
    return LinkedApiAdmin(http)


def test_subscription_and_accounts_parse(admin: Any) -> None:
    assert admin.subscription.get_status().status == "active"
    assert admin.subscription.get_seats().seats[0].seat_type == "plus"
    accounts = admin.accounts.get_all()
    assert accounts.accounts[0].name
    session = admin.accounts.create_connection_session()
    got = admin.accounts.get_connection_session(GetConnectionSessionParams(session_id=session.session_id))
    assert got.session.status == "pending"
    admin.accounts.cancel_connection_session(CancelConnectionSessionParams(session_id=session.session_id))
    assert admin.webhooks.get() == []
    assert "workflow.completed" in admin.webhooks.event_types()


def test_limits_round_trip_through_the_sdk(admin: Any) -> None:
    account_id = admin.accounts.get_all().accounts[0].id
    assert admin.limits.get_defaults().limits
    limit = {"category": "stMessages", "period": "daily", "maxValue": 3, "isEnabled": True}
    admin.limits.set(SetLimitsParams.model_validate({"accountId": account_id, "limits": [limit]}))
    limits = admin.limits.get(GetLimitsParams(account_id=account_id)).limits
    assert any(item.category == "stMessages" and item.max_value == 3 for item in limits)
    usage = admin.limits.get_usage(GetLimitsUsageParams(account_id=account_id)).usage
    assert any(item.category == "stMessages" for item in usage)
    admin.limits.delete(
        DeleteLimitsParams.model_validate(
            {"accountId": account_id, "limits": [{"category": "stMessages", "period": "daily"}]}
        )
    )
    admin.limits.reset_to_defaults(ResetLimitsParams(account_id=account_id))


def test_a_wrong_account_id_is_account_not_found(admin: Any) -> None:
    with pytest.raises(LinkedApiError) as raised:
        admin.limits.get(GetLimitsParams(account_id="00000000-0000-4000-8000-000000000000"))
    assert raised.value.type == "accountNotFound"


def test_a_regenerated_identification_token_replaces_the_old_one(admin: Any, sdk: Any) -> None:
    account_id = admin.accounts.get_all().accounts[0].id
    new_token = admin.accounts.regenerate_identification_token(RegenerateTokenParams(account_id=account_id)).token
    with pytest.raises(LinkedApiError) as raised:
        sdk.get_account_info()
    assert raised.value.type == "invalidIdentificationToken"
    assert admin.accounts.get_all().accounts[0].identification_token == new_token
