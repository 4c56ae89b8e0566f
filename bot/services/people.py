"""Who is writing: a cached view of a person and their memberships.

Most updates come from people the bot already knows, so the view is kept in
memory and dropped when the person changes. With several workers, entries
expire after `ttl` seconds so a change made by another worker shows up soon,
and strangers are not remembered at all (another worker may be enrolling them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.services.schools import infer_level
from bot.text import place_name
from storage import org_units, people
from storage.db import UnitOfWork
from storage.models import OrgUnit


@dataclass(frozen=True)
class MembershipView:
    org_id: int
    role: str
    org_name: str
    org_kind: str
    org_path: str
    school_id: int | None
    school_name: str | None
    head: bool = False  # heads the unit (tổ trưởng): reports the unit's collective milestones

    @property
    def reports_for_unit(self) -> bool:
        """A homeroom teacher (a staff membership of a class) or a unit's head reports the
        class's or unit's collective milestones."""
        return self.role == "staff" and (
            self.org_kind == "class" or (self.org_kind == "unit" and self.head)
        )

    @property
    def place(self) -> str:
        """ "10A1 (THPT Lý Thái Tổ)"; the school itself, or a department, named once."""
        return place_name(
            self.org_name, self.school_name if self.school_id != self.org_id else None
        )

    # The school's level (SCHOOL_LEVELS; given on import, or read from its name), which
    # decides the pack items that reach it. None above schools, or when not known.
    school_level: str | None = None


@dataclass(frozen=True)
class PersonView:
    id: int
    tg_user_id: int
    name: str
    language: str
    status: str
    memberships: tuple[MembershipView, ...]
    quiet_hours: str | None = None  # own window "HH:MM-HH:MM", "off", or None: the school's
    announcements: bool = True  # non-urgent announcements wanted (urgent ones always arrive)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)


_MISSING = object()


class Directory:
    """tg user id → PersonView (or None for strangers), cached.

    With one worker (`ttl` None) and after `preload`, it also knows every Telegram id
    that belongs to a person, so a stranger's first message needs no query: only
    enrolment creates people, and it tells the directory (`put`).
    """

    def __init__(self, ttl: float | None = None, max_entries: int = 200_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[int, tuple[float, PersonView | None]] = {}
        self._known: set[int] | None = None  # every person's tg id, once preloaded

    async def preload(self, uow: UnitOfWork) -> int:
        """Learn which Telegram ids are people (one worker only); returns how many."""
        if self._ttl is not None:
            return 0
        self._known = await people.all_tg_ids(uow.session)
        return len(self._known)

    async def get(self, uow: UnitOfWork, tg_user_id: int) -> PersonView | None:
        cached = self._entries.get(tg_user_id, _MISSING)
        if cached is not _MISSING:
            stamp, view = cached  # type: ignore[misc]
            if self._ttl is None or time.monotonic() - stamp < self._ttl:
                return view
        if self._known is not None and tg_user_id not in self._known:
            return None
        view = await load_view(uow, tg_user_id)
        if view is None and self._ttl is not None:
            return None  # another worker may enrol them any moment: don't remember strangers
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[tg_user_id] = (time.monotonic(), view)
        return view

    def cached(self, tg_user_id: int) -> PersonView | None:
        """What is known without a query (None: a stranger, or not looked up yet)."""
        found = self._entries.get(tg_user_id)
        return found[1] if found else None

    def put(self, view: PersonView) -> None:
        self._entries[view.tg_user_id] = (time.monotonic(), view)
        if self._known is not None:
            self._known.add(view.tg_user_id)

    def invalidate(self, tg_user_id: int) -> None:
        self._entries.pop(tg_user_id, None)


def membership_view(
    unit: OrgUnit, role: str, chain: list[OrgUnit], head: bool = False
) -> MembershipView:
    """A role in `unit`, whose lineage (top down, the unit last) is `chain`."""
    school = org_units.school_of(chain)
    return MembershipView(
        org_id=unit.id,
        role=role,
        org_name=unit.name,
        org_kind=unit.kind,
        org_path=unit.path,
        school_id=school.id if school else None,
        school_name=school.name if school else None,
        head=head,
        school_level=(school.level or infer_level(school.name)) if school else None,
    )


async def load_view(uow: UnitOfWork, tg_user_id: int) -> PersonView | None:
    person = await people.summary_by_tg(uow.reads, tg_user_id)
    if person is None:
        return None
    held = await people.memberships(uow.reads, person.id)
    chains = await org_units.lineages(uow.reads, [unit for _, unit in held])
    views = [
        membership_view(unit, membership.role, chains[unit.id], bool(membership.head))
        for membership, unit in held
    ]
    return PersonView(
        id=person.id,
        tg_user_id=tg_user_id,
        name=person.display_name,
        language=person.language,
        status=person.status,
        memberships=tuple(views),
        quiet_hours=person.quiet_hours,
        announcements=bool(person.announcements),
    )
