"""The organisation tree as it is since 1/7/2025: province → commune/ward → school, with
upper-secondary schools directly under the province; old files with a district column
still import. A commune's education officer sees that commune's schools and no others."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import InputRejected
from bot.services import broadcasts, deadlines, enrolment, invites, org, scopes
from bot.services.enrolment import JoinRequest
from bot.services.people import load_view
from storage import org_units
from storage.db import Database
from storage.models import OrgUnit
from tests.support.enrolling import NOW, make_invite

NEW_SHAPE = """province,commune,school,unit,class,level
Bắc Ninh,,THPT Lý Thái Tổ,Tổ Toán - Tin,,
Bắc Ninh,,THPT Lý Thái Tổ,,10A1,
Bắc Ninh,Phường Từ Sơn,THCS Từ Sơn,,6A1,
Bắc Ninh,Phường Từ Sơn,Trường Mầm non Hoa Sen,,Lớp Chồi 1,
Bắc Ninh,Phường Từ Sơn,Trường Sao Mai,,1A,primary
Bắc Ninh,Xã Tam Sơn,TH Tam Sơn,,2B,
Bắc Ninh,,Trường Cao đẳng Công nghiệp Bắc Ninh,,CĐ K20,
"""

OLD_SHAPE = """province,district,school,unit,class
Bắc Ninh,Từ Sơn,THPT Lý Thái Tổ,Tổ Toán - Tin,
Bắc Ninh,Từ Sơn,THPT Lý Thái Tổ,,10A1
Đồng Tháp,,THPT Cao Lãnh,,11B
"""


async def tree(db: Database) -> dict[str, tuple[str, str | None, str]]:
    """name → (kind, level, parent's name)."""
    uow = db.unit_of_work()
    try:
        units = list(await uow.session.scalars(select(OrgUnit)))
        names = {unit.id: unit.name for unit in units}
        return {u.name: (u.kind, u.level, names.get(u.parent_id or 0, "")) for u in units}
    finally:
        await uow.abort()


async def run_import(db: Database, text: str) -> org.ImportReport:
    uow = db.unit_of_work()
    try:
        report = await org.import_csv(uow, text, NOW)
    except BaseException:
        await uow.abort()
        raise
    await uow.finish()
    return report


async def test_the_new_shape_builds_communes_and_schools_under_the_province(db: Database) -> None:
    report = await run_import(db, NEW_SHAPE)
    assert (report.rows, report.created) == (7, 16)
    found = await tree(db)
    assert found["Phường Từ Sơn"] == ("commune", None, "Bắc Ninh")
    assert found["Xã Tam Sơn"] == ("commune", None, "Bắc Ninh")
    # Upper-secondary and vocational schools sit under the Sở, with their level from the name.
    assert found["THPT Lý Thái Tổ"] == ("school", "upper_secondary", "Bắc Ninh")
    assert found["Trường Cao đẳng Công nghiệp Bắc Ninh"] == ("school", "vocational", "Bắc Ninh")
    assert found["THCS Từ Sơn"] == ("school", "lower_secondary", "Phường Từ Sơn")
    assert found["Trường Mầm non Hoa Sen"] == ("school", "kindergarten", "Phường Từ Sơn")
    # A name that says nothing: the level column decides.
    assert found["Trường Sao Mai"] == ("school", "primary", "Phường Từ Sơn")
    assert found["Tổ Toán - Tin"] == ("unit", None, "THPT Lý Thái Tổ")
    assert found["10A1"] == ("class", None, "THPT Lý Thái Tổ")
    assert report.levels == 6
    again = await run_import(db, NEW_SHAPE)
    assert (again.created, again.levels) == (0, 0)


async def test_a_level_column_corrects_a_level_read_from_the_name(db: Database) -> None:
    await run_import(db, "province,commune,school\nBắc Ninh,Xã Tam Sơn,TH Tam Sơn\n")
    assert (await tree(db))["TH Tam Sơn"][1] == "primary"
    fixed = await run_import(
        db, "province,commune,school,level\nBắc Ninh,Xã Tam Sơn,TH Tam Sơn,multi-level\n"
    )
    assert (fixed.created, fixed.levels) == (0, 1)
    assert (await tree(db))["TH Tam Sơn"][1] == "multi_level"


async def test_an_old_file_with_a_district_column_still_imports(db: Database) -> None:
    report = await run_import(db, OLD_SHAPE)
    assert (report.rows, report.created) == (3, 8)
    found = await tree(db)
    assert found["Từ Sơn"] == ("district", None, "Bắc Ninh")
    assert found["THPT Lý Thái Tổ"] == ("school", "upper_secondary", "Từ Sơn")
    assert found["THPT Cao Lãnh"] == ("school", "upper_secondary", "Đồng Tháp")
    assert (await run_import(db, OLD_SHAPE)).created == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("province,commune,school\nBắc Ninh,Phường Từ Sơn,\n", "line 2: a row needs"),
        (
            "province,commune,district,school\nBắc Ninh,Phường A,Từ Sơn,THCS A\n",
            "line 2: give a commune or a district, not both",
        ),
        ("province,commune,school,level\nBắc Ninh,,THCS A,college\n", "unknown school level"),
        ("province,ward,school\nBắc Ninh,Phường A,THCS A\n", "unknown column 'ward'"),
        (
            "province,commune,school\nBắc Ninh,,THCS A\nBắc Ninh,Phường Đông Ngàn,THPT Từ Sơn\n",
            "line 3: THPT Từ Sơn is an upper-secondary school: it sits directly under the province",
        ),
    ],
)
async def test_a_bad_file_names_the_problem_and_creates_nothing(
    db: Database, text: str, problem: str
) -> None:
    with pytest.raises(InputRejected, match=problem):
        await run_import(db, text)
    assert await tree(db) == {}


