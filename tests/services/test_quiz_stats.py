"""Quiz statistics and standings against numbers worked out by hand, on SQLite and
PostgreSQL.

The world (ids chosen so that paths are prefixes where it hurts: school A "/1/3/" vs
school B "/1/31/", class 10A "/1/3/12/" vs 10B "/1/3/120/"):

    province 1
    ├── school 3 (A)
    │   ├── class 12 "10A": parents a1 a2 a3 a4
    │   ├── class 120 "10B": parents b1 b2
    │   ├── class 121 "10C": parents c1 c2 c3, and a2 (a parent of two children)
    │   └── unit 13 "Tổ Toán": staff s1 s2
    └── school 31 (B)
        └── class 310 "6A": parent x1

Quiz fraud_awareness (9 questions, pass mark 8). Finished attempts, with the questions
answered wrongly (every other one right):

    a1  first: 0 1 2 (6, failed)   second: none (9, passed)
    a2  first: none (passed)       a3  first: 0 1 2 (failed)     a4  none
    b1  first: 5 (passed)          b2  first: none (passed)
    s1  first: 0 2 3 (failed)      x1  first: all 9 (failed; school B)
    c1  an open attempt, q0 wrong (unfinished: not counted)

Per question in school A, first attempts (a1 a2 a3 b1 b2 s1 = 6 people):
    q0 3/6 (a1 a3 s1), q2 3/6 (a1 a3 s1), q1 2/6 (a1 a3), q3 1/6 (s1), q5 1/6 (b1), others 0/6

Classes and units of school A (members / took / passed -> share of members passed):
    10B      2 / 2 / 2  -> 100 %   rank 1
    10A      4 / 3 / 2  ->  50 %   rank 2   (pass rate 2/3, participation 75 %)
    10C      4 / 1 / 1  ->  25 %   rank 3   (a2 counts here too)
    Tổ Toán  2 / 1 / 0  ->   0 %   rank 4
Schools of province 1: A 11 members (a2 once) / 6 took / 4 passed, rank 1; B 1 / 1 / 0, rank 2.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from bot.campaign.loader import load_default_pack
from bot.services import campaigns, quiz_stats
from bot.services.people import MembershipView, PersonView
from storage import campaigns as campaign_rows
from storage.db import Database
from storage.models import Membership, OrgUnit, Person, QuizAnswer, QuizAttempt

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
ORGS = [
    (1, "province", "Bắc Ninh", None, "/1/"),
    (3, "school", "THPT A", 1, "/1/3/"),
    (31, "school", "THCS B", 1, "/1/31/"),
    (12, "class", "10A", 3, "/1/3/12/"),
    (120, "class", "10B", 3, "/1/3/120/"),
    (121, "class", "10C", 3, "/1/3/121/"),
    (13, "unit", "Tổ Toán", 3, "/1/3/13/"),
    (310, "class", "6A", 31, "/1/31/310/"),
]
MEMBERS = {  # person id: [(org, role)]
    1: [(12, "parent")],
    2: [(12, "parent"), (121, "parent")],
    3: [(12, "parent")],
    4: [(12, "parent")],
    5: [(120, "parent")],
    6: [(120, "parent")],
    7: [(121, "parent")],
    8: [(121, "parent")],
    9: [(121, "parent")],
    10: [(13, "staff")],
    11: [(13, "staff")],
    12: [(310, "parent")],
}
A1, A2, A3, B1, B2, S1, X1, C1 = 1, 2, 3, 5, 6, 10, 12, 7
QUESTIONS, PASS_MARK = 9, 8  # as the shipped quiz has them (checked below)
ATTEMPTS = [  # person, wrong questions, finished
    (A1, {0, 1, 2}, True),
    (A1, set(), True),
    (A2, set(), True),
    (A3, {0, 1, 2}, True),
    (B1, {5}, True),
    (B2, set(), True),
    (S1, {0, 2, 3}, True),
    (X1, set(range(QUESTIONS)), True),
    (C1, {0}, False),
]


@pytest.fixture
async def world(db: Database) -> tuple[Database, int]:
    uow = db.unit_of_work()
    pack = load_default_pack()
    await campaigns.install(uow, pack, "default", NOW)
    await uow.finish()
    async with db.transaction() as session:
        campaign_id = (await campaign_rows.active_stamp(session) or (0, NOW))[0]
        await session.execute(
            insert(OrgUnit),
            [
                dict(id=i, kind=k, name=n, parent_id=p, path=path, created_at=NOW)
                for i, k, n, p, path in ORGS
            ],
        )
        await session.execute(
            insert(Person),
            [
                dict(
                    id=i,
                    tg_user_id=10**9 + i,
                    display_name=f"P{i}",
                    language="vi",
                    consent_at=NOW,
                    status="active",
                    created_at=NOW,
                )
                for i in MEMBERS
            ],
        )
        await session.execute(
            insert(Membership),
            [
                dict(person_id=i, org_id=o, role=r, created_at=NOW)
                for i, rows in MEMBERS.items()
                for o, r in rows
            ],
        )
        for n, (person, wrong, finished) in enumerate(ATTEMPTS):
            score = QUESTIONS - len(wrong)
            attempt = QuizAttempt(
                person_id=person,
                campaign_id=campaign_id,
                quiz_key="fraud_awareness",
                rendering="poll",
                status="finished" if finished else "open",
                position=QUESTIONS if finished else 1,
                total=QUESTIONS,
                score=score,
                passed=score >= PASS_MARK,
                started_at=NOW + timedelta(days=n),
                finished_at=NOW + timedelta(days=n),
            )
            session.add(attempt)
            await session.flush()
            questions = range(QUESTIONS) if finished else range(1)
            session.add_all(
                QuizAnswer(
                    attempt_id=attempt.id,
                    question=q,
                    shown={"order": [0, 1, 2]},
                    chosen=0,
                    correct=q not in wrong,
                    sent_at=NOW,
                    answered_at=NOW,
                )
                for q in questions
            )
    return db, campaign_id


def quiz():
    found = load_default_pack().quiz("fraud_awareness")
    assert (len(found.questions), found.passing) == (QUESTIONS, PASS_MARK)
    return found


async def test_questions_missed_in_the_school(world: tuple[Database, int]) -> None:
    db, campaign_id = world
    async with db.reading() as uow:
        found = await quiz_stats.question_misses(uow, campaign_id, quiz(), ["/1/3/"])
    got = [(m.index, m.wrong, m.answered) for m in found]
    assert got[:5] == [(0, 3, 6), (2, 3, 6), (1, 2, 6), (3, 1, 6), (5, 1, 6)]
    assert got[5:] == [(q, 0, 6) for q in (4, 6, 7, 8)]
    assert found[0].share == 0.5


async def test_class_standings(world: tuple[Database, int]) -> None:
    db, campaign_id = world
    async with db.reading() as uow:
        groups = await quiz_stats.standings(
            uow, campaign_id, quiz(), ["/1/3/"], quiz_stats.CLASS_KINDS
        )
    got = [(g.name, g.members, g.took, g.passed, g.rank) for g in groups]
    assert got == [
        ("10B", 2, 2, 2, 1),
        ("10A", 4, 3, 2, 2),
        ("10C", 4, 1, 1, 3),
        ("Tổ Toán", 2, 1, 0, 4),
    ]
    ten_a = groups[1]
    assert ten_a.participation == 0.75 and ten_a.pass_rate == pytest.approx(2 / 3)
    assert ten_a.share_passed == 0.5


async def test_school_standings_for_the_province(world: tuple[Database, int]) -> None:
    db, campaign_id = world
    async with db.reading() as uow:
        groups = await quiz_stats.standings(
            uow, campaign_id, quiz(), ["/1/"], quiz_stats.SCHOOL_KINDS
        )
    assert [(g.name, g.members, g.took, g.passed, g.rank) for g in groups] == [
        ("THPT A", 11, 6, 4, 1),
        ("THCS B", 1, 1, 0, 2),
    ]


async def test_my_class_standing(world: tuple[Database, int]) -> None:
    db, campaign_id = world
    a3 = PersonView(
        id=A3,
        tg_user_id=10**9 + A3,
        name="P3",
        language="vi",
        status="active",
        memberships=(MembershipView(12, "parent", "10A", "class", "/1/3/12/", 3, "THPT A"),),
    )
    async with db.reading() as uow:
        found = await quiz_stats.class_standing(uow, campaign_id, quiz(), a3)
    assert found is not None
    group, count = found
    assert (group.name, group.rank, count) == ("10A", 2, 4)


def test_equal_shares_share_a_rank() -> None:
    groups = [
        quiz_stats.Group(i, name, members, 0, passed)
        for i, (name, members, passed) in enumerate(
            [("a", 2, 1), ("b", 4, 2), ("c", 3, 3), ("d", 5, 0)]
        )
    ]
    assert [(g.name, g.rank) for g in quiz_stats.ranked(groups)] == [
        ("c", 1),
        ("a", 2),
        ("b", 2),
        ("d", 4),
    ]
