"""End to end: the installed `hocvuso` console script against the fake Bot API over HTTP.

The bot is started exactly as the README tells a user to: `hocvuso org import`, `hocvuso invite
create`, then `hocvuso run`, as subprocesses of the current environment, in an empty folder
(so no developer `.env` leaks in) with only the HOCVUSO_* variables set here. The fake Telegram
server (tests/support/botapi.py) listens on 127.0.0.1 in the test's event loop; the bot long-polls
it. Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.support import (
    CLI_TIMEOUT,
    HOCVUSO,
    LINK,
    REPLY_TIMEOUT,
    SCHOOL,
    Deployment,
    clean_env,
    deployment,
    fresh,
    sent_text,
    text_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


class World:
    def __init__(self, deployment: Deployment, parent_code: str, staff_code: str) -> None:
        self.bot = deployment
        self.api = deployment.api
        self.parent_code = parent_code
        self.staff_code = staff_code


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """One running bot shared by the scenarios that do not restart it."""
    async with deployment(tmp_path_factory.mktemp("e2e")) as bot:
        parent_code = bot.invite(f"{SCHOOL}/10A1", "parent")
        staff_code = bot.invite(f"{SCHOOL}/10A2", "staff")
        await bot.start()
        yield World(bot, parent_code, staff_code)


# -- 1. a parent joins in Vietnamese ----------------------------------------------------------


async def test_parent_joins_in_vietnamese(world: World) -> None:
    bot, api = world.bot, world.api
    lan = api.user(7001, "Lan", "Nguyễn")

    question = await bot.say(lan, f"/start {world.parent_code}")
    assert [label for label, _ in api.buttons(question)] == ["🇻🇳 Tiếng Việt", "🇬🇧 English"]

    consent = await bot.tap(lan, question, "Tiếng Việt")
    text = text_of(consent)
    assert "10A1" in text and "THPT Lý Thái Tổ" in text, text
    assert "/mydata" in text and "/forget" in text, text

    name_question = await bot.tap(lan, consent, "đồng ý")
    # Telegram's "Lan" + "Nguyễn": offered family name first.
    assert [label for label, _ in api.buttons(name_question)] == ["Nguyễn Lan"], name_question
    child_question = await bot.tap(lan, name_question, "Nguyễn Lan", sent_text("tên của con"))
    assert "10A1" in text_of(child_question), text_of(child_question)
    relation = await bot.say(lan, "An, Bình", sent_text("em An, em Bình"))
    assert "Mẹ" in [label for label, _ in api.buttons(relation)], relation
    welcome = await bot.tap(lan, relation, "Mẹ", sent_text("Nguyễn Lan"))
    text = text_of(welcome)
    assert "10A1" in text and "THPT Lý Thái Tổ" in text and "phụ huynh" in text, text

    menu = [c["command"] for c in api.commands(scope_type="chat", chat_id=lan.id)]
    assert "mydata" in menu and "invite" not in menu, menu

    held = text_of(await bot.say(lan, "/mydata"))
    assert "10A1" in held and "THPT Lý Thái Tổ" in held, held
    assert "Con: em An, em Bình; quan hệ: mẹ" in held, held


# -- 2. a teacher joins in English, then invites a parent -------------------------------------


async def test_teacher_joins_in_english(world: World) -> None:
    bot, api = world.bot, world.api
    teacher = api.user(7002, "Hoa", language_code="en")

    question = await bot.say(teacher, f"/start {world.staff_code}")
    consent = await bot.tap(teacher, question, "English")
    assert "10A2" in text_of(consent) and "/forget" in text_of(consent), text_of(consent)
    await bot.tap(teacher, consent, "I agree")
    welcome = await bot.say(teacher, "  Nguye\u0302\u0303n Thị  Hoa ")
    text = text_of(welcome)
    assert "Welcome, Nguyễn Thị Hoa!" in text, text
    assert "10A2" in text and "teacher" in text, text

    menu = [c["command"] for c in api.commands(scope_type="chat", chat_id=teacher.id)]
    assert "invite" in menu and "mydata" in menu, menu


async def test_teacher_invites_a_parent_with_a_qr_code(world: World) -> None:
    bot, api = world.bot, world.api
    teacher = api.user(7005, "Thu", "Phạm", language_code="en")
    question = await bot.say(teacher, f"/start {world.staff_code}")
    consent = await bot.tap(teacher, question, "English")
    name_question = await bot.tap(teacher, consent, "I agree")
    await bot.tap(teacher, name_question, "Phạm Thu", sent_text("Welcome, Phạm Thu!"))

    which = await bot.say(teacher, "/invite")
    assert [label for label, _ in api.buttons(which)] == ["10A2"], text_of(which)
    pressed = api.press(teacher, which, api.button(which, "10A2"))
    alert = await api.wait_for_answer(pressed, timeout=REPLY_TIMEOUT)
    assert not alert.get("show_alert"), alert

    def after_which(m: dict) -> bool:  # the next card: a new message, or `which` edited
        newer = m["message_id"] > which["message_id"]
        return fresh(m) and (newer or (m["message_id"] == which["message_id"] and "edit_date" in m))

    answer = await bot.wait(teacher.id, after_which, since_now=False)
    if "photo" not in answer:  # several roles possible here: "who is the invite for?"
        answer = await bot.tap(teacher, answer, "parent", lambda m: fresh(m) and "photo" in m)
    caption = text_of(answer)
    found = LINK.search(caption)
    assert found, caption
    assert "10A2" in caption, caption
    assert api.calls_to("sendPhoto"), "the QR code was not sent with sendPhoto"

    newcomer = api.user(7003, "Minh")
    greeting = await bot.say(newcomer, f"/start {found.group(1)}")
    assert [label for label, _ in api.buttons(greeting)] == ["🇻🇳 Tiếng Việt", "🇬🇧 English"]
    consent = await bot.tap(newcomer, greeting, "Tiếng Việt")
    assert "10A2" in text_of(consent) and "phụ huynh" in text_of(consent), text_of(consent)


# -- 4. bad input over the wire ---------------------------------------------------------------


async def test_bad_input_gets_polite_answers(world: World) -> None:
    bot, api = world.bot, world.api
    who = api.user(7004, "Khách")

    await bot.say(who, f"/start {world.parent_code}")
    hint = await bot.expect(lambda: api.send_sticker(who), who.id, fresh)
    assert "chọn một nút" in text_of(hint), text_of(hint)

    unknown = await bot.say(who, "/frobnicate")
    assert "/help" in text_of(unknown), text_of(unknown)

    forged = await bot.say(who, "/start ' OR 1=1 --")
    assert "không hợp lệ" in text_of(forged), text_of(forged)

    helped = await bot.say(who, "/help")
    assert "/start" in text_of(helped), text_of(helped)
    assert bot.alive(), bot.log_tail()
    log = bot.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, bot.log_tail(80)


# -- 3. a conversation survives a restart -----------------------------------------------------


async def test_conversation_survives_restart(tmp_path: Path) -> None:
    async with deployment(tmp_path) as bot:
        api = bot.api
        code = bot.invite(f"{SCHOOL}/10A1", "parent")
        await bot.start()
        who = api.user(7101, "Bình")
        question = await bot.say(who, f"/start {code}")
        consent = await bot.tap(who, question, "Tiếng Việt")
        assert "10A1" in text_of(consent), text_of(consent)

        await bot.settle()
        assert await bot.stop() == 0, bot.log_tail()
        await bot.start()

        name_question = await bot.tap(who, consent, "đồng ý")
        assert "Bình" in [label for label, _ in api.buttons(name_question)], name_question
        await bot.tap(who, name_question, "Bình", sent_text("tên của con"))
        relation = await bot.say(who, "Cốm", sent_text("em Cốm"))
        welcome = await bot.tap(who, relation, "Bố", sent_text("Bình"))
        assert "phụ huynh" in text_of(welcome), text_of(welcome)


# -- no token -------------------------------------------------------------------------------


async def test_run_without_token_explains_botfather(tmp_path: Path) -> None:
    done = await asyncio.to_thread(
        subprocess.run,
        [str(HOCVUSO), "run"],
        cwd=tmp_path,
        env=clean_env(HOCVUSO_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "@BotFather" in done.stderr, done.stderr
