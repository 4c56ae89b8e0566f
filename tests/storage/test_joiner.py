"""Joining with invites in batches (group commit), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import InviteError
from bot.services import enrolment
from bot.services.enrolment import InvitePreview, Joined, Joiner, JoinRequest
from bot.services.people import PersonView
from storage import org_units
from storage.db import Database
from storage.models import AuditEntry, Invite, Membership, Person
from tests.support.enrolling import make_invite

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
SCHOOL = [("province", "Bắc Ninh"), ("district", "Từ Sơn"), ("school", "THPT Lý Thái Tổ")]
CLASS_A = [*SCHOOL, ("class", "10A1")]
CLASS_B = [*SCHOOL, ("class", "10A2")]
CLASS_C = [*SCHOOL, ("class", "10A3")]


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int]]]:
    """The tg ids of every call of write_joins, in call order (one call per transaction)."""
    calls: list[list[int]] = []
    original = enrolment.write_joins

    async def recording(uow, requests):
        calls.append([r.tg_user_id for r in requests])
        return await original(uow, requests)

    monkeypatch.setattr(enrolment, "write_joins", recording)
    yield calls


class Commits:
    def __init__(self, db: Database) -> None:
        self.count = 0
        self._engine = db.engine.sync_engine
        event.listen(self._engine, "commit", self._on_commit)

    def _on_commit(self, _connection) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self._engine, "commit", self._on_commit)


def ask(
    tg_user_id: int,
    found: InvitePreview,
    known: PersonView | None = None,
    *,
    now: datetime = NOW,
) -> JoinRequest:
    name = None if known is not None else f"Phụ huynh {tg_user_id}"
    return JoinRequest(tg_user_id, found, known, name, "vi", now)


# A writer that dies leaves its joiners waiting for ever: fail instead of hanging.
PATIENCE_S = 30


async def join_all(db: Database, joiner: Joiner, requests: list[JoinRequest]) -> list:
    """Every request as its own update: its own unit of work, all at the same moment."""
    everyone = asyncio.gather(
        *(joiner.join(r, db.unit_of_work()) for r in requests), return_exceptions=True
    )
    return await asyncio.wait_for(everyone, PATIENCE_S)


async def join_one(db: Database, joiner: Joiner, request: JoinRequest) -> Joined:
    return await asyncio.wait_for(joiner.join(request, db.unit_of_work()), PATIENCE_S)


async def count(db: Database, model) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def uses(db: Database, invite_id: int) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(Invite.uses).where(Invite.id == invite_id))


async def test_concurrent_joins_share_transactions(db: Database, batches) -> None:
    found = await make_invite(db, CLASS_A)
    joiner = Joiner(db)
    commits = Commits(db)
    try:
        results = await join_all(db, joiner, [ask(100 + i, found) for i in range(30)])
    finally:
        commits.close()
    assert all(isinstance(r, Joined) for r in results), results
    assert [r.person.tg_user_id for r in results] == [100 + i for i in range(30)]
    assert all(r.new_person and r.new_membership for r in results)
    assert len({r.person.id for r in results}) == 30
    assert all(r.person.memberships == (found.membership,) for r in results)
    # batched: fewer transactions than joins, and every join written exactly once
    assert 1 <= commits.count < 30, commits.count
    assert len(batches) < 30, batches
    assert sorted(tg for batch in batches for tg in batch) == [100 + i for i in range(30)]
    assert max(len(batch) for batch in batches) > 1
    # durable, seen from a fresh connection
    assert await count(db, Person) == 30
    assert await count(db, Membership) == 30
    assert await uses(db, found.invite_id) == 30
    async with db.transaction() as session:
        rows = (await session.execute(select(Person.id, Person.tg_user_id))).all()
        members = (
            await session.execute(select(Membership.person_id, Membership.org_id, Membership.role))
        ).all()
    assert {tg: pid for pid, tg in rows} == {r.person.tg_user_id: r.person.id for r in results}
    assert sorted(members) == sorted((r.person.id, found.org_id, "parent") for r in results)


async def test_a_counted_invite_lets_in_only_as_many_as_it_allows(db: Database, batches) -> None:
    found = await make_invite(db, CLASS_A, max_uses=3)
    results = await join_all(db, Joiner(db), [ask(200 + i, found) for i in range(5)])
    joined = [r for r in results if isinstance(r, Joined)]
    refused = [r for r in results if isinstance(r, InviteError)]
    assert (len(joined), len(refused)) == (3, 2), results
    assert all(r.reason == "used_up" for r in refused)
    # in order: the first three in the queue got in
    assert [r.person.tg_user_id for r in joined] == [200, 201, 202]
    assert all(isinstance(r, InviteError) for r in results[3:])
    assert len(batches) == 1  # one batch; the invite fell back to one use at a time
    assert await uses(db, found.invite_id) == 3
    assert await count(db, Person) == 3
    assert await count(db, Membership) == 3


async def test_the_last_uses_of_an_invite_are_counted_in_one_batch(db: Database) -> None:
    found = await make_invite(db, CLASS_A, max_uses=4)
    results = await join_all(db, Joiner(db), [ask(250 + i, found) for i in range(4)])
    assert all(isinstance(r, Joined) for r in results), results
    assert await uses(db, found.invite_id) == 4
    more = await join_all(db, Joiner(db), [ask(260, found)])
    assert isinstance(more[0], InviteError) and more[0].reason == "used_up"
    assert await uses(db, found.invite_id) == 4


async def test_an_invite_that_expired_after_the_preview_is_refused(db: Database) -> None:
    found = await make_invite(db, CLASS_A, expires_at=NOW + timedelta(hours=1))
    late = NOW + timedelta(hours=2)
    joiner = Joiner(db)
    with pytest.raises(InviteError) as expired:
        await join_one(db, joiner, ask(300, found, now=late))
    assert expired.value.reason == "expired"
    # still good just before it expires
    joined = await join_one(db, joiner, ask(301, found, now=NOW + timedelta(minutes=59)))
    assert joined.new_person
    assert await uses(db, found.invite_id) == 1
    assert await count(db, Person) == 1


async def test_an_invite_revoked_after_the_preview_is_unknown(db: Database) -> None:
    found = await make_invite(db, CLASS_A)
    async with db.transaction() as session:
        await session.execute(
            update(Invite).where(Invite.id == found.invite_id).values(revoked=True)
        )
    results = await join_all(db, Joiner(db), [ask(400, found), ask(401, found)])
    assert [type(r) for r in results] == [InviteError, InviteError]
    assert [r.reason for r in results] == ["unknown", "unknown"]
    assert await uses(db, found.invite_id) == 0
    assert await count(db, Person) == 0
    assert await count(db, Membership) == 0


async def test_the_single_join_path_refuses_expired_and_revoked(db: Database) -> None:
    found = await make_invite(db, CLASS_A, expires_at=NOW + timedelta(hours=1))
    uow = db.unit_of_work()
    with pytest.raises(InviteError) as expired:
        await enrolment.join(
            uow,
            tg_user_id=500,
            found=found,
            known=None,
            name="P",
            language="vi",
            now=NOW + timedelta(hours=2),
        )
    assert expired.value.reason == "expired"
    await uow.abort()
    async with db.transaction() as session:
        await session.execute(
            update(Invite).where(Invite.id == found.invite_id).values(revoked=True)
        )
    uow = db.unit_of_work()
    with pytest.raises(InviteError) as revoked:
        await enrolment.join(
            uow, tg_user_id=501, found=found, known=None, name="P", language="vi", now=NOW
        )
    assert revoked.value.reason == "unknown"
    await uow.abort()
    assert await count(db, Person) == 0


async def test_a_bad_join_fails_alone(db: Database, batches) -> None:
    found = await make_invite(db, CLASS_A)
    joiner = Joiner(db)
    existing = await join_one(db, joiner, ask(600, found))
    batches.clear()
    # 600 is a person already, but this update did not know it: creating them again breaks
    # the unique tg id, and with it the batch it is written in
    requests = [ask(601, found), ask(600, found), ask(602, found), ask(603, found)]
    results = await join_all(db, joiner, requests)
    assert batches[0] == [601, 600, 602, 603], batches  # they really shared a batch
    assert sorted(batches[1:]) == [[600], [601], [602], [603]]
    assert isinstance(results[1], IntegrityError), results
    good = [results[0], results[2], results[3]]
    assert all(isinstance(r, Joined) and r.new_person for r in good), results
    assert [r.person.tg_user_id for r in good] == [601, 602, 603]
    # durable, and the failed one left nothing behind (nor an invite use)
    async with db.transaction() as session:
        tg_ids = set(await session.scalars(select(Person.tg_user_id)))
        person_ids = list(await session.scalars(select(Membership.person_id)))
    assert tg_ids == {600, 601, 602, 603}
    assert sorted(person_ids) == sorted([existing.person.id, *(r.person.id for r in good)])
    assert await uses(db, found.invite_id) == 4


async def test_holding_the_role_already_changes_nothing(db: Database, batches) -> None:
    found = await make_invite(db, CLASS_A, max_uses=5)
    joiner = Joiner(db)
    first = await join_one(db, joiner, ask(700, found))
    assert (first.new_person, first.new_membership) == (True, True)
    batches.clear()
    again = await join_one(db, joiner, ask(700, found, known=first.person))
    assert again == Joined(found, first.person, new_person=False, new_membership=False)
    assert batches == []  # nothing to write
    uow = db.unit_of_work()
    single = await enrolment.join(
        uow, tg_user_id=700, found=found, known=first.person, name=None, language="vi", now=NOW
    )
    await uow.finish()
    assert (single.new_person, single.new_membership) == (False, False)
    assert await uses(db, found.invite_id) == 1
    assert await count(db, Membership) == 1


async def test_staff_joins_are_audited_and_parents_are_not(db: Database) -> None:
    staff = await make_invite(db, CLASS_A, role="staff")
    parents = await make_invite(db, CLASS_A, role="parent")
    requests = [ask(800, staff), ask(801, parents), ask(802, staff), ask(803, parents)]
    results = await join_all(db, Joiner(db), requests)
    assert all(isinstance(r, Joined) for r in results), results
    async with db.transaction() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.actor_tg_id, e.action, e.target) for e in entries] == [
        (800, "join", f"org:{staff.org_id}"),
        (802, "join", f"org:{staff.org_id}"),
    ]
    assert all(e.details == {"role": "staff", "invite": staff.invite_id} for e in entries)
    assert await uses(db, staff.invite_id) == 2
    assert await uses(db, parents.invite_id) == 2


async def test_a_known_person_joins_another_unit(db: Database) -> None:
    first_class = await make_invite(db, CLASS_A)
    second_class = await make_invite(db, CLASS_B)
    joiner = Joiner(db)
    first = await join_one(db, joiner, ask(900, first_class))
    second = await join_one(db, joiner, ask(900, second_class, known=first.person))
    assert (second.new_person, second.new_membership) == (False, True)
    assert second.person.id == first.person.id
    assert second.person.name == first.person.name
    assert second.person.memberships == (first_class.membership, second_class.membership)
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 1
        held = (
            await session.execute(
                select(Membership.person_id, Membership.org_id, Membership.invite_id).order_by(
                    Membership.id
                )
            )
        ).all()
    assert [tuple(row) for row in held] == [
        (first.person.id, first_class.org_id, first_class.invite_id),
        (first.person.id, second_class.org_id, second_class.invite_id),
    ]
    assert await uses(db, second_class.invite_id) == 1


async def test_one_join_per_person_per_batch(db: Database, batches) -> None:
    first_class = await make_invite(db, CLASS_A)
    second_class = await make_invite(db, CLASS_B)
    third_class = await make_invite(db, CLASS_C)
    joiner = Joiner(db)
    first = await join_one(db, joiner, ask(1000, first_class))
    batches.clear()
    requests = [
        ask(1000, second_class, known=first.person),
        ask(1001, second_class),
        ask(1000, third_class, known=first.person),
    ]
    results = await join_all(db, joiner, requests)
    assert all(isinstance(r, Joined) for r in results), results
    assert batches == [[1000, 1001], [1000]]  # the second join of 1000 waited a round
    assert await count(db, Person) == 2
    async with db.transaction() as session:
        orgs = set(
            await session.scalars(
                select(Membership.org_id).where(Membership.person_id == first.person.id)
            )
        )
    assert orgs == {first_class.org_id, second_class.org_id, third_class.org_id}


async def test_write_joins_wants_one_join_per_person(db: Database) -> None:
    found = await make_invite(db, CLASS_A)
    uow = db.unit_of_work()
    with pytest.raises(ValueError, match="one join per person"):
        await enrolment.write_joins(uow, [ask(1, found), ask(1, found)])
    await uow.abort()
    assert await uses(db, found.invite_id) == 0


async def test_the_callers_unit_of_work_is_committed_first(db: Database) -> None:
    found = await make_invite(db, CLASS_A)
    uow = db.unit_of_work()
    leaf, created = await org_units.ensure(uow.session, CLASS_C, NOW)
    assert created == 1
    joined = await asyncio.wait_for(Joiner(db).join(ask(1100, found), uow), PATIENCE_S)
    assert joined.new_person
    assert not uow.used  # finished before the join was queued
    async with db.transaction() as session:
        assert await org_units.get(session, leaf.id) is not None
