"""End to end: the installed `hocvuso` console script against the fake Bot API over HTTP.

The bot is started exactly as the README tells a user to: `hocvuso org import`, `hocvuso invite
create`, then `hocvuso run`, as subprocesses of the current environment, in an empty folder
(so no developer `.env` leaks in) with only the HOCVUSO_* variables set here. The fake Telegram
server (tests/support/botapi.py) listens on 127.0.0.1 in the test's event loop; the bot long-polls
it. Nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.botapi import FakeBotApi, FakeUser
from tests.support.botapi_state import JSON

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOCVUSO = Path(sys.executable).parent / "hocvuso"
TOKEN = "987654:E2E-fake-token-not-real"
BOT_USERNAME = "hocvuso_test_bot"
SCHOOL = "Bắc Ninh/Từ Sơn/THPT Lý Thái Tổ"
ORG_CSV = (
    "province,district,school,unit,class\n"
    "Bắc Ninh,Từ Sơn,THPT Lý Thái Tổ,,10A1\n"
    "Bắc Ninh,Từ Sơn,THPT Lý Thái Tổ,,10A2\n"
)
LINK = re.compile(r"https://t\.me/" + BOT_USERNAME + r"\?start=([A-Za-z0-9_-]+)")
STARTUP_TIMEOUT = 60.0  # importing aiogram is slow on a cold machine
REPLY_TIMEOUT = 15.0
CLI_TIMEOUT = 60.0


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without any HOCVUSO_* variable, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOCVUSO_")}
    env.update(extra)
    return env


def fresh(message: JSON) -> bool:
    """A newly sent message (not an edit of an older one, such as removing its buttons)."""
    return "edit_date" not in message


def text_of(message: JSON) -> str:
    return message.get("text") or message.get("caption") or ""


def sent_text(*needles: str) -> Callable[[JSON], bool]:
    """A new message whose text contains every needle."""
    return lambda m: fresh(m) and all(needle in text_of(m) for needle in needles)


class Deployment:
    """One bot installation: a folder with its SQLite database, the CLI, and `hocvuso run`."""

    def __init__(self, root: Path, api: FakeBotApi) -> None:
        self.root = root
        self.api = api
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.log_path = root / "bot-0.log"
        assert HOCVUSO.exists(), f"console script {HOCVUSO} is missing: pip install -e ."

    @property
    def env(self) -> dict[str, str]:
        return clean_env(
            HOCVUSO_DATABASE_URL=f"sqlite+aiosqlite:///{self.root / 'e2e.db'}",
            HOCVUSO_BOT_USERNAME=BOT_USERNAME,
        )

    # -- the command-line tool --------------------------------------------------------------

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(HOCVUSO), *args],
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, (
            f"hocvuso {' '.join(args)} exited {done.returncode}\n"
            f"stdout: {done.stdout}\nstderr: {done.stderr[-3000:]}"
        )
        return done.stdout

    def invite(self, org: str, role: str) -> str:
        """`hocvuso invite create` and the code from the deep link it prints."""
        out = self.cli("invite", "create", "--org", org, "--role", role)
        found = LINK.search(out)
        assert found, f"no https://t.me/{BOT_USERNAME}?start=… link in: {out!r}"
        return found.group(1)

    # -- the bot process --------------------------------------------------------------------

    async def start(self) -> None:
        assert self.process is None, "the bot is already running"
        self.runs += 1
        self.log_path = self.root / f"bot-{self.runs}.log"
        polls_before = len(self.api.calls_to("getUpdates"))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(HOCVUSO), "run"],
                cwd=self.root,
                env=self.env | {"HOCVUSO_BOT_TOKEN": TOKEN, "HOCVUSO_API_URL": self.api.base_url},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while len(self.api.calls_to("getUpdates")) <= polls_before:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"`hocvuso run` exited with {self.process.returncode} before polling.\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"`hocvuso run` did not call getUpdates within {STARTUP_TIMEOUT}s.\n"
                    f"{self.log_tail()}"
                )
            await asyncio.sleep(0.1)

    async def stop(self, grace: float = 10.0) -> int:
        """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; the exit code."""
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            while process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if process.poll() is None:
                process.kill()
                await asyncio.to_thread(process.wait)
        return process.returncode

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until aiogram logs the newest update as handled. On SIGTERM aiogram closes the
        HTTP session without waiting for handlers still running, whose replies are then lost;
        this test is about stored state, not that race. Gives up quietly after ``timeout``,
        since the log line is aiogram's, not ours."""
        newest = self.api._last_update_id
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log_path.read_text(encoding="utf-8", errors="replace")
            if f"Update id={newest} is handled" in log:
                return
            await asyncio.sleep(0.05)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = "(no log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- tail of {self.log_path.name} ---\n{tail}\n--- end ---"

    # -- the users' side --------------------------------------------------------------------

    async def expect(
        self, action: Callable[[], object], chat_id: int, predicate: Callable[[JSON], bool]
    ) -> JSON:
        """Do ``action`` (a user's send or press), then the first bot message matching."""
        action()  # queued only: nothing can answer before wait_for has taken its start
        return await self.wait(chat_id, predicate)

    async def wait(
        self, chat_id: int, predicate: Callable[[JSON], bool], *, since_now: bool = True
    ) -> JSON:
        """api.wait_for, with the bot's log tail when nothing comes."""
        try:
            return await self.api.wait_for(
                chat_id, predicate, timeout=REPLY_TIMEOUT, since_now=since_now
            )
        except AssertionError as problem:
            state = (
                "running"
                if self.alive()
                else f"exited ({self.process and self.process.returncode})"
            )
            raise AssertionError(f"{problem}\nbot process: {state}\n{self.log_tail()}") from None

    async def say(
        self, user: FakeUser, text: str, predicate: Callable[[JSON], bool] = fresh
    ) -> JSON:
        return await self.expect(lambda: self.api.send_text(user, text), user.id, predicate)

    async def tap(
        self,
        user: FakeUser,
        message: JSON,
        label: str,
        predicate: Callable[[JSON], bool] = fresh,
    ) -> JSON:
        data = self.api.button(message, label)
        return await self.expect(lambda: self.api.press(user, message, data), user.id, predicate)


