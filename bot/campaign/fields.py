"""Constrained field types for campaign packs, with short custom error messages."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

Audience = Literal["parent", "student", "staff", "principal"]
# A collective milestone belongs to a class (reported by its homeroom teacher) or a unit
# (reported by its head, the tổ trưởng), not to a person.
Collective = Literal["class", "unit"]
COLLECTIVES = ("class", "unit")
# Who recognised an initiative (sáng kiến, giải pháp), lowest first.
LEVELS = ("school", "commune", "province", "national")
Level = Literal["school", "commune", "province", "national"]
Evidence = Literal["none", "photo", "document", "photo_or_document"]
# storage.models.SCHOOL_LEVELS (a test keeps the two in step; packs load without SQLAlchemy).
SchoolLevel = Literal[
    "kindergarten",
    "primary",
    "lower_secondary",
    "upper_secondary",
    "multi_level",
    "continuing",
    "vocational",
]
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
YEARLY_RE = re.compile(r"^(\d{1,2})/(\d{1,2})$")


def show_value(value: Any) -> str:
    """Render an offending input briefly for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def fail(kind: str, message: str) -> PydanticCustomError:
    """A validation error with our own final message; its type is `pack_<kind>`."""
    return PydanticCustomError(f"pack_{kind}", message)


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise fail(
            "slug",
            "must be a lowercase id: a letter, then up to 31 letters, digits "
            f"or underscores (got {show_value(value)})",
        )
    return value


def _text(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise fail("empty_text", "must not be empty")
    return value


def between(low: float, high: float) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not low <= value <= high:
            raise fail("range", f"must be between {low:g} and {high:g} (got {show_value(value)})")
        return value

    return check


def unique(items: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    for item in items:
        if item in seen:
            raise fail("duplicate", f"has {show_value(item)} twice")
        seen.add(item)
    return items


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise fail(
                "date_format", f"must be a date like 2025-12-31 (got {show_value(value)})"
            ) from None
    return value


def _yearly(value: str) -> str:
    """Validate a yearly "DD/MM" day and normalise it to two digits each."""
    match = YEARLY_RE.match(value)
    try:
        if not match:
            raise ValueError
        day, month = int(match[1]), int(match[2])
        dt.date(2001, month, day)  # a non-leap year: 29/02 is rejected
    except ValueError:
        raise fail(
            "yearly",
            f"must be a real day and month written DD/MM, e.g. 20/05 (got {show_value(value)})",
        ) from None
    return f"{day:02d}/{month:02d}"


Slug = Annotated[str, AfterValidator(_slug)]
Text = Annotated[str, AfterValidator(_text)]
DomainNo = Annotated[int, AfterValidator(between(1, 6))]
Percent = Annotated[float, AfterValidator(between(0, 100))]
Roles = Annotated[list[Audience], Field(min_length=1), AfterValidator(unique)]
Holders = Annotated[list[Audience | Collective], Field(min_length=1), AfterValidator(unique)]
Levels = Annotated[list[SchoolLevel], Field(min_length=1), AfterValidator(unique)]
Yearly = Annotated[str, AfterValidator(_yearly)]
Offset = Annotated[int, AfterValidator(between(0, 365))]
Day = Annotated[dt.date, BeforeValidator(_iso_date)]


def yearly_dates(ddmm: str, after: dt.date, until: dt.date) -> list[dt.date]:
    """Dates of a yearly "DD/MM" from `after` to `until`, both inclusive."""
    day, month = (int(part) for part in ddmm.split("/"))
    dates = (dt.date(year, month, day) for year in range(after.year, until.year + 1))
    return [d for d in dates if after <= d <= until]
