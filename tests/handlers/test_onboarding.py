"""Onboarding through the real dispatcher: /start <code> → language → consent → name."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SetMyCommands

from tests.support.harness import Harness, Person

SCHOOL = [("province", "Bắc Ninh"), ("district", "Từ Sơn"), ("school", "THPT Lý Thái Tổ")]


async def onboard(
    h: Harness, who: Person, code: str, language: str = "vi", name: str | None = None
) -> None:
    await h.say(who, f"/start {code}")
    await h.press(who, h.button(who, "Tiếng Việt" if language == "vi" else "English"))
    await h.press(who, h.button(who, "đồng ý" if language == "vi" else "I agree"))
    if name is None:
        await h.press(who, h.buttons(who)[0][1])
    else:
        await h.say(who, name)


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

    welcome = harness.last_text(lan)
    assert "Lan" in welcome and "10A1" in welcome and "phụ huynh" in welcome
    menus = harness.session.of(SetMyCommands)
    names = [c.command for c in menus[-1].commands]
    assert "mydata" in names and "invite" not in names


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
