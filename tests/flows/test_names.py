import pytest

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
