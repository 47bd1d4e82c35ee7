"""A chat in the terminal: the same dialogues a Telegram user gets, buttons as numbered choices.

Type a number to press a button, or any text. `:location LAT LON` shares a location, `:voice`
and `:photo` stand for a voice message and a photo, `:sticker` sends what Telegram users sometimes
send instead of text, `:quit` (or end of input) leaves. Works interactively and with piped input,
so a dialogue can be scripted.

Pushes for the person at the keyboard (offers, reminders, news about their requests) appear
between their messages: after every message the scheduled work runs once, as the scheduler would.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

from bot.app import App
from engine.i18n import _
from engine.types import Incoming, Location, Reply, Turn
from push.deliver import Audience
from push.jobs import tick
from storage.outbox import Addressee

ATTACHMENTS = {":sticker": "sticker"}
VOICE = ":voice"  # stands for a voice message (the console has no recording to forward)
PHOTO = ":photo"  # stands for a photo (the console has no picture to forward)


class ConsoleChannel:
    def __init__(
        self,
        app: App,
        *,
        user: str,
        language_code: str | None,
        output: TextIO = sys.stdout,
    ) -> None:
        self.app = app
        self.core = app.core
        self.tr = app.translator
        self.user_key = f"console:{user}"
        self.language_code = language_code
        self.out = output
        self._keyboard: list[str] = []

    def to_incoming(self, line: str) -> Incoming | None:
        """Turn a typed line into an incoming message; None for a line that is not understood."""
        text = line.strip()
        base = Incoming(user_key=self.user_key, language_code=self.language_code)
        if text.isdigit() and 1 <= int(text) <= len(self._keyboard):
            return replace(base, payload=self._keyboard[int(text) - 1])
        if text.startswith(":location"):
            try:
                lat, lon = (float(part) for part in text.split()[1:3])
            except ValueError:
                return None
            return replace(base, location=Location(lat, lon))
        if text == VOICE:
            return replace(base, voice=f"console-voice-{self.user_key}")
        if text == PHOTO:
            return replace(base, photo=f"console-photo-{self.user_key}")
        if text in ATTACHMENTS:
            return replace(base, attachment=ATTACHMENTS[text])
        return replace(base, text=text)

    def show(self, turn: Turn) -> None:
        if turn.chosen is not None and turn.language is not None:
            self.out.write(f"  ✓ {self.tr.render(turn.chosen, turn.language)}\n")
        for reply in turn.replies:
            self._show_reply(reply)
        self.out.flush()

    def _show_reply(self, reply: Reply) -> None:
        text = self.tr.render(reply.text, reply.language)
        if reply.photo is not None:
            text = f"📷 {text}".rstrip()  # the console cannot show the picture itself
        self.out.write("\n" + text + "\n")
        self._keyboard = []
        for row in reply.buttons:
            cells = []
            for button in row:
                self._keyboard.append(button.payload)
                label = self.tr.render(button.label, reply.language)
                cells.append(f"[{len(self._keyboard)}] {label}")
            self.out.write("  " + "   ".join(cells) + "\n")
        if reply.request_location:
            self.out.write("  (:location LAT LON)\n")
        if reply.venue is not None:
            venue = reply.venue
            self.out.write(
                f"📍 {venue.title}, {venue.address} ({venue.latitude:.5f}, {venue.longitude:.5f})\n"
            )

    async def push(self, user: Addressee, reply: Reply) -> bool:
        """Show a push (the `Outbound` of the outbox for this console's person)."""
        self._show_reply(reply)
        self.out.flush()
        return True

    async def deliver_pushes(self) -> None:
        await tick(self.app.pushing, self, Audience(user_key=self.user_key))

    async def run(self, read_line: Callable[[], str], *, echo: bool) -> None:
        """Read lines until end of input or `:quit`, answering each."""
        loop = asyncio.get_running_loop()
        # One line of help first: the console waits for its first line, and a newcomer would
        # otherwise face a bare prompt.
        hint = _("💡 Type /start to begin. Type a button's number to press it; :quit leaves.")
        self.out.write(f"{self.tr.render(hint, self.tr.resolve(self.language_code))}\n")
        await self.deliver_pushes()
        while True:
            if not echo:
                self.out.write("> ")
                self.out.flush()
            line = await loop.run_in_executor(None, read_line)
            if not line or line.strip() == ":quit":
                break
            if echo:
                self.out.write(f"> {line.rstrip()}\n")
            incoming = self.to_incoming(line)
            if incoming is None:
                self.out.write("  :location LAT LON\n")
                continue
            if incoming.text == "" and incoming.payload is None:
                continue
            self.show(await self.core.handle(incoming))
            await self.deliver_pushes()
