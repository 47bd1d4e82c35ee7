"""Faults end to end: a crash between a step and its reply, updates that cannot be read, webhook
replays, and a Bot API that cannot be reached. `ehrenamt run` over HTTP against the stand-in, on
python-telegram-bot and on aiogram."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage import create_engine, make_sessionmaker
from storage.models import PendingReply
from tests.conftest import personal_data_in
from tests.standin import BotApiStandin
from tests.standin.botapi import ApiError
from tests.telegram_bot import BotProcess, free_port

FRAMEWORKS = ["ptb", "aiogram"]
# A crashed process's replies are sent by the next one once its claim has passed: short here.
FAST_RECOVERY = {"REPLY_LEASE_SECONDS": "2"}


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


async def replies_waiting(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return (await session.exec(select(func.count()).select_from(PendingReply))).one()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_reply_interrupted_by_a_crash_arrives_after_the_restart_exactly_once(
    framework: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(standin, framework, "polling", database_url, tmp_path, env=FAST_RECOVERY)
    await bot.start()
    erika = standin.user(1101, "Erika", language_code=None)  # no language: the question
    try:
        await erika.send_text("/start")
        welcome = await erika.wait_for_message()

        # The bot dies the moment it sends the next question: the pressed message is marked,
        # the step stored, the question not yet out.
        send_message = standin._methods["sendmessage"]

        def crash_on_the_question(params: dict[str, Any]) -> Any:
            if params.get("chat_id") == 1101 and bot.process and bot.process.returncode is None:
                bot.kill()
                raise ApiError(502, "Bad Gateway")
            return send_message(params)

        standin.register_method("sendMessage", crash_on_the_question)
        await erika.press("Deutsch")
        marked = await erika.wait_for_edit()
        assert marked.message_id == welcome.message_id and marked.text.endswith("✓ Deutsch")
        assert bot.process is not None
        await bot.process.wait()
        standin.register_method("sendMessage", send_message)
        assert len(erika.messages) == 1

        await bot.start()
        privacy = await erika.wait_for_message(timeout=20)
        assert "Sind Sie einverstanden?" in privacy.text

        async def all_sent() -> bool:
            return await replies_waiting(database_url) == 0

        await standin.wait_until(all_sent, timeout=15)
        texts = [m.text for m in erika.messages]
        assert sum("Sind Sie einverstanden?" in (t or "") for t in texts) == 1

        await erika.press("✅ Ich stimme zu")  # and the dialogue goes on from there
        role = await erika.wait_for_message()
        assert "Wie möchten Sie mitmachen?" in role.text
    finally:
        await bot.stop()


def unreadable_updates(person: dict[str, Any]) -> list[dict[str, Any]]:
    """Updates neither framework can read; they hold personal data that must not be logged."""
    chat = {"id": person["id"], "type": "private", "first_name": "Helga"}
    return [
        # A button press without its sender.
        {"callback_query": {"id": "77", "chat_instance": "x", "data": "lang:de"}},
        # A message whose fields have the wrong types.
        {
            "message": {
                "message_id": "first",
                "from": person,
                "chat": chat,
                "date": "yesterday",
                "text": "Helga, Hauptstraße 5",
            }
        },
        # A message without the chat it was sent in.
        {"message": {"message_id": 5, "from": person, "date": 0, "text": "Hauptstraße"}},
    ]


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_updates_that_cannot_be_read_are_skipped_and_everybody_else_is_answered(
    framework: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(standin, framework, "polling", database_url, tmp_path)
    await bot.start()
    try:
        helga = standin.user(1102, "Helga", language_code="de")
        for update in unreadable_updates(helga.as_user()):
            standin.push_update(update)
        greta = standin.user(1103, "Greta", language_code=None)
        await greta.send_text("/start")
        welcome = await greta.wait_for_message()
        assert "Willkommen" in welcome.text
        await helga.send_text("/start")  # the person behind a bad update is answered too
        await helga.wait_for_message()
        await standin.wait_until(lambda: standin.pending_updates == 0)
        assert bot.log_text().count("which could not be read") == 3
    finally:
        await bot.stop()
    assert personal_data_in(bot.log_text()) == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_webhook_update_sent_again_is_answered_once(
    framework: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(standin, framework, "webhook", database_url, tmp_path)
    await bot.start()
    try:
        person = standin.user(1104, "Karl", language_code="de")
        update = {"update_id": 5_000, "message": person._message(text="/help")}
        statuses = await asyncio.gather(*(standin.post_to_webhook(update) for _ in range(20)))
        assert set(statuses) == {200}
        await person.wait_for_message()
        bad = unreadable_updates(person.as_user())
        statuses = [
            await standin.post_to_webhook({"update_id": 6_000 + i, **u}) for i, u in enumerate(bad)
        ]
        assert set(statuses) == {200}  # answered, so that Telegram does not send them again
        await asyncio.sleep(1)
        assert len(person.messages) == 1
    finally:
        await bot.stop()
    assert bot.log_text().count("which could not be read") == 3
    assert personal_data_in(bot.log_text()) == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_the_bot_waits_for_an_unreachable_bot_api_and_stops_at_once_when_asked(
    framework: str, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    standin = BotApiStandin(port=port)
    api_url = f"http://127.0.0.1:{port}"
    bot = BotProcess(standin, framework, "polling", database_url, tmp_path, api_url=api_url)
    await bot.start(wait=False)
    try:
        await standin.wait_until(lambda: "cannot be reached" in bot.log_text(), timeout=20)
        await asyncio.sleep(3)  # a few attempts more, said once
        assert bot.process is not None and bot.process.returncode is None, bot.log_text()
        assert bot.log_text().count("cannot be reached") == 1
        async with standin:
            await bot.ready()
            person = standin.user(1105, "Lena", language_code=None)
            await person.send_text("/start")
            assert "Willkommen" in (await person.wait_for_message(timeout=20)).text
            await bot.stop()
    finally:
        await bot.stop()
    assert "Traceback" not in bot.log_text()

    # Unreachable again: a stop does not wait for the Bot API.
    said = bot.log_text().count("cannot be reached")
    await bot.start(wait=False)
    await standin.wait_until(lambda: bot.log_text().count("cannot be reached") > said, timeout=20)
    began = time.monotonic()
    await bot.stop()
    assert time.monotonic() - began < 5
    assert "Traceback" not in bot.log_text()
