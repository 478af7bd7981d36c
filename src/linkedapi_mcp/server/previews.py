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
* a Sales Navigator lead URL (``/sales/lead/…``) or a hashed profile URL (``/in/ACoAA…``) of a
  person not named yet is looked up once per account (:func:`_look_up`): one read workflow,
  ``nvFetchPerson`` (``nv.openPersonPage``) or ``fetchPerson`` (``st.openPersonPage`` with basic
  info only), whose name and public URL go into the cache, found or not;
* the account is looked up once through ``GET /account`` and cached.

Every lookup is bounded by ``_LOOKUP_SECONDS``: a failed or late one leaves the preview saying the
name is not known, and never fails or blocks the write.

Decision on the paid lookup (issue 11, point 5 asks for it): it costs one profile view on the
account — the person may see it, and it counts in Linked API's own profile-view limit — but only
for a person about to be written to, once per person and account in a process, and only after the
call has passed validation and the local budgets (a preview is issued only then; read tools never
build one). It is made in no mode of its own: with ``confirm=never`` (or an allowed call without
elicitation) no preview is built, so no lookup. A public ``/in/<vanity>`` URL is never looked up
(it already is the public profile URL), nor a custom workflow's people.
[INFERRED] The lookup is not a call of the user's: it is started straight on the backend, like the
thread and account reads, so it has no ledger row, no confirmation and takes no unit of any local
budget (write or profile-view); Linked API's own limits still count it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

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


def _lookup_tool(url: str) -> str | None:
    """The read that names the person behind ``url``: a Sales Navigator lead URL takes
    ``nv_fetch_person``, a hashed ``/in/ACoAA…`` URL ``fetch_person`` (no Sales Navigator needed);
    a public URL none (it is the public profile URL already)."""
    key = _key(url)
    if re.match(r"linkedin\.com/sales/(lead|people)/", key):
        return "nv_fetch_person"
    if key.startswith("linkedin.com/in/") and not _is_public(url):
        return "fetch_person"
    return None


@dataclass
class _Lookup:
    """One paid lookup of a person per (account, URL): started at most once, whatever happens to it."""

    lock: anyio.Lock = field(default_factory=anyio.Lock)  # previews of the same person take turns
    started: bool = False
    workflow_id: str | None = None  # set while the workflow may still finish (a late lookup)
    done: bool = False  # found or not: never looked up again


_URL_FIELDS = ("publicUrl", "personPublicUrl", "profileUrl", "url", "hashedUrl", "personHashedUrl", "personUrl")


class People:
    """Per-account cache of who a URL or a thread id is (filled from results and lookups)."""

    def __init__(self) -> None:
        self._people: OrderedDict[tuple[str, str], Person] = OrderedDict()
        self._threads: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._accounts: dict[str, tuple[str | None, str | None]] = {}
        self._lookups: OrderedDict[tuple[str, str], _Lookup] = OrderedDict()

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

    def lookup(self, account: str, url: str) -> _Lookup:
        """The (one) paid lookup of ``url`` on ``account``, new if never made."""
        key = (account, _key(url))
        found = self._lookups.get(key)
        if found is None:
            found = self._lookups[key] = _Lookup()
            while len(self._lookups) > _MAX_PEOPLE:
                self._lookups.popitem(last=False)
        self._lookups.move_to_end(key)
        return found

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


async def _look_up(backend: Backend, url: str, deadline: float) -> str | None:
    """Name the person behind a Sales Navigator or hashed URL with one read workflow, once.

    Returns None when the cache now knows what there is to know (found, or the lookup failed or
    found nobody), or a note for the preview when the lookup is still running: the workflow is kept
    and the next preview of the same person reads it with a status look, never a second start.
    """
    tool = _lookup_tool(url)
    if tool is None:
        return None
    lookup = PEOPLE.lookup(backend.account, url)
    if lookup.done:
        return None
    try:
        with anyio.fail_after(max(deadline - time.monotonic(), 0.0)):
            await lookup.lock.acquire()  # another preview of this person looks it up: wait for it
    except TimeoutError:
        return _STILL_LOOKING if lookup.started else None
    try:
        return await _look_up_held(backend, tool, url, lookup, deadline)
    finally:
        lookup.lock.release()


_STILL_LOOKING = "name not known yet: a lookup of this profile is running on the account"


