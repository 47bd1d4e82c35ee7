"""Pushes over Telegram: offers, acceptance and reminders through the stand-in with frozen time;
a push process killed half-way that, restarted, delivers every message exactly once; and two
schedulers with an operator's push beside them, each message sent once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select

from benchmarks.sender import EXPIRED_TEXT, FIRST_CHAT, seed
from bot.app import running_app
from bot.channels.telegram.runner import TELEGRAM_AUDIENCE, TelegramBot
from bot.config import Settings
from push.jobs import tick
from storage import create_engine, make_sessionmaker, migrate
from storage.models import Delivery, HelpRequest, Match, MatchState, User
from tests.chat import Chat
from tests.conftest import FrozenClock
from tests.standin import BotApiStandin
from tests.test_push import request_for_mother, volunteer_profile

ERIKA, SABINE = 4001, 4002


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_an_offer_is_accepted_and_reminders_follow_over_telegram(
    framework: str, standin: BotApiStandin, database_url: str, clock: FrozenClock
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=standin.token,
        telegram_api_url=standin.url,
        bot_framework=framework,
        run_scheduler=False,
    )
    async with running_app(settings, clock=clock) as app:
        # Both registered earlier (the dialogues themselves are tested over Telegram elsewhere).
        await volunteer_profile(Chat(app, "erika", "de", key=f"telegram:{ERIKA}"), "Erika")
        await request_for_mother(Chat(app, "sabine", "de", key=f"telegram:{SABINE}"))
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        try:
            erika, sabine = standin.user(ERIKA, "Erika"), standin.user(SABINE, "Sabine")
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            offer = await erika.wait_for_message()
            assert "🔔 Können Sie helfen?" in offer.text
            assert "Hauptstraße" not in offer.text

            await erika.press("✅ Ich kann helfen")
            confirmation = await erika.wait_for_message(
                lambda m: "Danke! Sie helfen" in (m.text or "")
            )
            assert "📍 Adresse: Hauptstraße 5" in confirmation.text
            await standin.wait_until(lambda: not standin.callback_queries_unanswered())

            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            found = await sabine.wait_for_message()
            assert "🎉 Gute Nachricht: Erika hilft Helga." in found.text

            clock.now = clock.now.replace(hour=17)
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            assert (
                "⏰ Morgen:"
                in (await erika.wait_for_message(lambda m: "⏰" in (m.text or ""))).text
            )
            assert (
                "⏰ Morgen:"
                in (await sabine.wait_for_message(lambda m: "⏰" in (m.text or ""))).text
            )

            clock.now += timedelta(hours=19)  # Tuesday noon
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            await erika.wait_for_message(lambda m: "Hat die Hilfe stattgefunden?" in (m.text or ""))
            await erika.press("✅ 3 Stunden")
            await erika.wait_for_message(lambda m: "Wir haben es notiert" in (m.text or ""))
        finally:
            await bot.stop()
        async with app.sessions() as session:
            match = (await session.exec(select(Match))).one()
        assert (match.state, match.hours) == (MatchState.DONE, 3.0)


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_when_the_asker_erases_their_data_the_volunteers_messages_forget_them(
    framework: str, standin: BotApiStandin, database_url: str, clock: FrozenClock
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=standin.token,
        telegram_api_url=standin.url,
        bot_framework=framework,
        run_scheduler=False,
    )
    async with running_app(settings, clock=clock) as app:
        await volunteer_profile(Chat(app, "erika", "de", key=f"telegram:{ERIKA}"), "Erika")
        await request_for_mother(Chat(app, "sabine", "de", key=f"telegram:{SABINE}"))
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        try:
            erika, sabine = standin.user(ERIKA, "Erika"), standin.user(SABINE, "Sabine")
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            await erika.wait_for_message()
            await erika.press("✅ Ich kann helfen")
            confirmation = await erika.wait_for_message(
                lambda m: "Danke! Sie helfen" in (m.text or "")
            )
            clock.now = clock.now.replace(hour=17)
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            reminder = await erika.wait_for_message(lambda m: "⏰" in (m.text or ""))
            assert "Hauptstraße" in reminder.text

            await sabine.send_text("/delete")
            await sabine.wait_for_message(lambda m: "löschen" in (m.text or ""))
            await sabine.press(sabine.last_keyboard()[0][0])  # yes, delete everything
            await sabine.wait_for_message(lambda m: "gelöscht" in (m.text or ""))
            await bot.channel.courier.sweep()  # as the next sweep would, within seconds

            def forgotten() -> bool:
                return all(
                    "Angaben zu einer Person" in (m.text or "") for m in (confirmation, reminder)
                )

            await standin.wait_until(forgotten)
            for message in (confirmation, reminder):
                assert "Hauptstraße" not in message.text and "Helga" not in message.text
                assert message.buttons() == []
            clock.now += timedelta(hours=16)  # the reminder two hours before is not sent
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            await asyncio.sleep(0.5)
            assert not any("In zwei Stunden" in (m.text or "") for m in erika.messages)
        finally:
            await bot.stop()


async def _seed_expired_requests(database_url: str, count: int) -> None:
    """People whose requests' days have passed: the push tells each of them once."""
    engine = create_engine(database_url)
    await migrate(engine)
    now = datetime.now(UTC)
    async with make_sessionmaker(engine)() as session, session.begin():
        for number in range(count):
            user = User(
                key=f"telegram:{5000 + number}",
                language="de",
                role="seeker",
                municipality="bingen",
                consent_version="2026-11",
                consent_at=now,
                created_at=now,
            )
            session.add(user)
            await session.flush()
            assert user.id is not None
            session.add(
                HelpRequest(
                    asker_id=user.id,
                    category="shopping",
                    municipality="bingen",
                    district="buedesheim",
                    day=date(2026, 1, 5),
                    part_of_day="morning",
                    languages=["de"],
                    description="Wocheneinkauf",
                    created_at=now,
                    updated_at=now,
                )
            )
    await engine.dispose()


