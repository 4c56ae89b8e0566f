"""People's names as Vietnamese people write them: family name first.

Telegram keeps a first and a last name and joins them "first last". Many Vietnamese
accounts hold the given name as first name and the family and middle names as last
name ("Lan" and "Nguyễn Thị"), so the joined name comes out reversed ("Lan Nguyễn
Thị"). The name the bot offers at onboarding puts the family name first. Which part
holds it is read from the parts themselves:

- a part that begins with a Vietnamese family name, with or without its diacritics, holds
  it ("Nguyễn Thị" + "Lan", typed either way round, gives "Nguyễn Thị Lan");
- when neither does, a name written with Vietnamese letters is still read the Vietnamese
  way (last name first: Telegram's own labels say the last name is the family name);
- a name in plain Latin letters with no Vietnamese family name ("John" + "Smith") keeps
  Telegram's order: that is how its owner writes it.

A full name typed into the first name alone is kept as it is. The person can always type
another name instead of the one offered.
"""

from __future__ import annotations

import unicodedata

from bot.text import normalise

# The family names most Vietnamese carry (Nguyễn alone is about four in ten), with the
# southern spellings (Huỳnh for Hoàng, Võ for Vũ). Left out: family names that are far
# more often a middle or given name (Văn, Thị, Mai, Hà, Quang, Kim, Lâm, Châu, Giang…),
# so that a given name typed as first name is not taken for a family name.
_FAMILY_NAMES = """
nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đào đoàn
vương trịnh trương đinh phùng tô tạ lương lưu quách chu cù diệp doãn hứa kiều khúc
khổng lại lục mạc mạch nghiêm nông phí tăng thân thạch tôn tống triệu viên hầu lò lã
lỗ mã nhâm sầm thiều trình tào tiết
"""
FAMILY_NAMES = frozenset(_FAMILY_NAMES.split())


def _bare(word: str) -> str:
    """Without diacritics, the way many accounts are typed: "Nguyễn" → "nguyen"."""
    decomposed = unicodedata.normalize("NFD", word.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_BARE_FAMILY_NAMES = frozenset(_bare(name) for name in FAMILY_NAMES)
# Letters only Vietnamese writes among the Latin scripts people use here.
_VIETNAMESE = frozenset("ăâđêôơưĂÂĐÊÔƠƯ")
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền sắc ngã hỏi nặng


def _starts_with_family_name(part: str) -> bool:
    words = part.split()
    return bool(words) and (
        words[0].casefold() in FAMILY_NAMES or _bare(words[0]) in _BARE_FAMILY_NAMES
    )


def _looks_vietnamese(text: str) -> bool:
    if any(ch in _VIETNAMESE for ch in text):
        return True
    return any(ch in _TONE_MARKS for ch in unicodedata.normalize("NFD", text))


def offered_name(first: str | None, last: str | None) -> str:
    """The name to offer for Telegram's first and last name, family name first where the
    name is Vietnamese; "" when both are empty."""
    first, last = normalise(first or ""), normalise(last or "")
    if not first or not last:
        return first or last
    if _starts_with_family_name(first) and not _starts_with_family_name(last):
        return f"{first} {last}"  # already written family name first
    if _starts_with_family_name(last) or _looks_vietnamese(f"{first} {last}"):
        return f"{last} {first}"
    return f"{first} {last}"
