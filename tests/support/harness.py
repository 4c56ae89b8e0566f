"""Drive the real dispatcher with real `Update` objects through a fake session."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PhotoSize,
    PollAnswer,
    Sticker,
    Update,
    User,
)

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.delivery.pace import Pace
from bot.services import campaigns, invites
from bot.settings import Settings
from storage import migrate, org_units
from storage.db import Database
from tests.support.fake_session import BOT_USER, FakeSession, poll_of

START = datetime(2026, 9, 5, 8, 0, tzinfo=UTC)


class Person:
    def __init__(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = "vi",
        last_name: str | None = None,
    ) -> None:
        self.user = User(
            id=user_id,
            is_bot=False,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
        )

    @property
    def id(self) -> int:
        return self.user.id


class Harness:
    """One bot, one database, a fixed clock. `say`, `press`, then look at `session`."""

    def __init__(self, app: App, bot: Bot, session: FakeSession, clock: FixedClock) -> None:
        self.app = app
        self.bot = bot
        self.session = session
        self.clock = clock
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    @classmethod
    async def create(cls, url: str, *, superadmins: str = "", **settings: Any) -> Harness:
        config = Settings(
            database_url=url, bot_token="42:TEST", superadmins=superadmins, **settings
        )
        database = Database(url)
        await migrate.upgrade(database)
        clock = FixedClock(START)
        uow = database.unit_of_work()
        await campaigns.ensure_default(uow, clock.now())
        await uow.finish()
        session = FakeSession()
        pace = Pace(limits=None, patience=2.0)  # retries as in the bot, no waits
        session.middleware(pace)
        bot = Bot("42:TEST", session=session)
        app = build_app(config, database, clock, BOT_USER.username or "")
        await app.preload()
        await app.start_sending(bot, pace)
        return cls(app, bot, session, clock)

    async def close(self) -> None:
        await self.app.stop_sending()
        await self.app.storage.close()
        await self.app.database.dispose()

    # the organisation ---------------------------------------------------------

    async def org(self, *chain: tuple[str, str]) -> int:
        """Create the chain as `hocvuso org import` does: a new province gets its shipped
        province pack (Bắc Ninh's, Khánh Hòa's…)."""
        uow = self.app.database.unit_of_work()
        try:
            unit, _ = await org_units.ensure(uow.session, list(chain), self.clock.now())
            await campaigns.attach_shipped(uow, self.clock.now())
            await uow.finish()
        except BaseException:
            await uow.abort()
            raise
        return unit.id

    async def invite(self, org_id: int, role: str, **options: Any) -> str:
        uow = self.app.database.unit_of_work()
        unit = await invites.unit(uow, org_id)
        assert unit is not None
        created = await invites.create(
            uow,
            unit=unit,
            role=role,
            bot_username="hocvuso_test_bot",
            now=self.clock.now(),
            creator=None,
            creator_tg_id=None,
            superadmin=True,
            **options,
        )
        await uow.finish()
        return created.code

    # updates -----------------------------------------------------------------------

    async def feed(self, **event: Any) -> Any:
        update = Update(update_id=next(self._update_ids), **event)
        result = await self.app.dispatcher.feed_update(self.bot, update)
        await self.sent()
        return result

    async def sent(self) -> None:
        """Wait until the outbox has sent everything due (notices queued by the update)."""
        assert await self.app.outbox.idle(10.0), "the outbox did not empty"

    def _message(self, person: Person, **fields: Any) -> Message:
        return Message(
            message_id=next(self._message_ids),
            date=self.clock.now(),
            chat=Chat(id=person.id, type="private"),
            from_user=person.user,
            **fields,
        )

    async def say(self, person: Person, text: str) -> None:
        entities = None
        if text.startswith("/"):
            length = len(text.split()[0])
            entities = [MessageEntity(type="bot_command", offset=0, length=length)]
        await self.feed(message=self._message(person, text=text, entities=entities))

    async def photo(self, person: Person, caption: str | None = None, size: int = 50_000) -> None:
        n = next(self._message_ids)
        photo = [
            PhotoSize(
                file_id=f"ph{n}", file_unique_id=f"uq{n}", width=800, height=600, file_size=size
            )
        ]
        await self.feed(message=self._message(person, photo=photo, caption=caption))

    async def document(self, person: Person, name: str, mime: str, size: int) -> None:
        n = next(self._message_ids)
        doc = Document(
            file_id=f"doc{n}",
            file_unique_id=f"uqd{n}",
            file_name=name,
            mime_type=mime,
            file_size=size,
        )
        await self.feed(message=self._message(person, document=doc))

    async def sticker(self, person: Person) -> None:
        sticker = Sticker(
            file_id="st",
            file_unique_id="stu",
            type="regular",
            width=1,
            height=1,
            is_animated=False,
            is_video=False,
        )
        await self.feed(message=self._message(person, sticker=sticker))

    async def press(self, person: Person, callback_data: str, message_id: int = 1) -> None:
        message = Message(
            message_id=message_id,
            date=self.clock.now(),
            chat=Chat(id=person.id, type="private"),
            from_user=BOT_USER,
            text="…",
        )
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=person.user,
            chat_instance="ci",
            message=message,
            data=callback_data,
        )
        await self.feed(callback_query=query)

    async def vote(self, person: Person, poll_id: str, *option_ids: int) -> None:
        """A `poll_answer`: `person` chose these options (none: took the vote back)."""
        answer = PollAnswer(
            poll_id=poll_id,
            user=person.user,
            option_ids=list(option_ids),
            option_persistent_ids=[str(n) for n in option_ids],
        )
        await self.feed(poll_answer=answer)

    async def answer_poll(self, person: Person, right: bool) -> None:
        """Answer the latest poll sent to `person`, rightly or not."""
        poll_id, sent = self.session.last_poll(person.id)
        correct = sent.correct_option_id or 0
        await self.vote(person, poll_id, correct if right else (correct + 1) % len(sent.options))

    async def poll_closed(self, poll_id: str) -> None:
        """The `poll` update Telegram sends when a poll's open_period runs out."""
        sent, _ = self.session.polls[poll_id]
        poll = poll_of(sent, poll_id, closed=True)
        await self.feed(poll=poll)

    # looking at replies ---------------------------------------------------------------

    def last_text(self, person: Person) -> str:
        return self.session.texts(person.id)[-1]

    def buttons(self, person: Person) -> list[tuple[str, str]]:
        markup = self.session.last(person.id).reply_markup
        if not isinstance(markup, InlineKeyboardMarkup):
            return []
        return [(b.text, b.callback_data or "") for row in markup.inline_keyboard for b in row]

    def button(self, person: Person, label_part: str) -> str:
        for text, data in self.buttons(person):
            if label_part in text:
                return data
        raise AssertionError(f"no button with {label_part!r} in {self.buttons(person)}")

    def button_label(self, person: Person, label_part: str) -> str:
        for text, _ in self.buttons(person):
            if label_part in text:
                return text
        raise AssertionError(f"no button with {label_part!r} in {self.buttons(person)}")

    def alerts(self) -> list[str]:
        from aiogram.methods import AnswerCallbackQuery

        return [m.text or "" for m in self.session.of(AnswerCallbackQuery) if m.text]
