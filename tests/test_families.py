"""How a class's teacher sees a parent, in both languages, and how many children a parent's
membership covers."""

from __future__ import annotations

import pytest

from bot.families import (
    RELATION_CHOICES,
    RELATION_WORDS,
    RELATIONS,
    Family,
    children_count,
    member_label,
    person_label,
)
from bot.i18n import Renderer, build_catalogues

CATALOGUES = build_catalogues("vi")
VI = Renderer(CATALOGUES, "vi")
EN = Renderer(CATALOGUES, "en")


@pytest.mark.parametrize(
    ("name", "children", "relation", "vi", "en"),
    [
        (
            "Nguyễn Thị Lan",
            "An",
            "mother",
            "Nguyễn Thị Lan – mẹ em An",
            "Nguyễn Thị Lan – mother of An",
        ),
        (
            "Nguyễn Thị Lan",
            "An, Bình",
            "mother",
            "Nguyễn Thị Lan – mẹ em An, em Bình",
            "Nguyễn Thị Lan – mother of An, Bình",
        ),
        ("Trần Văn Ba", "Chi", "father", "Trần Văn Ba – bố em Chi", "Trần Văn Ba – father of Chi"),
        (
            "Lê Thị Tư",
            "Dũng",
            "grandmother",
            "Lê Thị Tư – bà em Dũng",
            "Lê Thị Tư – grandmother of Dũng",
        ),
        (
            "Phạm Văn Năm",
            "Tí",
            "guardian",
            "Phạm Văn Năm – người giám hộ em Tí",
            "Phạm Văn Năm – guardian of Tí",
        ),
        # Children without a relation (never asked), a student, a forgotten parent.
        ("Hà", "An", None, "Hà – phụ huynh em An", "Hà – parent of An"),
        ("Vũ Minh Khôi", None, None, "Vũ Minh Khôi", "Vũ Minh Khôi"),
        ("", None, None, "—", "—"),
    ],
)
def test_member_label(
    name: str, children: str | None, relation: str | None, vi: str, en: str
) -> None:
    label = member_label(name, children, relation)
    assert (VI(label), EN(label)) == (vi, en)


def test_a_parent_of_children_in_two_classes() -> None:
    label = person_label("Đỗ Thu Hằng", (("An", "mother"), (None, None), ("Bình", "mother")))
    assert VI(label) == "Đỗ Thu Hằng – mẹ em An; mẹ em Bình"


@pytest.mark.parametrize(
    ("stored", "count"), [(None, 1), ("", 1), ("An", 1), ("An, Bình", 2), ("A, B, C", 3)]
)
def test_children_count_defaults_to_one(stored: str | None, count: int) -> None:
    assert children_count(stored) == count


def test_a_family_is_stored_as_the_teacher_reads_it() -> None:
    family = Family(("An", "Bình"), "father")
    assert family.stored == "An, Bình"
    assert children_count(family.stored) == len(family.children) == 2


def test_every_relation_has_a_word_and_a_button() -> None:
    assert tuple(RELATION_WORDS) == tuple(RELATION_CHOICES) == RELATIONS
    assert [VI(RELATION_CHOICES[r]) for r in RELATIONS] == [
        "Mẹ",
        "Bố",
        "Ông",
        "Bà",
        "Người giám hộ",
    ]
