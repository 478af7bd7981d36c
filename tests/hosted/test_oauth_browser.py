"""The built-in authorization server end to end, in a real headless Chromium.

The whole flow is driven by the ``mcp`` SDK's own OAuth client (``OAuthClientProvider`` as the
auth of ``streamable_http_client``) against the hosted server on a real loopback port: discovery
(protected resource metadata, then authorization server metadata) → dynamic client registration
→ authorization, where the SDK's redirect handler opens the URL in Chromium and a person's
actions are played on the connect page → token → a tool call that runs on the sandbox with the
vault's tokens → refresh (rotation) → revocation.

The connect page on its own: a token Linked API refuses is a clear error on the page and no code;
"Cancel" sends ``error=access_denied``; the page cannot be framed; a POST without the CSRF
cookie and token is refused; no pasted token comes back in any response, the vault files or the
DEBUG logs.

One Chromium per module (Debian's ``/usr/bin/chromium``, or ``CHROMIUM_PATH``), a fresh browser
context per test. The client's redirect URI is a loopback port nothing listens on: the browser's
navigation to it is observed (Playwright's request events), which is all a client's callback
listener would see.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from playwright.async_api import Browser, BrowserContext, Page, Playwright, Request, Response, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout
from pydantic import AnyUrl

from .oauth_live import (
    CHROMIUM_ARGS,
    SAFETY,
    OAuthLive,
    PendingAuthorization,
    other_site,
    query_of,
    start_authorization,
    unused_redirect_uri,
)

pytestmark = pytest.mark.anyio

WRONG_TOKEN = "lat-wrong-5e0b7c2a9d4f61e8"
SEARCH = {"term": "engineer", "limit": 2, "waitSeconds": 60}
MS = 1000  # Playwright's time-outs are in milliseconds


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """One event loop for the module, so one browser serves every test in it."""
    return "asyncio"


async def launch(playwright: Playwright, chromium: str) -> Browser:
    """Chromium, started a second time if the first start hangs. A browser that never came up is
    not the page under test: once in 24 suite runs under load (2026-12-02, three suites at once),
    Debian's launcher started and then nothing answered for 30 s, in both suites at the same
    moment. Playwright kills a start that times out, so trying again is safe."""
    start = functools.partial(
        playwright.chromium.launch, executable_path=chromium, args=CHROMIUM_ARGS, timeout=SAFETY * 2 * MS
    )
    try:
        return await start()
    except PlaywrightTimeout:
        return await start()


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await launch(playwright, chromium)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh profile for one test: no cookies from another."""
    fresh = await browser.new_context()
    fresh.set_default_timeout(SAFETY * MS)
    try:
        yield fresh
    finally:
        await fresh.close()


class Responses:
    """Every response the browser received from anywhere, with its body where it has one
    (redirects have none). Bodies are read as they arrive: once the page navigates away, the
    browser no longer has them."""

    def __init__(self, page: Page, server: str) -> None:
        self.server = server
        self._seen: list[tuple[str, dict[str, str], asyncio.Task[str | Exception] | None]] = []
        page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        body = None if 300 <= response.status < 400 else asyncio.get_running_loop().create_task(self._read(response))
        self._seen.append((response.url, response.headers, body))

    @staticmethod
    async def _read(response: Response) -> str | Exception:
        try:
            return await response.text()
        except Exception as exc:  # e.g. a frame the browser refused to render
            return exc

    async def collect(self) -> str:
        """All URLs, headers and bodies seen so far, as one text to search. Every body from the
        server must have been read."""
        parts: list[str] = []
        for url, headers, task in self._seen:
            body = "" if task is None else await task
            if isinstance(body, Exception):
                assert not url.startswith(self.server), f"the body of {url} could not be read: {body}"
                body = ""
            parts += [url, repr(headers), body]
        return "\n".join(parts)


async def fill_and_submit(page: Page, button: str, *, linked_api_token: str, identification_token: str = "") -> None:
    await page.fill("input[name=linked_api_token]", linked_api_token)
    await page.fill("input[name=identification_token]", identification_token)
    await page.get_by_role("button", name=button).click()


async def navigation_to(page: Page, prefix: str, action: Any) -> str:
    """Run ``action`` and return the URL of the browser's request to ``prefix`` it causes."""
    async with page.expect_request(lambda request: request.url.startswith(prefix)) as seen:
        await action()
    request: Request = await seen.value
    return request.url


