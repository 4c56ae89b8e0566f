"""/settings: a person's own quiet hours and whether they want non-urgent announcements.

Language has its own service (`bot.services.privacy.set_language`). Quiet hours are
stored as the outbox reads them (`bot.delivery.quiet.parse`): "HH:MM-HH:MM", "off" for
none at all, or None to follow the school's `HOCVUSO_QUIET_HOURS`.
"""

from __future__ import annotations

import re

from storage import people
from storage.db import UnitOfWork

OFF = "off"
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def valid_quiet_hours(value: str | None) -> bool:
    return value is None or value == OFF or _WINDOW.match(value) is not None


async def set_quiet_hours(uow: UnitOfWork, person_id: int, value: str | None) -> None:
    if not valid_quiet_hours(value):
        raise ValueError(f"quiet hours {value!r} are not HH:MM-HH:MM, 'off' or None")
    await people.set_quiet_hours(uow.session, person_id, value)


async def set_announcements(uow: UnitOfWork, person_id: int, wanted: bool) -> None:
    await people.set_announcements(uow.session, person_id, wanted)
