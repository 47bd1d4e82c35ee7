"""Onboarding as people go through it: chat scripts against the real core and database."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlmodel import select

from bot.app import App
from storage.models import Conversation, User
from tests.chat import Chat

StartApp = Callable[[], AbstractAsyncContextManager[App]]


async def users(app: App) -> list[User]:
    async with app.sessions() as session:
        return list((await session.exec(select(User))).all())


async def conversations(app: App) -> list[Conversation]:
    async with app.sessions() as session:
        return list((await session.exec(select(Conversation))).all())


async def test_german_onboarding_as_a_volunteer_stores_the_user(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = chat("erika", language_code="de")

    answer = await erika.send("/start")
    assert "Willkommen bei Ehrenamtsbörse Bingen" in answer
    assert erika.last.labels[:3] == ["Deutsch", "Einfaches Deutsch", "English"]
    assert len(erika.last.labels) == 11  # ten languages, each named in itself, and Cancel

    answer = await erika.press("Deutsch")
    assert "Sind Sie einverstanden?" in answer
    assert await users(app) == []

    answer = await erika.press("✅ Ich stimme zu")
    assert "Wie möchten Sie mitmachen?" in answer
    assert "« Zurück" not in erika.last.labels  # consent is given; nothing to go back to

    answer = await erika.press("🙋 Ich möchte helfen")
    assert "Wie ist Ihr Vorname?" in answer  # the profile starts at once
    assert "✖ Abbrechen" in erika.last.labels
    answer = await erika.send("/menu")
    assert "🏠 Hauptmenü" in answer
    assert "Ehrenamtliche" in answer

    [user] = await users(app)
    assert (user.key, user.language, user.role, user.municipality) == (
        "test:erika",
        "de",
        "volunteer",
        "bingen",
    )
    assert user.consent_version == app.deployment.agency.privacy_version
    assert user.consent_at.tzinfo is not None


async def test_english_onboarding_as_a_relative(app: App, chat: Callable[..., Chat]) -> None:
    sam = chat("sam", language_code="en-GB")

    answer = await sam.send("/start")
    assert "Welcome to Ehrenamtsbörse Bingen!" in answer
    assert sam.last.labels[:2] == ["English", "Deutsch"]  # the proposed language comes first

    await sam.press("English")
    assert "Do you agree?" in sam.last.text
    await sam.press("✅ I agree")
    answer = await sam.press("👪 I ask for help for someone else")
    assert "Who needs help?" in answer  # the request for someone else starts at once
    answer = await sam.press("✖ Cancel")
    assert "🏠 Main menu" in answer
    assert "someone else" in answer

    [user] = await users(app)
    assert (user.language, user.role) == ("en", "relative")


async def test_unknown_telegram_language_falls_back_to_german(chat: Callable[..., Chat]) -> None:
    amelie = chat("amelie", language_code="fr")
    answer = await amelie.send("/start")
    assert "In welcher Sprache" in answer
    assert amelie.last.labels[0] == "Deutsch"


async def test_choosing_another_language_than_proposed_switches_the_dialogue(
    app: App, chat: Callable[..., Chat]
) -> None:
    omar = chat("omar", language_code="de")
    await omar.send("/start")
    answer = await omar.press("English")
    assert "Do you agree?" in answer
    await omar.press("✅ I agree")
    [user] = await users(app)
    assert user.language == "en"


async def test_declining_consent_stores_nothing_and_can_be_revisited(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = chat("karl")
    await karl.send("/start")
    await karl.press("Deutsch")

    answer = await karl.press("Nein, danke")
    assert "nichts über Sie gespeichert" in answer
    assert "/start" in answer
    assert await users(app) == []
    assert await conversations(app) == []

    answer = await karl.send("/start")
    assert "In welcher Sprache" in answer
    await karl.press("Deutsch")
    await karl.press("✅ Ich stimme zu")
    assert len(await users(app)) == 1


async def test_any_first_message_starts_onboarding(chat: Callable[..., Chat]) -> None:
    hans = chat("hans")
    answer = await hans.send("Hallo, ich brauche Hilfe beim Einkaufen")
    assert "In welcher Sprache" in answer


async def test_back_returns_to_the_previous_step(chat: Callable[..., Chat]) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press("Deutsch")
    answer = await erika.press("« Zurück")
    assert "In welcher Sprache" in answer


async def test_cancel_during_onboarding_stops_and_forgets(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press("Deutsch")

    answer = await erika.send("/cancel")
    assert "Über Sie wurde nichts gespeichert" in answer
    assert await conversations(app) == []
    assert await users(app) == []


async def test_cancel_button_during_onboarding_stops_too(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = chat()
    await erika.send("/start")
    answer = await erika.press("✖ Abbrechen")
    assert "/start" in answer
    assert await conversations(app) == []


async def test_language_command_mid_flow_returns_to_the_same_step_in_the_new_language(
    chat: Callable[..., Chat],
) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press("Deutsch")
    assert "Sind Sie einverstanden?" in erika.last.text

    answer = await erika.send("/language")
    assert "In welcher Sprache soll ich Ihnen schreiben?" in answer

    answer = await erika.press("English")
    assert "From now on I will write to you in English." in answer
    assert "Do you agree?" in answer
    assert erika.last.labels == [
        "✅ I agree",
        "No, thank you",
        "📄 Full privacy notice",
        "« Back",
        "✖ Cancel",
    ]


async def test_language_change_from_the_main_menu_is_stored(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await registered(chat("erika"))
    await erika.press("🌐 Sprache")
    answer = await erika.press("English")
    assert "From now on I will write to you in English." in answer
    assert "🏠 Main menu" in answer
    [user] = await users(app)
    assert user.language == "en"


async def test_forged_button_payload_is_refused_and_changes_nothing(
    app: App, chat: Callable[..., Chat]
) -> None:
    mallory = chat("mallory")
    await mallory.send("/start")
    await mallory.press("Deutsch")

    answer = await mallory.press_payload("role:organisation")
    assert "Diese Taste gilt nicht mehr" in answer
    assert "Sind Sie einverstanden?" in answer  # the current step again
    assert await users(app) == []
    [conversation] = await conversations(app)
    assert (conversation.flow, conversation.step) == ("onboarding", "privacy")


async def test_second_click_on_a_spent_button_is_refused(chat: Callable[..., Chat]) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press_payload("lang:en")
    answer = await erika.press_payload("lang:de")
    assert "This button is no longer valid" in answer
    assert "Do you agree?" in answer


async def test_text_where_a_button_is_expected_gets_an_explanation(
    chat: Callable[..., Chat],
) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press("Deutsch")
    answer = await erika.send("vielleicht")
    assert "Bitte wählen Sie eine der Tasten unten." in answer
    assert "Sind Sie einverstanden?" in answer


async def test_typing_a_button_label_counts_as_pressing_it(chat: Callable[..., Chat]) -> None:
    erika = chat()
    await erika.send("/start")
    answer = await erika.send("english")
    assert "Do you agree?" in answer


async def test_sticker_where_text_is_expected_gets_an_explanation(
    chat: Callable[..., Chat],
) -> None:
    erika = chat()
    await erika.send("/start")
    answer = await erika.send_attachment("sticker")
    assert "nur Textnachrichten und Tasten" in answer
    assert "In welcher Sprache" in answer


async def test_location_where_none_is_asked_gets_an_explanation(chat: Callable[..., Chat]) -> None:
    erika = chat()
    await erika.send("/start")
    answer = await erika.share_location(49.96, 7.90)
    assert "mit den Tasten oder mit einer Textnachricht" in answer


async def test_overlong_text_is_refused(chat: Callable[..., Chat]) -> None:
    erika = chat()
    await erika.send("/start")
    answer = await erika.send("x" * 5000)
    assert "zu lang" in answer
    assert "höchstens 4.000 Zeichen" in answer  # numbers are formatted for the reader


async def test_unknown_command_is_explained(chat: Callable[..., Chat]) -> None:
    erika = chat()
    await erika.send("/start")
    answer = await erika.send("/foo")
    assert "Den Befehl /foo kenne ich nicht." in answer
    assert "In welcher Sprache" in answer


async def test_help_mid_flow_explains_and_asks_again(chat: Callable[..., Chat]) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press("Deutsch")
    answer = await erika.send("/help")
    assert "/language ändert die Sprache" in answer
    assert "Sind Sie einverstanden?" in answer


async def test_menu_before_consent_keeps_the_person_where_they_are(
    chat: Callable[..., Chat],
) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press("Deutsch")
    answer = await erika.send("/menu")
    assert "Das Menü öffnet sich" in answer
    assert "Sind Sie einverstanden?" in answer


async def test_restart_mid_onboarding_resumes_at_the_same_step(start_app: StartApp) -> None:
    async with start_app() as app:
        erika = Chat(app, "erika", "de")
        await erika.send("/start")
        await erika.press("English")
        buttons_before_restart = erika.last.buttons

    async with start_app() as app:
        erika = Chat(app, "erika", "de")
        answer = await erika.send("hello?")
        assert "Please choose one of the buttons below." in answer
        assert "Do you agree?" in answer
        assert erika.last.buttons == buttons_before_restart

        answer = await erika.press("✅ I agree")
        assert "How would you like to take part?" in answer
        assert len(await users(app)) == 1


async def test_button_pressed_before_a_restart_still_works_after_it(start_app: StartApp) -> None:
    async with start_app() as app:
        erika = Chat(app, "erika", "de")
        await erika.send("/start")
    async with start_app() as app:
        erika_again = Chat(app, "erika", "de")
        answer = await erika_again.press_payload("lang:de")
        assert "Sind Sie einverstanden?" in answer


async def registered(person: Chat, role: str = "🙋 Ich möchte helfen") -> Chat:
    await person.send("/start")
    await person.press("Deutsch")
    await person.press("✅ Ich stimme zu")
    await person.press(role)
    await person.send("/menu")
    return person


async def test_asking_for_oneself_starts_the_request_at_once(
    app: App, chat: Callable[..., Chat]
) -> None:
    olga = chat("olga")
    await olga.send("/start")
    await olga.press("Deutsch")
    await olga.press("✅ Ich stimme zu")
    answer = await olga.press("🤝 Ich brauche Hilfe")
    assert "Welche Hilfe brauchen Sie?" in answer
    [user] = await users(app)
    assert user.role == "seeker"


async def test_an_organisation_lands_in_the_main_menu(app: App, chat: Callable[..., Chat]) -> None:
    verein = chat("verein")
    await verein.send("/start")
    await verein.press("Deutsch")
    await verein.press("✅ Ich stimme zu")
    answer = await verein.press("🏛️ Ich vertrete eine Organisation")
    assert "🏠 Hauptmenü" in answer
    assert "Sie vertreten eine Organisation" in answer


async def test_returning_user_lands_in_their_main_menu_in_their_language(
    start_app: StartApp,
) -> None:
    async with start_app() as app:
        sam = Chat(app, "sam", "de")
        await sam.send("/start")
        await sam.press("English")
        await sam.press("✅ I agree")
        await sam.press("🤝 I need help")

    async with start_app() as app:
        sam = Chat(app, "sam", "de")
        answer = await sam.send("/start")
        assert "Welcome back!" in answer
        assert "🏠 Main menu" in answer
        assert "looking for help" in answer


async def test_changing_the_role_from_the_menu(app: App, chat: Callable[..., Chat]) -> None:
    erika = await registered(chat("erika"))
    await erika.press("🔄 Meine Rolle ändern")
    assert "« Zurück" in erika.last.labels
    answer = await erika.press("🏛️ Ich vertrete eine Organisation")
    assert "Sie vertreten eine Organisation" in answer
    [user] = await users(app)
    assert user.role == "organisation"


async def test_cancel_for_a_registered_user_returns_to_the_menu(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await registered(chat("erika"))
    await erika.press("🔄 Meine Rolle ändern")
    answer = await erika.send("/cancel")
    assert "Abgebrochen." in answer
    assert "🏠 Hauptmenü" in answer
    [user] = await users(app)
    assert user.role == "volunteer"


async def test_two_people_keep_separate_conversations(chat: Callable[..., Chat]) -> None:
    erika, sam = chat("erika", "de"), chat("sam", "en")
    await erika.send("/start")
    await sam.send("/start")
    await erika.press("Deutsch")
    answer = await sam.press("English")
    assert "Do you agree?" in answer
    assert "Sind Sie einverstanden?" in erika.last.text


async def test_the_pressed_button_is_reported_for_the_channel_to_acknowledge(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = chat()
    await erika.send("/start")
    await erika.press("Deutsch")
    assert erika.last_turn is not None and erika.last_turn.chosen is not None
    assert app.translator.render(erika.last_turn.chosen, "de") == "Deutsch"


async def test_telegram_start_in_a_language_the_bot_speaks_goes_straight_to_consent(
    app: App,
) -> None:
    layla = Chat(app, "layla", "ar", key="telegram:5001")
    answer = await layla.send("/start")
    assert "🔒" in answer
    agree = app.translator.gettext("ar", "✅ I agree")
    assert agree in layla.last.labels
    assert "🌐 اللغة" in layla.last.labels or any("🌐" in label for label in layla.last.labels)
    [other] = [label for label in layla.last.labels if label.startswith("🌐")]
    answer = await layla.press(other)  # another language after all
    assert "Deutsch" in layla.last.labels and "العربية" in layla.last.labels
    answer = await layla.press("Deutsch")
    assert "Sind Sie einverstanden?" in answer
    await layla.press("✅ Ich stimme zu")
    [user] = await users(app)
    assert user.language == "de"


async def test_telegram_start_without_a_known_language_and_the_console_ask_for_it(
    app: App,
) -> None:
    amelie = Chat(app, "amelie", "fr", key="telegram:5002")
    answer = await amelie.send("/start")
    assert "In welcher Sprache" in answer
    assert amelie.last.labels[0] == "Deutsch"
    nobody = Chat(app, "nobody", None, key="telegram:5003")
    assert "In welcher Sprache" in await nobody.send("/start")
    sam = Chat(app, "sam", "en", key="console:sam")
    assert "Which language" in await sam.send("/start")
