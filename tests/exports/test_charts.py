"""Charts: Vietnamese labels render (a missing glyph warns, and warnings are errors here)."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest

from bot.services.charts import MAX_BARS, Bars, Lines, bar_chart, bar_figure, line_chart

PNG = b"\x89PNG\r\n\x1a\n"


def size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG)
    return struct.unpack(">II", png[16:24])


def bars(count: int) -> Bars:
    return Bars(
        title="Phụ huynh hoàn thành khóa học Bình dân học vụ số",
        labels=[f"Lớp 10A{n} – Tổ Ngữ văn" for n in range(count)],
        progress=[n / max(count, 1) for n in range(count - 1)] + [None],
        reach=[1.0] * (count - 1) + [None],
        target=0.9,
        progress_label="Hoàn thành",
        reach_label="Đã tham gia",
        target_label="Chỉ tiêu 90%",
        missing_label="chưa có sĩ số",
    )


def test_bar_chart_with_diacritics_and_a_group_without_headcount() -> None:
    width, height = size(bar_chart(bars(6)))
    assert width > 500 and height > 300


def test_more_groups_make_a_wider_chart_and_too_many_are_refused() -> None:
    assert size(bar_chart(bars(30)))[0] > size(bar_chart(bars(3)))[0]
    with pytest.raises(ValueError, match="1 to"):
        bar_chart(bars(MAX_BARS + 1))
    with pytest.raises(ValueError, match="1 to"):
        bar_chart(bars(0))


def test_weekly_lines_with_gaps() -> None:
    weeks = [f"{d}/9" for d in (1, 8, 15, 22, 29)]
    chart = Lines(
        "Tiến độ theo tuần",
        weeks,
        [("Cán bộ có chữ ký số", [0.1, 0.2, None, 0.5, 0.6]), ("Học sinh dùng VNeID", [0.0] * 5)],
    )
    assert size(line_chart(chart))[0] > 500
    with pytest.raises(ValueError, match="4 values for 5 weeks"):
        line_chart(Lines("x", weeks, [("a", [0.1] * 4)]))


def test_a_bar_per_group_for_progress_and_reach_and_none_for_reach_when_there_is_none() -> None:
    (axes,) = bar_figure(bars(6)).axes
    assert len(axes.patches) == 12  # progress and reach for each of the six groups
    assert axes.get_xticklabels()[0].get_text() == "Lớp 10A0 – Tổ Ngữ văn"
    schools = replace(bars(4), reach=[None] * 4)  # schools, classes, units: no reach
    (axes,) = bar_figure(schools).axes
    assert len(axes.patches) == 4
    assert {t.get_text() for t in axes.get_legend().get_texts()} == {"Hoàn thành", "Chỉ tiêu 90%"}
