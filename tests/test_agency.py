"""The agency in the chat: the queue of what needs a person, its cards and their actions, phone
intake, typed text and voice from seekers, vetting, reports and blocking, approvals and invitation
links; each as a coordinator or sponsor does it, and out of reach for everyone else."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

from sqlmodel import col, select

from bot.app import App
from exchange import staff
from storage.models import (
    AuditEvent,
    Case,
    CaseKind,
    CaseStatus,
    HelpRequest,
    Opportunity,
    OpportunityStatus,
    RequestStatus,
    StaffKind,
    User,
    VolunteerProfile,
)
from tests.chat import Chat, Inbox, Shown, onboard, press_on
from tests.conftest import FrozenClock
from tests.test_push import request_for_mother, volunteer_profile

QUEUE = "🗂 Agency queue"


async def user_of(app: App, person: Chat) -> User:
    async with app.sessions() as session:
        return (await session.exec(select(User).where(User.key == person.user_key))).one()


async def grant(
    app: App, person: Chat, kind: StaffKind = StaffKind.COORDINATOR, *districts: str
) -> None:
    async with app.sessions() as session, session.begin():
        user = (await session.exec(select(User).where(User.key == person.user_key))).one()
        await staff.grant(
            session,
            app.deployment,
            user,
            kind,
            "bingen",
            districts,
            by=None,
            via="cli",
            now=app.core.clock(),
        )


async def coordinator(app: App, person: Chat, language: str = "en") -> Chat:
    """Someone who volunteers and coordinates the agency in Bingen."""
    await onboard(person, "volunteer", language)
    await grant(app, person)
    await person.send("/menu")
    return person


def queue_button(person: Chat) -> str:
    [label] = [label for label in person.last.labels if label.startswith("🗂")]
    return label


async def audit_actions(app: App) -> list[tuple[int | None, str, str]]:
    async with app.sessions() as session:
        events = (await session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    return [(e.actor_id, e.via, e.action) for e in events]


async def cases_of(app: App) -> list[Case]:
    async with app.sessions() as session:
        return list((await session.exec(select(Case).order_by(col(Case.id)))).all())


async def nobody_takes(app: App, clock: FrozenClock, inbox: Inbox) -> None:
    """Run the offer rounds until they give up (volunteers who got offers ignore them)."""
    for _ in range(4):
        await inbox.run()
        clock.advance(timedelta(hours=25))
    async with app.sessions() as session:
        assert (await session.exec(select(HelpRequest))).one().exhausted


def case_push(inbox: Inbox, person: Chat) -> Shown:
    [pushed] = [shown for shown in inbox.of(person) if shown.text.startswith("🗂")]
    return pushed


# --- the queue and assigning by hand ------------------------------------------------------------


async def test_a_request_nobody_takes_reaches_the_queue_and_a_coordinator_assigns_a_volunteer(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    assert queue_button(anna) == "🗂 Agency queue (0)"
    erika = await volunteer_profile(chat("erika"), "Erika", slot="Fr. vormittags")
    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    await nobody_takes(app, clock, inbox)

    alert = case_push(inbox, anna)
    assert "🗂 Nobody accepted a request: 🛒 Shopping in Büdesheim" in alert.text
    assert "Helga" not in alert.text and "06721" not in alert.text  # the push names no one
    assert alert.labels == ["📂 Open"]
    await anna.send("/menu")
    assert queue_button(anna) == "🗂 Agency queue (1)"
    answer = await anna.press("🗂 Agency queue (1)")
    assert "🗂 Agency queue: 1 waiting." in answer
    [item] = [label for label in anna.last.labels if "Nobody found" in label]
    assert "Büdesheim" in item

    card = await press_on(anna, alert, "📂 Open")
    assert "For: Helga" in card
    assert "📞 Phone: 06721 12345" in card  # only here, only to the agency
    assert "Wocheneinkauf" in card
    assert "🗣 Writes in German" in card
    assert anna.last.labels[:4] == [
        "👥 Assign a volunteer",
        "🔍 Widen the search",
        "🙋 I take it over",
        "✉️ Write to them",
    ]
    answer = await anna.press("👥 Assign a volunteer")
    assert "Who helps? These fit best" in answer
    assert anna.last.labels[0] == "Erika: helps in Büdesheim, helped 0 times"
    answer = await anna.press("Erika: helps in Büdesheim, helped 0 times")
    assert "🤝 Erika helps. Erika and the asker are told." in answer
    assert "🗂 Agency queue: nothing is waiting." in answer

    await inbox.run()
    assigned = inbox.of(erika)[-1]
    assert "Helga" in assigned.text
    assert "Hauptstraße 5" in assigned.text and "06721 12345" in assigned.text
    found = inbox.of(sabine)[-1]
    assert "🎉 Gute Nachricht: Erika hilft Helga." in found.text

    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert request.status == RequestStatus.MATCHED
    [case] = await cases_of(app)
    assert (case.status, case.reason) == (CaseStatus.CLOSED, "assigned")
    anna_id = (await user_of(app, anna)).id
    assert (anna_id, "chat", "assign") in await audit_actions(app)
    assert (anna_id, "chat", "close") in await audit_actions(app)

    # The spent card's buttons do nothing any more.
    answer = await press_on(anna, alert, "📂 Open")
    assert "This case is closed already." in answer


async def test_auf_deutsch_weist_die_koordination_eine_ehrenamtliche_von_hand_zu(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    koordination = await coordinator(app, chat("koordination"), "de")
    assert queue_button(koordination) == "🗂 Warteliste der Börse (0)"
    erika = await volunteer_profile(chat("erika"), "Erika", slot="Fr. vormittags")
    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    await nobody_takes(app, clock, inbox)

    alert = case_push(inbox, koordination)
    assert alert.text.startswith("🗂 Niemand hat eine Anfrage übernommen: 🛒 Einkaufen")
    await koordination.send("/menu")
    answer = await koordination.press("🗂 Warteliste der Börse (1)")
    assert "🗂 Warteliste der Börse: 1 offen." in answer
    [item] = [label for label in koordination.last.labels if "Niemand gefunden" in label]
    card = await koordination.press(item)
    assert "Geholfen wird: Helga" in card and "📞 Telefon: 06721 12345" in card
    answer = await koordination.press("👥 Ehrenamtliche/n zuweisen")
    assert "Wer hilft? Diese Personen passen am besten" in answer
    answer = await koordination.press("Erika: hilft in Büdesheim, hat 0-mal geholfen")
    assert "🤝 Erika hilft. Erika und die anfragende Person sind informiert." in answer
    await inbox.run()
    assert "🤝 Wie mit der Börse abgesprochen: Sie helfen Helga." in inbox.of(erika)[-1].text
    assert "🎉 Gute Nachricht: Erika hilft Helga." in inbox.of(sabine)[-1].text
    koordination_id = (await user_of(app, koordination)).id
    assert (koordination_id, "chat", "assign") in await audit_actions(app)


async def test_taking_over_widening_and_closing_tell_the_asker_what_happens_next(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    await nobody_takes(app, clock, inbox)
    await press_on(anna, case_push(inbox, anna), "📂 Open")

    answer = await anna.press("🙋 I take it over")
    assert "🙋 It is yours now. The person is told." in answer
    assert "🙋 Taken over." in answer
    assert "🙋 I take it over" not in anna.last.labels
    answer = await anna.press("✉️ Write to them")
    answer = await anna.send("Guten Tag, ich rufe Sie morgen um 10 Uhr an.")
    assert "✉️ Sent." in answer
    answer = await anna.press("🔍 Widen the search")
    assert "🔍 We look again" in answer
    await inbox.run()
    told = [shown.text for shown in inbox.of(sabine)]
    assert any("ich rufe Sie morgen um 10 Uhr an" in text for text in told)
    assert [shown.labels for shown in inbox.of(sabine) if "10 Uhr" in shown.text] == [
        ["✉️ Antworten"]
    ]
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert request.round == 3  # the widest round ran again, and found nobody in reach again

    # Nobody again: a new case; closed with a reason, the request is withdrawn and the asker told.
    newest = [c for c in await cases_of(app) if c.status == CaseStatus.OPEN]
    assert len(newest) == 1
    await anna.press_payload(f"act:case:{newest[0].id}")
    await anna.press("✔ Close")
    assert anna.last.labels[:4] == [
        "Settled by us",
        "No longer needed",
        "We cannot help",
        "Already handled",
    ]
    answer = await anna.press("We cannot help")
    assert "✔ Closed." in answer
    await inbox.run()
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert request.status == RequestStatus.CANCELLED
    actions = [action for _actor, _via, action in await audit_actions(app)]
    assert actions.count("take over") == 1 and "write" in actions and "close" in actions


# --- scope: sponsors, and nobody else --------------------------------------------------------


async def test_a_sponsor_sees_and_acts_on_their_districts_only(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    karin = await onboard(chat("karin", "en"), "volunteer", "en")
    await grant(app, karin, StaffKind.SPONSOR, "kempten")
    await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")  # in Büdesheim
    inbox = Inbox(app)
    await nobody_takes(app, clock, inbox)
    assert not [shown for shown in inbox.of(karin) if shown.text.startswith("🗂")]
    [case] = await cases_of(app)

    await karin.send("/menu")
    answer = await karin.press("🗂 Agency queue (0)")
    assert "nothing is waiting" in answer
    assert "🚫 Blocked people" not in karin.last.labels  # the whole town's list is not hers
    answer = await karin.press_payload(f"act:case:{case.id}")
    assert "This button is no longer valid." in answer
    await karin.press_payload("menu:agency")
    answer = await karin.press_payload(f"case:{case.id}")  # not among the queue's buttons
    assert "This button is no longer valid." in answer

    await grant(app, karin, StaffKind.SPONSOR, "buedesheim")
    await karin.send("/menu")
    assert queue_button(karin) == "🗂 Agency queue (1)"
    answer = await karin.press_payload(f"act:case:{case.id}")
    assert "For: Helga" in answer
    assert "👉 Forward to a sponsor" not in karin.last.labels


async def test_nobody_else_reaches_the_queue_by_forged_buttons_links_or_commands(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    await coordinator(app, chat("anna", "en"))
    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    await nobody_takes(app, clock, inbox)
    [case] = await cases_of(app)
    await sabine.send("/menu")
    assert not [label for label in sabine.last.labels if label.startswith("🗂")]

    for forged in (
        "menu:agency",
        f"act:case:{case.id}",
        f"case:{case.id}",
        "do:assign",
        "do:block",
        "agency:intake",
        "volunteer:1",
        "act:case:abc",
        "act:case:99999999999999999999",
    ):
        answer = await sabine.press_payload(forged)
        assert "Diese Taste gilt nicht mehr." in answer
    for command in ("/agency", "/queue"):
        answer = await sabine.send(command)
        assert "/agency" in answer or "/queue" in answer  # an unknown command, nothing more
    answer = await sabine.send("/start inv_forged0token")
    assert "invitation" not in answer.lower() or "not valid" in answer
    async with app.sessions() as session:
        roles = await staff.scope_of(session, app.deployment, await user_of(app, sabine))
    assert not roles
    [unchanged] = await cases_of(app)
    assert unchanged.status == CaseStatus.OPEN
    assert [a for a in await audit_actions(app) if a[2] != "grant coordinator"] == []


# --- phone intake -------------------------------------------------------------------------------


async def test_a_request_taken_by_phone_is_matched_and_the_volunteer_gets_the_seniors_number(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    erika = await volunteer_profile(chat("erika"), "Erika")
    await anna.press(queue_button(anna))
    answer = await anna.press("☎️ Take a request by phone")
    assert "Who needs help? Please type their first name." in answer
    await anna.send("Gertrud")
    await anna.press("🛒 Shopping")
    await anna.press("Tomorrow")
    await anna.press("morning")
    await anna.press("Büdesheim")
    answer = await anna.send("Rheinstraße 9")  # taken by phone: German, not asked
    assert "What is the phone number of Gertrud? The volunteer calls them." in answer
    await anna.send("06721 55555")
    await anna.send("Einkauf für die Woche, Frau Gertrud hat kein Telegram.")
    answer = await anna.press("📨 Send request")
    assert "📨 Entered. We look for a volunteer for Gertrud. You get every update here." in answer
    assert "🗂 Agency queue" in answer  # back in the queue

    inbox = Inbox(app)
    await inbox.run()
    [offer] = inbox.of(erika)
    assert "06721 55555" not in offer.text
    answer = await press_on(erika, offer, "✅ Ich kann helfen")
    assert "📞 Telefon: 06721 55555" in answer
    assert "📍 Adresse: Rheinstraße 9" in answer
    await inbox.run()
    assert "🎉 Good news: Erika will help Gertrud." in inbox.of(anna)[-1].text
    assert (((await user_of(app, anna)).id), "chat", "intake") in await audit_actions(app)


async def test_a_relative_on_telegram_takes_over_the_updates_of_a_request_taken_by_phone(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    erika = await volunteer_profile(chat("erika"), "Erika")
    await anna.press(queue_button(anna))
    await anna.press("☎️ Take a request by phone")
    for typed_or_pressed in ("Gertrud", "🛒 Shopping", "Tomorrow", "morning", "Büdesheim"):
        if typed_or_pressed == "Gertrud":
            await anna.send(typed_or_pressed)
        else:
            await anna.press(typed_or_pressed)
    await anna.send("Rheinstraße 9")
    await anna.send("06721 55555")
    await anna.send("Einkauf für die Woche.")
    answer = await anna.press("📨 Send request")
    assert "Should a relative on Telegram get the updates instead? Send them this link." in answer
    [link] = [line for line in answer.splitlines() if line.startswith("/start req_")]

    sabine = chat("sabine")
    await sabine.send(link)
    await sabine.press("Deutsch")
    answer = await sabine.press("✅ Ich stimme zu")
    assert "Gertrud" in answer and "Einkaufen" in answer
    await sabine.press(sabine.last.labels[0])  # yes
    assert "Gertrud" in sabine.last.text
    assert "📋 Meine Anfragen" in sabine.last.labels  # her requests, as a relative
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert request.asker_id == (await user_of(app, sabine)).id
    assert request.person_phone == "06721 55555" and request.address == "Rheinstraße 9"

    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    await inbox.run()
    assert "🎉 Gute Nachricht: Erika hilft Gertrud." in inbox.of(sabine)[-1].text
    assert not [s for s in inbox.of(anna) if "Erika" in s.text]  # the relative has the updates
    await sabine.send("/mydata")
    assert sabine.last_turn is not None and sabine.last_turn.replies[0].file is not None
    data = json.loads(sabine.last_turn.replies[0].file.content)
    assert data["help_requests"][0]["person_phone"] == "06721 55555"
    assert (
        (await user_of(app, sabine)).id,
        "chat",
        "contact taken over",
    ) in await audit_actions(app)


# --- typed text and voice at the seeker's menu --------------------------------------------------


async def test_a_voice_message_and_an_unrecognised_text_reach_the_queue_with_a_truthful_answer(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    olga = await onboard(chat("olga", "en"), "seeker", "en")
    answer = await olga.send_voice("AwACAgIAAxkBAAIBvoice")
    assert "📨 Thank you. We have your message." in answer
    # Monday 9:00 in Bingen, and the Treff im Stift opens Monday to Thursday at 9:00.
    assert "Someone from Treff im Stift will call you back today, from 09:00 on." in answer
    assert olga.last.labels == ["✉️ Write to me here"]
    answer = await olga.send("my number is ten")
    assert "That does not look like a phone number." in answer
    answer = await olga.send("06721 77777")
    assert "📞 Thank you. We will call you at 06721 77777." in answer
    assert "🏠 Main menu" in answer

    answer = await olga.send("Please, I am alone and do not know whom to ask.")
    assert "📨 Thank you. We have your message." in answer
    answer = await olga.press("✉️ Write to me here")
    assert "All right. We will write to you here." in answer

    voice, text = await cases_of(app)
    assert (voice.kind, voice.voice, voice.phone) == (
        CaseKind.CALLBACK,
        "AwACAgIAAxkBAAIBvoice",
        "06721 77777",
    )
    assert (text.kind, text.note, text.phone) == (
        CaseKind.CALLBACK,
        "Please, I am alone and do not know whom to ask.",
        None,
    )
    inbox = Inbox(app)
    await inbox.run()
    assert [s.text for s in inbox.of(anna)] == ["🗂 Someone asks to be called back."] * 2
    await anna.press_payload(f"act:case:{voice.id}")
    forwarded, card = anna.history[-2:]
    assert forwarded.voice == "AwACAgIAAxkBAAIBvoice" and forwarded.text == "🎤 Voice message"
    assert "📞 Call back: 06721 77777" in card.text
    assert "🎤 A voice message (above)." in card.text


async def test_without_a_coordinator_the_answer_sends_people_to_the_offices(
    app: App, chat: Callable[..., Chat]
) -> None:
    olga = await onboard(chat("olga", "en"), "seeker", "en")
    answer = await olga.send("Hello?")
    assert "Nobody of the agency reads this chat yet. Please call or visit us:" in answer
    assert "Treff im Stift" in answer and "📞 06721 184-000" in answer
    assert "Seniorenbüro der Stadt Bingen" in answer
    assert "call you back" not in answer


async def test_a_typed_request_is_prefilled_with_the_kind_of_help_and_the_day(
    app: App, chat: Callable[..., Chat]
) -> None:
    helga = await onboard(chat("helga"), "seeker")
    answer = await helga.send("Morgen bräuchte ich jemand zum Einkaufen")
    assert "Dienstag, 24. November" in answer  # tomorrow, asked only for the time of day
    assert "vormittags" in helga.last.labels
    await helga.press("vormittags")
    await helga.press("Büdesheim")
    await helga.press("Überspringen")
    await helga.send("Helga")
    answer = await helga.send("06721 4444")
    # The message itself is the description: straight to the summary.
    assert "Einkaufen" in answer and "Morgen bräuchte ich jemand zum Einkaufen" in answer
    await helga.press("📨 Anfrage senden")
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert (request.category, request.day, request.part_of_day) == (
        "shopping",
        date(2026, 11, 24),
        "morning",
    )
    assert request.description == "Morgen bräuchte ich jemand zum Einkaufen"
    assert await cases_of(app) == []


# --- vetting ------------------------------------------------------------------------------------


async def tutor(person: Chat, name: str) -> Chat:
    """A volunteer offering homework help, which needs vetting."""
    kind = "📚 Hausaufgaben und Nachhilfe"
    return await volunteer_profile(person, name, slot="Di. nachmittags", kind=kind)


async def ask_for_tutoring(person: Chat) -> None:
    await onboard(person, "seeker")
    await person.press("🆘 Hilfe anfragen")
    await person.press("📚 Hausaufgaben und Nachhilfe")
    await person.press("Morgen")
    await person.press("nachmittags")
    await person.press("Büdesheim")
    await person.press("Überspringen")
    await person.send("Lina")
    await person.press("✉️ Nur über den Bot")
    await person.send("Mathe für die 5. Klasse")
    await person.press("📨 Anfrage senden")


async def test_help_that_needs_a_police_certificate_reaches_only_vetted_volunteers(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    jonas = await tutor(chat("jonas"), "Jonas")
    assert "Führungs" in jonas.last.text  # told what is missing and where to go
    assert "Treff im Stift" in jonas.last.text
    await ask_for_tutoring(chat("mira"))
    inbox = Inbox(app)
    await inbox.run()
    assert not [s for s in inbox.of(jonas) if "🔔" in s.text]  # not vetted: no offer
    [unmatched] = [c for c in await cases_of(app) if c.kind == CaseKind.UNMATCHED]
    await anna.press_payload(f"act:case:{unmatched.id}")
    answer = await anna.press("👥 Assign a volunteer")
    assert "Nobody fits this request right now" in answer  # not by hand either

    [vetting_case] = [c for c in await cases_of(app) if c.kind == CaseKind.VETTING]
    [alert] = [s for s in inbox.of(anna) if "vetted" in s.text]
    card = await press_on(anna, alert, "📂 Open")
    assert "Jonas" in card and "🪪 Identity checked: not yet" in card
    answer = await anna.press("🪪 Identity checked today")
    assert "🪪 Identity checked: Mon 23 Nov" in answer
    await anna.press("📄 Police certificate seen")
    answer = await anna.send("03.11.2019")
    assert "This certificate is too old." in answer
    answer = await anna.send("10.12.2021")
    assert "✅ Vetted until Thursday, 10 December. The volunteer is told." in answer
    async with app.sessions() as session:
        profile = (await session.exec(select(VolunteerProfile))).one()
        case = await session.get(Case, vetting_case.id)
    assert profile.verified and profile.certificate_issued_on == date(2021, 12, 10)
    assert case is not None and case.status == CaseStatus.CLOSED

    await anna.press_payload(f"act:case:{unmatched.id}")
    await anna.press("🔍 Widen the search")
    await inbox.run()  # now Jonas gets the request; and his certificate runs out within a month
    assert [s for s in inbox.of(jonas) if "🔔" in s.text]
    reminders = [s.text for s in inbox.of(jonas) if s.text.startswith("📄")]
    assert len(reminders) == 1
    assert [s.text for s in inbox.of(anna) if s.text.startswith("📄")] == [
        "📄 The police certificate of Jonas counts until Thursday, 10 December."
    ]
    await inbox.run()
    assert len([s for s in inbox.of(jonas) if s.text.startswith("📄")]) == 1  # reminded once

    clock.now = clock.now.replace(month=12, day=11)
    await inbox.run()
    async with app.sessions() as session:
        profile = (await session.exec(select(VolunteerProfile))).one()
    assert not profile.verified  # ran out: not vetted any more, and back in the queue
    assert [c.status for c in await cases_of(app) if c.kind == CaseKind.VETTING] == [
        CaseStatus.CLOSED,
        CaseStatus.OPEN,
    ]
    assert [a for a in await audit_actions(app) if a[2] == "vet"][:2] == [
        ((await user_of(app, anna)).id, "chat", "vet"),
        ((await user_of(app, anna)).id, "chat", "vet"),
    ]


# --- reports, blocking, unblocking --------------------------------------------------------------


async def test_a_report_leads_to_a_block_and_an_unblock(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    clock.now = clock.now.replace(day=24, hour=12)  # Tuesday noon: the help took place
    await inbox.run()
    feedback = inbox.of(sabine)[-1]
    await press_on(sabine, feedback, "👎 Es gab ein Problem")
    await inbox.run()

    [alert] = [s for s in inbox.of(anna) if "problem" in s.text]
    assert "Urgent." in alert.text
    card = await press_on(anna, alert, "📂 Open")
    assert "Reported: Erika" in card
    assert "Reported by the asker, for Helga" in card
    assert {"⚠️ Warn Erika", "⏸ Pause Erika", "🚫 Block Erika"} <= set(anna.last.labels)
    answer = await anna.press("⚠️ Warn Erika")
    assert "⚠️ Erika is warned." in answer
    answer = await anna.press("🚫 Block Erika")
    assert "🚫 Erika is blocked." in answer
    assert "Reported: Erika (🚫 blocked)" in answer
    answer = await erika.send("Hallo")
    assert "gesperrt" in answer

    answer = await anna.press("✅ Unblock Erika")
    assert "✅ Erika is unblocked." in answer
    await inbox.run()
    assert "Hallo" not in (await erika.send("Hallo"))  # the menu again, not the block notice
    assert "gesperrt" not in erika.last.text
    anna_id = (await user_of(app, anna)).id
    actions = await audit_actions(app)
    for action in ("warn", "block", "unblock"):
        assert (anna_id, "chat", action) in actions


# --- organisations and positions ----------------------------------------------------------------


async def test_organisations_and_positions_that_need_a_certificate_are_approved_in_the_chat(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    ann = await onboard(chat("ann", "en"), "organisation", "en")
    await ann.press("🏛️ Our organisation")
    await ann.send("Leseclub Büdesheim")
    await ann.press("Club or association")
    await ann.send("Ann Schmidt")
    await ann.press("📨 Register")
    inbox = Inbox(app)
    await inbox.run()
    [alert] = [s for s in inbox.of(anna) if "organisation" in s.text]
    card = await press_on(anna, alert, "📂 Open")
    assert "Leseclub Büdesheim" in card and "Contact: Ann Schmidt" in card
    answer = await anna.press("✅ Approve")
    assert "✅ Approved. They are told." in answer
    await inbox.run()
    assert "approved" in inbox.of(ann)[-1].text

    await ann.send("/menu")
    await ann.press("🏛️ Our organisation")
    await ann.press("➕ New opportunity")
    await ann.send("Lesepatin für Grundschulkinder")
    await ann.press("📚 Homework and tutoring")
    await ann.send("Vorlesen in der Grundschule am Nachmittag.")
    await ann.press("Büdesheim")
    await ann.press("➡️ Continue")
    await ann.press("🔁 Every week")
    await ann.press("2")
    await ann.press("➡️ Continue")
    await ann.press("➡️ Continue")
    answer = await ann.press("📢 Publish")
    assert "A coordinator checks it first." in answer
    async with app.sessions() as session:
        posted = (await session.exec(select(Opportunity))).one()
    assert posted.status == OpportunityStatus.PENDING

    await inbox.run()
    [alert] = [s for s in inbox.of(anna) if "opportunity" in s.text]
    card = await press_on(anna, alert, "📂 Open")
    assert "Lesepatin für Grundschulkinder" in card
    await anna.press("✅ Approve")
    await inbox.run()
    assert "✅ Your opportunity “Lesepatin für Grundschulkinder” is approved" in (
        inbox.of(ann)[-1].text
    )
    async with app.sessions() as session:
        posted = (await session.exec(select(Opportunity))).one()
    assert posted.status == OpportunityStatus.OPEN
    actions = [action for _actor, _via, action in await audit_actions(app)]
    assert "organisation approved" in actions and "position approved" in actions


# --- invitations --------------------------------------------------------------------------------


async def test_an_invitation_link_makes_a_sponsor_once_and_expires(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    await anna.press(queue_button(anna))
    answer = await anna.press("➕ Invite a coordinator or sponsor")
    assert "works once, for 72 hours" in answer
    await anna.press("🤝 A sponsor of districts")
    answer = await anna.press("➡️ Continue")
    assert "Please tick at least one district." in answer
    await anna.press("Kempten")
    answer = await anna.press("➡️ Continue")
    assert "Please send this link to the person you invite." in answer
    [link] = [line for line in answer.splitlines() if line.startswith("/start inv_")]

    karin = chat("karin", "en")
    await karin.send(link)
    await karin.press("English")
    answer = await karin.press("✅ I agree")
    assert "You are invited to help the agency as sponsor for Kempten (Bingen am Rhein)." in answer
    answer = await karin.press("✅ Yes, I accept")
    assert "✅ Welcome! You are now sponsor for Kempten (Bingen am Rhein)." in answer
    assert "🗂 Agency queue (0)" in karin.last.labels
    async with app.sessions() as session:
        scope = await staff.scope_of(session, app.deployment, await user_of(app, karin))
    assert scope.districts == frozenset({("bingen", "kempten")}) and not scope.municipalities

    olga = await onboard(chat("olga", "en"), "seeker", "en")
    answer = await olga.send("/start buedesheim")  # a poster's link is no invitation
    assert "Welcome back!" in answer and "🏠 Main menu" in answer
    answer = await olga.send(link)
    assert "This invitation was used already." in answer
    await anna.send("/menu")
    await anna.press(queue_button(anna))
    await anna.press("➕ Invite a coordinator or sponsor")
    answer = await anna.press("🗂 A coordinator")
    [late] = [line for line in answer.splitlines() if line.startswith("/start inv_")]
    clock.advance(timedelta(hours=73))
    answer = await olga.send(late)
    assert "This invitation has expired." in answer
    await olga.press("🏠 Main menu")
    async with app.sessions() as session:
        assert not await staff.scope_of(session, app.deployment, await user_of(app, olga))
    actions = [action for _actor, _via, action in await audit_actions(app)]
    assert actions.count("invite sponsor") == 1 and actions.count("invite coordinator") == 1
    assert "grant sponsor" in actions


# --- what the agency keeps about a person -------------------------------------------------------


async def test_what_someone_told_the_agency_is_in_their_data_and_erased_with_it(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    olga = await onboard(chat("olga", "en"), "seeker", "en")
    await olga.send("Please call me, my neighbour Gisela Wagner gave me your number.")
    await olga.send("06721 77777")
    [case] = await cases_of(app)
    await anna.press_payload(f"act:case:{case.id}")
    await anna.press("✉️ Write to them")
    await anna.send("We will call you this afternoon.")

    await olga.send("/mydata")
    assert olga.last_turn is not None and olga.last_turn.replies[0].file is not None
    data = json.loads(olga.last_turn.replies[0].file.content)
    [kept] = data["agency_cases_about_me"]
    assert kept["note"] == "Please call me, my neighbour Gisela Wagner gave me your number."
    assert kept["phone"] == "06721 77777"
    [note] = data["messages_from_the_agency"]
    assert note["text"] == "We will call you this afternoon."

    await olga.send("/delete")
    await olga.press(olga.last.labels[0])  # yes, delete everything
    assert await cases_of(app) == []
    await anna.send("/menu")
    assert queue_button(anna) == "🗂 Agency queue (0)"


async def test_long_closed_cases_keep_no_words_and_no_phone(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    anna = await coordinator(app, chat("anna", "en"))
    olga = await onboard(chat("olga", "en"), "seeker", "en")
    await olga.send_voice("AwACAgIAAxkBAAIBvoice")
    await olga.send("06721 77777")
    [case] = await cases_of(app)
    await anna.press_payload(f"act:case:{case.id}")
    await anna.press("✔ Close")
    await anna.press("Settled by us")
    inbox = Inbox(app)
    clock.advance(timedelta(days=app.deployment.agency.retention_days + 1))
    await inbox.run()
    [case] = await cases_of(app)
    assert (case.status, case.note, case.voice, case.phone) == (CaseStatus.CLOSED, None, None, None)
    assert case.reason == "solved"  # what the statistics need stays
