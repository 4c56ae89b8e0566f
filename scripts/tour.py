"""Print each role's first day with the bot, in Vietnamese and in English, from real output.

The README's "A short tour" is copied from this script's output. It drives the real dispatcher
through the test harness (tests/support/harness.py): a fake Bot API session, a SQLite file in a
temporary folder, a fixed clock; nothing reaches the internet.

    .venv/bin/python scripts/tour.py            # both languages
    .venv/bin/python scripts/tour.py en         # one
    .venv/bin/python scripts/tour.py --shots docs   # also save the charts it sends, as PNG
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from tests.support.harness import Harness, Person

SCHOOL = [("province", "Bắc Ninh"), ("school", "THPT Lý Thái Tổ")]

# What the transcript calls each speaker, and the words a person taps, per language.
WORDS = {
    "vi": {
        "parent": "Phụ huynh",
        "student": "Học sinh",
        "staff": "Giáo viên",
        "principal": "Hiệu trưởng",
        "dept_admin": "Cán bộ Sở",
        "bot": "Bot",
        "card": "thẻ",
        "photo": "ảnh",
        "document": "tệp",
        "alert": "thông báo nhanh",
        "tap": "bấm",
        "language": "Tiếng Việt",
        "agree": "đồng ý",
        "mother": "Mẹ",
        "course": "Bình dân học vụ số",
        "send": "Gửi",
        "approve": "Duyệt",
        "headcount": "Sĩ số",
        "leader": "cán bộ quản lý",
        "evidence": "ảnh chụp giấy chứng nhận",
    },
    "en": {
        "parent": "Parent",
        "student": "Student",
        "staff": "Homeroom teacher",
        "principal": "Principal",
        "dept_admin": "Department officer",
        "bot": "Bot",
        "card": "card",
        "photo": "photo",
        "document": "file",
        "alert": "pop-up",
        "tap": "taps",
        "language": "English",
        "agree": "I agree",
        "mother": "Mother",
        "course": "Bình dân học vụ số",
        "send": "Send",
        "approve": "Approve",
        "headcount": "Headcount",
        "leader": "school leader",
        "evidence": "a photo of the certificate",
    },
}


class Tour:
    """Runs one language's day and prints every exchange as the people in it saw it."""

    def __init__(self, h: Harness, language: str, shots: Path | None = None) -> None:
        self.h = h
        self.shots = shots
        self.language = language
        self.words = WORDS[language]
        self.roles: dict[int, str] = {}
        self._seen = 0

    def person(self, user_id: int, first_name: str, last_name: str, role: str) -> Person:
        who = Person(user_id, first_name, language_code=self.language, last_name=last_name)
        self.roles[who.id] = role
        return who

    def heading(self, title: str) -> None:
        print(f"\n=== {title} ===")

    async def act(self, who: Person, shown: str, action: object) -> None:
        self._seen = len(self.h.session.requests)
        print(self._line(self.words[self.roles[who.id]], shown))
        await action  # type: ignore[misc]
        self._show(who)

    async def say(self, who: Person, text: str) -> None:
        await self.act(who, text, self.h.say(who, text))

    async def tap(self, who: Person, label_part: str) -> None:
        label = self.h.button_label(who, label_part)
        data = self.h.button(who, label_part)
        await self.act(who, f"({self.words['tap']}) {label}", self.h.press(who, data))

    async def tap_first(self, who: Person) -> None:
        label, data = self.h.buttons(who)[0]
        await self.act(who, f"({self.words['tap']}) {label}", self.h.press(who, data))

    def _keep(self, request: SendPhoto) -> None:
        """A chart the bot drew (bytes it uploaded), saved as tour-<language>-<n>.png."""
        if self.shots is None or not isinstance(request.photo, BufferedInputFile):
            return
        self.shots.mkdir(parents=True, exist_ok=True)
        taken = len(list(self.shots.glob(f"tour-{self.language}-*.png")))
        (self.shots / f"tour-{self.language}-{taken + 1}.png").write_bytes(request.photo.data)

    async def later(self, who: Person) -> None:
        """What work started by the last step (an export) sends once it is done."""
        seen = len(self.h.session.requests)
        await self.h.app.shared.background.drain(120.0)
        self._seen = seen
        self._show(who)

    async def photo(self, who: Person) -> None:
        await self.act(who, f"({self.words['evidence']})", self.h.photo(who))

    def _show(self, who: Person) -> None:
        for request in self.h.session.requests[self._seen :]:
            chat = getattr(request, "chat_id", None)
            if isinstance(request, AnswerCallbackQuery):
                if request.text:
                    print(self._line(f"{self.words['bot']} ({self.words['alert']})", request.text))
                continue
            if not isinstance(
                request,
                SendMessage | SendPhoto | SendDocument | EditMessageText | EditMessageCaption,
            ):
                continue
            speaker = self.words["bot"]
            if chat != who.id:
                speaker += f" → {self.words[self.roles.get(int(chat or 0), 'parent')].lower()}"
            if isinstance(request, EditMessageText | EditMessageCaption):
                speaker += f" ({self.words['card']})"
            elif isinstance(request, SendPhoto):
                speaker += f" ({self.words['photo']})"
                self._keep(request)
            elif isinstance(request, SendDocument):
                name = getattr(request.document, "filename", None) or ""
                speaker += f" ({self.words['document']} {name})".rstrip()
            text = getattr(request, "text", None) or getattr(request, "caption", None) or ""
            markup = request.reply_markup
            if isinstance(markup, InlineKeyboardMarkup):
                rows = [" ".join(f"[{b.text}]" for b in row) for row in markup.inline_keyboard]
                text = "\n".join([text, *rows])
            print(self._line(speaker, text))

    @staticmethod
    def _line(speaker: str, text: str) -> str:
        lines = text.splitlines() or [""]
        pad = " " * (len(speaker) + 3)
        return "\n".join([f"{speaker}:  {lines[0]}", *(pad + line for line in lines[1:])])

    async def join(self, who: Person, code: str, child: str | None = None) -> None:
        await self.say(who, f"/start {code}")
        await self.tap(who, self.words["language"])
        await self.tap(who, self.words["agree"])
        await self.tap_first(who)  # the name offered
        if child is not None:
            await self.say(who, child)
            await self.tap(who, self.words["mother"])

    async def report(self, who: Person, label_part: str | None) -> None:
        await self.say(who, "/report")
        if label_part is None:
            await self.tap_first(who)
        else:
            await self.tap(who, label_part)
        if any(self.words["send"] in label for label, _ in self.h.buttons(who)):
            await self.tap(who, self.words["send"])  # no evidence asked: recorded at once
            return
        await self.photo(who)
        await self.tap(who, self.words["send"])


