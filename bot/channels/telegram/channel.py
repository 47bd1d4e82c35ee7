"""The Telegram side of the dialogue core, shared by both frameworks.

A framework adapter hands over the few fields of an update that matter; this module builds the
neutral `Incoming`, calls the core and sends the replies: inline keyboards for choices, a
location keyboard where a step asks for a place, the pressed message marked with the choice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from bot.channels.courier import Courier
from bot.channels.telegram.sender import PUSH, REPLY, Sender
from bot.channels.telegram.transport import Markup, Transient
from engine.commands import DESCRIPTIONS
from engine.core import DialogueCore
from engine.i18n import Translator, _
from engine.types import Incoming, IncomingFile, Location, Reply, Turn
from storage import mentions
from storage.outbox import Addressee
from storage.replies import Outgoing, Pending

log = logging.getLogger(__name__)

KEY_PREFIX = "telegram:"
# What a message that showed a person's details says once that person erased their data.
REDACTED = _("🔒 This message showed details of a person who has since deleted their data.")


def user_key(user_id: int) -> str:
    return f"{KEY_PREFIX}{user_id}"


def chat_of(key: str) -> int | None:
    """The private chat id behind a Telegram user key, or None for other channels."""
    if not key.startswith(KEY_PREFIX):
        return None
    return int(key.removeprefix(KEY_PREFIX))


@dataclass(frozen=True)
class Pressed:
    """A button press: which callback to answer and which message carried the button.

    On a voice message or a photo (`media`) the message's text is its caption.
    """

    callback_id: str
    message_id: int | None
    message_text: str | None
    media: bool = False


class TelegramChannel:
    def __init__(self, core: DialogueCore, translator: Translator, sender: Sender) -> None:
        self.core = core
        self.tr = translator
        self.sender = sender

    @cached_property
    def courier(self) -> Courier:
        """Sends the replies the core stored, and those a process that died left unsent."""
        core = self.core
        return Courier(
            core.sessions,
            self.perform,
            worker=core.worker,
            lease=core.reply_lease,
            clock=core.clock,
            key_prefix=KEY_PREFIX,
        )

    async def on_update(
        self, chat_id: int, incoming: Incoming, pressed: Pressed | None = None
    ) -> None:
        """Handle one update from a private chat; returns once the step is stored with its
        replies, which go out in the background."""
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
            turn = await self.core.handle(
                incoming, lambda turn: self.render(chat_id, turn, pressed)
            )
        except Exception:
            # Nothing was stored (the transaction rolled back); say so rather than stay silent.
            log.exception("handling an update failed")
            language = self.tr.resolve(incoming.language_code)
            text = _("Sorry, something went wrong on our side. Please try again in a moment.")
            await self.sender.send_message(chat_id, self.tr.render(text, language))
            return
        if turn.queued:
            self.courier.deliver(incoming.user_key, turn.queued)

    def render(self, chat_id: int, turn: Turn, pressed: Pressed | None) -> list[Outgoing]:
        """The calls that deliver a turn: the pressed message marked with the choice (or, for a
        ✓ toggled, updated in place), then the replies."""
        if pressed is not None and pressed.message_id is not None:
            if turn.replace and len(turn.replies) == 1:
                reply = turn.replies[0]
                markup = self.markup(reply)
                if markup is None or "inline_keyboard" in markup:
                    text = self.tr.render(reply.text, reply.language)
                    return [_edit(chat_id, pressed.message_id, text, markup, pressed.media)]
                return [self._outgoing(chat_id, reply)]  # a reply keyboard cannot be edited in
            marked = self._marked(chat_id, pressed, turn)
            if marked is not None:
                return [marked, *(self._outgoing(chat_id, r) for r in turn.replies)]
        return [self._outgoing(chat_id, reply) for reply in turn.replies]

    def _marked(self, chat_id: int, pressed: Pressed, turn: Turn) -> Outgoing | None:
        """Show the choice under the question and drop its keyboard, so the chat reads as a record."""
        if turn.chosen is None or turn.language is None or pressed.message_id is None:
            return None
        label = self.tr.render(turn.chosen, turn.language)
        text = f"{pressed.message_text or ''}\n\n✓ {label}".strip()
        return _edit(chat_id, pressed.message_id, text, None, pressed.media)

    def _outgoing(self, chat_id: int, reply: Reply) -> Outgoing:
        text = self.tr.render(reply.text, reply.language)
        body: dict[str, Any] = {"chat": chat_id}
        if reply.file is not None:
            body |= {"call": "document", "filename": reply.file.filename, "caption": text[:1024]}
            return Outgoing(body, reply.file.content)
        body["markup"] = self.markup(reply)
        if reply.voice is not None:
            body |= {"call": "voice", "voice": reply.voice, "caption": text[:1024] or None}
        elif reply.photo is not None:
            body |= {"call": "photo", "photo": reply.photo, "caption": text[:1024] or None}
        else:
            body |= {"call": "send", "text": text[:4096]}
        if reply.broadcast:
            body["broadcast"] = True
        if reply.venue is not None:  # follows the message on the map
            venue = reply.venue
            body["venue"] = {
                "latitude": venue.latitude,
                "longitude": venue.longitude,
                "title": venue.title[:100],
                "address": venue.address[:200],
            }
        if reply.about:  # how to take the people's details out again, in the reader's language
            body["redacted"] = self.tr.render(REDACTED, reply.language)
        return Outgoing(body, about=reply.about)

    async def perform(self, reply: Pending) -> bool:
        """Make a stored reply's call (the courier's `Perform`); False to try again later."""
        body = reply.body
        chat_id = int(body["chat"])
        try:
            if body["call"] == "edit":
                await self.sender.edit_message(
                    chat_id, int(body["message"]), body["text"], body.get("markup")
                )
            elif body["call"] == "caption":
                await self.sender.edit_caption(
                    chat_id, int(body["message"]), body["text"], body.get("markup")
                )
            else:
                await self._send(reply.key, chat_id, body, reply.file, reply.about, REPLY)
        except Transient:
            return False
        return True

    async def _send(
        self,
        key: str,
        chat_id: int,
        body: dict[str, Any],
        file: bytes | None,
        about: tuple[int, ...],
        waiting: bool,
    ) -> None:
        """Send a rendered reply (`_outgoing`); `waiting` is REPLY, or PUSH for a push."""
        call, markup, caption = body["call"], body.get("markup"), body.get("caption")
        broadcast = bool(body.get("broadcast"))
        if call == "document":
            await self.sender.send_document(
                chat_id, body["filename"], file or b"", caption, reply=waiting
            )
            return
        if call == "voice":
            sent = await self.sender.send_voice(
                chat_id, body["voice"], caption, markup, reply=waiting
            )
        elif call == "photo":
            sent = await self.sender.send_photo(
                chat_id, body["photo"], caption, markup, reply=waiting
            )
        else:
            sent = await self.sender.send_message(
                chat_id, body["text"], markup, reply=waiting, broadcast=broadcast
            )
        venue = body.get("venue")
        if venue is not None:
            await self.sender.send_venue(
                chat_id,
                venue["latitude"],
                venue["longitude"],
                venue["title"],
                venue["address"],
                reply=waiting,
                broadcast=broadcast,
            )
        redacted = body.get("redacted")
        await self._mentions(key, chat_id, sent, about, redacted, media=call != "send")

    async def _mentions(
        self,
        key: str,
        chat_id: int,
        message_id: int | None,
        about: tuple[int, ...],
        redacted: str | None,
        *,
        media: bool = False,
    ) -> None:
        """Remember a sent message that shows people's details, to edit them out on erasure (the
        caption of a voice message or a photo)."""
        if about and message_id is not None and redacted:
            redaction = _edit(chat_id, message_id, redacted, None, media).body
            try:
                await mentions.record(self.core.sessions, about, key, redaction, self.core.clock())
            except Exception:
                # The message is out; failing here would send it again.
                log.exception("could not remember a message that shows someone's details")

    async def download(self, file_id: str) -> bytes:
        """The content of a file someone sent (for the scheduler, which keeps uploads)."""
        return await self.sender.transport.download(file_id)

    async def push(self, user: Addressee, reply: Reply) -> bool:
        """Deliver a scheduled push (the `Outbound` of the outbox), after the replies people are
        waiting for; False means try again later."""
        chat_id = chat_of(user.key)
        if chat_id is None:
            return True
        outgoing = self._outgoing(chat_id, reply)
        try:
            await self._send(user.key, chat_id, outgoing.body, outgoing.file, reply.about, PUSH)
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
        """The command menu per language; None is everyone else, who gets the default language.
        Telegram knows languages by two-letter codes only, so a variant (plain German) shares its
        language's menu."""
        menus: dict[str | None, list[tuple[str, str]]] = {}
        for language in [None, *(code for code in self.tr.languages if _TWO_LETTERS.match(code))]:
            rendered = self.tr.default if language is None else language
            menus[language] = [
                (command, self.tr.render(description, rendered))
                for command, description in DESCRIPTIONS.items()
            ]
        return menus


