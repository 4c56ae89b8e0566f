"""Joining with an invite, one unit of work per update, on SQLite and on PostgreSQL.

Every join here runs as an update does: its own unit of work, committed once the
handler is done and rolled back if it raised. What was written is always read back
through a second `Database` on the same URL, that is from a fresh connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import InviteError
from bot.services import enrolment
from bot.services.enrolment import InvitePreview, Joined, JoinRequest
from bot.services.people import PersonView
from storage import org_units
from storage.db import Database, UnitOfWork
from storage.models import AuditEntry, Invite, Membership, OrgUnit, Person
from tests.support.enrolling import make_invite

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
HANOI = timezone(timedelta(hours=7))
SCHOOL = [("province", "Bắc Ninh"), ("district", "Từ Sơn"), ("school", "THPT Lý Thái Tổ")]
CLASS_A = [*SCHOOL, ("class", "10A1")]
CLASS_B = [*SCHOOL, ("class", "10A2")]
CLASS_C = [*SCHOOL, ("class", "10A3")]

# A join stuck on a lock or on the pool would hang the run: fail instead.
PATIENCE_S = 30


def ask(
    tg_user_id: int,
    found: InvitePreview,
    known: PersonView | None = None,
    *,
    now: datetime = NOW,
) -> JoinRequest:
    """A join as the start handler builds it: a stranger brings a name, a known person not."""
    name = None if known is not None else f"Phụ huynh {tg_user_id}"
    return JoinRequest(tg_user_id, found, known, name, "vi", now)


async def as_update(db: Database, request: JoinRequest) -> Joined:
    """One update: join in its own unit of work, then commit, or roll back if it raised
    (what the unit-of-work middleware does)."""
    uow = db.unit_of_work()
    try:
        joined = await enrolment.join(uow, request)
    except BaseException:
        await uow.abort()
        raise
    await uow.finish()
    return joined


async def all_at_once(db: Database, requests: list[JoinRequest]) -> list[Any]:
    """Every request as its own update, all at the same moment; results in request order,
    exceptions included."""
    everyone = asyncio.gather(*(as_update(db, r) for r in requests), return_exceptions=True)
    return await asyncio.wait_for(everyone, PATIENCE_S)


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[UnitOfWork]:
    """A unit of work the test finishes or aborts itself; rolled back (its connection given
    back) if the test fails first. After `finish` there is nothing left to roll back."""
    uow = db.unit_of_work()
    try:
        yield uow
    finally:
        await uow.abort()


async def one(db: Database, request: JoinRequest) -> Joined:
    return await asyncio.wait_for(as_update(db, request), PATIENCE_S)


@dataclass(frozen=True)
class Stored:
    """What the database holds, as a fresh connection sees it."""

    people: dict[int, int]  # tg id → person id
    memberships: list[tuple[int, int, str, int | None]]  # person, org, role, invite; in id order
    uses: dict[int, int]  # invite id → uses
    audit: list[tuple[int | None, str, str | None, dict[str, Any]]]  # actor, action, target
    units: set[str]  # org unit names

    def orgs_of(self, person_id: int) -> set[int]:
        return {org for person, org, _role, _invite in self.memberships if person == person_id}


async def stored(db: Database) -> Stored:
    other = Database(db.url)
    try:
        async with other.transaction() as session:
            people_rows = (await session.execute(select(Person.tg_user_id, Person.id))).all()
            memberships = (
                await session.execute(
                    select(
                        Membership.person_id,
                        Membership.org_id,
                        Membership.role,
                        Membership.invite_id,
                    ).order_by(Membership.id)
                )
            ).all()
            uses = (await session.execute(select(Invite.id, Invite.uses))).all()
            audit = (
                await session.execute(
                    select(
                        AuditEntry.actor_tg_id,
                        AuditEntry.action,
                        AuditEntry.target,
                        AuditEntry.details,
                    ).order_by(AuditEntry.actor_tg_id, AuditEntry.id)
                )
            ).all()
            units = set(await session.scalars(select(OrgUnit.name)))
    finally:
        await other.dispose()
    return Stored(
        people={tg: pid for tg, pid in people_rows},
        memberships=[tuple(row) for row in memberships],
        uses={invite_id: n for invite_id, n in uses},
        audit=[tuple(row) for row in audit],
        units=units,
    )


class Commits:
    """Counts the transactions committed on the database's write engine."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self._engine = db.engine.sync_engine
        event.listen(self._engine, "commit", self._on_commit)

    def _on_commit(self, _connection) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self._engine, "commit", self._on_commit)


async def revoke(db: Database, invite_id: int) -> None:
    async with db.transaction() as session:
        await session.execute(update(Invite).where(Invite.id == invite_id).values(revoked=True))


