"""From a match to help that happens: a way to reach each other, the relay through the bot,
calendar files, no double booking, declines that move on, reminders that tell the truth, the
confirmation the evening before, and status for relatives, as the people involved see them."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlmodel import select

from bot.app import App
from storage.models import (
    Case,
    CaseKind,
    HelpRequest,
    Match,
    MatchState,
    RelayMessage,
    RequestStatus,
    User,
    VolunteerProfile,
)
from tests.chat import Chat, Inbox, Shown, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_agency import coordinator
from tests.test_push import request_for_mother, volunteer_profile

StartApp = Callable[[], AbstractAsyncContextManager[App]]
BERLIN = ZoneInfo("Europe/Berlin")


async def ask_for_myself(
    person: Chat,
    *,
    day: str = "Morgen",
    part: str = "vormittags",
    name: str = "Helga",
    phone: str | None = None,
    kind: str = "🛒 Einkaufen",
) -> None:
    """A senior asks for herself in German, skips the address and leaves no phone number."""
    await onboard(person, "seeker")
    await person.press("🆘 Hilfe anfragen")
    await person.press(kind)
    await person.press(day)
    if part.isalpha():
        await person.press(part)
    else:
        await person.send(part)
    await person.press("Büdesheim")
    await person.press("Überspringen")  # German, her chat's language, is not asked
    if "Vorname" in person.last.text:
        await person.send(name)
    if phone:
        await person.send(phone)
    else:
        await person.press("✉️ Nur über den Bot")
    await person.send("Bitte den Wocheneinkauf, die Taschen sind mir zu schwer.")
    await person.press("📨 Anfrage senden")


def card_of(person: Chat, text: str) -> Shown:
    """The message in the person's chat (a card with buttons) that says `text`."""
    return next(shown for shown in reversed(person.history) if text in shown.text)


async def stored(app: App, model: type) -> list:  # type: ignore[type-arg]
    async with app.sessions() as session:
        return list((await session.exec(select(model).order_by(model.id))).all())


async def reads_english(app: App, person: Chat) -> None:
    """The person switched the bot to English (their offers, cards and files follow)."""
    async with app.sessions() as session:
        user = (await session.exec(select(User).where(User.key == person.user_key))).one()
        user.language = "en"
        session.add(user)
        await session.commit()


async def helga_helped_by_erika(app: App, chat: Callable[..., Chat]) -> tuple[Chat, Chat, Inbox]:
    """Erika accepted Helga's request for herself, and Helga was told."""
    erika = await volunteer_profile(chat("erika"), "Erika")
    helga = chat("helga")
    await ask_for_myself(helga)
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    await inbox.run()
    return erika, helga, inbox


# --- a way to reach each other, and the relay ------------------------------------------------


