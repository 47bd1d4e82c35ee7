"""`ehrenamt run`: the bot on Telegram, with python-telegram-bot or aiogram, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web

from bot.app import App
from bot.channels.telegram.channel import TelegramChannel, user_key
from bot.channels.telegram.health import Vitals, start_health_server
from bot.channels.telegram.polling import Counts, Outage, Poller, Update, until_stopped
from bot.channels.telegram.sender import Sender
from bot.channels.telegram.transport import Transient, Transport
from bot.channels.telegram.webhook import start_webhook_server
from bot.config import ConfigError, Settings
from exchange.people import mark_unreachable
from push.deliver import Audience
from push.jobs import Scheduled, TickReport, start_scheduler, tick
from storage import budget

log = logging.getLogger(__name__)

TELEGRAM_AUDIENCE = Audience(key_prefix="telegram:")


class Front(Protocol):
    """What differs between the frameworks once the channel exists."""

    transport: Transport
    username: str | None  # the bot's, known once started

    def attach(self, channel: TelegramChannel) -> None: ...

    async def start(self) -> None:
        """Connect (the framework asks the Bot API who the bot is)."""

    async def process(self, update: Update) -> None:
        """Read one update and handle it (`BadUpdate` if it cannot be read); returns once its
        step is stored."""

    async def stop(self) -> None: ...


class PtbFront:
    username: str | None = None

    def __init__(self, token: str, api_url: str) -> None:
        from bot.channels.telegram import front_ptb

        self._module = front_ptb
        self.application = front_ptb.build_application(token, api_url)
        self.transport: Transport = front_ptb.PtbTransport(self.application)

    def attach(self, channel: TelegramChannel) -> None:
        self._module.add_handlers(self.application, channel)

    async def start(self) -> None:
        try:
            await self.application.initialize()
        except Exception as error:
            raise Transient(type(error).__name__) from error
        self.username = self.application.bot.username
        await self.application.start()

    async def process(self, update: Update) -> None:
        await self._module.process(self.application, update)

    async def stop(self) -> None:
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()


class AiogramFront:
    username: str | None = None

    def __init__(self, token: str, api_url: str) -> None:
        from bot.channels.telegram import front_aiogram

        self._module = front_aiogram
        self.bot = front_aiogram.build_bot(token, api_url)
        self.transport: Transport = front_aiogram.AiogramTransport(self.bot)

    def attach(self, channel: TelegramChannel) -> None:
        self.dispatcher = self._module.build_dispatcher(channel)

    async def start(self) -> None:
        try:
            self.username = (await self.bot.get_me()).username
        except Exception as error:
            raise Transient(type(error).__name__) from error

    async def process(self, update: Update) -> None:
        await self._module.process(self.dispatcher, self.bot, update)

    async def stop(self) -> None:
        await self.bot.session.close()


def start_link(username: str) -> Callable[[str], str]:
    """A deep link that opens the bot with a start code (an invitation)."""
    return lambda code: f"https://t.me/{username}?start={code}"


def build_front(settings: Settings) -> Front:
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    try:
        if settings.bot_framework == "aiogram":
            return AiogramFront(token, settings.telegram_api_url)
        return PtbFront(token, settings.telegram_api_url)
    except ModuleNotFoundError as error:
        # Each framework is an extra: a deployment installs the one it runs.
        raise ConfigError(
            f"BOT_FRAMEWORK={settings.bot_framework} needs {error.name}, which is not installed: "
            f"pip install 'ehrenamtsboerse[{settings.bot_framework}]'"
        ) from None


class TelegramBot:
    """One framework's front end, the channel over it and the sender keeping Telegram's limits."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.front = build_front(app.settings)

        async def unreachable(chat_id: int) -> None:
            async with app.sessions() as session, session.begin():
                await mark_unreachable(session, user_key(chat_id), app.core.clock())

        sender = Sender(
            self.front.transport,
            on_unreachable=unreachable,
            overall_per_second=app.settings.telegram_messages_per_second,
            paid_per_second=app.settings.telegram_paid_broadcasts_per_second,
            # Several workers on PostgreSQL share the bot's budget through the database.
            shared=(
                (partial(budget.reserve, app.sessions), partial(budget.hold, app.sessions))
                if app.engine.dialect.name == "postgresql"
                else None
            ),
        )
        self.channel = TelegramChannel(app.core, app.translator, sender)
        self.front.attach(self.channel)
        self.sender = sender
        self._webhook: web.AppRunner | None = None
        self._health: web.AppRunner | None = None
        self._scheduler: Scheduled | None = None
        self._stop = asyncio.Event()
        self._background: list[asyncio.Task[None]] = []
        self.counts = Counts()

    async def start(
        self, *, receive: bool = True, schedule: bool = True, stop: asyncio.Event | None = None
    ) -> bool:
        """Connect, waiting as long as the Bot API cannot be reached; then take updates (polling
        or webhook) and run the scheduled pushes. False if `stop` was set before it was up."""
        stop = stop or self._stop
        if not await _until_done(self.front.start, "starting", stop):
            return False
        if self.front.username:
            self.app.core.start_link = start_link(self.front.username)
        if schedule:
            self._scheduler = start_scheduler(self.app.pushing, self.channel, TELEGRAM_AUDIENCE)
        if not receive:
            return True
        await self._set_command_menus()
        settings = self.app.settings
        transport = self.front.transport
        if settings.webhook_url:
            assert settings.webhook_secret is not None
            secret = settings.webhook_secret.get_secret_value()
            host, port = settings.webhook_host_port
            path = urlsplit(settings.webhook_url).path or "/"
            self._webhook = await start_webhook_server(
                host, port, path, secret, self._process, self.counts, self.vitals()
            )
            url = settings.webhook_url
            if not await _until_done(lambda: transport.set_webhook(url, secret), "webhook", stop):
                return False
            log.info("webhook mode with %s", settings.bot_framework)
        else:
            if not await _until_done(transport.delete_webhook, "starting", stop):
                return False
            poller = Poller(transport, self._process, self.counts)
            self._background.append(asyncio.create_task(poller.run(self._stop)))
            log.info("polling with %s", settings.bot_framework)
            if settings.health_host_port is not None:
                host, port = settings.health_host_port
                self._health = await start_health_server(host, port, self.vitals())
        self._background.append(asyncio.create_task(self.channel.courier.run(self._stop)))
        return True

    async def _process(self, update: Update) -> None:
        """Handle an update; pushes about to be sent wait for it (replies go first)."""
        await self.sender.serve(self.front.process(update))

    def vitals(self) -> Vitals:
        """What the health checks and the metrics of this process read."""
        return Vitals(
            sessions=self.app.sessions,
            clock=self.app.core.clock,
            counts=self.counts,
            tally=self.channel.sender.tally,
            scheduler=lambda: self._scheduler,
            max_backlog=self.app.settings.ready_max_backlog,
        )

    async def _set_command_menus(self) -> None:
        """The command menu in each language; a failure here is no reason not to serve people."""
        for language, commands in self.channel.command_menus().items():
            try:
                await self.front.transport.set_commands(commands, language)
            except Exception as error:
                log.warning("could not set the command menu (%s)", type(error).__name__)

    async def stop(self) -> None:
        """Stop taking updates, let those begun be stored and their replies go out (what is not
        sent in a few seconds is kept for the next start), then disconnect."""
        self._stop.set()
        if self._webhook is not None:
            await self._webhook.cleanup()
        if self._health is not None:
            await self._health.cleanup()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._scheduler is not None:
            await self._scheduler.stop()
        await self.channel.courier.close()
        await self.front.stop()
        counts = self.counts
        if counts.handled or counts.skipped or counts.failed:
            log.info(
                "handled %d updates; skipped %d that could not be read; %d failed",
                counts.handled,
                counts.skipped,
                counts.failed,
            )


async def _until_done(call: Callable[[], Awaitable[Any]], what: str, stop: asyncio.Event) -> bool:
    """Make a start-up call, waiting with growing pauses while the Bot API cannot be reached;
    False if `stop` was set first."""
    outage = Outage(what)
    while not stop.is_set():
        try:
            await until_stopped(call(), stop)
        except Exception as error:
            await outage.wait(error, stop)
            continue
        outage.over()
        return not stop.is_set()
    return False


async def run_telegram(app: App, stop: asyncio.Event) -> None:
    """Serve Telegram until `stop` is set; also run the scheduled pushes unless told not to."""
    bot = TelegramBot(app)
    try:
        if await bot.start(schedule=app.settings.run_scheduler, stop=stop):
            await stop.wait()
    finally:
        await bot.stop()


async def run_scheduler(app: App, stop: asyncio.Event) -> None:
    """Only the scheduled pushes, for deployments whose bot workers run without a scheduler."""
    bot = TelegramBot(app)
    try:
        if await bot.start(receive=False, stop=stop):
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