async def _sent(database_url: str) -> int:
    engine = create_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        count = (
            await session.exec(select(func.count()).where(col(Delivery.sent_at).is_not(None)))
        ).one()
    await engine.dispose()
    return int(count)


async def test_a_push_killed_half_way_delivers_everything_exactly_once_after_a_restart(
    standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    people = 40
    await _seed_expired_requests(database_url, people)
    calls = 0
    gate = asyncio.Event()
    abandoned = False
    original = standin._m_sendMessage

    async def interrupted_at_the_tenth(params: dict[str, Any]) -> Any:
        """From the tenth message on, Telegram does not answer until the bot is gone."""
        nonlocal calls
        calls += 1
        if calls >= 10 and not abandoned:
            await gate.wait()
        if abandoned:
            raise ConnectionResetError("the bot is gone; this request never completed")
        return original(params)

    standin.register_method("sendMessage", interrupted_at_the_tenth)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_API_URL": standin.url,
        "DATABASE_URL": database_url,
        "BOT_FRAMEWORK": "aiogram",
        "PUSH_LEASE_SECONDS": "2",
    }
    command = [sys.executable, "-m", "bot", "push", "--now"]
    first = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )

    async def nine_marked_sent() -> bool:
        return await _sent(database_url) == 9

    await standin.wait_until(nine_marked_sent, timeout=60, interval=0.2)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    abandoned = True
    gate.set()
    await asyncio.sleep(0.1)
    assert sum(len(standin.chat(5000 + n).messages) for n in range(people)) == 9

    standin.register_method("sendMessage", original)
    await asyncio.sleep(2)  # the dead worker's claim runs out, as it would before a restart
    second = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(second.communicate(), timeout=120)
    assert second.returncode == 0, output.decode()

    received = [len(standin.chat(5000 + n).messages) for n in range(people)]
    assert received == [1] * people  # every message once: nothing lost, nothing twice
    assert all(
        "Der Termin ist vorbei" in standin.chat(5000 + n).messages[0].text for n in range(people)
    )
    assert await _sent(database_url) == people


async def test_two_schedulers_and_an_operators_push_send_every_message_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    """Issue 13, item 1: sending outlasts the lease, and a third process starts after it ran out."""
    people, lease = 700, 4
    await seed(database_url, people)
    async with BotApiStandin(send_delay=0.1) as standin:  # Telegram on a slow day
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": standin.token,
            "TELEGRAM_API_URL": standin.url,
            "DATABASE_URL": database_url,
            "BOT_FRAMEWORK": "aiogram",
            "PUSH_LEASE_SECONDS": str(lease),
            "PUSH_TICK_SECONDS": "1",
            # Half of Telegram's rate each: sending lasts long enough for the operator's push,
            # started late, to find messages left even on a busy machine.
            "TELEGRAM_MESSAGES_PER_SECOND": "15",
        }
        logs = [tmp_path / name for name in ("scheduler-1.log", "scheduler-2.log", "push.log")]

        async def ehrenamt(*command: str, log: Path) -> asyncio.subprocess.Process:
            with log.open("ab") as output:
                return await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "bot", *command),
                    env=env,
                    cwd=tmp_path,
                    stdout=output,
                    stderr=output,
                )

        def output() -> str:
            return "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs if log.exists())

        schedulers = [await ehrenamt("scheduler", log=log) for log in logs[:2]]
        try:
            await standin.wait_until(lambda: standin.calls("sendMessage"), timeout=60)
            sending_since = asyncio.get_running_loop().time()
            # As on the day of the issue, the operator's push claims once the schedulers' first
            # claims would have run out, while they are still sending: its start-up is held at
            # its first call (getMe; the schedulers made theirs before they sent anything).
            operator_may_start = asyncio.Event()

            async def held_get_me(params: dict[str, Any]) -> Any:
                await operator_may_start.wait()
                return standin._m_getMe(params)

            standin.register_method("getMe", held_get_me)
            operator = await ehrenamt("push", "--now", log=logs[2])
            await asyncio.sleep(sending_since + lease + 1 - asyncio.get_running_loop().time())
            operator_may_start.set()
            assert await asyncio.wait_for(operator.wait(), timeout=60) == 0, output()

            async def all_marked_sent() -> bool:
                return await _sent(database_url) == people

            await standin.wait_until(all_marked_sent, timeout=60, interval=0.2)
            await asyncio.sleep(0.5)  # a message sent twice would arrive about now
        finally:
            for scheduler in schedulers:
                if scheduler.returncode is None:
                    scheduler.send_signal(signal.SIGTERM)
            exits = [await asyncio.wait_for(s.wait(), timeout=20) for s in schedulers]
        assert exits == [0, 0], output()
        chats = [standin.chat(FIRST_CHAT + number).messages for number in range(people)]

    received = Counter(len(messages) for messages in chats)
    assert received == Counter({1: people}), f"chats by messages received: {received}"
    assert all(EXPIRED_TEXT in (messages[0].text or "") for messages in chats)
    assert "sent 0 messages" not in logs[2].read_text(), "the operator's push took no part"
