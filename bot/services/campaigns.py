"""Campaign packs in the database: install the national base or a province pack, and
find the pack that applies where a person, a class or a school sits (cached).

The base applies everywhere; a province pack attached to an org node applies to all
below it, and a node sees the pack of its nearest ancestor that has one. Whatever pack
a node sees, its campaign id is the base's: reports, tallies and nudges share one
campaign, so moving a school or loading a province pack never splits progress.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.campaign.checks import PackInconsistent
from bot.campaign.loader import load_default_pack, load_province_packs
from bot.campaign.overlay import PackOverlay, merge
from bot.campaign.pack import CampaignPack
from bot.errors import InputRejected
from bot.services.people import MembershipView, PersonView
from storage import audit, campaigns, org_units
from storage.db import UnitOfWork
from storage.models import DeadlineDef, IndicatorDef, MilestoneDef, OrgUnit, QuizDef

log = logging.getLogger("hocvuso.campaigns")

Document = CampaignPack | PackOverlay


def _roles(roles: Any) -> str:
    return ",".join(roles)


def definitions(pack: Document) -> list[Any]:
    """One row per milestone, indicator, deadline and quiz, for SQL to join against
    (a province pack: its own items only)."""
    rows: list[Any] = []
    for m in pack.milestones:
        rows.append(
            MilestoneDef(
                key=m.id,
                audience=_roles(m.audience),
                domain=m.domain,
                evidence=m.evidence,
                verification=m.verification,
                title=m.title.model_dump(),
            )
        )
    for i in pack.indicators:
        rows.append(
            IndicatorDef(
                key=i.id,
                counts=i.counts,
                audience=_roles(i.audience),
                milestones=",".join(i.milestones),
                rule=i.rule,
                target_percent=i.target_percent,
                title=i.title.model_dump(),
            )
        )
    for d in pack.deadlines:
        rows.append(
            DeadlineDef(
                key=d.id,
                audience=_roles(d.audience),
                due_date=d.date,
                yearly=d.yearly,
                remind_days_before=",".join(str(n) for n in d.remind_days_before),
                completes=d.completes,
                title=d.title.model_dump(),
            )
        )
    for q in pack.quizzes:
        rows.append(
            QuizDef(
                key=q.id,
                audience=_roles(q.audience),
                domain=q.domain,
                pass_percent=q.pass_percent,
                awards=q.awards,
                title=q.title.model_dump(),
                questions={"items": [question.model_dump(mode="json") for question in q.questions]},
            )
        )
    return rows


def _problems(exc: PackInconsistent) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in loc)}: {message}" for loc, message in exc.problems)


async def install(
    uow: UnitOfWork,
    pack: Document,
    source: str,
    now: datetime,
    actor_tg_id: int | None = None,
    org: OrgUnit | None = None,
) -> bool:
    """Make `pack` active: a base in place of the base, a province pack attached to
    `org` (required) in place of the one there. True when this slug and version is new.
    InputRejected when the province pack does not fit the active base, or a new base
    would break a province pack attached over it."""
    base = await active(uow)
    if isinstance(pack, PackOverlay):
        if org is None:
            raise InputRejected("a province pack attaches to an org node: give --org")
        if base is None:
            raise InputRejected("load the national base pack first")
        try:
            merge(base, pack)
        except PackInconsistent as exc:
            raise InputRejected(f"{pack.id} does not fit the base pack: {_problems(exc)}") from None
    else:
        for row in (await campaigns.attached(uow.session)).values():
            overlay = PackOverlay.model_validate(row.pack)
            if overlay.extends != pack.id:
                continue
            try:
                merge(pack, overlay)
            except PackInconsistent as exc:
                raise InputRejected(
                    f"{overlay.id} (attached to org {row.org_id}) would not fit this base: "
                    f"{_problems(exc)}"
                ) from None
    _, created = await campaigns.replace(
        uow.session,
        slug=pack.id,
        version=pack.version,
        title=pack.title.model_dump(),
        source=source,
        pack=pack.model_dump(mode="json"),
        definitions=definitions(pack),
        now=now,
        extends=pack.extends if isinstance(pack, PackOverlay) else None,
        org_id=org.id if isinstance(pack, PackOverlay) and org is not None else None,
    )
    details: dict[str, Any] = {"version": pack.version}
    if isinstance(pack, PackOverlay) and org is not None:
        details["org_id"] = org.id
    await audit.record(uow.session, now, actor_tg_id, "campaign.load", pack.id, **details)
    return created


async def active(uow: UnitOfWork) -> CampaignPack | None:
    """The active national base."""
    campaign = await campaigns.active(uow.session)
    return CampaignPack.model_validate(campaign.pack) if campaign else None


def name_key(name: str) -> str:
    """A province's name as `attach` and the tree may spell it ("Tỉnh Khánh Hoà" and
    "Khánh Hòa" alike): without tone marks, case or the "tỉnh"/"thành phố" prefix."""
    bare = "".join(
        c
        for c in unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
        if unicodedata.category(c) != "Mn"
    )
    bare = " ".join(bare.casefold().split())
    for prefix in ("tinh ", "thanh pho ", "tp. ", "tp "):
        if bare.startswith(prefix):
            return bare[len(prefix) :]
    return bare


async def attach_shipped(uow: UnitOfWork, now: datetime) -> list[str]:
    """Attach each shipped province pack to the top-level node its `attach` names, when
    that node exists and has no province pack yet (one loaded by hand is never
    replaced). Run at start and after `org import`/`org add`; returns the slugs attached."""
    base = await active(uow)
    if base is None:
        return []
    attached = await campaigns.attached(uow.session)
    taken = set(attached)
    loaded = {row.slug for row in attached.values()}
    tops: dict[str, OrgUnit] = {}
    for unit in await org_units.roots(uow.session):
        tops.setdefault(name_key(unit.name), unit)  # the first of two same-named nodes
    done = []
    for overlay in load_province_packs():
        unit = tops.get(name_key(overlay.attach)) if overlay.attach else None
        if unit is None or unit.id in taken or overlay.id in loaded:
            continue
        if overlay.extends != base.id:
            continue
        await install(uow, overlay, "shipped", now, org=unit)
        taken.add(unit.id)
        done.append(overlay.id)
    return done


async def ensure_default(uow: UnitOfWork, now: datetime) -> CampaignPack:
    """The active base; the shipped base is installed first when there is none. Shipped
    province packs are then attached to the province nodes that exist."""
    found = await active(uow)
    if found is None:
        found = load_default_pack()
        await install(uow, found, "default", now)
    await attach_shipped(uow, now)
    return found


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
