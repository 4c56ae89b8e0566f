"""The language of this update: the person's own, the one picked during onboarding,
or Telegram's hint, in that order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n

from bot.i18n import Renderer
from bot.settings import LANGUAGES


class LocaleMiddleware(BaseMiddleware):
    """Gives handlers `locale` and `render` (a Renderer in that language).

    Texts are rendered with an explicit locale, never through aiogram's context-bound
    `gettext`, so unlike aiogram's I18nMiddleware this sets no context variables: two
    context managers per update cost more than choosing the language.
    """

    def __init__(self, i18n: I18n, zone: Any = None) -> None:
        self.i18n = i18n
        self.zone = zone

    def setup(self, router: Router) -> LocaleMiddleware:
        """Register for every event type but the raw update (as aiogram's I18nMiddleware)."""
        for name, observer in router.observers.items():
            if name != "update":
                observer.outer_middleware(self)
        return self

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        locale = await self._pick(data)
        data["locale"] = locale
        data["render"] = Renderer(self.i18n, locale, self.zone)
        return await handler(event, data)

    async def _pick(self, data: dict[str, Any]) -> str:
        person = data.get("person")
        if person is not None:
            return person.language
        state = data.get("state")
        if state is not None:
            chosen = (await state.get_data()).get("language")
            if chosen in LANGUAGES:
                return chosen
        user: User | None = data.get("event_from_user")
        hint = (user.language_code or "")[:2] if user else ""
        if hint == "en" and self.i18n.default_locale != "en":
            return "en"
        return self.i18n.default_locale
