"""The embedded sandbox account on disk: one versioned file in the data directory.

Layout: one JSON header line (``format``, ``version``, ``seed``, ``epoch``, ``virtualNow``,
``savedAt``), then the zlib-compressed pickle of the account's state (world, workflows, admin state,
the ledger account id). Written to a temporary file in the same directory, flushed to disk and
renamed over the old one, so a reader sees the old file or the new one, never half of one.

[INFERRED] pickle, not JSON: the world is a graph of a few thousand objects that the engine
changes in place, and a pickle keeps it exact with no second schema to maintain. The file is the
user's own, in their private data directory (mode 0600), trusted like the workflow ledger beside
it; a file of another format or version, or one that does not load, is set aside (renamed
``*.unreadable``) and a fresh account starts — never an error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import sys
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .clock import format_time, parse_epoch

logger = logging.getLogger(__name__)

FORMAT = "linkedapi-mcp-sandbox-account"
VERSION = 1
FILE_NAME = "sandbox-account.bin"


def account_file(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


@dataclass
class Saved:
    """What a saved account restores."""

    account_id: str
    seed: int
    epoch: datetime
    virtual_now: datetime
    state: dict[str, Any]


def save(path: Path, saved: Saved) -> None:
    """Write ``saved`` to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "seed": saved.seed,
        "epoch": format_time(saved.epoch),
        "virtualNow": format_time(saved.virtual_now),
        "savedAt": format_time(datetime.now().astimezone()),
    }
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, 20_000))  # posts -> comments -> posts nest deeply
        payload = pickle.dumps({"accountId": saved.account_id, **saved.state}, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        sys.setrecursionlimit(limit)
    body = json.dumps(header).encode() + b"\n" + zlib.compress(payload, 1)
    fd, temp = tempfile.mkstemp(prefix=".sandbox-account-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def load(path: Path) -> Saved | None:
    """The account saved at ``path``; ``None`` when there is none or it cannot be read (then the
    file is renamed ``*.unreadable`` so that it is kept but not tried again)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("The sandbox account file %s cannot be read (%s); starting a fresh account.", path, exc)
        return None
    try:
        line, _, rest = raw.partition(b"\n")
        header = json.loads(line)
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise ValueError(f"format {header.get('format')!r} version {header.get('version')!r}")
        limit = sys.getrecursionlimit()
        try:
            sys.setrecursionlimit(max(limit, 20_000))
            data = pickle.loads(zlib.decompress(rest))
        finally:
            sys.setrecursionlimit(limit)
        account_id = data.pop("accountId")
        return Saved(
            account_id=str(account_id),
            seed=int(header["seed"]),
            epoch=parse_epoch(header["epoch"]),
            virtual_now=parse_epoch(header["virtualNow"]),
            state=data,
        )
    except Exception as exc:  # any unreadable file: keep it aside, start over
        aside = path.with_name(path.name + ".unreadable")
        logger.warning("The sandbox account file %s cannot be read (%s); starting a fresh account.", path, exc)
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        return None


def forget(path: Path) -> bool:
    """Remove the saved account; whether there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
