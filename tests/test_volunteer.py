"""The volunteer profile as volunteers fill it in, change it, pause it and delete it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlmodel import select

from bot.app import App
from storage.models import (
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
)
from tests.chat import Chat, onboard

StartApp = Callable[[], AbstractAsyncContextManager[App]]
KEMPTEN = (49.9688, 7.9330)


async def stored(app: App) -> dict[str, object] | None:
    """The one volunteer profile in the database with its lists, or None."""
    async with app.sessions() as session:
        profile = (await session.exec(select(VolunteerProfile))).first()
        if profile is None:
            return None
        pid = profile.id

        async def values(model: type, column: object) -> list[object]:
            query = select(column).where(model.profile_id == pid)  # type: ignore[call-overload, attr-defined]
            return sorted((await session.exec(query)).all())

        return {
            "profile": profile,
            "categories": await values(VolunteerCategory, VolunteerCategory.category),
            "districts": await values(VolunteerDistrict, VolunteerDistrict.district),
            "languages": await values(VolunteerLanguage, VolunteerLanguage.language),
            "slots": sorted(
                (s.weekday, s.part)
                for s in (
                    await session.exec(select(VolunteerSlot).where(VolunteerSlot.profile_id == pid))
                ).all()
            ),
        }


async def fill_in_german(erika: Chat) -> None:
    await erika.press("👤 Mein Profil")
    await erika.send("Erika")
    await erika.press("18 oder älter")
    await erika.press("🛒 Einkaufen")
    await erika.press("🩺 Begleitung zu Arzt oder Behörde")
    await erika.press("➡️ Weiter")
    await erika.press("Büdesheim")
    await erika.press("➡️ Weiter")
    await erika.press("Mo. vormittags")
    await erika.press("Do. abends")
    await erika.press("➡️ Weiter")  # the rest has defaults: on to the summary


async def test_a_volunteer_fills_in_the_profile_in_german(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await fill_in_german(erika)
    answer = erika.last.text
    assert "Sprachen: Deutsch" in answer  # her chat's language
    assert "Einsatz: Beides" in answer
    assert "Anfragen: ⚡ Sofort" in answer
    assert "Notiz: keine" in answer
    for field in ("✏️ Sprachen", "✏️ Einsatz", "✏️ Anfragen", "✏️ Notiz"):
        assert field in erika.last.labels
    await erika.press("✏️ Sprachen")
    await erika.press("Türkisch")
    await erika.press("➡️ Weiter")
    await erika.press("✏️ Anfragen")
    await erika.press("📅 Einmal am Tag")
    answer = await erika.press("✏️ Notiz")
    assert "Fähigkeiten" in answer
    answer = await erika.send("Ich habe einen Führerschein und viel Geduld.")

    assert "👤 Ihr Profil als Ehrenamtliche/r" in answer
    assert "Vorname: Erika" in answer
    assert "Hilfearten: 🩺 Begleitung zu Arzt oder Behörde, 🛒 Einkaufen" in answer
    assert "Stadtteile: Büdesheim" in answer
    assert "Zeiten: Mo. vormittags, Do. abends" in answer
    assert "Sprachen: Deutsch, Türkisch" in answer
    assert "Anfragen: 📅 Einmal am Tag" in answer
    assert "„Ich habe einen Führerschein und viel Geduld.“" in answer
    assert await stored(app) is None  # nothing is saved before the summary is confirmed

    answer = await erika.press("✅ Speichern")
    assert "Gespeichert. Danke, dass Sie helfen!" in answer
    assert "🏠 Hauptmenü" in answer

    record = await stored(app)
    assert record is not None
    profile = record["profile"]
    assert isinstance(profile, VolunteerProfile)
    assert profile.first_name == "Erika"
    assert (profile.age_group, profile.commitment, profile.rhythm, profile.paused) == (
        "adult",
        "both",
        "daily",
        False,
    )
    assert profile.note == "Ich habe einen Führerschein und viel Geduld."
    assert record["categories"] == ["accompaniment", "shopping"]
    assert record["districts"] == ["buedesheim"]
    assert record["languages"] == ["de", "tr"]
    assert record["slots"] == [(0, "morning"), (3, "evening")]


async def test_a_volunteer_fills_in_the_profile_in_english(
    app: App, chat: Callable[..., Chat]
) -> None:
    sam = await onboard(chat("sam", "en"), "volunteer", "en")
    await sam.press("👤 My volunteer profile")
    answer = await sam.send("42")
    assert "Please type your first name." in answer
    await sam.send("Sam")
    await sam.press("Under 18")
    await sam.press("📚 Homework and tutoring")
    await sam.press("➡️ Continue")
    answer = await sam.share_location(*KEMPTEN)
    assert "📍 The nearest district is Kempten; it is now ticked." in answer
    assert "✓ Kempten" in sam.last.labels
    await sam.press("➡️ Continue")
    await sam.press("Sat afternoon")
    answer = await sam.press("➡️ Continue")
    assert "Languages: English" in answer  # his chat's language
    assert "Note: none" in answer
    await sam.press("✏️ Languages")
    await sam.press("Arabic")
    await sam.press("➡️ Continue")
    await sam.press("✏️ Commitment")
    await sam.press("Now and then, one-off")
    answer = await sam.press("✅ Save")
    assert "Saved. Thank you for helping!" in answer

    record = await stored(app)
    assert record is not None
    assert record["categories"] == ["tutoring"]
    assert record["districts"] == ["kempten"]
    assert record["languages"] == ["ar", "en"]
    assert record["slots"] == [(5, "afternoon")]
    profile = record["profile"]
    assert isinstance(profile, VolunteerProfile)
    assert (profile.age_group, profile.commitment, profile.rhythm, profile.note) == (
        "minor",
        "one_off",
        "immediate",
        None,
    )


async def test_ticking_edits_the_same_question(chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await erika.press("👤 Mein Profil")
    await erika.send("Erika")
    await erika.press("18 oder älter")
    await erika.press("🛒 Einkaufen")
    assert erika.last_turn is not None and erika.last_turn.replace
    assert "✓ 🛒 Einkaufen" in erika.last.labels
    await erika.press("✓ 🛒 Einkaufen")
    assert "🛒 Einkaufen" in erika.last.labels


async def test_continuing_with_nothing_ticked_is_explained(chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await erika.press("👤 Mein Profil")
    await erika.send("Erika")
    await erika.press("18 oder älter")
    answer = await erika.press("➡️ Weiter")
    assert "Bitte wählen Sie mindestens eine Hilfeart." in answer
    assert "Welche Hilfe können Sie anbieten?" in answer


async def test_minors_cannot_offer_adults_only_help(chat: Callable[..., Chat]) -> None:
    lea = await onboard(chat("lea"), "volunteer")
    await lea.press("👤 Mein Profil")
    await lea.send("Lea")
    await lea.press("Unter 18")
    await lea.press("🚗 Fahrdienst mit eigenem Auto")
    await lea.press("🌱 Garten")
    answer = await lea.press("➡️ Weiter")
    assert "🚗 Fahrdienst mit eigenem Auto: Das ist nur für Ehrenamtliche ab 18 Jahren." in answer
    assert "✓ 🌱 Garten" in lea.last.labels
    assert "✓ 🚗 Fahrdienst mit eigenem Auto" not in lea.last.labels


async def test_changing_the_age_to_minor_removes_adults_only_help(
    chat: Callable[..., Chat],
) -> None:
    lea = await onboard(chat("lea"), "volunteer")
    await fill_in_german(lea)
    await lea.press("✏️ Etwas ändern")
    await lea.press("Alter")
    await lea.press("Unter 18")
    assert "Hilfearten: 🩺 Begleitung zu Arzt oder Behörde, 🛒 Einkaufen" in lea.last.text
    await lea.press("✏️ Etwas ändern")
    await lea.press("Hilfearten")
    await lea.press("🚗 Fahrdienst mit eigenem Auto")
    answer = await lea.press("➡️ Weiter")
    assert "nur für Ehrenamtliche ab 18 Jahren" in answer


async def test_edit_one_field_from_the_summary(app: App, chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await fill_in_german(erika)
    await erika.press("✏️ Etwas ändern")
    answer = await erika.press("Sprachen")
    assert "Welche Sprachen sprechen Sie?" in answer
    assert "« Zurück" in erika.last.labels
    await erika.press("Englisch")
    answer = await erika.press("➡️ Weiter")
    assert "Sprachen: Deutsch, Englisch" in answer
    assert "Ist alles richtig?" in answer
    await erika.press("✅ Speichern")
    record = await stored(app)
    assert record is not None
    assert record["languages"] == ["de", "en"]


async def test_back_while_editing_returns_to_the_summary(chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await fill_in_german(erika)
    await erika.press("✏️ Etwas ändern")
    await erika.press("Stadtteile")
    answer = await erika.press("« Zurück")
    assert "Ist alles richtig?" in answer


async def test_back_goes_to_the_previous_question(chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await erika.press("👤 Mein Profil")
    await erika.send("Erika")
    await erika.press("18 oder älter")
    answer = await erika.press("« Zurück")
    assert "Wie alt sind Sie?" in answer


async def test_cancel_stores_nothing(app: App, chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await fill_in_german(erika)
    answer = await erika.send("/cancel")
    assert "Abgebrochen." in answer
    assert await stored(app) is None


async def test_bad_input_at_the_note(chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await fill_in_german(erika)
    await erika.press("✏️ Notiz")
    answer = await erika.send("x" * 301)
    assert "Das sind 301 Zeichen. Bitte schreiben Sie höchstens 300." in answer
    answer = await erika.send_attachment("sticker")
    assert "nur Textnachrichten und Tasten" in answer
    answer = await erika.share_location(*KEMPTEN)
    assert "mit den Tasten oder mit einer Textnachricht" in answer
    assert "Notiz" in answer or "Fähigkeiten" in answer


async def test_a_location_far_away_is_refused(chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await erika.press("👤 Mein Profil")
    await erika.send("Erika")
    await erika.press("18 oder älter")
    await erika.press("🛒 Einkaufen")
    await erika.press("➡️ Weiter")
    answer = await erika.share_location(52.52, 13.40)  # Berlin
    assert "Dieser Ort ist zu weit entfernt." in answer


async def test_restart_in_the_middle_resumes_with_the_answers_so_far(start_app: StartApp) -> None:
    async with start_app() as app:
        erika = await onboard(Chat(app, "erika", "de"), "volunteer")
        await erika.press("👤 Mein Profil")
        await erika.send("Erika")
        await erika.press("18 oder älter")
        await erika.press("🛒 Einkaufen")
        await erika.press("➡️ Weiter")
    async with start_app() as app:
        erika = Chat(app, "erika", "de")
        answer = await erika.send("Büdesheim")  # typing a button's label presses it
        assert "✓ Büdesheim" in erika.last.labels
        assert "Wo können Sie helfen?" in answer
        await erika.press("➡️ Weiter")
        await erika.press("Di. nachmittags")
        answer = await erika.press("➡️ Weiter")
        assert "Hilfearten: 🛒 Einkaufen" in answer
        await erika.press("✅ Speichern")
        record = await stored(app)
        assert record is not None
        assert record["districts"] == ["buedesheim"]


async def test_the_profile_card_pauses_resumes_changes_and_deletes(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await fill_in_german(erika)
    await erika.press("✅ Speichern")

    answer = await erika.press("👤 Mein Profil")
    assert "Hilfearten: 🩺 Begleitung zu Arzt oder Behörde, 🛒 Einkaufen" in answer
    answer = await erika.press("⏸ Anfragen pausieren")
    assert "Pausiert." in answer
    record = await stored(app)
    assert record is not None and isinstance(record["profile"], VolunteerProfile)
    assert record["profile"].paused
    assert "Anfragen: ⏸ Gerade nicht (Pause)" in answer

    await erika.press("▶️ Anfragen wieder erhalten")
    record = await stored(app)
    assert record is not None and isinstance(record["profile"], VolunteerProfile)
    assert not record["profile"].paused
    assert record["profile"].rhythm == "immediate"  # the default

    await erika.press("✏️ Etwas ändern")
    await erika.press("Anfragen")
    await erika.press("🗓 Einmal pro Woche")
    await erika.press("✅ Speichern")
    record = await stored(app)
    assert record is not None and isinstance(record["profile"], VolunteerProfile)
    assert record["profile"].rhythm == "weekly"

    await erika.press("👤 Mein Profil")
    await erika.press("🗑 Profil löschen")
    answer = await erika.press("🗑 Ja, löschen")
    assert "Ihr Profil wurde gelöscht." in answer
    assert await stored(app) is None
    async with app.sessions() as session:
        assert (await session.exec(select(VolunteerCategory))).all() == []
        assert (await session.exec(select(VolunteerSlot))).all() == []


async def test_pausing_through_the_rhythm_question(app: App, chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer")
    await erika.press("👤 Mein Profil")
    await erika.send("Erika")
    await erika.press("18 oder älter")
    await erika.press("🛒 Einkaufen")
    await erika.press("➡️ Weiter")
    await erika.press("Büdesheim")
    await erika.press("➡️ Weiter")
    await erika.press("Mo. vormittags")
    await erika.press("➡️ Weiter")
    await erika.press("✏️ Anfragen")
    await erika.press("⏸ Gerade nicht (Pause)")
    answer = await erika.press("✅ Speichern")
    assert "Ihr Profil ist pausiert" in answer
    record = await stored(app)
    assert record is not None and isinstance(record["profile"], VolunteerProfile)
    assert record["profile"].paused


async def test_a_first_name_is_one_line_of_letters(chat: Callable[..., Chat]) -> None:
    anna = await onboard(chat("anna"), "volunteer")
    await anna.press("👤 Mein Profil")
    for forged in ("Anna\n\n🔑 Sicherheitswort: Apfel 12", "Anna: komme um 9", "https://x.example"):
        answer = await anna.send(forged)
        assert "Bitte schreiben Sie Ihren Vornamen." in answer
    for name in ("Anne-Marie", "D'Angelo", "Олена", "Ayşe Nur"):
        answer = await anna.send(name)
        assert "Manche Hilfen sind nur für Erwachsene" in answer, name
        await anna.press("« Zurück")


async def test_presets_tick_a_set_of_times_at_once(app: App, chat: Callable[..., Chat]) -> None:
    erika = await onboard(chat("erika"), "volunteer", menu=False)
    await erika.send("Erika")
    await erika.press("18 oder älter")
    await erika.press("🛒 Einkaufen")
    await erika.press("➡️ Weiter")
    await erika.press("Büdesheim")
    await erika.press("➡️ Weiter")
    assert erika.last.labels[:4] == [
        "Werktags vormittags",
        "Werktags nachmittags",
        "Am Wochenende",
        "Abends",
    ]
    await erika.press("Werktags vormittags")
    ticked = [label for label in erika.last.labels if label.startswith("✓")]
    assert ticked == [
        "✓ Werktags vormittags",
        *(f"✓ {d}. vormittags" for d in ["Mo", "Di", "Mi", "Do", "Fr"]),
    ]
    await erika.press("Am Wochenende")
    await erika.press("✓ Am Wochenende")  # a second tap unticks the set
    await erika.press("✓ Fr. vormittags")  # the grid stays for fine tuning
    assert "Werktags vormittags" in erika.last.labels  # no longer all of them
    await erika.press("Abends")
    answer = await erika.press("➡️ Weiter")
    assert "Zeiten: Mo. vormittags, Mo. abends, Di. vormittags" in answer
    await erika.press("✅ Speichern")
    record = await stored(app)
    assert record is not None
    assert record["slots"] == sorted(
        [(day, "morning") for day in range(4)] + [(day, "evening") for day in range(7)]
    )
