"""A turn: one update from one person, and what handling it may use.

`Shared` is built once in `bot.app.build_app` (the directory of people, the active
campaign, caches, catalogues, the flow registry); `Turn` is built for each update
by `bot.middlewares.turn.TurnMiddleware` and reaches handlers by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram.fsm.context import FSMContext

from bot.background import Background
from bot.delivery.outbox import Outbox
from bot.delivery.replies import Replies
from bot.exporting import Exports
from bot.i18n import Catalogues, Renderer
from bot.services.campaigns import ActiveCampaign
from bot.services.enrolment import PreviewCache
from bot.services.people import Directory, PersonView
from bot.text import reader_of
from bot.workers import Workers
from storage.db import UnitOfWork

if TYPE_CHECKING:
    from bot.handlers.conversation import FlowRegistry


@dataclass
class Shared:
    directory: Directory
    campaign: ActiveCampaign
    previews: PreviewCache
    catalogues: Catalogues
    bot_username: str
    flows: FlowRegistry
    zone: Any
    background: Background
    outbox: Outbox
    quiz_rendering: str = "poll"  # or "text": numbered answers (HOCVUSO_QUIZ_RENDERING)
    # Charts and spreadsheets, in another process (started on first use).
    workers: Workers = field(default_factory=Workers)
    # /export: who is waiting for one, and the upload limit (HOCVUSO_EXPORT_UPLOAD_LIMIT).
    exports: Exports = field(default_factory=Exports)


@dataclass
class Turn:
    shared: Shared
    uow: UnitOfWork
    replies: Replies
    render: Renderer
    person: PersonView | None
    superadmin: bool
    user_id: int
    chat_id: int
    now: datetime
    state: FSMContext | None

    @property
    def locale(self) -> str:
        return self.render.locale

    @property
    def reader(self) -> str | None:
        """This person's address group (`bot.text.READERS`), None before joining."""
        return self.render.reader

    def renderer(self, language: str, reader: str | None) -> Renderer:
        """Texts for someone (else), in their language, worded for their address group."""
        return Renderer(self.shared.catalogues, language, self.shared.zone, reader)

    def became(self, person: PersonView | None) -> None:
        """This person joined, left or changed: later replies are worded for who they are now."""
        self.person = person
        roles = person.roles if person is not None else frozenset()
        self.render = self.render.to(reader_of(roles, self.superadmin))

    def say(self, text: Any, markup: Any = None) -> None:
        """Reply in this chat, in this person's language, once the update has committed."""
        self.replies.message(self.chat_id, self.render(text), markup)
