"""Compact results with paging (issue 11): what a tool hands the model of a completed result.

Three things, applied to the envelope a tool returns (never to what the ledger keeps, so every
form stays one ``get_workflow_result`` away, free after completion):

* **Bulky fields left out by default**: image URLs (``avatarUrl`` was 29 % of a 71-person
  search), and the deprecated duplicates Linked API still sends next to their replacements
  (``commenter*`` beside a comment's ``author``, ``engager*`` beside a reaction's ``actor``, an
  inbox message's ``personUrl`` equal to its ``personHashedUrl``, contract §2.5 and §5.2). The
  envelope's ``omitted`` says what was left out and the exact call that returns it all
  (``includeAll``).
* **Pages of a list result**: a result that is a list longer than a page comes back one page at a
  time, with ``page`` saying where it is in the whole (``total``) and the exact call for the next
  page (``get_workflow_result`` with ``offset``).
* No nulls: :func:`linkedapi_mcp.server.tools.render` drops them after this.
"""

from __future__ import annotations

from typing import Any

# Image URLs of the result models (catalog/results.py): photos, logos, attached and slide images.
MEDIA_FIELDS: frozenset[str] = frozenset(
    {"avatarUrl", "logoUrl", "image", "images", "documentSlides", "videoThumbnail"}
)
# Deprecated fields Linked API still sends beside the field that replaced them (contract §5.2):
# left out only where the replacement is there, so nothing is lost.
_DEPRECATED_BESIDE: dict[str, str] = {
    **{name: "author" for name in ("commenterUrl", "commenterName", "commenterHeadline", "commenterType")},
    **{name: "actor" for name in ("engagerUrn", "engagerUrl", "engagerName", "engagerHeadline", "engagerType")},
}
# [INFERRED] 50 items a page: a page of search results stays around 15 KB of JSON once images are
# left out, and most searches (limit 10 to 25 by default) fit in one.
PAGE_SIZE = 50
INCLUDE_ALL = "includeAll"


def _compact(value: Any, omitted: set[str]) -> Any:
    if isinstance(value, list):
        return [_compact(item, omitted) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        if key in MEDIA_FIELDS:
            omitted.add(key)
            continue
        replacement = _DEPRECATED_BESIDE.get(key)
        if replacement is not None and value.get(replacement) is not None:
            omitted.add(key)
            continue
        if key == "personUrl" and item in (value.get("personHashedUrl"), value.get("personPublicUrl")):
            omitted.add(key)  # the deprecated duplicate of personHashedUrl (contract §2.5)
            continue
        out[key] = _compact(item, omitted)
    return out


def _call(workflow_id: str, **arguments: Any) -> str:
    """The exact call, as a hint names it: ``get_workflow_result(workflowId="wf-1", offset=50)``."""
    given = [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in arguments.items()]
    return f"get_workflow_result({', '.join([f'workflowId={chr(34)}{workflow_id}{chr(34)}', *given])})"


def shape(
    envelope: dict[str, Any], *, include_all: bool = False, offset: int = 0, limit: int | None = None
) -> dict[str, Any]:
    """The envelope as the model gets it: ``result`` compacted and paged (see the module doc).

    ``offset`` / ``limit`` page a list result (``limit`` defaults to :data:`PAGE_SIZE`); outcomes
    without a result (pending, failed, …) pass through unchanged.
    """
    result = envelope.get("result")
    if envelope.get("status") != "completed" or result is None:
        return envelope
    out = dict(envelope)
    workflow_id = envelope.get("workflowId")
    if isinstance(result, list):
        size = PAGE_SIZE if limit is None else limit
        total = len(result)
        if offset > 0 or total > size:
            start = min(offset, total)
            end = min(start + size, total)
            result = result[start:end]
            page: dict[str, Any] = {"offset": start, "limit": size, "total": total}
            if end < total and workflow_id:
                extra = {"limit": limit} if limit is not None else {}
                more = {INCLUDE_ALL: True} if include_all else {}
                page["next"] = f"call {_call(workflow_id, offset=end, **extra, **more)}"
            out["page"] = page
    if not include_all:
        omitted: set[str] = set()
        result = _compact(result, omitted)
        if workflow_id and omitted:
            fields = ", ".join(sorted(omitted))
            call = _call(workflow_id, includeAll=True)
            out["omitted"] = f"Left out: {fields} (image URLs, deprecated duplicates); to get them, call {call}."
    out["result"] = result
    return out


__all__ = ["INCLUDE_ALL", "MEDIA_FIELDS", "PAGE_SIZE", "shape"]
