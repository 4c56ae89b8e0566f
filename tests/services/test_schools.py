"""School levels read from Vietnamese school names."""

from __future__ import annotations

import pytest

from bot.services.schools import COVERED_BY_4725, infer_level, parse_level


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("THPT Lý Thái Tổ", "upper_secondary"),
        ("Trường THPT Chuyên Bắc Ninh", "upper_secondary"),
        ("Trường THCS Nguyễn Du", "lower_secondary"),
        ("Trường Tiểu học Nghĩa Hành", "primary"),
        ("TH Kim Đồng", "primary"),
        ("TH&THCS Hoàng Văn Thụ", "multi_level"),
        ("THCS và THPT Hà Nội", "multi_level"),
        ("Trường Mầm non Hoa Sen", "kindergarten"),
        ("MN Sơn Ca", "kindergarten"),
        ("Trung tâm GDNN-GDTX Từ Sơn", "continuing"),
        ("Trường Cao đẳng Kỹ thuật Khánh Hòa", "vocational"),
        ("Trường Phổ thông Dân tộc nội trú tỉnh", "multi_level"),
        ("Trường Thanh Xuân", None),
        ("Thiên Thần", None),
    ],
)
def test_level_from_name(name: str, level: str | None) -> None:
    assert infer_level(name) == level


def test_import_level_is_checked() -> None:
    assert parse_level(" Upper-Secondary ") == "upper_secondary"
    with pytest.raises(ValueError, match="unknown school level"):
        parse_level("district")


def test_4725_covers_general_and_continuing_only() -> None:
    assert "kindergarten" not in COVERED_BY_4725 and "vocational" not in COVERED_BY_4725
    assert {"primary", "upper_secondary", "continuing"} <= COVERED_BY_4725
