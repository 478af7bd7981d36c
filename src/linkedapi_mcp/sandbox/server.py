"""Run a sandbox over real HTTP with uvicorn: in the foreground or in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import Sandbox


def _config(sandbox: Sandbox, log_level: str) -> uvicorn.Config:
    # h11 explicitly: the drop fault aborts the connection through its per-request cycle.
    return uvicorn.Config(
        sandbox.app,
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=False,  # an access log line is harmless, but keep output to the base URL
        proxy_headers=False,
    )


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this on Linux: without it headers and body go out in two segments
    # and Nagle + delayed ACK add ~40 ms to every keep-alive request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def serve_forever(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8765, *, log_level: str = "warning") -> None:
    """Serve until interrupted, printing the base URL first."""
    sock = bind(host, port)
    sandbox.base_url = base_url_of(sock)
    print(f"Linked API sandbox listening on {sandbox.base_url} (seed {sandbox.config.seed})", flush=True)
    uvicorn.Server(_config(sandbox, log_level)).run(sockets=[sock])


class ServerThread:
    """A standalone sandbox server on a free local port, for tests::

    with ServerThread(Sandbox(seed=1, speed=1000)) as server:
        requests.get(f"{server.base_url}/_sandbox/samples")
    """

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox or Sandbox()
        self._sock = bind(host, port)
        self.base_url = base_url_of(self._sock)
        self.sandbox.base_url = self.base_url
        self._server = uvicorn.Server(_config(self.sandbox, "error"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="linkedapi-sandbox", daemon=True
        )

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        self.sandbox.close()  # the webhook delivery thread

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
