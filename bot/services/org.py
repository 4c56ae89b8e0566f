"""Building the organisation tree by hand or from a CSV file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from bot.errors import InputRejected
from bot.text import normalise
from storage import org_units
from storage.db import UnitOfWork
from storage.models import OrgUnit

CSV_COLUMNS = ("province", "district", "school", "unit", "class")


@dataclass(frozen=True)
class ImportReport:
    rows: int
    created: int


def chain_of(row: dict[str, str]) -> list[tuple[str, str]]:
    """The (kind, name) path a CSV row describes; blank columns are skipped."""
    chain = [(kind, normalise(row.get(kind) or "")) for kind in CSV_COLUMNS]
    chain = [(kind, name) for kind, name in chain if name]
    kinds = [kind for kind, _ in chain]
    if "province" not in kinds or "school" not in kinds:
        raise InputRejected("a row needs at least a province and a school")
    return chain


def read_csv(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"province", "school"} - set(reader.fieldnames or ())
    if missing:
        raise InputRejected(f"the header must name the columns: {', '.join(CSV_COLUMNS)}")
    return list(reader)


async def import_csv(uow: UnitOfWork, text: str, now: datetime) -> ImportReport:
    """Create every unit and class the file names; running it twice creates nothing new."""
    rows = read_csv(text)
    created = 0
    for number, row in enumerate(rows, start=2):
        try:
            _, new = await org_units.ensure(uow.session, chain_of(row), now)
        except (InputRejected, ValueError) as problem:
            raise InputRejected(f"line {number}: {problem}") from None
        created += new
    return ImportReport(rows=len(rows), created=created)


async def add(
    uow: UnitOfWork, kind: str, name: str, parent: OrgUnit | None, now: datetime
) -> OrgUnit:
    name = normalise(name)
    if not name:
        raise InputRejected("the name is empty")
    existing = await org_units.child(uow.session, parent.id if parent else None, kind, name)
    if existing is not None:
        return existing
    return await org_units.add(uow.session, kind, name, parent, now)
