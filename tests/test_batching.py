"""Messages that arrive together share a transaction: the grouping itself, then the dialogue core."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import event

from bot.app import App
from engine import core
from engine.batching import Batches
from storage.conversations import load_turns
from tests.chat import Chat
from tests.test_onboarding import conversations, users

StartApp = Callable[[], AbstractAsyncContextManager[App]]


class Recorder:
    """A `handle` for `Batches` that records its groups and can be held until released."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.running = 0
        self.most_at_once = 0

    async def __call__(self, items: Sequence[str]) -> list[str]:
        self.groups.append(list(items))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await self.release.wait()
        finally:
            self.running -= 1
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]


async def started(count: int = 1) -> None:
    """Let the submitted tasks run up to their first wait."""
    for _ in range(count):
        await asyncio.sleep(0)


async def test_items_that_arrive_while_a_group_runs_form_the_next_group() -> None:
    handle = Recorder()
    batches = Batches(handle)
    handle.release.clear()
    first = asyncio.ensure_future(batches.submit("a"))
    await started(3)
    rest = [asyncio.ensure_future(batches.submit(item)) for item in "bcd"]
    await started(3)
    handle.release.set()

    assert await first == "A"
    assert await asyncio.gather(*rest) == ["B", "C", "D"]
    assert handle.groups == [["a"], ["b", "c", "d"]]


async def test_groups_are_at_most_max_size_and_keep_the_order_of_arrival() -> None:
    handle = Recorder()
    batches = Batches(handle, max_size=3)
    handle.release.clear()
    waiting = [asyncio.ensure_future(batches.submit(item)) for item in "abcdefg"]
    await started(3)
    handle.release.set()

    assert await asyncio.gather(*waiting) == list("ABCDEFG")
    assert handle.groups == [["a", "b", "c"], ["d", "e", "f"], ["g"]]


async def test_a_failing_item_fails_alone_and_the_others_are_handled_again_one_by_one() -> None:
    handle = Recorder()
    batches = Batches(handle)
    handle.release.clear()
    waiting = [asyncio.ensure_future(batches.submit(item)) for item in ("a", "bad", "c")]
    await started(3)
    handle.release.set()

    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert handle.groups == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]


async def test_an_item_whose_caller_gave_up_before_its_group_is_not_handled() -> None:
    handle = Recorder()
    batches = Batches(handle)
    handle.release.clear()
    first = asyncio.ensure_future(batches.submit("a"))
    await started(3)
    gone = asyncio.ensure_future(batches.submit("gone"))
    kept = asyncio.ensure_future(batches.submit("kept"))
    await started(3)
    gone.cancel()
    handle.release.set()

    assert await first == "A" and await kept == "KEPT"
    assert handle.groups == [["a"], ["kept"]]


async def test_parallel_groups_run_at_the_same_time_up_to_the_limit() -> None:
    handle = Recorder()
    batches = Batches(handle, max_size=1, parallel=2)
    handle.release.clear()
    waiting = [asyncio.ensure_future(batches.submit(item)) for item in "abcd"]
    await started(3)
    assert handle.running == 2
    handle.release.set()

    assert await asyncio.gather(*waiting) == list("ABCD")
    assert handle.most_at_once == 2


async def test_an_item_submitted_as_the_last_group_ends_is_still_handled() -> None:
    handle = Recorder()
    batches = Batches(handle)
    for item in "abc":  # one after the other: each finds the worker gone or finishing
        assert await batches.submit(item) == item.upper()
    assert handle.groups == [["a"], ["b"], ["c"]]


def test_limits_below_one_are_refused() -> None:
    with pytest.raises(ValueError):
        Batches(Recorder(), max_size=0)
    with pytest.raises(ValueError):
        Batches(Recorder(), parallel=0)


# --- the dialogue core ----------------------------------------------------------------------------


def count_commits(app: App) -> list[int]:
    commits = [0]

    def committed(_connection: object) -> None:
        commits[0] += 1

    event.listen(app.engine.sync_engine, "commit", committed)
    return commits


async def test_people_writing_at_once_share_transactions_and_each_step_is_stored(
    start_app: StartApp,
) -> None:
    async with start_app() as app:
        people = [Chat(app, f"person{number}", "de") for number in range(30)]
        await asyncio.gather(*(person.send("/start") for person in people))
        commits = count_commits(app)
        await asyncio.gather(*(person.press("English") for person in people))
        assert commits[0] < len(people)
        for person in people:
            assert "Do you agree?" in person.history[-1].text
        assert len(await conversations(app)) == len(people)

    async with start_app() as app:  # after a restart, everyone is where they were
        for number in range(30):
            person = Chat(app, f"person{number}", "de")
            assert "Do you agree?" in await person.send("hello?")


async def test_a_message_that_fails_fails_only_its_sender(
    app: App, chat: Callable[..., Chat], monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [chat(f"person{number}") for number in range(5)]
    broken = chat("broken")
    for person in (*people, broken):
        await person.send("/start")
        await person.press("Deutsch")
    dispatch = app.core._dispatch
    handled: Counter[str] = Counter()

    async def failing_for_one(ctx, flooding):  # type: ignore[no-untyped-def]
        handled[ctx.incoming.user_key] += 1
        if ctx.incoming.user_key == broken.user_key:
            raise RuntimeError("a bug in a step")
        return await dispatch(ctx, flooding)

    monkeypatch.setattr(app.core, "_dispatch", failing_for_one)
    commits = count_commits(app)
    presses = [person.press("✅ Ich stimme zu") for person in (*people[:2], broken, *people[2:])]
    results = await asyncio.gather(*presses, return_exceptions=True)

    assert isinstance(results[2], RuntimeError)
    assert all(isinstance(result, str) and "Wie möchten Sie" in result for result in results[:2])
    assert all(isinstance(result, str) and "Wie möchten Sie" in result for result in results[3:])
    # They were handled together with the broken message, then again without it.
    assert handled[people[0].user_key] == 2
    # ... but each message counted once towards the flood limit: /start, language, consent.
    assert len(app.core.flood.recent[people[0].user_key]) == 3
    assert commits[0] == len(people)
    stored = {user.key for user in await users(app)}
    assert stored == {person.user_key for person in people}  # consent stored, but not broken's


async def test_two_messages_of_one_person_sent_at_once_are_handled_one_after_the_other(
    chat: Callable[..., Chat], monkeypatch: pytest.MonkeyPatch
) -> None:
    erika = chat("erika")
    await erika.send("/start")
    groups: list[list[str]] = []

    async def recording(session, keys):  # type: ignore[no-untyped-def]
        groups.append(list(keys))
        return await load_turns(session, keys)

    monkeypatch.setattr(core, "load_turns", recording)
    language, consent = await asyncio.gather(
        erika.press_payload("lang:de"), erika.press_payload("consent:yes")
    )

    assert "Sind Sie einverstanden?" in language
    assert "Wie möchten Sie" in consent  # the second saw what the first stored
    assert groups == [[erika.user_key], [erika.user_key]]
