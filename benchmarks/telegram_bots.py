"""The bot side of the Telegram benchmark, run as a subprocess: an echo bot on the framework alone,
or the full stack as `ehrenamt run` wires it (see `benchmarks.telegram`)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import signal
from pathlib import Path
from typing import Any

from bot.app import running_app
from bot.channels.telegram.channel import TelegramChannel, user_key
from bot.channels.telegram.polling import Counts, Poller
from bot.channels.telegram.runner import AiogramFront, Front, PtbFront, build_front
from bot.channels.telegram.sender import Sender
from bot.config import Settings
from exchange.people import mark_unreachable

TOKEN = "123456:BENCHMARK"
ECHO_DATA = "echo"
# The full stack gets a `Sender` without Telegram's limits, to measure what it can process.
NO_LIMITS: dict[str, Any] = {"overall_per_second": 1e9, "per_chat_interval": 0.0}


def attach_echo(front: Front, api_url: str) -> None:
    """Give the front's framework objects a bare echo bot instead of the dialogue channel."""
    if isinstance(front, PtbFront):
        attach_echo_ptb(front, api_url)
    elif isinstance(front, AiogramFront):
        attach_echo_aiogram(front)
    else:
        raise TypeError(f"unknown front {front!r}")


def attach_echo_ptb(front: PtbFront, api_url: str) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    # The library's own application, with its own polling (the bot's has none: it polls itself).
    root = api_url.rstrip("/")
    front.application = (
        Application.builder()
        .token(front.application.bot.token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(True)
        .build()
    )

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Echo", callback_data=ECHO_DATA)]])

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None:
            await context.bot.send_message(
                message.chat.id, message.text or "?", reply_markup=keyboard
            )

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.message is None:
            return
        await query.answer()
        await context.bot.send_message(
            query.message.chat.id, query.data or "?", reply_markup=keyboard
        )

    front.application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, on_message)
    )
    front.application.add_handler(CallbackQueryHandler(on_press))


def attach_echo_aiogram(front: AiogramFront) -> None:
    from aiogram import Dispatcher, F, Router
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Echo", callback_data=ECHO_DATA)]]
    )
    bot = front.bot
    router = Router()

    @router.message(F.chat.type == "private")
    async def on_message(message: Message) -> None:
        await bot.send_message(message.chat.id, message.text or "?", reply_markup=keyboard)

    @router.callback_query()
    async def on_press(query: CallbackQuery) -> None:
        await query.answer()
        if query.message is not None:
            await bot.send_message(query.message.chat.id, query.data or "?", reply_markup=keyboard)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    front.dispatcher = dispatcher


async def serve(settings: Settings, bot: str, stop: asyncio.Event, profile: Path | None) -> None:
    """Poll the stand-in until `stop` is set: the echo bot, or the full stack as `run_telegram`."""
    if bot == "echo":
        front = build_front(settings)
        attach_echo(front, settings.telegram_api_url)
        await poll(front, stop, profile)
        return
    async with running_app(settings) as app:
        # The same objects `TelegramBot` builds for `run_telegram`, but a Sender without limits.
        front = build_front(settings)

        async def unreachable(chat_id: int) -> None:
            async with app.sessions() as session, session.begin():
                await mark_unreachable(session, user_key(chat_id), app.core.clock())

        sender = Sender(front.transport, on_unreachable=unreachable, **NO_LIMITS)
        channel = TelegramChannel(app.core, app.translator, sender)
        front.attach(channel)
        await poll(front, stop, profile, channel)


class Profile:
    """The bot's profile: pyinstrument's sampler if it is installed, else cProfile.

    SQLAlchemy's async sessions switch greenlets, which inflates cProfile's cumulative times;
    pyinstrument samples stacks and stays right. Saved as `<path>.pyisession` or `<path>.prof`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cprofile: cProfile.Profile | None = None
        self.sampler: Any = None
        try:
            pyinstrument = importlib.import_module("pyinstrument")
        except ImportError:
            self.cprofile = cProfile.Profile()
        else:
            self.sampler = pyinstrument.Profiler(interval=0.001, async_mode="disabled")

    def enable(self) -> None:
        if self.sampler is not None:
            self.sampler.start()
        elif self.cprofile is not None:
            self.cprofile.enable()

    def save(self) -> None:
        if self.sampler is not None and self.sampler.is_running:
            self.sampler.stop()
            self.sampler.last_session.save(str(self.path.with_suffix(".pyisession")))
        elif self.cprofile is not None:
            self.cprofile.disable()
            self.cprofile.dump_stats(self.path.with_suffix(".prof"))


async def poll(
    front: Front, stop: asyncio.Event, profile: Path | None, channel: TelegramChannel | None = None
) -> None:
    """Take updates until `stop` is set: the full stack with its own poller and courier, as
    `ehrenamt run` does; the echo bot with the framework's polling."""
    await front.start()
    profiler = Profile(profile) if profile is not None else None
    try:
        if channel is not None:
            for language, commands in channel.command_menus().items():
                await front.transport.set_commands(commands, language)
        await front.transport.delete_webhook()
        if profiler is not None:  # the measurement starts with SIGUSR1, after the warm-up
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, profiler.enable)
        if channel is None:
            await echo_polling(front, stop)
            return
        poller = Poller(front.transport, front.process, Counts())
        await asyncio.gather(poller.run(stop), channel.courier.run(stop))
        await channel.courier.close()
    finally:
        if profiler is not None:
            profiler.save()
        await front.stop()


async def echo_polling(front: Front, stop: asyncio.Event) -> None:
    """The framework's own polling loop, until `stop` is set."""
    if isinstance(front, PtbFront):
        # The bot's application has no updater (polling is `Poller`'s); the echo bot gets
        # python-telegram-bot's own, feeding the application that `front.start()` started.
        from telegram.ext import Updater

        updater = Updater(front.application.bot, front.application.update_queue)
        async with updater:
            await updater.start_polling(poll_interval=0, timeout=10)
            await stop.wait()
            await updater.stop()
    elif isinstance(front, AiogramFront):
        polling = asyncio.create_task(
            front.dispatcher.start_polling(front.bot, handle_signals=False, close_bot_session=False)
        )
        await stop.wait()
        await front.dispatcher.stop_polling()
        await polling


async def serve_main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{args.database}",
        telegram_bot_token=TOKEN,
        telegram_api_url=args.api_url,
        bot_framework=args.framework_list[0],
        _env_file=None,
    )
    await serve(settings, args.serve, stop, args.profile_to)
