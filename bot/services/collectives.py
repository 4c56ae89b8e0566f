"""Collective milestones: who reports for a class or unit, and how /report names them.

A staff membership of a class is its homeroom teacher's (giáo viên chủ nhiệm); a staff
membership of a unit with `head` set is its head's (tổ trưởng): they report the class's or
unit's own milestones, which belong to the class or unit, not to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.campaign.pack import CampaignPack, Milestone
from bot.services.people import MembershipView, PersonView
from storage.models import COUNTED

if TYPE_CHECKING:
    from bot.services.reports import ReportView


def places(person: PersonView | None) -> list[MembershipView]:
    """The classes (as homeroom teacher) and units (as head) this person reports for."""
    if person is None:
        return []
    return [m for m in person.memberships if m.reports_for_unit]


def collective_for(pack: CampaignPack, kind: str) -> list[Milestone]:
    """Collective milestones of a class or unit, in domain order."""
    found = [m for m in pack.milestones if kind in m.audience and m.id not in pack.awarded()]
    return sorted(found, key=lambda m: m.domain)


def item_key(milestone_id: str, org_id: int | None) -> str:
    """How /report names a milestone: "id" for one's own, "id@org" for a unit's or class's."""
    return milestone_id if org_id is None else f"{milestone_id}@{org_id}"


def parse_key(key: str) -> tuple[str, int | None]:
    milestone_id, _, org = key.partition("@")
    return milestone_id, (int(org) if org.isdigit() else None)


@dataclass(frozen=True)
class Collective:
    """A class or unit this person reports for: its milestones and its own reports."""

    place: MembershipView
    milestones: tuple[Milestone, ...]
    reports: dict[str, ReportView]

    @property
    def done(self) -> int:
        return sum(1 for m in self.milestones if self.status(m.id) in COUNTED)

    def status(self, milestone_id: str) -> str:
        found = self.reports.get(milestone_id)
        return found.status if found else ""