async def test_thirty_people_joining_at_once_are_each_written_once(db: Database) -> None:
    found = await make_invite(db, CLASS_A)
    commits = Commits(db)
    try:
        results = await all_at_once(db, [ask(100 + i, found) for i in range(30)])
    finally:
        commits.close()
    assert all(isinstance(r, Joined) for r in results), results
    assert [r.person.tg_user_id for r in results] == [100 + i for i in range(30)]
    assert all(r.new_person and r.new_membership for r in results)
    assert all(r.preview == found for r in results)
    assert len({r.person.id for r in results}) == 30
    assert all(r.person.memberships == (found.membership,) for r in results)
    assert all(
        (r.person.name, r.person.language, r.person.status)
        == (f"Phụ huynh {r.person.tg_user_id}", "vi", "active")
        for r in results
    )
    assert commits.count == 30  # one transaction per update, no more
    # durable, each written exactly once, and the guarded UPDATE counted every use
    after = await stored(db)
    assert after.people == {r.person.tg_user_id: r.person.id for r in results}
    assert sorted(after.memberships) == sorted(
        (r.person.id, found.org_id, "parent", found.invite_id) for r in results
    )
    assert after.uses[found.invite_id] == 30
    assert after.audit == []


async def test_a_counted_invite_lets_in_only_as_many_as_it_allows(db: Database) -> None:
    found = await make_invite(db, CLASS_A, max_uses=3)
    requests = [ask(200 + i, found) for i in range(5)]
    results = await all_at_once(db, requests)
    joined = [r for r in results if isinstance(r, Joined)]
    refused = [
        q.tg_user_id for q, r in zip(requests, results, strict=True) if not isinstance(r, Joined)
    ]
    assert len(joined) == 3 and len(refused) == 2, results
    assert all(
        isinstance(r, InviteError) and r.reason == "used_up"
        for r in results
        if not isinstance(r, Joined)
    ), results
    after = await stored(db)
    assert after.uses[found.invite_id] == 3
    # those let in are written; of those refused, nothing is
    assert after.people == {r.person.tg_user_id: r.person.id for r in joined}
    assert not set(refused) & set(after.people)
    assert sorted(after.memberships) == sorted(
        (r.person.id, found.org_id, "parent", found.invite_id) for r in joined
    )


async def test_the_last_uses_of_a_counted_invite_all_count(db: Database) -> None:
    found = await make_invite(db, CLASS_A, max_uses=4)
    results = await all_at_once(db, [ask(250 + i, found) for i in range(4)])
    assert all(isinstance(r, Joined) for r in results), results
    assert (await stored(db)).uses[found.invite_id] == 4
    with pytest.raises(InviteError) as used_up:
        await one(db, ask(260, found))
    assert used_up.value.reason == "used_up"
    after = await stored(db)
    assert after.uses[found.invite_id] == 4
    assert sorted(after.people) == [250, 251, 252, 253]


async def test_an_invite_that_expired_after_the_preview_is_refused(db: Database) -> None:
    expires_at = NOW + timedelta(hours=1)
    found = await make_invite(db, CLASS_A, expires_at=expires_at)
    for late in (
        expires_at + timedelta(hours=1),
        expires_at,  # the moment it expires counts as expired
        (expires_at + timedelta(minutes=1)).astimezone(HANOI),  # same instant, another zone
    ):
        with pytest.raises(InviteError) as expired:
            await one(db, ask(300, found, now=late))
        assert expired.value.reason == "expired"
    after = await stored(db)
    assert (after.uses[found.invite_id], after.people, after.memberships) == (0, {}, [])
    # still good just before it expires, whatever zone the clock reads in
    early = await one(db, ask(301, found, now=expires_at - timedelta(minutes=1)))
    hanoi = await one(
        db, ask(302, found, now=(expires_at - timedelta(minutes=1)).astimezone(HANOI))
    )
    assert early.new_person and hanoi.new_person
    after = await stored(db)
    assert after.uses[found.invite_id] == 2
    assert sorted(after.people) == [301, 302]


async def test_an_invite_revoked_after_the_preview_is_unknown(db: Database) -> None:
    found = await make_invite(db, CLASS_A)
    await revoke(db, found.invite_id)
    results = await all_at_once(db, [ask(400, found), ask(401, found)])
    assert [type(r) for r in results] == [InviteError, InviteError], results
    assert [r.reason for r in results] == ["unknown", "unknown"]
    after = await stored(db)
    assert (after.uses[found.invite_id], after.people, after.memberships) == (0, {}, [])


