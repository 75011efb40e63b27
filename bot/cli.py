"""The command line: `python -m bot run | db upgrade|backup|reconcile | network import FILE |
applications import FILE | teams package | i18n extract|update|compile|check`."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import applications_cli
from bot.settings import ConfigError, Settings, database_url_from_env, settings_from_env
from models.base import utc_now
from models.db import (
    make_engine,
    make_session_factory,
    start_wal_checkpoints,
    upgrade_schema,
    upgrade_schema_apart,
)
from models.network_import import (
    ImportNotApplied,
    ImportPlan,
    ImportReport,
    NetworkFileError,
    apply_network,
    plan_import,
    read_network_file,
)

if TYPE_CHECKING:
    from slack_bolt import App
    from sqlalchemy.orm import Session, sessionmaker

    from bot.run import StopSignal
    from bot.settings import Settings

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_SLACK = 3
EXIT_INPUT = 4
EXIT_UNREACHABLE = 5  # Slack cannot be reached (run)
EXIT_UNCONFIRMED = 6  # an import that deletes or deactivates, run without --apply
EXIT_BUSY = 7  # the SQLite file is being written by another process


def _setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler logs every run of every job at INFO ("Running job …", "… executed
    # successfully"): once a minute, forever. Its warnings and errors still show.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


def _teams_routes(settings: Settings, session_factory: sessionmaker[Session]) -> dict[str, Any]:
    """Teams' endpoint when Teams is configured (only then is its SDK imported)."""
    if settings.teams is None:
        return {}
    from bot.server import ReplayGuard
    from bot.teams_server import MESSAGES_PATH, teams_endpoint

    endpoint = teams_endpoint(
        settings.teams, session_factory, replay_guard=ReplayGuard(session_factory), clock=utc_now
    )
    return {MESSAGES_PATH: endpoint}


def cmd_run(args: argparse.Namespace) -> int:
    from bot.run import StopSignal, limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts

    settings = settings_from_env()
    if args.host:
        settings = dataclasses.replace(settings, host=args.host)
    _setup_logging(settings.log_level)
    stop = StopSignal()
    stop.install()  # from here a SIGTERM is a graceful stop
    engine = make_engine(settings.database_url)
    upgrade_schema_apart(engine)  # the bot never holds Alembic in memory
    checkpoints = start_wal_checkpoints(engine)  # SQLite: off the request path
    try:
        return _serve(settings, engine, stop)
    finally:
        if checkpoints is not None:
            checkpoints.stop()


def _serve(settings: Settings, engine: Engine, stop: StopSignal) -> int:
    from bot.app import make_messenger
    from bot.run import SlackRefused, SlackUnreachable, serve_http, serve_socket_mode

    session_factory = make_session_factory(engine)
    app = _create_slack_app(settings, session_factory) if settings.slack else None
    if isinstance(app, int):
        return app
    routes = _teams_routes(settings, session_factory)
    from bot.scheduler import start_scheduler

    scheduler = start_scheduler(
        session_factory=session_factory,
        messenger=make_messenger(settings, session_factory),
        clock=utc_now,
    )
    serving: dict[str, Any] = {
        "settings": settings,
        "session_factory": session_factory,
        "scheduler": scheduler,
        "stop": stop,
        "routes": routes,
    }
    try:
        if app is not None and settings.socket_mode:
            return serve_socket_mode(app, **serving)
        return serve_http(app, **serving)
    except SlackRefused as exc:
        log.error("%s", exc)
        return EXIT_SLACK
    except SlackUnreachable as exc:
        log.error("%s", exc)
        return EXIT_UNREACHABLE


