"""The Telegram front ends end to end: `ehrenamt run` over HTTP against a local Bot API stand-in.

Every scenario runs on python-telegram-bot and on aiogram; the onboarding scenario also in webhook
mode. What a person sees is read from the stand-in, what was stored from the database.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.config import Settings
from storage import create_engine, make_sessionmaker
from storage.models import Conversation, User
from tests.standin import BotApiStandin
from tests.telegram_bot import WEBHOOK_SECRET, BotProcess

FRAMEWORKS = ["ptb", "aiogram"]


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


@pytest.fixture(params=FRAMEWORKS)
async def bot(
    request: pytest.FixtureRequest, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    process = BotProcess(standin, request.param, "polling", database_url, tmp_path)
    await process.start()
    yield process
    await process.stop()


async def stored_user(database_url: str, key: str) -> User | None:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return (await session.exec(select(User).where(User.key == key))).first()
    finally:
        await engine.dispose()


async def stored_conversation(database_url: str, key: str) -> Conversation | None:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await session.get(Conversation, key)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_onboarding_by_buttons_survives_a_restart(
    framework: str, mode: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(standin, framework, mode, database_url, tmp_path)
    await bot.start()
    erika = standin.user(1001, "Erika", language_code=None)  # no language: the question
    try:
        await erika.send_text("/start")
        welcome = await erika.wait_for_message()
        assert "Willkommen bei Ehrenamtsbörse Bingen" in welcome.text
        assert erika.last_keyboard()[0] == ["Deutsch", "Einfaches Deutsch"]
        assert erika.last_keyboard()[-1] == ["✖ Abbrechen"]

        await erika.press("Deutsch")
        privacy = await erika.wait_for_message()
        assert "Sind Sie einverstanden?" in privacy.text
        edited = await erika.wait_for_edit()
        assert edited.message_id == welcome.message_id
        assert edited.text.endswith("✓ Deutsch")
        assert edited.buttons() == []

        conversation = await stored_conversation(database_url, "telegram:1001")
        assert conversation is not None
        assert (conversation.flow, conversation.step) == ("onboarding", "privacy")

        await bot.restart()

        await erika.press("✅ Ich stimme zu")
        role = await erika.wait_for_message()
        assert "Wie möchten Sie mitmachen?" in role.text
        await erika.press("🙋 Ich möchte helfen")
        profile = await erika.wait_for_message()
        assert "Wie ist Ihr Vorname?" in profile.text  # the profile starts at once

        await standin.wait_until(lambda: not standin.callback_queries_unanswered())
    finally:
        await bot.stop()

    user = await stored_user(database_url, "telegram:1001")
    assert user is not None
    assert (user.language, user.role) == ("de", "volunteer")
    if mode == "webhook":
        assert standin.webhook_secret == WEBHOOK_SECRET
        assert set(standin.webhook_responses) == {200}


async def test_language_comes_from_telegram_until_chosen(bot: BotProcess) -> None:
    sam = bot.standin.user(1002, "Sam", language_code="en")
    await sam.send_text("/start")
    message = await sam.wait_for_message()  # his phone's language: straight to consent
    assert "Do you agree?" in message.text
    assert ["🌐 Language"] in sam.last_keyboard()
    await sam.press("🌐 Language")
    message = await sam.wait_for_message()
    assert "Which language would you like me to use?" in message.text
    assert sam.last_keyboard()[0] == ["English", "Deutsch"]


async def test_command_menu_is_set_per_language(bot: BotProcess) -> None:
    commands = bot.standin.commands
    german = commands[("default", "")]
    assert [c["command"] for c in german] == [
        "start",
        "menu",
        "language",
        "cancel",
        "help",
        "privacy",
        "mydata",
        "delete",
    ]
    assert german[1]["description"] == "Hauptmenü öffnen"
    assert commands[("default", "de")] == german
    assert commands[("default", "en")][1]["description"] == "Open the main menu"


async def test_a_posters_deep_link_preselects_its_district(
    bot: BotProcess, database_url: str
) -> None:
    person = bot.standin.user(1003, "Poster", language_code="de")
    await person.send_text("/start d-kempten")
    await person.wait_for_message()
    conversation = await stored_conversation(database_url, "telegram:1003")
    assert conversation is not None
    assert conversation.data == {"start_code": "d-kempten"}
    await person.press("Deutsch")
    await person.wait_for_message()
    await person.press("✅ Ich stimme zu")
    assert "Wie möchten Sie mitmachen?" in (await person.wait_for_message()).text
    user = await stored_user(database_url, "telegram:1003")
    assert user is not None and user.district == "kempten"


async def test_sticker_and_forged_button_get_a_clear_answer(bot: BotProcess) -> None:
    person = bot.standin.user(1004, "Mallory", language_code=None)
    await person.send_text("/start")
    await person.wait_for_message()

    await person.send_sticker()
    answer = await person.wait_for_message()
    assert "nur Textnachrichten und Tasten" in answer.text

    await person.press("lang:de")
    await person.wait_for_message()
    await person.press("✅ Ich stimme zu")
    await person.wait_for_message()
    # Press the spent language button of the first message again, as a second click would.
    first = person.messages[0]
    query = {
        "id": bot.standin.new_callback_query_id(),
        "from": person.as_user(),
        "message": bot.standin.message_object(first),
        "chat_instance": "x",
        "data": "lang:en",
    }
    bot.standin.push_update({"callback_query": query})
    answer = await person.wait_for_message()
    assert "Diese Taste gilt nicht mehr" in answer.text
    assert "Wie möchten Sie mitmachen?" in answer.text
    await bot.standin.wait_until(lambda: not bot.standin.callback_queries_unanswered())


async def test_too_many_requests_are_waited_out_and_nothing_is_lost(bot: BotProcess) -> None:
    standin = bot.standin
    person = standin.user(1005, "Karl", language_code=None)
    standin.fail_next("sendMessage", status=429, retry_after=1, times=2)

    await person.send_text("/start")
    await person.send_text("/help")
    first = await person.wait_for_message(timeout=15)
    second = await person.wait_for_message(timeout=15)
    assert "Willkommen" in first.text
    assert "/language ändert die Sprache" in second.text
    await standin.wait_until(lambda: len(standin.calls("sendMessage")) >= 4)
    assert len(person.messages) == 2  # each once, in the order they were written
    assert standin.too_many_requests_count == 2


async def test_blocked_bot_marks_the_person_unreachable(bot: BotProcess, database_url: str) -> None:
    standin = bot.standin
    person = standin.user(1006, "Greta", language_code=None)
    await person.send_text("/start")
    await person.wait_for_message()
    await person.press("Deutsch")
    await person.wait_for_message()
    await person.press("✅ Ich stimme zu")
    await person.wait_for_message()

    standin.fail_next("sendMessage", status=403, chat_id=1006)
    await person.send_text("/menu")

    async def marked() -> bool:
        user = await stored_user(database_url, "telegram:1006")
        return user is not None and user.unreachable_at is not None

    await standin.wait_until(marked, timeout=15)

    await person.send_text("/menu")  # writing again shows they can be reached
    await person.wait_for_message()
    user = await stored_user(database_url, "telegram:1006")
    assert user is not None and user.unreachable_at is None


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_webhook_refuses_calls_without_the_secret(
    framework: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(standin, framework, "webhook", database_url, tmp_path)
    await bot.start()
    try:
        person = standin.user(1007, "Eve", language_code="de")
        update = {"update_id": 999_999, "message": person._message(text="/start")}
        assert await standin.post_to_webhook(update, secret="wrong") == 403
        assert await standin.post_to_webhook(update, secret=None) == 403
        assert person.messages == []
        assert await stored_conversation(database_url, "telegram:1007") is None

        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{bot.port}/healthz") as response,
        ):
            assert response.status == 200
    finally:
        await bot.stop()


def test_run_without_token_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "make chat" in result.stderr


def test_webhook_without_secret_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        Settings(webhook_url="https://bot.example.org/telegram", _env_file=None)  # type: ignore[call-arg]


async def test_volunteer_and_request_dialogues_over_telegram(
    bot: BotProcess, database_url: str
) -> None:
    standin = bot.standin
    erika = standin.user(1010, "Erika", language_code="de")
    await erika.send_text("/start")
    await erika.wait_for_message()
    for label in ("✅ Ich stimme zu", "🙋 Ich möchte helfen"):  # German: no language question
        await erika.press(label)
        await erika.wait_for_message()
    await erika.send_text("Erika")
    await erika.wait_for_message()
    await erika.press("18 oder älter")
    categories = await erika.wait_for_message()

    sent_before = len(erika.messages)
    await erika.press("🛒 Einkaufen")
    # The same question is edited in place with the ✓, no new message is sent.
    ticked = await erika.wait_for_edit(lambda m: m.message_id == categories.message_id)
    assert [b["text"] for row in ticked.buttons() for b in row if "✓" in b["text"]] == [
        "✓ 🛒 Einkaufen"
    ]
    assert len(erika.messages) == sent_before

    await erika.press("➡️ Weiter")
    districts = await erika.wait_for_message()
    assert "Wo können Sie helfen?" in districts.text
    await erika.share_location(49.9688, 7.9330)
    answer = await erika.wait_for_message()
    assert "Der nächste Stadtteil ist Kempten" in answer.text

    # A daughter asks for shopping help for her mother: the district step offers a location keyboard.
    tochter = standin.user(1011, "Sabine", language_code="de")
    await tochter.send_text("/start")
    await tochter.wait_for_message()
    for label in ("✅ Ich stimme zu", "👪 Ich frage für jemand anderen"):
        await tochter.press(label)  # the role starts the request for someone else at once
        await tochter.wait_for_message()
    await tochter.send_text("Erika")
    await tochter.wait_for_message()
    await tochter.press("🛒 Einkaufen")
    await tochter.wait_for_message()
    await tochter.press("🤷 Flexibel")
    district = await tochter.wait_for_message()
    assert "In welchem Stadtteil braucht Erika Hilfe?" in district.text
    keyboard = tochter.last_reply_keyboard()
    assert keyboard[0] == ["📍 Meinen Standort senden"]
    assert ["Büdesheim", "Dietersheim"] in keyboard
    await tochter.send_text("Büdesheim")  # a reply-keyboard button arrives as its text
    address = await tochter.wait_for_message()
    assert "Wo soll die oder der Ehrenamtliche Erika treffen?" in address.text
    await standin.wait_until(lambda: not standin.callback_queries_unanswered())


async def test_group_chats_channels_and_edited_messages_are_ignored(bot: BotProcess) -> None:
    standin = bot.standin
    person = standin.user(1020, "Greta", language_code="de")
    group = {"id": -100123, "type": "group", "title": "Nachbarn"}
    standin.push_update({"message": {**person._message(text="/start"), "chat": group}})
    channel = {"id": -100456, "type": "channel", "title": "News"}
    standin.push_update(
        {"channel_post": {"message_id": 1, "date": 0, "chat": channel, "text": "/start"}}
    )
    standin.push_update({"edited_message": {**person._message(text="/start"), "edit_date": 1}})
    await person.send_text("/start")  # a private message afterwards is answered, and only it
    await person.wait_for_message()
    await standin.wait_until(lambda: not standin.pending_updates)
    assert standin.chat(-100123).messages == []
    assert standin.chat(-100456).messages == []
    assert len(person.messages) == 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_the_agency_queue_over_telegram(
    framework: str, standin: BotApiStandin, database_url: str, tmp_path: Path
) -> None:
    """A senior's voice message reaches the coordinator's queue; the coordinator hears it, takes
    it over and writes back, and the senior reads the answer: on both frameworks."""
    env = {"PUSH_TICK_SECONDS": "1"}
    bot = BotProcess(standin, framework, "polling", database_url, tmp_path, env=env)
    await bot.start()
    try:
        await _agency_scenario(standin, database_url)
    finally:
        await bot.stop()


async def _agency_scenario(standin: BotApiStandin, database_url: str) -> None:
    anna = standin.user(1100, "Anna", language_code="en")
    await anna.send_text("/start")
    await anna.wait_for_message()
    for label in ("✅ I agree", "🙋 I want to help"):
        await anna.press(label)
        await anna.wait_for_message()
    granted = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "admin", "grant-coordinator", "telegram:1100", "bingen"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
    )
    assert granted.returncode == 0, granted.stderr

    olga = standin.user(1101, "Olga", language_code="de")
    await olga.send_text("/start")
    await olga.wait_for_message()
    for label in ("✅ Ich stimme zu", "🤝 Ich brauche Hilfe"):
        await olga.press(label)
        await olga.wait_for_message()
    await olga.send_voice("AwACAgIAAxkBAAIBolga")
    answer = await olga.wait_for_message()
    assert "Treff im Stift" in answer.text
    await olga.send_text("06721 77777")
    assert "06721 77777" in (await olga.wait_for_message()).text

    alert = await anna.wait_for_message(timeout=30)  # pushed by the bot's scheduler
    assert alert.text == "🗂 Someone asks to be called back."
    await anna.send_text("/menu")
    menu = await anna.wait_for_message()
    assert "🏠 Main menu" in menu.text
    assert ["🗂 Agency queue (1)"] in anna.last_keyboard()
    await anna.press("🗂 Agency queue (1)")
    queue = await anna.wait_for_message()
    assert "🗂 Agency queue: 1 waiting." in queue.text
    [item] = [row[0] for row in anna.last_keyboard() if "Call back" in row[0]]
    await anna.press(item)
    voice = await anna.wait_for_message()
    assert voice.voice is not None and voice.voice["file_id"] == "AwACAgIAAxkBAAIBolga"
    card = await anna.wait_for_message()
    assert "📞 Call back: 06721 77777" in card.text
    await anna.press("🙋 I take it over")
    taken = await anna.wait_for_message()
    assert "🙋 It is yours now." in taken.text
    await anna.press("✉️ Write to them")
    await anna.wait_for_message()
    await anna.send_text("Ich rufe Sie heute um 11 Uhr an.")
    assert "✉️ Sent." in (await anna.wait_for_message()).text

    note = await olga.wait_for_message(timeout=30)  # pushed by the bot's scheduler
    notes = [note.text]
    if "11 Uhr" not in note.text:
        notes.append((await olga.wait_for_message(timeout=30)).text)
    assert any("Ich rufe Sie heute um 11 Uhr an." in text for text in notes)

    # A second coordinator, invited by a deep link to the bot.
    await anna.press("« Back")
    await anna.wait_for_message()
    await anna.press("➕ Invite a coordinator or sponsor")
    await anna.wait_for_message()
    await anna.press("🗂 A coordinator")
    invited = await anna.wait_for_message()
    [link] = [line for line in invited.text.splitlines() if line.startswith("https://t.me/")]
    username = standin.bot_user["username"]
    assert link.startswith(f"https://t.me/{username}?start=inv_")
    bernd = standin.user(1102, "Bernd", language_code="de")
    await bernd.send_text(f"/start {link.split('?start=', 1)[1]}")  # what opening the link sends
    await bernd.wait_for_message()
    await bernd.press("Deutsch")
    await bernd.wait_for_message()
    await bernd.press("✅ Ich stimme zu")
    offer = await bernd.wait_for_message()
    assert "Koordination" in offer.text or "Koordinator" in offer.text
    await bernd.press(bernd.last_keyboard()[0][0])  # yes, I accept
    welcome = await bernd.wait_for_message()
    assert any(row[0].startswith("🗂") for row in bernd.last_keyboard()), welcome.text
    await standin.wait_until(lambda: not standin.callback_queries_unanswered())
