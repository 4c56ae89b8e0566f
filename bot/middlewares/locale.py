"""The language of this update: the person's own, the one picked during onboarding,
or Telegram's hint, in that order."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware

from bot.i18n import Renderer
from bot.settings import LANGUAGES


class LocaleMiddleware(I18nMiddleware):
    def __init__(self, *args: Any, zone: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        locale = await self._pick(data)
        data["locale"] = locale
        data["render"] = Renderer(self.i18n, locale, self.zone)
        return locale

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
