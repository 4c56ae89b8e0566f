"""The directory of people: who is writing, without a query when it can be helped."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from bot.services import enrolment
from bot.services.enrolment import JoinRequest
from bot.services.people import Directory, PersonView
from storage import invites
from storage.db import Database
from tests.support.enrolling import make_invite

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
CLASS = [
    ("province", "Bắc Ninh"),
    ("district", "Từ Sơn"),
    ("school", "THPT Lý Thái Tổ"),
    ("class", "10A1"),
]
LAN, FORGOTTEN, STRANGER, NEWCOMER = 11, 12, 13, 14


class Statements:
    """Counts the SQL statements sent to the database."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self._engines = {db.engine.sync_engine, db.reader.sync_engine}  # writes and reads
        for engine in self._engines:
            event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args) -> None:
        self.count += 1

    def close(self) -> None:
        for engine in self._engines:
            event.remove(engine, "before_cursor_execute", self._on_execute)


@pytest.fixture
def statements(db: Database):
    counter = Statements(db)
    yield counter
    counter.close()


@pytest.fixture
async def lan(db: Database) -> PersonView:
    """Lan, a parent in 10A1, and someone who used /forget (their tg id is gone)."""
    found = await make_invite(db, CLASS)
    uow = db.unit_of_work()
    joined = await enrolment.join(uow, JoinRequest(LAN, found, None, "Lan", "vi", NOW))
    await enrolment.join(uow, JoinRequest(FORGOTTEN, found, None, "Bình", "vi", NOW))
    assert await enrolment.forget(uow, FORGOTTEN, NOW)
    await uow.finish()
    return joined.person


def newcomer(like: PersonView) -> PersonView:
    return replace(like, id=like.id + 100, tg_user_id=NEWCOMER, name="Hoa")


async def test_after_preload_strangers_cost_no_query(db: Database, lan, statements) -> None:
    directory = Directory()
    uow = db.unit_of_work()
    try:
        assert await directory.preload(uow) == 1  # the forgotten person has no tg id
        assert await directory.get(uow, LAN) == lan
        statements.count = 0
        assert await directory.get(uow, LAN) == lan  # cached now
        assert await directory.get(uow, STRANGER) is None
        assert await directory.get(uow, FORGOTTEN) is None
        assert await directory.get(uow, NEWCOMER) is None
        assert statements.count == 0
        # enrolment tells the directory about a new person
        hoa = newcomer(lan)
        directory.put(hoa)
        assert await directory.get(uow, NEWCOMER) == hoa
        assert statements.count == 0
    finally:
        await uow.abort()


async def test_a_known_person_is_loaded_once(db: Database, lan, statements) -> None:
    directory = Directory()
    uow = db.unit_of_work()
    try:
        await directory.preload(uow)
        statements.count = 0
        assert await directory.get(uow, LAN) == lan
        assert statements.count > 0  # known to be a person: their view is read
        statements.count = 0
        assert await directory.get(uow, LAN) == lan
        assert statements.count == 0
        directory.invalidate(LAN)
        assert await directory.get(uow, LAN) == lan
        assert statements.count > 0
    finally:
        await uow.abort()


async def test_with_a_ttl_strangers_are_looked_up_every_time(db: Database, lan, statements) -> None:
    directory = Directory(ttl=30.0)  # several workers
    uow = db.unit_of_work()
    try:
        statements.count = 0
        assert await directory.preload(uow) == 0
        assert statements.count == 0  # preload does nothing
        assert await directory.get(uow, STRANGER) is None
        first = statements.count
        assert first > 0
        assert await directory.get(uow, STRANGER) is None
        assert statements.count > first  # a stranger is not remembered
        # known people are still cached within the ttl
        assert await directory.get(uow, LAN) == lan
        statements.count = 0
        assert await directory.get(uow, LAN) == lan
        assert statements.count == 0
    finally:
        await uow.abort()


async def test_with_a_ttl_someone_enrolled_elsewhere_is_found(db: Database, lan) -> None:
    """Another worker enrols a person this worker has just seen as a stranger."""
    directory = Directory(ttl=30.0)
    uow = db.unit_of_work()
    assert await directory.get(uow, STRANGER) is None
    await uow.abort()
    uow = db.unit_of_work()
    invite = await invites.create(
        uow.session,
        org_id=lan.memberships[0].org_id,
        role="parent",
        now=NOW,
        expires_at=None,
        max_uses=None,
        created_by=None,
    )
    found = await enrolment.preview(uow, invite.code, NOW)
    joined = await enrolment.join(uow, JoinRequest(STRANGER, found, None, "Mai", "vi", NOW))
    await uow.finish()
    uow = db.unit_of_work()
    try:
        assert await directory.get(uow, STRANGER) == joined.person
    finally:
        await uow.abort()


async def test_without_preload_strangers_are_remembered(db: Database, lan, statements) -> None:
    """One worker that has not preloaded: a stranger is read once, then cached as None."""
    directory = Directory()
    uow = db.unit_of_work()
    try:
        assert await directory.get(uow, STRANGER) is None
        statements.count = 0
        assert await directory.get(uow, STRANGER) is None
        assert statements.count == 0
        hoa = replace(newcomer(lan), tg_user_id=STRANGER)
        directory.put(hoa)  # enrolled: replaces the cached "stranger"
        assert await directory.get(uow, STRANGER) == hoa
    finally:
        await uow.abort()


async def test_someone_put_is_known_even_once_evicted(db: Database, lan) -> None:
    """The cache may be emptied when full; a person enrolled after preload stays known."""
    directory = Directory(max_entries=1)
    uow = db.unit_of_work()
    assert await directory.preload(uow) == 1
    invite = await invites.create(
        uow.session,
        org_id=lan.memberships[0].org_id,
        role="parent",
        now=NOW,
        expires_at=None,
        max_uses=None,
        created_by=None,
    )
    found = await enrolment.preview(uow, invite.code, NOW)
    joined = await enrolment.join(uow, JoinRequest(NEWCOMER, found, None, "Hoa", "vi", NOW))
    await uow.finish()
    directory.put(joined.person)
    uow = db.unit_of_work()
    try:
        assert await directory.get(uow, LAN) == lan  # full: the cache was emptied for Lan
        assert await directory.get(uow, NEWCOMER) == joined.person  # read again, not a stranger
    finally:
        await uow.abort()
