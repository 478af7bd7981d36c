"""Typed async HTTP client for the Linked API (no MCP here): transport, errors and retry policy."""

from linkedapi_mcp.client.errors import (
    ERROR_TYPES,
    AccountStateError,
    AuthenticationError,
    InvalidRequestError,
    LinkedApiError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    SubscriptionError,
    UpstreamUnavailableError,
    WorkflowFailedError,
    error_for,
)
from linkedapi_mcp.client.http import DEFAULT_BASE_URL, LinkedApiClient
from linkedapi_mcp.client.models import TERMINAL_STATUSES, WorkflowFailure, WorkflowStart, WorkflowState
from linkedapi_mcp.client.retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_TYPES",
    "TERMINAL_STATUSES",
    "AccountStateError",
    "AuthenticationError",
    "InvalidRequestError",
    "LinkedApiClient",
    "LinkedApiError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RetryPolicy",
    "SubscriptionError",
    "UpstreamUnavailableError",
    "WorkflowFailedError",
    "WorkflowFailure",
    "WorkflowStart",
    "WorkflowState",
    "error_for",
]
