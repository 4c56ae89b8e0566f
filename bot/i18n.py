"""Languages: gettext catalogues under `locales/`, rendering and Babel formatting.

The `.po` files are the source of truth; they are compiled in memory at start,
so there is no stale `.mo` to forget. `hocvuso-i18n` (scripts/i18n.py) extracts
and updates them.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Hashable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from bot.text import Joined, Plain, T, Text

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DATE_PATTERNS = {"vi": "d/M/yyyy", "en": "d MMM yyyy"}
DATETIME_PATTERNS = {"vi": "HH:mm d/M/yyyy", "en": "d MMM yyyy, HH:mm"}


class Catalogues(I18n):
    """aiogram's I18n, fed from `.po` files compiled in memory.

    It also keeps what is built from the texts and asked for again and again
    (keyboards, command menus): those are Telegram objects, costly to validate.
    """

    MADE_LIMIT = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # (locale, reader group, msgid) → text, for messages worded by reader (msgctxt)
        self.variants: dict[tuple[str, str, str], str] = {}
        super().__init__(*args, **kwargs)
        self.made: dict[Hashable, Any] = {}

    def hint(self, language_code: str | None) -> str:
        """The language for someone we know nothing about, from Telegram's hint."""
        if (language_code or "")[:2] == "en" and self.default_locale != "en":
            return "en"
        return self.default_locale

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        found: dict[str, gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            with po_path.open("rb") as handle:
                catalog = read_po(handle)
            locale = po_path.parent.parent.name
            for message in catalog:
                if message.context and message.id and message.string and not message.fuzzy:
                    self.variants[(locale, message.context, str(message.id))] = str(message.string)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            found[locale] = gettext.GNUTranslations(buffer)
        return found

    def text(self, msgid: str, locale: str, reader: str | None) -> str:
        """The reader's variant of `msgid` if the catalogue has one, else the neutral text."""
        if reader is not None:
            variant = self.variants.get((locale, reader, msgid))
            if variant is not None:
                return variant
        return str(self.gettext(msgid, locale=locale))


def build_catalogues(default_locale: str) -> Catalogues:
    return Catalogues(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def fmt_date(value: date, locale: str) -> str:
    return format_date(value, DATE_PATTERNS.get(locale, "medium"), locale=locale)


DAY_MONTH_PATTERNS = {"vi": "d/M", "en": "d MMM"}


def fmt_day_month(value: date, locale: str) -> str:
    """A day without its year, for a chart's axis: 1/9, or 1 Sep."""
    return format_date(value, DAY_MONTH_PATTERNS.get(locale, "d MMM"), locale=locale)


def fmt_datetime(value: datetime, locale: str, zone: Any) -> str:
    pattern = DATETIME_PATTERNS.get(locale, "medium")
    return format_datetime(value, pattern, tzinfo=zone, locale=locale)


def fmt_number(value: int | float | Decimal, locale: str) -> str:
    if type(value) is int:
        return _fmt_int(value, locale)
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=4096)
def _fmt_int(value: int, locale: str) -> str:
    """Counts and limits repeat (64 characters, 90%, a class of 35): Babel is slow to ask."""
    return format_decimal(value, locale=locale)


def fmt_percent(fraction: float, locale: str) -> str:
    return format_percent(fraction, "#,##0.#%", locale=locale)


class Renderer:
    """Turns flow texts into strings in one language, worded for one reader group.

    `reader` is an address group of `bot.text.READERS` (None: someone not joined yet, or
    a text for anyone): messages with a variant for that group (msgctxt) use it, the
    others their neutral text.
    """

    def __init__(
        self, catalogues: Catalogues, locale: str, zone: Any = None, reader: str | None = None
    ) -> None:
        self.catalogues = catalogues
        self.locale = locale
        self.zone = zone
        self.reader = reader

    def to(self, reader: str | None) -> Renderer:
        """The same language for another reader group."""
        return Renderer(self.catalogues, self.locale, self.zone, reader)

    def __call__(self, text: Text | str) -> str:
        if isinstance(text, str):
            return text
        if isinstance(text, Plain):
            return text.text
        if isinstance(text, Joined):
            return text.sep.join(self(part) for part in text.parts)
        template = self.catalogues.text(text.msgid, self.locale, self.reader)
        return template.format(**{k: self.value(v) for k, v in text.params.items()})

    def made(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """`build()` for this language, made once: the result must not be changed later."""
        made = self.catalogues.made
        full_key = (self.locale, self.reader, key)
        found = made.get(full_key)
        if found is None:
            if len(made) >= Catalogues.MADE_LIMIT:
                made.clear()
            found = made[full_key] = build()
        return found

    def value(self, value: Any) -> str:
        if isinstance(value, T | Plain | Joined):
            return self(value)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float | Decimal):
            return fmt_number(value, self.locale)
        if isinstance(value, datetime):
            return fmt_datetime(value, self.locale, self.zone)
        if isinstance(value, date):
            return fmt_date(value, self.locale)
        return str(value)
