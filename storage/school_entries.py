"""What a school enters itself, by school year: QĐ 4725 self-assessments and figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SchoolFigureEntry, SelfAssessmentEntry


async def assessment(
    session: AsyncSession, org_id: int, school_year: int
) -> SelfAssessmentEntry | None:
    query = select(SelfAssessmentEntry).where(
        SelfAssessmentEntry.org_id == org_id, SelfAssessmentEntry.school_year == school_year
    )
    return (await session.scalars(query)).first()


async def assessed_schools(session: AsyncSession, school_year: int) -> frozenset[int]:
    """The schools that entered a self-assessment for `school_year`."""
    query = select(SelfAssessmentEntry.org_id).where(SelfAssessmentEntry.school_year == school_year)
    return frozenset(await session.scalars(query))


async def assessments(session: AsyncSession, org_id: int) -> list[SelfAssessmentEntry]:
    """Every year's self-assessment of one school, the latest first."""
    query = (
        select(SelfAssessmentEntry)
        .where(SelfAssessmentEntry.org_id == org_id)
        .order_by(SelfAssessmentEntry.school_year.desc())
    )
    return list(await session.scalars(query))


async def put_assessment(
    session: AsyncSession,
    *,
    org_id: int,
    school_year: int,
    scores: dict[str, float],
    met: Sequence[str],
    level: int,
    person_id: int | None,
    now: datetime,
) -> tuple[SelfAssessmentEntry, bool]:
    """Insert or replace the year's self-assessment; returns (row, created)."""
    row = await assessment(session, org_id, school_year)
    created = row is None
    if row is None:
        row = SelfAssessmentEntry(org_id=org_id, school_year=school_year)
        session.add(row)
    row.scores = dict(scores)
    row.met = {"items": sorted(met)}
    row.level = level
    row.entered_by = person_id
    row.entered_at = now
    await session.flush()
    return row, created


async def figures(
    session: AsyncSession, org_ids: Sequence[int], school_year: int
) -> list[SchoolFigureEntry]:
    query = select(SchoolFigureEntry).where(
        SchoolFigureEntry.org_id.in_(list(org_ids)), SchoolFigureEntry.school_year == school_year
    )
    return list(await session.scalars(query))


async def put_figure(
    session: AsyncSession, *, org_id: int, school_year: int, key: str, **fields: Any
) -> SchoolFigureEntry:
    query = select(SchoolFigureEntry).where(
        SchoolFigureEntry.org_id == org_id,
        SchoolFigureEntry.school_year == school_year,
        SchoolFigureEntry.key == key,
    )
    row = (await session.scalars(query)).first()
    if row is None:
        row = SchoolFigureEntry(org_id=org_id, school_year=school_year, key=key)
        session.add(row)
    for name, value in fields.items():
        setattr(row, name, value)
    await session.flush()
    return row
