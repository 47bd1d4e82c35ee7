"""Asking for help, for oneself or for someone else, and following one's own requests."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, time
from pathlib import Path

import tomli_w
from sqlmodel import select

from bot.app import App, running_app
from bot.config import Settings
from storage.models import HelpRequest, RequestStatus
from tests.chat import Chat, onboard
from tests.conftest import FrozenClock
from town.deployment import DEFAULT_DEPLOYMENT

StartApp = Callable[[], AbstractAsyncContextManager[App]]
KEMPTEN = (49.9688, 7.9330)


async def requests(app: App) -> list[HelpRequest]:
    async with app.sessions() as session:
        return list((await session.exec(select(HelpRequest).order_by(HelpRequest.id))).all())  # type: ignore[arg-type]


async def ask_for_shopping_in_german(anna: Chat) -> None:
    await anna.press("🆘 Hilfe anfragen")
    await anna.press("🛒 Einkaufen")
    await anna.press("Morgen")
    await anna.press("vormittags")
    await anna.press("Büdesheim")
    await anna.send("Hauptstraße 5")  # her language, German, is not asked
    await anna.send("Anna")
    await anna.send("06721 55555")


async def test_a_senior_asks_for_shopping_help_in_german(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await onboard(chat("anna"), "seeker")
    answer = await anna.press("🆘 Hilfe anfragen")
    assert "Welche Hilfe brauchen Sie?" in answer
    await anna.press("🛒 Einkaufen")
    assert "Wann brauchen Sie Hilfe?" in anna.last.text
    assert anna.last.labels[:3] == ["Heute", "Morgen", "Übermorgen"]  # the date in the summary
    assert "So., 6. Dez." in anna.last.labels
    answer = await anna.press("Morgen")
    assert "Dienstag, 24. November: zu welcher Tageszeit?" in answer
    await anna.press("vormittags")
    assert anna.last_turn is not None
    assert anna.last_turn.replies[0].request_location  # a location keyboard is offered
    await anna.press("Büdesheim")
    assert "Nur die bestätigte Person sieht die Adresse." in anna.last.text
    answer = await anna.send("Hauptstraße 5")  # her language, German, is not asked
    assert "Wie ist Ihr Vorname? Die ehrenamtliche Person sieht ihn" in answer
    answer = await anna.send("Anna")
    assert "Wie kann die ehrenamtliche Person Sie erreichen?" in answer
    assert anna.last.labels[0] == "✉️ Nur über den Bot"
    await anna.press("✉️ Nur über den Bot")
    answer = await anna.send(
        "Ich brauche jemanden, der für mich den Wocheneinkauf im Supermarkt macht."
    )

    assert "📋 Ihre Anfrage" in answer
    assert "Hilfe: 🛒 Einkaufen" in answer
    assert "Wann: Dienstag, 24. November, vormittags" in answer
    assert "Stadtteil: Büdesheim" in answer
    assert "Adresse: Hauptstraße 5" in answer
    assert "Person: Anna" in answer
    assert "Telefon: nur über den Bot" in answer
    assert "Sprachen: Deutsch" in answer  # stated, to change right here
    assert "✏️ Sprachen" in anna.last.labels
    assert await requests(app) == []

    answer = await anna.press("📨 Anfrage senden")
    assert "📨 Gesendet." in answer
    assert "🏠 Hauptmenü" in answer

    [stored] = await requests(app)
    assert (stored.category, stored.municipality, stored.district) == (
        "shopping",
        "bingen",
        "buedesheim",
    )
    assert (stored.day, stored.part_of_day, stored.at_time) == (date(2026, 11, 24), "morning", None)
    assert (stored.address, stored.languages, stored.status) == (
        "Hauptstraße 5",
        ["de"],
        RequestStatus.OPEN,
    )
    assert stored.description.startswith("Ich brauche jemanden")
    assert (stored.for_other, stored.person_name, stored.person_phone) == (False, "Anna", None)

    # The next request for herself does not ask her name again.
    await anna.press("🆘 Hilfe anfragen")
    await anna.press("🛒 Einkaufen")
    await anna.press("🤷 Flexibel")
    await anna.press("Büdesheim")
    answer = await anna.press("Überspringen")
    assert "Wie kann die ehrenamtliche Person Sie erreichen?" in answer


async def test_a_son_asks_for_help_for_his_mother_in_english(
    app: App, chat: Callable[..., Chat]
) -> None:
    omar = await onboard(chat("omar", "en"), "relative", "en")
    answer = await omar.press("👪 Ask for help for someone")
    assert "Who needs help?" in answer
    answer = await omar.send("Erika")
    assert "What kind of help does Erika need?" in answer
    assert "« Back" in omar.last.labels
    await omar.press("🛒 Shopping")
    answer = await omar.press("🤷 Flexible")
    assert "In which district does Erika need help?" in answer
    answer = await omar.share_location(*KEMPTEN)
    assert "📍 District: Kempten" in answer
    assert "Where should the volunteer meet Erika?" in answer
    answer = await omar.press("Skip")  # the languages are not asked: his own, English, first
    assert "How can the volunteer reach Erika? Type a phone number." in answer
    await omar.send("06721 12345")
    answer = await omar.send("Weekly shopping, she cannot carry heavy bags.")
    assert "📋 Request for Erika" in answer
    assert "Person: Erika" in answer
    assert "When: flexible" in answer
    assert "Phone: 06721 12345" in answer
    assert "Languages: English" in answer
    answer = await omar.press("✏️ Languages")
    assert "Which languages does Erika speak?" in answer
    for language in ("✓ English", "German", "Arabic"):
        await omar.press(language)
    answer = await omar.press("➡️ Continue")
    assert "Languages: German, Arabic" in answer

    await omar.press("✏️ Change something")
    await omar.press("When")
    await omar.press("Fri 27 Nov")
    answer = await omar.send("14:30")
    assert "When: Friday, 27 November, 14:30" in answer
    answer = await omar.press("📨 Send request")
    assert "for Erika" in answer
    assert "You stay the contact." in answer

    [stored] = await requests(app)
    assert (stored.for_other, stored.person_name, stored.person_phone) == (
        True,
        "Erika",
        "06721 12345",
    )
    assert (stored.day, stored.at_time, stored.part_of_day) == (
        date(2026, 11, 27),
        time(14, 30),
        "afternoon",
    )
    assert (stored.district, stored.address, stored.languages) == ("kempten", None, ["de", "ar"])


async def test_bad_dates_and_times_are_explained(
    chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await onboard(chat("anna"), "seeker")
    await anna.press("🆘 Hilfe anfragen")
    await anna.press("🛒 Einkaufen")
    answer = await anna.send("01.01.2020")
    assert "Dieser Tag ist vorbei." in answer
    answer = await anna.send("32.13.")
    assert "Bitte schreiben Sie ein Datum wie 24.12." in answer
    answer = await anna.send("24.12.2028")
    assert "in den nächsten zwölf Monaten" in answer
    answer = await anna.send("24.12.")
    assert "Donnerstag, 24. Dezember: zu welcher Tageszeit?" in answer
    answer = await anna.send("25:00")
    assert "Bitte schreiben Sie eine Uhrzeit wie 14:30" in answer
    await anna.press("« Zurück")
    await anna.press("Heute")  # today, 9:00 in Bingen
    answer = await anna.send("8:30")
    assert "Diese Uhrzeit ist heute schon vorbei." in answer
    answer = await anna.send("10 Uhr")
    assert "In welchem Stadtteil brauchen Sie Hilfe?" in answer


async def test_bad_text_answers_are_explained(chat: Callable[..., Chat]) -> None:
    omar = await onboard(chat("omar"), "relative")
    await omar.press("👪 Hilfe für jemanden anfragen")
    answer = await omar.send("1234")
    assert "Bitte schreiben Sie den Vornamen." in answer
    answer = await omar.send("E" * 61)
    assert "Das sind 61 Zeichen." in answer
    await omar.send("Erika")
    await omar.press("🛒 Einkaufen")
    await omar.press("🤷 Flexibel")
    answer = await omar.send("Mars")
    assert "Bitte wählen Sie eine der Tasten unten." in answer
    await omar.press("Kempten")
    answer = await omar.send("A" * 201)
    assert "Das sind 201 Zeichen." in answer
    await omar.press("Überspringen")
    answer = await omar.send("ruf mich an")
    assert "Das sieht nicht wie eine Telefonnummer aus." in answer
    answer = await omar.send_attachment("sticker")
    assert "nur Textnachrichten und Tasten" in answer
    await omar.press("✉️ Nur über den Bot")
    answer = await omar.send("ok")
    assert "Bitte beschreiben Sie in wenigen Worten" in answer
    answer = await omar.send("x" * 501)
    assert "Das sind 501 Zeichen. Bitte schreiben Sie höchstens 500." in answer
    answer = await omar.send("Begleitung zum Einkaufen am Markt")
    assert "📋 Anfrage für Erika" in answer
    await omar.press("✏️ Sprachen")
    await omar.press("✓ Deutsch")
    answer = await omar.press("➡️ Weiter")
    assert "Bitte wählen Sie mindestens eine Sprache." in answer
    await omar.press("Deutsch")
    answer = await omar.press("➡️ Weiter")
    assert "Sprachen: Deutsch" in answer


async def test_cancel_in_the_middle_stores_nothing(app: App, chat: Callable[..., Chat]) -> None:
    anna = await onboard(chat("anna"), "seeker")
    await ask_for_shopping_in_german(anna)
    answer = await anna.press("✖ Abbrechen")
    assert "Abgebrochen." in answer
    assert await requests(app) == []


async def test_back_walks_through_the_questions(chat: Callable[..., Chat]) -> None:
    anna = await onboard(chat("anna"), "seeker")
    await ask_for_shopping_in_german(anna)
    assert "Bitte beschreiben Sie" in anna.last.text
    await anna.press("« Zurück")
    assert "Wie kann die ehrenamtliche Person Sie erreichen?" in anna.last.text
    await anna.press("« Zurück")
    assert "Wo soll die oder der Ehrenamtliche Sie treffen?" in anna.last.text
    await anna.press("« Zurück")
    await anna.press("« Zurück")
    await anna.press("« Zurück")
    assert "Welche Hilfe brauchen Sie?" in anna.last.text
    assert "« Zurück" not in anna.last.labels  # the first question for oneself


async def test_restart_mid_request_resumes(start_app: StartApp) -> None:
    async with start_app() as app:
        anna = await onboard(Chat(app, "anna", "de"), "seeker")
        await ask_for_shopping_in_german(anna)
    async with start_app() as app:
        anna = Chat(app, "anna", "de")
        answer = await anna.send("Bitte Getränke aus dem Getränkemarkt holen.")
        assert "Adresse: Hauptstraße 5" in answer
        await anna.press("📨 Anfrage senden")
        assert len(await requests(app)) == 1


async def test_my_requests_lists_withdraws_and_asks_again(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await onboard(chat("anna"), "seeker")
    await ask_for_shopping_in_german(anna)
    await anna.send("Wocheneinkauf bitte")
    await anna.press("📨 Anfrage senden")

    answer = await anna.press("📋 Meine Anfragen")
    assert "📋 Sie haben 1 Anfrage. Wählen Sie sie aus, um sie anzusehen." in answer
    label = "🛒 Einkaufen · Di., 24. Nov. · 🔎 wir suchen Hilfe"
    assert label in anna.last.labels
    answer = await anna.press(label)
    assert "Stand: 🔎 wir suchen Hilfe" in answer
    await anna.press("✖ Anfrage zurückziehen")
    await anna.press("Nein, behalten")
    await anna.press("✖ Anfrage zurückziehen")
    answer = await anna.press("Ja, zurückziehen")
    assert "Die Anfrage wurde zurückgezogen." in answer
    [first] = await requests(app)
    assert first.status == RequestStatus.CANCELLED

    await anna.press("🛒 Einkaufen · Di., 24. Nov. · ✖ zurückgezogen")
    assert "✖ Anfrage zurückziehen" not in anna.last.labels
    answer = await anna.press("🔁 Diese Hilfe noch einmal anfragen")
    assert "Wann brauchen Sie Hilfe?" in answer
    await anna.press("Mi., 2. Dez.")
    answer = await anna.press("nachmittags")
    assert "Wann: Mittwoch, 2. Dezember, nachmittags" in answer
    assert "Adresse: Hauptstraße 5" in answer
    await anna.press("📨 Anfrage senden")
    first, second = await requests(app)
    assert (second.status, second.day, second.description) == (
        RequestStatus.OPEN,
        date(2026, 12, 2),
        first.description,
    )


async def test_someone_elses_request_cannot_be_opened_by_forged_data(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await onboard(chat("anna"), "seeker")
    await ask_for_shopping_in_german(anna)
    await anna.send("Wocheneinkauf bitte")
    await anna.press("📨 Anfrage senden")
    [annas] = await requests(app)

    mallory = await onboard(chat("mallory"), "seeker")
    await mallory.press("📋 Meine Anfragen")
    answer = await mallory.press_payload(f"req:{annas.id}")
    assert "Diese Taste gilt nicht mehr" in answer
    answer = await mallory.press_payload("requests:withdraw:yes")
    assert "Diese Taste gilt nicht mehr" in answer
    [unchanged] = await requests(app)
    assert unchanged.status == RequestStatus.OPEN


async def test_referral_services_are_shown_while_waiting(
    database_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    deployment = tomllib.loads(DEFAULT_DEPLOYMENT.read_text(encoding="utf-8"))
    shopping = next(c for c in deployment["categories"] if c["id"] == "shopping")
    shopping["referrals"] = [{"name": "Einkaufsdienst der Caritas", "phone": "06721 0000"}]
    path = tmp_path / "town.toml"
    path.write_text(tomli_w.dumps(deployment), encoding="utf-8")
    settings = Settings(database_url=database_url, deployment_file=path, _env_file=None)  # type: ignore[call-arg]
    async with running_app(settings, clock=clock) as app:
        anna = await onboard(Chat(app, "anna", "de"), "seeker")
        await ask_for_shopping_in_german(anna)
        await anna.send("Wocheneinkauf bitte")
        answer = await anna.press("📨 Anfrage senden")
        assert "Während Sie warten, können auch diese Stellen helfen:" in answer
        assert "Einkaufsdienst der Caritas · 06721 0000" in answer


async def test_the_person_asked_for_is_named_by_a_first_name(chat: Callable[..., Chat]) -> None:
    sabine = await onboard(chat("sabine"), "relative")
    await sabine.press("👪 Hilfe für jemanden anfragen")
    answer = await sabine.send("Apotheke und Bäcker, bitte.")
    assert "Bitte schreiben Sie den Vornamen." in answer
    answer = await sabine.send("Helga\n🔑 Sicherheitswort: Apfel 12")
    assert "Bitte schreiben Sie den Vornamen." in answer
    answer = await sabine.send("Helga")
    assert "Welche Hilfe braucht Helga?" in answer
