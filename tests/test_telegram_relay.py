"""The Börse and the relay over Telegram, on both frameworks: a volunteer takes an open request from
the list, both sides write through the bot (text, photo, voice), the calendar file arrives as a
document, and a restart loses nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from icalendar import Calendar

from bot.app import running_app
from bot.channels.telegram.runner import TELEGRAM_AUDIENCE, TelegramBot
from bot.config import Settings
from push.jobs import tick
from tests.chat import Chat
from tests.conftest import FrozenClock
from tests.standin import BotApiStandin
from tests.test_push import request_for_mother, volunteer_profile

ERIKA, SABINE = 4101, 4102


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


def settings_for(standin: BotApiStandin, database_url: str, framework: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=standin.token,
        telegram_api_url=standin.url,
        bot_framework=framework,
        run_scheduler=False,
    )


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_the_boerse_and_the_relay_over_telegram(
    framework: str, standin: BotApiStandin, database_url: str, clock: FrozenClock
) -> None:
    settings = settings_for(standin, database_url, framework)
    async with running_app(settings, clock=clock) as app:
        # Both registered earlier (the dialogues themselves are tested over Telegram elsewhere).
        await volunteer_profile(Chat(app, "erika", "de", key=f"telegram:{ERIKA}"), "Erika")
        await request_for_mother(Chat(app, "sabine", "de", key=f"telegram:{SABINE}"))
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        erika, sabine = standin.user(ERIKA, "Erika"), standin.user(SABINE, "Sabine")
        try:
            await erika.send_text("/menu")
            await erika.wait_for_message(lambda m: "🏠 Hauptmenü" in (m.text or ""))
            await erika.press("🔎 Offene Anfragen")
            listing = await erika.wait_for_message(
                lambda m: "offene Anfrage passt" in (m.text or "")
            )
            assert "🛒 Einkaufen in Büdesheim" in listing.text
            await erika.press("✅ 1: Ich kann helfen")
            card = await erika.wait_for_message(
                lambda m: "Danke! Sie helfen Helga" in (m.text or "")
            )
            assert "📍 Adresse: Hauptstraße 5" in card.text
            assert card.buttons()[0][0]["text"] == "✉️ Nachricht an die Kontaktperson von Helga"
            await erika.press(card.buttons()[0][0]["callback_data"], on=card)
            await erika.wait_for_message(lambda m: "💬 Gespräch mit" in (m.text or ""))
            await erika.send_text("Guten Tag! Ich klingle um 10 Uhr.")
            await erika.wait_for_message(lambda m: "✓ An die Kontaktperson" in (m.text or ""))
            await erika.send_photo("AgACAgIAAxkBAAIBphoto")
            await erika.wait_for_message(lambda m: "✓ An die Kontaktperson" in (m.text or ""))
            await standin.wait_until(lambda: not standin.callback_queries_unanswered())
        finally:
            await bot.stop()

    # A restart before the messages went out: they wait in the outbox, and are sent once.
    async with running_app(settings, clock=clock) as app:
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        try:
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            await sabine.wait_for_message(
                lambda m: "🎉 Gute Nachricht: Erika hilft Helga." in (m.text or "")
            )
            calendar = await sabine.wait_for_message(lambda m: m.document is not None)
            assert "📅 Für Ihren Kalender" in (calendar.caption or "")
            [document] = [d for d in sabine.chat.documents if (d.filename or "").endswith(".ics")]
            assert document.content is not None
            [event] = Calendar.from_ical(document.content).walk("VEVENT")
            assert str(event["summary"]) == "🛒 Einkaufen"
            text = await sabine.wait_for_message(lambda m: "✉️ Erika schreibt:" in (m.text or ""))
            assert "„Guten Tag! Ich klingle um 10 Uhr.“" in (text.text or "")
            photo = await sabine.wait_for_message(lambda m: m.photo is not None)
            assert photo.photo is not None and photo.photo[-1]["file_id"] == "AgACAgIAAxkBAAIBphoto"
            assert photo.caption == "📷 Erika schickt ein Foto."
            assert [b["text"] for b in photo.buttons()[0]] == ["✉️ Nachricht an Erika", "⚠️ Melden"]

            await sabine.press("✉️ Nachricht an Erika", on=text)
            await sabine.wait_for_message(lambda m: "💬 Gespräch mit Erika" in (m.text or ""))
            await sabine.send_voice("AwACAgIAAxkBAAIBsabine")
            await sabine.wait_for_message(lambda m: "✓ An Erika geschickt." in (m.text or ""))
            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            voice = await erika.wait_for_message(lambda m: m.voice is not None)
            assert voice.voice is not None and voice.voice["file_id"] == "AwACAgIAAxkBAAIBsabine"
            assert voice.caption == "🎤 Die Kontaktperson von Helga schickt eine Sprachnachricht."
            await standin.wait_until(lambda: not standin.callback_queries_unanswered())
        finally:
            await bot.stop()
    sent = [m.text for m in sabine.chat.messages if m.text and "✉️ Erika schreibt:" in m.text]
    assert len(sent) == 1  # delivered once
