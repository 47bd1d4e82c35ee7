"""Long polling that confirms an update only once it is stored, and never stalls on a bad one.

Both frameworks' own polling confirm a batch's offset before their handlers have finished, so a
crash loses what was fetched, and both retry a batch they cannot parse forever. This poller
fetches the updates as plain JSON through the framework's bot, hands each to the framework to read
and dispatch (`Process`), and moves the offset past an update only once its step is committed, or
it was skipped. Updates of one person are handled in order, different people's at the same time.
An update that cannot be read is skipped, counted, and logged by its id only, since its content
is personal. The core records each update's id, so one fetched again after a crash is not handled
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from bot.channels.telegram.transport import RetryLater

log = logging.getLogger(__name__)

Update = dict[str, Any]
ALLOWED_UPDATES = ["message", "callback_query"]
LONG_POLL_SECONDS = 10
# While updates are still being handled, the next fetch returns them again at once: wait this
# long for one to finish before asking again.
IN_FLIGHT_PAUSE = 0.1
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 30.0


@dataclass
class Counts:
    """What became of the updates a process received, logged when it stops."""

    handled: int = 0
    skipped: int = 0  # could not be read
    failed: int = 0  # their handling raised

    def skip(self, update_id: object, error: BadUpdate) -> None:
        self.skipped += 1
        shown = update_id if isinstance(update_id, int) else "without id"
        log.warning("skipped update %s, which could not be read (%s)", shown, error)


class BadUpdate(Exception):
    """The framework could not read an update (the message names only the kind of error)."""


# Read an update with the framework and dispatch it; returns once its step is stored.
Process = Callable[[Update], Awaitable[None]]


class Fetch(Protocol):
    async def get_updates(self, offset: int | None, timeout: int) -> list[Update]: ...  # noqa: ASYNC109


def sender_of(update: Update) -> int | None:
    """The Telegram user an update comes from, for the updates the bot reads."""
    for kind in ALLOWED_UPDATES:
        event = update.get(kind)
        if isinstance(event, dict):
            sender = event.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return None


def check(update: Update) -> None:
    """Refuse what the frameworks read too leniently for our handlers: a message or button press
    without its sender, a message without its chat or id (the frameworks refuse most else)."""
    if not any(kind in update for kind in ALLOWED_UPDATES):
        return
    if sender_of(update) is None:
        raise BadUpdate("no sender")
    message = update.get("message")
    if message is not None:
        chat = message.get("chat")
        if not (isinstance(chat, dict) and _is_int(chat.get("id"))):
            raise BadUpdate("no chat")
        if not _is_int(message.get("message_id")):
            raise BadUpdate("no message id")
    query = update.get("callback_query")
    if query is not None and not isinstance(query.get("id"), str):
        raise BadUpdate("no query id")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Outage:
    """Waits with growing pauses while the Bot API cannot be reached, saying so once."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failures = 0

    async def wait(self, error: Exception, stop: asyncio.Event) -> None:
        if isinstance(error, RetryLater):
            pause = error.seconds
        else:
            pause = min(FIRST_RETRY_SECONDS * 2**self.failures, LONGEST_RETRY_SECONDS)
            if self.failures == 0:
                log.warning(
                    "%s: Telegram's Bot API cannot be reached (%s); trying again with growing pauses",
                    self.what,
                    type(error).__name__,
                )
            self.failures += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)

    def over(self) -> None:
        if self.failures:
            log.info("%s: Telegram's Bot API answers again", self.what)
        self.failures = 0


async def until_stopped(work: Awaitable[Any], stop: asyncio.Event) -> Any:
    """Run `work` unless `stop` is set first (then cancel it and return None)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None
    return task.result()


class Poller:
    def __init__(
        self,
        fetch: Fetch,
        process: Process,
        counts: Counts,
        *,
        timeout: int = LONG_POLL_SECONDS,
    ) -> None:
        self.fetch = fetch
        self.process = process
        self.counts = counts
        self.timeout = timeout
        self._running: dict[int, asyncio.Task[None]] = {}
        self._last_of: dict[int, asyncio.Task[None]] = {}  # per person, their newest update
        self._progress = asyncio.Event()
        self._highest: int | None = None

    @property
    def offset(self) -> int | None:
        """What to confirm: everything below the oldest update still being handled."""
        if self._running:
            return min(self._running)
        return None if self._highest is None else self._highest + 1

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and handle updates until `stop` is set; then finish those begun and confirm."""
        outage = Outage("polling")
        while not stop.is_set():
            self._progress.clear()
            wait = 0 if self._running else self.timeout
            try:
                updates = await until_stopped(self.fetch.get_updates(self.offset, wait), stop)
            except Exception as error:
                await outage.wait(error, stop)
                continue
            outage.over()
            if updates is None:
                break
            if not self._start(updates) and self._running:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), IN_FLIGHT_PAUSE)
        await self._finish()

    def _start(self, updates: list[Update]) -> int:
        """Begin handling the updates not seen before; returns how many."""
        started = 0
        for update in updates:
            update_id = update.get("update_id")
            if not isinstance(update_id, int):
                continue  # cannot be confirmed on its own; the next id confirms it
            if self._highest is not None and update_id <= self._highest:
                continue  # being handled, or handled already
            self._highest = update_id
            person = sender_of(update)
            previous = self._last_of.get(person) if person is not None else None
            task = asyncio.create_task(self._handle(update_id, update, previous))
            self._running[update_id] = task
            if person is not None:
                self._last_of[person] = task
            task.add_done_callback(partial(self._ended, update_id, person))
            started += 1
        return started

    def _ended(self, update_id: int, person: int | None, task: asyncio.Task[None]) -> None:
        del self._running[update_id]
        if person is not None and self._last_of.get(person) is task:
            del self._last_of[person]
        self._progress.set()

    async def _handle(
        self, update_id: int, update: Update, previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None:
            await asyncio.wait({previous})  # the same person's earlier update first
        try:
            check(update)
            await self.process(update)
            self.counts.handled += 1
        except BadUpdate as error:
            self.counts.skip(update_id, error)
        except Exception as error:
            self.counts.failed += 1
            log.error("handling update %d failed (%s)", update_id, type(error).__name__)

    async def _finish(self) -> None:
        """Let the updates begun be stored, then confirm them, so they are not fetched again."""
        if self._running:
            await asyncio.wait(set(self._running.values()), timeout=10)
        if self.offset is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.fetch.get_updates(self.offset, 0), 3)
