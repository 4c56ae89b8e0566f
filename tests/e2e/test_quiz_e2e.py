"""End to end: a parent fails a quiz, retakes it after the cool-down, passes, and sees the
milestone in /progress; the class teacher sees it in /class. Over HTTP long polling, with
native quiz polls: sendPoll, the parent's votes as `poll_answer` updates (which reach the
bot because it names them in getUpdates' allowed_updates), all in Vietnamese.

The e2e pack gives the fraud quiz a cool-down of 0.003 hours (about 11 s), so the retake
waits on the real clock."""

from __future__ import annotations

import asyncio
import time

import pytest
import yaml

from bot.campaign.loader import load_default_pack
from tests.e2e.support import SCHOOL, Deployment, deployment, fresh, sent_text, text_of
from tests.e2e.test_reports_e2e import onboard as onboard_as_in_reports
from tests.support.botapi import FakeUser
from tests.support.botapi_state import JSON

CLASS = f"{SCHOOL}/10A1"
QUIZ = "Nhận biết lừa đảo trực tuyến"
MILESTONE = "Biết nhận biết lừa đảo trực tuyến"
COOL_DOWN_HOURS = 0.003
_FRAUD = load_default_pack().quiz("fraud_awareness")
QUESTIONS, PASS = len(_FRAUD.questions), _FRAUD.passing


def is_poll(message: JSON) -> bool:
    return "poll" in message and "edit_date" not in message


async def onboard(bot: Deployment, who: FakeUser, code: str) -> None:
    await onboard_as_in_reports(bot, who, code)  # a parent also names the child


async def take(bot: Deployment, parent: FakeUser, rights: int) -> str:
    """From the menu: start the quiz, answer the first `rights` questions rightly and the
    rest wrongly; the result's text."""
    menu = await bot.say(parent, "/quiz", sent_text("Chọn bài trắc nghiệm"))
    poll = (await bot.tap(parent, menu, QUIZ, is_poll))["poll"]
    total = QUESTIONS
    for number in range(total):
        assert poll["question"].startswith(f"Câu {number + 1}/{total}"), poll["question"]
        assert poll["type"] == "quiz" and poll["is_anonymous"] is False
        right = poll["correct_option_id"]
        choice = right if number < rights else (right + 1) % len(poll["options"])
        last = number == total - 1
        wanted = sent_text("Đã hoàn thành bài") if last else is_poll
        message = await bot.expect(
            lambda p=poll, c=choice: bot.api.vote(parent, p["id"], c), parent.id, wanted
        )
        if last:
            return text_of(message)
        poll = message["poll"]
    raise AssertionError("unreachable")


@pytest.mark.asyncio
async def test_fail_retake_after_cool_down_pass(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with deployment(tmp_path) as bot:
        pack_path = tmp_path / "e2e-pack.yaml"
        pack = yaml.safe_load(pack_path.read_text(encoding="utf-8"))
        pack["version"] += 1
        fraud = next(q for q in pack["quizzes"] if q["id"] == "fraud_awareness")
        fraud["retake_after_hours"] = COOL_DOWN_HOURS
        pack_path.write_text(yaml.safe_dump(pack, allow_unicode=True), encoding="utf-8")
        bot.cli("campaign", "load", "e2e-pack.yaml")
        parent_code, teacher_code = bot.invite(CLASS, "parent"), bot.invite(CLASS, "staff")
        await bot.start()
        api = bot.api
        parent, teacher = api.user(7301, "Lan", "Nguyễn"), api.user(7302, "Hoa", "Phạm")
        await onboard(bot, parent, parent_code)
        await onboard(bot, teacher, teacher_code)

        failed = await take(bot, parent, rights=6)
        finished_at = time.monotonic()
        assert f"đúng 6/{QUESTIONS} câu" in failed
        assert f"Chưa đạt: cần trả lời đúng {PASS} câu" in failed
        assert "Các câu chưa đúng" in failed
        await bot.settle()
        menu = await bot.say(parent, "/quiz", sent_text("Chọn bài trắc nghiệm"))
        assert f"điểm cao nhất 6/{QUESTIONS}, chưa đạt" in text_of(menu)
        refused = await bot.tap(parent, menu, QUIZ, sent_text("làm lại được từ ngày"))
        assert QUIZ in text_of(refused)

        await asyncio.sleep(max(0.0, COOL_DOWN_HOURS * 3600 - (time.monotonic() - finished_at)) + 1)
        passed = await take(bot, parent, rights=QUESTIONS)
        assert (
            f"đúng {QUESTIONS}/{QUESTIONS} câu" in passed
            and f"Tiêu chí “{MILESTONE}” đã được ghi nhận" in passed
        )
        await bot.settle()
        progress = await bot.say(parent, "/progress", sent_text("/report"))
        assert f"✅ {MILESTONE}" in text_of(progress)
        view = await bot.say(teacher, "/class", sent_text("10A1"))
        assert f"{MILESTONE}: 1/1" in text_of(view), text_of(view)
        menu = await bot.say(parent, "/quiz", sent_text("Chọn bài trắc nghiệm"))
        assert f"điểm cao nhất {QUESTIONS}/{QUESTIONS}, đã đạt" in text_of(menu)
        assert fresh(menu)
        asked = api.calls_to("getUpdates")[-1].get("allowed_updates") or []
        assert {"message", "callback_query", "poll_answer", "poll"} <= set(asked), asked
