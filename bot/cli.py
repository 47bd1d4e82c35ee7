"""The `ehrenamt` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot import cli_agency, cli_documents, cli_report
from bot.app import running_app
from bot.channels.console import ConsoleChannel
from bot.config import ConfigError, Settings, check_deployment, load_settings
from bot.logs import configure_logging
from bot.process import tune_garbage_collector
from exchange import audit, organisations, people, safeguarding, staff
from storage import create_engine, migrate
from storage.models import Organisation, OrganisationStatus, StaffKind

ORGANISATION_STATUSES = [status.value for status in OrganisationStatus]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ehrenamt", description="Ehrenamtsbörse: the volunteer exchange bot."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="chat with the bot in the terminal")
    chat.add_argument(
        "--user", default="me", help="who you are; use several names to play several people"
    )
    chat.add_argument(
        "--language", default=None, help="the language your chat app reports, e.g. de or en"
    )
    chat.add_argument(
        "--database", default=None, help="database URL (default: DATABASE_URL or ehrenamt.db)"
    )

    commands.add_parser("run", help="run the bot on Telegram (TELEGRAM_BOT_TOKEN, BOT_FRAMEWORK)")
    commands.add_parser("scheduler", help="run only the scheduled pushes (for several bot workers)")
    push = commands.add_parser("push", help="plan and send everything that is due, then exit")
    push.add_argument("--now", action="store_true", required=True, help="run once, now")
    commands.add_parser("migrate", help="bring the database schema up to date and exit")
    _admin_parser(commands)
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database", default=None, help="database URL (default: DATABASE_URL or ehrenamt.db)"
    )
    cli_report.add_parsers(commands, database)
    return parser


def _admin_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`ehrenamt admin ...`: what coordinators do from the shell, such as approving organisations."""
    database_help = "database URL (default: DATABASE_URL or ehrenamt.db)"
    # --database may come before or after the admin command; SUPPRESS keeps an earlier value.
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", default=argparse.SUPPRESS, help=database_help)

    admin = commands.add_parser(
        "admin",
        help="coordinators' tasks: the queue, organisations, vetting, blocking, roles, the audit",
    )
    admin.add_argument("--database", default=None, help=database_help)
    tasks = admin.add_subparsers(dest="admin_command", required=True)
    listing = tasks.add_parser(
        "list-orgs", parents=[database], help="list the registered organisations"
    )
    listing.add_argument(
        "--status", choices=ORGANISATION_STATUSES, default=None, help="only those with this status"
    )
    for name, verb in (("approve-org", "approve"), ("reject-org", "reject")):
        task = tasks.add_parser(
            name, parents=[database], help=f"{verb} a pending organisation's registration"
        )
        task.add_argument("id", type=int, help="the organisation's id (see list-orgs)")
    blocking = tasks.add_parser(
        "block-user", parents=[database], help="block a person; their offers are withdrawn"
    )
    blocking.add_argument("key", help="the person's user key, e.g. telegram:123456")
    coordinator = tasks.add_parser(
        "grant-coordinator",
        parents=[database],
        help="make a person coordinator of a municipality (they must have written to the bot)",
    )
    coordinator.add_argument("key", help="the person's user key, e.g. telegram:123456")
    coordinator.add_argument("municipality", help="the municipality's id in the deployment file")
    sponsor = tasks.add_parser(
        "grant-sponsor", parents=[database], help="make a person sponsor of districts"
    )
    sponsor.add_argument("key", help="the person's user key, e.g. telegram:123456")
    sponsor.add_argument("municipality", help="the municipality's id in the deployment file")
    sponsor.add_argument("districts", nargs="+", help="district ids in the deployment file")
    revoking = tasks.add_parser(
        "revoke-staff", parents=[database], help="take every coordinator and sponsor role"
    )
    revoking.add_argument("key", help="the person's user key, e.g. telegram:123456")
    tasks.add_parser("list-staff", parents=[database], help="list coordinators and sponsors")
    tasks.add_parser("audit", parents=[database], help="the newest 100 entries of the audit record")
    cli_agency.add_parsers(tasks, database)
    cli_documents.add_parsers(tasks, database)


