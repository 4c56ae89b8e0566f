"""The synthetic school of the export tests, small enough to compute every figure by hand.

    province 1 "Tỉnh Thử"
    ├── school 3 "THCS Sao Mai" (lower secondary): principal Trần Văn Hùng (100, tg 9100)
    │   ├── class 10 "6A" (4 students): homeroom Lê Văn Nam (102); parents Nguyễn Thị Lan
    │   │   (200, her name stored decomposed, NFD) and Đỗ Minh (201)
    │   ├── class 11 "6B" (3 students): parent Vũ Hà (202)
    │   └── unit 12 "Tổ Toán": head Phạm Thị Hoa (101)
    │   school staff headcount 3
    └── school 4 "THCS Khác": parent 300, who must never show in school 3's export

Reports (campaign: the default pack):
    200  school_digital_services approved 10/9 (by the principal), vneid_level2 pending 11/9
    201  school_digital_services rejected 12/9, cashless_fees accepted 12/9
    202  school_digital_services accepted 13/9
    300  school_digital_services approved (school 4)
    101  staff_digital_skills approved 14/9; staff_initiative approved at province level
         15/9, evidence a document "sang-kien.pdf" (file id FILE-INIT)
    102  emulation_registered pending 16/9
    100  school_records_digitised accepted 17/9
    class 10: collective_registered approved 18/9; unit 12: unit_detailed_plan pending 19/9
Quiz fraud_awareness (9 questions): Lan finished twice, 8/9 passed on 20/9 (question 1
wrong), then 6/9 failed on 21/9.
Broadcast 1 from school 3, needs acknowledgement: 3 recipients, 2 sent, 1 blocked;
Lan acknowledged.
Deadline "Nộp kế hoạch" set at school 3 for staff, due 1/10/2026, completed by
staff_digital_skills: staff Hoa and Nam, Hoa done (50%).
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from bot.services import campaigns, export_job
from storage import campaigns as campaign_rows
from storage.db import Database
from storage.models import (
    Acknowledgement,
    Broadcast,
    Headcount,
    Membership,
    OrgUnit,
    OutboxMessage,
    Person,
    QuizAnswer,
    QuizAttempt,
    Report,
    SchoolDeadline,
)

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
TODAY = date(2026, 9, 25)
SCHOOL, OTHER, CLASS_A, CLASS_B, UNIT = 3, 4, 10, 11, 12
PRINCIPAL_TG = 9100
LAN = unicodedata.normalize("NFD", "Nguyễn Thị Lan")


def at(day: int, month: int = 9) -> datetime:
    return datetime(2026, month, day, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội


ORGS = [
    (1, "province", "Tỉnh Thử", None, "/1/", None),
    (SCHOOL, "school", "THCS Sao Mai", 1, "/1/3/", "lower_secondary"),
    (OTHER, "school", "THCS Khác", 1, "/1/4/", "lower_secondary"),
    (CLASS_A, "class", "6A", SCHOOL, "/1/3/10/", None),
    (CLASS_B, "class", "6B", SCHOOL, "/1/3/11/", None),
    (UNIT, "unit", "Tổ Toán", SCHOOL, "/1/3/12/", None),
]
PEOPLE = [  # id, tg id, name, role, org
    (100, PRINCIPAL_TG, "Trần Văn Hùng", "principal", SCHOOL),
    (101, 9101, "Phạm Thị Hoa", "staff", UNIT),
    (102, 9102, "Lê Văn Nam", "staff", CLASS_A),
    (200, 9200, LAN, "parent", CLASS_A),
    (201, 9201, "Đỗ Minh", "parent", CLASS_A),
    (202, 9202, "Vũ Hà", "parent", CLASS_B),
    (300, 9300, "Người Trường Khác", "parent", OTHER),
]


def _report(person: int | None, key: str, status: str, day: int, **extra: object) -> dict:
    decided = status in ("approved", "rejected")
    return {
        "person_id": person,
        "milestone_key": key,
        "status": status,
        "reported_at": at(day),
        "decided_at": at(day) if decided else None,
        "decided_by": PRINCIPAL_TG if decided else None,
        "revision": 1,
        **extra,
    }


def job(database_url: str, out: str, **changes: Any) -> export_job.Job:
    """School 3's export as the bot asks a worker for it (a staff reader, in Vietnamese)."""
    asked = export_job.Job(
        database_url=database_url,
        org_id=SCHOOL,
        language="vi",
        reader="staff",
        default_language="vi",
        zone="Asia/Ho_Chi_Minh",
        today=TODAY,
        out=out,
        fmt="xlsx",
    )
    return replace(asked, **changes)


