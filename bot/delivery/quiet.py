"""Quiet hours: when a non-urgent message may go out.

A window is two local times, `21:00-06:30`; it may wrap past midnight, and a
window whose ends are equal is no window at all. Urgent messages ignore it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta, tzinfo

Window = tuple[time, time]


def parse(value: str | None) -> Window | None:
    """`HH:MM-HH:MM` → a window; None, empty or "off" → no window."""
    if not value or value.strip().lower() == "off":
        return None
    start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    return None if start == end else (start, end)


def inside(local: time, window: Window) -> bool:
    start, end = window
    if start < end:
        return start <= local < end
    return local >= start or local < end


def release(now: datetime, windows: Iterable[Window | None], zone: tzinfo) -> datetime:
    """The first moment at or after `now` outside every window (`now` itself if it is)."""
    windows = tuple(windows)
    moment = now.astimezone(zone)
    for _ in range(4):  # windows may chain (one ends inside another): a few rounds settle it
        moved = False
        for window in windows:
            if window is None or not inside(moment.time().replace(tzinfo=None), window):
                continue
            end = moment.replace(
                hour=window[1].hour, minute=window[1].minute, second=0, microsecond=0
            )
            if end <= moment:
                end += timedelta(days=1)
            moment, moved = end, True
        if not moved:
            break
    return moment.astimezone(now.tzinfo)