def _create_slack_app(settings: Settings, session_factory: sessionmaker[Session]) -> App | int:
    """The Slack app, or the exit code when Slack refuses its token or cannot be reached (told
    on stderr in one line)."""
    from urllib.error import URLError

    from slack_bolt.error import BoltError

    from bot.app import create_app

    try:
        # Slack's client logs every failed attempt of the token check; the outcome is told
        # below in one line.
        with _quiet("slack_sdk.web.base_client"):
            return create_app(settings, session_factory)
    except BoltError as exc:
        if isinstance(exc.__cause__, URLError | OSError):
            print(_unreachable(settings.slack_api_url, exc.__cause__), file=sys.stderr)
            return EXIT_UNREACHABLE
        print(
            f"Slack did not accept SLACK_BOT_TOKEN ({exc}). Check the token in .env against "
            "your app's 'OAuth & Permissions' page; see README.md, section 'Create the Slack app'.",
            file=sys.stderr,
        )
        return EXIT_SLACK
    except (URLError, OSError) as exc:
        print(_unreachable(settings.slack_api_url, exc), file=sys.stderr)
        return EXIT_UNREACHABLE


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    if not logger.isEnabledFor(logging.DEBUG):
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _unreachable(url: str, exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    return (
        f"Cannot reach Slack at {url} ({reason}). Check this machine's network, DNS and proxy "
        "settings, and that outgoing HTTPS to slack.com is allowed."
    )


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


def _print_plan(plan: ImportPlan) -> None:
    """The diff; a new network is summed up rather than listed person by person."""
    if plan.created:
        meetings = sum(c.label.startswith("meeting ") for c in plan.added)
        print(
            f"Network '{plan.network_key}' (new): "
            f"+ {meetings} meetings, + {len(plan.added) - meetings} people"
        )
        return
    print(f"Network '{plan.network_key}' (changes):")
    for line in plan.lines():
        print(f"  {line}")


def _confirmed_on_tty() -> bool:
    """Ask on the terminal; anything but yes is no."""
    if not sys.stdin.isatty():
        return False
    try:
        answer = input("Apply these changes, including the deletions? Type yes to apply: ")
    except EOFError:
        return False
    return answer.strip().lower() in {"yes", "ja"}


def _print_report(report: ImportReport) -> None:
    if report.created:
        print(
            f"Network '{report.network_key}' created: {report.added['meeting']} meetings, "
            f"{report.added['person']} people."
        )
    else:
        print(
            f"Network '{report.network_key}' updated: "
            f"meetings +{report.added['meeting']} ~{report.changed['meeting']} "
            f"-{report.removed['meeting']}; people +{report.added['person']} "
            f"~{report.changed['person']} -{report.removed['person']} (deactivated)"
            + ("; network settings changed" if report.changed["network"] else "")
            + "."
        )


def _refusal(exc: ImportNotApplied) -> str:
    if exc.reason == ImportNotApplied.SHARED_MEMBERS:
        others = sorted(set(exc.plan.shared.values()))
        return (
            f"Nothing was changed: {len(exc.plan.shared)} member(s) of this file are already "
            f"active members of another network in the same season ({', '.join(others)}): "
            f"{', '.join(sorted(exc.plan.shared))}. Their reminders would come twice and their "
            f"commands act on one network only. Is the key '{exc.plan.network_key}' a typo? "
            "If the same people really belong to both, run again with --allow-shared-members."
        )
    if exc.reason == ImportNotApplied.PLAN_CHANGED:
        return "Nothing was changed: the database changed meanwhile; run the import again."
    return (
        "Nothing was changed: this import deletes or deactivates records (lines starting with "
        "-). Check them, then run again with --apply to make these changes."
    )


def cmd_network_import(args: argparse.Namespace) -> int:
    """Show what the file changes; apply additions and changes directly, deletions and
    deactivations only with --apply or a yes on the terminal; --dry-run changes nothing."""
    engine = make_engine(database_url_from_env())
    upgrade_schema(engine)
    session_factory = make_session_factory(engine)
    try:
        spec = read_network_file(args.file)
        with session_factory() as session:
            plan = plan_import(session, spec)
    except NetworkFileError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    if plan.empty:
        print(f"Network '{plan.network_key}' is already up to date; nothing changed.")
        return 0
    _print_plan(plan)
    if plan.shared and not args.allow_shared_members:
        print(_refusal(ImportNotApplied(ImportNotApplied.SHARED_MEMBERS, plan)), file=sys.stderr)
        return EXIT_INPUT
    if args.dry_run:
        print("Dry run: nothing was changed.")
        return 0
    confirmed = bool(args.apply) or (plan.destructive and _confirmed_on_tty())
    try:
        with session_factory.begin() as session:
            report = apply_network(
                session,
                spec,
                confirmed=confirmed,
                allow_shared_members=args.allow_shared_members,
                expected=plan,
            )
    except ImportNotApplied as exc:
        print(_refusal(exc), file=sys.stderr)
        return EXIT_UNCONFIRMED if exc.reason == ImportNotApplied.NEEDS_CONFIRMATION else EXIT_INPUT
    _print_report(report)
    return 0


def cmd_network_example(args: argparse.Namespace) -> int:
    from models.example_network import SeasonError, example_network

    try:
        text = example_network(args.season, utc_now().date())
    except SeasonError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(text)
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
    from bot.app import make_messenger
    from jobs.nudges import run_nudge_pass

    settings = settings_from_env()
    _setup_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    upgrade_schema(engine)
    session_factory = make_session_factory(engine)
    report = run_nudge_pass(
        session_factory=session_factory,
        messenger=make_messenger(settings, session_factory),
        now=utc_now(),
    )
    print(f"planned {report.planned}, claimed {report.claimed}, outcomes {report.outcomes}")
    return 0


def cmd_teams_package(args: argparse.Namespace) -> int:
    """Write the Teams app package for this bot's registration (TEAMS_APP_ID)."""
    from bot.settings import teams_app_id_from_env
    from bot.teams_package import build_package

    domain = args.domain.strip().removeprefix("https://").rstrip("/")
    if not domain or "/" in domain or ":" in domain:
        raise ConfigError(
            f"--domain must be the bot's public host name, such as tovholder.example.org, "
            f"got {args.domain!r}."
        )
    data = build_package(app_id=teams_app_id_from_env(), domain=domain, website=args.website)
    out = Path(args.out)
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes): upload it in Teams, see README.md, 'Microsoft Teams'")
    return 0


