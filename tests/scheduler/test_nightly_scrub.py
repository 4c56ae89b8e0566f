"""The nightly scrub: once a day, at the first tick from 3:00 local time, whatever the
ticks and restarts, the database files lose what /forget deleted; here a /forget whose
own scrub never ran (a stop cut it short), so the name is still in the write-ahead log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.services import privacy
from storage import people
from tests.scheduler.world import build_world, make_app, scheduler_for
from tests.storage.test_forget_files import raw

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NAME = "Qqxyz Nguyễn Thị Đêm"


def in_files(db_file: Path) -> bool:
    return NAME.encode() in raw(db_file)


async def test_once_a_day_from_three_and_the_files_lose_the_forgotten(
    sqlite_url: str, tmp_path: Path
) -> None:
    db_file = tmp_path / "test.db"
    clock = FixedClock(datetime(2027, 3, 3, 0, 5, tzinfo=ZONE))
    app = make_app(sqlite_url, clock)
    await build_world(app.database, clock.now())
    async with app.database.transaction() as session:
        [person] = await people.create_many(session, [(987_654, NAME, "vi", clock.now())])
    async with app.database.transaction() as session:
        await people.forget(session, person, 987_654)
    assert in_files(db_file)  # deleted, not yet scrubbed

    scheduler = scheduler_for(app, clock, [privacy.nightly])
    fired: list[tuple[int, int, int]] = []
    try:
        for day, hour, minute in ((3, 0, 5), (3, 2, 59), (3, 3, 0), (3, 3, 1), (3, 23, 30)):
            if (day, hour, minute) == (3, 3, 1):  # a restart: the day's scrub is done already
                await app.shared.background.drain()
                await app.database.dispose()
                app = make_app(sqlite_url, clock)
                scheduler = scheduler_for(app, clock, [privacy.nightly])
            clock.at = datetime(2027, 3, day, hour, minute, tzinfo=ZONE)
            result = await scheduler.tick()
            assert result is not None
            if result["nightly"]:
                fired.append((day, hour, minute))
                await app.shared.background.drain()
                assert not in_files(db_file)
        assert fired == [(3, 3, 0)]
        for day, hour, minute in ((4, 2, 0), (4, 8, 0), (4, 9, 0)):  # the next day, once
            clock.at = datetime(2027, 3, day, hour, minute, tzinfo=ZONE)
            result = await scheduler.tick()
            assert result is not None
            if result["nightly"]:
                fired.append((day, hour, minute))
        assert fired == [(3, 3, 0), (4, 8, 0)]
    finally:
        await app.shared.background.drain()
        await app.database.dispose()
