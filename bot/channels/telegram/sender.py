"""Sending to Telegram within its limits, retrying what can be retried and never dropping a message.

At most `overall_per_second` messages leave the bot per second and at most one per
`per_chat_interval` seconds goes to any one chat, whichever framework runs. A 429 is waited out and
retried; a 403 marks the person unreachable; network errors are retried with growing pauses.
Messages to one chat keep their order. This is the one way out for replies and scheduled pushes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.channels.telegram.transport import (
    Markup,
    Rejected,
    RetryLater,
    SendError,
    Transient,
    Transport,
    Unreachable,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class Spacer:
    """Hands out send slots at least `interval` seconds apart (a strict rate, no bursts)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._next = 0.0

    def reserve(self) -> float:
        """Reserve the next slot; returns how long to wait for it."""
        now = self.clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    @property
    def free_at(self) -> float:
        return self._next

    def hold(self, seconds: float) -> None:
        """Push every future slot back, after Telegram asked us to slow down."""
        self._next = max(self._next, self.clock() + seconds)


class Sender:
    def __init__(
        self,
        transport: Transport,
        *,
        on_unreachable: Callable[[int], Awaitable[None]],
        overall_per_second: float = 30.0,
        per_chat_interval: float = 1.0,
        max_transient_retries: int = 6,
        first_backoff: float = 0.5,
    ) -> None:
        self.transport = transport
        self.on_unreachable = on_unreachable
        self.overall = Spacer(1.0 / overall_per_second)
        self.per_chat_interval = per_chat_interval
        self.max_transient_retries = max_transient_retries
        self.first_backoff = first_backoff
        self._chats: dict[int, _Chat] = {}

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= _PRUNE_AT:
                self._forget_idle_chats()
            chat = self._chats[chat_id] = _Chat(Spacer(self.per_chat_interval))
        return chat

    def _forget_idle_chats(self) -> None:
        """Drop chats whose next slot has passed: they would start afresh anyway."""
        now = time.monotonic()
        for chat_id, chat in list(self._chats.items()):
            if not chat.lock.locked() and chat.spacer.free_at <= now:
                del self._chats[chat_id]

    async def send_message(
        self, chat_id: int, text: str, markup: Markup | None = None
    ) -> int | None:
        """Send a message; returns its id, or None if the person cannot be reached or it was refused."""
        return await self._deliver(
            chat_id, lambda: self.transport.send_message(chat_id, text, markup), counts=True
        )

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str | None = None
    ) -> int | None:
        return await self._deliver(
            chat_id,
            lambda: self.transport.send_document(chat_id, filename, content, caption),
            counts=True,
        )

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: Markup | None = None
    ) -> None:
        """Edit a message in place; edits keep their order with the chat's messages."""
        await self._deliver(
            chat_id,
            lambda: self.transport.edit_message(chat_id, message_id, text, markup),
            counts=False,
        )

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the button's spinner; a failure here must not stop the reply."""
        try:
            await self._retrying(lambda: self.transport.answer_callback(callback_id))
        except SendError as error:
            log.warning("could not answer a callback query: %s", type(error).__name__)

    async def _deliver(
        self, chat_id: int, call: Callable[[], Awaitable[T]], *, counts: bool
    ) -> T | None:
        chat = self._chat(chat_id)
        async with chat.lock:
            if counts:
                await _pause(chat.spacer.reserve())
            try:
                return await self._retrying(call, chat.spacer)
            except Unreachable:
                log.info("chat is unreachable; marking it")
                await self.on_unreachable(chat_id)
            except Rejected as error:
                log.warning("Telegram refused a request: %s", error)
            return None

    async def _retrying(self, call: Callable[[], Awaitable[T]], chat: Spacer | None = None) -> T:
        transient_failures = 0
        while True:
            await _pause(self.overall.reserve())
            try:
                return await call()
            except RetryLater as error:
                log.info("Telegram asked to wait %.1fs", error.seconds)
                self.overall.hold(error.seconds)
                if chat is not None:
                    chat.hold(error.seconds)
                await asyncio.sleep(error.seconds)
            except Transient as error:
                transient_failures += 1
                if transient_failures > self.max_transient_retries:
                    raise
                pause = self.first_backoff * 2 ** (transient_failures - 1)
                log.info("network trouble (%s); retrying in %.1fs", error, pause)
                await asyncio.sleep(pause)


_PRUNE_AT = 10_000


async def _pause(seconds: float) -> None:
    """Wait for a send slot; a slot that is free now costs no trip through the event loop."""
    if seconds > 0:
        await asyncio.sleep(seconds)


class _Chat:
    __slots__ = ("lock", "spacer")

    def __init__(self, spacer: Spacer) -> None:
        self.lock = asyncio.Lock()
        self.spacer = spacer
