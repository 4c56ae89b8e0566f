"""Who may set and cancel deadlines, and when reminders are due (pure rules)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.errors import NotAllowed
from bot.services import deadlines
from bot.services.deadlines import reminder_offset
from bot.services.people import MembershipView, PersonView
from tests.scheduler.world import build_world, make_app

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def person(person_id: int, *memberships: tuple[int, str, str, str]) -> PersonView:
    views = tuple(
        MembershipView(org_id, role, f"org {org_id}", kind, path, None, None)
        for org_id, role, kind, path in memberships
    )
    return PersonView(person_id, 1000 + person_id, "X", "vi", "active", views)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 5, 17, 7, 59, tzinfo=ZONE), None),  # 14 days before, before 8:00
        (datetime(2027, 5, 17, 8, 0, tzinfo=ZONE), 14),
        (datetime(2027, 5, 23, 23, 0, tzinfo=ZONE), 14),
        (datetime(2027, 5, 24, 8, 0, tzinfo=ZONE), 7),  # 14 is superseded
        (datetime(2027, 5, 31, 9, 0, tzinfo=ZONE), 1),  # the day itself: still the last one
        (datetime(2027, 6, 1, 8, 0, tzinfo=ZONE), None),  # passed
    ],
)
def test_reminder_offset(now: datetime, expected: int | None) -> None:
    assert reminder_offset(date(2027, 5, 31), (14, 7, 1), now, ZONE) == expected


def test_places_are_a_principals_school_and_an_officers_province() -> None:
    someone = person(
        1,
        (3, "principal", "school", "/1/2/3/"),
        (1, "dept_admin", "province", "/1/"),
        (9, "staff", "class", "/1/2/3/9/"),
        (9, "parent", "class", "/1/2/3/9/"),
    )
    assert [p.org_id for p in deadlines.places(someone)] == [3, 1]
    assert deadlines.places(person(2, (9, "staff", "class", "/1/2/3/9/"))) == []
    assert deadlines.places(None) == []


async def test_a_principal_cannot_add_or_cancel_for_another_school(sqlite_url) -> None:
    clock = FixedClock(datetime(2026, 9, 1, tzinfo=ZONE))
    app = make_app(sqlite_url, clock)
    world = await build_world(app.database, clock.now())
    a, b = world.orgs["THPT A"], world.orgs["THCS B"]
    principal_a = person(world.ids["PA"], (a.id, "principal", "school", a.path))
    principal_b = person(world.ids["PB"], (b.id, "principal", "school", b.path))
    today = date(2026, 9, 1)
    try:
        uow = app.database.unit_of_work()
        with pytest.raises(NotAllowed):
            await deadlines.add(
                uow,
                person=principal_b,
                org_id=a.id,
                title="Hạn",
                audience="everyone",
                due=today + timedelta(days=5),
                offsets=[1],
                completes=None,
                today=today,
                now=clock.now(),
            )
        with pytest.raises(NotAllowed):
            await deadlines.add(
                uow,
                person=principal_a,
                org_id=a.id,
                title="Hạn",
                audience="everyone",
                due=today - timedelta(days=1),
                offsets=[1],
                completes=None,
                today=today,
                now=clock.now(),
            )
        made = await deadlines.add(
            uow,
            person=principal_a,
            org_id=a.id,
            title="Hạn",
            audience="everyone",
            due=today + timedelta(days=5),
            offsets=[3, 1, 3, 400],
            completes=None,
            today=today,
            now=clock.now(),
        )
        await uow.finish()
        uow = app.database.unit_of_work()
        with pytest.raises(NotAllowed):
            await deadlines.cancel(uow, principal_b, made)
        [row] = await deadlines.of_places(uow, principal_a, today)
        assert row.remind_days_before == (3, 1) and row.audience == (
            "parent",
            "student",
            "staff",
            "principal",
        )
        assert await deadlines.cancel(uow, principal_a, made)
        assert not await deadlines.cancel(uow, principal_a, made)
        await uow.finish()
    finally:
        await app.database.dispose()


@pytest.mark.parametrize(
    ("role", "form", "not_forms"),
    [
        ("parent", "Quý phụ huynh", ("Thầy/Cô", "Em ", " em ")),
        ("student", "Em ", ("Quý phụ huynh", "Thầy/Cô", "Quý vị")),
        ("staff", "Thầy/Cô", ("Quý phụ huynh", "Em ", " em ")),
        ("principal", "Thầy/Cô", ("Quý phụ huynh", "Em ", " em ")),
        ("dept_admin", "đồng chí", ("Quý phụ huynh", "Thầy/Cô", "Quý vị", "Em ", " em ")),
    ],
)
@pytest.mark.parametrize("days", [0, 1, 3])
def test_reminders_are_worded_for_the_reader(
    role: str, form: str, not_forms: tuple[str, ...], days: int
) -> None:
    from bot.i18n import Renderer, build_catalogues
    from bot.services.reminders import reminder_text
    from bot.text import reader_of

    reader = reader_of({role})  # as the reminder job renders it for this recipient
    render = Renderer(build_catalogues("vi"), "vi", ZONE, reader)
    today = date(2027, 5, 22)
    text = render(reminder_text(role, "Nộp hồ sơ", None, today + timedelta(days=days), today, True))
    assert form in text, text
    assert not any(other in text for other in not_forms), text
    assert f"{22 + days}/5/2027" in text
    assert ("/report" in text) == (role != "dept_admin")
    english = Renderer(build_catalogues("vi"), "en", ZONE, reader)(
        reminder_text(role, "Send dossiers", None, today + timedelta(days=days), today, True)
    )
    assert "Send dossiers" in english and "May 2027" in english