async def test_org_add_sets_a_school_level(db: Database) -> None:
    uow = db.unit_of_work()
    province = await org.add(uow, "province", "Bắc Ninh", None, NOW)
    commune = await org.add(uow, "commune", "Phường Từ Sơn", province, NOW)
    named = await org.add(uow, "school", "Mầm non Hoa Sen", commune, NOW)
    given = await org.add(uow, "school", "Trường Sao Mai", commune, NOW, "primary")
    assert (named.level, given.level) == ("kindergarten", "primary")
    with pytest.raises(InputRejected, match="only a school has a level"):
        await org.add(uow, "class", "6A", given, NOW, "primary")
    with pytest.raises(InputRejected, match="directly under the province"):
        await org.add(uow, "school", "THPT Từ Sơn", commune, NOW)
    await uow.abort()


async def test_a_commune_officer_sees_the_commune_and_nothing_beside_it(db: Database) -> None:
    await run_import(db, NEW_SHAPE)
    found = await make_invite(
        db, [("province", "Bắc Ninh"), ("commune", "Phường Từ Sơn")], role="dept_admin"
    )
    uow = db.unit_of_work()
    await enrolment.join(uow, JoinRequest(501, found, None, "Trần Văn Minh", "vi", NOW))
    await uow.finish()
    uow = db.unit_of_work()
    try:
        officer = await load_view(uow, 501)
        assert officer is not None
        assert [(m.role, m.org_kind) for m in officer.memberships] == [("dept_admin", "commune")]
        units = {u.name: u for u in await uow.session.scalars(select(OrgUnit))}

        offered = {
            unit.name: roles for unit, roles in await invites.candidates(uow, officer, False)
        }
        assert set(offered) == {
            "Phường Từ Sơn",
            "THCS Từ Sơn",
            "Trường Mầm non Hoa Sen",
            "Trường Sao Mai",
            "6A1",
            "Lớp Chồi 1",
            "1A",
        }
        assert offered["THCS Từ Sơn"] == ["staff", "principal"]
        assert offered["Phường Từ Sơn"] == ["dept_admin"]
        for outside in ("THPT Lý Thái Tổ", "TH Tam Sơn", "Bắc Ninh"):
            assert not invites.may_invite(officer, False, units[outside], "principal")

        (scope,) = await broadcasts.scopes(uow, officer, False)
        assert scope.name == "Phường Từ Sơn"
        parts = [u.name for u in await broadcasts.parts(uow, scope)]
        assert sorted(parts) == ["THCS Từ Sơn", "Trường Mầm non Hoa Sen", "Trường Sao Mai"]
        assert broadcasts.may_broadcast(officer, False, units["THCS Từ Sơn"])
        assert not broadcasts.may_broadcast(officer, False, units["TH Tam Sơn"])
        assert not broadcasts.may_broadcast(officer, False, units["Bắc Ninh"])

        assert [p.name for p in deadlines.places(officer)] == ["Phường Từ Sơn"]
    finally:
        await uow.abort()


