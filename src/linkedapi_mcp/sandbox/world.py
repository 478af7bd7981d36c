"""The sandbox's synthetic LinkedIn world, able to run workflow definitions.

:class:`World` is the world's state (:class:`~.worldstate.WorldState`) plus the engine that runs
workflow definitions against it. Special people and objects that reproduce every action error
deterministically are listed by :meth:`World.samples` under ``"special"`` (and in the module
docstring of :mod:`.engine`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .engine import estimate_duration, execute
from .worldstate import DEFAULT_LIMITS, WorldState, window_start

__all__ = ["DEFAULT_LIMITS", "World", "WorldState", "window_start"]


class World(WorldState):
    """A deterministic synthetic LinkedIn world seen from one account ("me")."""

    def execute(self, definition: dict[str, Any] | list[Any], now: datetime) -> dict[str, Any] | list[Any]:
        return execute(self, definition, now)

    def estimate_duration(self, definition: dict[str, Any] | list[Any]) -> float:
        return estimate_duration(self.seed, definition)
