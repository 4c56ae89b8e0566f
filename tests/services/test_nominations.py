"""Award shortlists against lists worked out by hand, on SQLite and PostgreSQL.

    province 1
    ├── school 2 (THPT A): principal 10 (tg 1010)
    │   ├── unit 4 "Tổ Toán": staff 11 An, 12 Bình (also homeroom of class 5), 13 Cường,
    │   │   14 Dũng, 15 (left with /forget)
    │   ├── class 5 "10A1": parents 20-29, students 40 and 41; headcount 10 students
    │   └── class 6 "10A2": parents 30-33, no headcount
    └── school 3 (THPT B): staff 50 Giang

The default pack's awards, by hand:

    staff_certificate (registered, skills + helped, fraud quiz passed, initiative ≥ school):
      An: all, initiative school        -> yes
      Bình: all, initiative province    -> yes (also signature: staff_merit_province yes)
      Cường: helped only pending        -> no
      Dũng: quiz taken, not passed      -> no
      15: everything, but forgotten     -> never named
      Giang (school B): everything      -> only in the province's list
    student_prized_project (product ≥ province): 40 national -> yes; 41 school -> no
    class_certificate: 10A1 registered, guided, 6 of 10 families did bdhvs_course
      (60% ≥ 50%) -> yes; 10A2 registered, guided, 4 of 4 but no headcount -> no
    unit_certificate: Tổ Toán registered, plan approved, good model pending -> no
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import delete, insert, select

from bot.campaign.loader import load_default_pack
from bot.errors import NotAllowed
from bot.i18n import Renderer, build_catalogues
from bot.services import campaigns, nomination_changes, nomination_sheet, nominations
from bot.services.nomination_changes import NominationRefused
from bot.services.people import MembershipView, PersonView
from storage import campaigns as campaign_rows
from storage import people as people_rows
from storage.db import Database
from storage.models import (
    AuditEntry,
    Headcount,
    Membership,
    NominationChange,
    OrgUnit,
    Person,
    QuizAttempt,
    Report,
)

NOW = datetime(2026, 5, 20, 3, 0, tzinfo=UTC)
PRINCIPAL, AN, BINH, CUONG, DUNG, GONE, GIANG = 10, 11, 12, 13, 14, 15, 50
ORGS = [  # id, kind, name, parent, path
    (1, "province", "Tỉnh", None, "/1/"),
    (2, "school", "THPT A", 1, "/1/2/"),
    (3, "school", "THPT B", 1, "/1/3/"),
    (4, "unit", "Tổ Toán", 2, "/1/2/4/"),
    (5, "class", "10A1", 2, "/1/2/5/"),
    (6, "class", "10A2", 2, "/1/2/6/"),
]
NAMES = {PRINCIPAL: "Thầy Hiệu", AN: "Nguyễn Văn An", BINH: "Trần Thị Bình", CUONG: "Lê Cường"}
NAMES.update({DUNG: "Phạm Dũng", GONE: "Đã Xóa", GIANG: "Hà Giang", 40: "Em Khoa", 41: "Em Linh"})
NAMES.update({p: f"Phụ huynh {p}" for p in range(20, 34)})
MEMBERS = [(PRINCIPAL, 2, "principal"), (BINH, 5, "staff"), (GIANG, 3, "staff")]
MEMBERS += [(s, 4, "staff") for s in (AN, BINH, CUONG, DUNG, GONE)]
MEMBERS += [(p, 5, "parent") for p in range(20, 30)] + [(p, 6, "parent") for p in range(30, 34)]
MEMBERS += [(40, 5, "student"), (41, 5, "student")]
FULL = ["emulation_registered", "staff_digital_skills", "staff_helped_others"]


def _reports() -> list[tuple[int | None, int | None, str, str, str | None]]:
    found: list[tuple[int | None, int | None, str, str, str | None]] = []  # person, org, ...
    for staff, level in ((AN, "school"), (BINH, "province"), (GONE, "school"), (GIANG, "school")):
        found += [(staff, None, m, "approved", None) for m in FULL]
        found.append((staff, None, "staff_initiative", "approved", level))
    found.append((BINH, None, "staff_digital_signature", "approved", None))
    found += [(CUONG, None, m, "approved", None) for m in FULL[:2]]
    found.append((CUONG, None, "staff_helped_others", "pending", None))
    found.append((CUONG, None, "staff_initiative", "approved", "commune"))
    found += [(DUNG, None, m, "approved", None) for m in FULL]
    found.append((DUNG, None, "staff_initiative", "approved", "school"))
    found += [(p, None, "bdhvs_course", "approved", None) for p in (*range(20, 26), *range(30, 34))]
    found.append((26, None, "bdhvs_course", "pending", None))
    found += [(40, None, "student_digital_product", "approved", "national")]
    found += [(41, None, "student_digital_product", "approved", "school")]
    for klass in (5, 6):
        found += [
            (None, klass, m, "approved", None)
            for m in ("collective_registered", "class_parents_guided")
        ]
    found += [(None, 4, "collective_registered", "approved", None)]
    found += [(None, 4, "unit_detailed_plan", "approved", None)]
    found += [(None, 4, "unit_good_model", "pending", None)]
    return found


def _person(person_id: int) -> dict[str, Any]:
    return {
        "id": person_id,
        "tg_user_id": 1000 + person_id,
        "display_name": NAMES[person_id],
        "language": "vi",
        "consent_at": NOW,
        "status": "active",
        "created_at": NOW,
    }


class World:
    def __init__(self, db: Database, campaign_id: int) -> None:
        self.db, self.campaign_id, self.pack = db, campaign_id, load_default_pack()

    async def lists(self, path: str) -> dict[str, list[str]]:
        async with self.db.reading() as uow:
            found = await nominations.shortlists(uow, self.campaign_id, self.pack, path)
        return {s.award.id: [c.name for c in s.listed] for s in found}

    async def one(self, path: str, award: str) -> nominations.Shortlist:
        async with self.db.reading() as uow:
            found = await nominations.shortlists(uow, self.campaign_id, self.pack, path)
        return next(s for s in found if s.award.id == award)


@pytest.fixture
async def world(db: Database) -> World:
    uow = db.unit_of_work()
    await campaigns.install(uow, load_default_pack(), "default", NOW)
    campaign = await campaign_rows.active(uow.session)
    assert campaign is not None
    session = uow.session
    await session.execute(
        insert(OrgUnit),
        [
            {"id": i, "kind": k, "name": n, "parent_id": p, "path": path, "created_at": NOW}
            for i, k, n, p, path in ORGS
        ],
    )
    await session.execute(insert(Person), [_person(p) for p in NAMES])
    await session.execute(
        insert(Membership),
        [{"person_id": p, "org_id": o, "role": r, "created_at": NOW} for p, o, r in MEMBERS],
    )
    await session.execute(
        insert(Report),
        [
            {
                "person_id": person,
                "org_id": org,
                "campaign_id": campaign.id,
                "milestone_key": milestone,
                "status": status,
                "level": level,
                "reported_at": NOW,
                "decided_at": NOW if status == "approved" else None,
                "decided_by": 1000 + PRINCIPAL if status == "approved" else None,
                "evidence_kind": "document",
                "evidence_name": f"{milestone}.pdf",
            }
            for person, org, milestone, status, level in _reports()
        ],
    )
    attempts = [(s, True) for s in (AN, BINH, CUONG, GONE, GIANG)] + [(DUNG, False)]
    await session.execute(
        insert(QuizAttempt),
        [
            {
                "person_id": person,
                "campaign_id": campaign.id,
                "quiz_key": "fraud_awareness",
                "rendering": "poll",
                "status": "finished",
                "position": 10,
                "total": 10,
                "score": 9 if passed else 4,
                "passed": passed,
                "started_at": NOW,
                "finished_at": NOW,
            }
            for person, passed in attempts
        ],
    )
    await session.execute(
        insert(Headcount),
        [{"org_id": 5, "kind": "students", "count": 10, "source": "chat", "updated_at": NOW}],
    )
    await people_rows.forget(session, GONE, 1000 + GONE)
    await uow.finish()
    return World(db, campaign.id)


BY_HAND_SCHOOL = {
    "staff_certificate": ["Nguyễn Văn An", "Trần Thị Bình"],
    "staff_merit_province": ["Trần Thị Bình"],
    "student_prized_project": ["Em Khoa"],
    "class_certificate": ["10A1"],
    "unit_certificate": [],
}


async def test_the_shortlists_match_the_hand_computation(world: World) -> None:
    assert await world.lists("/1/2/") == BY_HAND_SCHOOL
    province = await world.lists("/1/")
    assert province["staff_certificate"] == ["Nguyễn Văn An", "Trần Thị Bình", "Hà Giang"]
    assert await world.lists("/1/3/") == {
        **{key: [] for key in BY_HAND_SCHOOL},
        "staff_certificate": ["Hà Giang"],
    }

    # Each name carries the evidence behind it.
    staff = await world.one("/1/2/", "staff_certificate")
    binh = next(c for c in staff.listed if c.name == "Trần Thị Bình")
    assert binh.school == "THPT A" and binh.place == "Tổ Toán, 10A1" and binh.role == "staff"
    assert binh.met == {0, 1, 2, 3}
    reported = {(p.rule, p.report.milestone) for p in binh.proofs if p.report}
    assert reported == {
        (0, "emulation_registered"),
        (1, "staff_digital_skills"),
        (1, "staff_helped_others"),
        (3, "staff_initiative"),
    }
    initiative = next(p.report for p in binh.proofs if p.report and p.rule == 3)
    assert initiative is not None
    assert (initiative.level, initiative.status, initiative.reviewer) == (
        "province",
        "approved",
        "Thầy Hiệu",
    )
    assert initiative.file == "staff_initiative.pdf" and initiative.decided_at == NOW
    quiz = next(p.quiz for p in binh.proofs if p.quiz)
    assert quiz is not None and (quiz.quiz, quiz.score, quiz.total) == ("fraud_awareness", 9, 10)
    klass = await world.one("/1/2/", "class_certificate")
    assert [(c.name, c.met) for c in klass.candidates] == [("10A1", {0, 1, 2})]
    assert next(p.families for p in klass.candidates[0].proofs if p.families) == (6, 10)


async def test_the_province_sheet_reads_back(world: World) -> None:
    """The sheet /export adds, and the workbook a worker writes of it (here in-process)."""
    render = Renderer(build_catalogues("vi"), "vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    async with world.db.reading() as uow:
        sheet = await nomination_sheet.nominations_sheet(
            uow, world.campaign_id, world.pack, "/1/", render
        )
    data = nomination_sheet.workbook(nomination_sheet.plain(sheet, render), "vi", render.zone)
    page = openpyxl.load_workbook(io.BytesIO(data))["Danh sách đề nghị khen thưởng"]
    rows = list(page.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[4]) for r in rows if r[0].startswith("Giấy khen của Hiệu trưởng")] == [
        ("Nguyễn Văn An", "THPT A"),
        ("Trần Thị Bình", "THPT A"),
        ("Hà Giang", "THPT B"),
    ]
    assert [r[1] for r in rows if r[2] == "Lớp (tập thể)"] == ["10A1"]
    families = next(r for r in rows if r[1] == "10A1")
    assert "Gia đình hoàn thành: 6/10" in families[6] and families[5].count("✓") == 3
    assert len(rows) == 6 and page.freeze_panes == "A2"


async def principal(world: World) -> PersonView:
    school = MembershipView(2, "principal", "THPT A", "school", "/1/2/", 2, "THPT A")
    return PersonView(PRINCIPAL, 1000 + PRINCIPAL, "Thầy Hiệu", "vi", "active", (school,))


async def change(world: World, who: PersonView | None, **fields: Any) -> str:
    uow = world.db.unit_of_work()
    try:
        done = await nomination_changes.change(
            uow,
            campaign_id=world.campaign_id,
            pack=world.pack,
            person=who,
            actor_tg_id=who.tg_user_id if who else 0,
            now=NOW,
            **{"school_id": 2, "award_id": "staff_certificate", "reason": "Lý do", **fields},
        )
    except BaseException:
        await uow.abort()
        raise
    await uow.finish()
    return done


async def test_a_principal_removes_adds_and_adds_back_with_reasons(world: World) -> None:
    head = await principal(world)
    assert await change(
        world, head, key=f"p{AN}", action="remove", reason="Chưa đủ minh chứng"
    ) == ("Nguyễn Văn An")
    assert await change(world, head, key=f"p{CUONG}", action="add", reason=" Có  sáng kiến\n") == (
        "Lê Cường"
    )
    staff = await world.one("/1/2/", "staff_certificate")
    assert [c.name for c in staff.listed] == ["Lê Cường", "Trần Thị Bình"]
    assert [c.name for c in staff.removed] == ["Nguyễn Văn An"]
    cuong = staff.listed[0]
    assert cuong.change is not None and not cuong.by_rules
    assert (cuong.change.change, cuong.change.reason, cuong.change.by) == (
        "added",
        "Có sáng kiến",
        "Thầy Hiệu",
    )
    # The department sees the same list; the other awards are untouched.
    assert (await world.lists("/1/"))["staff_certificate"] == [
        "Lê Cường",
        "Trần Thị Bình",
        "Hà Giang",
    ]
    assert (await world.lists("/1/2/"))["staff_merit_province"] == ["Trần Thị Bình"]

    await change(world, head, key=f"p{AN}", action="add", reason="Đã bổ sung minh chứng")
    assert (await world.lists("/1/2/"))["staff_certificate"] == [
        "Lê Cường",
        "Nguyễn Văn An",
        "Trần Thị Bình",
    ]
    await change(world, head, key="o5", action="remove", award_id="class_certificate")
    assert (await world.lists("/1/2/"))["class_certificate"] == []

    async with world.db.transaction() as session:
        audited = [
            (a.actor_tg_id, a.action, a.target, a.details["award"], a.details["before"])
            for a in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if a.action.startswith("nomination.")
        ]
        stored = len((await session.scalars(select(NominationChange))).all())
    assert audited == [
        (1010, "nomination.remove", f"person:{AN}", "staff_certificate", None),
        (1010, "nomination.add", f"person:{CUONG}", "staff_certificate", None),
        (1010, "nomination.add", f"person:{AN}", "staff_certificate", "removed"),
        (1010, "nomination.remove", "org_unit:5", "class_certificate", None),
    ]
    assert stored == 3  # one row per award and name: An's removal became an addition


REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"key": f"p{GIANG}", "action": "add"}, "outside"),  # school B's
    ({"key": f"p{GONE}", "action": "add"}, "outside"),  # left with /forget
    ({"key": "p40", "action": "add"}, "outside"),  # a student: not whom it is for
    ({"key": "o6", "action": "add"}, "outside"),  # a class for a staff award
    ({"key": "p999999", "action": "add"}, "outside"),  # nobody
    ({"key": f"p{AN}", "action": "add"}, "listed"),
    ({"key": f"p{CUONG}", "action": "remove"}, "not_listed"),
    ({"key": f"p{AN}", "action": "remove", "award_id": "ghost"}, "award"),
    ({"key": f"p{AN}", "action": "remove", "reason": "   "}, "reason"),
    ({"key": f"p{AN}", "action": "remove", "reason": "x" * 501}, "reason"),
]


async def test_what_cannot_be_changed_is_refused_and_only_the_principal_decides(
    world: World,
) -> None:
    head = await principal(world)
    for fields, refused in REFUSED:
        with pytest.raises(NominationRefused) as caught:
            await change(world, head, **fields)
        assert caught.value.reason == refused, fields
    officer = PersonView(
        99,
        1099,
        "Đồng chí Sở",
        "vi",
        "active",
        (MembershipView(1, "dept_admin", "Tỉnh", "province", "/1/", None, None),),
    )
    for who, school in ((officer, 2), (head, 3), (None, 2), (head, 4), (head, 12345)):
        with pytest.raises(NotAllowed):
            await change(world, who, key=f"p{AN}", action="remove", school_id=school)
    assert await world.lists("/1/2/") == BY_HAND_SCHOOL

    # Names to add are found without diacritics, among those not on the list.
    async with world.db.reading() as uow:
        school = await nomination_changes.school_of(uow, head, 2)
        found = await nomination_changes.matches(
            uow, world.campaign_id, world.pack, school, "staff_certificate", "CUONG"
        )
        none = await nomination_changes.matches(
            uow, world.campaign_id, world.pack, school, "staff_certificate", "an"
        )
        classes = await nomination_changes.matches(
            uow, world.campaign_id, world.pack, school, "class_certificate", "10a"
        )
    assert [(n.key, n.name, n.place) for n in found] == [(f"p{CUONG}", "Lê Cường", "Tổ Toán")]
    assert [n.name for n in none] == []  # An and Trần Thị Bình are on the list already
    assert [n.key for n in classes] == ["o6"]


async def test_the_families_rule_holds_at_exactly_its_share_and_counts_up_to_the_headcount(
    world: World,
) -> None:
    """10A2's 4 families who did it: 4 of a headcount of 8 is exactly the 50% the class
    certificate asks; with a headcount of 3 they count as 3 of 3, as the indicators do."""

    async def families_of_10a2(count: int) -> tuple[int, int | None] | None:
        """10A2's families proof when it is on the shortlist, None when it is not."""
        async with world.db.transaction() as session:
            await session.execute(delete(Headcount).where(Headcount.org_id == 6))
            session.add(
                Headcount(org_id=6, kind="families", count=count, source="chat", updated_at=NOW)
            )
        klass = await world.one("/1/2/", "class_certificate")
        found = next((c for c in klass.listed if c.name == "10A2"), None)
        return next(p.families for p in found.proofs if p.families) if found else None

    assert await families_of_10a2(8) == (4, 8)
    assert await families_of_10a2(9) is None  # 4 of 9 is 44%, below 50%
    assert await families_of_10a2(3) == (3, 3)


async def test_a_change_to_one_award_leaves_the_same_names_change_to_another(
    world: World,
) -> None:
    head = await principal(world)
    await change(world, head, key=f"p{AN}", action="remove", reason="Chưa đủ minh chứng")
    await change(
        world,
        head,
        key=f"p{AN}",
        action="add",
        reason="Có chữ ký số",
        award_id="staff_merit_province",
    )
    lists = await world.lists("/1/2/")
    assert lists["staff_certificate"] == ["Trần Thị Bình"]
    assert lists["staff_merit_province"] == ["Nguyễn Văn An", "Trần Thị Bình"]
    async with world.db.transaction() as session:
        stored = {
            (row.award_key, row.person_id, row.change)
            for row in await session.scalars(select(NominationChange))
        }
    assert stored == {("staff_certificate", AN, "removed"), ("staff_merit_province", AN, "added")}
