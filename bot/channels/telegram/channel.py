"""The Telegram side of the dialogue core, shared by both frameworks.

A framework adapter hands over the few fields of an update that matter; this module builds the
neutral `Incoming`, calls the core and sends the replies: inline keyboards for choices, a
location keyboard where a step asks for a place, the pressed message marked with the choice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.channels.telegram.sender import Sender
from bot.channels.telegram.transport import Markup, Transient
from engine.commands import DESCRIPTIONS
from engine.core import DialogueCore
from engine.i18n import Translator, _
from engine.types import Incoming, Location, Reply, Turn
from storage.outbox import Addressee

log = logging.getLogger(__name__)

KEY_PREFIX = "telegram:"


def user_key(user_id: int) -> str:
    return f"{KEY_PREFIX}{user_id}"


def chat_of(key: str) -> int | None:
    """The private chat id behind a Telegram user key, or None for other channels."""
    if not key.startswith(KEY_PREFIX):
        return None
    return int(key.removeprefix(KEY_PREFIX))


@dataclass(frozen=True)
class Pressed:
    """A button press: which callback to answer and which message carried the button."""

    callback_id: str
    message_id: int | None
    message_text: str | None


class TelegramChannel:
    def __init__(self, core: DialogueCore, translator: Translator, sender: Sender) -> None:
        self.core = core
        self.tr = translator
        self.sender = sender

    async def on_update(
        self, chat_id: int, incoming: Incoming, pressed: Pressed | None = None
    ) -> None:
        """Handle one update from a private chat."""
        # The button's spinner stops while the core works: the answer carries nothing the
        # person reads, so neither it nor the reply waits for the other.
        answered = (
            asyncio.ensure_future(self.sender.answer_callback(pressed.callback_id))
            if pressed is not None
            else None
        )
        try:
            await self._respond(chat_id, incoming, pressed)
        finally:
            if answered is not None:
                await answered

    async def _respond(self, chat_id: int, incoming: Incoming, pressed: Pressed | None) -> None:
        try:
            turn = await self.core.handle(incoming)
        except Exception:
            # Nothing was stored (the transaction rolled back); say so rather than stay silent.
            log.exception("handling an update failed")
            language = self.tr.resolve(incoming.language_code)
            text = _("Sorry, something went wrong on our side. Please try again in a moment.")
            await self.sender.send_message(chat_id, self.tr.render(text, language))
            return
        if pressed is not None and pressed.message_id is not None:
            if turn.replace and len(turn.replies) == 1:
                await self._replace(chat_id, pressed.message_id, turn.replies[0])
                return
            await self._mark_choice(chat_id, pressed, turn)
        for reply in turn.replies:
            await self.send(chat_id, reply)

    async def _replace(self, chat_id: int, message_id: int, reply: Reply) -> None:
        """Update the pressed message in place: same question, buttons with the new ✓ marks."""
        text = self.tr.render(reply.text, reply.language)
        markup = self.markup(reply)
        if markup is not None and "inline_keyboard" not in markup:
            await self.send(chat_id, reply)  # a reply keyboard cannot be edited in
            return
        await self.sender.edit_message(chat_id, message_id, text[:4096], markup)

    async def _mark_choice(self, chat_id: int, pressed: Pressed, turn: Turn) -> None:
        """Show the choice under the question and drop its keyboard, so the chat reads as a record."""
        if turn.chosen is None or turn.language is None or pressed.message_id is None:
            return
        label = self.tr.render(turn.chosen, turn.language)
        text = f"{pressed.message_text or ''}\n\n✓ {label}".strip()
        await self.sender.edit_message(chat_id, pressed.message_id, text[:4096])

    async def send(self, chat_id: int, reply: Reply) -> int | None:
        """Render a reply in its language and send it; the way out for replies and pushes alike."""
        text = self.tr.render(reply.text, reply.language)
        if reply.file is not None:
            return await self.sender.send_document(
                chat_id, reply.file.filename, reply.file.content, text[:1024]
            )
        return await self.sender.send_message(chat_id, text[:4096], self.markup(reply))

    async def push(self, user: Addressee, reply: Reply) -> bool:
        """Deliver a scheduled push (the `Outbound` of the outbox); False means try again later."""
        chat_id = chat_of(user.key)
        if chat_id is None:
            return True
        try:
            await self.send(chat_id, reply)
        except Transient:
            return False
        return True

    def markup(self, reply: Reply) -> Markup | None:
        language = reply.language
        if reply.request_location:
            # A location can only be asked for with a reply keyboard; its other buttons become
            # reply-keyboard buttons whose text the core recognises as the button.
            rows = [
                [
                    {
                        "text": self.tr.render(_("📍 Share my location"), language),
                        "request_location": True,
                    }
                ]
            ]
            rows += [
                [{"text": self.tr.render(b.label, language)} for b in row] for row in reply.buttons
            ]
            return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
        if not reply.buttons:
            return None
        return {
            "inline_keyboard": [
                [
                    {"text": self.tr.render(b.label, language), "callback_data": b.payload}
                    for b in row
                ]
                for row in reply.buttons
            ]
        }

    def command_menus(self) -> dict[str | None, list[tuple[str, str]]]:
        """The command menu per language; None is everyone else, who gets the default language."""
        menus: dict[str | None, list[tuple[str, str]]] = {}
        for language in [None, *self.tr.languages]:
            rendered = self.tr.default if language is None else language
            menus[language] = [
                (command, self.tr.render(description, rendered))
                for command, description in DESCRIPTIONS.items()
            ]
        return menus


def incoming_message(
    user_id: int,
    *,
    text: str | None,
    location: tuple[float, float] | None,
    language_code: str | None,
) -> Incoming:
    """Build an incoming message from a Telegram message; without text or location it is an attachment."""
    return Incoming(
        user_key=user_key(user_id),
        text=text,
        location=Location(*location) if location else None,
        attachment=None if text is not None or location else "other",
        language_code=language_code,
    )


def incoming_press(user_id: int, data: str, language_code: str | None) -> Incoming:
    return Incoming(user_key=user_key(user_id), payload=data, language_code=language_code)