# --- the whole flow with the SDK's client ------------------------------------------------------


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class Person:
    """What a person does when the client opens the authorization URL: connects the account on
    the server's page. Also the client's callback listener: the code and state the browser was
    sent back with."""

    def __init__(self, context: BrowserContext, live: OAuthLive, redirect_uri: str, screenshot: Path) -> None:
        self.context = context
        self.live = live
        self.redirect_uri = redirect_uri
        self.screenshot = screenshot
        self.callback_url: str | None = None
        self.pages_seen = ""
        self.opened = 0

    async def open(self, authorization_url: str) -> None:  # the SDK's redirect_handler
        self.opened += 1
        page = await self.context.new_page()
        responses = Responses(page, self.live.base_url)
        await page.goto(authorization_url)  # the SDK's /authorize, which redirects to the page
        assert page.url.startswith(self.live.base_url + "/connect?request="), page.url
        await page.get_by_role("heading", name="Connect your LinkedIn account").wait_for()
        assert "E2E test client" in await page.content()
        await page.screenshot(path=self.screenshot, full_page=True)
        await page.fill("input[name=account_name]", "work")

        async def approve() -> None:
            await fill_and_submit(
                page,
                "Connect and allow",
                linked_api_token=self.live.linked_api_token,
                identification_token=self.live.identification_token,
            )

        self.callback_url = await navigation_to(page, self.redirect_uri, approve)
        self.pages_seen = await responses.collect()
        await page.close()

    async def callback(self) -> AuthorizationCodeResult:  # the SDK's callback_handler
        assert self.callback_url is not None, "the browser was never sent back to the client"
        query = query_of(self.callback_url)
        assert "error" not in query, query
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


class Traffic:
    """Every request the client sent and the answer it got (httpx2 event hooks)."""

    def __init__(self) -> None:
        self.exchanges: list[tuple[str, str, int]] = []
        self.sent: list[str] = []

    async def on_request(self, request: httpx2.Request) -> None:
        body = request.content.decode("latin-1") if isinstance(request.stream, httpx2.ByteStream) else ""
        self.sent.append(f"{request.method} {request.url} {dict(request.headers)!r} {body}")

    async def on_response(self, response: httpx2.Response) -> None:
        self.exchanges.append((response.request.method, response.request.url.path, response.status_code))

    def count(self, method: str, path: str, status: int) -> int:
        return self.exchanges.count((method, path, status))


