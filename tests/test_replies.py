"""Replies as durable as the step: stored with it, sent after the commit, sent again after a crash,
never by two processes; and an update delivered twice is handled once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.app import App
from bot.channels.courier import Courier
from engine.types import Incoming, Render, Turn
from storage import replies
from storage.models import Conversation, PendingReply
from storage.replies import Outgoing, Pending
from tests.chat import Chat
from tests.conftest import FrozenClock


def renderer(app: App) -> Render:
    """Each reply as a call with its text, the way a channel renders them."""
    tr = app.translator
    return lambda turn: [
        Outgoing({"text": tr.render(reply.text, reply.language)}) for reply in turn.replies
    ]


async def stored_replies(app: App) -> list[PendingReply]:
    async with app.sessions() as session:
        return list((await session.exec(select(PendingReply).order_by(PendingReply.id))).all())


async def say(app: App, key: str, text: str, update: str | None = None) -> Turn:
    incoming = Incoming(key, text=text, language_code="de", update_key=update)
    return await app.core.handle(incoming, renderer(app))


async def test_a_steps_replies_are_stored_with_it_and_claimed_by_the_process(app: App) -> None:
    turn = await say(app, "test:erika", "/start")

    stored = await stored_replies(app)
    assert [reply.id for reply in stored] == [pending.id for pending in turn.queued]
    assert len(stored) == len(turn.replies) == 1
    assert stored[0].body["text"].startswith("Willkommen bei Ehrenamtsbörse Bingen!")
    assert stored[0].key == "test:erika"
    assert stored[0].claimed_by == app.core.worker
    assert stored[0].claimed_until == app.core.clock() + app.core.reply_lease


async def test_replies_of_several_people_written_at_once_keep_their_ids_and_order(
    app: App,
) -> None:
    written = [
        (f"test:person{person}", [Outgoing({"text": f"{person}-{n}"}) for n in range(3)])
        for person in range(5)
    ]
    async with app.sessions() as session, session.begin():
        queued = await replies.queue(
            session, written, worker="w", now=app.core.clock(), lease=timedelta(seconds=20)
        )

    by_id = {row.id: row for row in await stored_replies(app)}
    for (key, items), pending in zip(written, queued, strict=True):
        assert [p.body for p in pending] == [item.body for item in items]
        assert [by_id[p.id].body for p in pending] == [item.body for item in items]
        assert {by_id[p.id].key for p in pending} == {key}
        assert [p.id for p in pending] == sorted(p.id for p in pending)


async def test_a_message_handled_again_after_a_failed_group_stores_its_replies_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatch = app.core._dispatch

    async def failing_for_one(ctx, flooding):  # type: ignore[no-untyped-def]
        if ctx.incoming.user_key == "test:broken":
            raise RuntimeError("a bug in a step")
        return await dispatch(ctx, flooding)

    monkeypatch.setattr(app.core, "_dispatch", failing_for_one)
    keys = [f"test:person{number}" for number in range(4)] + ["test:broken"]
    results = await asyncio.gather(
        *(say(app, key, "/start") for key in keys), return_exceptions=True
    )

    assert isinstance(results[-1], RuntimeError)
    assert sorted(reply.key for reply in await stored_replies(app)) == sorted(keys[:-1])


async def test_an_update_delivered_again_is_handled_once(app: App) -> None:
    first = await say(app, "test:erika", "/start", update="telegram:41")
    again = await say(app, "test:erika", "/start", update="telegram:41")
    assert first.replies and first.queued
    assert again == Turn()
    assert len(await stored_replies(app)) == 1

    language = await app.core.handle(
        Incoming("test:erika", payload="lang:de", update_key="telegram:42"), renderer(app)
    )
    assert language.replies
    repeated = await app.core.handle(
        Incoming("test:erika", payload="lang:de", update_key="telegram:42"), renderer(app)
    )
    assert repeated == Turn()
    async with app.sessions() as session:
        conversation = await session.get(Conversation, "test:erika")
    assert conversation is not None and conversation.step == "privacy"


# --- the courier ---------------------------------------------------------------------------------


class Platform:
    """Records what the courier had sent; can refuse (a network failure) or hold a send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.failing: set[str] = set()
        self.hold = asyncio.Event()
        self.hold.set()

    async def perform(self, reply: Pending) -> bool:
        await self.hold.wait()
        if reply.body["text"] in self.failing:
            return False
        self.sent.append((reply.key, reply.body))
        return True

    def texts(self) -> list[str]:
        return [body["text"] for _key, body in self.sent]


