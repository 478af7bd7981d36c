"""The connect page: where a person links a LinkedIn account and approves an MCP client.

``/authorize`` (the SDK's handler) parks the request and redirects here. The person pastes
their Linked API token and the identification token of the account to connect; the server asks
Linked API (``GET /account``) whether they work, stores them encrypted in the vault, and only
then issues an authorization code to the client's redirect URI. From then on the client holds an
MCP token and never a Linked API token.

Plain server-rendered HTML, no JavaScript. Protections:

* CSRF: a random nonce in a ``SameSite=Strict`` HttpOnly cookie, and in the form an HMAC of
  (request id, nonce) under the server's key; a POST whose pair does not match, or whose
  ``Origin`` is another site, is refused.
* Clickjacking: ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``.
* Nothing executable: CSP ``default-src 'none'``; every value shown is HTML-escaped (a client's
  registered name is the client's text, not ours).
* Tokens typed into the page are never echoed back, logged or put in a URL.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from linkedapi_mcp.hosted.accounts import ACCOUNT_NAME, ACCOUNT_NAME_RULE
from linkedapi_mcp.hosted.oauth import VaultAuthProvider
from linkedapi_mcp.hosted.vault import VaultError, builtin_principal

logger = logging.getLogger("linkedapi_mcp.hosted")

CSRF_COOKIE = "linkedapi_mcp_csrf"
PATH = "/connect"

# Checks a token pair with Linked API: the account's {name, url}, or raises TokenRejected /
# UpstreamDown with a message for the person.
VerifyTokens = Callable[[str, str], Awaitable[dict[str, Any]]]


class TokenRejected(Exception):
    """Linked API refused the tokens (message: what it said, safe to show)."""


class UpstreamDown(Exception):
    """Linked API could not be asked now."""


_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1d2226}
h1{font-size:1.4rem}label{display:block;margin:1rem 0 .2rem;font-weight:600}
input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
.hint{color:#555;font-size:.9rem;font-weight:400}.error{background:#fde8e8;padding:.6rem;border-radius:4px}
button{margin:1.2rem .6rem 0 0;padding:.6rem 1.2rem;font:inherit}
"""


def _page(title: str, body: str, *, status: int = 200, form_action: str = "") -> HTMLResponse:
    doc = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style>'
        f"</head><body>{body}</body></html>"
    )
    response = HTMLResponse(doc, status_code=status)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; "
        f"form-action 'self'{form_action}"
    )
    response.headers["X-Frame-Options"] = "DENY"
    # Not "no-referrer": under it a browser sends ``Origin: null`` with the form's POST, which the
    # origin check refuses. Same-origin keeps the request id out of what the client is sent.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32].strip("-")
    return slug if slug and ACCOUNT_NAME.match(slug) else "default"


