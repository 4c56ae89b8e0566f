"""`hocvuso headcount import`: headcounts from a school office's CSV file, all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.test_cli import CSV, rows, workdir  # noqa: F401 (workdir is a fixture)

WHEN = "2026-09-05 01:00:00.000000"


def tree(workdir: Path) -> None:  # noqa: F811
    (workdir / "org.csv").write_text(CSV, encoding="utf-8")
    assert main(["org", "import", "org.csv"]) == 0


def counts(workdir: Path) -> set[tuple[str, str, int, str]]:  # noqa: F811
    return set(
        rows(
            workdir,
            "select o.name, h.kind, h.count, h.source from headcounts h "
            "join org_units o on o.id = h.org_id",
        )
    )


def join(workdir: Path, org: str, role: str, how_many: int) -> None:  # noqa: F811
    """People who joined `org` (by name) in `role`, written the way enrolment leaves them."""
    with sqlite3.connect(workdir / "cli.db") as connection:
        (org_id,) = connection.execute(
            "select id from org_units where name = ?", (org,)
        ).fetchone()
        start = connection.execute("select coalesce(max(id), 0) from people").fetchone()[0]
        for n in range(start + 1, start + 1 + how_many):
            connection.execute(
                "insert into people (id, tg_user_id, display_name, language, consent_at, "
                "status, created_at, announcements) values (?, ?, ?, 'vi', ?, 'active', ?, 1)",
                (n, 10**9 + n, f"P{n}", WHEN, WHEN),
            )
            connection.execute(
                "insert into memberships (person_id, org_id, role, created_at) "
                "values (?, ?, ?, ?)",
                (n, org_id, role, WHEN),
            )


def test_headcounts_are_recorded_and_replaced(
    workdir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree(workdir)
    join(workdir, "10A1", "parent", 3)
    (workdir / "counts.csv").write_text(
        "\ufeffProvince,Commune,School,Unit,Class,Students,Families,Staff\n"
        "Bắc Ninh,,THPT Lý Thái Tổ,,10A1,42,40,\n"
        "Bắc Ninh,,THPT Lý Thái Tổ,Tổ Toán - Tin,10A2, 38 ,,\n"
        "Bắc Ninh,,THPT Lý Thái Tổ,,,,,1.020\n"
        "Bắc Ninh,,THPT Lý Thái Tổ,Tổ Toán - Tin,,,,12\n",
        encoding="utf-8",
    )
    assert main(["headcount", "import", "counts.csv"]) == 0
    assert "4 rows read, 5 headcounts recorded" in capsys.readouterr().out
    assert counts(workdir) == {
        ("10A1", "students", 42, "import"),
        ("10A1", "families", 40, "import"),
        ("10A2", "students", 38, "import"),
        ("THPT Lý Thái Tổ", "staff", 1020, "import"),
        ("Tổ Toán - Tin", "staff", 12, "import"),
    }
    # Again, by id, with a new figure: replaced in place, not added.
    (school_id,) = rows(workdir, "select id from org_units where name = 'THPT Lý Thái Tổ'")[0]
    (workdir / "again.csv").write_text(f"org_id,staff\n{school_id},64\n", encoding="utf-8")
    assert main(["headcount", "import", "again.csv"]) == 0
    assert ("THPT Lý Thái Tổ", "staff", 64, "import") in counts(workdir)
    assert len(counts(workdir)) == 5
    assert rows(workdir, "select action, actor_tg_id from audit_log") == [
        ("headcount.import", None),
        ("headcount.import", None),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,-5,,", "cannot be negative"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,bốn mươi,,", "is not a whole number"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,40.5,,", "is not a whole number"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,5001,,", "between 1 and 5000"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,0,,", "between 1 and 5000"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,,,3", "staff per school or unit"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,,40,,", "per class"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A9,40,,", "no org matches"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,,,", "gives no count"),
        # 3 parents joined 10A1: fewer families than that cannot be right
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,2,,", "3 of the people it counts"),
        ("Bắc Ninh,,THPT Lý Thái Tổ,,10A1,40,2,", "3 of the people it counts"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_saved(
    workdir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    line: str,
    problem: str,
) -> None:
    tree(workdir)
    join(workdir, "10A1", "parent", 3)
    (workdir / "bad.csv").write_text(
        "province,district,school,unit,class,students,families,staff\n"
        "Bắc Ninh,,THPT Lý Thái Tổ,Tổ Toán - Tin,10A2,38,,\n" + line + "\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["headcount", "import", "bad.csv"]) == 1
    err = capsys.readouterr().err
    assert "line 3" in err and problem in err, err
    assert counts(workdir) == set()


def test_a_file_without_counts_or_places_is_refused(
    workdir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree(workdir)
    for header in ("province,school,class\n", "students,staff\n"):
        (workdir / "h.csv").write_text(header + "a,b,c\n", encoding="utf-8")
        assert main(["headcount", "import", "h.csv"]) == 1
        assert "the header must name the place" in capsys.readouterr().err
