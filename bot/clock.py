"""The injected clock: every datetime the bot uses is timezone-aware."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Wall clock in UTC, with the campaign zone for local dates."""

    def __init__(self, zone: ZoneInfo, now: Callable[[], datetime] | None = None) -> None:
        self.zone = zone
        self._now = now or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self._now()

    def local_now(self) -> datetime:
        return self.now().astimezone(self.zone)


class FixedClock(Clock):
    """A clock for tests and benchmarks: set it, move it forward."""

    def __init__(self, at: datetime, zone: ZoneInfo | None = None) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.at = at
        super().__init__(zone or ZoneInfo("Asia/Ho_Chi_Minh"), lambda: self.at)

    def advance(self, delta: timedelta) -> None:
        self.at += delta