async def test_whole_flow_with_the_sdk_client_in_a_real_browser(
    oauth_live: OAuthLive, context: BrowserContext, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: ours, the SDK's, httpx's, uvicorn's
    for name in ("linkedapi_mcp", "mcp", "httpx", "httpx2", "httpcore", "uvicorn"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    live = oauth_live
    redirect_uri = unused_redirect_uri()
    person = Person(context, live, redirect_uri, tmp_path / "connect-page.png")
    storage = MemoryStorage()
    oauth = OAuthClientProvider(
        server_url=live.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="E2E test client",
            redirect_uris=[AnyUrl(redirect_uri)],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=person.open,
        callback_handler=person.callback,
    )
    traffic = Traffic()
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [traffic.on_request], "response": [traffic.on_response]}

    with anyio.fail_after(SAFETY * 3):
        async with (
            httpx2.AsyncClient(auth=oauth, timeout=SAFETY, event_hooks=hooks) as http,
            Client(streamable_http_client(live.mcp_url, http_client=http)) as client,
        ):
            first = await client.call_tool("search_people", SEARCH)
            assert not first.is_error, first
            first_tokens = storage.tokens
            assert first_tokens is not None
            assert first_tokens.refresh_token is not None

            # Refresh: the stored access token looks expired, so the SDK refreshes before the next call.
            oauth.context.token_expiry_time = time.time() - 1
            second = await client.call_tool("search_people", {**SEARCH, "term": "designer"})
            assert not second.is_error, second
            refreshed = storage.tokens
            assert refreshed is not None
            assert refreshed.refresh_token is not None

    # Discovery → registration → authorization (one browser visit) → token → the call.
    assert traffic.exchanges[0] == ("POST", "/mcp", 401)
    assert traffic.count("GET", "/.well-known/oauth-protected-resource/mcp", 200) == 1
    assert traffic.count("GET", "/.well-known/oauth-authorization-server", 200) == 1
    assert traffic.count("POST", "/register", 201) == 1
    assert person.opened == 1
    assert traffic.count("POST", "/token", 200) == 2  # the code's exchange, then one refresh
    assert storage.client_info is not None
    assert storage.client_info.client_id
    assert (live.vault_count("accounts"), live.vault_count("oauth_codes")) == (1, 0)  # the code was used up

    # The calls ran on the sandbox, which received the vault's tokens and nothing else.
    assert first.structured_content is not None
    assert second.structured_content is not None
    assert first.structured_content != second.structured_content
    started = [r for r in live.sandbox.requests if (r.method, r.path) == ("POST", "/workflows")]
    assert len(started) == 2, started  # one search workflow per call, both accepted
    assert all(r.status is not None and r.status < 300 for r in started), started
    upstream = live.upstream.seen
    assert [e for e in upstream if e[1] == "/account"], "the connect page did not check the tokens"
    assert {(e[2], e[3]) for e in upstream} == {(live.linked_api_token, live.identification_token)}

    # Refresh rotated the pair: the old access and refresh tokens are dead, the new ones work.
    assert refreshed.access_token != first_tokens.access_token
    assert refreshed.refresh_token != first_tokens.refresh_token
    client_info = storage.client_info
    async with httpx2.AsyncClient(base_url=live.base_url, timeout=SAFETY) as raw:

        async def mcp_status(token: str) -> int:
            init = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            }
            headers = {"authorization": f"Bearer {token}", "accept": "application/json, text/event-stream"}
            response = await raw.post("/mcp", json=init, headers=headers)
            if response.status_code == 401:
                assert 'resource_metadata="' in response.headers["www-authenticate"]
            return response.status_code

        async def refresh_status(refresh_token: str) -> int:
            form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_info.client_id}
            if client_info.client_secret:
                form["client_secret"] = client_info.client_secret
            return (await raw.post("/token", data=form)).status_code

        assert await mcp_status(first_tokens.access_token) == 401
        assert await refresh_status(first_tokens.refresh_token) == 400
        assert await mcp_status(refreshed.access_token) == 200

        # Revocation (RFC 7009) of the access token ends its refresh token too.
        form = {"token": refreshed.access_token, "client_id": str(client_info.client_id)}
        if client_info.client_secret:
            form["client_secret"] = client_info.client_secret
        assert (await raw.post("/revoke", data=form)).status_code == 200
        assert await mcp_status(refreshed.access_token) == 401
        assert await refresh_status(refreshed.refresh_token) == 400

    # No Linked API token left the person's browser except to the page: not in anything the client
    # sent or received, the pages and redirects, the server's files, or the DEBUG logs.
    assert person.pages_seen
    assert "Connect your LinkedIn account" in person.pages_seen
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    haystacks = {
        "client traffic": "\n".join(traffic.sent),
        "pages and redirects": person.pages_seen + (person.callback_url or ""),
        "logs": caplog.text,
        **{name: data.decode("latin-1") for name, data in live.data_bytes().items()},
    }
    assert "vault.sqlite3" in haystacks
    for token in (live.linked_api_token, live.identification_token):
        for where, text in haystacks.items():
            assert token not in text, f"a Linked API token in {where}"
    assert (tmp_path / "connect-page.png").stat().st_size > 0


# --- the connect page on its own ---------------------------------------------------------------


async def open_connect_page(context: BrowserContext, pending: PendingAuthorization) -> Page:
    page = await context.new_page()
    response = await page.goto(pending.connect_url)
    assert response is not None
    assert response.status == 200
    await page.get_by_role("heading", name="Connect your LinkedIn account").wait_for()
    return page


