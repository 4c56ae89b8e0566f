"""End to end: report → review → reject → report again → approve, over HTTP long polling.

One `hocvuso run` process against the fake Bot API (see tests/e2e/support.py), a school with a
class imported from CSV, and three people who join through `hocvuso invite create` links, all in
Vietnamese: the principal (at the school), a parent and the homeroom teacher (at the class). The
same story runs at dispatcher level in tests/handlers/test_reports.py; here every step crosses the
wire: getUpdates, sendMessage/sendPhoto with inline keyboards, callback queries, file ids.

The bot handles updates as concurrent tasks and commits after a handler returns, so its replies
can reach a user before what they report is in the database. Before one person's step reads what
another's wrote (the principal's /review after a report, /progress after a decision),
``bot.settle()`` waits for aiogram to log the newest update as handled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from bot.names import offered_name
from tests.e2e.support import SCHOOL, Deployment, deployment, fresh, sent_text, text_of
from tests.support.botapi import FakeUser
from tests.support.botapi_state import JSON

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLASS = f"{SCHOOL}/10A1"
COURSE = "Bình dân học vụ số"  # the bdhvs_course milestone: photo evidence, school verifies
COURSE_TITLE = "Hoàn thành khóa học trên nền tảng Bình dân học vụ số"
STAFF_SKILLS = "kỹ năng số cơ bản"  # staff_digital_skills: document evidence
REASON = "Ảnh mờ, không đọc được tên"


class School:
    def __init__(self, bot: Deployment, principal: FakeUser, parent: FakeUser, teacher: FakeUser):
        self.bot = bot
        self.api = bot.api
        self.principal = principal
        self.parent = parent
        self.teacher = teacher


async def onboard(bot: Deployment, who: FakeUser, code: str) -> str:
    """/start <code> → Tiếng Việt → đồng ý → the suggested name (→ a parent's child, "mẹ");
    the welcome text."""
    name = offered_name(who.first_name, who.last_name)
    question = await bot.say(who, f"/start {code}")
    consent = await bot.tap(who, question, "Tiếng Việt")
    name_question = await bot.tap(who, consent, "đồng ý")
    welcome = sent_text(f"Chào mừng {name}")
    answer = await bot.tap(
        who, name_question, name, lambda m: welcome(m) or sent_text("tên của con")(m)
    )
    if "tên của con" in text_of(answer):
        relation = await bot.say(who, "An", sent_text("em An"))
        answer = await bot.tap(who, relation, "Mẹ", welcome)
    return text_of(answer)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def school(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[School]:
    async with deployment(tmp_path_factory.mktemp("e2e-reports")) as bot:
        codes = {
            "principal": bot.invite(SCHOOL, "principal"),
            "parent": bot.invite(CLASS, "parent"),
            "teacher": bot.invite(CLASS, "staff"),
        }
        await bot.start()
        api = bot.api
        people = School(
            bot,
            principal=api.user(7201, "Hùng", "Trần"),
            parent=api.user(7202, "Lan", "Nguyễn"),
            teacher=api.user(7203, "Hoa", "Phạm"),
        )
        welcomes = {
            role: await onboard(bot, getattr(people, role), code) for role, code in codes.items()
        }
        assert "THPT Lý Thái Tổ" in welcomes["principal"], welcomes
        assert "10A1" in welcomes["parent"] and "phụ huynh" in welcomes["parent"], welcomes
        assert "10A1" in welcomes["teacher"], welcomes
        yield people


def photo_ids(message: JSON) -> set[str]:
    """Every size's file_id of a photo the user sent."""
    return {size["file_id"] for size in message["photo"]}


def is_card(message: JSON) -> bool:
    """A new review card: a photo with buttons."""
    return fresh(message) and "photo" in message and bool(message.get("reply_markup"))


def after(message: JSON, *needles: str) -> Callable[[JSON], bool]:
    """A new message, sent later than ``message``, whose text contains every needle."""
    newer = sent_text(*needles)
    return lambda m: newer(m) and m["message_id"] > message["message_id"]


def last_send_photo(school: School, chat_id: int) -> JSON:
    calls = [p for p in school.api.calls_to("sendPhoto") if str(p.get("chat_id")) == str(chat_id)]
    assert calls, f"no sendPhoto to chat {chat_id}"
    return calls[-1]


async def send_course_evidence(
    school: School, caption: str, parent: FakeUser | None = None
) -> JSON:
    """From the evidence prompt: a photo with a caption, then 📨 Gửi. The photo message sent."""
    bot, api = school.bot, school.api
    parent = parent or school.parent
    sent: list[JSON] = []
    confirm = await bot.expect(
        lambda: sent.append(api.send_photo(parent, caption=caption)),
        parent.id,
        sent_text("kiểm tra trước khi ghi nhận"),
    )
    assert "ảnh" in text_of(confirm), text_of(confirm)
    thanks = await bot.tap(parent, confirm, "Gửi", sent_text("để nhà trường xác nhận"))
    assert COURSE_TITLE in text_of(thanks), text_of(thanks)
    await bot.settle()  # replies go out before the handler's commit; see the module docstring
    return sent[0]


# -- the whole story ---------------------------------------------------------------------------


async def test_report_rejected_reported_again_and_approved(school: School) -> None:
    bot, api = school.bot, school.api
    principal, parent, teacher = school.principal, school.parent, school.teacher

    # The parent reports the course, with a screenshot.
    listing = await bot.say(parent, "/report")
    assert "Quý phụ huynh muốn báo cáo tiêu chí nào?" in text_of(listing), text_of(listing)
    ask = await bot.tap(parent, listing, COURSE)
    assert "Mời Quý phụ huynh gửi ảnh minh chứng" in text_of(ask), text_of(ask)
    hint = await bot.expect(lambda: api.send_sticker(parent), parent.id, fresh)
    assert "dưới dạng ảnh hoặc tệp" in text_of(hint), text_of(hint)
    first = await send_course_evidence(school, "Chứng nhận hoàn thành")

    # The principal sees the parent's own photo (by file_id) and rejects it with a reason.
    card = await bot.say(principal, "/review", is_card)
    call = last_send_photo(school, principal.id)
    assert call["photo"] in photo_ids(first), (call["photo"], photo_ids(first))
    caption = text_of(card)
    assert "Nguyễn Lan – mẹ em An" in caption and "Chứng nhận hoàn thành" in caption, caption
    assert COURSE_TITLE in caption, caption
    why = await bot.tap(principal, card, "Từ chối", sent_text("lý do"))
    assert "Vì sao minh chứng này chưa đạt?" in text_of(why), text_of(why)
    notice = await bot.expect(
        lambda: api.send_text(principal, REASON), parent.id, sent_text("chưa được chấp nhận")
    )
    assert REASON in text_of(notice) and COURSE_TITLE in text_of(notice), text_of(notice)
    assert [label for label, _ in api.buttons(notice)] == ["🔁 Báo cáo lại"], notice
    await bot.wait(principal.id, after(why, "Đã từ chối"), since_now=False)
    await bot.wait(principal.id, after(why, "Hiện không còn minh chứng"), since_now=False)
    await bot.settle()

    rejected = await bot.say(parent, "/progress")
    assert f"chưa được chấp nhận: {REASON}" in text_of(rejected), text_of(rejected)

    # "Báo cáo lại" opens the evidence step of the same milestone; a clearer photo this time.
    again = await bot.tap(parent, notice, "Báo cáo lại", sent_text("Mời Quý phụ huynh gửi ảnh"))
    assert COURSE_TITLE in text_of(again), text_of(again)
    second = await send_course_evidence(school, "Ảnh rõ hơn")

    card = await bot.say(principal, "/review", is_card)
    call = last_send_photo(school, principal.id)
    assert call["photo"] in photo_ids(second), (call["photo"], photo_ids(second))
    assert "Ảnh rõ hơn" in text_of(card) and "Nguyễn Lan – mẹ em An" in text_of(card), text_of(card)
    pressed = api.press(principal, card, api.button(card, "Duyệt"))
    good = await bot.wait(parent.id, sent_text("đã được nhà trường xác nhận"))
    assert COURSE_TITLE in text_of(good), text_of(good)
    assert (await api.wait_for_answer(pressed)).get("text") == "Đã xong."
    await bot.wait(principal.id, after(card, "Hiện không còn minh chứng"), since_now=False)
    assert not api.buttons(api.sent(principal.id)[-2]), "the decided card kept its buttons"
    await bot.settle()

    # What the parent and the homeroom teacher see now.
    progress = text_of(await bot.say(parent, "/progress"))
    assert "1/7" in progress and "đã xác nhận" in progress, progress
    view = text_of(await bot.say(teacher, "/class", sent_text("10A1")))
    assert f"{COURSE_TITLE}: 1/1" in view, view
    assert "So với chỉ tiêu kế hoạch" in view, view
    assert "Đã báo cáo (đã gửi hoặc đã xác nhận)" in view, view


# -- evidence the bot cannot take ------------------------------------------------------------


async def test_oversized_or_wrong_kind_of_evidence_is_refused(school: School) -> None:
    bot, api, teacher = school.bot, school.api, school.teacher

    listing = await bot.say(teacher, "/report")
    ask = await bot.tap(teacher, listing, STAFF_SKILLS)
    assert "tệp" in text_of(ask), text_of(ask)
    big = await bot.expect(
        lambda: api.send_document(
            teacher, "chung-chi.pdf", "application/pdf", file_size=25 * 1024 * 1024
        ),
        teacher.id,
        fresh,
    )
    assert "20 MB" in text_of(big), text_of(big)
    await bot.say(teacher, "/cancel")

    # A photo-only milestone: a (small) document is the wrong kind.
    listing = await bot.say(teacher, "/report")
    await bot.tap(teacher, listing, COURSE)
    wrong = await bot.expect(
        lambda: api.send_document(teacher, "anh.pdf", "application/pdf", file_size=40_000),
        teacher.id,
        fresh,
    )
    assert "không nhận loại minh chứng" in text_of(wrong), text_of(wrong)
    await bot.say(teacher, "/cancel")
    assert bot.alive(), bot.log_tail()


# -- an old card cannot decide evidence the principal never saw ------------------------------


async def test_an_old_card_cannot_approve_newer_evidence(school: School) -> None:
    bot, api, principal = school.bot, school.api, school.principal
    mai = api.user(7204, "Mai", "Lê")
    await onboard(bot, mai, bot.invite(CLASS, "parent"))
    listing = await bot.say(mai, "/report")
    await bot.tap(mai, listing, COURSE)
    await send_course_evidence(school, "Ảnh cũ", mai)
    old_card = await bot.say(principal, "/review", is_card)
    await bot.tap(principal, old_card, "Từ chối", sent_text("lý do"))
    notice = await bot.expect(
        lambda: api.send_text(principal, REASON), mai.id, sent_text("chưa được chấp nhận")
    )
    await bot.settle()
    await bot.tap(mai, notice, "Báo cáo lại", sent_text("Mời Quý phụ huynh gửi ảnh"))
    await send_course_evidence(school, "Ảnh mới", mai)

    current = api.view((principal.id, old_card["message_id"]))
    assert not api.buttons(current), "pressing Từ chối takes the buttons off the card"
    # Even a button pressed from the old card (as a forged or replayed press would be) decides nothing.
    replay = api.press(principal, old_card, api.button(old_card, "Duyệt"), strict=False)
    answer = await api.wait_for_answer(replay)
    assert "gửi lại" in (answer.get("text") or ""), answer
    await bot.settle()
    progress = text_of(await bot.say(mai, "/progress"))
    assert "đang chờ xác nhận" in progress, progress


# -- and the bot is fine ---------------------------------------------------------------------


async def test_bot_stays_alive_and_logs_no_traceback(school: School) -> None:
    bot = school.bot
    assert bot.alive(), bot.log_tail()
    log = bot.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, bot.log_tail(80)
    assert not [e for e in school.api.errors if e[0] != "getUpdates"], school.api.errors[-5:]
