"""Storage on both backends: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from bot.campaign.loader import load_default_pack
from bot.errors import InviteError
from bot.services import campaigns, enrolment, privacy
from bot.services.enrolment import JoinRequest
from storage import migrate, org_units
from storage.db import Database
from storage.models import AuditEntry, Base, Membership, MilestoneDef, Person
from tests.support.enrolling import make_invite

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
CLASS = [
    ("province", "Bắc Ninh"),
    ("district", "Từ Sơn"),
    ("school", "THPT Lý Thái Tổ"),
    ("class", "10A1"),
]


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
    assert await migrate.current(db) == migrate.head()
    await migrate.upgrade(db)  # running it again is harmless


async def test_org_tree_is_idempotent_and_navigable(db: Database) -> None:
    async with db.transaction() as session:
        leaf, created = await org_units.ensure(session, CLASS, NOW)
        again, created_again = await org_units.ensure(session, CLASS, NOW)
        assert (created, created_again, again.id) == (4, 0, leaf.id)
        chain = await org_units.lineage(session, leaf)
        assert [u.kind for u in chain] == ["province", "district", "school", "class"]
        assert org_units.school_of(chain).name == "THPT Lý Thái Tổ"
        both = await org_units.lineages(session, [leaf, chain[1]])
        assert both == {leaf.id: chain, chain[1].id: chain[:2]}
        assert (await org_units.by_names(session, [u.name for u in chain])).id == leaf.id
        below = await org_units.subtree(session, chain[1].path, ("school", "class"), 10)
        assert [u.kind for u in below] == ["school", "class"]
        with pytest.raises(ValueError, match="cannot sit"):
            await org_units.add(session, "class", "X", chain[0], NOW)


async def test_invite_uses_are_counted_and_guarded(db: Database) -> None:
    found = await make_invite(db, CLASS, max_uses=2, expires_at=NOW + timedelta(days=1))
    for user in (1, 2):
        uow = db.unit_of_work()
        await enrolment.join(uow, JoinRequest(user, found, None, f"P{user}", "vi", NOW))
        await uow.finish()
    uow = db.unit_of_work()
    with pytest.raises(InviteError) as used_up:  # the preview was read before the last use
        await enrolment.join(uow, JoinRequest(3, found, None, "P3", "vi", NOW))
    assert used_up.value.reason == "used_up"
    await uow.abort()
    uow = db.unit_of_work()
    with pytest.raises(InviteError) as expired:
        await enrolment.preview(uow, found.code, NOW + timedelta(days=2))
    assert expired.value.reason == "expired"
    await uow.abort()
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 2
        # parents' joins are recorded by their memberships, not in the audit log
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_forget_keeps_an_anonymous_membership(db: Database) -> None:
    found = await make_invite(db, CLASS)
    uow = db.unit_of_work()
    await enrolment.join(uow, JoinRequest(77, found, None, "Nguyễn Lan", "vi", NOW))
    await uow.finish()
    uow = db.unit_of_work()
    held = await privacy.held_data(uow, 77)
    assert held is not None and held.name == "Nguyễn Lan" and held.consent_at == NOW
    assert await enrolment.forget(uow, 77, NOW)
    await uow.finish()
    async with db.transaction() as session:
        person = (await session.scalars(select(Person))).one()
        assert (person.tg_user_id, person.display_name, person.status) == (None, "", "forgotten")
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1
    uow = db.unit_of_work()
    assert await privacy.held_data(uow, 77) is None
    await uow.abort()


async def test_campaign_install_replaces_and_activates(db: Database) -> None:
    pack = load_default_pack()
    uow = db.unit_of_work()
    assert await campaigns.install(uow, pack, "default", NOW) is True
    await uow.finish()
    uow = db.unit_of_work()
    assert await campaigns.install(uow, pack, "again.yaml", NOW) is False
    active = await campaigns.active(uow)
    await uow.finish()
    assert active == pack
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(MilestoneDef))
        assert count == len(pack.milestones)
