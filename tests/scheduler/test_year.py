"""A year of the default pack with a fake clock: each reminder and announcement fires once,
at 08:00 local time, only to the people concerned; restarts on the way change nothing."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FixedClock
from storage.models import Firing, OutboxMessage
from tests.scheduler.world import build_world, make_app, scheduler_for

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Local hours each day is ticked at: before, at and after the 08:00 reminder hour, at night.
HOURS = ((7, 59), (8, 0), (23, 30))

# Restarts, just before the tick at that day and hour: a quiet day; the evening after a
# reminder went; the morning two reminders are due.
RESTARTS = {
    (date(2027, 3, 1), (7, 59)),
    (date(2027, 5, 22), (23, 30)),
    (date(2027, 5, 24), (8, 0)),
}
PRINCIPALS = {"PA", "PB", "PC"}
STAFF = {"SA1", "SA2", "SB1"}
# Who gets each announcement: parents, students and staff, reachable and not opted out
# (P2 opted out, P3 is unreachable); SA2 is staff and a parent, and gets it once.
ANNOUNCED = {"SA1", "SA2", "P1", "ST1", "SB1", "P4"}

KH = "@bdhvs_khanh_hoa"  # the province pack's firings carry its slug
EXPECTED = {
    f"announcement:school_year_start{KH}:2026": ANNOUNCED,
    f"announcement:digital_transformation_day{KH}:2026": ANNOUNCED,
    f"announcement:tet_fraud_warning{KH}:2027": ANNOUNCED,
    f"reminder:pack:periodic_report{KH}:2027-05-20:7": PRINCIPALS,
    f"reminder:pack:periodic_report{KH}:2027-05-20:1": PRINCIPALS,
    f"reminder:pack:award_dossiers{KH}:2027-05-25:7": STAFF,
    f"reminder:pack:award_dossiers{KH}:2027-05-25:3": STAFF,
    f"reminder:pack:award_dossiers{KH}:2027-05-25:1": STAFF,
    f"reminder:pack:council_review{KH}:2027-05-27:3": PRINCIPALS,
    f"reminder:pack:council_review{KH}:2027-05-27:1": PRINCIPALS,
    f"reminder:pack:dossiers_to_department{KH}:2027-05-30:3": PRINCIPALS,
    f"reminder:pack:dossiers_to_department{KH}:2027-05-30:1": PRINCIPALS,
    # PA reported the milestone that completes it, PC entered the year's self-assessment
    # (level 1, so not that milestone): only PB is reminded.
    f"reminder:pack:self_assessment_4725{KH}:2027-05-31:14": {"PB"},
    f"reminder:pack:self_assessment_4725{KH}:2027-05-31:7": {"PB"},
    f"reminder:pack:self_assessment_4725{KH}:2027-05-31:1": {"PB"},
    # Quảng Ngãi's 15/6 is not Khánh Hòa's: no yearly_dossiers_june here.
}


def fire_day(key: str) -> date:
    parts = key.split(":")
    if parts[0] == "announcement":
        day = {
            "school_year_start": (15, 9),
            "digital_transformation_day": (10, 10),
            "tet_fraud_warning": (10, 1),
        }[parts[1].partition("@")[0]]
        return date(int(parts[2]), day[1], day[0])
    return date.fromisoformat(parts[3]) - timedelta(days=int(parts[4]))


async def test_a_year_fires_each_item_once_at_eight_to_those_concerned(sqlite_url) -> None:
    started = time.monotonic()
    first = date(2026, 9, 1)
    clock = FixedClock(datetime(2026, 9, 1, tzinfo=ZONE))
    app = make_app(sqlite_url, clock)
    world = await build_world(app.database, clock.now())
    scheduler = scheduler_for(app, clock)
    fired_per_tick: Counter[str] = Counter()
    try:
        for n in range(365):
            day = first + timedelta(days=n)
            for hour, minute in HOURS:
                if (day, (hour, minute)) in RESTARTS:  # new database handles, caches, scheduler
                    await app.database.dispose()
                    app = make_app(sqlite_url, clock)
                    scheduler = scheduler_for(app, clock)
                clock.at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)
                result = await scheduler.tick()
                assert result is not None
                for job, count in result.items():
                    assert count >= 0, job
                    if count:
                        assert (hour, minute) == (8, 0), (day, job)
                        fired_per_tick[job] += count
        async with app.database.transaction() as session:
            fired = {f.key: f.recipients for f in await session.scalars(select(Firing))}
            # The base pack covers no school here (all are in Khánh Hòa): it fires empty.
            found = {key: n for key, n in fired.items() if n}
            assert all("@" not in key for key in set(fired) - set(found))
            rows = list(await session.scalars(select(OutboxMessage)))
    finally:
        await app.database.dispose()

    assert set(found) == set(EXPECTED)
    assert sum(fired_per_tick.values()) == len(EXPECTED)
    for key, names in EXPECTED.items():
        assert found[key] == len(names), key
    expected = Counter(
        (name, fire_day(key), key.split(":")[0])
        for key, names in EXPECTED.items()
        for name in names
    )
    got = Counter()
    for row in rows:
        local = row.created_at.astimezone(ZONE)
        assert (local.hour, local.minute) == (8, 0)
        assert not row.urgent and row.source in {"reminder", "announcement"}
        got[(world.name_of(row.person_id), local.date(), row.source)] += 1
    assert got == expected

    def texts(day: date, part: str) -> dict[str, str]:
        return {
            world.name_of(r.person_id): r.text
            for r in rows
            if r.created_at.astimezone(ZONE).date() == day and part in r.text
        }

    dossiers = texts(date(2027, 5, 22), "")
    assert "Thầy/Cô" in dossiers["SA1"] and "25/5/2027" in dossiers["SA1"]
    assert "3 ngày" in dossiers["SA1"] and "Quý phụ huynh" not in dossiers["SA1"]
    assert dossiers["SA2"].startswith("⏰ Dear colleague") and "25 May 2027" in dossiers["SA2"]
    assessment = texts(date(2027, 5, 30), "4725")
    assert set(assessment) == {"PB"}
    assert "ngày mai" in assessment["PB"] and "/stats" in assessment["PB"]
    tet = texts(date(2027, 1, 10), "")
    assert "Tết" in tet["P1"] and "Tết is coming" in tet["SA2"]
    assert time.monotonic() - started < 30
