"""Campaign packs in the database: install the national base or a province pack, and
find the pack that applies where a person, a class or a school sits (cached).

The base applies everywhere; a province pack attached to an org node applies to all
below it, and a node sees the pack of its nearest ancestor that has one. Whatever pack
a node sees, its campaign id is the base's: reports, tallies and nudges share one
campaign, so moving a school or loading a province pack never splits progress.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from bot.campaign.checks import PackInconsistent
from bot.campaign.loader import load_default_pack, load_province_packs
from bot.campaign.overlay import PackOverlay, merge
from bot.campaign.pack import CampaignPack
from bot.errors import InputRejected
from bot.services.packs import ActiveCampaign, Area, home_membership
from storage import audit, campaigns, org_units
from storage.db import UnitOfWork
from storage.models import DeadlineDef, IndicatorDef, MilestoneDef, OrgUnit, QuizDef

__all__ = [
    "ActiveCampaign",
    "Area",
    "attach_shipped",
    "ensure_default",
    "home_membership",
    "install",
]

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
                pass_percent=100 * q.passing / len(q.questions),
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
    replaced), and a newer shipped version over the older shipped one. Run at start and
    after `org import`/`org add`; returns the slugs attached."""
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
        if overlay.extends != base.id:
            continue
        # A newer shipped version replaces the shipped one where it is, never a hand-loaded one.
        older = next(
            (
                (org_id, row)
                for org_id, row in attached.items()
                if row.slug == overlay.id
                and row.source == "shipped"
                and row.version < overlay.version
            ),
            None,
        )
        if older is not None:
            unit = await org_units.get(uow.session, older[0])
            if unit is not None:
                await install(uow, overlay, "shipped", now, org=unit)
                done.append(overlay.id)
            continue
        unit = tops.get(name_key(overlay.attach)) if overlay.attach else None
        if unit is None or unit.id in taken or overlay.id in loaded:
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