async def test_the_dead_end_ends_with_a_contact_and_a_conversation_that_survives_a_restart(
    start_app: StartApp,
) -> None:
    async with start_app() as app:
        erika = await volunteer_profile(Chat(app, "erika", "de"), "Erika")
        helga = Chat(app, "helga", "de")
        await ask_for_myself(helga)
        inbox = Inbox(app)
        await inbox.run()
        [offer] = inbox.of(erika)
        answer = await press_on(erika, offer, "✅ Ich kann helfen")

        # Whom she helps, where, and how to reach her: all three, though Helga gave no
        # address and no phone number.
        assert "🤝 Danke! Sie helfen Helga." in answer
        assert "👤 Helga" in answer
        assert "📍 Büdesheim: Bitte vereinbaren Sie den Treffpunkt im Chat." in answer
        assert "✉️ Sie können über den Bot schreiben" in answer
        assert "🏠 Hauptmenü" in answer  # no dead end
        card = card_of(erika, "🤝 Danke! Sie helfen Helga.")
        assert card.labels == ["✉️ Nachricht an Helga", "Ich kann doch nicht kommen"]

        answer = await press_on(erika, card, "✉️ Nachricht an Helga")
        assert "💬 Gespräch mit Helga (🛒 Einkaufen, Dienstag, 24. November, vormittags)." in answer
        answer = await erika.send("Guten Tag! Treffen wir uns am Eingang vom Rewe?")
        assert "✓ An Helga geschickt." in answer
        await erika.send_photo("AgACAgIAAxkBAAIBphoto")
        await erika.send_voice("AwACAgIAAxkBAAIBvoice")
        answer = await erika.press("↩️ Zurück")
        assert "💬 Gespräche (1)" in erika.last.labels
        # Nothing was delivered yet: the bot stops here, and the messages wait in the outbox.

    async with start_app() as app:
        inbox = Inbox(app)
        await inbox.run()
        helga = Chat(app, "helga", "de")
        erika = Chat(app, "erika", "de")
        found, text, photo, voice = inbox.of(helga)
        assert "🎉 Gute Nachricht: Erika hilft Ihnen." in found.text
        assert "Erika sagt es an Ihrer Tür; öffnen Sie nur, wenn es stimmt." in found.text
        assert "✉️ Nachricht an Erika" in found.labels
        assert "✉️ Erika schreibt:" in text.text
        assert "„Guten Tag! Treffen wir uns am Eingang vom Rewe?“" in text.text
        assert text.labels == ["✉️ Nachricht an Erika", "⚠️ Melden"]
        assert (photo.photo, photo.text) == ("AgACAgIAAxkBAAIBphoto", "📷 Erika schickt ein Foto.")
        assert voice.voice == "AwACAgIAAxkBAAIBvoice"
        assert "🎤 Erika schickt eine Sprachnachricht." in voice.text

        answer = await press_on(helga, text, "✉️ Nachricht an Erika")
        assert "Sie (Mo., 23. Nov.): 📷 ein Foto" not in answer  # her own are marked "Sie"
        assert "Erika (Mo., 23. Nov.): „Guten Tag!" in answer
        await helga.send("Ja, um 10 Uhr. Ich trage eine rote Jacke.")
        await inbox.run()
        reply = inbox.of(erika)[-1]
        assert "✉️ Helga schreibt:\n„Ja, um 10 Uhr. Ich trage eine rote Jacke.“" in reply.text

    [message, *_rest] = await stored(app, RelayMessage)
    assert message.text == "Guten Tag! Treffen wir uns am Eingang vom Rewe?"


