"""Enrolment: reading an invite, joining with it, leaving for good.

Opening an invite is the busiest moment of a campaign (a whole class opens
the same link in the same evening), so what an invite points at is cached
for a minute; whether it can still be used is decided by one guarded UPDATE
when the person joins.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.errors import InviteError
from bot.services.people import MembershipView, PersonView, membership_view
from storage import audit, invites, org_units, people
from storage.db import Database, UnitOfWork
from storage.models import Invite

log = logging.getLogger(__name__)

# Joining in these roles grants access to others' data: it goes to the audit log. Parents'
# and students' joins are recorded by their membership row (invite and time) alone.
STAFF_ROLES = frozenset({"staff", "principal", "dept_admin"})


@dataclass(frozen=True)
class InvitePreview:
    code: str
    invite_id: int
    role: str
    org_id: int
    unit: str
    school: str  # the place shown in brackets: the school, or the place above it
    expires_at: datetime | None
    membership: MembershipView


@dataclass(frozen=True)
class Joined:
    preview: InvitePreview
    person: PersonView
    new_person: bool
    new_membership: bool


CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def looks_like_code(code: str) -> bool:
    """Start payloads are at most 64 of [A-Za-z0-9_-]; anything else is forged."""
    return CODE_SHAPE.fullmatch(code) is not None


class PreviewCache:
    """Invite code → preview of unlimited invites (a class's shared link), for `ttl`
    seconds. Expiry is checked against the cached time; use is checked when joining."""

    def __init__(self, ttl: float = 60.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[str, tuple[float, InvitePreview]] = {}

    def get(self, code: str) -> InvitePreview | None:
        found = self._entries.get(code)
        if found is None or time.monotonic() - found[0] >= self._ttl:
            return None
        return found[1]

    def put(self, preview: InvitePreview) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[preview.code] = (time.monotonic(), preview)

    def drop(self, code: str) -> None:
        self._entries.pop(code, None)


async def preview(
    uow: UnitOfWork, code: str, now: datetime, cache: PreviewCache | None = None
) -> InvitePreview:
    if not looks_like_code(code):
        raise InviteError("unknown")
    found = cache.get(code) if cache else None
    if found is not None:
        if found.expires_at is not None and found.expires_at <= now:
            raise InviteError("expired")
        return found
    invite = await invites.by_code(uow.session, code)
    _check(invite, now)
    assert invite is not None
    unit = await org_units.get(uow.session, invite.org_id)
    assert unit is not None
    chain = await org_units.lineage(uow.session, unit)
    school = org_units.school_of(chain)
    # "10A1 (THPT A)"; for the school itself or a department, the place above it instead.
    above = school if school is not None and school.id != unit.id else None
    if above is None:
        above = chain[-2] if len(chain) > 1 else unit
    found = InvitePreview(
        code=code,
        invite_id=invite.id,
        role=invite.role,
        org_id=unit.id,
        unit=unit.name,
        school=above.name,
        expires_at=invite.expires_at,
        membership=membership_view(unit, invite.role, chain),
    )
    if cache is not None and invite.max_uses is None:
        cache.put(found)  # counted invites are read every time: their last use matters
    return found


def _check(invite: Invite | None, now: datetime) -> None:
    if invite is None or invite.revoked:
        raise InviteError("unknown")
    if invite.expires_at is not None and invite.expires_at <= now:
        raise InviteError("expired")
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        raise InviteError("used_up")


@dataclass(frozen=True)
class JoinRequest:
    """One person joining with one invite, as their update asks for it."""

    tg_user_id: int
    found: InvitePreview
    known: PersonView | None  # the person as the update looked them up (None: a stranger)
    name: str | None  # needed for a new person
    language: str
    now: datetime


async def join(
    uow: UnitOfWork,
    *,
    tg_user_id: int,
    found: InvitePreview,
    known: PersonView | None,
    name: str | None,
    language: str,
    now: datetime,
) -> Joined:
    """Create the person on first join (with consent time) and add the membership.

    Joining the same unit in the same role again changes nothing and uses no invite.
    """
    request = JoinRequest(tg_user_id, found, known, name, language, now)
    already = unchanged(request)
    if already is not None:
        return already
    (result,) = await write_joins(uow, [request])
    if isinstance(result, InviteError):
        raise result
    return result


def unchanged(request: JoinRequest) -> Joined | None:
    """The answer when the person already holds this role in this unit (nothing to write)."""
    known, found = request.known, request.found
    if known is not None and (found.org_id, found.role) in {
        (m.org_id, m.role) for m in known.memberships
    }:
        return Joined(found, known, new_person=False, new_membership=False)
    return None


async def write_joins(
    uow: UnitOfWork, requests: Sequence[JoinRequest]
) -> list[Joined | InviteError]:
    """Write several joins in the unit of work, each one's answer in order.

    Each invite's uses are counted with one guarded UPDATE for all of its joins; when
    that fails (the invite ran out, expired or was revoked meanwhile) they are counted
    one at a time, so that as many as the invite still allows get in, in order, and
    the rest learn why not. One Telegram user may appear only once.
    """
    if len({r.tg_user_id for r in requests}) != len(requests):
        raise ValueError("one join per person per batch")
    session = uow.session
    results: list[Joined | InviteError | None] = [None] * len(requests)
    by_invite: dict[int, list[int]] = {}
    for index, request in enumerate(requests):
        if request.known is None and request.name is None:
            raise ValueError("a new person needs a name")
        by_invite.setdefault(request.found.invite_id, []).append(index)
    accepted: list[int] = []
    for invite_id, indexes in by_invite.items():
        latest = max(requests[i].now for i in indexes)
        if await invites.consume(session, invite_id, latest, count=len(indexes)):
            accepted += indexes
            continue
        for i in indexes:
            if await invites.consume(session, invite_id, requests[i].now):
                accepted.append(i)
            else:
                results[i] = await _refusal(uow, requests[i])
    accepted.sort()
    strangers = [i for i in accepted if requests[i].known is None]
    new_ids = await people.create_many(
        session,
        [
            (requests[i].tg_user_id, requests[i].name or "", requests[i].language, requests[i].now)
            for i in strangers
        ],
    )
    views: dict[int, PersonView] = {}
    for i, person_id in zip(strangers, new_ids, strict=True):
        r = requests[i]
        views[i] = PersonView(person_id, r.tg_user_id, r.name or "", r.language, "active", ())
    for i in accepted:
        if i not in views:
            views[i] = requests[i].known  # type: ignore[assignment]
    await people.add_memberships(
        session,
        [
            (
                views[i].id,
                requests[i].found.org_id,
                requests[i].found.role,
                requests[i].found.invite_id,
                requests[i].now,
            )
            for i in accepted
        ],
    )
    staff = [i for i in accepted if requests[i].found.role in STAFF_ROLES]
    for i in staff:  # a granted privilege; a family's join is its membership row
        found = requests[i].found
        await audit.record(
            session,
            requests[i].now,
            requests[i].tg_user_id,
            "join",
            f"org:{found.org_id}",
            role=found.role,
            invite=found.invite_id,
        )
    for i in accepted:
        found = requests[i].found
        view = replace(views[i], memberships=(*views[i].memberships, found.membership))
        results[i] = Joined(found, view, new_person=requests[i].known is None, new_membership=True)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


async def _refusal(uow: UnitOfWork, request: JoinRequest) -> InviteError:
    try:
        _check(await invites.by_code(uow.session, request.found.code), request.now)
    except InviteError as problem:
        return problem
    return InviteError("used_up")


class Joiner:
    """Group commit for joins: people who join at the same moment share a transaction.

    A class's link is opened by dozens of parents in the same minutes; one commit
    (and one statement per table) for all joins waiting while the previous batch
    was written costs a fraction of one transaction each. `join` returns once the
    person's membership is durable, so the welcome never announces a join that could
    still roll back. If a batch fails, its joins are written one by one, so a single
    bad one fails alone.
    """

    def __init__(self, database: Database, max_batch: int = 200) -> None:
        self._database = database
        self._max_batch = max_batch
        self._queue: list[tuple[JoinRequest, asyncio.Future[Joined]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def join(self, request: JoinRequest, uow: UnitOfWork) -> Joined:
        """`uow`, the caller's unit of work, is committed first: the join is written in a
        shared transaction, and with SQLite's one connection it would otherwise wait on it."""
        already = unchanged(request)
        if already is not None:
            return already
        await uow.finish()
        future: asyncio.Future[Joined] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch: list[tuple[JoinRequest, asyncio.Future[Joined]]] = []
            later: list[tuple[JoinRequest, asyncio.Future[Joined]]] = []
            people_in_batch: set[int] = set()
            for item in self._queue:  # one join per person per batch; the rest wait a round
                if len(batch) < self._max_batch and item[0].tg_user_id not in people_in_batch:
                    people_in_batch.add(item[0].tg_user_id)
                    batch.append(item)
                else:
                    later.append(item)
            self._queue = later
            outcomes = await self._write([request for request, _ in batch])
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its update was cancelled meanwhile
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _write(self, requests: list[JoinRequest]) -> list[Joined | BaseException]:
        uow = self._database.unit_of_work()
        try:
            results: list[Joined | BaseException] = list(await write_joins(uow, requests))
            await uow.finish()
            return results
        except Exception as problem:
            await uow.abort()
            if len(requests) == 1:
                return [problem]
            log.warning("a batch of %d joins failed; writing them one by one", len(requests))
            return [outcome for r in requests for outcome in await self._write([r])]


async def forget(uow: UnitOfWork, tg_user_id: int, now: datetime) -> bool:
    person = await people.by_tg(uow.session, tg_user_id)
    if person is None:
        return False
    await people.forget(uow.session, person.id, tg_user_id)
    await audit.record(uow.session, now, None, "forget", f"person:{person.id}")
    return True