@asynccontextmanager
async def deployment(root: Path) -> AsyncIterator[Deployment]:
    """A fake Bot API on 127.0.0.1 and a bot folder with the org tree imported."""
    api = await FakeBotApi(token=TOKEN, bot_username=BOT_USERNAME).start()
    here = Deployment(root, api)
    try:
        (root / "classes.csv").write_text(ORG_CSV, encoding="utf-8")
        out = here.cli("org", "import", "classes.csv")
        assert "2 rows read" in out, out
        yield here
    finally:
        try:
            await here.stop()
        finally:
            await api.stop()


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
    welcome = await bot.tap(lan, name_question, "Lan Nguyễn", sent_text("Lan Nguyễn"))
    text = text_of(welcome)
    assert "10A1" in text and "THPT Lý Thái Tổ" in text and "phụ huynh" in text, text

    menu = [c["command"] for c in api.commands(scope_type="chat", chat_id=lan.id)]
    assert "mydata" in menu and "invite" not in menu, menu

    held = text_of(await bot.say(lan, "/mydata"))
    assert "10A1" in held and "THPT Lý Thái Tổ" in held, held


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
    await bot.tap(teacher, name_question, "Thu Phạm", sent_text("Welcome, Thu Phạm!"))

    which = await bot.say(teacher, "/invite")
    assert [label for label, _ in api.buttons(which)] == ["10A2"], text_of(which)
    pressed = api.press(teacher, which, api.button(which, "10A2"))
    alert = await api.wait_for_answer(pressed, timeout=REPLY_TIMEOUT)
    assert not alert.get("show_alert"), alert
    answer = await bot.wait(
        teacher.id, lambda m: fresh(m) and m["message_id"] > which["message_id"], since_now=False
    )
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
        welcome = await bot.tap(who, name_question, "Bình", sent_text("Bình"))
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