async def test_messages_in_another_language_are_marked_and_a_report_shows_the_agency_the_relay(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika, helga, inbox = await helga_helped_by_erika(app, chat)
    await press_on(helga, inbox.of(helga)[0], "✉️ Nachricht an Erika")
    await helga.send("Can you bring the receipt?")  # written in English by a German speaker
    await inbox.run()
    relayed = inbox.of(erika)[-1]
    assert "„Can you bring the receipt?“" in relayed.text

    answer = await press_on(erika, relayed, "⚠️ Melden")
    assert "Danke für Ihre Meldung." in answer
    [case] = await stored(app, Case)
    assert (case.kind, case.urgent) == (CaseKind.REPORT, True)
    koordination = await coordinator(app, chat("koordination"), "de")
    answer = await koordination.press_payload(f"act:case:{case.id}")
    assert "💬 Das Gespräch über den Bot:" in answer
    assert "Gemeldet: „Can you bring the receipt?“" in answer


async def test_a_relative_writes_with_the_volunteer_and_follows_every_change_in_english(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sam = chat("sam", "en")
    await onboard(sam, "relative", "en")
    await sam.press("👪 Ask for help for someone")
    await sam.send("Erna")
    await sam.press("🛒 Shopping")
    await sam.press("Tomorrow")
    await sam.press("morning")
    await sam.press("Büdesheim")
    await sam.send("Mainzer Str. 3")
    await sam.press("✉️ Only through the bot")
    await sam.send("Weekly shopping for my mother.")
    for label in ("✏️ Languages", "✓ English", "German", "➡️ Continue"):  # his, English, first
        await sam.press(label)
    await sam.press("📨 Send request")
    inbox = Inbox(app)
    await inbox.run()
    answer = await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    assert "📍 Adresse: Mainzer Str. 3" in answer
    assert "✉️ Nachricht an die Kontaktperson von Erna" in card_of(erika, "Erna").labels

    await inbox.run()
    [found] = inbox.of(sam)
    assert "🎉 Good news: Erika will help Erna." in found.text
    # The door is Erna's: the relative is asked to pass the word on.
    assert "Please tell Erna this word. Erika will say it at the door" in found.text

    clock.now = clock.now.replace(hour=17)  # Monday 18:00: the evening before
    await inbox.run()
    reminder = inbox.of(erika)[-1]
    assert "Bitte bestätigen Sie, dass Sie kommen." in reminder.text
    answer = await press_on(erika, reminder, "✅ Ich komme")
    assert "Danke! Wir haben Erna gesagt, dass Sie kommen." in answer
    await inbox.run()
    assert "✅ Erika has confirmed: they come as agreed" in inbox.of(sam)[-1].text
    again = await press_on(erika, reminder, "✅ Ich komme")  # a second tap changes nothing
    assert "Danke!" in again
    await inbox.run()
    assert len([m for m in inbox.of(sam) if "has confirmed" in m.text]) == 1

    clock.now = datetime(2026, 11, 24, 13, 0, tzinfo=BERLIN)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[-1], "✅ 2 Stunden")
    await inbox.run()
    said = [m.text for m in inbox.of(sam)]
    assert any("Did everything go well with Erika's help?" in text for text in said)
    assert any("✔ Erika reports that the help took place" in text for text in said)


# --- calendar --------------------------------------------------------------------------------


def _event(file: Shown) -> tuple[Calendar, dict]:  # type: ignore[type-arg]
    assert file.file is not None and file.file.filename.endswith(".ics")
    calendar = Calendar.from_ical(file.file.content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


async def test_the_acceptance_brings_a_calendar_file_and_a_cancellation_removes_it(
    app: App, chat: Callable[..., Chat]
) -> None:
    karl = await volunteer_profile(chat("karl"), "Karl", slot="Di. nachmittags")
    helga = chat("helga")
    await ask_for_myself(helga, part="14:30", day="Morgen")
    await reads_english(app, karl)  # his calendar entry is in English
    inbox = Inbox(app)
    await inbox.run()
    await press_on(karl, inbox.of(karl)[0], "✅ I can help")
    await inbox.run()

    [for_karl] = inbox.files_of(karl)
    assert "📅 For your calendar: 🛒 Shopping, Tuesday, 24 November, 14:30." in for_karl.text
    calendar, event = _event(for_karl)
    start = event.decoded("dtstart")
    assert start == datetime(2026, 11, 24, 14, 30, tzinfo=BERLIN)
    assert str(start.tzinfo) == "Europe/Berlin"  # local time, with its time zone
    assert event.decoded("dtend") - start == timedelta(hours=2)
    assert str(event["summary"]) == "🛒 Shopping"
    assert str(event["location"]) == "Büdesheim"
    assert "Safety word:" in str(event["description"])
    assert "Helga" not in str(event["summary"]) + str(event["description"])
    [for_helga] = inbox.files_of(helga)
    _calendar, hers = _event(for_helga)
    assert str(hers["summary"]) == "🛒 Einkaufen"
    assert hers["uid"] == event["uid"]

    await press_on(karl, card_of(karl, "Thank you! You help Helga"), "I cannot come after all")
    await inbox.run()
    cancelled = inbox.files_of(helga)[-1]
    assert "📅 Abgesagt: 🛒 Einkaufen" in cancelled.text
    calendar, event = _event(cancelled)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert event["uid"] == hers["uid"] and int(event["sequence"]) > int(hers["sequence"])
    assert "Erika" not in inbox.of(helga)[-1].text
    assert any("Karl kann leider doch nicht kommen" in m.text for m in inbox.of(helga))


# --- no double booking -----------------------------------------------------------------------


async def test_an_overlapping_offer_is_never_made_and_cannot_be_accepted(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika", slot="Do. vormittags")
    karl = await volunteer_profile(chat("karl"), "Karl", slot="Do. vormittags")
    await ask_for_myself(chat("helga"), day="Do., 26. Nov.", part="10:30")
    await request_for_mother(chat("sabine"), day="Do., 26. Nov.", name="Erna")  # "vormittags"
    inbox = Inbox(app)
    await inbox.run()
    # Both were offered both, before anyone accepted.
    [for_erika] = inbox.of(erika)
    assert "🔔 2 Anfragen passen zu Ihnen:" in for_erika.text
    answer = await press_on(erika, for_erika, "✅ 1: Ich kann helfen")
    assert "Sie helfen" in answer
    answer = await press_on(erika, for_erika, "✅ 2: Ich kann helfen")
    assert "Sie helfen zu dieser Zeit schon jemandem" in answer
    first, _karls = await stored(app, VolunteerProfile)
    erikas = [m for m in await stored(app, Match) if m.profile_id == first.id]
    assert sorted((m.state, m.decline_reason) for m in erikas) == [
        (MatchState.ACCEPTED, None),
        (MatchState.DECLINED, "booked"),
    ]
    # Karl can still take the other one.
    [for_karl] = inbox.of(karl)
    answer = await press_on(karl, for_karl, "✅ 2: Ich kann helfen")
    assert "🤝 Danke! Sie helfen Erna." in answer

    # A new request that overlaps Erika's help is not offered to her.
    await request_for_mother(chat("omar"), day="Do., 26. Nov.", name="Aylin")
    before = len(inbox.of(erika))
    await inbox.run()
    assert len(inbox.of(erika)) == before


async def test_the_daily_limit_is_a_profile_setting_and_keeps_offers_away_in_english(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika", slot="Do. vormittags")
    await erika.press("👤 Mein Profil")
    assert "🗓 Höchstens 2 Einsätze am Tag" in erika.last.labels
    await erika.press("🗓 Höchstens 2 Einsätze am Tag")
    await erika.press("🗓 Höchstens 3 Einsätze am Tag")
    assert "🗓 Höchstens 1 Einsatz am Tag" in erika.last.labels  # 1, 2, 3, then 1 again
    await ask_for_myself(chat("helga"), day="Do., 26. Nov.", part="9:00")
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    sam = chat("sam", "en")
    await onboard(sam, "seeker", "en")
    await sam.press("🆘 Ask for help")
    await sam.press("🛒 Shopping")
    await sam.press("Thu 26 Nov")
    await sam.send("11:30")  # later that morning: no overlap, but her one help a day is taken
    await sam.press("Büdesheim")
    await sam.press("Skip")
    await sam.send("Sam")
    await sam.send("0170 1234567")
    await sam.send("Please bring water crates.")
    for label in ("✏️ Languages", "✓ English", "German", "➡️ Continue"):  # his, English, first
        await sam.press(label)
    await sam.press("📨 Send request")
    before = len(inbox.of(erika))
    await inbox.run()
    assert len(inbox.of(erika)) == before


# --- declines move on ------------------------------------------------------------------------


async def test_when_everyone_declined_the_next_round_starts_at_once_and_reasons_count(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    karl = await volunteer_profile(chat("karl"), "Karl", district="Kempten")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    [offer] = inbox.of(erika)
    assert inbox.of(karl) == []  # round 1 is Büdesheim only
    answer = await press_on(erika, offer, "✖ Diesmal nicht")
    assert "Wenn Sie mögen, sagen Sie uns mit einem Tipp, warum." in answer
    assert erika.last.labels[:3] == [
        "⏰ Keine Zeit",
        "📍 Zu weit weg",
        "🙅 Nicht meine Art von Hilfe",
    ]
    answer = await erika.press("🙅 Nicht meine Art von Hilfe")
    assert "Danke, notiert." in answer and "🏠 Hauptmenü" in answer

    await inbox.run()  # no waiting for the round's 24 hours
    [for_karl] = inbox.of(karl)
    assert "🔔 Können Sie helfen?" in for_karl.text
    [match] = [m for m in await stored(app, Match) if m.decline_reason]
    assert match.decline_reason == "not_my_kind"

    # "Not my kind of help": Erika gets no shopping request for a while.
    await request_for_mother(chat("omar"), day="Morgen", name="Aylin")
    await inbox.run()
    assert len(inbox.of(erika)) == 1
    assert sabine.last is not None


# --- reminders ---------------------------------------------------------------------------------


async def test_reminders_whose_moment_passed_are_dropped_not_sent_late(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika, helga, inbox = await helga_helped_by_erika(app, chat)
    sent = {person: len(inbox.of(person)) for person in (erika, helga)}

    clock.now = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)  # the bot was down since Monday
    await inbox.run()
    for person in (erika, helga):
        new = [m.text for m in inbox.of(person)[sent[person] :]]
        assert not [text for text in new if "⏰" in text]  # neither "tomorrow" nor "in two hours"
    assert any("Hat die Hilfe stattgefunden?" in m.text for m in inbox.of(erika))


async def test_a_volunteer_who_cannot_after_all_reopens_the_request_and_silence_reaches_the_queue(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    karl = await volunteer_profile(chat("karl"), "Karl")
    helga = chat("helga")
    await ask_for_myself(helga)
    await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ 1: Ich kann helfen")
    await press_on(karl, inbox.of(karl)[0], "✅ 2: Ich kann helfen")

    clock.now = clock.now.replace(hour=17)  # Monday 18:00
    await inbox.run()
    answer = await press_on(erika, inbox.of(erika)[-1], "❌ Ich kann doch nicht")
    assert "Wir suchen jemand anderen." in answer
    helgas, _sabines = await stored(app, HelpRequest)
    assert helgas.status == RequestStatus.OPEN
    await inbox.run()
    assert any("Erika kann leider doch nicht kommen" in m.text for m in inbox.of(helga))

    clock.now = clock.now.replace(hour=20)  # 21:00, and Karl has not answered
    await inbox.run()
    [case] = [c for c in await stored(app, Case) if c.kind == CaseKind.UNCONFIRMED]
    assert case.urgent
    await inbox.run()
    assert len([c for c in await stored(app, Case) if c.kind == CaseKind.UNCONFIRMED]) == 1


# --- on duty, off duty, quiet hours ----------------------------------------------------------


async def test_off_duty_with_a_day_to_come_back_and_quiet_hours_chosen_in_the_chat(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    answer = await erika.press("⏸ Anfragen pausieren")
    assert "Sollen sie von selbst wiederkommen?" in answer
    answer = await erika.press("In 1 Woche")
    assert "Pausiert bis Montag, 30. November." in answer
    assert "▶️ Anfragen wieder erhalten" in erika.last.labels
    await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    assert inbox.of(erika) == []

    await erika.press("👤 Mein Profil")
    await erika.press("🌙 Ruhezeit: 21:00–08:00")
    await erika.press("22:00")
    answer = await erika.press("07:00")
    assert "Zwischen 22:00 und 07:00 schicken wir Ihnen nichts." in answer
    async with app.sessions() as session:
        user = (await session.exec(select(User).where(User.key == "test:erika"))).one()
    assert (user.quiet_from, user.quiet_until) == (time(22, 0), time(7, 0))

    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)
    await request_for_mother(chat("omar"), day="Morgen", name="Aylin")  # Tuesday, 1 December
    await inbox.run()
    assert any("🔔" in m.text for m in inbox.of(erika))  # back on duty by herself


async def test_a_relative_moves_the_help_to_another_day_and_the_volunteer_is_released(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    await inbox.run()

    await sabine.press("📋 Meine Anfragen")
    await sabine.press("🛒 Einkaufen · Di., 24. Nov. · 🤝 Hilfe gefunden")
    answer = await sabine.press("🗓 Auf einen anderen Tag legen")
    assert "Wann braucht Helga Hilfe?" in answer
    await sabine.press("Übermorgen")
    answer = await sabine.press("nachmittags")
    assert "Wann: Mittwoch, 25. November, nachmittags" in answer
    await sabine.press("📨 Anfrage senden")

    old, new = await stored(app, HelpRequest)
    assert (old.status, new.status, new.person_name) == (
        RequestStatus.CANCELLED,
        RequestStatus.OPEN,
        "Helga",
    )
    await inbox.run()
    assert "Die Anfrage wurde zurückgezogen" in inbox.of(erika)[-1].text
    assert "📅 Abgesagt" in inbox.files_of(erika)[-1].text


async def test_ones_messages_are_in_the_data_export_and_erasing_ends_the_conversation(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika, helga, inbox = await helga_helped_by_erika(app, chat)
    await press_on(erika, card_of(erika, "Sie helfen Helga"), "✉️ Nachricht an Helga")
    await erika.send("Ich bringe eine Einkaufstasche mit.")
    await erika.press("↩️ Zurück")
    await inbox.run()
    relayed = inbox.of(helga)[-1]

    await erika.send("/mydata")
    assert erika.last_turn is not None and erika.last_turn.replies[0].file is not None
    exported = json.loads(erika.last_turn.replies[0].file.content)
    [written] = exported["messages_written_through_the_bot"]
    assert written["text"] == "Ich bringe eine Einkaufstasche mit."

    await erika.send("/delete")
    await erika.press(erika.last.labels[0])  # yes, delete everything
    assert await stored(app, RelayMessage) == []
    answer = await press_on(helga, relayed, "✉️ Nachricht an Erika")
    assert "Diese Taste gilt nicht mehr" in answer
    await helga.send("/menu")
    assert not [label for label in helga.last.labels if label.startswith("💬")]


async def test_in_english_a_decline_says_why_and_a_late_reminder_is_dropped(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    karl = await volunteer_profile(chat("karl"), "Karl", district="Kempten")
    await reads_english(app, karl)
    await request_for_mother(chat("sabine"))  # Büdesheim: Karl is asked in the second round
    inbox = Inbox(app)
    await inbox.run()
    answer = await press_on(karl, inbox.of(karl)[0], "✖ Not this time")
    assert "If you like, tell us why in one tap." in answer
    answer = await karl.press("📍 Too far away")
    assert "Thank you, noted." in answer
    [match] = await stored(app, Match)
    assert match.decline_reason == "too_far"

    # "Too far": the next request outside his districts reaches him no more.
    await request_for_mother(chat("omar"), name="Aylin")
    await inbox.run()
    assert len(inbox.of(karl)) == 1

    # One he takes, for his own district; the bot is down until after the appointment.
    await request_for_mother(chat("lena"), district="Kempten", name="Lotte")
    await inbox.run()
    answer = await press_on(karl, inbox.of(karl)[-1], "✅ I can help")
    assert "🤝 Thank you! You help Lotte." in answer
    assert "🔑 Safety word:" in answer
    before = len(inbox.of(karl))
    clock.now = datetime(2026, 11, 24, 15, 0, tzinfo=BERLIN)
    await inbox.run()
    late = [m.text for m in inbox.of(karl)[before:]]
    assert not [text for text in late if "⏰" in text]
    assert any("Did the help take place?" in text for text in late)
