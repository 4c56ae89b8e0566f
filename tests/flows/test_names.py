import pytest

from bot.names import offered_name
from bot.text import clean_name, normalise


@pytest.mark.parametrize(
    ("typed", "name", "problem"),
    [
        ("Lan", "Lan", None),
        ("  Nguyễn   Thị\tLan  ", "Nguyễn Thị Lan", None),
        ("Nguye\u0302\u0303n", "Nguyễn", None),  # decomposed → NFC
        ("Lan\u200b\u202e", "Lan", None),  # zero-width and bidi controls dropped
        ("", None, "empty"),
        ("\x00\x07", None, "empty"),
        ("12345", None, "no_letters"),
        ("a" * 64, "a" * 64, None),
        ("a" * 65, None, "too_long"),
    ],
)
def test_clean_name(typed: str, name: str | None, problem: str | None) -> None:
    assert clean_name(typed) == (name, problem)


def test_normalise_is_idempotent() -> None:
    text = "Hoa\u0300ng  \n Anh"
    assert normalise(normalise(text)) == normalise(text) == "Hoàng Anh"


@pytest.mark.parametrize(
    ("first", "last", "offered"),
    [
        # Given name as first name, family and middle names as last name: the common case.
        ("Lan", "Nguyễn Thị", "Nguyễn Thị Lan"),
        ("Hoàng", "Nguyễn Văn", "Nguyễn Văn Hoàng"),  # a given name that is also a family name
        ("Mai", "Trần Thị", "Trần Thị Mai"),
        ("Quang Huy", "Trần", "Trần Quang Huy"),
        # Typed the Vietnamese way round into Telegram's fields: kept.
        ("Nguyễn Thị", "Lan", "Nguyễn Thị Lan"),
        ("Phạm", "Minh Tuấn", "Phạm Minh Tuấn"),
        # A full name typed into the first name alone is kept as it is.
        ("Nguyễn Thị Lan", None, "Nguyễn Thị Lan"),
        ("Nguyễn Thị Lan", "", "Nguyễn Thị Lan"),
        (None, "Lê Văn Tám", "Lê Văn Tám"),
        # A rarer family name, written with Vietnamese letters: still family name first.
        ("Hằng", "Bế Thị", "Bế Thị Hằng"),
        ("Hang", "Be Thi", "Hang Be Thi"),  # no diacritics and no known family name: as given
        ("Lan", "Nguyen Thi", "Nguyen Thi Lan"),  # no diacritics, but a family name
        # An English speaker's "John" and "Smith" read as they write it, not "Smith John":
        # nothing in it is Vietnamese, and the last name is no Vietnamese family name.
        ("John", "Smith", "John Smith"),
        ("Mary Ann", "O'Neil", "Mary Ann O'Neil"),
        # Decomposed input comes out NFC, spaces collapsed.
        ("La\u0300n ", "  Nguye\u0302\u0303n  Thi\u0323", "Nguyễn Thị Làn"),
        (None, None, ""),
    ],
)
def test_offered_name_puts_the_family_name_first(
    first: str | None, last: str | None, offered: str
) -> None:
    assert offered_name(first, last) == offered