async def day(language: str, folder: Path, shots: Path | None = None) -> None:
    h = await Harness.create(f"sqlite+aiosqlite:///{folder / f'tour-{language}.db'}")
    try:
        tour = Tour(h, language, shots)
        w = tour.words
        province = await h.org(SCHOOL[0])
        school = await h.org(*SCHOOL)
        klass = await h.org(*SCHOOL, ("class", "10A1"))
        lan = tour.person(701, "Lan", "Nguyễn Thị", "parent")
        khoi = tour.person(702, "Khôi", "Vũ Minh", "student")
        hoa = tour.person(703, "Hoa", "Trần Thị", "staff")
        minh = tour.person(704, "Minh", "Lê Văn", "principal")
        hung = tour.person(705, "Hùng", "Phạm Quốc", "dept_admin")

        tour.heading(w["parent"])
        await tour.join(lan, await h.invite(klass, "parent"), child="An, Bình")
        await tour.say(lan, "/help")
        await tour.report(lan, w["course"])
        await tour.say(lan, "/progress")

        tour.heading(w["student"])
        await tour.join(khoi, await h.invite(klass, "student"))
        await tour.say(khoi, "/help")
        await tour.report(khoi, None)
        await tour.say(khoi, "/progress")

        tour.heading(w["staff"])
        await tour.join(hoa, await h.invite(klass, "staff"))
        await tour.say(hoa, "/help")
        await tour.say(hoa, "/invite")
        while h.buttons(hoa):  # which class or unit, then for whom: the first (parents)
            await tour.tap_first(hoa)
        await tour.say(hoa, "/class")
        await tour.tap(hoa, w["headcount"])
        if h.buttons(hoa):  # which class
            await tour.tap(hoa, "10A1")
        await tour.say(hoa, "40")
        await tour.say(hoa, "/class")

        tour.heading(w["principal"])
        await tour.join(minh, await h.invite(school, "principal"))
        await tour.say(minh, "/help")
        await tour.say(minh, "/review")
        await tour.tap(minh, w["approve"])
        await tour.say(minh, "/class")
        await tour.say(minh, "/stats")
        await tour.say(minh, "/nominations")
        await tour.say(minh, "/export")
        await tour.tap(minh, "XLSX")
        await tour.later(minh)

        tour.heading(w["dept_admin"])
        await tour.join(hung, await h.invite(province, "dept_admin"))
        await tour.say(hung, "/help")
        await tour.say(hung, "/invite")
        await tour.tap(hung, "THPT Lý Thái Tổ")
        await tour.tap(hung, w["leader"])  # the school's principal
        await tour.say(hung, "/stats")
    finally:
        await h.close()


async def main(args: list[str]) -> None:
    shots = next((Path(a.split("=", 1)[1]) for a in args if a.startswith("--shots=")), None)
    if "--shots" in args:
        shots = Path(args[args.index("--shots") + 1])
    languages = [a for a in args if a in ("vi", "en")] or ["vi", "en"]
    with tempfile.TemporaryDirectory() as folder:
        for language in languages:
            print(f"\n##### {language} #####")
            await day(language, Path(folder), shots)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
