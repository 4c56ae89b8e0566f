"""Onboarding through the real dispatcher: /start <code> → language → consent → name
(→ the child's name → relation, for parents)."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SetMyCommands
from sqlalchemy import select

from storage.models import Membership
from tests.support.harness import Harness, Person

SCHOOL = [("province", "Bắc Ninh"), ("district", "Từ Sơn"), ("school", "THPT Lý Thái Tổ")]
CHILD_QUESTION = {"vi": "tên của con", "en": "child's name"}
MOTHER = {"vi": "Mẹ", "en": "Mother"}


async def onboard(
    h: Harness,
    who: Person,
    code: str,
    language: str = "vi",
    name: str | None = None,
    child: str = "An",
) -> None:
    """Join with `code`; a parent names `child` and is their mother."""
    await h.say(who, f"/start {code}")
    await h.press(who, h.button(who, "Tiếng Việt" if language == "vi" else "English"))
    await h.press(who, h.button(who, "đồng ý" if language == "vi" else "I agree"))
    if name is None:
        await h.press(who, h.buttons(who)[0][1])
    else:
        await h.say(who, name)
    if CHILD_QUESTION[language] in h.last_text(who):
        await h.say(who, child)
        await h.press(who, h.button(who, MOTHER[language]))


async def memberships(h: Harness, tg_user_id: int) -> list[tuple[str, str | None, str | None, int]]:
    """(role, child names, relation, children) of the person's memberships, in join order."""
    from storage.models import Person as PersonRow

    async with h.app.database.transaction() as session:
        query = (
            select(
                Membership.role, Membership.child_names, Membership.relation, Membership.children
            )
            .join(PersonRow, PersonRow.id == Membership.person_id)
            .where(PersonRow.tg_user_id == tg_user_id)
            .order_by(Membership.id)
        )
        return [tuple(row) for row in await session.execute(query)]


async def test_parent_joins_in_vietnamese(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "10A1"))
    code = await harness.invite(class_id, "parent")
    lan = Person(501, "Lan")

    await harness.say(lan, f"/start {code}")
    assert [label for label, _ in harness.buttons(lan)] == ["🇻🇳 Tiếng Việt", "🇬🇧 English"]
    await harness.press(lan, harness.button(lan, "Tiếng Việt"))
    consent = harness.last_text(lan)
    assert "10A1" in consent and "THPT Lý Thái Tổ" in consent and "/forget" in consent
    await harness.press(lan, harness.button(lan, "đồng ý"))
    await harness.press(lan, harness.button(lan, "Lan"))
    assert "tên của con" in harness.last_text(lan) and "10A1" in harness.last_text(lan)
    await harness.say(lan, "An, Bình")
    assert "Quý phụ huynh là gì của em An, em Bình?" in harness.last_text(lan)
    labels = [label for label, _ in harness.buttons(lan)]
    assert labels == ["Mẹ", "Bố", "Ông", "Bà", "Người giám hộ"]
    await harness.press(lan, harness.button(lan, "Mẹ"))

    welcome = harness.last_text(lan)
    assert "Lan" in welcome and "10A1" in welcome and "phụ huynh" in welcome
    menus = harness.session.of(SetMyCommands)
    names = [c.command for c in menus[-1].commands]
    assert "mydata" in names and "invite" not in names
    assert await memberships(harness, lan.id) == [("parent", "An, Bình", "mother", 2)]


async def test_the_name_offered_puts_the_family_name_first(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "10A4"))
    code = await harness.invite(class_id, "parent")
    lan = Person(520, "Lan", last_name="Nguyễn Thị")
    await harness.say(lan, f"/start {code}")
    await harness.press(lan, harness.button(lan, "Tiếng Việt"))
    await harness.press(lan, harness.button(lan, "đồng ý"))
    assert [label for label, _ in harness.buttons(lan)] == ["Nguyễn Thị Lan"]
    await harness.press(lan, harness.button(lan, "Nguyễn Thị Lan"))
    await harness.say(lan, "Minh Anh")
    await harness.press(lan, harness.button(lan, "Bố"))
    assert "Nguyễn Thị Lan" in harness.last_text(lan)
    await harness.say(lan, "/mydata")
    held = harness.last_text(lan)
    assert "Nguyễn Thị Lan" in held and "Con: em Minh Anh; quan hệ: bố" in held


