"""`ehrenamt run`: the bot on Telegram, with python-telegram-bot or aiogram, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.channels.telegram.channel import TelegramChannel, user_key
from bot.channels.telegram.sender import Sender
from bot.channels.telegram.transport import Transport
from bot.channels.telegram.webhook import start_webhook_server
from bot.config import Settings
from exchange.people import mark_unreachable
from push.deliver import Audience
from push.jobs import TickReport, start_scheduler, tick

log = logging.getLogger(__name__)

TELEGRAM_AUDIENCE = Audience(key_prefix="telegram:")


class Front(Protocol):
    """What differs between the frameworks once the channel exists."""

    transport: Transport

    def attach(self, channel: TelegramChannel) -> None: ...

    async def start(self) -> None: ...

    async def start_polling(self) -> None: ...

    async def feed(self, update: dict[str, Any]) -> None: ...

    async def stop(self) -> None: ...


class PtbFront:
    def __init__(self, token: str, api_url: str) -> None:
        from bot.channels.telegram import front_ptb

        self._module = front_ptb
        self.application = front_ptb.build_application(token, api_url)
        self.transport: Transport = front_ptb.PtbTransport(self.application)
        self._polling = False

    def attach(self, channel: TelegramChannel) -> None:
        self._module.add_handlers(self.application, channel)

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.start()

    async def start_polling(self) -> None:
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            poll_interval=0, timeout=10, allowed_updates=["message", "callback_query"]
        )
        self._polling = True

    async def feed(self, update: dict[str, Any]) -> None:
        await self._module.feed(self.application, update)

    async def stop(self) -> None:
        if self._polling and self.application.updater is not None:
            await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()


class AiogramFront:
    def __init__(self, token: str, api_url: str) -> None:
        from bot.channels.telegram import front_aiogram

        self._module = front_aiogram
        self.bot = front_aiogram.build_bot(token, api_url)
        self.transport: Transport = front_aiogram.AiogramTransport(self.bot)
        self._polling: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def attach(self, channel: TelegramChannel) -> None:
        self.dispatcher = self._module.build_dispatcher(channel)

    async def start(self) -> None:
        await self.bot.get_me()

    async def start_polling(self) -> None:
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(self.bot, handle_signals=False, close_bot_session=False)
        )

    async def feed(self, update: dict[str, Any]) -> None:
        # Answer Telegram at once; updates of one person still run in order (the core locks per person).
        task = asyncio.create_task(self.dispatcher.feed_raw_update(self.bot, update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._polling is not None:
            await self.dispatcher.stop_polling()
            await self._polling
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bot.session.close()


def build_front(settings: Settings) -> Front:
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    if settings.bot_framework == "aiogram":
        return AiogramFront(token, settings.telegram_api_url)
    return PtbFront(token, settings.telegram_api_url)


class TelegramBot:
    """One framework's front end, the channel over it and the sender keeping Telegram's limits."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.front = build_front(app.settings)

        async def unreachable(chat_id: int) -> None:
            async with app.sessions() as session, session.begin():
                await mark_unreachable(session, user_key(chat_id), app.core.clock())

        sender = Sender(self.front.transport, on_unreachable=unreachable)
        self.channel = TelegramChannel(app.core, app.translator, sender)
        self.front.attach(self.channel)
        self._webhook: web.AppRunner | None = None
        self._scheduler: AsyncIOScheduler | None = None

    async def start(self, *, receive: bool = True, schedule: bool = True) -> None:
        """Connect; then take updates (polling or webhook) and run the scheduled pushes."""
        await self.front.start()
        if schedule:
            self._scheduler = start_scheduler(self.app.pushing, self.channel, TELEGRAM_AUDIENCE)
        if not receive:
            return
        settings = self.app.settings
        for language, commands in self.channel.command_menus().items():
            await self.front.transport.set_commands(commands, language)
        if settings.webhook_url:
            assert settings.webhook_secret is not None
            secret = settings.webhook_secret.get_secret_value()
            host, port = settings.webhook_host_port
            path = urlsplit(settings.webhook_url).path or "/"
            self._webhook = await start_webhook_server(host, port, path, secret, self.front.feed)
            await self.front.transport.set_webhook(settings.webhook_url, secret)
            log.info("webhook mode with %s", settings.bot_framework)
        else:
            await self.front.transport.delete_webhook()
            await self.front.start_polling()
            log.info("polling with %s", settings.bot_framework)

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._webhook is not None:
            await self._webhook.cleanup()
        await self.front.stop()


async def run_telegram(app: App, stop: asyncio.Event) -> None:
    """Serve Telegram until `stop` is set; also run the scheduled pushes unless told not to."""
    bot = TelegramBot(app)
    await bot.start(schedule=app.settings.run_scheduler)
    try:
        await stop.wait()
    finally:
        await bot.stop()


async def run_scheduler(app: App, stop: asyncio.Event) -> None:
    """Only the scheduled pushes, for deployments whose bot workers run without a scheduler."""
    bot = TelegramBot(app)
    await bot.start(receive=False)
    try:
        await stop.wait()
    finally:
        await bot.stop()


async def push_now(app: App) -> TickReport:
    """Run everything that is due once, sending through Telegram if a token is set."""
    if app.settings.telegram_bot_token is None:
        return await tick(app.pushing, None, TELEGRAM_AUDIENCE)
    bot = TelegramBot(app)
    await bot.start(receive=False, schedule=False)
    try:
        return await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
    finally:
        await bot.stop()
