"""The `hocvuso` command-line tool.

    hocvuso run | webhook
    hocvuso db upgrade
    hocvuso org add --kind KIND --name NAME [--parent ORG] [--level LEVEL]
    hocvuso org import FILE.csv   (columns province,commune,school,unit,class[,level])
    hocvuso headcount import FILE.csv
    hocvuso invite create --org ORG --role ROLE [--days N] [--max-uses N] [--head] [--qr FILE]
    hocvuso campaign check FILE.yaml | campaign load FILE.yaml [--org ORG]
    hocvuso export --org ORG --format xlsx|csv -o FILE [--sheet SHEET] [--language vi|en]
    hocvuso backup FILE

ORG is a numeric id or a path of names: "Bắc Ninh/Phường Từ Sơn/THCS Từ Sơn/6A1".
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot import lean_import
from bot.campaign.loader import PackError
from bot.clock import Clock
from bot.errors import InputRejected
from bot.settings import Settings
from storage import migrate
from storage.db import Database, UnitOfWork, is_sqlite
from storage.models import ORG_KINDS, ROLES, SCHOOL_LEVELS


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hocvuso", description=__doc__.split("\n\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the bot, long polling")
    commands.add_parser("webhook", help="the bot as a webhook server")
    db = commands.add_parser("db", help="database").add_subparsers(dest="action", required=True)
    upgrade = db.add_parser("upgrade", help="apply migrations, then refresh planner statistics")
    upgrade.add_argument(
        "--no-analyze", action="store_true", help="skip refreshing the planner statistics"
    )
    org = commands.add_parser("org", help="organisation tree").add_subparsers(
        dest="action", required=True
    )
    add = org.add_parser("add", help="add a province, commune, school, unit or class")
    add.add_argument("--kind", required=True, choices=ORG_KINDS)
    add.add_argument("--name", required=True)
    add.add_argument("--parent", help="parent ORG (id or path of names)")
    add.add_argument(
        "--level",
        choices=SCHOOL_LEVELS,
        help="a school's level (default: read from its name, e.g. THPT → upper_secondary)",
    )
    imp = org.add_parser("import", help="import units and classes from a CSV file")
    imp.add_argument("file", type=Path)
    headcount = commands.add_parser(
        "headcount", help="headcounts: students, families and staff"
    ).add_subparsers(dest="action", required=True)
    counts = headcount.add_parser(
        "import",
        help="record headcounts from a CSV file: columns naming the place (province, ..., "
        "school, class, or org_id) and students, families or staff",
    )
    counts.add_argument("file", type=Path)
    invite = commands.add_parser("invite", help="invites").add_subparsers(
        dest="action", required=True
    )
    create = invite.add_parser("create", help="print an invite deep link and write a QR code")
    create.add_argument("--org", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--days", type=int, default=30, help="valid for N days (0: no expiry)")
    create.add_argument("--max-uses", type=int, default=None)
    create.add_argument(
        "--head",
        action="store_true",
        help="a staff invite for a unit that makes whoever opens it the unit's head (tổ trưởng)",
    )
    create.add_argument(
        "--qr", type=Path, default=None, help="QR code PNG (default invite-CODE.png)"
    )
    campaign = commands.add_parser("campaign", help="campaign packs").add_subparsers(
        dest="action", required=True
    )
    check = campaign.add_parser("check", help="validate a pack (or a province pack)")
    check.add_argument("file", type=Path)
    load = campaign.add_parser("load", help="validate and activate a pack")
    load.add_argument("file", type=Path)
    load.add_argument(
        "--org",
        default=None,
        help="attach a province pack (one with 'extends') to this org node and all below it",
    )
    export = commands.add_parser(
        "export", help="the same workbook as /export (or one of its sheets as CSV)"
    )
    export.add_argument("--org", required=True, help="the school, commune or province (ORG)")
    export.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    export.add_argument("-o", "--output", type=Path, required=True, help="the file to write")
    export.add_argument(
        "--sheet",
        default=None,
        help="with --format csv, the sheet to write (default people): "
        "summary, people, quiz, questions, evidence, broadcasts, deadlines, emulation, "
        "collectives",
    )
    export.add_argument("--language", choices=("vi", "en"), default=None)
    backup = commands.add_parser("backup", help="online backup of the SQLite database")
    backup.add_argument("file", type=Path)
    return root


async def in_transaction(settings: Settings, work: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
    database = Database(settings.database_url)
    try:
        await migrate.upgrade(database)
        uow = database.unit_of_work()
        try:
            result = await work(uow)
            await uow.finish()
            return result
        except BaseException:
            await uow.abort()
            raise
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings()
    try:
        return COMMANDS[(args.command, getattr(args, "action", None))](args, settings)
    except (InputRejected, ValueError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    lean_import.install()  # before aiogram: about 90 MB less for a long-running bot
    from bot.runtime import run_polling

    asyncio.run(run_polling(settings))
    return 0


def cmd_webhook(args: argparse.Namespace, settings: Settings) -> int:
    lean_import.install()
    from bot.runtime import run_webhook

    asyncio.run(run_webhook(settings))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async def upgrade() -> str | None:
        database = Database(settings.database_url)
        try:
            await migrate.upgrade(database)
            if not args.no_analyze:
                await migrate.analyze(database)
            return await migrate.current(database)
        finally:
            await database.dispose()

    print(f"database at revision {asyncio.run(upgrade())}")
    return 0


def cmd_org_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services import invites, org

    async def work(uow: UnitOfWork) -> Any:
        parent = None
        if args.parent:
            parent = await invites.resolve_org(uow, args.parent)
            if parent is None:
                raise InputRejected(f"no org matches {args.parent!r}")
        now = Clock(settings.zone).now()
        unit = await org.add(uow, args.kind, args.name, parent, now, args.level)
        return unit, await attach_provinces(uow, now) if parent is None else []

    unit, attached = asyncio.run(in_transaction(settings, work))
    level = f" ({unit.level})" if unit.level else ""
    print(f"{unit.kind} {unit.id}: {unit.name}{level}")
    for slug in attached:
        print(f"province pack {slug} attached")
    return 0


def cmd_org_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services import org

    text = args.file.read_text(encoding="utf-8")

    async def work(uow: UnitOfWork) -> Any:
        now = Clock(settings.zone).now()
        report = await org.import_csv(uow, text, now)
        return report, await attach_provinces(uow, now)

    report, attached = asyncio.run(in_transaction(settings, work))
    print(
        f"{report.rows} rows read, {report.created} units created, "
        f"{report.levels} school levels set"
    )
    for slug in attached:
        print(f"province pack {slug} attached")
    return 0


def cmd_headcount_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services import headcounts
    from storage import audit

    text = args.file.read_text(encoding="utf-8")

    async def work(uow: UnitOfWork) -> Any:
        now = Clock(settings.zone).now()
        report = await headcounts.import_csv(uow, text, now)
        await audit.record(
            uow.session, now, None, "headcount.import", rows=report.rows, saved=report.saved
        )
        return report

    report = asyncio.run(in_transaction(settings, work))
    print(f"{report.rows} rows read, {report.saved} headcounts recorded")
    return 0


async def attach_provinces(uow: UnitOfWork, now: Any) -> list[str]:
    """New province nodes get their shipped province pack (when a campaign is loaded)."""
    from bot.services import campaigns

    return await campaigns.attach_shipped(uow, now)


def cmd_invite_create(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services import invites

    username = settings.bot_username or asyncio.run(_username(settings))

    async def work(uow: UnitOfWork) -> Any:
        unit = await invites.resolve_org(uow, args.org)
        if unit is None:
            raise InputRejected(f"no org matches {args.org!r}")
        return await invites.create(
            uow,
            unit=unit,
            role=args.role,
            bot_username=username,
            now=Clock(settings.zone).now(),
            creator=None,
            creator_tg_id=None,
            superadmin=True,
            days=args.days or None,
            max_uses=args.max_uses,
            head=args.head,
        )

    created = asyncio.run(in_transaction(settings, work))
    qr_path = args.qr or Path(f"invite-{created.code}.png")
    qr_path.write_bytes(invites.qr_png(created.link))
    print(created.link)
    print(f"QR code written to {qr_path}", file=sys.stderr)
    return 0


async def _username(settings: Settings) -> str:
    from bot.app import make_bot

    if not settings.bot_token:
        raise InputRejected(
            "set HOCVUSO_BOT_USERNAME (the bot's @username, without @) or HOCVUSO_BOT_TOKEN "
            "so the link can name the bot"
        )
    bot = make_bot(settings, settings.bot_token)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return me.username or ""


def _summary(pack: Any) -> str:
    return (
        f"{len(pack.milestones)} milestones, {len(pack.indicators)} indicators, "
        f"{len(pack.quizzes)} quizzes, {len(pack.deadlines)} deadlines"
    )


def cmd_campaign_check(args: argparse.Namespace, settings: Settings) -> int:
    """A whole pack alone; a province pack also merged over the shipped base, when it
    extends that one (the database is not read: `campaign load` checks the live base)."""
    from bot.campaign.loader import load_default_pack, load_document
    from bot.campaign.overlay import PackOverlay

    try:
        document = load_document(args.file)
        if isinstance(document, PackOverlay) and document.extends == load_default_pack().id:
            document = load_document(args.file, load_default_pack())
    except PackError as problem:
        print(problem, file=sys.stderr)
        return 1
    if isinstance(document, PackOverlay):
        print(
            f"{args.file}: ok (province pack {document.id} v{document.version} over "
            f"{document.extends}: {_summary(document)} of its own)"
        )
    else:
        print(f"{args.file}: ok ({document.id} v{document.version}: {_summary(document)})")
    return 0


def cmd_campaign_load(args: argparse.Namespace, settings: Settings) -> int:
    from bot.campaign.loader import load_document
    from bot.campaign.overlay import PackOverlay
    from bot.services import campaigns, invites

    async def work(uow: UnitOfWork) -> tuple[Any, bool, Any]:
        base = await campaigns.active(uow)
        document = load_document(args.file, base)
        unit = None
        if isinstance(document, PackOverlay):
            if not args.org:
                raise InputRejected(
                    f"{args.file} is a province pack (it extends {document.extends}): "
                    "give --org, the node it applies to"
                )
            unit = await invites.resolve_org(uow, args.org)
            if unit is None:
                raise InputRejected(f"no org matches {args.org!r}")
        elif args.org:
            raise InputRejected(
                f"{args.file} is a whole pack: it applies everywhere, so --org does not fit "
                "(a province pack names the pack it extends with 'extends')"
            )
        now = Clock(settings.zone).now()
        created = await campaigns.install(uow, document, str(args.file), now, org=unit)
        return document, created, unit

    try:
        document, created, unit = asyncio.run(in_transaction(settings, work))
    except PackError as problem:
        print(problem, file=sys.stderr)
        return 1
    state = "loaded" if created else "reloaded"
    where = f" for {unit.name} and everything below it" if unit is not None else ""
    print(f"{document.id} v{document.version} {state} and active{where}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime

    from bot.services import export_job, exports, invites

    if args.sheet is not None and args.format != "csv":
        raise InputRejected("--sheet chooses the sheet of a CSV file: give --format csv")
    if args.sheet is not None and args.sheet not in exports.BY_KEY:
        raise InputRejected(f"no sheet {args.sheet!r}: one of {', '.join(exports.BY_KEY)}")

    async def work(uow: UnitOfWork) -> Any:
        unit = await invites.resolve_org(uow, args.org)
        if unit is None:
            raise InputRejected(f"no org matches {args.org!r}")
        return unit

    unit = asyncio.run(in_transaction(settings, work))
    job = export_job.Job(
        database_url=settings.database_url,
        org_id=unit.id,
        language=args.language or settings.default_language,
        reader=None,
        default_language=settings.default_language,
        zone=settings.timezone,
        today=datetime.now(settings.zone).date(),
        out=str(args.output),
        fmt=args.format,
        sheet=(args.sheet or exports.DEFAULT_CSV) if args.format == "csv" else None,
    )
    written = export_job.run(job)
    counts = ", ".join(f"{key} {rows}" for key, rows in written.rows)
    print(f"{unit.name}: {args.output} written ({counts} rows)")
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    if not is_sqlite(settings.database_url):
        print("backup works on the SQLite database; use pg_dump for PostgreSQL", file=sys.stderr)
        return 1
    from sqlalchemy.engine import make_url

    source_path = make_url(settings.database_url).database or "hocvuso.db"
    if not Path(source_path).exists():
        print(f"no database at {source_path}", file=sys.stderr)
        return 1
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(args.file)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    print(f"backup written to {args.file}")
    return 0


COMMANDS: dict[tuple[str, str | None], Callable[[argparse.Namespace, Settings], int]] = {
    ("run", None): cmd_run,
    ("webhook", None): cmd_webhook,
    ("db", "upgrade"): cmd_db_upgrade,
    ("org", "add"): cmd_org_add,
    ("org", "import"): cmd_org_import,
    ("headcount", "import"): cmd_headcount_import,
    ("invite", "create"): cmd_invite_create,
    ("campaign", "check"): cmd_campaign_check,
    ("campaign", "load"): cmd_campaign_load,
    ("export", None): cmd_export,
    ("backup", None): cmd_backup,
}

if __name__ == "__main__":
    raise SystemExit(main())
