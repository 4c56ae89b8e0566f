"""/nominations through the real dispatcher: the lists, the XLSX sheet, adding and removing
a name with a reason (audited), forged buttons, and who may do what."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import insert, select

from bot.handlers.callbacks import VERSION, NominationsCallback
from storage.models import AuditEntry, Campaign, NominationChange, Person, QuizAttempt, Report
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness
from tests.support.harness import Person as User

AWARD = "Giấy khen của Hiệu trưởng: cá nhân tiêu biểu trong chuyển đổi số"
EVIDENCE = (
    "emulation_registered",
    "staff_digital_skills",
    "staff_helped_others",
    "staff_initiative",
)


def button(org_id: int, action: str) -> str:
    return NominationsCallback(v=VERSION, o=org_id, a=action).pack()


async def give_evidence(h: Harness, tg_user_id: int, reviewer: int) -> None:
    """Everything the staff certificate asks for, verified, and the fraud quiz passed."""
    at = datetime(2026, 9, 4, 2, 0, tzinfo=UTC)
    async with h.app.database.transaction() as session:
        person = (
            await session.scalars(select(Person).where(Person.tg_user_id == tg_user_id))
        ).one()
        campaign = (await session.scalars(select(Campaign).where(Campaign.extends.is_(None)))).one()
        await session.execute(
            insert(Report),
            [
                {
                    "person_id": person.id,
                    "campaign_id": campaign.id,
                    "milestone_key": milestone,
                    "status": "approved",
                    "level": "school" if milestone == "staff_initiative" else None,
                    "reported_at": at,
                    "decided_at": at,
                    "decided_by": reviewer,
                    "evidence_kind": "document",
                    "evidence_name": f"{milestone}.pdf",
                }
                for milestone in EVIDENCE
            ],
        )
        await session.execute(
            insert(QuizAttempt),
            [
                {
                    "person_id": person.id,
                    "campaign_id": campaign.id,
                    "quiz_key": "fraud_awareness",
                    "rendering": "poll",
                    "status": "finished",
                    "position": 10,
                    "total": 10,
                    "score": 9,
                    "passed": True,
                    "started_at": at,
                    "finished_at": at,
                }
            ],
        )


async def school_of_three(h: Harness) -> tuple[int, User, User, User]:
    school_id = await h.org(*SCHOOL)
    unit_id = await h.org(*SCHOOL, ("unit", "Tổ Toán"))
    h.app.flood.limit = 1000  # one principal working through the lists is not a flood
    principal, an, cuong = User(701, "Hiệu"), User(702, "An"), User(703, "Cường")
    await onboard(h, principal, await h.invite(school_id, "principal"), name="Thầy Hiệu")
    await onboard(h, an, await h.invite(unit_id, "staff"), name="Nguyễn Văn An")
    await onboard(h, cuong, await h.invite(unit_id, "staff"), name="Lê Văn Cường")
    await give_evidence(h, an.id, principal.id)
    return school_id, principal, an, cuong


async def changes(h: Harness) -> list[tuple[str, str]]:
    async with h.app.database.transaction() as session:
        rows = await session.scalars(select(NominationChange).order_by(NominationChange.id))
        return [(r.change, r.reason) for r in rows]


async def audited(h: Harness) -> list[tuple[int | None, str, str | None, str]]:
    async with h.app.database.transaction() as session:
        query = select(AuditEntry).where(AuditEntry.action.like("nomination.%"))
        return [
            (a.actor_tg_id, a.action, a.target, a.details["award"])
            for a in await session.scalars(query.order_by(AuditEntry.id))
        ]


def workbook(h: Harness, chat_id: int) -> openpyxl.Workbook:
    sent = [m for m in h.session.of(SendDocument) if m.chat_id == chat_id]
    assert sent, "no document was sent"
    document = sent[-1].document
    assert isinstance(document, BufferedInputFile) and document.filename.endswith(".xlsx")
    return openpyxl.load_workbook(io.BytesIO(document.data))


async def test_a_principal_sees_the_lists_gets_the_sheet_and_changes_them(
    harness: Harness,
) -> None:
    h = harness
    school_id, principal, an, _ = await school_of_three(h)

    await h.say(principal, "/nominations")
    text = h.last_text(principal)
    assert "Danh sách đề nghị khen thưởng: THPT Lý Thái Tổ" in text
    assert f"🏅 {AWARD}: 1 tên trong danh sách" in text
    assert "• Nguyễn Văn An (Tổ Toán)" in text and "Cường" not in text
    assert "Thầy/Cô có thể bổ sung" in text
    assert [label for label, _ in h.buttons(principal)] == ["📄 XLSX", "➕ Bổ sung", "➖ Bỏ bớt"]

    await h.press(principal, button(school_id, "xlsx"))
    sheet = workbook(h, principal.id).active
    assert sheet.freeze_panes == "A2"
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == [
        "Danh hiệu, hình thức khen thưởng",
        "Tên cá nhân, tập thể",
        "Vai trò",
        "Lớp hoặc tổ",
        "Trường",
    ]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        (AWARD, "Nguyễn Văn An", "Tổ Toán", "THPT Lý Thái Tổ")
    ]
    assert rows[0][5].count("✓") == 4 and "✗" not in rows[0][5]
    assert "staff_initiative.pdf" in rows[0][6] and "Thầy Hiệu" in rows[0][6]
    assert "Cấp trường" in rows[0][6] and "9/10" in rows[0][6]

    # Remove An, with a reason typed in decomposed Unicode.
    await h.press(principal, button(school_id, "remove"))
    await h.press(principal, h.button(principal, "Giấy khen của Hiệu trưởng"))
    await h.press(principal, h.button(principal, "Nguyễn Văn An"))
    assert "Vì sao" in h.last_text(principal)
    await h.say(principal, "   ")
    assert "từ 1 đến 500 ký tự" in h.last_text(principal)
    await h.say(principal, "Chưa nộp đủ minh chứng".replace("ư", "u\u031b"))
    assert "Bỏ Nguyễn Văn An (Tổ Toán) khỏi danh sách" in h.last_text(principal)
    await h.press(principal, h.button(principal, "Xác nhận"))
    assert "không còn trong danh sách" in h.last_text(principal)
    assert await changes(h) == [("removed", "Chưa nộp đủ minh chứng")]
    # The reason is about An: /mydata shows it to him.
    await h.say(an, "/mydata")
    assert (
        f"Hiệu trưởng đã bỏ tên khỏi danh sách “{AWARD}” ngày 5/9/2026: Chưa nộp đủ minh chứng"
        in h.last_text(an)
    )

    # Add Cường, found by typing part of the name without diacritics.
    await h.press(principal, button(school_id, "add"))
    await h.press(principal, h.button(principal, "Giấy khen của Hiệu trưởng"))
    await h.say(principal, "zzz")
    assert "Không có ai trong trường" in h.last_text(principal)
    await h.say(principal, "cuong")
    await h.press(principal, h.button(principal, "Lê Văn Cường"))
    await h.say(principal, "Có sáng kiến cấp trường đang chờ công nhận")
    await h.press(principal, h.button(principal, "Xác nhận"))
    assert "Lê Văn Cường đã có trong danh sách" in h.last_text(principal)

    await h.say(principal, "/nominations")
    text = h.last_text(principal)
    assert f"🏅 {AWARD}: 1 tên trong danh sách" in text
    assert "• Lê Văn Cường (Tổ Toán)" in text and "Nguyễn Văn An" not in text
    assert "(Hiệu trưởng bổ sung 1, bỏ bớt 1; mỗi thay đổi đều ghi lý do)" in text
    await h.press(principal, button(school_id, "xlsx"))
    rows = [[c.value for c in r] for r in workbook(h, principal.id).active.iter_rows(min_row=2)]
    assert [(r[1], r[7], r[8], r[9]) for r in rows] == [
        (
            "Lê Văn Cường",
            "Hiệu trưởng bổ sung",
            "Có sáng kiến cấp trường đang chờ công nhận",
            "Thầy Hiệu",
        ),
        ("Nguyễn Văn An", "Hiệu trưởng bỏ bớt", "Chưa nộp đủ minh chứng", "Thầy Hiệu"),
    ]
    assert isinstance(rows[0][10], datetime)

    # Add An back: the removal becomes an addition.
    await h.press(principal, button(school_id, "add"))
    await h.press(principal, h.button(principal, "Giấy khen của Hiệu trưởng"))
    await h.say(principal, "An")
    await h.press(principal, h.button(principal, "Nguyễn Văn An"))
    await h.say(principal, "Đã bổ sung minh chứng")
    await h.press(principal, h.button(principal, "Xác nhận"))
    await h.say(principal, "/nominations")
    assert f"🏅 {AWARD}: 2 tên trong danh sách" in h.last_text(principal)
    assert await audited(h) == [
        (principal.id, "nomination.remove", "person:2", "staff_certificate"),
        (principal.id, "nomination.add", "person:3", "staff_certificate"),
        (principal.id, "nomination.add", "person:2", "staff_certificate"),
    ]


async def test_forged_buttons_teachers_and_officers(harness: Harness) -> None:
    h = harness
    school_id, principal, an, _ = await school_of_three(h)
    other = await h.org(("province", "Bắc Ninh"), ("district", "Từ Sơn"), ("school", "THCS Khác"))
    officer = User(710, "Sở")
    province_id = await h.org(("province", "Bắc Ninh"))
    await onboard(h, officer, await h.invite(province_id, "dept_admin"), name="Trần Sở")

    await h.say(an, "/nominations")
    assert "/nominations không dành cho vai trò của Thầy/Cô" in h.last_text(an)
    await h.press(an, button(school_id, "xlsx"))  # a teacher's forged button: the stale answer
    assert not h.session.of(SendDocument)

    for forged in (button(other, "add"), button(other, "xlsx"), button(999999, "remove")):
        await h.press(principal, forged)
        assert "không thuộc phạm vi quản lý" in h.alerts()[-1]
    assert not h.session.of(SendDocument)

    await h.say(officer, "/nominations")
    text = h.last_text(officer)
    assert "Danh sách đề nghị khen thưởng: Bắc Ninh" in text
    assert "• Nguyễn Văn An (Tổ Toán, THPT Lý Thái Tổ)" in text
    assert "Hiệu trưởng mỗi trường" in text
    assert [label for label, _ in h.buttons(officer)] == ["📄 XLSX"]
    await h.press(officer, button(school_id, "remove"))  # read-only for the department
    assert "Chỉ Hiệu trưởng của trường" in h.alerts()[-1]
    assert await changes(h) == [] and await audited(h) == []