async def test_a_province_officer_sees_every_commune_and_the_schools_under_the_so(
    db: Database,
) -> None:
    await run_import(db, NEW_SHAPE)
    found = await make_invite(db, [("province", "Bắc Ninh")], role="dept_admin")
    commune_class = [("province", "Bắc Ninh"), ("commune", "Phường Từ Sơn")]
    in_commune = await make_invite(
        db, [*commune_class, ("school", "THCS Từ Sơn"), ("class", "6A1")]
    )
    under_so = await make_invite(
        db, [("province", "Bắc Ninh"), ("school", "THPT Lý Thái Tổ"), ("class", "10A1")]
    )
    uow = db.unit_of_work()
    await enrolment.join(uow, JoinRequest(502, found, None, "Lê Thu Hà", "vi", NOW))
    await enrolment.join(uow, JoinRequest(503, in_commune, None, "Phụ huynh 6A1", "vi", NOW))
    await enrolment.join(uow, JoinRequest(504, under_so, None, "Phụ huynh 10A1", "vi", NOW))
    await uow.finish()
    uow = db.unit_of_work()
    try:
        officer = await load_view(uow, 502)
        (scope,) = await broadcasts.scopes(uow, officer, False)
        # A notice to chosen communes (each reaching its schools) or to schools under the Sở.
        parts = sorted(u.name for u in await broadcasts.parts(uow, scope))
        assert parts == sorted(
            [
                "THPT Lý Thái Tổ",
                "Phường Từ Sơn",
                "Xã Tam Sơn",
                "Trường Cao đẳng Công nghiệp Bắc Ninh",
            ]
        )
        (commune,) = [u for u in await broadcasts.parts(uow, scope) if u.name == "Phường Từ Sơn"]
        assert commune.kind == "commune"
        chosen = {"kind": "everyone", "orgs": [commune.id]}
        reached = await broadcasts.audience(uow, chosen, scope, officer.id)
        assert [r.tg_user_id for r in reached] == [503]
        everyone = await broadcasts.audience(uow, {"kind": "everyone"}, scope, officer.id)
        assert sorted(r.tg_user_id for r in everyone) == [503, 504]
        offered = {
            unit.name: roles for unit, roles in await invites.candidates(uow, officer, False)
        }
        assert offered["Xã Tam Sơn"] == ["dept_admin"]
        assert offered["THPT Lý Thái Tổ"] == ["staff", "principal"]
    finally:
        await uow.abort()


async def test_a_superadmin_starts_from_every_one_of_the_34_provinces(db: Database) -> None:
    uow = db.unit_of_work()
    for n in range(34):
        await org_units.ensure(uow.session, [("province", f"Tỉnh {n:02d}")], NOW)
    await uow.finish()
    uow = db.unit_of_work()
    try:
        roots = [(u.kind, u.name) for u in await scopes.roots(uow, None, True)]
        assert not await scopes.roots(uow, None, False)
    finally:
        await uow.abort()
    assert len(roots) == 34 and {kind for kind, _ in roots} == {"province"}
