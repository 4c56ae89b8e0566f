"""Who wrote, in which language, and when: the `Turn` every handler receives by name.

This is the one place that reads aiogram's context data: handlers and filters get
`turn`, `person` and `superadmin` as parameters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EventContext
from aiogram.types import TelegramObject

from bot.clock import Clock
from bot.i18n import Catalogues, Renderer
from bot.services.people import PersonView
from bot.settings import LANGUAGES
from bot.text import READER_OF_ROLE, reader_of
from bot.turn import Shared, Turn
from storage import people


class TurnMiddleware(BaseMiddleware):
    def __init__(self, shared: Shared, clock: Clock, superadmins: frozenset[int]) -> None:
        self.shared = shared
        self.clock = clock
        self.superadmins = superadmins

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context: EventContext | None = data.get("event_context")
        user = context.user if context else None
        if user is None:  # channel posts and the like: nobody to answer
            return await handler(event, data)
        uow = data["uow"]
        person = await self.shared.directory.get(uow, user.id)
        if person is not None and person.status == "unreachable":
            person = await self._reachable_again(uow, person)
        state = data.get("state")
        language = await self._language(person, state, user.language_code)
        superadmin = user.id in self.superadmins
        reader = await self._reader(person, state, superadmin)
        turn = Turn(
            shared=self.shared,
            uow=uow,
            replies=data["replies"],
            render=Renderer(self.shared.catalogues, language, self.clock.zone, reader),
            person=person,
            superadmin=superadmin,
            user_id=user.id,
            chat_id=context.chat_id if context and context.chat_id else user.id,
            now=self.clock.now(),
            state=state,
        )
        data["turn"] = turn
        data["person"] = person
        data["superadmin"] = turn.superadmin
        return await handler(event, data)

    async def _reachable_again(self, uow: Any, person: PersonView) -> PersonView:
        """Someone who had blocked the bot writes again: the outbox may send to them again."""
        await people.set_status(uow.session, person.id, "active")
        directory = self.shared.directory
        uow.after_commit(lambda: directory.invalidate(person.tg_user_id))
        return replace(person, status="active")

    async def _reader(self, person: Any, state: Any, superadmin: bool) -> str | None:
        """Whose words replies use: the person's roles; before joining, the role of the
        invite being accepted (onboarding keeps it), else none (neutral wording)."""
        if person is not None:
            return reader_of(person.roles, superadmin)
        if state is not None and not superadmin:
            invited = (await state.get_data()).get("role")
            if isinstance(invited, str) and invited in READER_OF_ROLE:
                return READER_OF_ROLE[invited]
        return reader_of((), superadmin)

    async def _language(self, person: Any, state: Any, hint: str | None) -> str:
        """The person's own; the one picked during onboarding; Telegram's hint."""
        if person is not None:
            return str(person.language)
        if state is not None:
            chosen = (await state.get_data()).get("language")
            if chosen in LANGUAGES:
                return str(chosen)
        catalogues: Catalogues = self.shared.catalogues
        return catalogues.hint(hint)