async def test_a_student_and_a_teacher_are_not_asked_for_a_child(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "10A5"))
    student = Person(521, "Khôi", last_name="Vũ Minh")
    await harness.say(student, f"/start {await harness.invite(class_id, 'student')}")
    await harness.press(student, harness.button(student, "Tiếng Việt"))
    consent = harness.last_text(student)
    assert "tên của con" not in consent
    await harness.press(student, harness.button(student, "đồng ý"))
    await harness.press(student, harness.button(student, "Vũ Minh Khôi"))
    assert "Vũ Minh Khôi" in harness.last_text(student)
    assert await memberships(harness, student.id) == [("student", None, None, 1)]


async def test_a_known_parent_names_the_child_in_the_new_class_only(harness: Harness) -> None:
    first = await harness.org(*SCHOOL, ("class", "6B"))
    second = await harness.org(*SCHOOL, ("class", "9C"))
    mai = Person(522, "Mai", last_name="Trần Thị")
    await onboard(harness, mai, await harness.invite(first, "parent"), child="Cúc")
    await harness.say(mai, f"/start {await harness.invite(second, 'parent')}")
    asked = harness.last_text(mai)
    assert "tên của con" in asked and "9C" in asked and "đồng ý" not in asked
    await harness.sticker(mai)
    assert "gõ tên của con" in harness.last_text(mai)
    await harness.say(mai, "Đào")
    await harness.press(mai, harness.button(mai, "Bà"))
    assert "9C" in harness.last_text(mai)
    assert await memberships(harness, mai.id) == [
        ("parent", "Cúc", "mother", 1),
        ("parent", "Đào", "grandmother", 1),
    ]
    # The same class again: nothing asked, nothing added.
    await harness.say(mai, f"/start {await harness.invite(second, 'parent')}")
    assert "tên của con" not in harness.last_text(mai)
    assert len(await memberships(harness, mai.id)) == 2


async def test_forget_drops_the_childrens_names_and_keeps_the_count(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "7A"))
    ha = Person(523, "Hà")
    await onboard(harness, ha, await harness.invite(class_id, "parent"), child="Tùng, Lâm")
    assert await memberships(harness, ha.id) == [("parent", "Tùng, Lâm", "mother", 2)]
    await harness.say(ha, "/forget")
    await harness.press(ha, harness.buttons(ha)[0][1])
    async with harness.app.database.transaction() as session:
        rows = list(
            await session.execute(
                select(Membership.child_names, Membership.relation, Membership.children)
            )
        )
    assert [tuple(r) for r in rows] == [(None, None, 2)]


async def test_teacher_types_own_name_in_english(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "10A2"))
    code = await harness.invite(class_id, "staff")
    teacher = Person(502, "T", language_code="en")
    await onboard(harness, teacher, code, language="en", name="  Nguye\u0302\u0303n Thị   Hoa ")
    welcome = harness.last_text(teacher)
    assert "Welcome, Nguyễn Thị Hoa" in welcome
    assert "teacher" in welcome
    names = [c.command for c in harness.session.of(SetMyCommands)[-1].commands]
    assert "invite" in names


async def test_second_invite_adds_a_second_membership(harness: Harness) -> None:
    first = await harness.org(*SCHOOL, ("class", "6A"))
    second = await harness.org(*SCHOOL, ("class", "9B"))
    parent = Person(503, "Minh")
    await onboard(harness, parent, await harness.invite(first, "parent"))
    await harness.say(parent, f"/start {await harness.invite(second, 'parent')}")
    assert "9B" in harness.last_text(parent)
    await harness.say(parent, "Bình")
    await harness.press(parent, harness.button(parent, "Bố"))
    assert "9B" in harness.last_text(parent)
    await harness.say(parent, "/mydata")
    held = harness.last_text(parent)
    assert "6A" in held and "9B" in held


async def test_declining_consent_keeps_nothing(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "7C"))
    code = await harness.invite(class_id, "parent")
    who = Person(504, "Nam")
    await harness.say(who, f"/start {code}")
    await harness.press(who, harness.button(who, "Tiếng Việt"))
    await harness.press(who, harness.button(who, "Không"))
    assert "không lưu" in harness.last_text(who).lower()
    await harness.say(who, "/mydata")
    assert "không lưu" in harness.last_text(who).lower()


