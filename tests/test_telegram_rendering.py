"""How replies look on Telegram: inline keyboards, the location keyboard, the command menus."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram.channel import TelegramChannel, chat_of, incoming_message, user_key
from engine.i18n import Raw, Translator, _
from engine.types import Button, Reply
from locales import LANGUAGES


def channel() -> TelegramChannel:
    return TelegramChannel(core=None, translator=Translator(), sender=None)  # type: ignore[arg-type]


def test_choices_become_an_inline_keyboard_in_the_readers_language() -> None:
    reply = Reply(
        _("Which language would you like me to use?"),
        "de",
        buttons=((Button("lang:de", Raw("Deutsch")),), (Button("nav:cancel", _("✖ Cancel")),)),
    )
    assert channel().markup(reply) == {
        "inline_keyboard": [
            [{"text": "Deutsch", "callback_data": "lang:de"}],
            [{"text": "✖ Abbrechen", "callback_data": "nav:cancel"}],
        ]
    }


def test_a_step_asking_for_a_place_gets_a_location_keyboard() -> None:
    reply = Reply(
        _("Where do you live, or where is help needed?"),
        "en",
        buttons=((Button("district:kempten", Raw("Kempten")),),),
        request_location=True,
    )
    markup: dict[str, Any] | None = channel().markup(reply)
    assert markup is not None
    assert markup["keyboard"][0] == [{"text": "📍 Share my location", "request_location": True}]
    assert markup["keyboard"][1] == [{"text": "Kempten"}]
    assert markup["one_time_keyboard"] is True


def test_a_reply_without_choices_has_no_keyboard() -> None:
    assert channel().markup(Reply(_("Thank you!"), "de")) is None


def test_command_menus_exist_for_every_language_and_the_default() -> None:
    menus = channel().command_menus()
    assert set(menus) == {None, *LANGUAGES}
    assert menus[None] == menus["de"]
    assert ("language", "Change the language") in menus["en"]


def test_user_keys_round_trip_and_other_channels_are_not_telegram() -> None:
    assert chat_of(user_key(4711)) == 4711
    assert chat_of("console:erika") is None


def test_a_message_without_text_or_location_is_an_attachment() -> None:
    sticker = incoming_message(1, text=None, location=None, language_code="de")
    assert sticker.attachment == "other"
    located = incoming_message(1, text=None, location=(49.9, 7.9), language_code="de")
    assert located.attachment is None
    assert located.location is not None
