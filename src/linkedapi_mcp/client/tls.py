"""One TLS context per process for every upstream client (Linked API, the Account API, Captain Data).

httpx builds a context for each client it makes, loading the CA bundle every time: ~40 ms and
~0.8 MB of RSS per client on the project's VM (10 clients: +8.1 MB, against +0.8 MB sharing one),
and a hosted server keeps a client per connected account (up to 64). A context is safe to share
between clients and threads once built, so the first client builds it with httpx's own defaults
(certifi, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` from the environment) and the others reuse it.
:func:`prewarm` builds it in a background thread at start-up, where OpenSSL reads the bundle
without holding the GIL, beside the main thread's imports.
"""

from __future__ import annotations

import ssl
import threading

import httpx

_lock = threading.Lock()
_built: list[ssl.SSLContext] = []  # at most one: the process's context, once built


def context() -> ssl.SSLContext:
    """The process's TLS context for upstream HTTPS, built on first use (or by :func:`prewarm`)."""
    with _lock:
        if not _built:
            _built.append(httpx.create_ssl_context())
        return _built[0]


def prewarm() -> None:
    """Start building :func:`context` in a daemon thread; a client that needs it first waits for it."""
    threading.Thread(target=context, name="linkedapi-tls", daemon=True).start()


__all__ = ["context", "prewarm"]
