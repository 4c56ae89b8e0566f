"""The headcount service without Telegram, on SQLite and on PostgreSQL: who may record
what, the checks, and the import."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import InputRejected, NotAllowed
from bot.services import headcounts
from bot.services.headcounts import HeadcountRejected
from bot.services.people import PersonView, load_view
from storage import headcounts as rows
from storage import org_units, people
from storage.db import Database

NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)
SCHOOL = [("province", "Bắc Ninh"), ("school", "THCS Đông Ngàn")]
OTHER = [("province", "Bắc Ninh"), ("school", "THPT Khác")]


async def world(db: Database) -> tuple[dict[str, int], dict[str, PersonView]]:
    """School S: principal, homeroom teacher of 6A, maths teacher (unit), 3 parents and a
    student in 6A, 6B empty. School O: its principal and class 10A."""
    uow = db.unit_of_work()
    school, _ = await org_units.ensure(uow.session, SCHOOL, NOW)
    a, _ = await org_units.ensure(uow.session, [*SCHOOL, ("class", "6A")], NOW)
    b, _ = await org_units.ensure(uow.session, [*SCHOOL, ("class", "6B")], NOW)
    unit, _ = await org_units.ensure(uow.session, [*SCHOOL, ("unit", "Tổ Toán")], NOW)
    other, _ = await org_units.ensure(uow.session, OTHER, NOW)
    other_class, _ = await org_units.ensure(uow.session, [*OTHER, ("class", "10A")], NOW)
    orgs = {
        "school": school.id,
        "6A": a.id,
        "6B": b.id,
        "unit": unit.id,
        "other": other.id,
        "10A": other_class.id,
    }
    cast = [
        ("principal", school.id, "principal"),
        ("homeroom", a.id, "staff"),
        ("maths", unit.id, "staff"),
        ("p1", a.id, "parent"),
        ("p2", a.id, "parent"),
        ("p3", a.id, "parent"),
        ("s1", a.id, "student"),
        ("stranger", other.id, "principal"),
    ]
    ids = await people.create_many(
        uow.session, [(7000 + n, name, "vi", NOW) for n, (name, _, _) in enumerate(cast)]
    )
    await people.add_memberships(
        uow.session,
        [(pid, org, role, None, NOW) for pid, (_, org, role) in zip(ids, cast, strict=True)],
    )
    await uow.finish()
    uow = db.unit_of_work()
    views = {}
    for n, (name, *_rest) in enumerate(cast):
        view = await load_view(uow, 7000 + n)
        assert view is not None
        views[name] = view
    await uow.abort()
    return orgs, views


async def test_who_may_record_what_and_the_checks(db: Database) -> None:
    orgs, who = await world(db)
    uow = db.unit_of_work()
    try:
        # The principal: the school's staff and every class; the teacher: their class.
        offered = await headcounts.places(uow, who["principal"], orgs["school"])
        assert [(p.name, p.kind, p.current, p.joined, p.counts) for p in offered] == [
            ("THCS Đông Ngàn", "staff", None, 3, "staff"),  # principal, homeroom, maths
            ("6A", "students", None, 4, "families"),  # 3 parents and the student
            ("6B", "students", None, 0, "families"),
        ]
        mine = await headcounts.places(uow, who["homeroom"], orgs["6A"])
        assert [(p.org_id, p.kind) for p in mine] == [(orgs["6A"], "students")]
        for person, org in (
            ("maths", orgs["unit"]),  # a unit's teacher: the unit is the school's to count
            ("homeroom", orgs["6B"]),
            ("stranger", orgs["school"]),
            ("principal", orgs["6A"]),  # opened from the school, not a class
            ("p1", orgs["6A"]),
        ):
            with pytest.raises(NotAllowed):
                await headcounts.places(uow, who[person], org)

        for person, org, kind in (
            ("stranger", orgs["6A"], "students"),
            ("principal", orgs["10A"], "students"),
            ("homeroom", orgs["6B"], "students"),
            ("homeroom", orgs["school"], "staff"),
            ("principal", orgs["unit"], "staff"),
            ("principal", orgs["6A"], "families"),  # not a kind the chat records
        ):
            with pytest.raises(NotAllowed):
                await headcounts.record(uow, who[person], org, kind, 40, NOW)

        with pytest.raises(HeadcountRejected) as few:
            await headcounts.record(uow, who["homeroom"], orgs["6A"], "students", 3, NOW)
        assert (few.value.reason, few.value.joined) == ("too_few", 4)
        with pytest.raises(HeadcountRejected) as staff:
            await headcounts.record(uow, who["principal"], orgs["school"], "staff", 2, NOW)
        assert (staff.value.reason, staff.value.joined) == ("too_few", 3)
        for bad in (0, -1, 5001):
            with pytest.raises(HeadcountRejected) as out:
                await headcounts.record(uow, who["homeroom"], orgs["6A"], "students", bad, NOW)
            assert out.value.reason == "range"
        assert await rows.of_orgs(uow.session, list(orgs.values())) == {}

        first = await headcounts.record(uow, who["homeroom"], orgs["6A"], "students", 4, NOW)
        again = await headcounts.record(uow, who["principal"], orgs["6A"], "students", 38, NOW)
        staff_saved = await headcounts.record(
            uow, who["principal"], orgs["school"], "staff", 25, NOW
        )
        assert (first.name, first.before, again.before, staff_saved.before) == ("6A", None, 4, None)
        assert await rows.of_orgs(uow.session, list(orgs.values())) == {
            orgs["6A"]: {"students": 38},
            orgs["school"]: {"staff": 25},
        }
        offered = await headcounts.places(uow, who["principal"], orgs["school"])
        assert [p.current for p in offered] == [25, 38, None]
        await uow.finish()
    except BaseException:
        await uow.abort()
        raise


async def test_families_apart_change_what_students_must_cover(db: Database) -> None:
    orgs, who = await world(db)
    text = "province,school,class,students,families\nBắc Ninh,THCS Đông Ngàn,6A,3,4\n"
    uow = db.unit_of_work()
    try:
        # With families given apart (4 covers the 3 parents and the student), the students'
        # count need only cover the one student who joined.
        report = await headcounts.import_csv(uow, text, NOW)
        assert (report.rows, report.saved) == (1, 2)
        # …so the chat can lower students to 1, but not below the 1 student who joined.
        await headcounts.record(uow, who["homeroom"], orgs["6A"], "students", 1, NOW)
        offered = await headcounts.places(uow, who["homeroom"], orgs["6A"])
        assert [(p.current, p.joined, p.counts) for p in offered] == [(1, 1, "students")]
        with pytest.raises(InputRejected, match="line 2: 4 of the people it counts"):
            await headcounts.import_csv(
                uow, "province,school,class,families\nBắc Ninh,THCS Đông Ngàn,6A,3\n", NOW
            )
        await uow.finish()
    except BaseException:
        await uow.abort()
        raise
