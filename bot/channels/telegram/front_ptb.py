"""The python-telegram-bot front end: converts its updates, implements `Transport` with its bot."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram import error as tg_error
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.channel import (
    Pressed,
    TelegramChannel,
    incoming_message,
    incoming_press,
    received_file,
)
from bot.channels.telegram.polling import ALLOWED_UPDATES, BadUpdate
from bot.channels.telegram.polling import Update as RawUpdate
from bot.channels.telegram.transport import Markup, Rejected, RetryLater, Transient, Unreachable

log = logging.getLogger(__name__)

Handler = Callable[[], Awaitable[Any]]


def build_application(token: str, api_url: str) -> Application[Any, Any, Any, Any, Any, Any]:
    root = api_url.rstrip("/")
    return (
        Application.builder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(True)
        .updater(None)  # polling is ours (`polling.Poller`): it confirms only what is stored
        .build()
    )


class PtbTransport:
    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.bot = application.bot

    def _markup(self, markup: Markup | None) -> Any:
        if markup is None:
            return None
        if "inline_keyboard" in markup:
            return InlineKeyboardMarkup.de_json(markup, self.bot)
        if "keyboard" in markup:
            return ReplyKeyboardMarkup.de_json(markup, self.bot)
        return ReplyKeyboardRemove()

    async def _call(self, call: Handler) -> Any:
        try:
            return await call()
        except tg_error.RetryAfter as error:
            wait = error.retry_after
            raise RetryLater(
                wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            ) from error
        except tg_error.Forbidden as error:
            raise Unreachable(str(error)) from error
        except tg_error.BadRequest as error:
            raise Rejected(str(error)) from error
        except (tg_error.TimedOut, tg_error.NetworkError) as error:
            raise Transient(str(error)) from error

    async def send_message(
        self, chat_id: int, text: str, markup: Markup | None, paid: bool = False
    ) -> int:
        message = await self._call(
            lambda: self.bot.send_message(
                chat_id,
                text,
                reply_markup=self._markup(markup),
                allow_paid_broadcast=paid or None,
            )
        )
        return int(message.message_id)

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: Markup | None
    ) -> None:
        await self._call(
            lambda: self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=self._markup(markup)
            )
        )

    async def answer_callback(self, callback_id: str) -> None:
        await self._call(lambda: self.bot.answer_callback_query(callback_id))

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str | None
    ) -> int:
        document = InputFile(content, filename=filename)
        message = await self._call(
            lambda: self.bot.send_document(chat_id, document, caption=caption)
        )
        return int(message.message_id)

    async def download(self, file_id: str) -> bytes:
        file = await self._call(lambda: self.bot.get_file(file_id))
        return bytes(await self._call(file.download_as_bytearray))

    async def edit_caption(
        self, chat_id: int, message_id: int, caption: str, markup: Markup | None
    ) -> None:
        await self._call(
            lambda: self.bot.edit_message_caption(
                chat_id=chat_id,
                message_id=message_id,
                caption=caption,
                reply_markup=self._markup(markup),
            )
        )

    async def send_voice(
        self, chat_id: int, voice: str, caption: str | None, markup: Markup | None
    ) -> int:
        message = await self._call(
            lambda: self.bot.send_voice(
                chat_id, voice=voice, caption=caption, reply_markup=self._markup(markup)
            )
        )
        return int(message.message_id)

    async def send_photo(
        self, chat_id: int, photo: str, caption: str | None, markup: Markup | None
    ) -> int:
        message = await self._call(
            lambda: self.bot.send_photo(
                chat_id, photo=photo, caption=caption, reply_markup=self._markup(markup)
            )
        )
        return int(message.message_id)

    async def send_venue(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        paid: bool = False,
    ) -> int:
        message = await self._call(
            lambda: self.bot.send_venue(
                chat_id,
                latitude=latitude,
                longitude=longitude,
                title=title,
                address=address,
                allow_paid_broadcast=paid or None,
            )
        )
        return int(message.message_id)

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None:
        await self._call(
            lambda: self.bot.set_my_commands(
                [BotCommand(name, description) for name, description in commands],
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
        )

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._call(
            lambda: self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        )

    async def get_updates(self, offset: int | None, timeout: int) -> list[RawUpdate]:  # noqa: ASYNC109
        """The next updates as plain JSON: each is read on its own (`process`), so one that the
        library cannot read does not hold up the others."""
        parameters: dict[str, Any] = {"timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            parameters["offset"] = offset
        with warnings.catch_warnings():
            # It suggests `get_updates`, which reads the whole batch or fails on it.
            warnings.simplefilter("ignore", PTBUserWarning)
            result = await self._call(
                lambda: self.bot.do_api_request(
                    "getUpdates", api_kwargs=parameters, read_timeout=timeout + 10
                )
            )
        return [update for update in result if isinstance(update, dict)]

    async def delete_webhook(self) -> None:
        await self._call(lambda: self.bot.delete_webhook())


def add_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], channel: TelegramChannel
) -> None:
    """Route private messages and button presses to the channel."""

    async def on_message(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        location = message.location
        incoming = incoming_message(
            user.id,
            text=message.text,
            location=(location.latitude, location.longitude) if location else None,
            language_code=user.language_code,
            update_id=update.update_id,
            voice=message.voice.file_id if message.voice else None,
            photo=message.photo[-1].file_id if message.photo else None,
            document=received_file(message.document),
        )
        await channel.on_update(message.chat.id, incoming)

    async def on_press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        message = query.message
        if message is None or message.chat.type != "private" or query.data is None:
            await channel.sender.answer_callback(query.id)
            return
        media = bool(getattr(message, "photo", None) or getattr(message, "voice", None))
        text = getattr(message, "caption" if media else "text", None)
        pressed = Pressed(query.id, message.message_id, text, media)
        incoming = incoming_press(
            user.id, query.data, user.language_code, update_id=update.update_id
        )
        await channel.on_update(message.chat.id, incoming, pressed)

    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, on_message)
    )
    application.add_handler(CallbackQueryHandler(on_press))

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The library would log the update with the error: people's names and texts.
        log.error("handling an update failed (%s)", type(context.error).__name__)

    application.add_error_handler(on_error)


async def process(application: Application[Any, Any, Any, Any, Any, Any], data: RawUpdate) -> None:
    """Read one update and handle it; returns once its step is stored."""
    try:
        update = Update.de_json(data, application.bot)
    except Exception as error:
        raise BadUpdate(type(error).__name__) from None
    await application.process_update(update)
