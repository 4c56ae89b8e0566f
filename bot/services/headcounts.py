"""Headcounts: how many students, families and staff a school really has.

They are the denominators of the indicators (bot.services.indicators). Who records
them, and where:

| who                          | what                                            |
|------------------------------|-------------------------------------------------|
| a principal                  | staff of their school; students of any class    |
| a homeroom teacher (staff of | students of that class                          |
| a class)                     |                                                 |
| the CLI (`hocvuso headcount  | any of these, families and unit staff as well   |
| import FILE.csv`)            |                                                 |

Families default to the number of students. A headcount must lie between 1 and
`MAX_HEADCOUNT`, and must not be smaller than the people it counts who already joined
(a class's families: its parents and students, one per membership; staff: staff and
principals at or below the school or unit): such a number cannot be right, and nothing
is saved.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from bot.errors import InputRejected, NotAllowed
from bot.flows.headcount import MAX_HEADCOUNT, parse_count
from bot.services.indicators import STAFF_ROLES
from bot.services.people import PersonView
from bot.text import normalise
from storage import headcounts as rows
from storage import org_units
from storage.db import UnitOfWork
from storage.models import HEADCOUNT_KINDS, OrgUnit

PLACE_KINDS = {"students": ("class",), "families": ("class",), "staff": ("school", "unit")}
CSV_COUNTS = HEADCOUNT_KINDS  # the count columns of an import file
MAX_PLACES = 60  # places offered in the chat (a school's staff and its classes)


class HeadcountRejected(InputRejected):
    """A headcount that cannot be right. `reason`: range, too_few or wrong_place;
    `joined`: for too_few, how many of the people it counts have already joined."""

    def __init__(self, reason: str, joined: int = 0) -> None:
        super().__init__(reason)
        self.joined = joined


@dataclass(frozen=True)
class Place:
    """Somewhere this person may record a headcount, with what is known there."""

    org_id: int
    kind: str  # students | staff
    name: str
    current: int | None
    joined: int  # the people this headcount counts who have joined
    counts: str  # who those are: staff, students, or families (parents and students)


def counted_roles(kind: str, families_apart: bool) -> tuple[str, ...]:
    """The roles a headcount of `kind` must cover. A class's students are its families
    too unless families were recorded apart."""
    if kind == "staff":
        return STAFF_ROLES
    if kind == "students" and families_apart:
        return ("student",)
    return ("parent", "student")


def check_range(count: int) -> None:
    if not 1 <= count <= MAX_HEADCOUNT:
        raise HeadcountRejected("range")




async def _check(uow: UnitOfWork, unit: OrgUnit, counts: dict[str, int]) -> None:
    """Every count of `counts` fits `unit` and covers those who joined."""
    known = (await rows.of_orgs(uow.session, [unit.id])).get(unit.id, {})
    merged = {**known, **counts}
    for kind, count in counts.items():
        if unit.kind not in PLACE_KINDS[kind]:
            raise HeadcountRejected("wrong_place")
        check_range(count)
    for kind in counts:
        roles = counted_roles(kind, families_apart="families" in merged)
        joined = await rows.joined(uow.session, unit.path, roles)
        if merged[kind] < joined:
            raise HeadcountRejected("too_few", joined)


async def _save(
    uow: UnitOfWork, unit: OrgUnit, counts: dict[str, int], source: str, now: datetime
) -> None:
    await _check(uow, unit, counts)
    for kind, count in counts.items():
        await rows.put(uow.session, unit.id, kind, count, source, now)


# who may record what -------------------------------------------------------------------


def may_record(person: PersonView, unit: OrgUnit, kind: str) -> bool:
    """A principal: their school's staff and its classes' students; a homeroom teacher:
    their class's students."""
    for place in person.memberships:
        principal = place.role == "principal" and place.org_kind == "school"
        if principal and kind == "staff" and unit.id == place.org_id:
            return True
        if principal and kind == "students" and unit.path.startswith(place.org_path):
            return True
        homeroom = place.role == "staff" and place.org_kind == "class"
        if homeroom and kind == "students" and unit.id == place.org_id:
            return True
    return False


