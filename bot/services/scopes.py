"""Who administers what: the subtrees a principal, a department admin or a superadmin
sees and acts on (broadcasts, /stats, /export, /nominations).

Principals administer their school, department admins their department's subtree,
superadmins everything. Every org id that arrives in a button is checked with
`administers` before anything is read for it, so a forged button shows nothing.
"""

from __future__ import annotations

from bot.services.people import PersonView
from storage import org_units
from storage.db import UnitOfWork
from storage.models import INTERMEDIATE_KINDS, OrgUnit

ADMIN_ROLES = ("principal", "dept_admin")
TOP_LIMIT = 40  # a superadmin starts from the provinces: 34 since 1/7/2025, with room


def administers(person: PersonView | None, superadmin: bool, unit: OrgUnit) -> bool:
    """Superadmins anywhere; principals in their school; department admins in their subtree."""
    if superadmin:
        return True
    if person is None:
        return False
    return any(
        m.role in ADMIN_ROLES and unit.path.startswith(m.org_path) for m in person.memberships
    )


def admin_paths(person: PersonView | None) -> list[str]:
    """The subtrees this person administers through their memberships."""
    if person is None:
        return []
    return [m.org_path for m in person.memberships if m.role in ADMIN_ROLES]


async def roots(uow: UnitOfWork, person: PersonView | None, superadmin: bool) -> list[OrgUnit]:
    """Where this person's view starts: their school or department; for superadmins
    without one, the provinces (or, in a tree without provinces, its top units)."""
    found: dict[int, OrgUnit] = {}
    if person is not None:
        for m in person.memberships:
            if m.role in ADMIN_ROLES:
                unit = await org_units.get(uow.reads, m.org_id)
                if unit is not None:
                    found[unit.id] = unit
    if superadmin and not found:
        for unit in await org_units.subtree(uow.reads, None, ("province",), TOP_LIMIT):
            found[unit.id] = unit
        if not found:
            for unit in await org_units.subtree(
                uow.reads, None, (*INTERMEDIATE_KINDS, "school"), TOP_LIMIT
            ):
                found[unit.id] = unit
    return sorted(found.values(), key=lambda u: u.path)


async def checked(
    uow: UnitOfWork, person: PersonView | None, superadmin: bool, org_id: int
) -> OrgUnit | None:
    """The unit behind an id from a button, or None if it is gone or not this person's."""
    unit = await org_units.get(uow.reads, org_id)
    if unit is None or not administers(person, superadmin, unit):
        return None
    return unit
