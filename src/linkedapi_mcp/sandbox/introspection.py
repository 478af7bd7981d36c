"""``/_sandbox/...``: control and inspection of a running sandbox (no auth; never API paths).

Bodies and answers are plain JSON (no Linked API envelope); a bad request answers 400
``{"error": "<reason>"}``. Each route is a thin shell over the ``Sandbox`` Python API.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import WorkingHours
from .errors import SandboxRequestError

if TYPE_CHECKING:
    from .state import SandboxState as Sandbox

Handler = Callable[[Request], Awaitable[Any]]


class _BadRequest(Exception):
    pass


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _BadRequest("the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise _BadRequest("the body must be a JSON object")
    return data


def _route(path: str, handler: Handler, methods: list[str]) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except (_BadRequest, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except SandboxRequestError as exc:
            return JSONResponse({"error": exc.message, "type": exc.type}, exc.status)
        return JSONResponse(result)

    return Route(f"/_sandbox{path}", endpoint, methods=methods)


def _string(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _BadRequest(f"'{name}' must be a non-empty string")
    return value


def introspection_routes(sandbox: Sandbox) -> list[Route]:
    async def get_requests(request: Request) -> Any:
        return {"requests": sandbox.requests.to_json()}

    async def clear_requests(request: Request) -> Any:
        sandbox.requests.clear()
        return {"cleared": True}

    async def reset(request: Request) -> Any:
        body = await _body(request)
        seed = body.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise _BadRequest("'seed' must be an integer")
        sandbox.reset(seed)
        return {"seed": sandbox.config.seed, "clock": sandbox.clock.snapshot()}

    async def get_clock(request: Request) -> Any:
        return sandbox.clock.snapshot()

    async def set_clock(request: Request) -> Any:
        body = await _body(request)
        if body.get("speed") is not None:
            sandbox.set_speed(float(body["speed"]))
        if body.get("advance") is not None:
            sandbox.advance(float(body["advance"]))
        return sandbox.clock.snapshot()

    async def get_faults(request: Request) -> Any:
        return {"faults": sandbox.faults.to_json()}

    async def add_fault(request: Request) -> Any:
        rule = sandbox.faults.add_json(await _body(request))
        return {"fault": rule.to_json()}

    async def clear_faults(request: Request) -> Any:
        sandbox.faults.clear()
        return {"faults": []}

    def _hours() -> Any:
        hours = sandbox.config.working_hours
        return {"workingHours": hours.to_json() if hours else None}

    async def get_hours(request: Request) -> Any:
        return _hours()

    async def set_hours(request: Request) -> Any:
        body = await _body(request)
        sandbox.set_working_hours(WorkingHours.from_json(body) if body else None)
        return _hours()

    async def clear_hours(request: Request) -> Any:
        sandbox.set_working_hours(None)
        return _hours()

    def _account() -> Any:
        config = sandbox.config
        return {
            "salesNavigator": config.sales_navigator,
            "seat": config.seat,
            "searchingAllowed": config.searching_allowed,
            "jobSearch": config.job_search,
        }

    async def get_account(request: Request) -> Any:
        return _account()

    async def set_account(request: Request) -> Any:
        body = await _body(request)
        sales_navigator = body.get("salesNavigator")
        if sales_navigator is not None and not isinstance(sales_navigator, bool):
            raise _BadRequest("'salesNavigator' must be a boolean")
        searching_allowed = body.get("searchingAllowed")
        if searching_allowed is not None and not isinstance(searching_allowed, bool):
            raise _BadRequest("'searchingAllowed' must be a boolean")
        sandbox.set_account(
            sales_navigator=sales_navigator,
            seat=body.get("seat"),
            searching_allowed=searching_allowed,
            job_search=body.get("jobSearch"),
        )
        return _account()

    async def sign_out(request: Request) -> Any:
        sandbox.sign_out()
        return {"signedOut": True}

    async def inject_message(request: Request) -> Any:
        body = await _body(request)
        person_url = _string(body, "personUrl")
        text = _string(body, "text")
        assert person_url is not None
        assert text is not None
        return {"message": sandbox.inject_message(person_url, text)}

    async def inject_invitation(request: Request) -> Any:
        body = await _body(request)
        person_url = _string(body, "personUrl")
        assert person_url is not None
        return {"invitation": sandbox.inject_invitation(person_url, _string(body, "note", required=False))}

    async def samples(request: Request) -> Any:
        return sandbox.samples()

    async def workflows(request: Request) -> Any:
        return {"workflows": sandbox.workflows()}

    return [
        _route("/requests", get_requests, ["GET"]),
        _route("/requests", clear_requests, ["DELETE"]),
        _route("/reset", reset, ["POST"]),
        _route("/clock", get_clock, ["GET"]),
        _route("/clock", set_clock, ["POST"]),
        _route("/faults", get_faults, ["GET"]),
        _route("/faults", add_fault, ["POST"]),
        _route("/faults", clear_faults, ["DELETE"]),
        _route("/working-hours", get_hours, ["GET"]),
        _route("/working-hours", set_hours, ["POST"]),
        _route("/working-hours", clear_hours, ["DELETE"]),
        _route("/account", get_account, ["GET"]),
        _route("/account", set_account, ["POST"]),
        _route("/sign-out", sign_out, ["POST"]),
        _route("/events/message", inject_message, ["POST"]),
        _route("/events/invitation", inject_invitation, ["POST"]),
        _route("/samples", samples, ["GET"]),
        _route("/workflows", workflows, ["GET"]),
    ]
