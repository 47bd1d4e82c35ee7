"""The aiogram front end: converts its updates, implements `Transport` with its bot."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from aiogram import Bot, Dispatcher, F, Router, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from aiohttp import FormData

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


class RawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, answered as plain JSON: each update is read on its own (`process`), so one
    that aiogram cannot read does not hold up the others."""

    __returning__: ClassVar[Any] = list[dict[str, Any]]
    __api_method__: ClassVar[str] = "getUpdates"

    offset: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


# aiogram builds a pydantic model `Response[T]` for every API call; pydantic caches it only weakly,
# so under load it is rebuilt again and again (tens of milliseconds each). Holding the models of
# the methods we call keeps them built.
_RESPONSE_MODELS = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        methods.GetUpdates,
        methods.SendMessage,
        methods.EditMessageText,
        methods.AnswerCallbackQuery,
        methods.SendDocument,
        methods.SetMyCommands,
        methods.GetMe,
        methods.DeleteWebhook,
        methods.SetWebhook,
        RawUpdates,
    )
)


# Keyboards built into aiogram's models, by their JSON: the same questions are asked again and
# again, and validating a keyboard of ten buttons costs as much as sending the message.
KEYBOARDS_KEPT = 512


@dataclass(frozen=True, slots=True)
class _Sent:
    """What the bot reads of a message it sent: its id."""

    message_id: int


@dataclass(frozen=True, slots=True)
class _Answered:
    result: Any


# Calls whose answer the bot reads no more of than a message id. aiogram validates every answer
# into its full pydantic model (the message, its chat, its sender, the keyboard sent with it);
# for these calls, which are most of what the bot sends, that was a seventh of its time.
_LEAN = (methods.SendMessage, methods.EditMessageText, methods.AnswerCallbackQuery)