async def test_bad_codes_get_kind_answers_and_no_membership(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "8D"))
    expired = await harness.invite(class_id, "parent", days=1)
    once = await harness.invite(class_id, "parent", max_uses=1)
    who = Person(505, "Hà")
    for payload in ("nosuchcode", "x" * 65, "1' OR '1'='1", "DROP%20TABLE"):
        await harness.say(who, f"/start {payload}")
        assert "không hợp lệ" in harness.last_text(who)
    harness.clock.advance(__import__("datetime").timedelta(days=2))
    await harness.say(who, f"/start {expired}")
    assert "hết hạn" in harness.last_text(who)
    await onboard(harness, Person(506, "Một"), once)
    await harness.say(who, f"/start {once}")
    assert "đủ số lần" in harness.last_text(who)
    await harness.say(who, "/start")
    assert "đường liên kết mời" in harness.last_text(who)


async def test_wrong_content_and_names_are_answered(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "10A3"))
    who = Person(507, "")
    await harness.say(who, f"/start {await harness.invite(class_id, 'parent')}")
    await harness.sticker(who)
    assert "chọn một nút" in harness.last_text(who)
    await harness.press(who, harness.button(who, "Tiếng Việt"))
    await harness.press(who, harness.button(who, "đồng ý"))
    await harness.photo(who)
    assert "gõ tên" in harness.last_text(who).lower()
    await harness.say(who, "x" * 65)
    assert "64" in harness.last_text(who)
    await harness.say(who, "\u0000\u0007  \u200b")
    assert "không được để trống" in harness.last_text(who) or "chữ cái" in harness.last_text(who)
    await harness.say(who, "12345")
    assert "chữ cái" in harness.last_text(who)
    await harness.say(who, "Trần\u0000 Văn\tBa")
    assert "tên của con" in harness.last_text(who)
    await harness.say(who, "   ")
    assert "vui lòng gõ tên của con" in harness.last_text(who)
    await harness.say(who, "y" * 41)
    assert "40" in harness.last_text(who)
    await harness.say(who, "Tí")
    await harness.say(who, "bà")  # a button's words typed: answered with the buttons again
    assert "em Tí" in harness.last_text(who)
    await harness.press(who, harness.button(who, "Bà"))
    assert "Trần Văn Ba" in harness.last_text(who)


async def test_stale_button_and_cancel(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "11A"))
    who = Person(508, "Tú")
    await harness.say(who, f"/start {await harness.invite(class_id, 'parent')}")
    language_button = harness.button(who, "Tiếng Việt")
    await harness.press(who, language_button)
    await harness.press(who, language_button)  # the old message's button again
    assert "đồng ý" in harness.last_text(who)  # the card shows where they are now
    assert "trước" in (harness.session.of(AnswerCallbackQuery)[-1].text or "")
    await harness.say(who, "/cancel")
    assert "Đã hủy" in harness.last_text(who)
    await harness.press(who, language_button)
    assert any("cũ" in alert or "trước" in alert for alert in harness.alerts())
    await harness.press(who, "f:9:onboarding:language:vi")
    await harness.press(who, "garbage-data")
    assert len(harness.alerts()) >= 3


async def test_commands_above_role_and_unknown(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "12A"))
    parent = Person(509, "Phụ huynh")
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await harness.say(parent, "/invite")
    assert "không dành cho" in harness.last_text(parent)
    await harness.say(parent, "/frobnicate")
    assert "/frobnicate" in harness.last_text(parent)
    stranger = Person(510, "Lạ")
    await harness.say(stranger, "/invite")
    assert "đường liên kết mời" in harness.last_text(stranger)
    await harness.say(stranger, "xin chào")
    assert "đường liên kết mời" in harness.last_text(stranger)


async def test_the_teacher_and_the_principal_see_whose_parent_it_is(harness: Harness) -> None:
    from aiogram.methods import SendPhoto

    school_id = await harness.org(*SCHOOL)
    class_id = await harness.org(*SCHOOL, ("class", "8A"))
    teacher, principal = Person(530, "Hoa", last_name="Phạm Thị"), Person(531, "Hùng")
    lan, ba = Person(532, "Lan", last_name="Nguyễn Thị"), Person(533, "Ba", last_name="Trần Văn")
    await onboard(harness, teacher, await harness.invite(class_id, "staff"))
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, lan, await harness.invite(class_id, "parent"), child="An, Bình")
    await onboard(harness, ba, await harness.invite(class_id, "parent"), child="Chi")

    await harness.say(teacher, "/class")
    listed = harness.last_text(teacher)
    assert "Nguyễn Thị Lan – mẹ em An, em Bình; Trần Văn Ba – mẹ em Chi" in listed, listed

    await harness.say(lan, "/report")
    await harness.press(lan, harness.button(lan, "Bình dân học vụ số"))
    await harness.photo(lan, caption="Chứng nhận")
    await harness.press(lan, harness.button(lan, "Gửi"))
    await harness.say(principal, "/review")
    card = harness.session.last(principal.id)
    assert isinstance(card, SendPhoto)
    assert "Nguyễn Thị Lan – mẹ em An, em Bình" in (card.caption or ""), card.caption


