"""The QĐ 4725 self-assessment and school figures: levels, history, awards, who may enter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.campaign.loader import load_default_pack
from bot.errors import InputRejected, NotAllowed
from bot.services import campaigns, self_assessments
from bot.services.people import PersonView, load_view
from bot.services.self_assessments import school_year
from storage.db import Database
from storage.models import AuditEntry, Membership, OrgUnit, Person, Report

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MAY = datetime(2026, 5, 20, 3, 0, tzinfo=UTC)  # school year 2025–2026
NEXT_MAY = datetime(2027, 5, 20, 3, 0, tzinfo=UTC)
PACK = load_default_pack()
THPT, KINDERGARTEN = 3, 4
PRINCIPAL, TEACHER, KG_PRINCIPAL = 11, 12, 13


@pytest.fixture
async def world(db: Database) -> AsyncIterator[int]:
    async with db.transaction() as s:
        await s.execute(
            insert(OrgUnit),
            [
                {
                    "id": 1,
                    "kind": "province",
                    "name": "Bắc Ninh",
                    "parent_id": None,
                    "path": "/1/",
                    "created_at": MAY,
                },
                {
                    "id": THPT,
                    "kind": "school",
                    "name": "THPT Lý Thái Tổ",
                    "parent_id": 1,
                    "path": "/1/3/",
                    "created_at": MAY,
                },
                {
                    "id": KINDERGARTEN,
                    "kind": "school",
                    "name": "Trường Mầm non Hoa Sen",
                    "parent_id": 1,
                    "path": "/1/4/",
                    "created_at": MAY,
                },
            ],
        )
        for pid in (PRINCIPAL, TEACHER, KG_PRINCIPAL):
            s.add(
                Person(
                    id=pid,
                    tg_user_id=100 + pid,
                    display_name=f"P{pid}",
                    language="vi",
                    consent_at=MAY,
                    status="active",
                    created_at=MAY,
                )
            )
        await s.flush()
        s.add_all(
            [
                Membership(person_id=PRINCIPAL, org_id=THPT, role="principal", created_at=MAY),
                Membership(person_id=TEACHER, org_id=THPT, role="staff", created_at=MAY),
                Membership(
                    person_id=KG_PRINCIPAL, org_id=KINDERGARTEN, role="principal", created_at=MAY
                ),
            ]
        )
    uow = db.unit_of_work()
    await campaigns.install(uow, PACK, "default", MAY)
    await uow.finish()
    uow = db.unit_of_work()
    campaign_id, _ = await campaigns.ActiveCampaign().get(uow)
    await uow.finish()
    yield campaign_id


async def view(db: Database, person_id: int) -> PersonView:
    uow = db.unit_of_work()
    found = await load_view(uow, 100 + person_id)
    await uow.finish()
    assert found is not None
    return found


async def enter(
    db: Database, campaign_id: int, person_id: int, scores: dict, met: set, now: datetime = MAY
):
    person = await view(db, person_id)
    uow = db.unit_of_work()
    try:
        result = await self_assessments.enter_assessment(
            uow,
            campaign_id=campaign_id,
            pack=PACK,
            person=person,
            scores=scores,
            met=met,
            now=now,
            zone=ZONE,
        )
    except BaseException:
        await uow.abort()
        raise
    await uow.finish()
    return result


async def milestone_status(db: Database, milestone: str) -> str | None:
    async with db.transaction() as s:
        return (
            await s.execute(
                select(Report.status).where(
                    Report.person_id == PRINCIPAL, Report.milestone_key == milestone
                )
            )
        ).scalar()


ALL = {"school_plan", "sector_database"}


@pytest.mark.parametrize(
    ("teaching", "management", "met", "level"),
    [
        (80, 90, ALL, 3),
        (76, 75, ALL, 2),  # 75 is not above 75: the weakest group decides
        (50, 100, ALL, 2),
        (49.9, 100, ALL, 1),
        (95, 95, {"school_plan"}, 1),  # a mandatory item missing: level 1 whatever the scores
        (0, 0, set(), 1),
    ],
)
def test_level_rule(teaching: float, management: float, met: set, level: int) -> None:
    assert PACK.self_assessment is not None
    assert (
        PACK.self_assessment.level({"teaching": teaching, "management": management}, met) == level
    )


def test_school_years_start_in_august() -> None:
    assert school_year(date(2026, 5, 31)) == 2025
    assert school_year(date(2026, 8, 1)) == 2026
    assert school_year(date(2026, 12, 2)) == 2026


async def test_entering_keeps_history_and_awards_on_target(db: Database, world: int) -> None:
    first = await enter(db, world, PRINCIPAL, {"teaching": 60, "management": 70}, ALL)
    assert (first.school_year, first.level, first.on_target) == (2025, 2, True)
    assert await milestone_status(db, "school_4725_level2") == "accepted"
    # Entered again the same year with a missing mandatory item: replaced, award withdrawn.
    again = await enter(db, world, PRINCIPAL, {"teaching": 60, "management": 70}, {"school_plan"})
    assert again.level == 1 and await milestone_status(db, "school_4725_level2") == "withdrawn"
    nxt = await enter(db, world, PRINCIPAL, {"teaching": 80, "management": 90}, ALL, NEXT_MAY)
    assert nxt.level == 3 and await milestone_status(db, "school_4725_level2") == "accepted"
    uow = db.unit_of_work()
    years = await self_assessments.history(uow, PACK, THPT)
    await uow.finish()
    assert [(y.school_year, y.level) for y in years] == [(2026, 3), (2025, 1)]
    async with db.transaction() as s:
        actions = (
            (await s.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars().all()
        )
    assert [a for a in actions if a.startswith("self_assessment")] == [
        "self_assessment.enter",
        "self_assessment.replace",
        "self_assessment.enter",
    ]


async def test_only_principals_of_covered_schools_enter(db: Database, world: int) -> None:
    with pytest.raises(NotAllowed):
        await enter(db, world, TEACHER, {"teaching": 60, "management": 70}, ALL)
    with pytest.raises(NotAllowed, match="not_covered"):  # a kindergarten: QĐ 4725 does not apply
        await enter(db, world, KG_PRINCIPAL, {"teaching": 60, "management": 70}, ALL)
    with pytest.raises(InputRejected):  # a group missing
        await enter(db, world, PRINCIPAL, {"teaching": 60}, ALL)
    with pytest.raises(InputRejected):  # an item that is not in the pack
        await enter(db, world, PRINCIPAL, {"teaching": 60, "management": 70}, {"made_up"})
    assert await milestone_status(db, "school_4725_level2") is None


async def test_figures_award_their_milestone_at_the_target_share(db: Database, world: int) -> None:
    person = await view(db, PRINCIPAL)

    async def figure(value: float, out_of: float) -> self_assessments.FigureView:
        uow = db.unit_of_work()
        shown = await self_assessments.enter_figure(
            uow,
            campaign_id=world,
            pack=PACK,
            person=person,
            figure_id="records_digitised",
            value=value,
            out_of=out_of,
            now=MAY,
            zone=ZONE,
        )
        await uow.finish()
        return shown

    partial = await figure(148, 150)
    assert not partial.met and partial.fraction == pytest.approx(148 / 150)
    assert await milestone_status(db, "school_records_digitised") is None
    assert (await figure(150, 150)).met
    assert await milestone_status(db, "school_records_digitised") == "accepted"
    uow = db.unit_of_work()
    found = await self_assessments.figures(uow, PACK, [THPT, KINDERGARTEN], 2025)
    await uow.finish()
    assert {k: (v.value, v.out_of) for k, v in found[THPT].items()} == {
        "records_digitised": (150, 150)
    }
    assert KINDERGARTEN not in found


async def test_the_school_year_turns_at_local_midnight_on_1_august(
    db: Database, world: int
) -> None:
    """00:30 on 1 August in Vietnam is still 31 July in UTC: the entry is the new year's."""
    first_of_august = datetime(2026, 7, 31, 17, 30, tzinfo=UTC)  # the clock is in UTC
    entry = await enter(
        db, world, PRINCIPAL, {"teaching": 60, "management": 70}, ALL, first_of_august
    )
    assert entry.school_year == 2026
    person = await view(db, PRINCIPAL)
    uow = db.unit_of_work()
    await self_assessments.enter_figure(
        uow,
        campaign_id=world,
        pack=PACK,
        person=person,
        figure_id="records_digitised",
        value=120,
        out_of=150,
        now=first_of_august,
        zone=ZONE,
    )
    await uow.finish()
    uow = db.unit_of_work()
    years = [a.school_year for a in await self_assessments.history(uow, PACK, THPT)]
    this_year = await self_assessments.figures(uow, PACK, [THPT], 2026)
    last_year = await self_assessments.figures(uow, PACK, [THPT], 2025)
    await uow.finish()
    assert years == [2026]
    assert set(this_year[THPT]) == {"records_digitised"} and not last_year