async def test_a_token_linked_api_refuses_is_an_error_on_the_page_and_no_code(
    oauth_live: OAuthLive, context: BrowserContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pending = await start_authorization(oauth_live)
    page = await open_connect_page(context, pending)
    responses = Responses(page, oauth_live.base_url)
    sent_back: list[str] = []
    page.on(
        "request",
        lambda request: sent_back.append(request.url) if request.url.startswith(pending.redirect_uri) else None,
    )

    async with page.expect_response(lambda r: r.request.method == "POST") as answered:
        await fill_and_submit(
            page,
            "Connect and allow",
            linked_api_token=WRONG_TOKEN,
            identification_token=oauth_live.identification_token,
        )
    assert (await answered.value).status == 400
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "Linked API did not accept these tokens" in await alert.inner_text()
    # Still the form, ready for another try; nothing issued, nothing stored, nobody sent back.
    assert page.url.startswith(oauth_live.base_url + "/connect")
    assert await page.locator("input[name=linked_api_token]").input_value() == ""
    assert not sent_back
    assert [oauth_live.vault_count(t) for t in ("oauth_codes", "accounts", "oauth_tokens")] == [0, 0, 0]
    assert [e for e in oauth_live.upstream.seen if e[1] == "/account"], "the tokens were not checked upstream"

    seen = await responses.collect()
    files = "\n".join(data.decode("latin-1") for data in oauth_live.data_bytes().values())
    for token in (WRONG_TOKEN, oauth_live.identification_token):
        assert token not in seen
        assert token not in files
        assert token not in caplog.text


async def test_cancel_sends_the_person_back_with_access_denied(oauth_live: OAuthLive, context: BrowserContext) -> None:
    pending = await start_authorization(oauth_live)
    page = await open_connect_page(context, pending)

    async def cancel() -> None:
        await page.get_by_role("button", name="Cancel").click()

    query = query_of(await navigation_to(page, pending.redirect_uri, cancel))
    assert query["error"] == "access_denied"
    assert query["state"] == pending.state
    assert "code" not in query
    assert [oauth_live.vault_count(t) for t in ("oauth_codes", "oauth_requests", "accounts")] == [0, 0, 0]


async def test_the_page_cannot_be_framed(oauth_live: OAuthLive, context: BrowserContext) -> None:
    pending = await start_authorization(oauth_live)
    page = await open_connect_page(context, pending)
    response = await page.request.get(pending.connect_url)
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    # Another site embeds the page: the browser fetches it and refuses to render it in the frame.
    with other_site(
        f'<!doctype html><p>Win a prize</p><iframe id="victim" src="{pending.connect_url}"></iframe>'
    ) as url:
        async with page.expect_response(lambda r: r.url == pending.connect_url) as framed:
            await page.goto(url, wait_until="load")  # load waits for the frame too
        await page.get_by_text("Win a prize").wait_for()
    assert (await framed.value).status == 200  # served, with the headers that forbid framing
    frame = page.frame_locator("#victim")
    assert await frame.locator("input[name=linked_api_token]").count() == 0
    assert await frame.get_by_text("Connect your LinkedIn account").count() == 0
    # The same page on its own renders its form (the check above is not vacuous).
    direct = await context.new_page()
    await direct.goto(pending.connect_url)
    assert await direct.locator("input[name=linked_api_token]").count() == 1


async def test_a_post_without_the_csrf_cookie_and_token_is_refused(
    oauth_live: OAuthLive, context: BrowserContext
) -> None:
    pending = await start_authorization(oauth_live)
    page = await open_connect_page(context, pending)
    request_id = query_of(pending.connect_url)["request"]
    csrf = await page.locator("input[name=csrf]").get_attribute("value")
    assert csrf
    approve = {
        "request": request_id,
        "linked_api_token": oauth_live.linked_api_token,
        "identification_token": oauth_live.identification_token,
        "action": "approve",
    }
    cookie = {c["name"]: c["value"] for c in await context.cookies(pending.connect_url)}["linkedapi_mcp_csrf"]
    async with httpx2.AsyncClient(base_url=oauth_live.base_url, timeout=SAFETY) as raw:
        no_cookie = await raw.post("/connect", data={**approve, "csrf": csrf})
        no_token = await raw.post("/connect", data=approve, headers={"cookie": f"linkedapi_mcp_csrf={cookie}"})
        other_nonce = await raw.post(
            "/connect", data={**approve, "csrf": csrf}, headers={"cookie": "linkedapi_mcp_csrf=forged"}
        )
    for refused in (no_cookie, no_token, other_nonce):
        assert refused.status_code == 403
        assert "Refused" in refused.text
        assert oauth_live.linked_api_token not in refused.text

    # A form on another site posting to the page from the person's browser: refused too.
    fields = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in {**approve, "csrf": csrf}.items())
    form = f'<form method="post" action="{oauth_live.base_url}/connect">{fields}<button>Claim</button></form>'
    with other_site(form) as url:
        await page.goto(url)
        async with page.expect_response(lambda r: r.url == oauth_live.base_url + "/connect") as answered:
            await page.get_by_role("button", name="Claim").click()
    assert (await answered.value).status == 403
    await page.get_by_role("heading", name="Refused").wait_for()
    assert [oauth_live.vault_count(t) for t in ("oauth_codes", "accounts")] == [0, 0]
    assert oauth_live.vault_count("oauth_requests") == 1  # the real request is still waiting for the person