def cmd_i18n(args: argparse.Namespace) -> int:
    """The message catalogues (handlers/locale): see handlers/locale/__init__.py."""
    from handlers import locale as catalogues

    if args.i18n_command == "extract":
        changed = catalogues.extract()
        print(f"{catalogues.pot_path().name}: {'written' if changed else 'up to date'}")
    elif args.i18n_command == "update":
        for lang, (added, fuzzy, dropped) in catalogues.update().items():
            print(
                f"{lang}: {added} new (to translate), {fuzzy} fuzzy (to review), {dropped} dropped"
            )
    elif args.i18n_command == "absorb":
        new, edited = catalogues.absorb(catalogues.legacy_messages(Path(args.file)))
        catalogues.extract()
        print(f"added {len(new)}: {' '.join(new)}\nchanged {len(edited)}: {' '.join(edited)}")
    elif args.i18n_command == "compile":
        for path in catalogues.compile_all():
            print(f"compiled {path.parent.parent.name}/{path.name}")
    problems = catalogues.check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.i18n_command == "check" and not problems:
        print("the catalogues are complete and consistent")
    return 1 if problems and args.i18n_command in ("check", "compile") else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Tovholder, the network bot")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run the bot: Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP), Teams "
        "(with TEAMS_APP_ID), or both",
    )
    run.add_argument("--host", help="address to listen on (default: $HOST, else 127.0.0.1)")
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
    imp.add_argument(
        "--apply",
        action="store_true",
        help="also make the destructive changes shown (deleted meetings, deactivated people)",
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="only show what the import would change"
    )
    imp.add_argument(
        "--allow-shared-members",
        action="store_true",
        help="allow members who are already members of another network in the same season",
    )
    imp.set_defaults(func=cmd_network_import)
    example = net_sub.add_parser(
        "example",
        help="print the example network moved to a live season (same weekdays, working days)",
    )
    example.add_argument(
        "--season",
        default="current",
        help="current (default: the season running now, or the coming one in summer), "
        "next, or a start year such as 2027",
    )
    example.set_defaults(func=cmd_network_example)
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
    teams = sub.add_parser("teams", help="Microsoft Teams")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True)
    package = teams_sub.add_parser(
        "package", help="write the Teams app package (manifest and icons) to upload to Teams"
    )
    package.add_argument("--out", default="tovholder-teams.zip", help="the zip file to write")
    package.add_argument(
        "--domain",
        required=True,
        help="the public host name the bot answers on (https://HOST/api/messages)",
    )
    package.add_argument(
        "--website", help="your organisation's page about the bot (default: https://HOST/)"
    )
    package.set_defaults(func=cmd_teams_package)
    i18n = sub.add_parser(
        "i18n", help="the message catalogues (gettext .po files, for translators)"
    )
    i18n_sub = i18n.add_subparsers(dest="i18n_command", required=True)
    for name, text in (
        ("extract", "write handlers/locale/tovholder.pot from the English catalogue"),
        ("update", "bring the translations in line with the template (new, changed, dropped)"),
        ("compile", "compile every .po to .mo (optional: the bot reads the .po without one)"),
        ("check", "every text translated, placeholders and markup right, .mo up to date"),
    ):
        i18n_sub.add_parser(name, help=text).set_defaults(func=cmd_i18n)
    absorb = i18n_sub.add_parser(
        "absorb",
        help="take new and changed texts from a MESSAGES dict in a catalogue.py written before "
        "the .po files (e.g. another branch's), *bold* as **bold**; removes nothing",
    )
    absorb.add_argument("file", help="the old catalogue.py")
    absorb.set_defaults(func=cmd_i18n)
    applications_cli.add_parser(sub)
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