async def test_a_revoked_counted_invite_is_unknown_not_used_up(db: Database) -> None:
    found = await make_invite(db, CLASS_A, max_uses=1)
    await one(db, ask(450, found))
    await revoke(db, found.invite_id)
    with pytest.raises(InviteError) as refused:
        await one(db, ask(451, found))
    assert refused.value.reason == "unknown"  # revoked is the first reason given


async def test_a_join_that_fails_fails_alone(db: Database) -> None:
    found = await make_invite(db, CLASS_A)
    existing = await one(db, ask(600, found))
    # 600 is a person already, but this update did not know it: creating them again breaks
    # the unique tg id; its update rolls back, the others are not touched
    requests = [ask(601, found), ask(600, found), ask(602, found), ask(603, found)]
    results = await all_at_once(db, requests)
    assert isinstance(results[1], IntegrityError), results
    good = [results[0], results[2], results[3]]
    assert all(isinstance(r, Joined) and r.new_person for r in good), results
    assert [r.person.tg_user_id for r in good] == [601, 602, 603]
    after = await stored(db)
    assert after.people == {
        600: existing.person.id,
        **{r.person.tg_user_id: r.person.id for r in good},
    }
    assert sorted(person for person, *_ in after.memberships) == sorted(
        [existing.person.id, *(r.person.id for r in good)]
    )
    assert after.uses[found.invite_id] == 4  # the failed join's use was rolled back with it


async def test_holding_the_role_already_changes_nothing(db: Database) -> None:
    found = await make_invite(db, CLASS_A, max_uses=1)
    first = await one(db, ask(700, found))
    assert (first.new_person, first.new_membership) == (True, True)
    # the invite is used up now; joining again must not need it
    async with unit_of_work(db) as uow:
        again = await enrolment.join(uow, ask(700, found, known=first.person))
        assert again == Joined(found, first.person, new_person=False, new_membership=False)
        assert not uow.used  # not a query, let alone a write
        await uow.finish()
    after = await stored(db)
    assert after.uses[found.invite_id] == 1
    assert after.memberships == [(first.person.id, found.org_id, "parent", found.invite_id)]
    assert after.people == {700: first.person.id}


async def test_a_known_person_joins_another_unit(db: Database) -> None:
    first_class = await make_invite(db, CLASS_A)
    second_class = await make_invite(db, CLASS_B)
    first = await one(db, ask(900, first_class))
    second = await one(db, ask(900, second_class, known=first.person))
    assert (second.new_person, second.new_membership) == (False, True)
    assert second.person.id == first.person.id
    assert second.person.name == first.person.name
    assert second.person.memberships == (first_class.membership, second_class.membership)
    after = await stored(db)
    assert after.people == {900: first.person.id}
    assert after.memberships == [
        (first.person.id, first_class.org_id, "parent", first_class.invite_id),
        (first.person.id, second_class.org_id, "parent", second_class.invite_id),
    ]
    assert after.uses[first_class.invite_id] == 1
    assert after.uses[second_class.invite_id] == 1


async def test_another_role_in_the_same_unit_is_a_new_membership(db: Database) -> None:
    as_parent = await make_invite(db, CLASS_A, role="parent")
    as_staff = await make_invite(db, CLASS_A, role="staff")
    first = await one(db, ask(950, as_parent))
    second = await one(db, ask(950, as_staff, known=first.person))
    assert (second.new_person, second.new_membership) == (False, True)
    assert second.person.roles == {"parent", "staff"}
    after = await stored(db)
    assert after.memberships == [
        (first.person.id, as_parent.org_id, "parent", as_parent.invite_id),
        (first.person.id, as_staff.org_id, "staff", as_staff.invite_id),
    ]
    assert after.uses[as_staff.invite_id] == 1


async def test_a_known_person_joining_two_units_at_once_gets_both(db: Database) -> None:
    first_class = await make_invite(db, CLASS_A)
    second_class = await make_invite(db, CLASS_B)
    third_class = await make_invite(db, CLASS_C)
    first = await one(db, ask(1000, first_class))
    requests = [
        ask(1000, second_class, known=first.person),
        ask(1001, second_class),
        ask(1000, third_class, known=first.person),
    ]
    results = await all_at_once(db, requests)
    assert all(isinstance(r, Joined) for r in results), results
    assert [(r.new_person, r.new_membership) for r in results] == [
        (False, True),
        (True, True),
        (False, True),
    ]
    after = await stored(db)
    assert sorted(after.people) == [1000, 1001]
    assert after.orgs_of(first.person.id) == {
        first_class.org_id,
        second_class.org_id,
        third_class.org_id,
    }
    assert after.orgs_of(after.people[1001]) == {second_class.org_id}
    assert after.uses[second_class.invite_id] == 2
    assert after.uses[third_class.invite_id] == 1