def courier(app: App, platform: Platform, clock: FrozenClock, worker: str) -> Courier:
    return Courier(
        app.sessions,
        platform.perform,
        worker=worker,
        lease=timedelta(seconds=20),
        clock=clock,
        key_prefix="test:",
    )


async def queue(app: App, clock: FrozenClock, worker: str, key: str, *texts: str) -> list[Pending]:
    async with app.sessions() as session, session.begin():
        (pending,) = await replies.queue(
            session,
            [(key, [Outgoing({"text": text}) for text in texts])],
            worker=worker,
            now=clock(),
            lease=timedelta(seconds=20),
        )
    return pending


async def settled(post: Courier) -> None:
    while post._tasks:
        await asyncio.gather(*post._tasks)


async def test_the_courier_sends_one_persons_replies_in_order_and_forgets_each_once_sent(
    app: App, clock: FrozenClock
) -> None:
    platform = Platform()
    post = courier(app, platform, clock, "me")
    post.deliver("test:erika", await queue(app, clock, "me", "test:erika", "one", "two"))
    post.deliver("test:erika", await queue(app, clock, "me", "test:erika", "three"))
    await settled(post)
    assert platform.texts() == ["one", "two", "three"]
    assert await stored_replies(app) == []


async def test_a_reply_that_cannot_be_sent_now_goes_out_later_with_those_after_it(
    app: App, clock: FrozenClock
) -> None:
    platform = Platform()
    platform.failing = {"two"}
    post = courier(app, platform, clock, "me")
    post.deliver("test:erika", await queue(app, clock, "me", "test:erika", "one", "two", "three"))
    await settled(post)
    assert platform.texts() == ["one"]
    assert [r.body["text"] for r in await stored_replies(app)] == ["two", "three"]

    platform.failing = set()
    assert await post.sweep() == 2  # given back: the next sweep sends them, in order
    await settled(post)
    assert platform.texts() == ["one", "two", "three"]


async def test_replies_a_dead_process_left_are_sent_once_its_claim_has_expired(
    app: App, clock: FrozenClock
) -> None:
    await queue(app, clock, "dead", "test:erika", "Do you agree?")
    platform = Platform()
    post = courier(app, platform, clock, "next")
    assert await post.sweep() == 0  # still held by the process that handled the step
    clock.advance(timedelta(seconds=21))
    assert await post.sweep() == 1
    await settled(post)
    assert platform.texts() == ["Do you agree?"]
    assert await post.sweep() == 0
    assert await stored_replies(app) == []


async def test_two_processes_sweeping_at_once_send_each_reply_once(
    app: App, clock: FrozenClock
) -> None:
    for number in range(20):
        await queue(app, clock, "dead", f"test:person{number}", f"hello {number}")
    clock.advance(timedelta(seconds=21))
    platform = Platform()
    first, second = courier(app, platform, clock, "a"), courier(app, platform, clock, "b")
    found = await asyncio.gather(first.sweep(), second.sweep(), first.sweep())
    await settled(first)
    await settled(second)
    assert sum(found) == 20
    assert sorted(platform.texts()) == sorted(f"hello {number}" for number in range(20))


async def test_a_stopping_process_gives_back_what_it_has_not_sent_for_the_next_to_send_at_once(
    app: App, clock: FrozenClock
) -> None:
    platform = Platform()
    platform.hold.clear()  # the platform does not answer
    post = courier(app, platform, clock, "stopping")
    post.deliver("test:erika", await queue(app, clock, "stopping", "test:erika", "one", "two"))
    await asyncio.sleep(0)
    await post.close(timeout=0.1)
    assert platform.sent == []

    platform.hold.set()
    restarted = courier(app, platform, clock, "restarted")
    assert await restarted.sweep() == 2  # at once, without waiting for the claim to expire
    await settled(restarted)
    assert platform.texts() == ["one", "two"]


async def test_a_process_that_lost_its_claim_leaves_the_reply_to_the_one_that_took_it(
    app: App, clock: FrozenClock
) -> None:
    platform = Platform()
    slow = courier(app, platform, clock, "slow")
    pending = await queue(app, clock, "slow", "test:erika", "one")
    clock.advance(timedelta(seconds=21))  # the claim expired before the slow process got to it
    other = courier(app, platform, clock, "other")
    assert await other.sweep() == 1
    slow.deliver("test:erika", pending)
    await settled(slow)
    await settled(other)
    assert platform.texts() == ["one"]


async def test_chat_scripts_store_no_replies(chat: Callable[..., Chat], app: App) -> None:
    """Without a channel that renders replies, the core answers as before and stores none."""
    await chat("erika").send("/start")
    assert await stored_replies(app) == []
