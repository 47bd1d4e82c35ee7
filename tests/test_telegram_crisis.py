"""A call for helpers over Telegram, on both frameworks: the coordinator writes it with the
meeting point shared on the map, the volunteer gets it with the place as a venue and answers with
one tap, and the live view is one message, edited in place. With paid broadcasts on, the call
and the answers to it go as paid broadcasts, and the coordinator's dialogue as usual."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import running_app
from bot.channels.telegram.runner import TELEGRAM_AUDIENCE, TelegramBot
from push.jobs import tick
from tests.chat import Chat, onboard
from tests.conftest import FrozenClock
from tests.standin import BotApiStandin
from tests.test_agency import grant
from tests.test_crisis import volunteer
from tests.test_telegram_relay import settings_for

KIM, ANNA = 4301, 4302


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandin]:
    async with BotApiStandin() as api:
        yield api


def text_has(part: str):  # type: ignore[no-untyped-def]
    return lambda message: part in (message.text or "")


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_a_call_for_helpers_over_telegram(
    framework: str, standin: BotApiStandin, database_url: str, clock: FrozenClock
) -> None:
    # Calls go as paid broadcasts; Telegram's limits are on.
    settings = settings_for(standin, database_url, framework).model_copy(
        update={"telegram_paid_broadcasts_per_second": 100}
    )
    standin.enforce_limits()
    async with running_app(settings, clock=clock) as app:
        kim = Chat(app, "kim", "en", key=f"telegram:{KIM}")
        await onboard(kim, "volunteer", "en")
        await grant(app, kim)
        await volunteer(app, "anna", key=f"telegram:{ANNA}", language="en")
        bot = TelegramBot(app)
        await bot.start(schedule=False)
        coordinator, anna = standin.user(KIM, "Kim"), standin.user(ANNA, "Anna")
        try:
            await coordinator.send_text("/menu")
            menu = await coordinator.wait_for_message(text_has("🏠 Main menu"))
            [queue] = [
                b["text"] for row in menu.buttons() for b in row if b["text"].startswith("🗂")
            ]
            await coordinator.press(queue)
            await coordinator.wait_for_message(text_has("Agency queue"))
            await coordinator.press("🚨 Call for helpers")
            await coordinator.wait_for_message(text_has("No call for helpers is open."))
            await coordinator.press("➕ New call for helpers")
            await coordinator.wait_for_message(text_has("What is to be done?"))
            await coordinator.send_text("Fill sandbags at the Rhine bank")
            await coordinator.wait_for_message(text_has("Where do the helpers meet?"))
            await coordinator.send_text("Car park at the town hall")
            await coordinator.wait_for_message(text_has("Share the exact place on the map"))
            await coordinator.share_location(49.9669, 7.8992)
            await coordinator.wait_for_message(text_has("When do the helpers meet?"))
            await coordinator.press("In two hours")
            await coordinator.wait_for_message(text_has("How many people do you need?"))
            await coordinator.send_text("5")
            await coordinator.wait_for_message(text_has("What should the helpers bring?"))
            await coordinator.press("Nothing special")
            await coordinator.wait_for_message(text_has("In which districts"))
            await coordinator.press("➡️ Continue")
            await coordinator.wait_for_message(text_has("Who may come"))
            await coordinator.press("➡️ Continue")
            await coordinator.wait_for_message(text_has("task from home"))
            await coordinator.press("Skip")
            await coordinator.wait_for_message(text_has("It reaches 1 volunteer now."))
            await coordinator.press("🚨 Send the call")
            live = await coordinator.wait_for_message(text_has("📨 Sent: 0 of 1"))

            await tick(app.pushing, bot.channel, TELEGRAM_AUDIENCE)
            call = await anna.wait_for_message(text_has("🚨 Call for helpers from"))
            await anna.press("✅ I'm coming", on=call)
            await anna.wait_for_message(text_has("You are coming. Your group: 1."))
            venue = await anna.wait_for_message(lambda m: m.venue is not None)
            assert venue.venue == {
                "location": {"latitude": 49.9669, "longitude": 7.8992},
                "title": "Car park at the town hall",
                "address": "Fill sandbags at the Rhine bank",
            }

            await coordinator.press("🔄 Refresh", on=live)
            edited = await coordinator.wait_for_edit(text_has("✅ Coming: 1 of 5"))
            assert edited.message_id == live.message_id  # the same message, edited in place
            assert "📨 Sent: 1 of 1" in (edited.text or "")
            await standin.wait_until(lambda: not standin.callback_queries_unanswered())
            paid = {
                (params["chat_id"], bool(params.get("allow_paid_broadcast")))
                for method in ("sendMessage", "sendVenue")
                for params in standin.calls(method)
            }
            # The call, its place and the answer to it went as paid broadcasts; the
            # coordinator's dialogue did not.
            assert paid == {(ANNA, True), (KIM, False)}
        finally:
            await bot.stop()
