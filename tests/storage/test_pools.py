"""An update never asks a pool for a second connection while it holds one from it.

That is how pools deadlock under load: every connection held by an update waiting for
another (benchmarks/mixed.py found it twice). The scenario below walks every command
that touches the database, with a watcher on both engines' pools.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import event

from tests.handlers.test_onboarding import onboard
from tests.handlers.test_reports import report_course_with_photo, school
from tests.support.harness import Harness, Person


class PoolWatch:
    def __init__(self, harness: Harness) -> None:
        database = harness.app.database
        self.pools = {"writer": database.engine.sync_engine.pool}
        if database.reader is not database.engine:
            self.pools["reader"] = database.reader.sync_engine.pool
        self.held: Counter[tuple[int, str]] = Counter()
        self.nested: list[str] = []
        for name, pool in self.pools.items():
            event.listen(pool, "checkout", self._out(name))
            event.listen(pool, "checkin", self._in(name))

    def _task(self) -> int:
        try:
            return id(asyncio.current_task())
        except RuntimeError:
            return 0

    def _out(self, name: str) -> Any:
        def checkout(*_args: Any) -> None:
            key = (self._task(), name)
            if self.held[key]:
                self.nested.append(name)
            self.held[key] += 1

        return checkout

    def _in(self, name: str) -> Any:
        def checkin(*_args: Any) -> None:
            key = (self._task(), name)
            if self.held[key]:
                self.held[key] -= 1

        return checkin


async def test_no_update_waits_on_its_own_pool(harness: Harness) -> None:
    school_id, class_id = await school(harness, "12P")
    watch = PoolWatch(harness)
    principal, parent, teacher = Person(1801, "Thầy"), Person(1802, "Lan"), Person(1803, "Cô")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await onboard(harness, teacher, await harness.invite(class_id, "staff"))
    await report_course_with_photo(harness, parent)
    for who, command in (
        (parent, "/progress"),
        (teacher, "/class"),
        (principal, "/class"),
        (principal, "/review"),
    ):
        await harness.say(who, command)
    await harness.press(principal, harness.button(principal, "Duyệt"))
    await harness.say(parent, "/mydata")
    await harness.say(teacher, "/invite")
    assert "Lan" in harness.session.texts(teacher.id)[-2]  # /class really ran its queries
    assert watch.nested == []
