"""The town's languages: onboarding and a request in Arabic, Ukrainian and plain German, and each
reader sees a request in their own language."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlmodel import select

from bot.app import App
from engine.i18n import FSI, PDI, Raw, Translator
from locales import LANGUAGES
from storage.models import HelpRequest, User
from tests.chat import Chat, Inbox, press_on
from tests.test_push import volunteer_profile
from vocabulary.labels import Joined


def t(app: App, language: str, msgid: str) -> str:
    return app.translator.gettext(language, msgid)


async def onboard_in(app: App, person: Chat, language: str, role_msgid: str) -> None:
    """Onboarding in `language`; the role starts its dialogue at once (a request, the profile)."""
    await person.send("/start")
    await person.press(LANGUAGES[language].endonym)
    await person.press(t(app, language, "✅ I agree"))
    await person.press(t(app, language, role_msgid))


async def ask_for_shopping(app: App, person: Chat, language: str) -> str:
    """The request the role started; the person's language is not asked but stated."""
    await person.press(f"🛒 {t(app, language, 'Shopping')}")
    await person.press(t(app, language, "Tomorrow"))
    await person.press(t(app, language, "morning"))
    await person.press("Büdesheim")
    await person.send("Hauptstraße 5")
    await person.send("Olena")
    await person.press(t(app, language, "✉️ Only through the bot"))
    summary = await person.send("Wir brauchen Hilfe beim Einkaufen, bitte.")
    await person.press(t(app, language, "📨 Send request"))
    return summary


@pytest.mark.parametrize("language", ["ar", "uk", "de_simple"])
async def test_onboarding_and_a_request_in_the_persons_language(
    app: App, chat: Callable[..., Chat], language: str
) -> None:
    person = chat(f"person-{language}", language_code=language.split("_")[0])
    answer = await person.send("/start")
    assert t(app, language, "✅ I agree") not in answer  # still the language question
    await person.press(LANGUAGES[language].endonym)
    assert t(app, language, "✅ I agree") in person.last.labels
    assert "🔒" in person.last.text
    await person.press(t(app, language, "✅ I agree"))
    await person.press(t(app, language, "🤝 I need help"))
    assert t(app, language, "What kind of help do you need?") in person.last.text

    summary = await ask_for_shopping(app, person, language)
    assert f"🛒 {t(app, language, 'Shopping')}" in summary
    if LANGUAGES[language].rtl:
        assert f"{FSI}Hauptstraße 5{PDI}" in summary  # an address cannot scramble the sentence
    async with app.sessions() as session:
        user = (await session.exec(select(User))).one()
        request = (await session.exec(select(HelpRequest))).one()
    assert user.language == language
    assert (request.category, request.district, request.language) == (
        "shopping",
        "buedesheim",
        language,
    )


async def test_a_german_volunteer_reads_the_arabic_familys_request_in_german(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika", languages=("Deutsch", "Arabisch"))
    family = chat("family", language_code="ar")
    await onboard_in(app, family, "ar", "🤝 I need help")
    await family.press(f"🛒 {t(app, 'ar', 'Shopping')}")
    await family.press(t(app, "ar", "Tomorrow"))
    await family.press(t(app, "ar", "morning"))
    await family.press("Büdesheim")
    await family.press(t(app, "ar", "Skip"))  # Arabic, the chat's language, is not asked
    await family.send("Amal")
    await family.press(t(app, "ar", "✉️ Only through the bot"))
    await family.send("نحتاج مساعدة في التسوق")
    await family.press(t(app, "ar", "📨 Send request"))

    inbox = Inbox(app)
    await inbox.run()
    [offer] = inbox.of(erika)
    assert "🛒 Einkaufen in Büdesheim" in offer.text
    assert "Dienstag, 24. November, vormittags" in offer.text
    assert "🗣 Arabisch" in offer.text
    assert "„نحتاج مساعدة في التسوق“ (geschrieben auf Arabisch)" in offer.text
    assert "✅ Ich kann helfen" in offer.labels

    accepted = await press_on(erika, offer, "✅ Ich kann helfen")
    # The word is Arabic, for the family's door; Erika reads how to say it.
    word, latin = re.search(r"Sicherheitswort: (\S+ \d+) \(sprich: ([^)]+)\)", accepted).groups()  # type: ignore[union-attr]
    assert re.match(r"[\u0600-\u06ff]+ \d\d$", word) and re.match(r"[A-Za-z]+ \d\d$", latin)
    assert "📍 Büdesheim: Bitte vereinbaren Sie den Treffpunkt im Chat." in accepted
    await inbox.run()
    [found] = inbox.of(family)
    assert "Erika" in found.text
    assert word in found.text and latin not in found.text
    assert (
        t(app, "ar", "🎉 Good news: {volunteer} will help you.").split("{")[0].strip() in found.text
    )


async def test_a_senior_in_plain_german_without_address_or_phone_can_reach_her_volunteer(
    app: App, chat: Callable[..., Chat]
) -> None:
    """The dead end of before: a request in plain German for herself, no address, no phone. The
    volunteer now knows whom she helps, where, and how to write to her; and she can answer."""
    erika = await volunteer_profile(chat("erika"), "Erika")
    helga = chat("helga", language_code="de")
    await onboard_in(app, helga, "de_simple", "🤝 I need help")
    await helga.press(f"🛒 {t(app, 'de_simple', 'Shopping')}")
    await helga.press(t(app, "de_simple", "Tomorrow"))
    await helga.press(t(app, "de_simple", "morning"))
    await helga.press("Büdesheim")
    answer = await helga.press(t(app, "de_simple", "Skip"))  # plain German counts as German
    assert "Vorname" in answer
    answer = await helga.send("Helga")
    assert "Telefon·nummer" in answer
    await helga.press(t(app, "de_simple", "✉️ Only through the bot"))
    await helga.send("Ich brauche Hilfe beim Einkaufen.")
    await helga.press(t(app, "de_simple", "📨 Send request"))

    inbox = Inbox(app)
    await inbox.run()
    answer = await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    assert "👤 Helga" in answer
    assert "📍 Büdesheim: Bitte vereinbaren Sie den Treffpunkt im Chat." in answer
    card = next(shown for shown in erika.history if "Sie helfen Helga" in shown.text)
    await press_on(erika, card, "✉️ Nachricht an Helga")
    await erika.send("Guten Tag, ich bin Erika. Ich komme um 10 Uhr.")
    await inbox.run()
    found, relayed = inbox.of(helga)
    assert t(app, "de_simple", "✉️ Message to {name}").format(name="Erika") in found.labels
    assert "„Guten Tag, ich bin Erika. Ich komme um 10 Uhr.“" in relayed.text
    await press_on(helga, relayed, t(app, "de_simple", "✉️ Message to {name}").format(name="Erika"))
    await helga.send("Gut. Danke!")
    await inbox.run()
    assert "„Gut. Danke!“" in inbox.of(erika)[-1].text


def test_lists_are_joined_as_the_readers_language_joins_them() -> None:
    tr = Translator()
    names = Joined([Raw("Büdesheim"), Raw("Kempten"), Raw("Sponsheim")])
    assert tr.render(names, "de") == "Büdesheim, Kempten, Sponsheim"
    assert tr.render(names, "fa") == "Büdesheim،\u200f Kempten،\u200f Sponsheim"
    assert tr.render(names, "ar") == "Büdesheim وKempten وSponsheim"
    assert tr.render(Joined([]), "de") == "–"