class ConnectPage:
    def __init__(self, provider: VaultAuthProvider, verify: VerifyTokens) -> None:
        self.provider = provider
        self.vault = provider.vault
        self.verify = verify
        self.secure_cookie = provider.issuer_url.startswith("https://")

    def routes(self) -> list[Route]:
        return [Route(PATH, self.get, methods=["GET"]), Route(PATH, self.post, methods=["POST"])]

    # -- GET ----------------------------------------------------------------------------------

    async def get(self, request: Request) -> Response:
        request_id = request.query_params.get("request", "")
        found = await self.vault.run(lambda: self.vault.request(request_id))
        if found is None:
            return self._expired()
        nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = await self._form(request_id, found[0], found[1], nonce)
        response.set_cookie(
            CSRF_COOKIE, nonce, path=PATH, httponly=True, samesite="strict", secure=self.secure_cookie, max_age=3600
        )
        return response

    async def _form(
        self, request_id: str, client_id: str, record: dict[str, Any], nonce: str, *, error: str = "", status: int = 200
    ) -> HTMLResponse:
        client = await self.provider.get_client(client_id)
        client_name = (client.client_name if client is not None else None) or "An MCP client"
        redirect = record["redirect_uri"]
        e = html.escape
        body = (
            "<h1>Connect your LinkedIn account</h1>"
            f"<p><strong>{e(client_name)}</strong> asks to use LinkedIn through this server. After you connect, "
            f"you are sent back to <code>{e(_origin(redirect))}</code>.</p>"
            + (f'<p class="error" role="alert">{e(error)}</p>' if error else "")
            + f'<form method="post" action="{PATH}">'
            f'<input type="hidden" name="request" value="{e(request_id)}">'
            f'<input type="hidden" name="csrf" value="{self.vault.box.csrf_token(request_id, nonce)}">'
            '<label for="lat">Linked API token</label>'
            '<input id="lat" name="linked_api_token" type="password" autocomplete="off" required>'
            '<label for="idt">Identification token <span class="hint">of the LinkedIn account to connect; '
            "leave empty to use the accounts you connected before</span></label>"
            '<input id="idt" name="identification_token" type="password" autocomplete="off">'
            '<label for="name">Account name <span class="hint">optional; how tools will call this account '
            f"({e(ACCOUNT_NAME_RULE)})</span></label>"
            '<input id="name" name="account_name" autocomplete="off" maxlength="32">'
            '<button type="submit" name="action" value="approve">Connect and allow</button>'
            '<button type="submit" name="action" value="deny" formnovalidate>Cancel</button>'
            "</form>"
            '<p class="hint">Your tokens are checked with Linked API, then stored encrypted on this server. '
            f"{e(client_name)} never sees them: it gets a token for this server only, which you can revoke.</p>"
        )
        return _page("Connect your LinkedIn account", body, status=status, form_action=" " + _origin(redirect))

    def _expired(self) -> HTMLResponse:
        return _page(
            "Link expired",
            "<h1>This link has expired</h1><p>Start connecting again from your app.</p>",
            status=400,
        )

    # -- POST ---------------------------------------------------------------------------------

    async def post(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin != _origin(self.provider.issuer_url):
            return _page(
                "Refused", "<h1>Refused</h1><p>This form can only be sent from this server's page.</p>", status=403
            )
        form = await request.form()
        request_id = str(form.get("request", ""))
        nonce = request.cookies.get(CSRF_COOKIE, "")
        expected = self.vault.box.csrf_token(request_id, nonce)
        if not nonce or not secrets.compare_digest(str(form.get("csrf", "")), expected):
            return _page(
                "Refused",
                "<h1>Refused</h1><p>This form was not sent from this server's page (or your browser blocked its "
                "cookie). Start connecting again from your app.</p>",
                status=403,
            )
        found = await self.vault.run(lambda: self.vault.request(request_id))
        if found is None:
            return self._expired()
        client_id, record = found
        if form.get("action") != "approve":
            await self.vault.run(lambda: self.vault.request(request_id, take=True))
            from mcp.server.auth.provider import construct_redirect_uri

            target = construct_redirect_uri(
                record["redirect_uri"],
                error="access_denied",
                error_description="The user cancelled.",
                state=record.get("state"),
            )
            return RedirectResponse(target, status_code=303)

        api_token = str(form.get("linked_api_token", "")).strip()
        id_token = str(form.get("identification_token", "")).strip()
        name = str(form.get("account_name", "")).strip().lower()

        async def again(error: str, status: int = 400) -> Response:
            return await self._form(request_id, client_id, record, nonce, error=error, status=status)

        if not api_token:
            return await again("Paste your Linked API token.")
        if name and not ACCOUNT_NAME.match(name):
            return await again(f"Account name: {ACCOUNT_NAME_RULE}.")
        issuer, subject = builtin_principal(self.vault, api_token)
        principal = await self.vault.run(lambda: self.vault.principal(issuer, subject, create=False))
        if not id_token:
            known = await self.vault.run(lambda: self.vault.credentials(principal, name or None)) if principal else None
            if known is None:
                return await again(
                    "Paste the identification token of the LinkedIn account to connect "
                    "(no account is connected with this Linked API token yet)."
                    if not name
                    else f"No account named {name!r} is connected with this Linked API token."
                )
            id_token = known.identification_token
        try:
            info = await self.verify(api_token, id_token)
        except TokenRejected as exc:
            return await again(f"Linked API did not accept these tokens: {exc}")
        except UpstreamDown:
            return await again("Linked API could not be reached to check the tokens. Try again in a minute.", 503)

        def save() -> str:
            owner = self.vault.principal(issuer, subject)
            assert owner is not None
            label = str(info.get("name") or "") or None
            account_name = name or _slug(label or "")
            self.vault.put_account(
                owner,
                account_name,
                linked_api_token=api_token,
                identification_token=id_token,
                account_key=self.vault.account_key_for(owner, id_token),
                label=label,
            )
            if self.vault.request(request_id, take=True) is None:
                raise VaultError("expired")
            return self.provider.issue_code(client_id, owner, record)

        try:
            target = await self.vault.run(save)
        except VaultError:
            return self._expired()
        logger.info("an account was connected and a client authorized (client %s)", client_id)
        return RedirectResponse(target, status_code=303)


__all__ = ["PATH", "ConnectPage", "TokenRejected", "UpstreamDown", "VerifyTokens"]
