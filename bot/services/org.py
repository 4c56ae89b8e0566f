"""Building the organisation tree by hand or from a CSV file.

The file has one row per unit or class: `province, commune, school, unit, class` and an
optional `level` (the school's kind, one of SCHOOL_LEVELS; read from the school's name
when blank). `commune` (xã/phường) is optional: upper-secondary, vocational and
continuing-education schools sit directly under the province. Files made before the
two-tier government of 1/7/2025 name a `district` column instead; it is read as the same
intermediate level, kept under its old kind so such files re-import onto the same nodes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from bot.errors import InputRejected
from bot.services.schools import infer_level, parse_level
from bot.text import normalise
from storage import org_units
from storage.db import UnitOfWork
from storage.models import INTERMEDIATE_KINDS, OrgUnit

CSV_COLUMNS = ("province", "commune", "school", "unit", "class", "level")
LEGACY_COLUMNS = ("district",)  # read as an intermediate level
ABOVE_SCHOOL = ("province", *INTERMEDIATE_KINDS)
BELOW_SCHOOL = ("unit", "class")
# Schools the province's department runs itself: never under a commune.
PROVINCE_LEVELS = {
    "upper_secondary": "an upper-secondary school",
    "vocational": "a vocational school",
    "continuing": "a continuing-education centre",
}


@dataclass(frozen=True)
class ImportReport:
    rows: int
    created: int
    levels: int = 0  # schools whose level was set or changed


@dataclass(frozen=True)
class Row:
    """One CSV row: the nodes down to the school, the school, what is below it."""

    above: list[tuple[str, str]]
    school: str
    below: list[tuple[str, str]]
    level: str | None  # given in the file (None: read from the name)


def _cell(row: dict[str, str | None], column: str) -> str:
    return normalise(row.get(column) or "")


def parse_row(row: dict[str, str | None]) -> Row:
    above = [(kind, _cell(row, kind)) for kind in ABOVE_SCHOOL]
    above = [(kind, name) for kind, name in above if name]
    school = _cell(row, "school")
    if not any(kind == "province" for kind, _ in above) or not school:
        raise InputRejected("a row needs at least a province and a school")
    if len(above) > 2:
        raise InputRejected("give a commune or a district, not both")
    level = parse_level(_cell(row, "level")) if _cell(row, "level") else None
    below = [(kind, _cell(row, kind)) for kind in BELOW_SCHOOL]
    return Row(above, school, [(kind, name) for kind, name in below if name], level)


def read_csv(text: str) -> list[dict[str, str | None]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {normalise(name).casefold() for name in reader.fieldnames or ()}
    if {"province", "school"} - header:
        raise InputRejected(f"the header must name the columns: {', '.join(CSV_COLUMNS)}")
    unknown = header - set(CSV_COLUMNS) - set(LEGACY_COLUMNS)
    if unknown:
        raise InputRejected(
            f"unknown column {sorted(unknown)[0]!r}; the columns are {', '.join(CSV_COLUMNS)}"
        )
    return [
        {normalise(key or "").casefold(): value for key, value in row.items()} for row in reader
    ]


def check_place(school: OrgUnit, parent: OrgUnit | None) -> None:
    if parent is not None and parent.kind == "commune" and school.level in PROVINCE_LEVELS:
        raise InputRejected(
            f"{school.name} is {PROVINCE_LEVELS[school.level]}: it sits directly under the "
            "province, so leave its commune blank"
        )


def settle_level(school: OrgUnit, given: str | None) -> bool:
    """Set the school's level from the file, or from its name when none is known yet;
    True when it changed."""
    level = given or school.level or infer_level(school.name)
    if level == school.level:
        return False
    school.level = level
    return True


async def import_csv(uow: UnitOfWork, text: str, now: datetime) -> ImportReport:
    """Create every unit and class the file names; running it twice creates nothing new."""
    rows = read_csv(text)
    created = levels = 0
    for number, raw in enumerate(rows, start=2):
        try:
            row = parse_row(raw)
            parent, new = await org_units.ensure(uow.session, row.above, now)
            school, new_school = await org_units.ensure(
                uow.session, [("school", row.school)], now, parent
            )
            levels += settle_level(school, row.level)
            check_place(school, parent)
            _, new_below = await org_units.ensure(uow.session, row.below, now, school)
        except (InputRejected, ValueError) as problem:
            raise InputRejected(f"line {number}: {problem}") from None
        created += new + new_school + new_below
    return ImportReport(rows=len(rows), created=created, levels=levels)


async def add(
    uow: UnitOfWork,
    kind: str,
    name: str,
    parent: OrgUnit | None,
    now: datetime,
    level: str | None = None,
) -> OrgUnit:
    """One node; a school's level is `level` when given, else read from its name."""
    name = normalise(name)
    if not name:
        raise InputRejected("the name is empty")
    if level is not None and kind != "school":
        raise InputRejected("only a school has a level")
    given = parse_level(level) if level is not None else None
    unit = await org_units.child(uow.session, parent.id if parent else None, kind, name)
    if unit is None:
        unit = await org_units.add(uow.session, kind, name, parent, now)
    if kind == "school":
        settle_level(unit, given)
        check_place(unit, parent)
    return unit
