"""Who holds a claim, and whether that process is provably gone (issue 12, point 6).

A claim row (server/ledger.py) records the identity of the process sending its start:
``host|boot id|pid namespace|pid|process start time``. Another process reading the claim can then
tell at once that its holder is gone:

* on the same machine (same host name, boot id and pid namespace): the pid is not running, is a
  zombie, or runs a different process (its start time differs: the pid was reused);
* same host name with another boot id: the machine restarted since;
* on another machine (or when this one cannot be inspected): its lease ran out — the holder renews
  it every few seconds while its start is on the wire (server/runner.py).

Hand-written over ``/proc`` rather than psutil: psutil is not a runtime dependency, and two files
of ``/proc`` are all this needs. Elsewhere (no ``/proc``) only the lease decides.
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class Holder:
    host: str
    boot: str  # the kernel's boot id ("" when unknown)
    pidns: str  # the pid namespace (containers on one kernel have their own pids; "" when unknown)
    pid: int
    started: str  # the process's start time in clock ticks since boot ("" when unknown)

    def __str__(self) -> str:
        return "|".join((self.host, self.boot, self.pidns, str(self.pid), self.started))

    @classmethod
    def parse(cls, text: str | None) -> Holder | None:
        parts = (text or "").split("|")
        if len(parts) != 5 or not parts[3].isdigit():
            return None  # not a claimer (a poller's lease name, or a claim written before holders)
        return cls(parts[0], parts[1], parts[2], int(parts[3]), parts[4])

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _stat(pid: int) -> tuple[str, str] | None:
    """``(state, start time)`` of a running pid from /proc/<pid>/stat, or None when it is not there."""
    text = _read(_PROC / str(pid) / "stat")
    if not text:
        return None
    # The command name (field 2) may hold spaces and parentheses: fields are counted after its last ")".
    fields = text[text.rfind(")") + 2 :].split()
    return (fields[0], fields[19]) if len(fields) > 19 else None


def _pidns() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


@functools.cache
def _identity(pid: int) -> Holder:
    stat = _stat(pid)
    return Holder(
        host=socket.gethostname().replace("|", "_"),
        boot=_read(_PROC / "sys" / "kernel" / "random" / "boot_id"),
        pidns=_pidns(),
        pid=pid,
        started=stat[1] if stat else "",
    )


def me() -> Holder:
    """This process's identity (cached per pid: a forked child gets its own)."""
    return _identity(os.getpid())


def status(holder: Holder) -> tuple[bool | None, str]:
    """``(False, why)`` when ``holder`` is provably not running any more, ``(True, "")`` when it
    provably runs, ``(None, "")`` when that cannot be told from here (then its lease decides)."""
    here = me()
    if holder.host != here.host or not here.boot or not holder.boot:
        return None, ""
    if holder.boot != here.boot:
        return False, f"{holder.describe()} belonged to an earlier boot of that machine, which has restarted since"
    if not here.pidns or holder.pidns != here.pidns:
        return None, ""  # another container on this kernel: its pids are not ours to inspect
    stat = _stat(holder.pid)
    if stat is None:
        return False, f"{holder.describe()} is no longer running"
    state, started = stat
    if state in ("Z", "X"):
        return False, f"{holder.describe()} has exited"
    if holder.started and started != holder.started:
        return False, f"{holder.describe()} is no longer running (its pid now belongs to another process)"
    return True, ""


__all__ = ["Holder", "me", "status"]
