"""Sending to Telegram within its limits, retrying what can be retried and never dropping a message.

At most `overall_per_second` messages leave the bot per second, and replies to people who are
waiting for them go before scheduled pushes. A chat gets a burst of `per_chat_burst` messages,
then one per `per_chat_interval` seconds. Answers to button presses cost nothing of either
budget, and edits only keep their chat's order: Telegram counts neither as a message. A 429 is
waited out and retried; a 403 marks the person unreachable; network errors are retried with
growing pauses. Messages to one chat keep their order. This is the one way out for replies and
scheduled pushes, whichever framework runs.

Replies also go first when the budget is not what holds pushes back: while the process handles an
update or sends a reply (`serve`), a push about to be sent waits for it, up to
`replies_first_wait`. A call for helpers sent as paid broadcasts is bounded by the process's CPU,
not by Telegram, and would otherwise make everyone writing in wait behind thousands of messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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

REPLY, PUSH = True, False  # who is waiting for a message: a person in the chat, or nobody
# A push waits at most this long for the updates and replies in progress, so that pushes still
# go out under a steady stream of people writing in.
REPLIES_FIRST_WAIT = 0.5


class Spacer:
    """Hands out send slots `interval` seconds apart, after a first burst of `burst` slots (the
    generic cell rate algorithm: a token bucket kept as one time)."""

    def __init__(
        self, interval: float, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.tolerance = (burst - 1) * interval
        self.clock = clock
        self._next = 0.0  # when the bucket is full again, in effect

    def reserve(self) -> float:
        """Reserve the next slot; returns how long to wait for it."""
        now = self.clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return max(0.0, slot - self.tolerance - now)

    def wait_time(self) -> float:
        """How long until the next slot, without reserving it."""
        return max(0.0, self._next - self.tolerance - self.clock())

    def sent(self) -> None:
        """A message went out and was accepted just now: the next slot is an interval away at
        least, however long this one waited after its slot (for the overall budget, for the
        network). Counting from the answer, not the request, keeps the interval at Telegram's
        end too, where it is measured."""
        self._next = max(self._next, self.clock() + self.interval)

    @property
    def free_at(self) -> float:
        return self._next

    def hold(self, seconds: float) -> None:
        """Push every future slot back, after Telegram asked us to slow down."""
        self._next = max(self._next, self.clock() + seconds + self.tolerance)


# Reserves `count` slots `interval` apart in a budget the bot's processes share; returns in how
# many seconds the first comes (`storage.budget.reserve`, bound to the database).
ReserveShared = Callable[[str, int, float], Awaitable[float]]
HoldShared = Callable[[str, float], Awaitable[None]]


class SharedSpacer:
    """Send slots taken from a budget that every process of the bot shares (the database's):
    reserved a tenth of a second's worth at a time, in the background, and handed out here as
    `Spacer` hands out its own. If the database cannot be reached, slots are spaced locally."""

    def __init__(
        self,
        name: str,
        interval: float,
        reserve: ReserveShared,
        hold: HoldShared,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.interval = interval
        self.chunk = max(1, round(0.1 / interval))
        self._reserve, self._hold, self.clock = reserve, hold, clock
        self._slots: deque[float] = deque()
        self._refilling: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _fresh(self) -> None:
        """Forget slots gone by: using several at once would send in a burst."""
        stale = self.clock() - self.interval
        while self._slots and self._slots[0] < stale:
            self._slots.popleft()

    def _refill(self) -> None:
        if self._refilling is None or self._refilling.done():
            self._refilling = asyncio.get_running_loop().create_task(self._reserve_more())

    async def _reserve_more(self) -> None:
        try:
            offset = await self._reserve(self.name, self.chunk, self.interval)
            first = self.clock() + offset
        except Exception:
            log.warning("could not reserve send slots in the shared budget; spacing locally")
            first = max(self.clock(), self._slots[-1] + self.interval if self._slots else 0.0)
        last = self._slots[-1] if self._slots else 0.0
        for index in range(self.chunk):
            self._slots.append(max(first + index * self.interval, last + self.interval))
            last = self._slots[-1]

    def wait_time(self) -> float:
        self._fresh()
        if not self._slots:
            self._refill()
            return self.interval  # look again once more slots may have come
        return max(0.0, self._slots[0] - self.clock())

    def reserve(self) -> float:
        wait = self.wait_time()
        if self._slots:
            self._slots.popleft()
        if len(self._slots) <= self.chunk // 2:
            self._refill()  # the next slots are on their way before they are needed
        return wait

    def hold(self, seconds: float) -> None:
        until = self.clock() + seconds
        while self._slots and self._slots[0] < until:
            self._slots.popleft()
        task = asyncio.get_running_loop().create_task(self._held(seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _held(self, seconds: float) -> None:
        try:
            await self._hold(self.name, seconds)
        except Exception:
            log.warning("could not hold the shared send budget after a 429")


class Budget:
    """The bot's messages per second overall; a slot goes to a reply before a push. With
    `shared`, the slots come from a budget all the bot's processes share."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        shared: tuple[str, ReserveShared, HoldShared] | None = None,
    ) -> None:
        self.spacer: Spacer | SharedSpacer = (
            SharedSpacer(shared[0], 1.0 / per_second, shared[1], shared[2], clock)
            if shared is not None
            else Spacer(1.0 / per_second, clock=clock)
        )
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())
        self._timer: asyncio.TimerHandle | None = None

    async def take(self, reply: bool) -> None:
        """Wait for a slot: `reply` (REPLY) for someone waiting, else (PUSH) after them."""
        if not any(self._waiting) and self.spacer.wait_time() <= 0:
            self.spacer.reserve()
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting[0 if reply else 1].append(future)
        self._wake_later()
        await future

    def hold(self, seconds: float) -> None:
        self.spacer.hold(seconds)

    def _wake_later(self) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.spacer.wait_time(), self._hand_out)

    def _hand_out(self) -> None:
        self._timer = None
        if self.spacer.wait_time() <= 0:
            for queue in self._waiting:
                while queue:
                    future = queue.popleft()
                    if not future.done():  # its sender gave up waiting
                        self.spacer.reserve()
                        future.set_result(None)
                        break
                else:
                    continue
                break
        if any(self._waiting):
            self._wake_later()


