"""The limit on messages per person: whoever sends more than allowed within a minute is asked once
to wait, and then not answered until the minute is over, so that one person cannot spend the
sending budget everybody shares."""

from __future__ import annotations

from collections import deque
from datetime import datetime
from enum import Enum

MESSAGES_PER_MINUTE = 30
# Above this many people, those who went quiet are forgotten.
REMEMBERED = 50_000


class Flood(Enum):
    WARN = "warn"  # the first message over the limit: ask to wait
    SILENT = "silent"  # the others within the minute: no answer


class FloodGate:
    """Counts each person's messages of the last minute (in memory, per process)."""

    def __init__(self, per_minute: int = MESSAGES_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.recent: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}  # when each flooding person was last asked to wait

    def check(self, key: str, at: datetime) -> Flood | None:
        """Count a message of `key` arriving `at`; None while within the limit."""
        now = at.timestamp()
        recent = self.recent.setdefault(key, deque())
        while recent and recent[0] < now - 60:
            recent.popleft()
        recent.append(now)
        if len(self.recent) > REMEMBERED:
            for quiet in [
                k for k, times in self.recent.items() if not times or times[-1] < now - 60
            ]:
                del self.recent[quiet]
                self._warned.pop(quiet, None)
        if len(recent) <= self.per_minute:
            return None
        warned = self._warned.get(key)
        if warned is not None and warned >= now - 60:
            return Flood.SILENT
        self._warned[key] = now
        return Flood.WARN