async def test_a_principals_help_names_the_school_once(harness: Harness) -> None:
    school_id = await harness.org(*SCHOOL)
    class_id = await harness.org(*SCHOOL, ("class", "9A"))
    principal = Person(540, "Hùng", last_name="Trần Văn")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await harness.say(principal, f"/start {await harness.invite(class_id, 'staff')}")
    await harness.say(principal, "/help")
    shown = harness.last_text(principal)
    assert "• THPT Lý Thái Tổ — " in shown, shown
    assert "THPT Lý Thái Tổ (THPT Lý Thái Tổ)" not in shown
    assert "• 9A (THPT Lý Thái Tổ) — " in shown, shown


async def test_a_principal_sees_only_the_children_in_their_own_school(harness: Harness) -> None:
    from aiogram.methods import SendPhoto

    other_school = [("province", "Bắc Ninh"), ("school", "THCS Đình Bảng")]
    school_id = await harness.org(*other_school)
    here = await harness.org(*other_school, ("class", "6A"))
    there = await harness.org(*SCHOOL, ("class", "11B"))
    principal, hong = Person(550, "Tâm"), Person(551, "Hồng", last_name="Đặng Thị")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, hong, await harness.invite(there, "parent"), child="Nhật")
    await harness.say(hong, f"/start {await harness.invite(here, 'parent')}")
    await harness.say(hong, "Nguyệt")
    await harness.press(hong, harness.button(hong, "Mẹ"))

    await harness.say(hong, "/report")
    await harness.press(hong, harness.button(hong, "Bình dân học vụ số"))
    await harness.photo(hong, caption="Chứng nhận")
    await harness.press(hong, harness.button(hong, "Gửi"))
    await harness.say(principal, "/review")
    card = harness.session.last(principal.id)
    assert isinstance(card, SendPhoto)
    assert "Đặng Thị Hồng – mẹ em Nguyệt" in (card.caption or ""), card.caption
    assert "Nhật" not in (card.caption or "")


async def test_each_person_is_addressed_as_the_role_they_join_as(harness: Harness) -> None:
    """The invite's role words onboarding; after joining, the person's role words /help. A
    principal's place is the school itself: named once."""
    school_id = await harness.org(*SCHOOL)
    class_id = await harness.org(*SCHOOL, ("class", "10A5"))
    cases = [
        (Person(531, "Lan"), class_id, "parent", "Quý phụ huynh"),
        (Person(532, "An"), class_id, "student", "Em"),
        (Person(533, "Hoa"), school_id, "principal", "Thầy/Cô"),
    ]
    for who, unit, role, form in cases:
        await harness.say(who, f"/start {await harness.invite(unit, role)}")
        await harness.press(who, harness.button(who, "Tiếng Việt"))
        consent = harness.last_text(who)
        assert f"{form} được mời tham gia" in consent, consent
        await harness.press(who, harness.button(who, "đồng ý"))
        await harness.press(who, harness.buttons(who)[0][1])
        if role == "parent":  # whose parent: the child's name, then the relation
            await harness.say(who, "Minh")
            await harness.press(who, harness.button(who, "Mẹ"))
        await harness.say(who, "/help")
        shown = harness.last_text(who)
        assert f"{form} có thể:" in shown, shown
        for text in (consent, shown):
            assert "Quý vị" not in text and "các cháu" not in text, text
    assert "• THPT Lý Thái Tổ — cán bộ quản lý nhà trường" in shown, shown
    assert "THPT Lý Thái Tổ (THPT Lý Thái Tổ)" not in shown

    stranger = Person(534, "Lạ")
    await harness.say(stranger, "/help")
    neutral = harness.last_text(stranger)
    assert "Tài khoản này chưa tham gia trường nào" in neutral, neutral
    assert not any(f in neutral for f in ("Quý vị", "Quý phụ huynh", "Thầy/Cô", "Em ")), neutral
