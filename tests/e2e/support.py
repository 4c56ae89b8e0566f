"""Shared pieces of the end-to-end tests: the `hocvuso` CLI and `hocvuso run` as subprocesses
against the fake Bot API (tests/support/botapi.py), and the user-side waiting helpers.

The bot is started exactly as the README tells a user to, in an empty folder (so no developer
`.env` leaks in) with only the HOCVUSO_* variables set here. The fake Telegram server listens on
127.0.0.1 in the test's event loop; the bot long-polls it. Nothing reaches the internet.
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
from typing import Any

import yaml

from bot.campaign.loader import default_pack_path
from tests.support.botapi import FakeBotApi, FakeUser
from tests.support.botapi_state import JSON, NEW_CONTENT

HOCVUSO = Path(sys.executable).parent / "hocvuso"
TOKEN = "987654:E2E-fake-token-not-real"
BOT_USERNAME = "hocvuso_test_bot"
# The README's shape: an upper-secondary school sits directly under the province.
SCHOOL = "Bắc Ninh/THPT Lý Thái Tổ"
ORG_CSV = (
    "province,commune,school,unit,class,level\n"
    "Bắc Ninh,,THPT Lý Thái Tổ,,10A1,\n"
    "Bắc Ninh,,THPT Lý Thái Tổ,,10A2,\n"
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
    """Something new to read: a newly sent message, or one edited to new text (a flow's card
    moving to its next question), not an edit that only took buttons away."""
    return "edit_date" not in message or bool(message.get(NEW_CONTENT))


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
        self.extra_env: dict[str, str] = {}  # HOCVUSO_* settings a test adds
        assert HOCVUSO.exists(), f"console script {HOCVUSO} is missing: pip install -e ."

    @property
    def env(self) -> dict[str, str]:
        return clean_env(
            HOCVUSO_DATABASE_URL=f"sqlite+aiosqlite:///{self.root / 'e2e.db'}",
            HOCVUSO_BOT_USERNAME=BOT_USERNAME,
            # The tests run at any hour of the real clock: no quiet hours unless a test sets them.
            HOCVUSO_QUIET_HOURS="off",
            **self.extra_env,
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
        """Wait until aiogram logs the newest update as handled: its handler has returned and its
        unit of work is committed. The bot's replies go out before that commit, and on SIGTERM
        aiogram may close the HTTP session under handlers still running; so call this before a
        restart, or before a step that reads what the previous update stored. Gives up quietly
        after ``timeout``, since the log line is aiogram's, not ours."""
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
async def deployment(root: Path, **api_options: Any) -> AsyncIterator[Deployment]:
    """A fake Bot API on 127.0.0.1 (`api_options` for FakeBotApi, such as its limits) and a
    bot folder with the org tree imported."""
    api = await FakeBotApi(token=TOKEN, bot_username=BOT_USERNAME, **api_options).start()
    here = Deployment(root, api)
    try:
        (root / "classes.csv").write_text(ORG_CSV, encoding="utf-8")
        out = here.cli("org", "import", "classes.csv")
        assert "2 rows read" in out, out
        # The default pack without its dated reminders and yearly announcements: the bot
        # ticks against the real clock, and on 15/9 or in late May those would reach the
        # people of a test that does not expect them. Reminders have tests of their own.
        pack = yaml.safe_load(default_pack_path().read_text(encoding="utf-8"))
        pack.update(version=pack["version"] + 1, deadlines=[], announcements=[])
        pack["self_assessment"]["deadline"] = None  # its deadline went with the others
        (root / "e2e-pack.yaml").write_text(yaml.safe_dump(pack, allow_unicode=True), "utf-8")
        here.cli("campaign", "load", "e2e-pack.yaml")
        yield here
    finally:
        try:
            await here.stop()
        finally:
            await api.stop()
