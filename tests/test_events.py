"""Events: created in the chat, found by their audience only, signed up for in one tap (or for a
relative), full with a waiting list that moves up, reminded the evening before, attendance marked;
and a confidential talk after a difficult help."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select

from bot.app import App
from storage.models import (
    Case,
    CaseKind,
    Delivery,
    DeliveryKind,
    Event,
    EventSignup,
    SignupStatus,
    StaffKind,
)
from tests.chat import Chat, Inbox, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_agency import coordinator, grant
from tests.test_organisation import approved
from tests.test_push import request_for_mother, volunteer_profile


async def create_event(
    organiser: Chat,
    *,
    title: str = "Café in the Stift",
    kind: str = "☕ Seniors' café",
    day: str = "Wed 25 Nov",
    at: str = "15:00",
    weekly: str = "Once",
    seats: str = "10",
    audience: str | None = "People who look for help",
    district: str = "Büdesheim",
) -> str:
    await organiser.press("📅 Events")
    await organiser.press("➕ New event")
    await organiser.send(title)
    await organiser.press(kind)
    await organiser.press(day)
    await organiser.press(at)
    await organiser.press(weekly)
    await organiser.send("Stift St. Martin, Bingen")
    await organiser.press(district)
    await (
        organiser.press(seats) if seats.isdigit() and int(seats) >= 10 else organiser.send(seats)
    )
    if audience is not None:
        await organiser.press(audience)
    await organiser.press("➡️ Continue")
    return await organiser.press("📅 Publish")


async def test_an_event_for_seekers_fills_up_moves_its_waiting_list_and_is_reminded(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    answer = await create_event(anna, seats="2")
    assert "✅ The event is published." in answer
    assert "☕ Seniors' café: Café in the Stift" in answer
    assert "Wednesday, 25 November, 15:00" in answer
    assert "📍 Stift St. Martin, Bingen (Büdesheim)" in answer

    inbox = Inbox(app)
    helga = await onboard(chat("helga", "en"), "seeker", "en")
    sabine = await onboard(chat("sabine", "en"), "relative", "en")
    olga = await onboard(chat("olga", "en"), "seeker", "en")
    karl = await volunteer_profile(chat("karl"), "Karl")
    await inbox.run()
    # Announced to those it is for, who joined before it was published: nobody yet; the list
    # shows it to seekers and relatives only.
    answer = await karl.press("📅 Veranstaltungen")
    assert "Café in the Stift" not in answer
    answer = await helga.press("📅 Events")
    assert "📅 1 event for you." in answer
    answer = await helga.press("Wed 25 Nov, 15:00 · Café in the Stift")
    assert "🪑 2 seats free" in answer
    await helga.press("✅ Sign up")
    assert helga.last.text.startswith("Which first name")
    answer = await helga.send("Helga")
    assert "✅ You have a seat." in answer and "🪑 1 seat free" in answer

    await sabine.press("📅 Events")
    await sabine.press("Wed 25 Nov, 15:00 · Café in the Stift")
    await sabine.press("👪 Sign up a relative")
    answer = await sabine.send("Erna")
    assert "✅ Erna has a seat." in answer and "Full" in answer

    await olga.press("📅 Events")
    answer = await olga.press("Wed 25 Nov, 15:00 · Café in the Stift")
    assert "⏳ Put me on the waiting list" in olga.last.labels
    await olga.press("⏳ Put me on the waiting list")
    answer = await olga.send("Olga")
    assert "⏳ The event is full. You are on the waiting list" in answer

    await inbox.run()
    [ics] = inbox.files_of(helga)
    assert ics.file is not None and b"BEGIN:VEVENT" in ics.file.content
    assert b"Caf\xc3\xa9 in the Stift" in ics.file.content
    assert inbox.files_of(olga) == []  # waiting: no calendar entry yet

    # The organiser sees who comes, and writes to all of them.
    await anna.press("↩️ Back")
    await anna.press("Wed 25 Nov, 15:00 · Café in the Stift")
    answer = await anna.press("👥 Participants (2)")
    assert "2 of 2 seats taken" in answer and "• Helga" in answer and "• Erna" in answer
    assert "1. Olga" in answer
    await anna.press("↩️ Back")
    await anna.press("✉️ Write to all")
    answer = await anna.send("Please bring a cup if you have one.")
    assert "✉️ Sent to 3 people." in answer

    # Tuesday 18:00: the reminder; Helga cannot come, and Olga moves up.
    clock.now = clock.now + timedelta(days=1, hours=9)
    await inbox.run()
    [*_, post, reminder] = inbox.of(helga)
    assert "Please bring a cup" in post.text
    assert "⏰ Tomorrow you have a seat at:" in reminder.text
    answer = await press_on(helga, reminder, "❌ I cannot come")
    assert "Your seat is cancelled." in answer
    answer = await press_on(helga, reminder, "❌ I cannot come")
    assert "already cancelled" in answer  # a second tap changes nothing
    await inbox.run()
    moved = [m for m in inbox.of(olga) if "A seat became free" in m.text]
    assert len(moved) == 1 and "you now have a seat at “Café in the Stift”" in moved[0].text
    assert len(inbox.files_of(olga)) == 1
    reminded = [m for m in inbox.of(sabine) if "Tomorrow with Erna" in m.text]
    assert len(reminded) == 1

    # Afterwards the organiser marks who came.
    await anna.press("✔️ Who came")
    await anna.press("Erna")
    answer = await anna.press("✅ Done")
    assert "✅ Attendance saved." in answer
    async with app.sessions() as session:
        seats = (await session.exec(select(EventSignup))).all()
    assert {(s.guest_name, s.status, s.attended) for s in seats} == {
        ("Helga", SignupStatus.CANCELLED, None),
        ("Erna", SignupStatus.GOING, True),
        ("Olga", SignupStatus.GOING, None),
    }

    # After the retention period the seats keep no names; the counts stay.
    clock.advance(timedelta(days=app.deployment.agency.retention_days + 2))
    await inbox.run()
    async with app.sessions() as session:
        seats = (await session.exec(select(EventSignup))).all()
    assert sorted((s.guest_name, s.attended) for s in seats if s.attended) == [(None, True)]
    assert all(s.guest_name is None for s in seats)


async def test_supervision_reaches_volunteers_only_and_is_one_weekly_entry_auf_deutsch(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    helga = await onboard(chat("helga"), "seeker")
    koordination = await coordinator(app, chat("koordination"), "de")
    await koordination.press("📅 Veranstaltungen")
    await koordination.press("➕ Neue Veranstaltung")
    await koordination.send("Gesprächsrunde für Ehrenamtliche")
    await koordination.press("🤲 Supervision für Ehrenamtliche")
    await koordination.press("Mi., 25. Nov.")
    await koordination.send("17:30")
    await koordination.press("Jede Woche zu dieser Zeit")
    await koordination.send("Treff im Stift")
    await koordination.press("🏙 Die ganze Stadt")
    await koordination.send("12")
    await koordination.press("➡️ Weiter")  # no question about the audience: volunteers only
    answer = await koordination.press("📅 Veröffentlichen")
    assert "✅ Die Veranstaltung ist veröffentlicht." in answer
    assert "jeden Mittwoch" in answer

    inbox = Inbox(app)
    await inbox.run()
    [news] = [m for m in inbox.of(erika) if "Eine neue Veranstaltung" in m.text]
    assert "Gesprächsrunde für Ehrenamtliche" in news.text
    assert inbox.of(helga) == []
    answer = await helga.press("📅 Veranstaltungen")
    assert "Gesprächsrunde" not in answer

    # A week later, the same entry offers its next day.
    clock.now = clock.now + timedelta(days=3)
    answer = await press_on(erika, news, "📅 Ansehen und anmelden")
    assert "jeden Mittwoch; nächster Termin: Mittwoch, 2. Dezember, 17:30" in answer
    answer = await erika.press("✅ Anmelden")  # her first name is known from her profile
    assert "✅ Sie haben einen Platz." in answer

    # Stopping event news with one tap on the message itself.
    answer = await press_on(erika, news, "🔕 Keine Nachrichten mehr über Veranstaltungen")
    assert "🔕" in answer
    async with app.sessions() as session:
        planned = (await session.exec(select(Delivery))).all()
    assert {d.kind for d in planned} >= {DeliveryKind.EVENT_CALENDAR, DeliveryKind.EVENT_REMINDER}


async def test_a_volunteer_talks_to_the_coordinators_in_confidence_and_no_sponsor_sees_it(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    karin = await onboard(chat("karin", "en"), "volunteer", "en")
    await grant(app, karin, StaffKind.SPONSOR, "buedesheim")
    karl = await volunteer_profile(chat("karl"), "Karl")
    answer = await karl.press("💬 Ich möchte über einen Einsatz sprechen")
    assert "Nur die Koordination liest es" in answer
    assert "Supervision für Ehrenamtliche (Caritas)" in answer  # the counsellor from the file
    answer = await karl.send("Bei Frau M. war es schwierig, ich würde gern darüber reden.")
    assert "📨 Danke. Ihre Nachricht ist bei uns angekommen." in answer
    await karl.press("✉️ Schreiben Sie mir hier")

    inbox = Inbox(app)
    await inbox.run()
    [alert] = [m for m in inbox.of(anna) if "would like to talk" in m.text]
    assert [m for m in inbox.of(karin) if "talk" in m.text] == []
    answer = await press_on(anna, alert, "📂 Open")
    assert "🤲 Wants to talk (confidential)" in answer
    assert "Bei Frau M. war es schwierig" in answer
    async with app.sessions() as session:
        [case] = (await session.exec(select(Case).where(Case.kind == CaseKind.TALK))).all()
    assert case.district == ""  # the whole municipality: its coordinators, not a district's sponsor
    await karin.send("/menu")
    answer = await karin.press(karin.last.labels[0])
    assert "Frau M." not in answer


async def test_after_a_reported_help_the_volunteer_is_offered_a_talk_once_gently(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    clock.now = clock.now.replace(day=24, hour=12)  # Tuesday noon: the help took place
    await inbox.run()
    await press_on(sabine, inbox.of(sabine)[-1], "👎 Es gab ein Problem")
    await inbox.run()
    assert not [m for m in inbox.of(erika) if "Manche Einsätze sind schwer" in m.text]
    clock.advance(timedelta(hours=1))
    await inbox.run()
    [offer] = [m for m in inbox.of(erika) if "Manche Einsätze sind schwer" in m.text]
    answer = await press_on(erika, offer, "💬 Ich möchte über einen Einsatz sprechen")
    assert "🤲 Worüber möchten Sie sprechen?" in answer
    clock.advance(timedelta(days=2))
    await inbox.run()
    assert len([m for m in inbox.of(erika) if "Manche Einsätze sind schwer" in m.text]) == 1


async def test_an_erased_participant_frees_the_seat_and_the_waiting_list_moves_up(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    await create_event(anna, seats="1", audience="Everyone")
    helga = await onboard(chat("helga", "en"), "seeker", "en")
    olga = await onboard(chat("olga", "en"), "seeker", "en")
    for person, name in ((helga, "Helga"), (olga, "Olga")):
        await person.press("📅 Events")
        await person.press("Wed 25 Nov, 15:00 · Café in the Stift")
        await person.press(person.last.labels[0])
        await person.send(name)
    await helga.send("/mydata")
    assert helga.last_turn is not None
    exported = helga.last_turn.replies[0].file
    assert exported is not None
    [seat] = json.loads(exported.content)["event_seats"]
    assert (seat["event"], seat["name"], seat["status"]) == ("Café in the Stift", "Helga", "going")
    await helga.send("/delete")
    await helga.press(helga.last.labels[0])
    inbox = Inbox(app)
    await inbox.run()
    assert [m for m in inbox.of(olga) if "A seat became free" in m.text]
    async with app.sessions() as session:
        seats = (await session.exec(select(EventSignup))).all()
    assert [(s.guest_name, s.status) for s in seats] == [("Olga", SignupStatus.GOING)]


async def test_an_approved_organisation_holds_a_reading_and_a_pending_one_cannot(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = chat("anna", "en")
    await approved(app, anna)
    await anna.send("/menu")
    answer = await create_event(anna, title="Reading hour", kind="📖 Reading", audience="Everyone")
    assert "✅ The event is published." in answer
    async with app.sessions() as session:
        [event] = (await session.exec(select(Event))).all()
    assert event.organisation_id is not None

    otto = await onboard(chat("otto", "en"), "organisation", "en")  # not registered, not approved
    answer = await otto.press("📅 Events")
    assert "➕ New event" not in otto.last.labels
    answer = await otto.press_payload("events:new")  # forged: not among the buttons shown
    assert "This button is no longer valid." in answer
    async with app.sessions() as session:
        assert len((await session.exec(select(Event))).all()) == 1


async def test_an_organiser_calls_an_event_off_and_everyone_signed_up_is_told(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    await create_event(anna, seats="1", audience="Everyone")
    helga = await onboard(chat("helga", "en"), "seeker", "en")
    olga = await onboard(chat("olga", "en"), "seeker", "en")
    for person, name in ((helga, "Helga"), (olga, "Olga")):
        await person.press("📅 Events")
        await person.press("Wed 25 Nov, 15:00 · Café in the Stift")
        await person.press(person.last.labels[0])
        await person.send(name)
    answer = await olga.press_payload("call_off")  # not hers to call off: not among her buttons
    assert "This button is no longer valid." in answer
    inbox = Inbox(app)
    await inbox.run()  # Helga's calendar file

    await anna.send("/menu")
    await anna.press("📅 Events")
    await anna.press("Wed 25 Nov, 15:00 · Café in the Stift")
    answer = await anna.press("🗑 Call off the event")
    assert "Everyone signed up is told" in answer
    answer = await anna.press("✅ Yes, call it off")
    assert "🗑 Called off. 2 people are told." in answer
    assert "Café in the Stift" not in answer

    await inbox.run()
    [cancelled] = [f for f in inbox.files_of(helga) if "called off" in f.text]
    assert cancelled.file is not None
    assert b"METHOD:CANCEL" in cancelled.file.content
    [seat_file] = [f for f in inbox.files_of(helga) if "calendar" in f.text]
    assert seat_file.file is not None
    uid = [line for line in seat_file.file.content.split(b"\r\n") if line.startswith(b"UID")]
    assert uid and uid[0] in cancelled.file.content  # the same entry is taken out
    [told] = [m for m in inbox.of(olga) if "called off" in m.text]  # she was waiting
    assert "“Café in the Stift” on Wednesday, 25 November is called off." in told.text
    answer = await helga.press("↩️ Back")  # her card of the event, now gone
    assert "There is no event for you at the moment." in answer
