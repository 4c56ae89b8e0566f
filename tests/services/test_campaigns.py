"""Which pack a place sees, on SQLite and on PostgreSQL: the nearest ancestor's province
pack over the base, by school level, under the base's campaign id; a reload reaches the
cache; a new base that would break a province pack is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.campaign.loader import load_default_pack, load_province_packs
from bot.campaign.pack import CampaignPack
from bot.errors import InputRejected
from bot.services import campaigns, deadlines
from bot.services.campaigns import ActiveCampaign
from bot.services.people import load_view
from storage import org_units, people
from storage.db import Database
from storage.models import Membership

NOW = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)


def calendar(pack) -> set[str]:
    return {d.yearly or d.date.isoformat() for d in pack.deadlines}


async def test_each_place_sees_its_nearest_province_pack(db: Database) -> None:
    uow = db.unit_of_work()
    # The tree first, then the campaign: start-up attaches the shipped province packs.
    thpt, _ = await org_units.ensure(
        uow.session, [("province", "Bắc Ninh"), ("school", "THPT Lý Thái Tổ")], NOW
    )
    kinder, _ = await org_units.ensure(
        uow.session, [("province", "Bắc Ninh"), ("school", "Mầm non Hoa Sen")], NOW
    )
    vocational, _ = await org_units.ensure(
        uow.session, [("province", "Khánh Hòa"), ("school", "Trung cấp nghề Diên Khánh")], NOW
    )
    other, _ = await org_units.ensure(
        uow.session, [("province", "Đồng Tháp"), ("school", "THPT Cao Lãnh")], NOW
    )
    base = await campaigns.ensure_default(uow, NOW)
    [person_id] = await people.create_many(uow.session, [(7001, "Cô Hoa", "vi", NOW)])
    klass, _ = await org_units.ensure(
        uow.session,
        [("province", "Bắc Ninh"), ("school", "THPT Lý Thái Tổ"), ("class", "10A1")],
        NOW,
    )
    for org, role in ((thpt, "principal"), (klass, "staff")):
        uow.session.add(Membership(person_id=person_id, org_id=org.id, role=role, created_at=NOW))
    await uow.finish()

    cache = ActiveCampaign()
    uow = db.unit_of_work()
    try:
        base_id, got_base = await cache.get(uow)
        assert got_base == base
        seen = {}
        for name, unit in (("thpt", thpt), ("kinder", kinder), ("voc", vocational)):
            campaign_id, pack = await cache.for_org(uow, unit.path, unit.level or None)
            assert campaign_id == base_id  # one campaign: progress is not split
            seen[name] = pack
        _, klass_pack = await cache.for_org(uow, klass.path, "upper_secondary")
        _, elsewhere = await cache.for_org(uow, other.path, "upper_secondary")
        view = await load_view(uow, 7001)
        assert view is not None
        _, home = await cache.for_person(uow, view)
        found = await deadlines.upcoming(
            uow,
            base_id,
            [(m, (await cache.for_membership(uow, m))[1]) for m in view.memberships],
            view,
            date(2026, 8, 1),
            "vi",
        )
        _, areas = await cache.areas(uow)
    finally:
        await uow.abort()
    assert "2026-08-30" in calendar(klass_pack) and "2026-08-30" in calendar(home)
    assert not calendar(klass_pack) & {"20/05", "25/05", "27/05", "30/05", "15/06"}
    assert {"20/05", "30/05"} <= calendar(seen["voc"])
    assert "2026-08-30" not in calendar(elsewhere) and calendar(elsewhere) == calendar(base)
    # The school level is read from the name: no 4725 for a kindergarten or a vocational school.
    from bot.services.schools import infer_level

    uow = db.unit_of_work()
    try:
        _, kinder_pack = await cache.for_org(uow, kinder.path, infer_level(kinder.name))
        _, voc_pack = await cache.for_org(uow, vocational.path, infer_level(vocational.name))
    finally:
        await uow.abort()
    assert "31/05" not in calendar(kinder_pack) and "31/05" not in calendar(voc_pack)
    assert "31/05" in calendar(klass_pack)
    # /deadlines for the principal of the THPT: Bắc Ninh's shortlist, listed once.
    titles = [item.title for item in found]
    assert sum("danh sách tập thể" in t for t in titles) == 1
    assert not any("Khánh Hòa" in t for t in titles)
    keys = {a.key for a in areas}
    assert keys == {
        "bdhvs_2025_2030",
        "bdhvs_2025_2030@bdhvs_bac_ninh",
        "bdhvs_2025_2030@bdhvs_khanh_hoa",
    }
    base_area = next(a for a in areas if a.path is None)
    assert set(base_area.exclude) == {a.path for a in areas if a.path}


async def test_a_new_base_that_breaks_a_province_pack_is_refused(db: Database) -> None:
    uow = db.unit_of_work()
    await org_units.ensure(uow.session, [("province", "Khánh Hòa")], NOW)
    await campaigns.ensure_default(uow, NOW)
    await uow.finish()
    base = load_default_pack()
    # A base without the training milestone (and its own indicator): valid on its own,
    # but Khánh Hòa's staff_basic_skills target counts that milestone.
    broken = CampaignPack.model_validate(
        {
            **dict(base),
            "version": 2,
            "milestones": [m for m in base.milestones if m.id != "staff_digital_skills"],
            "indicators": [i for i in base.indicators if i.id != "staff_basic_skills"],
            "nominations": [],  # the staff awards ask for that milestone too
        }
    )
    overlay = next(o for o in load_province_packs() if o.id == "bdhvs_khanh_hoa")
    uow = db.unit_of_work()
    try:
        with pytest.raises(InputRejected, match=r"bdhvs_khanh_hoa .* would not fit"):
            await campaigns.install(uow, broken, "test", NOW)
        with pytest.raises(InputRejected, match="--org"):
            await campaigns.install(uow, overlay, "test", NOW)
    finally:
        await uow.abort()


async def test_an_item_reaches_its_area_and_levels_only(db: Database) -> None:
    """What reminders and announcements use: people under the area's path, not under a
    nested province pack's, and not in schools of other levels."""
    from bot.services.schools import schools_outside
    from storage import deadlines as rows

    uow = db.unit_of_work()
    chains = {
        "thpt": [("province", "Bắc Ninh"), ("school", "THPT Lý Thái Tổ")],
        "kinder": [("province", "Bắc Ninh"), ("school", "Mầm non Hoa Sen")],
        "far": [("province", "Khánh Hòa"), ("school", "THPT Nguyễn Trãi")],
    }
    units = {k: (await org_units.ensure(uow.session, c, NOW))[0] for k, c in chains.items()}
    ids = await people.create_many(
        uow.session, [(7100 + n, name, "vi", NOW) for n, name in enumerate(units)]
    )
    for person_id, unit in zip(ids, units.values(), strict=True):
        uow.session.add(
            Membership(person_id=person_id, org_id=unit.id, role="principal", created_at=NOW)
        )
    await uow.session.flush()
    bac_ninh = units["thpt"].path.split("/")[1]
    khanh_hoa = units["far"].path.split("/")[1]
    covered = ["primary", "lower_secondary", "upper_secondary", "multi_level", "continuing"]
    skip = await schools_outside(uow.session, covered, f"/{bac_ninh}/")
    in_bac_ninh = await rows.audience(
        uow.session, ("principal",), path=f"/{bac_ninh}/", skip_schools=skip
    )
    base_area = await rows.audience(uow.session, ("principal",), exclude=(f"/{khanh_hoa}/",))
    await uow.abort()
    by_id = dict(zip(ids, units, strict=True))
    assert skip == {units["kinder"].id}
    assert [by_id[r.person_id] for r in in_bac_ninh] == ["thpt"]
    assert sorted(by_id[r.person_id] for r in base_area) == ["kinder", "thpt"]


