"""Texts the bot says, rendered later in the reader's language; and cleaning what people type.

Nothing here imports aiogram or SQLAlchemy: flows, services and handlers all use it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class T:
    """A gettext message id with its parameters, rendered by the caller's translator.

    `T("Hello, {name}", name="Lan")`; the extractor knows `T` as a keyword.
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, msgid: str, /, **params: Any) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "params", params)


@dataclass(frozen=True)
class Plain:
    """Text shown as it is, in every language (a name, a language's own name)."""

    text: str


@dataclass(frozen=True)
class Joined:
    """Several texts shown one after another, separated by `sep`."""

    parts: tuple[Text, ...]
    sep: str = "\n\n"


Text = T | Plain | Joined


# Who reads a text ----------------------------------------------------------------
#
# Vietnamese addresses people by their role (DOMAIN.md "How to address people"):
# parents "Quý phụ huynh", students "em", staff and principals "Thầy/Cô", department
# officers "đồng chí" or "Quý vị". A message whose wording differs by reader has one
# catalogue entry per reader group (msgctxt = the group) beside its neutral entry
# (no context, no form of address), which is what everyone else sees, including
# people who have not joined yet (reader None).

READERS = ("officer", "staff", "parent", "student")  # address groups, by precedence
READER_OF_ROLE = {
    "dept_admin": "officer",
    "principal": "staff",
    "staff": "staff",
    "parent": "parent",
    "student": "student",
}


def reader_of(roles: Iterable[str], superadmin: bool = False) -> str | None:
    """The address group for someone with these roles: the highest of officer > staff >
    parent > student (a teacher who is also a parent is addressed as a teacher); None for
    someone who holds no role yet."""
    groups = {READER_OF_ROLE[role] for role in roles if role in READER_OF_ROLE}
    if superadmin:
        groups.add("officer")
    return next((group for group in READERS if group in groups), None)


def place_name(unit: str, school: str | None) -> str:
    """The place as shown: "Tổ Toán (THPT Lý Thái Tổ)"; a school itself is named once."""
    if not school or school == unit:
        return unit
    return f"{unit} ({school})"


# What people type --------------------------------------------------------------

NAME_MAX = 64
REASON_LIMIT = 300  # a reviewer's reason for not accepting evidence


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
