"""The operation catalogue: every Linked API operation as a typed, described, testable value."""

from linkedapi_mcp.catalog.operations import CATALOG, by_operation_name
from linkedapi_mcp.catalog.spec import (
    ActionError,
    Effect,
    InvalidParamsError,
    Mapped,
    Operation,
    ParamsModel,
    ResultModel,
    ResultShapeError,
    Toolset,
)

__all__ = [
    "CATALOG",
    "ActionError",
    "Effect",
    "InvalidParamsError",
    "Mapped",
    "Operation",
    "ParamsModel",
    "ResultModel",
    "ResultShapeError",
    "Toolset",
    "by_operation_name",
]
