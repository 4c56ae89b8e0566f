"""Where each pack applies, cached: the base everywhere, a province pack at and below
the node it is attached to. A node sees its nearest ancestor's pack, merged over the
base, under the base's campaign id (see bot.services.campaigns)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.campaign.checks import PackInconsistent
from bot.campaign.overlay import PackOverlay, merge
from bot.campaign.pack import CampaignPack
from bot.services.people import MembershipView, PersonView
from bot.services.schools import level_of
from storage import campaigns, org_units
from storage.db import UnitOfWork
from storage.models import OrgUnit
from storage.snapshots import Node

log = logging.getLogger("hocvuso.campaigns")


@dataclass(frozen=True)
class Area:
    """Where one pack applies: at and below `path` (None: everywhere), except below the
    nodes of `exclude`, which have a province pack of their own."""

    key: str  # the base's slug, or "<base slug>@<province pack slug>"
    path: str | None
    exclude: tuple[str, ...]
    pack: CampaignPack  # merged, for every school level (see CampaignPack.for_level)


class ActiveCampaign:
    """The active packs, kept in memory and re-checked every `recheck` seconds so that
    `hocvuso campaign load` reaches a running bot without a restart.

    `get` is the base; `for_org`, `for_membership` and `for_person` the pack a place or
    a person sees; `areas` every pack with where it applies, for scheduled jobs. Each
    returns the base's campaign id, under which reports are kept."""

    def __init__(self, recheck: float = 60.0) -> None:
        self._recheck = recheck
        self._checked = -recheck
        self._stamps: tuple[campaigns.Stamp, ...] = ()
        self._base: tuple[int, CampaignPack] | None = None
        self._base_stamp: campaigns.Stamp | None = None
        self._areas: list[Area] = []
        self._merged: dict[tuple[int, datetime], CampaignPack] = {}
        self._levels: dict[tuple[str, str | None], CampaignPack] = {}

    async def _fresh(self, uow: UnitOfWork) -> None:
        now = time.monotonic()
        if self._base is not None and now - self._checked < self._recheck:
            return
        stamps = tuple(await campaigns.stamps(uow.reads))
        if stamps != self._stamps or self._base is None:
            await self._reload(uow, stamps)
        self._checked = now

    async def _reload(self, uow: UnitOfWork, stamps: Sequence[campaigns.Stamp]) -> None:
        base_stamp = next((s for s in stamps if s.extends is None), None)
        if base_stamp is None:
            raise LookupError("no campaign is loaded")
        if self._base is None or self._base_stamp != base_stamp:
            row = await campaigns.get(uow.reads, base_stamp.id)
            assert row is not None
            self._base = (row.id, CampaignPack.model_validate(row.pack))
            self._base_stamp = base_stamp
            self._merged = {}
        base = self._base[1]
        overlays = [s for s in stamps if s.extends == base.id and s.org_path]
        merged: dict[tuple[int, datetime], CampaignPack] = {}
        areas: list[Area] = []
        for stamp in overlays:
            key = (stamp.id, stamp.loaded_at)
            pack = self._merged.get(key)
            if pack is None:
                row = await campaigns.get(uow.reads, stamp.id)
                assert row is not None
                try:
                    pack = merge(base, PackOverlay.model_validate(row.pack))
                except (PackInconsistent, ValueError):
                    log.exception("province pack %s does not fit the base: ignored", stamp.id)
                    continue
            merged[key] = pack
            path = str(stamp.org_path)
            below = tuple(
                str(other.org_path)
                for other in overlays
                if other is not stamp and str(other.org_path).startswith(path)
            )
            areas.append(Area(f"{base.id}@{stamp.slug}", path, below, pack))
        areas.insert(0, Area(base.id, None, tuple(str(a.path) for a in areas), base))
        self._merged = merged
        self._areas = areas
        self._levels = {}
        self._stamps = tuple(stamps)

    async def get(self, uow: UnitOfWork) -> tuple[int, CampaignPack]:
        """The base campaign's id and the national base pack."""
        await self._fresh(uow)
        assert self._base is not None
        return self._base

    async def areas(self, uow: UnitOfWork) -> tuple[int, list[Area]]:
        """The base campaign's id, and every pack with the part of the tree it covers."""
        await self._fresh(uow)
        assert self._base is not None
        return self._base[0], list(self._areas)

    def _area(self, path: str | None) -> Area:
        """The nearest ancestor's (or the node's own) province pack, else the base."""
        below = [a for a in self._areas[1:] if path and a.path and path.startswith(a.path)]
        return max(below, key=lambda a: len(str(a.path)), default=self._areas[0])

    async def for_org(
        self, uow: UnitOfWork, path: str | None, level: str | None = None
    ) -> tuple[int, CampaignPack]:
        """The pack seen at the org node with this path (of a school of `level`, when it
        is one or lies below one): its nearest ancestor's province pack, or the base."""
        await self._fresh(uow)
        assert self._base is not None
        area = self._area(path)
        cached = self._levels.get((area.key, level))
        if cached is None:
            cached = self._levels[(area.key, level)] = area.pack.for_level(level)
        return self._base[0], cached

    async def for_unit(self, uow: UnitOfWork, unit: OrgUnit | Node) -> tuple[int, CampaignPack]:
        """The pack seen at an org node: at a school, or a class or unit of one, the items
        of the school's level; above schools, the province's (or the base)."""
        school: OrgUnit | Node | None = None
        if unit.kind == "school":
            school = unit
        elif isinstance(unit, OrgUnit) and unit.kind in ("class", "unit"):
            school = org_units.school_of(await org_units.lineage(uow.reads, unit))
        level = level_of(school.name, school.level) if school is not None else None
        return await self.for_org(uow, unit.path, level)

    async def for_membership(
        self, uow: UnitOfWork, membership: MembershipView
    ) -> tuple[int, CampaignPack]:
        return await self.for_org(uow, membership.org_path, membership.school_level)

    async def for_person(
        self, uow: UnitOfWork, person: PersonView | None
    ) -> tuple[int, CampaignPack]:
        """The pack of the person's first membership in a school (the first membership at
        all, for a department officer); the base for someone without any."""
        home = home_membership(person)
        if home is None:
            return await self.get(uow)
        return await self.for_membership(uow, home)


def home_membership(person: PersonView | None) -> MembershipView | None:
    if person is None or not person.memberships:
        return None
    return next((m for m in person.memberships if m.school_id), person.memberships[0])