NO_TOKEN = """\
TELEGRAM_BOT_TOKEN is not set.
Ask @BotFather on Telegram for a token and put it into .env (see .env.example):
    TELEGRAM_BOT_TOKEN=123456:ABC...
To try the bot without Telegram, chat with it in the terminal: make chat
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(database=getattr(args, "database", None) or None)
        # Every command checks the deployment file, so a broken one is named before anything runs.
        check_deployment(settings.deployment_file)
    except ConfigError as error:
        sys.stderr.write(f"ehrenamt: {error}\n")
        return 2
    level = (
        logging.WARNING
        if args.command in ("chat", "admin", *cli_report.COMMANDS)
        else settings.log_level
    )
    configure_logging(level, settings.secrets(), json_lines=settings.log_format == "json")
    tune_garbage_collector()
    if args.command == "chat":
        asyncio.run(_chat(settings, user=args.user, language=args.language))
    elif args.command in ("run", "scheduler"):
        if settings.telegram_bot_token is None:
            sys.stderr.write(NO_TOKEN)
            return 2
        try:
            asyncio.run(_run(settings, scheduler_only=args.command == "scheduler"))
        except ConfigError as error:
            sys.stderr.write(f"ehrenamt: {error}\n")
            return 2
    elif args.command == "push":
        asyncio.run(_push(settings))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "admin":
        return _admin(settings, args)
    elif args.command in cli_report.COMMANDS:
        return cli_report.run(settings, args)
    return 0


async def _chat(settings: Settings, *, user: str, language: str | None) -> None:
    async with running_app(settings) as app:
        channel = ConsoleChannel(app, user=user, language_code=language)
        await channel.run(sys.stdin.readline, echo=not sys.stdin.isatty())


async def _run(settings: Settings, *, scheduler_only: bool) -> None:
    from bot.channels.telegram.runner import run_scheduler, run_telegram

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_app(settings) as app:
        await (run_scheduler if scheduler_only else run_telegram)(app, stop)


async def _push(settings: Settings) -> None:
    from bot.channels.telegram.runner import push_now

    async with running_app(settings) as app:
        report = await push_now(app)
    print(
        f"planned {report.plan.offers} offers, closed {report.plan.expired} requests, "
        f"{report.plan.exhausted} without a volunteer; sent {report.sent} messages"
    )
    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN is not set, so nothing was sent to Telegram.")


# --- admin ------------------------------------------------------------------------------------


class AdminError(Exception):
    """A coordinator's command that cannot be carried out; the message says why."""


