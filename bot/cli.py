"""The `ehrenamt` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from bot.app import running_app
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from storage import create_engine, migrate


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
    commands.add_parser("migrate", help="bring the database schema up to date and exit")
    return parser


NO_TOKEN = """\
TELEGRAM_BOT_TOKEN is not set.
Ask @BotFather on Telegram for a token and put it into .env (see .env.example):
    TELEGRAM_BOT_TOKEN=123456:ABC...
To try the bot without Telegram, chat with it in the terminal: make chat
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    if getattr(args, "database", None):
        settings = settings.model_copy(update={"database_url": args.database})
    level = logging.WARNING if args.command == "chat" else settings.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "chat":
        asyncio.run(_chat(settings, user=args.user, language=args.language))
    elif args.command == "run":
        if settings.telegram_bot_token is None:
            sys.stderr.write(NO_TOKEN)
            return 2
        asyncio.run(_run(settings))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    return 0


async def _chat(settings: Settings, *, user: str, language: str | None) -> None:
    async with running_app(settings) as app:
        channel = ConsoleChannel(app.core, app.translator, user=user, language_code=language)
        await channel.run(sys.stdin.readline, echo=not sys.stdin.isatty())


async def _run(settings: Settings) -> None:
    from bot.channels.telegram.runner import run_telegram

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_app(settings) as app:
        await run_telegram(app, stop)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