class LeanSession(AiohttpSession):
    """aiogram's session, reading of a successful send, edit or callback answer only what the bot
    uses; every other answer, and every error, goes through aiogram's own checks. A keyboard the
    bot sends again and again (see `AiogramTransport._markup`) is serialized once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # id of a keyboard -> (the keyboard, kept so that its id is not reused; its form value)
        self._markups: dict[int, tuple[Any, str]] = {}

    def build_form_data(self, bot: Bot, method: methods.TelegramMethod[Any]) -> FormData:
        markup = getattr(method, "reply_markup", None)
        if not isinstance(method, _LEAN) or markup is None:
            return super().build_form_data(bot, method)
        form = FormData(quote_fields=False)
        for key, value in method.model_dump(warnings=False, exclude={"reply_markup"}).items():
            prepared = self.prepare_value(value, bot=bot, files={})
            if prepared:
                form.add_field(key, prepared)
        form.add_field("reply_markup", self._markup_form(bot, markup))
        return form

    def _markup_form(self, bot: Bot, markup: Any) -> str:
        kept = self._markups.get(id(markup))
        if kept is None or kept[0] is not markup:
            if len(self._markups) >= KEYBOARDS_KEPT:
                self._markups.clear()
            value = self.prepare_value(markup.model_dump(warnings=False), bot=bot, files={})
            kept = self._markups[id(markup)] = (markup, value)
        return kept[1]

    def check_response(
        self, bot: Bot, method: methods.TelegramMethod[Any], status_code: int, content: str
    ) -> Any:
        if isinstance(method, _LEAN) and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                data = self.json_loads(content)
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("ok") is True:
                result = data.get("result")
                if isinstance(result, dict) and isinstance(result.get("message_id"), int):
                    return _Answered(_Sent(result["message_id"]))
                if isinstance(result, bool):
                    return _Answered(result)
        return super().check_response(bot, method, status_code, content)


def build_bot(token: str, api_url: str) -> Bot:
    session = LeanSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")))
    return Bot(token, session=session)


class AiogramTransport:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._keyboards: dict[str, Any] = {}

    def _markup(self, markup: Markup | None) -> Any:
        if markup is None:
            return None
        key = json.dumps(markup, ensure_ascii=False)
        built = self._keyboards.get(key)
        if built is None:
            if len(self._keyboards) >= KEYBOARDS_KEPT:
                self._keyboards.clear()
            built = self._keyboards[key] = self._build_markup(markup)
        return built

    @staticmethod
    def _build_markup(markup: Markup) -> Any:
        if "inline_keyboard" in markup:
            return InlineKeyboardMarkup.model_validate(markup)
        if "keyboard" in markup:
            return ReplyKeyboardMarkup.model_validate(markup)
        return ReplyKeyboardRemove()

    @staticmethod
    async def _call(call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except TelegramRetryAfter as error:
            raise RetryLater(float(error.retry_after)) from error
        except TelegramForbiddenError as error:
            raise Unreachable(error.message) from error
        except TelegramBadRequest as error:
            raise Rejected(error.message) from error
        except (TelegramNetworkError, TelegramServerError) as error:
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
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=self._markup(markup)
            )
        )

    async def answer_callback(self, callback_id: str) -> None:
        await self._call(lambda: self.bot.answer_callback_query(callback_id))

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str | None
    ) -> int:
        document = BufferedInputFile(content, filename=filename)
        message = await self._call(
            lambda: self.bot.send_document(chat_id, document, caption=caption)
        )
        return int(message.message_id)

    async def download(self, file_id: str) -> bytes:
        file = await self._call(lambda: self.bot.get_file(file_id))
        if file.file_path is None:
            raise Rejected(f"no path for file {file_id}")
        buffer = await self._call(lambda: self.bot.download_file(file.file_path))
        return bytes(buffer.getvalue()) if buffer is not None else b""

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
                [BotCommand(command=name, description=text) for name, text in commands],
                language_code=language,
            )
        )

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._call(
            lambda: self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        )

    async def get_updates(self, offset: int | None, timeout: int) -> list[RawUpdate]:  # noqa: ASYNC109
        method = RawUpdates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
        result = await self._call(lambda: self.bot(method, request_timeout=timeout + 10))
        return [update for update in result if isinstance(update, dict)]

    async def delete_webhook(self) -> None:
        await self._call(lambda: self.bot.delete_webhook())


def build_dispatcher(channel: TelegramChannel) -> Dispatcher:
    """Route private messages and button presses to the channel."""
    router = Router()

    @router.message(F.chat.type == "private")
    async def on_message(message: Message, event_update: Update) -> None:
        user = message.from_user
        if user is None:
            return
        location = message.location
        incoming = incoming_message(
            user.id,
            text=message.text,
            location=(location.latitude, location.longitude) if location else None,
            language_code=user.language_code,
            update_id=event_update.update_id,
            voice=message.voice.file_id if message.voice else None,
            photo=message.photo[-1].file_id if message.photo else None,
            document=received_file(message.document),
        )
        await channel.on_update(message.chat.id, incoming)

    @router.callback_query()
    async def on_press(query: CallbackQuery, event_update: Update) -> None:
        message = query.message
        if not isinstance(message, Message) or message.chat.type != "private" or query.data is None:
            await channel.sender.answer_callback(query.id)
            return
        media = bool(message.photo or message.voice)
        text = message.caption if media else message.text
        pressed = Pressed(query.id, message.message_id, text, media)
        user = query.from_user
        incoming = incoming_press(
            user.id, query.data, user.language_code, update_id=event_update.update_id
        )
        await channel.on_update(message.chat.id, incoming, pressed)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def process(dispatcher: Dispatcher, bot: Bot, data: RawUpdate) -> None:
    """Read one update and handle it; returns once its step is stored."""
    try:
        update = Update.model_validate(data, context={"bot": bot})
    except Exception as error:
        raise BadUpdate(type(error).__name__) from None
    await dispatcher.feed_update(bot, update)
