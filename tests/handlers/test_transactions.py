"""One transaction per update: all of it commits or none, and nothing is said before.

Each test breaks one step on purpose and looks at the database from another
connection and at what reached Telegram.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from sqlalchemy import func, select

from bot.services import enrolment
from bot.services import reports as report_service
from storage.conversation import DatabaseStorage
from storage.models import Invite, Membership, Person, Report
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.handlers.test_reports import report_course_with_photo, school
from tests.support.harness import Harness
from tests.support.harness import Person as User


async def count(h: Harness, model: Any, *where: Any) -> int:
    async with h.app.database.reading() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_a_join_that_fails_half_way_leaves_nothing_and_can_be_retried(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The person and membership are written, then the audit entry fails: neither of the
    first two may be committed, the apology goes out, no welcome, and the person is still
    at the name step, so pressing again joins them."""
    class_id = await harness.org(*SCHOOL, ("class", "10T1"))
    code = await harness.invite(class_id, "staff")  # staff joins are audited: a third write
    teacher = User(1501, "Cô Mai")
    await harness.say(teacher, f"/start {code}")
    await harness.press(teacher, harness.button(teacher, "Tiếng Việt"))
    await harness.press(teacher, harness.button(teacher, "đồng ý"))
    keep = harness.button(teacher, "Cô Mai")

    async def audit_fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(enrolment.audit, "record", audit_fails)
    await harness.press(teacher, keep)
    assert "trục trặc" in harness.alerts()[-1]
    assert not any("Chào mừng" in text for text in harness.session.texts(teacher.id))
    assert await count(harness, Person, Person.tg_user_id == teacher.id) == 0
    assert await count(harness, Membership) == 0
    async with harness.app.database.reading() as uow:
        assert await uow.session.scalar(select(Invite.uses)) == 0

    monkeypatch.undo()
    await harness.press(teacher, keep)  # the same card, still at the name step
    assert "Chào mừng Cô Mai" in harness.last_text(teacher)
    assert await count(harness, Membership) == 1


async def test_nothing_reaches_telegram_before_the_commit(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the welcome goes out, the membership it announces is already visible from
    another connection."""
    class_id = await harness.org(*SCHOOL, ("class", "10T2"))
    parent = User(1502, "Lan")
    seen: list[int] = []
    answer = harness.session.make_request

    async def make_request(
        bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        text = getattr(method, "text", None) or ""
        if isinstance(method, SendMessage | EditMessageText) and "Chào mừng" in text:
            seen.append(await count(harness, Membership))
        return await answer(bot, method, timeout)

    monkeypatch.setattr(harness.session, "make_request", make_request)
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    assert seen == [1]


async def test_a_notice_for_a_decision_that_rolled_back_is_never_sent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The principal rejects with a reason; the commit fails (the conversation state cannot
    be written). The report stays pending and the parent hears nothing."""
    school_id, class_id = await school(harness, "10T3")
    principal, parent = User(1503, "Thầy Nam"), User(1504, "Lan")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await report_course_with_photo(harness, parent)
    await harness.say(principal, "/review")
    await harness.press(principal, harness.button(principal, "Từ chối"))
    told_before = len(harness.session.texts(parent.id))

    async def state_fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(DatabaseStorage, "write_in", state_fails)
    await harness.say(principal, "Ảnh mờ")
    assert "trục trặc" in harness.last_text(principal)
    assert len(harness.session.texts(parent.id)) == told_before
    assert await count(harness, Report, Report.status == "pending") == 1

    monkeypatch.undo()
    await harness.say(principal, "Ảnh mờ")  # still asked for the reason: it was not lost
    assert "chưa được chấp nhận" in harness.last_text(parent)
    assert await count(harness, Report, Report.status == "rejected") == 1


async def test_an_approval_whose_update_fails_later_is_undone(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decision is written and the notice queued, then showing the next card fails:
    the decision rolls back with the rest and the notice is dropped."""
    school_id, class_id = await school(harness, "10T4")
    principal, parent = User(1505, "Cô Hạnh"), User(1506, "Minh")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await report_course_with_photo(harness, parent)
    await harness.say(principal, "/review")
    told_before = len(harness.session.texts(parent.id))

    async def queue_fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(report_service, "next_pending", queue_fails)
    await harness.press(principal, harness.button(principal, "Duyệt"))
    assert "trục trặc" in harness.alerts()[-1]
    assert len(harness.session.texts(parent.id)) == told_before
    assert await count(harness, Report, Report.status == "pending") == 1
