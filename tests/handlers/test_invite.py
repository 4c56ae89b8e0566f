"""/invite in chat: who may invite whom, the link and the QR code."""

from __future__ import annotations

from aiogram.methods import SendPhoto

from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person


async def test_teacher_invites_parents_of_their_own_class_only(harness: Harness) -> None:
    mine = await harness.org(*SCHOOL, ("class", "10A1"))
    await harness.org(*SCHOOL, ("class", "10A2"))
    teacher = Person(801, "Cô Hoa")
    await onboard(harness, teacher, await harness.invite(mine, "staff"))
    await harness.say(teacher, "/invite")
    assert [label for label, _ in harness.buttons(teacher)] == ["10A1"]
    await harness.press(teacher, harness.button(teacher, "10A1"))
    assert [label for label, _ in harness.buttons(teacher)] == ["phụ huynh", "học sinh"]
    await harness.press(teacher, harness.button(teacher, "phụ huynh"))
    link, qr = harness.session.sent(teacher.id)[-2:]
    assert isinstance(qr, SendPhoto)  # the QR code after the link, never instead of it
    assert "https://t.me/hocvuso_test_bot?start=" in link.text
    assert "phụ huynh, 10A1" in link.text
    code = link.text.split("start=")[1].split()[0]
    newcomer = Person(802, "Mới")
    await harness.say(newcomer, f"/start {code}")
    await harness.press(newcomer, harness.button(newcomer, "Tiếng Việt"))
    assert "10A1" in harness.last_text(newcomer) and "phụ huynh" in harness.last_text(newcomer)


async def test_principal_chooses_unit_and_role(harness: Harness) -> None:
    school_id = await harness.org(*SCHOOL)
    await harness.org(*SCHOOL, ("class", "6A"))
    principal = Person(803, "Thầy Nam")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await harness.say(principal, "/invite")
    labels = [label for label, _ in harness.buttons(principal)]
    assert labels == ["THPT Lý Thái Tổ", "6A"]
    await harness.press(principal, harness.button(principal, "THPT Lý Thái Tổ"))
    roles = [label for label, _ in harness.buttons(principal)]
    assert roles == ["giáo viên, nhân viên", "cán bộ quản lý nhà trường"]
    await harness.press(principal, harness.button(principal, "giáo viên"))
    assert "giáo viên, nhân viên, THPT Lý Thái Tổ" in harness.session.texts(principal.id)[-2]
