"""Campaign packs in the database: install one, read the active one (cached)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from bot.campaign.loader import load_default_pack
from bot.campaign.pack import CampaignPack
from storage import audit, campaigns
from storage.db import UnitOfWork
from storage.models import DeadlineDef, IndicatorDef, MilestoneDef, QuizDef


def _roles(roles: Any) -> str:
    return ",".join(roles)


def definitions(pack: CampaignPack) -> list[Any]:
    """One row per milestone, indicator, deadline and quiz, for SQL to join against."""
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


async def install(
    uow: UnitOfWork, pack: CampaignPack, source: str, now: datetime, actor_tg_id: int | None = None
) -> bool:
    """Make `pack` the active campaign; True when this slug and version is new."""
    _, created = await campaigns.replace(
        uow.session,
        slug=pack.id,
        version=pack.version,
        title=pack.title.model_dump(),
        source=source,
        pack=pack.model_dump(mode="json"),
        definitions=definitions(pack),
        now=now,
    )
    await audit.record(
        uow.session, now, actor_tg_id, "campaign.load", pack.id, version=pack.version
    )
    return created


async def active(uow: UnitOfWork) -> CampaignPack | None:
    campaign = await campaigns.active(uow.session)
    return CampaignPack.model_validate(campaign.pack) if campaign else None


async def ensure_default(uow: UnitOfWork, now: datetime) -> CampaignPack:
    """The active pack; the shipped default is installed first when there is none."""
    found = await active(uow)
    if found is not None:
        return found
    pack = load_default_pack()
    await install(uow, pack, "default", now)
    return pack


class ActiveCampaign:
    """The active pack and its id, kept in memory and re-checked every `recheck` seconds
    so that `hocvuso campaign load` reaches a running bot without a restart."""

    def __init__(self, recheck: float = 60.0) -> None:
        self._recheck = recheck
        self._checked = -recheck
        self._stamp: tuple[int, datetime] | None = None
        self._pack: CampaignPack | None = None

    async def get(self, uow: UnitOfWork) -> tuple[int, CampaignPack]:
        now = time.monotonic()
        if self._pack is None or now - self._checked >= self._recheck:
            stamp = await campaigns.active_stamp(uow.reads)
            if stamp is None:
                raise LookupError("no campaign is loaded")
            if stamp != self._stamp:
                row = await campaigns.get(uow.reads, stamp[0])
                assert row is not None
                self._pack = CampaignPack.model_validate(row.pack)
                self._stamp = stamp
            self._checked = now
        assert self._pack is not None and self._stamp is not None
        return self._stamp[0], self._pack