async def test_staff_and_principal_joins_are_audited_and_families_are_not(db: Database) -> None:
    staff = await make_invite(db, CLASS_A, role="staff")
    principal = await make_invite(db, SCHOOL, role="principal")
    parents = await make_invite(db, CLASS_A, role="parent")
    students = await make_invite(db, CLASS_A, role="student")
    requests = [
        ask(800, staff),
        ask(801, parents),
        ask(802, principal),
        ask(803, students),
        ask(804, staff),
    ]
    results = await all_at_once(db, requests)
    assert all(isinstance(r, Joined) for r in results), results
    after = await stored(db)
    assert after.audit == [
        (800, "join", f"org:{staff.org_id}", {"role": "staff", "invite": staff.invite_id}),
        (
            802,
            "join",
            f"org:{principal.org_id}",
            {"role": "principal", "invite": principal.invite_id},
        ),
        (804, "join", f"org:{staff.org_id}", {"role": "staff", "invite": staff.invite_id}),
    ]
    assert after.uses[staff.invite_id] == 2
    assert after.uses[principal.invite_id] == 1
    assert after.uses[parents.invite_id] == 1
    assert after.uses[students.invite_id] == 1


async def test_an_aborted_join_leaves_nothing_behind(db: Database) -> None:
    found = await make_invite(db, CLASS_A, role="staff", max_uses=1)
    async with unit_of_work(db) as uow:
        await org_units.ensure(uow.session, CLASS_C, NOW)  # the update's other work
        joined = await enrolment.join(uow, ask(1100, found))
        assert joined.new_person and joined.new_membership
        # join() did not commit: nothing of it is visible outside its unit of work yet
        before = await stored(db)
        assert (before.people, before.memberships, before.audit) == ({}, [], [])
        assert before.uses[found.invite_id] == 0
        assert "10A3" not in before.units
        await uow.abort()
    after = await stored(db)
    assert (after.people, after.memberships, after.audit) == ({}, [], [])
    assert after.uses[found.invite_id] == 0
    assert "10A3" not in after.units
    # the use was given back: the invite's only use is still there for someone else
    other = await one(db, ask(1101, found))
    after = await stored(db)
    assert after.people == {1101: other.person.id}
    assert after.uses[found.invite_id] == 1


async def test_a_finished_join_commits_with_the_rest_of_its_update(db: Database) -> None:
    found = await make_invite(db, CLASS_A)
    async with unit_of_work(db) as uow:
        _leaf, created = await org_units.ensure(uow.session, CLASS_C, NOW)
        assert created == 1
        joined = await enrolment.join(uow, ask(1200, found))
        await uow.finish()
    after = await stored(db)
    assert "10A3" in after.units
    assert after.people == {1200: joined.person.id}
    assert after.memberships == [(joined.person.id, found.org_id, "parent", found.invite_id)]
    assert after.uses[found.invite_id] == 1


async def test_a_new_person_needs_a_name(db: Database) -> None:
    found = await make_invite(db, CLASS_A, max_uses=1)
    for name in (None, ""):
        async with unit_of_work(db) as uow:
            with pytest.raises(ValueError, match="needs a name"):
                await enrolment.join(uow, JoinRequest(1300, found, None, name, "vi", NOW))
            assert not uow.used  # refused before anything was written
    after = await stored(db)
    assert (after.uses[found.invite_id], after.people, after.memberships) == (0, {}, [])


async def test_the_longest_family_a_parent_can_give_is_stored_whole(db: Database) -> None:
    """Four children of 40 characters each fit the column on both backends; a student's
    membership holds no family, and /forget drops the names but keeps the count."""
    from bot.families import CHILD_NAME_MAX, MAX_CHILDREN, Family

    found = await make_invite(db, [*SCHOOL, ("class", "12A9")])
    names = tuple(chr(ord("A") + n) * CHILD_NAME_MAX for n in range(MAX_CHILDREN))
    family = Family(names, "guardian")
    async with unit_of_work(db) as uow:
        await enrolment.join(
            uow, JoinRequest(1400, found, None, "Vương Thị Yến", "vi", NOW, family)
        )
        await uow.finish()
    async with unit_of_work(db) as uow:
        row = (await uow.session.scalars(select(Membership))).one()
        assert (row.child_names, row.relation, row.children) == (family.stored, "guardian", 4)
        await uow.abort()
    async with unit_of_work(db) as uow:
        assert await enrolment.forget(uow, 1400, NOW)
        await uow.finish()
    async with unit_of_work(db) as uow:
        row = (await uow.session.scalars(select(Membership))).one()
        assert (row.child_names, row.relation, row.children) == (None, None, 4)
        await uow.abort()
