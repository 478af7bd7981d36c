"""An httpx transport into an in-process sandbox that fails the way a real socket would."""

from __future__ import annotations

from typing import Protocol

import anyio
import httpx
from starlette.types import ASGIApp

from .errors import ConnectionDropped


class HasApp(Protocol):
    """Anything with an ASGI ``app`` (the sandbox)."""

    app: ASGIApp


class SandboxTransport(httpx.AsyncBaseTransport):
    """Wraps ``httpx.ASGITransport``.

    * a ``dropAfterAccept`` fault → ``httpx.RemoteProtocolError`` (server closed without answering);
    * a response slower than the request's read timeout → ``httpx.ReadTimeout`` after that timeout
      (the sandbox has already done the work, as a real server would have).
    """

    def __init__(self, sandbox: HasApp) -> None:
        self._sandbox = sandbox
        self._inner = httpx.ASGITransport(app=sandbox.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        try:
            if read_timeout is None:
                return await self._inner.handle_async_request(request)
            with anyio.fail_after(read_timeout):
                return await self._inner.handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout("The read operation timed out", request=request) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