_TWO_LETTERS = re.compile(r"^[a-z]{2}$")


def _edit(
    chat_id: int, message_id: int, text: str, markup: Markup | None, media: bool = False
) -> Outgoing:
    """Edit a message's text, or the caption of a voice message or a photo (`media`)."""
    return Outgoing(
        {
            "call": "caption" if media else "edit",
            "chat": chat_id,
            "message": message_id,
            "text": text[:1024] if media else text[:4096],
            "markup": markup,
        }
    )


def update_key(update_id: int) -> str:
    """The key under which the core handles a Telegram update once."""
    return f"{KEY_PREFIX}{update_id}"


def incoming_message(
    user_id: int,
    *,
    text: str | None,
    location: tuple[float, float] | None,
    language_code: str | None,
    update_id: int,
    voice: str | None = None,
    photo: str | None = None,
    document: IncomingFile | None = None,
) -> Incoming:
    """Build an incoming message from a Telegram message; without text, location, voice, photo
    or document it is an attachment. `photo` is the id of the photo's largest size; a caption is
    not read."""
    sent = text is not None or location or voice or photo or document
    return Incoming(
        user_key=user_key(user_id),
        text=text,
        location=Location(*location) if location else None,
        voice=voice,
        photo=photo,
        document=document,
        attachment=None if sent else "other",
        language_code=language_code,
        update_key=update_key(update_id),
    )


class _Document(Protocol):
    """A Telegram document as both frameworks describe it."""

    @property
    def file_id(self) -> str: ...
    @property
    def file_name(self) -> str | None: ...
    @property
    def mime_type(self) -> str | None: ...
    @property
    def file_size(self) -> int | None: ...


def received_file(document: _Document | None) -> IncomingFile | None:
    if document is None:
        return None
    return IncomingFile(
        file_id=document.file_id,
        filename=document.file_name or "document",
        mime_type=document.mime_type or "application/octet-stream",
        size=document.file_size or 0,
    )


def incoming_press(
    user_id: int, data: str, language_code: str | None, *, update_id: int
) -> Incoming:
    return Incoming(
        user_key=user_key(user_id),
        payload=data,
        language_code=language_code,
        update_key=update_key(update_id),
    )