async def test_a_newer_shipped_province_pack_replaces_the_shipped_one_only(db: Database) -> None:
    from storage import campaigns as rows

    uow = db.unit_of_work()
    await org_units.ensure(uow.session, [("province", "Bắc Ninh")], NOW)
    await org_units.ensure(uow.session, [("province", "Quảng Ngãi")], NOW)
    await campaigns.ensure_default(uow, NOW)
    await uow.finish()
    uow = db.unit_of_work()
    try:
        attached = await rows.attached(uow.session)
        by_slug = {row.slug: row for row in attached.values()}
        assert set(by_slug) == {"bdhvs_bac_ninh", "bdhvs_quang_ngai"}
        by_slug["bdhvs_bac_ninh"].version = 0  # as if an older release had shipped it
        by_slug["bdhvs_quang_ngai"].version = 0
        by_slug["bdhvs_quang_ngai"].source = "quang-ngai.yaml"  # loaded by hand
        await uow.session.flush()
        assert await campaigns.attach_shipped(uow, NOW) == ["bdhvs_bac_ninh"]
        versions = {row.slug: row.version for row in (await rows.attached(uow.session)).values()}
        assert versions == {"bdhvs_bac_ninh": 1, "bdhvs_quang_ngai": 0}
        assert await campaigns.attach_shipped(uow, NOW) == []
    finally:
        await uow.abort()


async def test_a_class_sees_its_schools_level_and_a_province_none(db: Database) -> None:
    """ActiveCampaign.for_unit (/stats, /export, the snapshots): a class or unit sees the
    items of its school's level; above schools every item of the province's pack."""
    uow = db.unit_of_work()
    place = [("province", "Bắc Ninh")]
    kinder_class, _ = await org_units.ensure(
        uow.session, [*place, ("school", "Mầm non Hoa Sen"), ("class", "Lá 1")], NOW
    )
    thpt_unit, _ = await org_units.ensure(
        uow.session, [*place, ("school", "THPT Lý Thái Tổ"), ("unit", "Tổ Toán")], NOW
    )
    await campaigns.ensure_default(uow, NOW)
    await uow.finish()
    uow = db.unit_of_work()
    try:
        province = await org_units.get(uow.reads, kinder_class.parent_id or 0)
        assert province is not None and province.kind == "school"
        cache = ActiveCampaign()
        _, kinder_pack = await cache.for_unit(uow, kinder_class)
        _, thpt_pack = await cache.for_unit(uow, thpt_unit)
        top = await org_units.get(uow.reads, province.parent_id or 0)
        assert top is not None and top.kind == "province"
        _, province_pack = await cache.for_unit(uow, top)
    finally:
        await uow.abort()
    # QĐ 4725 does not assess kindergartens: its indicator is not theirs.
    assert "self_assessment_level2" not in {i.id for i in kinder_pack.indicators}
    assert "self_assessment_level2" in {i.id for i in thpt_pack.indicators}
    assert "self_assessment_level2" in {i.id for i in province_pack.indicators}
