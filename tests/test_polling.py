"""Our long polling: an update is confirmed only once it is stored, an unreadable one is skipped
and counted, one person's updates keep their order, and stopping does not wait for Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.telegram.polling import BadUpdate, Counts, Poller, Update
from bot.channels.telegram.transport import Transient


class Telegram:
    """getUpdates as Telegram answers it: what is not confirmed by the offset comes again."""

    def __init__(self) -> None:
        self.pending: list[Update] = []
        self.offsets: list[int | None] = []
        self.arrived = asyncio.Event()
        self.unreachable = 0  # answer this many calls with a network error
        self._ids = iter(range(1, 1000))

    def push(self, update: Update) -> int:
        update_id = next(self._ids)
        self.pending.append({"update_id": update_id, **update})
        self.arrived.set()
        return update_id

    def send(self, person: int, text: str) -> int:
        message = {"message_id": 1, "from": {"id": person}, "chat": {"id": person}, "text": text}
        return self.push({"message": message})

    async def get_updates(self, offset: int | None, timeout: int) -> list[Update]:  # noqa: ASYNC109
        self.offsets.append(offset)
        if self.unreachable:
            self.unreachable -= 1
            raise Transient("connection refused")
        if offset is not None:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if not self.pending and timeout:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout)
            except TimeoutError:
                return []
        return list(self.pending[:100])


class Bot:
    """Handles updates as the framework and the core would; can be held per text."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.held: dict[str, asyncio.Event] = {}

    async def process(self, update: Update) -> None:
        text = update["message"]["text"]
        if text == "unreadable":
            raise BadUpdate("ValidationError")
        if text in self.held:
            await self.held[text].wait()
        self.handled.append(text)

    def hold(self, text: str) -> asyncio.Event:
        self.held[text] = asyncio.Event()
        return self.held[text]


@pytest.fixture
def telegram() -> Telegram:
    return Telegram()


@pytest.fixture
def bot() -> Bot:
    return Bot()


@pytest.fixture
async def polling(telegram: Telegram, bot: Bot) -> Iterator[tuple[Poller, asyncio.Event]]:
    stop = asyncio.Event()
    poller = Poller(telegram, bot.process, Counts(), timeout=1)
    task = asyncio.create_task(poller.run(stop))
    yield poller, stop
    stop.set()
    await asyncio.wait_for(task, 5)


async def until(condition: Any, timeout: float = 5) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 (a plain predicate, not an event)
            await asyncio.sleep(0.01)


async def test_an_update_is_confirmed_only_once_it_is_handled(
    telegram: Telegram, bot: Bot, polling: tuple[Poller, asyncio.Event]
) -> None:
    poller, _stop = polling
    release = bot.hold("slow")
    slow = telegram.send(1, "slow")
    telegram.send(2, "quick")
    await until(lambda: bot.handled == ["quick"])
    await asyncio.sleep(0.3)
    assert all(offset is None or offset <= slow for offset in telegram.offsets)
    assert poller.offset == slow

    release.set()
    await until(lambda: telegram.pending == [])
    assert bot.handled == ["quick", "slow"]  # each once, though fetched again meanwhile


async def test_an_update_that_cannot_be_read_is_skipped_counted_and_the_next_handled(
    telegram: Telegram, bot: Bot, polling: tuple[Poller, asyncio.Event]
) -> None:
    poller, _stop = polling
    telegram.send(1, "unreadable")
    telegram.push({"callback_query": {"id": "q", "data": "x"}})  # without its sender
    telegram.send(2, "hello")
    await until(lambda: telegram.pending == [])
    assert bot.handled == ["hello"]
    assert poller.counts.skipped == 2
    assert poller.counts.handled == 1


async def test_one_persons_updates_keep_their_order_while_others_are_handled(
    telegram: Telegram, bot: Bot, polling: tuple[Poller, asyncio.Event]
) -> None:
    release = bot.hold("first")
    telegram.send(1, "first")
    telegram.send(1, "second")
    telegram.send(2, "other")
    await until(lambda: bot.handled == ["other"])
    await asyncio.sleep(0.2)
    assert bot.handled == ["other"]  # "second" waits for "first"
    release.set()
    await until(lambda: len(bot.handled) == 3)
    assert bot.handled == ["other", "first", "second"]


async def test_polling_waits_for_telegram_and_goes_on_when_it_answers(
    telegram: Telegram, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.unreachable = 2
    stop = asyncio.Event()
    task = asyncio.create_task(Poller(telegram, bot.process, Counts(), timeout=1).run(stop))
    telegram.send(1, "hello")
    await until(lambda: bot.handled == ["hello"], timeout=10)
    assert caplog.text.count("cannot be reached") == 1
    assert "answers again" in caplog.text

    telegram.unreachable = 1000
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, 1)  # no waiting out the pause between attempts


async def test_stopping_lets_begun_updates_finish_and_confirms_them(
    telegram: Telegram, bot: Bot
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(Poller(telegram, bot.process, Counts(), timeout=1).run(stop))
    release = bot.hold("begun")
    telegram.send(1, "begun")
    await until(lambda: "begun" in bot.held and len(telegram.offsets) >= 2)
    stop.set()
    await asyncio.sleep(0.1)
    release.set()
    await asyncio.wait_for(task, 5)
    assert bot.handled == ["begun"]
    assert telegram.pending == []  # confirmed on the way out
