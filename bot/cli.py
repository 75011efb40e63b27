"""The command line: `python -m bot run | db upgrade|backup|reconcile | network import FILE`."""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.settings import ConfigError, database_url_from_env, settings_from_env
from models.base import utc_now
from models.db import make_engine, make_session_factory, upgrade_schema
from models.network_import import NetworkFileError, import_network_file

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_SLACK = 3
EXIT_INPUT = 4
EXIT_BUSY = 5  # the SQLite file is being written by another process


def _setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def cmd_run(_args: argparse.Namespace) -> int:
    from slack_bolt.error import BoltError

    from bot.app import create_app, make_web_client

    settings = settings_from_env()
    _setup_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    session_factory = make_session_factory(engine)
    try:
        app = create_app(settings, session_factory)
    except BoltError as exc:
        print(
            f"Slack did not accept SLACK_BOT_TOKEN ({exc}). Check the token in .env against "
            "your app's 'OAuth & Permissions' page; see README.md, section 'Create the Slack app'.",
            file=sys.stderr,
        )
        return EXIT_SLACK
    from bot.scheduler import start_scheduler

    start_scheduler(
        session_factory=session_factory,
        client=make_web_client(settings, retry_ambiguous=False),
        clock=utc_now,
    )
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("Tovholder starting in Socket Mode")
        SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
    else:
        from bot.server import serve

        serve(app, host="0.0.0.0", port=settings.port, threads=settings.server_threads)
    return 0


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    url = database_url_from_env()
    upgrade_schema(make_engine(url))
    print("Database schema is up to date.")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database while the bot runs (SQLite's online backup)."""
    url = make_url(database_url_from_env())
    target = Path(args.file)
    if url.get_backend_name() != "sqlite":
        print(
            "This database is PostgreSQL: back it up with pg_dump, e.g.\n"
            f"  pg_dump --format=custom --file={target} '<DATABASE_URL without +psycopg>'\n"
            "and restore with pg_restore --clean --if-exists --dbname=<url> FILE, then run\n"
            "  python -m bot db reconcile",
            file=sys.stderr,
        )
        return EXIT_INPUT
    if target.exists():
        print(f"{target} exists already; choose a new file name.", file=sys.stderr)
        return EXIT_INPUT
    source = sqlite3.connect(url.database or "")
    try:
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        copy.close()
    finally:
        source.close()
    print(f"Backed up {url.database} to {target}.")
    return 0


def cmd_db_reconcile(_args: argparse.Namespace) -> int:
    """After restoring an older backup: nothing the backup does not know about is sent twice."""
    from jobs.nudges import reconcile_after_restore

    engine = make_engine(database_url_from_env())
    upgrade_schema(engine)
    with make_session_factory(engine)() as session:
        n = reconcile_after_restore(session=session, now=utc_now())
    print(f"{n} unsent messages will be checked against each member's Slack DM before they go out.")
    return 0


def cmd_network_import(args: argparse.Namespace) -> int:
    engine = make_engine(database_url_from_env())
    upgrade_schema(engine)
    session_factory = make_session_factory(engine)
    try:
        with session_factory.begin() as session:
            report = import_network_file(session, args.file)
    except NetworkFileError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    if report.created:
        print(
            f"Network '{report.network_key}' created: {report.added['meeting']} meetings, "
            f"{report.added['person']} people."
        )
    elif report.unchanged:
        print(f"Network '{report.network_key}' is already up to date; nothing changed.")
    else:
        print(
            f"Network '{report.network_key}' updated: "
            f"meetings +{report.added['meeting']} ~{report.changed['meeting']} "
            f"-{report.removed['meeting']}; people +{report.added['person']} "
            f"~{report.changed['person']} -{report.removed['person']} (deactivated)"
            + ("; network settings changed" if report.changed["network"] else "")
            + "."
        )
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def cmd_nudges_preview(args: argparse.Namespace) -> int:
    from jobs.nudges import preview_nudges

    engine = make_engine(database_url_from_env())
    upgrade_schema(engine)
    with make_session_factory(engine)() as session:
        lines = preview_nudges(session=session, start=args.start, end=args.end)
        for line in lines:
            print(line.render())
    if not lines:
        print("No nudges in that period.", file=sys.stderr)
    return 0


def cmd_nudges_send(_args: argparse.Namespace) -> int:
    from bot.app import make_web_client
    from jobs.nudges import run_nudge_pass

    settings = settings_from_env()
    _setup_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    report = run_nudge_pass(
        session_factory=make_session_factory(engine),
        client=make_web_client(settings, retry_ambiguous=False),
        now=utc_now(),
    )
    print(f"planned {report.planned}, claimed {report.claimed}, outcomes {report.outcomes}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Tovholder, the network bot")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP)")
    run.set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or upgrade the schema").set_defaults(
        func=cmd_db_upgrade
    )
    backup = db_sub.add_parser(
        "backup", help="copy the SQLite database to FILE while the bot runs (online backup)"
    )
    backup.add_argument("file", help="the backup file to write (must not exist)")
    backup.set_defaults(func=cmd_db_backup)
    db_sub.add_parser(
        "reconcile", help="after restoring a backup: check Slack before resending anything"
    ).set_defaults(func=cmd_db_reconcile)
    network = sub.add_parser("network", help="networks")
    net_sub = network.add_subparsers(dest="network_command", required=True)
    imp = net_sub.add_parser("import", help="load or update a network from a TOML file")
    imp.add_argument("file", help="path to the network file, e.g. examples/network-2015-16.toml")
    imp.set_defaults(func=cmd_network_import)
    nudges = sub.add_parser("nudges", help="nudges")
    nudge_sub = nudges.add_subparsers(dest="nudges_command", required=True)
    preview = nudge_sub.add_parser(
        "preview", help="print when each nudge goes out (local time), without sending anything"
    )
    preview.add_argument("--from", dest="start", type=_day, help="first day, YYYY-MM-DD")
    preview.add_argument("--to", dest="end", type=_day, help="last day, YYYY-MM-DD")
    preview.set_defaults(func=cmd_nudges_preview)
    send = nudge_sub.add_parser("send", help="send what is due now, once (the bot does this)")
    send.set_defaults(func=cmd_nudges_send)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # `… | head`
        return 0
    except OperationalError as exc:
        if "database is locked" not in str(exc):
            raise
        print(
            "The database file is busy: another process (the running bot, or another command)"
            " is writing to it. Nothing was changed; try again in a moment.",
            file=sys.stderr,
        )
        return EXIT_BUSY
    return result
