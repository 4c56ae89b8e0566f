"""The `hocvuso` command-line tool, called in-process the way a shell would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.campaign.loader import default_pack_path
from bot.cli import main
from storage.migrate import head

CSV = """province,commune,school,unit,class,level
Bắc Ninh,,THPT Lý Thái Tổ,Tổ Toán - Tin,,
Bắc Ninh,,THPT Lý Thái Tổ,,10A1,
Bắc Ninh,,THPT Lý Thái Tổ,Tổ Toán - Tin,10A2,
Bắc Ninh,Phường Từ Sơn,Trường Sao Mai,,1A,primary
"""
# A file made before 1/7/2025: its district is read as the intermediate level.
OLD_CSV = """province,district,school,unit,class
Bắc Ninh,Từ Sơn,THPT Lý Thái Tổ,Tổ Toán - Tin,
Bắc Ninh,Từ Sơn,THPT Lý Thái Tổ,,10A1
Đồng Tháp,,THPT Cao Lãnh,,11B
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HOCVUSO_BOT_TOKEN", "HOCVUSO_REDIS_URL", "HOCVUSO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOCVUSO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HOCVUSO_BOT_USERNAME", "truong_bot")
    return tmp_path


def rows(workdir: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(workdir / "cli.db") as connection:
        return connection.execute(sql, params).fetchall()


def test_org_import_is_idempotent(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "org.csv").write_text("\ufeff" + CSV, encoding="utf-8")
    assert main(["org", "import", "org.csv"]) == 0
    assert "4 rows read, 8 units created, 2 school levels set" in capsys.readouterr().out
    assert main(["org", "import", "org.csv"]) == 0
    assert "0 units created, 0 school levels set" in capsys.readouterr().out
    kinds = dict(rows(workdir, "select kind, count(*) from org_units group by kind"))
    assert kinds == {"province": 1, "commune": 1, "school": 2, "unit": 1, "class": 3}
    assert rows(workdir, "select name, level from org_units where kind = 'school' order by id") == [
        ("THPT Lý Thái Tổ", "upper_secondary"),
        ("Trường Sao Mai", "primary"),
    ]


def test_org_import_reads_an_old_file_with_a_district_column(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "old.csv").write_text(OLD_CSV, encoding="utf-8")
    assert main(["org", "import", "old.csv"]) == 0
    assert "3 rows read, 8 units created" in capsys.readouterr().out
    kinds = dict(rows(workdir, "select kind, count(*) from org_units group by kind"))
    assert kinds == {"province": 2, "district": 1, "school": 2, "unit": 1, "class": 2}
    assert (
        main(
            [
                "invite",
                "create",
                "--org",
                "Bắc Ninh/Từ Sơn/THPT Lý Thái Tổ/10A1",
                "--role",
                "parent",
            ]
        )
        == 0
    )


def test_org_import_names_the_bad_line(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "bad.csv").write_text("province,district,school,unit,class\nBắc Ninh,Từ Sơn,,,10A\n")
    assert main(["org", "import", "bad.csv"]) == 1
    assert "line 2" in capsys.readouterr().err
    assert rows(workdir, "select count(*) from org_units") == [(0,)]


def test_org_add_and_invite_create(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["org", "add", "--kind", "province", "--name", "Bắc Ninh"]) == 0
    assert main(["org", "add", "--kind", "school", "--name", "THCS A", "--parent", "Bắc Ninh"]) == 0
    assert "(lower_secondary)" in capsys.readouterr().out
    assert (
        main(["org", "add", "--kind", "commune", "--name", "Xã Tam Sơn", "--parent", "Bắc Ninh"])
        == 0
    )
    assert (
        main(
            [
                "org",
                "add",
                "--kind",
                "school",
                "--name",
                "Trường Sao Mai",
                "--parent",
                "Bắc Ninh/Xã Tam Sơn",
                "--level",
                "kindergarten",
            ]
        )
        == 0
    )
    assert "(kindergarten)" in capsys.readouterr().out
    assert rows(workdir, "select level from org_units where name = 'Trường Sao Mai'") == [
        ("kindergarten",)
    ]
    assert (
        main(["org", "add", "--kind", "class", "--name", "6A", "--parent", "Bắc Ninh/THCS A"]) == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "invite",
                "create",
                "--org",
                "Bắc Ninh/THCS A/6A",
                "--role",
                "parent",
                "--max-uses",
                "40",
            ]
        )
        == 0
    )
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://t.me/truong_bot?start=")
    code = link.rsplit("=", 1)[1]
    assert rows(workdir, "select role, max_uses from invites where code = ?", code) == [
        ("parent", 40)
    ]
    png = (workdir / f"invite-{code}.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert main(["invite", "create", "--org", "Bắc Ninh/THCS A", "--role", "parent"]) == 1
    assert "must point at a class" in capsys.readouterr().err
    assert main(["invite", "create", "--org", "Nowhere", "--role", "staff"]) == 1


def test_campaign_check_and_load(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["campaign", "check", str(default_pack_path())]) == 0
    assert "bdhvs_2025_2030" in capsys.readouterr().out
    broken = workdir / "broken.yaml"
    broken.write_text("id: x\nversion: 0\n")
    assert main(["campaign", "check", str(broken)]) == 1
    assert "broken.yaml:2: version" in capsys.readouterr().err
    assert main(["campaign", "load", str(default_pack_path())]) == 0
    assert rows(workdir, "select slug, active from campaigns") == [("bdhvs_2025_2030", 1)]


def test_backup_and_token_message(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["backup", "copy.db"]) == 0
    with sqlite3.connect(workdir / "copy.db") as connection:
        assert connection.execute("select version_num from alembic_version").fetchone() == (head(),)
    with pytest.raises(SystemExit) as stopped:
        main(["run"])
    assert stopped.value.code == 2
    assert "@BotFather" in capsys.readouterr().err


def test_the_bot_stops_with_the_reason_when_its_database_cannot_be_migrated(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The start-up migration runs in a child process; its failure stops the bot, not hangs it."""
    monkeypatch.setenv("HOCVUSO_BOT_TOKEN", "42:TEST")
    monkeypatch.setenv("HOCVUSO_API_URL", "http://127.0.0.1:9")  # never reached
    missing = workdir / "no-such-folder" / "bot.db"
    monkeypatch.setenv("HOCVUSO_DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    with pytest.raises(SystemExit) as stopped:
        main(["run"])
    assert stopped.value.code not in (0, None)
    assert "unable to open database file" in capsys.readouterr().err


def test_db_upgrade_brings_a_new_database_to_the_head(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--no-analyze"]) == 0
    assert f"database at revision {head()}" in capsys.readouterr().out
    assert rows(workdir, "select version_num from alembic_version") == [(head(),)]


def test_campaign_load_with_org_attaches_a_province_pack(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.campaign.loader import province_pack_paths

    khanh_hoa = next(p for p in province_pack_paths() if p.name == "khanh-hoa.yaml")
    assert main(["campaign", "check", str(khanh_hoa)]) == 0
    assert "province pack bdhvs_khanh_hoa" in capsys.readouterr().out
    assert main(["org", "add", "--kind", "province", "--name", "Đồng Tháp"]) == 0
    # A province pack needs the base first, and an org node.
    assert main(["campaign", "load", str(khanh_hoa), "--org", "Đồng Tháp"]) == 1
    assert "base pack first" in capsys.readouterr().err
    assert main(["campaign", "load", str(default_pack_path())]) == 0
    assert main(["campaign", "load", str(khanh_hoa)]) == 1
    assert "give --org" in capsys.readouterr().err
    assert main(["campaign", "load", str(default_pack_path()), "--org", "Đồng Tháp"]) == 1
    assert main(["campaign", "load", str(khanh_hoa), "--org", "Nowhere"]) == 1
    assert main(["campaign", "load", str(khanh_hoa), "--org", "Đồng Tháp"]) == 0
    assert "for Đồng Tháp and everything below it" in capsys.readouterr().out
    got = rows(
        workdir,
        "select c.slug, c.extends, o.name, c.active from campaigns c "
        "left join org_units o on o.id = c.org_id order by c.id",
    )
    assert got == [
        ("bdhvs_2025_2030", None, None, 1),
        ("bdhvs_khanh_hoa", "bdhvs_2025_2030", "Đồng Tháp", 1),
    ]
    # Creating the province named in a shipped pack attaches that pack to it.
    assert main(["org", "add", "--kind", "province", "--name", "Tỉnh Bắc Ninh"]) == 0
    assert "province pack bdhvs_bac_ninh attached" in capsys.readouterr().out
    (workdir / "org.csv").write_text(CSV, encoding="utf-8")
    assert main(["org", "import", "org.csv"]) == 0
    # A second node of the same name does not take the pack away from the first.
    assert "attached" not in capsys.readouterr().out
    assert rows(
        workdir,
        "select o.name from campaigns c join org_units o on o.id = c.org_id "
        "where c.slug = 'bdhvs_bac_ninh'",
    ) == [("Tỉnh Bắc Ninh",)]