def _admin(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.admin_command == "list-orgs":
            organisations = asyncio.run(list_organisations(settings, status=args.status))
            sys.stdout.write(_organisation_table(organisations))
        elif args.admin_command == "block-user":
            asyncio.run(block_user(settings, args.key))
            sys.stdout.write("Blocked; their pending offers were withdrawn.\n")
        elif args.admin_command in STAFF_COMMANDS:
            sys.stdout.write(asyncio.run(staff_command(settings, args)))
        elif args.admin_command in cli_agency.COMMANDS:
            sys.stdout.write(asyncio.run(cli_agency.run(settings, args)))
        elif args.admin_command in cli_documents.COMMANDS:
            sys.stdout.write(asyncio.run(cli_documents.run(settings, args)))
        else:
            approve = args.admin_command == "approve-org"
            organisation = asyncio.run(decide_organisation(settings, args.id, approve=approve))
            done = "Approved" if approve else "Rejected"
            name = _printable(organisation.name)
            sys.stdout.write(f"{done} organisation {organisation.id}: {name}\n")
    except (AdminError, cli_agency.AgencyError, cli_documents.DocumentsError) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


async def list_organisations(
    settings: Settings, *, status: str | None = None
) -> list[Organisation]:
    """The registered organisations, oldest first; only those with `status` if given."""
    async with running_app(settings) as app, app.sessions() as session:
        return await organisations.listing(session, OrganisationStatus(status) if status else None)


async def decide_organisation(
    settings: Settings, organisation_id: int, *, approve: bool
) -> Organisation:
    """Approve or reject a pending organisation; AdminError if there is none or it is not pending."""
    async with running_app(settings) as app, app.sessions() as session, session.begin():
        try:
            return await organisations.decide(
                session,
                organisation_id,
                approve=approve,
                by=None,
                via="cli",
                now=app.core.clock(),
            )
        except organisations.NotDecidable as refused:
            found = refused.organisation
            if found is None:
                raise AdminError(f"There is no organisation with id {organisation_id}.") from None
            raise AdminError(
                f"Organisation {organisation_id} ({_printable(found.name)}) is {found.status}; "
                "only pending organisations can be approved or rejected."
            ) from None


async def block_user(settings: Settings, key: str) -> None:
    """Block the person with this user key; AdminError if there is none."""
    async with running_app(settings) as app, app.sessions() as session, session.begin():
        user = await people.by_key(session, key)
        if user is None:
            raise AdminError(f"There is nobody with the key {_printable(key)}.")
        now = app.core.clock()
        await safeguarding.block(session, user, now)
        audit.record(
            session, actor=None, via="cli", action="block", subject=f"user:{user.id}", now=now
        )


STAFF_COMMANDS = ("grant-coordinator", "grant-sponsor", "revoke-staff", "list-staff", "audit")


async def staff_command(settings: Settings, args: argparse.Namespace) -> str:
    """Grant, revoke and list the agency's roles, or show the audit record; what to print."""
    async with running_app(settings) as app, app.sessions() as session, session.begin():
        now, deployment = app.core.clock(), app.deployment
        if args.admin_command == "list-staff":
            return _table(
                ("USER", "ROLE", "MUNICIPALITY", "DISTRICT"),
                [
                    (user.key, role.kind.value, role.municipality, role.district or "(all)")
                    for role, user in await staff.listing(session)
                ],
                "Nobody is coordinator or sponsor (besides the deployment file's coordinators).",
            )
        if args.admin_command == "audit":
            return _table(
                ("TIME", "BY", "ACTION", "SUBJECT", "DETAIL"),
                [
                    (
                        event.at.isoformat(timespec="seconds"),
                        f"user:{event.actor_id}" if event.actor_id else event.via,
                        event.action,
                        event.subject,
                        _printable(str(event.detail)),
                    )
                    for event in await audit.events(session)
                ],
                "The audit record is empty.",
            )
        user = await people.by_key(session, args.key)
        if user is None:
            raise AdminError(f"There is nobody with the key {_printable(args.key)}.")
        if args.admin_command == "revoke-staff":
            count = await staff.revoke(session, user, by=None, via="cli", now=now)
            return f"Took {count} roles.\n" if count else "They had no role to take.\n"
        kind = (
            StaffKind.COORDINATOR
            if args.admin_command == "grant-coordinator"
            else StaffKind.SPONSOR
        )
        try:
            added = await staff.grant(
                session,
                deployment,
                user,
                kind,
                args.municipality,
                getattr(args, "districts", ()),
                by=None,
                via="cli",
                now=now,
            )
        except staff.StaffError as error:
            raise AdminError(f"Not granted: {error}.") from None
        if not added:
            return "They hold that role already.\n"
        where = ", ".join(role.district for role in added if role.district) or args.municipality
        return f"Granted: {kind.value} of {where}.\n"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], empty: str) -> str:
    if not rows:
        return empty + "\n"
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "".join(line.rstrip() + "\n" for line in lines)


def _organisation_table(organisations: Sequence[Organisation]) -> str:
    """One line per organisation: id, status, name, kind, municipality; no personal data."""
    return _table(
        ("ID", "STATUS", "NAME", "KIND", "MUNICIPALITY"),
        [(str(o.id), o.status, _printable(o.name), o.kind, o.municipality) for o in organisations],
        "No organisations.",
    )


def _printable(text: str) -> str:
    """Names come from chat users: no line breaks or terminal control sequences in the output."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url.get_secret_value())
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
