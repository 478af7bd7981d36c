"""A local emulator of the Linked API HTTP contract over a deterministic synthetic LinkedIn world.

Embedded: ``Sandbox(seed=42, speed=1000)`` gives ``.app`` (ASGI) and ``.transport()`` (httpx).
Standalone: ``linkedapi-mcp sandbox`` or ``python -m linkedapi_mcp.sandbox``.
"""

from .app import Sandbox
from .clock import DEFAULT_EPOCH, VirtualClock
from .config import SandboxConfig, WorkingHours
from .faults import FAULT_KINDS, FaultQueue, FaultRule
from .server import ServerThread

__all__ = [
    "DEFAULT_EPOCH",
    "FAULT_KINDS",
    "FaultQueue",
    "FaultRule",
    "Sandbox",
    "SandboxConfig",
    "ServerThread",
    "VirtualClock",
    "WorkingHours",
]