async def build(db: Database) -> int:
    """The world above; returns the campaign id."""
    uow = db.unit_of_work()
    await campaigns.ensure_default(uow, NOW)
    await uow.finish()
    async with db.transaction() as session:
        campaign_id = (await campaign_rows.active(session)).id
        await session.execute(
            insert(OrgUnit),
            [
                dict(id=i, kind=k, name=n, parent_id=p, path=path, level=lv, created_at=NOW)
                for i, k, n, p, path, lv in ORGS
            ],
        )
        await session.execute(
            insert(Headcount),
            [
                dict(org_id=CLASS_A, kind="students", count=4, source="chat", updated_at=NOW),
                dict(org_id=CLASS_B, kind="students", count=3, source="chat", updated_at=NOW),
                dict(org_id=SCHOOL, kind="staff", count=3, source="chat", updated_at=NOW),
            ],
        )
        await session.execute(
            insert(Person),
            [
                dict(id=i, tg_user_id=tg, display_name=name, language="vi", created_at=NOW)
                for i, tg, name, _, _ in PEOPLE
            ],
        )
        await session.execute(
            insert(Membership),
            [
                dict(person_id=i, org_id=org, role=role, created_at=NOW, head=(i == 101))
                for i, _, _, role, org in PEOPLE
            ],
        )
        reports = [
            _report(200, "school_digital_services", "approved", 10),
            _report(200, "vneid_level2", "pending", 11),
            _report(201, "school_digital_services", "rejected", 12),
            _report(201, "cashless_fees", "accepted", 12),
            _report(202, "school_digital_services", "accepted", 13),
            _report(300, "school_digital_services", "approved", 13),
            _report(101, "staff_digital_skills", "approved", 14),
            _report(
                101,
                "staff_initiative",
                "approved",
                15,
                level="province",
                evidence_kind="document",
                evidence_file_id="FILE-INIT",
                evidence_name="sang-kien.pdf",
            ),
            _report(102, "emulation_registered", "pending", 16),
            _report(100, "school_records_digitised", "accepted", 17),
            _report(None, "collective_registered", "approved", 18, org_id=CLASS_A, reported_by=102),
            _report(None, "unit_detailed_plan", "pending", 19, org_id=UNIT, reported_by=101),
        ]
        await session.execute(insert(Report), [{"campaign_id": campaign_id, **r} for r in reports])
        await _quiz(session, campaign_id)
        await _broadcast(session)
        await session.execute(
            insert(SchoolDeadline).values(
                org_id=SCHOOL,
                created_by=100,
                title="Nộp kế hoạch",
                audience="staff",
                due_date=date(2026, 10, 1),
                remind_days_before="7,1",
                completes="staff_digital_skills",
                cancelled=False,
                created_at=NOW,
            )
        )
    return campaign_id


async def _quiz(session, campaign_id: int) -> None:
    for attempt_id, score, passed, day in ((1, 8, True, 20), (2, 6, False, 21)):
        await session.execute(
            insert(QuizAttempt).values(
                id=attempt_id,
                person_id=200,
                campaign_id=campaign_id,
                quiz_key="fraud_awareness",
                rendering="poll",
                status="finished",
                position=9,
                total=9,
                score=score,
                passed=passed,
                started_at=at(day),
                finished_at=at(day),
            )
        )
    await session.execute(
        insert(QuizAnswer),
        [
            dict(
                attempt_id=1,
                question=q,
                shown={"order": [0, 1, 2, 3]},
                chosen=0,
                correct=q != 0,
                sent_at=at(20),
                answered_at=at(20),
            )
            for q in range(9)
        ],
    )


async def _broadcast(session) -> None:
    await session.execute(
        insert(Broadcast).values(
            id=1,
            org_id=SCHOOL,
            created_by=100,
            audience={"roles": ["parent"]},
            text="Họp phụ huynh thứ Bảy",
            needs_ack=True,
            urgent=False,
            send_at=at(22),
            status="done",
            total=3,
            skipped=0,
            created_at=at(22),
            fired_at=at(22),
            finished_at=at(22),
        )
    )
    await session.execute(
        insert(OutboxMessage),
        [
            dict(
                person_id=person,
                chat_id=tg,
                source="broadcast",
                broadcast_id=1,
                text="Họp phụ huynh thứ Bảy",
                not_before=at(22),
                status=status,
                created_at=at(22),
            )
            for person, tg, status in (
                (200, 9200, "sent"),
                (201, 9201, "sent"),
                (202, 9202, "blocked"),
            )
        ],
    )
    await session.execute(insert(Acknowledgement).values(broadcast_id=1, person_id=200, at=at(22)))
