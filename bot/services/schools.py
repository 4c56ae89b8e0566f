"""Kinds of school, as Vietnamese school names say them.

A school's level decides which parts of a pack reach it (QĐ 4725 covers general
and continuing education, not kindergartens or vocational schools). The org
import may give it; otherwise it is read from the name's usual prefix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from storage import org_units
from storage.models import SCHOOL_LEVELS

# Longest prefixes first: "TH&THCS" before "TH", "THCS&THPT" before "THCS".
_PREFIXES: tuple[tuple[str, str], ...] = (
    (r"(th|tiểu học)\s*(&|và|-)\s*thcs", "multi_level"),
    (r"thcs\s*(&|và|-)\s*thpt", "multi_level"),
    (r"(phổ thông|ph)\s*dân tộc nội trú", "multi_level"),
    (r"liên cấp|nhiều cấp học", "multi_level"),
    (r"mầm non|mẫu giáo|nhà trẻ|mn\b|mg\b", "kindergarten"),
    (r"thpt\b|trung học phổ thông", "upper_secondary"),
    (r"thcs\b|trung học cơ sở", "lower_secondary"),
    (r"tiểu học|th\b", "primary"),
    (r"(trung tâm )?(gdnn\s*-\s*gdtx|gdtx|giáo dục thường xuyên)", "continuing"),
    (r"cao đẳng|trung cấp|cđ\b|tc\b|gdnn|giáo dục nghề nghiệp", "vocational"),
)


def infer_level(name: str) -> str | None:
    """The level a school's name announces ("THPT Lý Thái Tổ" → "upper_secondary"), or None."""
    text = unicodedata.normalize("NFC", name).strip().casefold()
    text = re.sub(r"^trường\s+", "", text)
    for pattern, level in _PREFIXES:
        if re.match(pattern, text):
            return level
    return None


def parse_level(value: str) -> str:
    """A level given in an import file: one of SCHOOL_LEVELS; ValueError otherwise."""
    cleaned = value.strip().casefold().replace("-", "_").replace(" ", "_")
    if cleaned not in SCHOOL_LEVELS:
        raise ValueError(f"unknown school level {value!r}; use one of {', '.join(SCHOOL_LEVELS)}")
    return cleaned


COVERED_BY_4725 = frozenset(
    {"primary", "lower_secondary", "upper_secondary", "multi_level", "continuing"}
)
"""Levels QĐ 4725/QĐ-BGDĐT assesses: general and continuing education."""


def level_of(name: str, level: str | None) -> str | None:
    """A school's level: as recorded, else as its name says."""
    return level or infer_level(name)


async def schools_outside(
    session: AsyncSession, levels: Collection[str], path: str | None
) -> frozenset[int]:
    """Ids of the schools at or below `path` (everywhere: None) whose level is known and
    not one of `levels`: those a pack item limited to `levels` must not reach."""
    found = await org_units.subtree(session, path, ("school",), limit=1_000_000)
    return frozenset(
        unit.id
        for unit in found
        if (level := level_of(unit.name, unit.level)) is not None and level not in levels
    )