async def _look_up_held(backend: Backend, tool: str, url: str, lookup: _Lookup, deadline: float) -> str | None:
    if lookup.done:
        return None
    from linkedapi_mcp.catalog import CATALOG

    op = CATALOG[tool]
    policy = backend.policy
    if not lookup.started:
        lookup.started = True  # before the start: a start is never repeated, whatever becomes of it
        try:
            field_name = "personHashedUrl" if tool == "nv_fetch_person" else "personUrl"
            started = await backend.api.start(op, op.params.model_validate({field_name: url}), deadline=deadline)
        except Exception:  # the preview is shown without the name; the write is not touched
            logger.debug("person lookup for a preview failed to start", exc_info=True)
            lookup.done = True
            return None
        lookup.workflow_id = started.workflowId
        logger.info("preview: %s started to name a recipient (workflow %s)", op.name, started.workflowId)
        if started.pendingReason == "outsideWorkingHours":
            return _STILL_LOOKING  # it waits for the account's working hours: no use waiting here
        delay = 0.0 if started.resultHeld else policy.first
    elif lookup.workflow_id is None:  # a start cut short (the call was cancelled): its outcome is unknown
        lookup.done = True
        return None
    else:
        delay = 0.0  # a late lookup of an earlier preview: look at once
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return _STILL_LOOKING
        await anyio.sleep(min(delay, left))
        try:
            snap = await backend.api.status(lookup.workflow_id, op, deadline=deadline)
        except Exception:  # a status look that failed: the workflow is kept for the next preview
            logger.debug("person lookup status for a preview failed", exc_info=True)
            return _STILL_LOOKING
        if snap.done:
            break
        if snap.pendingReason == "outsideWorkingHours":
            return _STILL_LOOKING
        delay = policy.interval
    lookup.done, lookup.workflow_id = True, None
    data = snap.result.data if snap.result is not None else None
    if data is not None:  # Person (fetchPerson) or NvPerson: name, urn, publicUrl, hashedUrl
        public = getattr(data, "publicUrl", None)
        others = (url, getattr(data, "hashedUrl", None), getattr(data, "urn", None))
        PEOPLE.put(
            backend.account,
            Person(getattr(data, "name", None), public, tuple(u for u in others if u and u != public)),
        )
    return None


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


def _who(person: Person | None, url: str, unknown: str = "name not known to this server") -> str:
    """``Name (public profile URL)``, saying what is not known."""
    if person is None or (person.name is None and person.public_url is None):
        return f"{url} ({unknown})"
    public = person.public_url or url
    given = f"; given as {url}" if _key(url) != _key(public) else ""
    if person.name:
        return f"{person.name} ({public}{given})"
    return f"{public} ({unknown}{given})"


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
    person = PEOPLE.get(backend.account, str(url))
    note = None
    if person is None or person.name is None:
        try:
            note = await _look_up(backend, str(url), deadline)  # once per person; a no-op for public URLs
        except Exception:  # a preview never fails for want of a name
            logger.debug("person lookup for a preview failed", exc_info=True)
        person = PEOPLE.get(backend.account, str(url))
    return str(url), _who(person, str(url), note or "name not known to this server")


async def action_text(backend: Backend, op: Operation, params: BaseModel) -> str:
    """The whole preview: the exact action with who receives it, and the account it is sent from."""
    if op.name.startswith("captainData"):  # a Captain Data launch: its own question (server/captaindata.py)
        from linkedapi_mcp.server.captaindata import launch_text

        return await launch_text(backend, op, params)
    deadline = time.monotonic() + _LOOKUP_SECONDS
    sentence = describe_action(op, params)
    account: list[tuple[str | None, str | None]] = []

    async def sender() -> None:
        account.append(await _account(backend, deadline))

    async with anyio.create_task_group() as group:  # side by side: a slow person lookup leaves the account its time
        group.start_soon(sender)
        target = await recipient(backend, params, deadline)
    if target is not None and target[0] in sentence:
        sentence = sentence.replace(target[0], target[1], 1)
    [(name, url)] = account
    if name or url:
        sentence += f". From the account: {name or url}" + (f" ({url})" if name and url else "")
    return sentence + (SANDBOX_NOTE if backend.kind == "sandbox" else "")


__all__ = ["PEOPLE", "People", "Person", "action_text", "describe_action", "recipient", "remember"]
