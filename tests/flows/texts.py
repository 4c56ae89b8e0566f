"""Looking inside flow texts without translating them."""

from __future__ import annotations

from bot.text import Joined, T


def msgids(text: object) -> list[str]:
    """The gettext ids a text is made of, in order."""
    if isinstance(text, T):
        return [text.msgid]
    if isinstance(text, Joined):
        return [m for part in text.parts for m in msgids(part)]
    return []