async def places(uow: UnitOfWork, person: PersonView, org_id: int) -> list[Place]:
    """Where `person` may record headcounts from their place `org_id` (their school, as a
    principal; their class, as its homeroom teacher). NotAllowed when none."""
    found: list[tuple[OrgUnit, str]] = []
    for place in person.memberships:
        if place.org_id != org_id:
            continue
        if place.role == "principal" and place.org_kind == "school":
            school = await org_units.get(uow.reads, org_id)
            assert school is not None
            found.append((school, "staff"))
            classes = await org_units.subtree(uow.reads, school.path, ("class",), MAX_PLACES)
            found += [(unit, "students") for unit in classes]
        elif place.role == "staff" and place.org_kind == "class":
            unit = await org_units.get(uow.reads, org_id)
            assert unit is not None
            found.append((unit, "students"))
    if not found:
        raise NotAllowed("no headcount to record here")
    known = await rows.of_orgs(uow.reads, [unit.id for unit, _ in found])
    result = []
    for unit, kind in found[:MAX_PLACES]:
        kept = known.get(unit.id, {})
        apart = "families" in kept
        roles = counted_roles(kind, families_apart=apart)
        counts = "staff" if kind == "staff" else "students" if apart else "families"
        joined = await rows.joined(uow.reads, unit.path, roles)
        result.append(Place(unit.id, kind, unit.name, kept.get(kind), joined, counts))
    return result


@dataclass(frozen=True)
class Recorded:
    name: str  # the class's or school's
    before: int | None  # the count it replaced


async def record(
    uow: UnitOfWork, person: PersonView, org_id: int, kind: str, count: int, now: datetime
) -> Recorded:
    """Record a headcount typed in the chat. NotAllowed when it is not this person's to
    record; HeadcountRejected when it cannot be right (nothing is saved then)."""
    unit = await org_units.get(uow.session, org_id)
    if unit is None or kind not in ("students", "staff") or not may_record(person, unit, kind):
        raise NotAllowed("not this person's class or school")
    before = (await rows.of_orgs(uow.session, [unit.id])).get(unit.id, {}).get(kind)
    await _save(uow, unit, {kind: count}, "chat", now)
    return Recorded(unit.name, before)


# the import file ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    rows: int
    saved: int  # counts written


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """(the columns naming the place, in order; the rows). Every column that is not a
    count names one level of the tree, top down, the way `org import` files do."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [normalise(name).casefold() for name in reader.fieldnames or ()]
    reader.fieldnames = header
    counts = [name for name in header if name in CSV_COUNTS]
    levels = [name for name in header if name not in CSV_COUNTS]
    if not counts or not levels:
        raise InputRejected(
            "the header must name the place (columns such as province, school, class, or "
            f"org_id) and at least one count: {', '.join(CSV_COUNTS)}"
        )
    return levels, list(reader)


async def _place_of(uow: UnitOfWork, levels: list[str], row: dict[str, str]) -> OrgUnit:
    if "org_id" in levels and (row.get("org_id") or "").strip():
        ref = row["org_id"].strip()
        unit = await org_units.get(uow.session, int(ref)) if ref.isdigit() else None
        if unit is None:
            raise InputRejected(f"no org has id {ref!r}")
        return unit
    names = [normalise(row.get(level) or "") for level in levels if level != "org_id"]
    names = [name for name in names if name]
    unit = await org_units.by_names(uow.session, names) if names else None
    if unit is None:
        raise InputRejected(f"no org matches {'/'.join(names)!r} (import the tree first)")
    return unit


def _counts(row: dict[str, str]) -> dict[str, int]:
    counts = {}
    for kind in CSV_COUNTS:
        cell = (row.get(kind) or "").strip()
        if not cell:
            continue
        if cell.startswith("-"):
            raise InputRejected(f"{kind}: a headcount cannot be negative ({cell})")
        value = parse_count(cell)
        if value is None:
            raise InputRejected(f"{kind}: {cell!r} is not a whole number")
        counts[kind] = value
    if not counts:
        raise InputRejected(f"the row gives no count ({', '.join(CSV_COUNTS)})")
    return counts


IMPORT_PROBLEMS = {
    "range": f"a headcount must be between 1 and {MAX_HEADCOUNT}",
    "wrong_place": "students and families are counted per class, staff per school or unit",
}


async def import_csv(uow: UnitOfWork, text: str, now: datetime) -> ImportReport:
    """Record every row's counts; a bad row names its line and nothing is saved."""
    levels, found = read_csv(text)
    saved = 0
    for number, row in enumerate(found, start=2):
        try:
            unit = await _place_of(uow, levels, row)
            counts = _counts(row)
            await _save(uow, unit, counts, "import", now)
        except HeadcountRejected as problem:
            if problem.reason == "too_few":
                detail = f"{problem.joined} of the people it counts have already joined"
            else:
                detail = IMPORT_PROBLEMS[problem.reason]
            raise InputRejected(f"line {number}: {detail}") from None
        except InputRejected as problem:
            raise InputRejected(f"line {number}: {problem}") from None
        saved += len(counts)
    return ImportReport(rows=len(found), saved=saved)
