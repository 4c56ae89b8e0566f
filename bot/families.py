"""Families: which children a parent joined a class for, and what they are to them.

A class's teacher sees "Nguyễn Thị Lan – mẹ em An" rather than a bare name. A parent of
two children in the same class names both once ("An, Bình"): one membership, shown as
"mẹ em An, em Bình" and counted as two children. Only what tells parents apart is kept:
the children's names as the parent writes them (NFC, length-limited) and the relation;
no birth dates, no grades. Pure (no aiogram, no SQLAlchemy): flows use it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import Joined, Plain, T, Text, normalise

# What a parent is to the children they joined a class for (Membership.relation).
RELATIONS = ("mother", "father", "grandfather", "grandmother", "guardian")

CHILD_NAME_MAX = 40  # one child's name
MAX_CHILDREN = 4  # in one class, for one parent: twins, triplets, and one more
SEPARATOR = ", "  # how the names are stored: "An, Bình" (at most 4 × 40 + 3 × 2 = 166 < 200)
# "An, Bình", "An; Bình", "An và Bình", "An & Bình", "An + Bình", one per line.
_SPLIT = re.compile(r"[,;\n&+/]|\s(?:và|and)\s", re.IGNORECASE)

# "{relation} of {children}": vi "mẹ em An".
RELATION_WORDS: dict[str, Text] = {
    "mother": T("mother"),
    "father": T("father"),
    "grandfather": T("grandfather"),
    "grandmother": T("grandmother"),
    "guardian": T("guardian"),
}
# Buttons at onboarding.
RELATION_CHOICES: dict[str, Text] = {
    "mother": T("Mother"),
    "father": T("Father"),
    "grandfather": T("Grandfather"),
    "grandmother": T("Grandmother"),
    "guardian": T("Guardian"),
}


@dataclass(frozen=True)
class Family:
    """What a parent's membership says about their children in the class."""

    children: tuple[str, ...]
    relation: str | None

    @property
    def stored(self) -> str:
        return SEPARATOR.join(self.children)


def parse_children(text: str) -> tuple[tuple[str, ...] | None, str | None]:
    """The children's names a parent typed: (names, None), or (None, problem) with problem
    one of empty, too_long, no_letters, too_many."""
    names: list[str] = []
    for part in _SPLIT.split(text):
        name = normalise(part)
        if not name:
            continue
        if len(name) > CHILD_NAME_MAX:
            return None, "too_long"
        if not any(ch.isalpha() for ch in name):
            return None, "no_letters"
        if name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    if not names:
        return None, "empty"
    if len(names) > MAX_CHILDREN:
        return None, "too_many"
    return tuple(names), None


def stored_children(child_names: str | None) -> tuple[str, ...]:
    """The names as read back from a membership ("" or None: none given)."""
    return tuple(n.strip() for n in (child_names or "").split(",") if n.strip())


def children_count(child_names: str | None) -> int:
    """How many children a parent's membership covers: the names it lists, at least 1."""
    return max(1, len(stored_children(child_names)))


def children_text(children: tuple[str, ...]) -> Text:
    """vi "em An, em Bình"; en "An, Bình" (the en catalogue renders "child {name}" as
    the name alone)."""
    return Joined(tuple(T("child {name}", name=Plain(name)) for name in children), sep=", ")


def family_text(children: tuple[str, ...], relation: str | None) -> Text:
    """vi "mẹ em An, em Bình"; en "mother of An, Bình"."""
    of = children_text(children)
    if relation in RELATION_WORDS:
        return T("{relation} of {children}", relation=RELATION_WORDS[relation], children=of)
    return T("parent of {children}", children=of)


def member_label(name: str, child_names: str | None, relation: str | None) -> Text:
    """How a class's teacher sees a member: "Nguyễn Thị Lan – mẹ em An", or the name alone
    for a student, or a parent who joined before children were asked."""
    return person_label(name, ((child_names, relation),))


def person_label(name: str, ties: tuple[tuple[str | None, str | None], ...]) -> Text:
    """The name with every (child names, relation) a person's parent memberships hold:
    "Nguyễn Thị Lan – mẹ em An; mẹ em Bình" for a mother of children in two classes."""
    shown = Plain(name or "—")
    families = tuple(
        family_text(stored_children(names), relation)
        for names, relation in ties
        if stored_children(names)
    )
    if not families:
        return shown
    return Joined((shown, Joined(families, sep="; ")), sep=" – ")
