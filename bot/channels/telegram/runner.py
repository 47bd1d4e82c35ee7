"""`ehrenamt run`: the bot on Telegram, with python-telegram-bot or aiogram, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol
from urllib.parse import urlsplit

from bot.app import App
from bot.channels.telegram.channel import TelegramChannel, user_key
from bot.channels.telegram.sender import Sender
from bot.channels.telegram.transport import Transport
from bot.channels.telegram.webhook import start_webhook_server
from bot.config import Settings
from push.deliver import Audience
from push.jobs import TickReport, start_scheduler, tick
from storage.queries import mark_unreachable

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


def telegram_channel(app: App, front: Front) -> TelegramChannel:
    """The channel over a framework's transport, with the sender that keeps Telegram's limits."""

    async def unreachable(chat_id: int) -> None:
        await mark_unreachable(app.sessions, user_key(chat_id), app.core.clock())

    sender = Sender(front.transport, on_unreachable=unreachable)
    return TelegramChannel(app.core, app.translator, sender)


async def run_telegram(app: App, stop: asyncio.Event) -> None:
    """Serve Telegram until `stop` is set; also run the scheduled pushes unless told not to."""
    settings = app.settings
    front = build_front(settings)
    channel = telegram_channel(app, front)
    front.attach(channel)
    await front.start()
    webhook = None
    scheduler = None
    try:
        if settings.run_scheduler:
            scheduler = start_scheduler(app, channel, TELEGRAM_AUDIENCE)
        for language, commands in channel.command_menus().items():
            await front.transport.set_commands(commands, language)
        if settings.webhook_url:
            assert settings.webhook_secret is not None
            secret = settings.webhook_secret.get_secret_value()
            host, port = settings.webhook_host_port
            path = urlsplit(settings.webhook_url).path or "/"
            webhook = await start_webhook_server(host, port, path, secret, front.feed)
            await front.transport.set_webhook(settings.webhook_url, secret)
            log.info("webhook mode with %s", settings.bot_framework)
        else:
            await front.transport.delete_webhook()
            await front.start_polling()
            log.info("polling with %s", settings.bot_framework)
        await stop.wait()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if webhook is not None:
            await webhook.cleanup()
        await front.stop()


async def run_scheduler(app: App, stop: asyncio.Event) -> None:
    """Only the scheduled pushes, for deployments whose bot workers run without a scheduler."""
    front = build_front(app.settings)
    channel = telegram_channel(app, front)
    front.attach(channel)
    await front.start()
    scheduler = start_scheduler(app, channel, TELEGRAM_AUDIENCE)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await front.stop()


async def push_now(app: App) -> TickReport:
    """Run everything that is due once, sending through Telegram if a token is set."""
    if app.settings.telegram_bot_token is None:
        return await tick(app, None, TELEGRAM_AUDIENCE)
    front = build_front(app.settings)
    channel = telegram_channel(app, front)
    front.attach(channel)
    await front.start()
    try:
        return await tick(app, channel, TELEGRAM_AUDIENCE)
    finally:
        await front.stop()
