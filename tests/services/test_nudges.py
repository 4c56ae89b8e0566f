"""The nudge service without Telegram, on SQLite and on PostgreSQL (the once-a-day row)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services import campaigns, enrolment, nudges, reports
from bot.services.campaigns import ActiveCampaign
from bot.services.people import PersonView, load_view
from storage import firings, org_units, people
from storage.db import Database

NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)
DAY = date(2026, 9, 5)
SCHOOL = [("province", "Bắc Ninh"), ("school", "THCS Đông Ngàn")]


async def world(db: Database) -> tuple[int, int, int, dict[str, PersonView]]:
    """Class 10A1: teacher, parents lan (vi) and john (en), student minh, parent dat (has
    reported VNeID), parent chan (blocked the bot), parent quen (used /forget). 10A2 has
    its own teacher; unit 'Tổ Toán' has a staff member."""
    uow = db.unit_of_work()
    await campaigns.ensure_default(uow, NOW)
    a1, _ = await org_units.ensure(uow.session, [*SCHOOL, ("class", "10A1")], NOW)
    a2, _ = await org_units.ensure(uow.session, [*SCHOOL, ("class", "10A2")], NOW)
    unit, _ = await org_units.ensure(uow.session, [*SCHOOL, ("unit", "Tổ Toán")], NOW)
    cast = [
        ("teacher", a1.id, "staff", "vi"),
        ("lan", a1.id, "parent", "vi"),
        ("john", a1.id, "parent", "en"),
        ("minh", a1.id, "student", "vi"),
        ("dat", a1.id, "parent", "vi"),
        ("chan", a1.id, "parent", "vi"),
        ("quen", a1.id, "parent", "vi"),
        ("other", a2.id, "staff", "vi"),
        ("maths", unit.id, "staff", "vi"),
    ]
    ids = await people.create_many(
        uow.session, [(9000 + n, name, lang, NOW) for n, (name, _, _, lang) in enumerate(cast)]
    )
    await people.add_memberships(
        uow.session,
        [(pid, org, role, None, NOW) for pid, (_, org, role, _) in zip(ids, cast, strict=True)],
    )
    await uow.finish()
    views = {}
    uow = db.unit_of_work()
    for n, (name, *_rest) in enumerate(cast):
        view = await load_view(uow, 9000 + n)
        assert view is not None
        views[name] = view
    campaign_id, pack = await ActiveCampaign().get(uow)
    await reports.submit(
        uow,
        campaign_id=campaign_id,
        pack=pack,
        person=views["dat"],
        milestone_id="vneid_level2",
        evidence=None,
        now=NOW,
    )
    await people.set_status(uow.session, views["chan"].id, "unreachable")
    await enrolment.forget(uow, views["quen"].tg_user_id, NOW)
    await uow.finish()
    return campaign_id, a1.id, unit.id, views


async def run(db: Database, campaign_id: int, who: PersonView, org_id: int, **kw) -> nudges.Nudge:
    uow = db.unit_of_work()
    _, pack = await ActiveCampaign().get(uow)
    done = await nudges.nudge(
        uow,
        campaign_id=campaign_id,
        pack=pack,
        person=who,
        org_id=org_id,
        milestone_id=kw.get("milestone", "vneid_level2"),
        day=kw.get("day", DAY),
        now=kw.get("now", NOW),
    )
    await uow.finish()
    return done


async def test_nudge_once_a_day_to_those_missing(db: Database) -> None:
    campaign_id, a1, _, views = await world(db)
    uow = db.unit_of_work()
    _, pack = await ActiveCampaign().get(uow)
    found = {o.milestone.id: o for o in await nudges.options(uow, campaign_id, pack, a1, DAY)}
    await uow.abort()
    assert (found["vneid_level2"].reachable, found["vneid_level2"].unreachable) == (3, 2)
    assert (found["cashless_fees"].reachable, found["cashless_fees"].unreachable) == (4, 2)
    assert "staff_digital_signature" not in found  # not a class member's milestone
    assert all(o.open for o in found.values())

    done = await run(db, campaign_id, views["teacher"], a1)
    assert (done.outcome, done.queued, done.unreachable) == ("queued", 3, 2)
    by_person = {n.person_id: n for n in done.notices}
    assert set(by_person) == {views[name].id for name in ("lan", "john", "minh")}
    assert by_person[views["john"].id].language == "en"
    # one message, worded for each reader by the catalogue: a parent and a student here
    assert {by_person[views[name].id].reader for name in ("lan", "minh")} == {"parent", "student"}
    assert by_person[views["lan"].id].reader == "parent"
    assert by_person[views["minh"].id].reader == "student"
    assert by_person[views["lan"].id].text.params["teacher"].text == "teacher"
    assert {n.report_again for n in done.notices} == {"vneid_level2"}

    again = await run(db, campaign_id, views["teacher"], a1, now=NOW + timedelta(hours=3))
    assert again.outcome == "already" and again.queued == 0
    assert again.fired is not None and again.fired.recipients == 3
    assert again.fired.at == NOW
    uow = db.unit_of_work()
    key = nudges.key(a1, "vneid_level2", DAY)
    assert key == f"nudge:{a1}:vneid_level2:2026-09-05"
    assert await firings.record(uow.session, key, NOW, 1) is False  # the unique key holds
    found = {o.milestone.id: o for o in await nudges.options(uow, campaign_id, pack, a1, DAY)}
    await uow.abort()
    assert not found["vneid_level2"].open and found["cashless_fees"].open

    tomorrow = await run(db, campaign_id, views["teacher"], a1, day=DAY + timedelta(days=1))
    assert tomorrow.outcome == "queued" and tomorrow.queued == 3


async def test_who_may_nudge_what(db: Database) -> None:
    campaign_id, a1, unit, views = await world(db)
    assert (await run(db, campaign_id, views["other"], a1)).outcome == "not_yours"
    assert (await run(db, campaign_id, views["lan"], a1)).outcome == "not_yours"
    assert (await run(db, campaign_id, views["maths"], unit)).outcome == "not_yours"  # a unit
    assert nudges.class_of(views["maths"], unit) is None
    staff_only = await run(db, campaign_id, views["teacher"], a1, milestone="staff_ai_teaching")
    assert staff_only.outcome == "unknown"
    uow = db.unit_of_work()
    assert await firings.when(uow.session, [nudges.key(a1, "vneid_level2", DAY)]) == {}
    await uow.abort()
