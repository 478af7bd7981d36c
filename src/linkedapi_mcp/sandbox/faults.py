"""Injected faults: a list of rules, each answering the next ``count`` matching API requests.

Faults are off by default. A rule matches an HTTP method (any when unset) and a path prefix;
the first matching rule wins and is used up after ``count`` requests (``count=None`` → until
cleared). Introspection paths (``/_sandbox/...``) are never faulted.

Kinds (what a client sees):

* ``rateLimit`` — 429 envelope ``tooManyRequests`` with ``Retry-After: <seconds>`` (default 1).
* ``serverError`` — 5xx (default 503) with an HTML body: the SDK's transient ``httpError``.
* ``serverErrorEnveloped`` — 5xx (default 500) with an error envelope: a hard error for the SDK.
* ``slow`` — the request is processed, then the answer is held ``seconds`` real seconds.
* ``dropAfterAccept`` — the request is processed (POST /workflows creates the workflow), then the
  connection is closed without any response.
* ``malformedJson`` — 200 with a truncated JSON body; the request is not processed.
* ``signedOut`` — POST /workflows answers ``linkedinAccountSignedOut`` (nothing created); any other
  matching request first fails every pending/running workflow with that reason.
* ``invalidToken`` — 401 envelope ``invalidLinkedApiToken``.
* ``malformedResultLink`` — the Account API (account_api.py) accepts the next ``reslink`` start
  (the workflow is created) but answers a result link that is no link.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

FaultKind = Literal[
    "rateLimit",
    "serverError",
    "serverErrorEnveloped",
    "slow",
    "dropAfterAccept",
    "malformedJson",
    "signedOut",
    "invalidToken",
    "malformedResultLink",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

# Where a rule applies when the caller names no method/path.
_DEFAULT_SCOPE: dict[str, tuple[str | None, str]] = {
    "dropAfterAccept": ("POST", "/workflows"),
    "signedOut": (None, "/workflows"),
    "malformedResultLink": ("POST", "/account/workflow"),
}


@dataclass
class FaultRule:
    id: int
    kind: FaultKind
    method: str | None = None
    path: str = "/"
    count: int | None = 1
    status: int | None = None
    seconds: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return path.startswith(self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "status": self.status,
            "seconds": self.seconds,
        }


class FaultQueue:
    """Thread-safe list of active fault rules."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        count: int | None = 1,
        status: int | None = None,
        seconds: float | None = None,
    ) -> FaultRule:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if count is not None and count < 1:
            raise ValueError("count must be ≥ 1 (or null for unlimited)")
        if status is not None and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if seconds is not None and seconds < 0:
            raise ValueError("seconds must be ≥ 0")
        default_method, default_path = _DEFAULT_SCOPE.get(kind, (None, "/"))
        resolved_method = method or default_method
        with self._lock:
            rule = FaultRule(
                id=self._next_id,
                kind=cast(FaultKind, kind),
                method=resolved_method.upper() if resolved_method else None,
                path=path if path is not None else default_path,
                count=count,
                status=status,
                seconds=seconds,
            )
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def add_json(self, data: dict[str, Any]) -> FaultRule:
        """Add a rule from the ``POST /_sandbox/faults`` body; ``ValueError`` on a bad one."""
        known = {"kind", "method", "path", "count", "status", "seconds"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(unknown)}")
        if "kind" not in data:
            raise ValueError("'kind' is required")
        count = data.get("count", 1)
        status = data.get("status")
        seconds = data.get("seconds")
        return self.add(
            str(data["kind"]),
            method=data.get("method"),
            path=data.get("path"),
            count=None if count is None else int(count),
            status=None if status is None else int(status),
            seconds=None if seconds is None else float(seconds),
        )

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first rule matching this request, consuming one of its uses."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count == 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def to_json(self) -> list[dict[str, Any]]:
        return [rule.to_json() for rule in self.rules]
