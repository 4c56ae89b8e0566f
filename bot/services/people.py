"""Who is writing: a cached view of a person and their memberships.

Most updates come from people the bot already knows, so the view is kept in
memory and dropped when the person changes. With several workers, entries
expire after `ttl` seconds so a change made by another worker shows up soon,
and strangers are not remembered at all (another worker may be enrolling them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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


@dataclass(frozen=True)
class PersonView:
    id: int
    tg_user_id: int
    name: str
    language: str
    status: str
    memberships: tuple[MembershipView, ...]

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)


_MISSING = object()


class Directory:
    """tg user id → PersonView (or None for strangers), cached."""

    def __init__(self, ttl: float | None = None, max_entries: int = 200_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[int, tuple[float, PersonView | None]] = {}

    async def get(self, uow: UnitOfWork, tg_user_id: int) -> PersonView | None:
        cached = self._entries.get(tg_user_id, _MISSING)
        if cached is not _MISSING:
            stamp, view = cached  # type: ignore[misc]
            if self._ttl is None or time.monotonic() - stamp < self._ttl:
                return view
        view = await load_view(uow, tg_user_id)
        if view is None and self._ttl is not None:
            return None  # another worker may enrol them any moment: don't remember strangers
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[tg_user_id] = (time.monotonic(), view)
        return view

    def put(self, view: PersonView) -> None:
        self._entries[view.tg_user_id] = (time.monotonic(), view)

    def invalidate(self, tg_user_id: int) -> None:
        self._entries.pop(tg_user_id, None)


def membership_view(unit: OrgUnit, role: str, chain: list[OrgUnit]) -> MembershipView:
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
    )


async def load_view(uow: UnitOfWork, tg_user_id: int) -> PersonView | None:
    person = await people.summary_by_tg(uow.session, tg_user_id)
    if person is None:
        return None
    views = []
    for membership, unit in await people.memberships(uow.session, person.id):
        chain = await org_units.lineage(uow.session, unit)
        views.append(membership_view(unit, membership.role, chain))
    return PersonView(
        id=person.id,
        tg_user_id=tg_user_id,
        name=person.display_name,
        language=person.language,
        status=person.status,
        memberships=tuple(views),
    )
