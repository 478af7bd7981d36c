"""A local emulator of the Linked API HTTP contract over a deterministic synthetic LinkedIn world.

Embedded: ``Sandbox(seed=42, speed=1000)`` gives ``.app`` (ASGI) and ``.transport()`` (httpx); it
starts at the fixed ``DEFAULT_EPOCH`` (reproducible) unless given ``epoch="now"``, and keeps its
account in a file with ``persist_to=...`` (what ``linkedapi-mcp`` does without tokens).
Standalone: ``linkedapi-mcp sandbox`` or ``python -m linkedapi_mcp.sandbox`` (starts today).
"""

from .app import Sandbox
from .clock import DEFAULT_EPOCH, VirtualClock
from .config import SandboxConfig, WorkingHours
from .faults import FAULT_KINDS, FaultQueue, FaultRule
from .server import ServerThread
from .state import SandboxState

__all__ = [
    "DEFAULT_EPOCH",
    "FAULT_KINDS",
    "FaultQueue",
    "FaultRule",
    "Sandbox",
    "SandboxConfig",
    "SandboxState",
    "ServerThread",
    "VirtualClock",
    "WorkingHours",
]
