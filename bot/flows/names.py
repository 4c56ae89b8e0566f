"""Cleaning what people type: NFC, no control characters, sensible length."""

from __future__ import annotations

import unicodedata

NAME_MAX = 64


def normalise(text: str) -> str:
    """NFC, control and format characters dropped, runs of spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or unicodedata.category(ch)[0] != "C"
    )
    return " ".join(kept.split())


def clean_name(text: str) -> tuple[str | None, str | None]:
    """(name, None) when acceptable, else (None, reason): empty, too_long or no_letters."""
    name = normalise(text)
    if not name:
        return None, "empty"
    if len(name) > NAME_MAX:
        return None, "too_long"
    if not any(ch.isalpha() for ch in name):
        return None, "no_letters"
    return name, None
