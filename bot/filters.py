"""Router-level filters: roles come from memberships, never from what people type."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject

from bot.services.people import PersonView


class RoleFilter(Filter):
    """Passes when the person holds one of `roles`. Superadmins pass too, unless
    `superadmins=False`: what needs a membership (one's own milestones, one's class)
    needs one for them as well."""

    def __init__(self, *roles: str, superadmins: bool = True) -> None:
        self.roles = frozenset(roles)
        self.superadmins = superadmins

    async def __call__(
        self, event: TelegramObject, person: PersonView | None = None, superadmin: bool = False
    ) -> bool:
        if superadmin and self.superadmins:
            return True
        return person is not None and bool(person.roles & self.roles)


class InFlow(Filter):
    """Passes while a conversation flow is under way; gives the handler `flow_state`."""

    async def __call__(self, event: TelegramObject, raw_state: str | None = None) -> Any:
        if raw_state and raw_state.startswith("flow:"):
            return {"flow_name": raw_state.split(":")[1]}
        return False


class CommandText(Filter):
    """Text that starts with "/" (or, with `expected=False`, anything else, files included).

    A plain async filter: aiogram runs synchronous filters, `F` expressions among
    them, through a worker thread, one hop per message.
    """

    def __init__(self, expected: bool = True) -> None:
        self.expected = expected

    async def __call__(self, message: Message) -> bool:
        return (message.text or "").startswith("/") is self.expected
