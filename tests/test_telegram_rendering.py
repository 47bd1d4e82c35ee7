"""How replies look on Telegram: inline keyboards, the location keyboard, the command menus."""

from __future__ import annotations

from typing import Any

from bot.channels.telegram.channel import (
    Pressed,
    TelegramChannel,
    chat_of,
    incoming_message,
    user_key,
)
from engine.i18n import Raw, Translator, _
from engine.types import Button, OutgoingFile, Reply, Turn
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
    # Plain German has no code of its own at Telegram: its readers get the German menu.
    assert set(menus) == {None, *LANGUAGES} - {"de_simple"}
    assert menus[None] == menus["de"]
    assert ("language", "Change the language") in menus["en"]


def test_user_keys_round_trip_and_other_channels_are_not_telegram() -> None:
    assert chat_of(user_key(4711)) == 4711
    assert chat_of("console:erika") is None


def test_a_message_without_text_or_location_is_an_attachment() -> None:
    sticker = incoming_message(1, text=None, location=None, language_code="de", update_id=7)
    assert sticker.attachment == "other"
    assert sticker.update_key == "telegram:7"
    located = incoming_message(1, text=None, location=(49.9, 7.9), language_code="de", update_id=8)
    assert located.attachment is None
    assert located.location is not None


def test_a_press_is_delivered_as_the_choice_marked_then_the_next_question() -> None:
    pressed = Pressed("q1", message_id=12, message_text="Which language?")
    question = Reply(_("Thank you!"), "de", buttons=((Button("nav:cancel", _("✖ Cancel")),),))
    turn = Turn([question], chosen=Raw("Deutsch"), language="de")
    marked, asked = channel().render(42, turn, pressed)
    assert marked.body == {
        "call": "edit",
        "chat": 42,
        "message": 12,
        "text": "Which language?\n\n✓ Deutsch",
        "markup": None,
    }
    assert asked.body["call"] == "send"
    assert asked.body["text"] == "Vielen Dank!"
    assert asked.body["markup"] == {
        "inline_keyboard": [[{"text": "✖ Abbrechen", "callback_data": "nav:cancel"}]]
    }


def test_a_ticked_choice_updates_the_pressed_message_in_place() -> None:
    pressed = Pressed("q1", message_id=12, message_text="Which kinds?")
    again = Reply(_("Thank you!"), "en", buttons=((Button("cat:x", Raw("✓ X")),),))
    (edited,) = channel().render(42, Turn([again], language="en", replace=True), pressed)
    assert edited.body["call"] == "edit"
    assert edited.body["message"] == 12
    assert edited.body["markup"] == {
        "inline_keyboard": [[{"text": "✓ X", "callback_data": "cat:x"}]]
    }


def test_a_file_is_delivered_as_a_document_with_its_content() -> None:
    export = Reply(_("Thank you!"), "en", file=OutgoingFile("mydata.json", b"{}"))
    (document,) = channel().render(42, Turn([export], language="en"), None)
    assert document.body == {
        "call": "document",
        "chat": 42,
        "filename": "mydata.json",
        "caption": "Thank you!",
    }
    assert document.file == b"{}"