@dataclass
class Tally:
    """What the sender did since the start, for the metrics: messages sent (replies and pushes
    apart), Telegram's 429s and 403s, and requests it refused or that kept failing."""

    replies: int = 0
    pushes: int = 0
    paid: int = 0  # of them, sent as paid broadcasts
    retry_after: int = 0
    forbidden: int = 0
    failed: int = 0


class Sender:
    def __init__(
        self,
        transport: Transport,
        *,
        on_unreachable: Callable[[int], Awaitable[None]],
        overall_per_second: float = 30.0,
        per_chat_interval: float = 1.0,
        per_chat_burst: int = 3,
        max_transient_retries: int = 6,
        first_backoff: float = 0.5,
        paid_per_second: float = 0.0,
        shared: tuple[ReserveShared, HoldShared] | None = None,
        replies_first_wait: float = REPLIES_FIRST_WAIT,
    ) -> None:
        self.transport = transport
        self.replies_first_wait = replies_first_wait
        self._serving = 0  # updates being handled and replies being sent
        self._quiet = asyncio.Event()  # set while there are none
        self._quiet.set()
        self.on_unreachable = on_unreachable

        def budget(name: str, per_second: float) -> Budget:
            return Budget(per_second, shared=(name, *shared) if shared is not None else None)

        self.budget = budget("messages", overall_per_second)
        # Telegram's paid broadcasts: messages beyond the 30 per second, at up to 1,000 per
        # second, each paid for in Stars; None when the deployment does not use them.
        self.paid = budget("paid", paid_per_second) if paid_per_second > 0 else None
        self.per_chat_interval = per_chat_interval
        self.per_chat_burst = per_chat_burst
        self.max_transient_retries = max_transient_retries
        self.first_backoff = first_backoff
        self._chats: dict[int, _Chat] = {}
        self.tally = Tally()

    async def serve(self, work: Awaitable[T]) -> T:
        """Handle an update (or send a reply): pushes wait for it, up to `replies_first_wait`."""
        self._serving += 1
        self._quiet.clear()
        try:
            return await work
        finally:
            self._serving -= 1
            if not self._serving:
                self._quiet.set()

    async def _after_replies(self) -> None:
        if self._serving:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self.replies_first_wait)

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= _PRUNE_AT:
                self._forget_idle_chats()
            spacer = Spacer(self.per_chat_interval, self.per_chat_burst)
            chat = self._chats[chat_id] = _Chat(spacer)
        return chat

    def _forget_idle_chats(self) -> None:
        """Drop chats whose next slot has passed: they would start afresh anyway."""
        now = time.monotonic()
        for chat_id, chat in list(self._chats.items()):
            if not chat.lock.locked() and chat.spacer.free_at <= now:
                del self._chats[chat_id]

    async def send_message(
        self,
        chat_id: int,
        text: str,
        markup: Markup | None = None,
        *,
        reply: bool = REPLY,
        broadcast: bool = False,
    ) -> int | None:
        """Send a message; returns its id, or None if the person cannot be reached or it was refused.

        `reply` says someone is waiting for it (an answer in a dialogue); a push passes PUSH.
        `broadcast` (one of many, a call for helpers) goes as a paid broadcast where they are on.
        """
        paid = broadcast and self.paid is not None
        return await self._deliver(
            chat_id, lambda: self.transport.send_message(chat_id, text, markup, paid), reply, paid
        )

    async def send_document(
        self,
        chat_id: int,
        filename: str,
        content: bytes,
        caption: str | None = None,
        *,
        reply: bool = REPLY,
    ) -> int | None:
        return await self._deliver(
            chat_id,
            lambda: self.transport.send_document(chat_id, filename, content, caption),
            reply,
        )

    async def send_voice(
        self,
        chat_id: int,
        voice: str,
        caption: str | None = None,
        markup: Markup | None = None,
        *,
        reply: bool = REPLY,
    ) -> int | None:
        return await self._deliver(
            chat_id, lambda: self.transport.send_voice(chat_id, voice, caption, markup), reply
        )

    async def send_photo(
        self,
        chat_id: int,
        photo: str,
        caption: str | None = None,
        markup: Markup | None = None,
        *,
        reply: bool = REPLY,
    ) -> int | None:
        return await self._deliver(
            chat_id, lambda: self.transport.send_photo(chat_id, photo, caption, markup), reply
        )

    async def send_venue(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        *,
        reply: bool = REPLY,
        broadcast: bool = False,
    ) -> int | None:
        paid = broadcast and self.paid is not None
        return await self._deliver(
            chat_id,
            lambda: self.transport.send_venue(chat_id, latitude, longitude, title, address, paid),
            reply,
            paid,
        )

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: Markup | None = None
    ) -> None:
        """Edit a message in place; edits keep their order with the chat's messages."""
        await self._deliver(
            chat_id, lambda: self.transport.edit_message(chat_id, message_id, text, markup), None
        )

    async def edit_caption(
        self, chat_id: int, message_id: int, caption: str, markup: Markup | None = None
    ) -> None:
        """Edit the caption of a voice message or a photo, as `edit_message` edits a text."""
        await self._deliver(
            chat_id,
            lambda: self.transport.edit_caption(chat_id, message_id, caption, markup),
            None,
        )

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the button's spinner; a failure here must not stop the reply."""
        try:
            await self._retrying(lambda: self.transport.answer_callback(callback_id), None)
        except SendError as error:
            log.warning("could not answer a callback query: %s", type(error).__name__)

    async def _deliver(
        self,
        chat_id: int,
        call: Callable[[], Awaitable[T]],
        reply: bool | None,
        paid: bool = False,
    ) -> T | None:
        """Make a call in the chat's order; `reply` None for an edit, which is no message; `paid`
        takes its slot from the paid broadcasts' budget."""
        if reply is REPLY:
            return await self.serve(self._in_order(chat_id, call, reply, paid))
        if reply is PUSH:
            await self._after_replies()
        return await self._in_order(chat_id, call, reply, paid)

    async def _in_order(
        self, chat_id: int, call: Callable[[], Awaitable[T]], reply: bool | None, paid: bool
    ) -> T | None:
        chat = self._chat(chat_id)
        async with chat.lock:
            if reply is not None:
                await _pause(chat.spacer.reserve())
            try:
                return await self._retrying(call, reply, chat.spacer, paid)
            except Unreachable:
                log.info("chat is unreachable; marking it")
                self.tally.forbidden += 1
                await self.on_unreachable(chat_id)
            except Rejected as error:
                log.warning("Telegram refused a request: %s", error)
                self.tally.failed += 1
            return None

    async def _retrying(
        self,
        call: Callable[[], Awaitable[T]],
        reply: bool | None,
        chat: Spacer | None = None,
        paid: bool = False,
    ) -> T:
        budget = self.paid if paid and self.paid is not None else self.budget
        transient_failures = 0
        while True:
            if reply is not None:
                await budget.take(reply)
            try:
                result = await call()
            except RetryLater as error:
                log.info("Telegram asked to wait %.1fs", error.seconds)
                self.tally.retry_after += 1
                budget.hold(error.seconds)
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
            else:
                if chat is not None and reply is not None:
                    chat.sent()  # a message, not an edit: its chat's next one counts from now
                if reply is not None:
                    if paid:
                        self.tally.paid += 1
                    if reply:
                        self.tally.replies += 1
                    else:
                        self.tally.pushes += 1
                return result


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
