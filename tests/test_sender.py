"""The sender keeps Telegram's limits and loses nothing: unit tests with a fake transport."""

from __future__ import annotations

import asyncio
import itertools
import time
from functools import partial

import pytest

from bot.app import App
from bot.channels.telegram.sender import PUSH, Sender, Spacer
from bot.channels.telegram.transport import Markup, Rejected, RetryLater, Transient, Unreachable
from storage import budget


class FakeTransport:
    """Records what was sent and when; fails as told by `failures` (one per call, in order)."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, int, str]] = []
        self.paid: list[int] = []  # chats of messages sent as paid broadcasts
        self.failures: list[Exception] = []
        self.attempts = 0

    async def send_message(
        self, chat_id: int, text: str, markup: Markup | None, paid: bool = False
    ) -> int:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((time.monotonic(), chat_id, text))
        if paid:
            self.paid.append(chat_id)
        return len(self.sent)

    async def edit_message(
        self, chat_id: int, message_id: int, text: str, markup: Markup | None
    ) -> None:
        self.sent.append((time.monotonic(), chat_id, f"edit:{text}"))

    async def answer_callback(self, callback_id: str) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def send_document(
        self, chat_id: int, filename: str, content: bytes, caption: str | None
    ) -> int:
        raise AssertionError("not used")

    async def set_commands(self, commands: list[tuple[str, str]], language: str | None) -> None:
        raise AssertionError("not used")

    async def set_webhook(self, url: str, secret: str) -> None:
        raise AssertionError("not used")

    async def delete_webhook(self) -> None:
        raise AssertionError("not used")


def make_sender(transport: FakeTransport, unreachable: list[int], **limits: float) -> Sender:
    async def mark(chat_id: int) -> None:
        unreachable.append(chat_id)

    limits.setdefault("first_backoff", 0.01)
    return Sender(transport, on_unreachable=mark, **limits)  # type: ignore[arg-type]


async def test_messages_to_one_chat_are_spaced_by_the_per_chat_interval_after_a_burst() -> None:
    transport = FakeTransport()
    sender = make_sender(
        transport, [], per_chat_interval=0.1, per_chat_burst=2, overall_per_second=1000
    )
    await asyncio.gather(*(sender.send_message(7, f"m{i}") for i in range(5)))
    times = [t for t, _, _ in transport.sent]
    assert [text for _, _, text in transport.sent] == ["m0", "m1", "m2", "m3", "m4"]
    assert times[1] - times[0] < 0.05  # the burst: a question right after its note
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(times[1:]))


async def test_a_message_held_up_by_the_budget_still_leaves_its_chat_the_interval() -> None:
    """The chat's interval counts from when a message went out, not from when its turn in the
    chat was taken: a push that waited for the overall budget is not followed any sooner."""
    transport = FakeTransport()
    sender = make_sender(
        transport, [], per_chat_interval=0.3, per_chat_burst=1, overall_per_second=10
    )
    await asyncio.gather(
        *(sender.send_message(chat, "push", reply=PUSH) for chat in range(1, 6)),
        sender.send_message(7, "push", reply=PUSH),  # its turn in the budget comes at 0.5 s
        sender.send_message(7, "reply"),
    )
    first, second = [t for t, chat, _ in transport.sent if chat == 7]
    assert second - first >= 0.29


async def test_answers_to_button_presses_and_edits_cost_no_message_of_the_budget() -> None:
    transport = FakeTransport()
    sender = make_sender(transport, [], overall_per_second=10)
    started = time.monotonic()
    await asyncio.gather(
        *(sender.answer_callback(f"q{i}") for i in range(20)),
        *(sender.edit_message(chat, 1, "✓ Deutsch") for chat in range(20)),
        sender.send_message(99, "the next question"),
    )
    assert time.monotonic() - started < 0.05  # 21 calls at 10 messages a second
    assert transport.sent[-1][2] == "the next question"


async def test_replies_go_before_pushes_waiting_for_the_budget() -> None:
    transport = FakeTransport()
    sender = make_sender(transport, [], overall_per_second=50)
    pushes = [
        asyncio.ensure_future(sender.send_message(chat, "push", reply=PUSH)) for chat in range(20)
    ]
    await asyncio.sleep(0.05)
    await sender.send_message(100, "reply")
    assert sum(text == "push" for _, _, text in transport.sent) <= 5
    await asyncio.gather(*pushes)
    assert len(transport.sent) == 21


async def test_the_overall_rate_is_kept_across_chats() -> None:
    transport = FakeTransport()
    sender = make_sender(transport, [], overall_per_second=100)
    started = time.monotonic()
    await asyncio.gather(*(sender.send_message(chat, "hi") for chat in range(31)))
    assert time.monotonic() - started >= 0.29  # 31 messages at 100/s need 0.3 s
    assert len(transport.sent) == 31


async def test_too_many_requests_is_waited_out_and_order_is_kept() -> None:
    transport = FakeTransport()
    transport.failures = [RetryLater(0.2), RetryLater(0.1)]
    sender = make_sender(transport, [], per_chat_interval=0)
    started = time.monotonic()
    first = asyncio.create_task(sender.send_message(7, "first"))
    await asyncio.sleep(0)
    second = asyncio.create_task(sender.send_message(7, "second"))
    assert await first == 1
    assert await second == 2
    assert [text for _, _, text in transport.sent] == ["first", "second"]
    assert transport.sent[0][0] - started >= 0.3
    assert transport.attempts == 4


async def test_a_blocked_bot_marks_the_chat_unreachable() -> None:
    transport = FakeTransport()
    transport.failures = [Unreachable("bot was blocked by the user")]
    unreachable: list[int] = []
    sender = make_sender(transport, unreachable, per_chat_interval=0)
    assert await sender.send_message(42, "hello") is None
    assert unreachable == [42]
    assert transport.attempts == 1


async def test_network_errors_are_retried_with_backoff() -> None:
    transport = FakeTransport()
    transport.failures = [Transient("reset"), Transient("timeout")]
    sender = make_sender(transport, [], per_chat_interval=0)
    assert await sender.send_message(1, "hello") == 1
    assert transport.attempts == 3


async def test_network_errors_give_up_after_the_last_retry() -> None:
    transport = FakeTransport()
    transport.failures = [Transient("down")] * 10
    sender = make_sender(transport, [], per_chat_interval=0, max_transient_retries=2)
    with pytest.raises(Transient):
        await sender.send_message(1, "hello")
    assert transport.attempts == 3


async def test_a_refused_request_is_not_retried() -> None:
    transport = FakeTransport()
    transport.failures = [Rejected("message text is empty")]
    sender = make_sender(transport, [], per_chat_interval=0)
    assert await sender.send_message(1, "") is None
    assert transport.attempts == 1


async def test_a_failed_callback_answer_does_not_stop_the_reply() -> None:
    transport = FakeTransport()
    transport.failures = [Rejected("query is too old")]
    sender = make_sender(transport, [], per_chat_interval=0)
    await sender.answer_callback("q1")
    assert await sender.send_message(1, "reply") == 1


def test_spacer_allows_a_burst_then_keeps_the_interval() -> None:
    now = [100.0]
    spacer = Spacer(1.0, burst=3, clock=lambda: now[0])
    assert [spacer.reserve() for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]
    now[0] = 110.0
    assert [spacer.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_spacer_hands_out_slots_interval_apart() -> None:
    now = [100.0]
    spacer = Spacer(0.5, clock=lambda: now[0])
    assert [spacer.reserve() for _ in range(3)] == [0.0, 0.5, 1.0]
    now[0] = 102.0
    assert spacer.reserve() == 0.0
    spacer.hold(3)
    assert spacer.reserve() == 3.0


async def test_broadcasts_go_through_the_paid_lane_and_leave_the_budget_to_replies() -> None:
    transport, unreachable = FakeTransport(), []
    sender = make_sender(
        transport, unreachable, overall_per_second=2, paid_per_second=200, per_chat_burst=1
    )
    began = time.monotonic()
    await asyncio.gather(
        *(sender.send_message(100 + i, "call", reply=PUSH, broadcast=True) for i in range(40)),
        sender.send_message(7, "a reply"),
    )
    # 41 messages at 2 per second would take 20 s; the broadcasts have their own 200 per second.
    assert time.monotonic() - began < 1.5
    assert sorted(transport.paid) == [100 + i for i in range(40)]
    assert (sender.tally.paid, sender.tally.pushes, sender.tally.replies) == (40, 40, 1)

    # Without paid broadcasts they share the budget and go as ordinary messages.
    plain = FakeTransport()
    await make_sender(plain, unreachable, overall_per_second=100).send_message(
        5, "call", reply=PUSH, broadcast=True
    )
    assert plain.paid == [] and len(plain.sent) == 1


async def test_two_workers_share_the_bots_budget_through_the_database(app: App) -> None:
    """Two processes' senders, each sending 40 messages as fast as the budget lets it: together
    they keep to the bot's 20 per second instead of sending 40 per second."""
    shared = (partial(budget.reserve, app.sessions), partial(budget.hold, app.sessions))
    transports = [FakeTransport(), FakeTransport()]
    senders = [
        make_sender(t, [], overall_per_second=20, per_chat_burst=1, shared=shared)  # type: ignore[arg-type]
        for t in transports
    ]
    began = time.monotonic()
    await asyncio.gather(
        *(
            sender.send_message(1000 * n + i, "hello", reply=PUSH)
            for n, sender in enumerate(senders)
            for i in range(40)
        )
    )
    times = sorted(at for t in transports for at, _chat, _text in t.sent)
    assert len(times) == 80
    # 80 messages at 20 per second take about four seconds; in any stretch of 21 messages
    # (a second's worth and one) at least about a second passes.
    assert time.monotonic() - began >= 3.5
    assert min(b - a for a, b in zip(times, times[20:], strict=False)) >= 0.9


async def test_a_push_waits_for_the_update_being_handled_but_not_longer_than_its_limit() -> None:
    transport = FakeTransport()
    sender = make_sender(transport, [], overall_per_second=1000, replies_first_wait=0.3)

    async def update() -> None:  # a person writing in: their reply goes first
        await asyncio.sleep(0.1)
        await sender.send_message(1, "reply")

    handling = asyncio.create_task(sender.serve(update()))
    await asyncio.sleep(0)
    await sender.send_message(2, "push", reply=PUSH)
    assert [text for _, _, text in transport.sent] == ["reply", "push"]
    await handling

    async def endless() -> None:  # a stream of updates holds a push back only so long
        await asyncio.sleep(10)

    busy = asyncio.create_task(sender.serve(endless()))
    await asyncio.sleep(0)
    started = time.monotonic()
    await sender.send_message(3, "push", reply=PUSH)
    assert 0.25 < time.monotonic() - started < 2.0
    busy.cancel()
    with pytest.raises(asyncio.CancelledError):
        await busy
    started = time.monotonic()
    await sender.send_message(4, "push", reply=PUSH)  # nothing in progress: no wait
    assert time.monotonic() - started < 0.25
