"""What the user is shown before an account-changing call: who, what, and from which account.

The confirmation *policy* (ask or preview, redeem a confirmationId) is server/guards.py's; the
*text* is built here, once, for both the elicitation question and the ``confirmation_required``
preview. Beside the exact action (:func:`describe_action`) it names the recipient — name and
public profile URL — and the account the action runs as, even when the call only has a thread id
or a Sales Navigator URL:

* every result this server returns feeds a small per-account cache of people (name, public and
  Sales Navigator / hashed URLs; :func:`remember`), so a person found by a search or seen in the
  inbox is named without any further call;
* a thread id is looked up once through ``/inbox/poll`` (a free, instant read) and cached;
* the account is looked up once through ``GET /account`` and cached.

[INFERRED] No paid lookup is made for a preview: naming a person not seen before would cost a
profile view (``fetch_person``) against the account's limits, so the preview then shows the URL
and says the name is not known.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linkedapi_mcp.actions import iter_actions

if TYPE_CHECKING:
    from pydantic import BaseModel

    from linkedapi_mcp.catalog.spec import Operation
    from linkedapi_mcp.server.runner import Backend

logger = logging.getLogger("linkedapi_mcp.server")

SANDBOX_NOTE = " [sandbox: synthetic, nothing reaches LinkedIn]"
_LOOKUP_SECONDS = 10.0  # a preview never waits longer than this for its lookups
_MAX_PEOPLE = 5000  # per process, across accounts (oldest forgotten first)


def _q(text: Any) -> str:
    return f"«{text}»"


def describe_action(op: Operation, params: BaseModel) -> str:
    """One exact sentence of what a start will do on the account, built from the arguments."""
    a: dict[str, Any] = params.model_dump(mode="json", exclude_none=True)
    target = a.get("personUrl") or a.get("threadId") or a.get("postUrl") or a.get("postUrn") or a.get("commentUrl")
    name = op.name
    if name in ("sendMessage", "nvSendMessage"):
        where = f"to {a['personUrl']}" if a.get("personUrl") else f"in conversation {a.get('threadId')}"
        subject = f" with the subject {_q(a['subject'])}" if a.get("subject") else ""
        kind = "Sales Navigator message" if name == "nvSendMessage" else "LinkedIn message"
        manage = a.get("manageConversation")
        after = manage.get("operation") if isinstance(manage, dict) else manage
        extra = f" (then {after} the conversation)" if after else ""
        return f"Send this {kind} {where}{subject}: {_q(a['text'])}{extra}"
    if name == "sendConnectionRequest":
        note = f" with the note {_q(a['note'])}" if a.get("note") else " without a note"
        email = f" (email {a['email']})" if a.get("email") else ""
        return f"Send a LinkedIn connection request to {a['personUrl']}{note}{email}"
    if name == "withdrawConnectionRequest":
        unfollow = " and unfollow them" if a.get("unfollow", True) else ""
        return f"Withdraw the pending connection request to {a['personUrl']}{unfollow}"
    if name in ("acceptInvitation", "ignoreInvitation"):
        verb = "Accept" if name == "acceptInvitation" else "Ignore"
        source = a.get("personUrl") or a.get("companyUrl") or a.get("newsletterUrl")
        return f"{verb} the {a.get('invitationType', 'connect')} invitation from {source}"
    if name == "removeConnection":
        return f"Remove {a['personUrl']} from your LinkedIn connections"
    if name in ("reactToPost", "reactToComment"):
        what = "comment" if name == "reactToComment" else "post"
        as_company = f" as {a['companyUrl']}" if a.get("companyUrl") else ""
        return f"React {_q(a.get('type'))} to the {what} {target}{as_company}"
    if name in ("commentOnPost", "replyToComment"):
        verb = "Reply to the comment" if name == "replyToComment" else "Comment on the post"
        as_company = f" as {a['companyUrl']}" if a.get("companyUrl") else ""
        return f"{verb} {target}{as_company}: {_q(a['text'])}"
    if name == "createPost":
        as_company = f" as {a['companyUrl']}" if a.get("companyUrl") else ""
        files = f" with {len(a['attachments'])} attachment(s)" if a.get("attachments") else ""
        return f"Publish this LinkedIn post{as_company}{files}: {_q(a['text'])}"
    if name == "createRepost":
        text = f" with the text {_q(a['text'])}" if a.get("text") else ""
        return f"Repost {target}{text}"
    if name == "endorsePersonSkill":
        return f"Endorse {a['personUrl']} for the skill {_q(a['skillName'])}"
    if name == "endorsePersonSkills":
        return f"Endorse {a['personUrl']} for the skills matching {a.get('skillNamePatterns')}"
    if name in ("manageConversation", "nvManageConversation"):
        return f"{str(a.get('operation', '')).capitalize()} the conversation {a.get('threadId')}"
    if name == "customWorkflow":
        definition = a.get("definition")
        actions = iter_actions(definition)
        body = json.dumps(definition, ensure_ascii=False, separators=(",", ":"))
        if len(body) > 1500:
            body = body[:1500] + "…"
        return f"Run a custom workflow of {len(actions)} action(s) ({', '.join(actions)}): {body}"
    return f"{op.title}: {json.dumps(a, ensure_ascii=False, separators=(',', ':'))}"


@dataclass(frozen=True)
class Person:
    name: str | None
    public_url: str | None
    other_urls: tuple[str, ...] = ()


def _key(url: str) -> str:
    """A URL as a cache key: no scheme, host case, query or trailing slash."""
    text = url.strip().split("?", 1)[0].rstrip("/")
    return text.split("://", 1)[-1].lower().removeprefix("www.")


def _is_public(url: str) -> bool:
    """A public profile URL (``/in/<vanity>``), not a hashed (``/in/ACoAA…``) or Sales Navigator one."""
    key = _key(url)
    return "/in/" in key and not key.split("/in/", 1)[1].startswith("acoaa")


_URL_FIELDS = ("publicUrl", "personPublicUrl", "profileUrl", "url", "hashedUrl", "personHashedUrl", "personUrl")


class People:
    """Per-account cache of who a URL or a thread id is (filled from results and lookups)."""

    def __init__(self) -> None:
        self._people: OrderedDict[tuple[str, str], Person] = OrderedDict()
        self._threads: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._accounts: dict[str, tuple[str | None, str | None]] = {}

    def put(self, account: str, person: Person) -> None:
        """Remember a person under every URL (and member URN) it has, merged with what any of them
        knew: a Sales Navigator lead seen with its URN gets the public URL a standard result gave."""
        keys = [_key(u) for u in (person.public_url, *person.other_urls) if u]
        known = [old for k in keys if (old := self._people.get((account, k))) is not None]
        known += [
            again
            for k in {_key(u) for old in known for u in old.other_urls}
            if (again := self._people.get((account, k)))
        ]
        merged = Person(
            person.name or next((o.name for o in known if o.name), None),
            person.public_url or next((o.public_url for o in known if o.public_url), None),
            tuple(dict.fromkeys((*person.other_urls, *(u for o in known for u in o.other_urls)))),
        )
        for key in {
            *keys,
            *(_key(u) for u in merged.other_urls),
            *([_key(merged.public_url)] if merged.public_url else []),
        }:
            self._people[(account, key)] = merged
            self._people.move_to_end((account, key))
        while len(self._people) > _MAX_PEOPLE:
            self._people.popitem(last=False)

    def put_thread(self, account: str, thread: str, url: str | None) -> None:
        self._threads[(account, thread)] = url
        self._threads.move_to_end((account, thread))
        while len(self._threads) > _MAX_PEOPLE:
            self._threads.popitem(last=False)

    def get(self, account: str, url: str) -> Person | None:
        return self._people.get((account, _key(url)))

    def remember(self, account: str, data: Any) -> None:
        """Every person-like object in a result (a name and a profile URL; or an inbox message's URLs)."""
        if isinstance(data, list):
            for item in data:
                self.remember(account, item)
            return
        if not isinstance(data, dict):
            return
        urls = [v for k in _URL_FIELDS if isinstance(v := data.get(k), str) and ("/in/" in v or "/sales/" in v)]
        if urls:
            name = data.get("name") if isinstance(data.get("name"), str) else None
            public = next((u for u in urls if _is_public(u)), None)
            # The member URN ties a Sales Navigator lead to the same person seen elsewhere.
            urns = [
                v for k in ("urn", "personUrn") if isinstance(v := data.get(k), str) and v.startswith("urn:li:member:")
            ]
            self.put(account, Person(name, public, tuple(u for u in [*urls, *urns] if u != public)))
            thread = data.get("threadId")
            if isinstance(thread, str):
                self.put_thread(account, thread, public or urls[0])
        for value in data.values():
            if isinstance(value, list | dict):
                self.remember(account, value)


PEOPLE = People()


def remember(account: str, outcome: Any) -> None:
    """Feed the cache from a tool outcome (its ``result``); never fails a call."""
    try:
        if isinstance(outcome, dict) and outcome.get("status") == "completed":
            PEOPLE.remember(account, outcome.get("result"))
    except Exception:  # a cache must not break a result
        logger.debug("people cache: result not read", exc_info=True)


async def _thread_person(backend: Backend, thread_id: str, deadline: float) -> str | None:
    key = (backend.account, thread_id)
    if key in PEOPLE._threads:
        return PEOPLE._threads[key]
    from linkedapi_mcp.catalog import CATALOG

    op = CATALOG["get_inbox"]
    url: str | None = None
    try:
        mapped = await backend.api.call(op, op.params.model_validate({"threadId": thread_id}), deadline=deadline)
        data = mapped.data.model_dump(mode="json") if mapped.data is not None else {}
        PEOPLE.remember(backend.account, data.get("messages") or [])
        url = PEOPLE._threads.get(key)
    except Exception:  # a preview is still shown without the name
        logger.debug("thread lookup for a preview failed", exc_info=True)
        return None
    PEOPLE.put_thread(backend.account, thread_id, url)  # looked up once, found or not
    return url


async def _account(backend: Backend, deadline: float) -> tuple[str | None, str | None]:
    if backend.account in PEOPLE._accounts:
        return PEOPLE._accounts[backend.account]
    from linkedapi_mcp.catalog import CATALOG

    op = CATALOG["get_account_info"]
    try:
        mapped = await backend.api.call(op, op.params.model_validate({}), deadline=deadline)
    except Exception:
        logger.debug("account lookup for a preview failed", exc_info=True)
        return (None, None)
    data = mapped.data
    found = (getattr(data, "name", None), getattr(data, "url", None))
    PEOPLE._accounts[backend.account] = found
    return found


def _who(person: Person | None, url: str) -> str:
    """``Name (public profile URL)``, saying what is not known."""
    if person is None or (person.name is None and person.public_url is None):
        return f"{url} (name not known to this server)"
    public = person.public_url or url
    given = f"; given as {url}" if _key(url) != _key(public) else ""
    if person.name:
        return f"{person.name} ({public}{given})"
    return f"{public} (name not known to this server{given})"


async def recipient(backend: Backend, params: BaseModel, deadline: float) -> tuple[str, str] | None:
    """The target as the arguments give it (a profile URL or a thread id) and who that is, in words."""
    a: dict[str, Any] = params.model_dump(mode="json", exclude_none=True)
    url = a.get("personUrl")
    thread = a.get("threadId")
    if thread and not url:
        found = await _thread_person(backend, str(thread), deadline)
        if found is None:
            return str(thread), f"{thread} (the other person is not in the monitored inbox)"
        return str(thread), f"{thread} with {_who(PEOPLE.get(backend.account, found), found)}"
    if not url:
        return None
    return str(url), _who(PEOPLE.get(backend.account, str(url)), str(url))


async def action_text(backend: Backend, op: Operation, params: BaseModel) -> str:
    """The whole preview: the exact action with who receives it, and the account it is sent from."""
    if op.name.startswith("captainData"):  # a Captain Data launch: its own question (server/captaindata.py)
        from linkedapi_mcp.server.captaindata import launch_text

        return await launch_text(backend, op, params)
    deadline = time.monotonic() + _LOOKUP_SECONDS
    sentence = describe_action(op, params)
    target = await recipient(backend, params, deadline)
    if target is not None and target[0] in sentence:
        sentence = sentence.replace(target[0], target[1], 1)
    name, url = await _account(backend, deadline)
    if name or url:
        sentence += f". From the account: {name or url}" + (f" ({url})" if name and url else "")
    return sentence + (SANDBOX_NOTE if backend.kind == "sandbox" else "")


__all__ = ["PEOPLE", "People", "Person", "action_text", "describe_action", "recipient", "remember"]
