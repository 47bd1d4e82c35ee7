"""Offers, acceptance, reminders and follow-ups with frozen time, as the people involved see them;
and push workers side by side, none sending a message twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

import push.deliver
from bot.app import App
from engine.types import Reply
from push.deliver import Audience
from push.jobs import TickReport, tick
from storage.models import (
    Delivery,
    DeliveryKind,
    Feedback,
    HelpRequest,
    Interest,
    Match,
    MatchState,
    Opportunity,
    Organisation,
    OrganisationStatus,
    RequestStatus,
    User,
    VolunteerProfile,
)
from storage.outbox import Addressee, claim_due, enqueue_many, planned
from tests.chat import Chat, Inbox, onboard, press_on
from tests.conftest import FrozenClock


async def volunteer_profile(
    person: Chat,
    name: str,
    *,
    district: str = "Büdesheim",
    slot: str = "Di. vormittags",
    rhythm: str = "⚡ Sofort",
    languages: tuple[str, ...] = ("Deutsch",),
    kind: str = "🛒 Einkaufen",
) -> Chat:
    await onboard(person, "volunteer", menu=False)  # the profile starts at once
    await person.send(name)
    await person.press("18 oder älter")
    await person.press(kind)
    await person.press("➡️ Weiter")
    await person.press(district)
    await person.press("➡️ Weiter")
    await person.press(slot)
    await person.press("➡️ Weiter")  # the rest has defaults, stated in the summary
    if rhythm != "⚡ Sofort":
        await person.press("✏️ Anfragen")
        await person.press(rhythm)
    if languages != ("Deutsch",):  # German, the chat's language, is ticked; change it here
        await person.press("✏️ Sprachen")
        for language in languages:
            if language != "Deutsch":
                await person.press(language)
        if "Deutsch" not in languages:
            await person.press("✓ Deutsch")
        await person.press("➡️ Weiter")
    await person.press("✅ Speichern")
    return person


async def request_for_mother(
    sabine: Chat,
    day: str = "Morgen",
    district: str = "Büdesheim",
    *,
    name: str = "Helga",
    address: str = "Hauptstraße 5",
    phone: str = "06721 12345",
    description: str = "Wocheneinkauf, die Taschen sind zu schwer.",
) -> Chat:
    await onboard(sabine, "relative", menu=False)  # the request starts at once
    await sabine.send(name)
    await sabine.press("🛒 Einkaufen")
    await sabine.press(day)
    await sabine.press("vormittags")
    await sabine.press(district)
    await sabine.send(address)  # German, the chat's language, is not asked
    await sabine.send(phone)
    await sabine.send(description)
    await sabine.press("📨 Anfrage senden")
    return sabine


async def test_from_request_to_recorded_hours(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)

    report = await inbox.run()
    assert report.plan.offers == 1
    [offer] = inbox.of(erika)
    assert "🔔 Können Sie helfen?" in offer.text
    assert "🛒 Einkaufen in Büdesheim" in offer.text
    assert "Dienstag, 24. November, vormittags" in offer.text
    assert "Hauptstraße" not in offer.text and "06721" not in offer.text  # not before acceptance
    assert "⚙️ Wie oft ich Anfragen bekomme" in offer.labels

    answer = await press_on(erika, offer, "✅ Ich kann helfen")
    assert "🤝 Danke! Sie helfen Helga." in answer
    assert "📍 Adresse: Hauptstraße 5" in answer
    assert "📞 Telefon: 06721 12345" in answer
    assert "🏠 Hauptmenü" in answer  # and the menu again: no dead end

    await inbox.run()
    [found] = inbox.of(sabine)
    assert "🎉 Gute Nachricht: Erika hilft Helga." in found.text
    assert "🗣 Erika spricht Deutsch." in found.text

    clock.now = clock.now.replace(hour=17)  # Monday 18:00 in Bingen
    await inbox.run()
    assert "⏰ Morgen:" in inbox.of(erika)[-1].text
    assert "📍 Adresse: Hauptstraße 5" in inbox.of(erika)[-1].text
    assert "⏰ Morgen:" in inbox.of(sabine)[-1].text
    assert "Erika kommt, um zu helfen." in inbox.of(sabine)[-1].text

    clock.now += timedelta(hours=13)  # Tuesday 7:00: two hours before, but still quiet hours
    await inbox.run()
    assert len(inbox.of(erika)) == 2
    clock.now += timedelta(hours=1)  # 8:00
    await inbox.run()
    assert "⏰ In zwei Stunden:" in inbox.of(erika)[-1].text
    assert "⏰ In zwei Stunden:" in inbox.of(sabine)[-1].text

    clock.now += timedelta(hours=4)  # noon: the help has happened
    await inbox.run()
    question = inbox.of(erika)[-1]
    assert "Hat die Hilfe stattgefunden?" in question.text
    answer = await press_on(erika, question, "✅ 2 Stunden")
    assert "Danke! Wir haben es notiert." in answer
    feedback = inbox.of(sabine)[-1]
    assert "Hat mit der Hilfe von Erika alles gut geklappt?" in feedback.text
    await press_on(sabine, feedback, "👍 Ja, danke")
    await inbox.run()  # the relative hears that the help took place
    assert "✔ Erika meldet, dass die Hilfe stattgefunden hat" in inbox.of(sabine)[-1].text

    async with app.sessions() as session:
        [match] = (await session.exec(select(Match))).all()
        [request] = (await session.exec(select(HelpRequest))).all()
        profile = (await session.exec(select(VolunteerProfile))).one()
    assert (match.state, match.hours, match.seeker_feedback) == (
        MatchState.DONE,
        2.0,
        Feedback.GOOD,
    )
    assert request.status == RequestStatus.DONE
    assert (profile.offers_received, profile.offers_accepted, profile.helps_done) == (1, 1, 1)

    before = {key: len(shown) for key, shown in inbox.pushes.items()}
    await inbox.run()
    await inbox.run()
    assert {key: len(shown) for key, shown in inbox.pushes.items()} == before  # nothing twice


async def test_two_volunteers_accepting_at_the_same_moment_one_wins(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    karl = await volunteer_profile(chat("karl"), "Karl")
    await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    [for_erika], [for_karl] = inbox.of(erika), inbox.of(karl)

    answers = await asyncio.gather(
        press_on(erika, for_erika, "✅ Ich kann helfen"),
        press_on(karl, for_karl, "✅ Ich kann helfen"),
    )
    won = [a for a in answers if "🤝 Danke! Sie helfen Helga." in a]
    lost = [a for a in answers if "Diesmal war jemand anderes schneller" in a]
    assert (len(won), len(lost)) == (1, 1)
    async with app.sessions() as session:
        states = sorted(m.state for m in (await session.exec(select(Match))).all())
    assert states == [MatchState.ACCEPTED, MatchState.TAKEN]

    again = await press_on(erika, for_erika, "✅ Ich kann helfen")
    assert "Danke" in again  # a second click is answered, and changes nothing


async def test_a_forged_accept_for_someone_elses_offer_changes_nothing(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    await request_for_mother(chat("sabine"))
    mallory = await onboard(chat("mallory"), "volunteer")
    inbox = Inbox(app)
    await inbox.run()
    [offer] = inbox.of(erika)
    accept = next(
        payload for row in offer.buttons for label, payload in row if "Ich kann helfen" in label
    )
    answer = await mallory.press_payload(accept)
    assert "Diese Taste gilt nicht mehr" in answer
    async with app.sessions() as session:
        [match] = (await session.exec(select(Match))).all()
        request = (await session.exec(select(HelpRequest))).one()
    assert (match.state, request.status) == (MatchState.OFFERED, RequestStatus.OPEN)


async def test_daily_volunteers_get_one_digest_in_the_evening(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(
        chat("erika"), "Erika", slot="Fr. vormittags", rhythm="📅 Einmal am Tag"
    )
    await request_for_mother(chat("sabine"), day="Fr., 27. Nov.")
    await request_for_mother(chat("omar"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    report = await inbox.run()
    assert report.plan.offers == 2
    assert inbox.of(erika) == []  # not urgent: it waits for her evening digest

    clock.now = clock.now.replace(hour=17)  # 18:00 in Bingen
    await inbox.run()
    [digest] = inbox.of(erika)
    assert "🔔 2 Anfragen passen zu Ihnen:" in digest.text
    assert "Freitag, 27. November, vormittags" in digest.text
    assert "Freitag, 4. Dezember, vormittags" in digest.text
    assert digest.labels[:2] == ["✅ 1: Ich kann helfen", "✖ 1: diesmal nicht"]
    answer = await press_on(erika, digest, "✖ 2: diesmal nicht")
    assert "danke für Ihre Rückmeldung" in answer


async def test_rounds_widen_and_then_tell_the_asker_honestly(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    karl = await volunteer_profile(chat("karl"), "Karl", district="Kempten", slot="Fr. vormittags")
    sabine = await request_for_mother(chat("sabine"), day="Fr., 4. Dez.")
    inbox = Inbox(app)
    await inbox.run()
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    # Kempten is not Büdesheim: round 1 finds nobody, round 2 reaches 3 km and finds Karl.
    assert request.round == 2
    [offer] = inbox.of(karl)
    await press_on(karl, offer, "✖ Diesmal nicht")

    clock.advance(timedelta(hours=25))
    await inbox.run()
    clock.advance(timedelta(hours=25))
    await inbox.run()
    [news] = inbox.of(sabine)
    assert "Bisher konnte niemand Ihre Anfrage übernehmen" in news.text
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert request.exhausted


async def test_a_request_whose_day_passed_is_closed_and_its_asker_told(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    sabine = await request_for_mother(chat("sabine"), day="Morgen")
    inbox = Inbox(app)
    clock.advance(timedelta(days=2))
    report = await inbox.run()
    assert report.plan.expired == 1
    [closed] = inbox.of(sabine)
    assert "ist beendet: Der Termin ist vorbei" in closed.text


async def test_a_volunteer_who_cancels_sends_the_request_back_into_matching(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    karl = await volunteer_profile(chat("karl"), "Karl")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    async with app.sessions() as session:
        match = (await session.exec(select(Match).where(Match.state == MatchState.ACCEPTED))).one()
    answer = await erika.press_payload(f"act:match:cancel:{match.id}")
    assert "Wir suchen jemand anderen." in answer
    await inbox.run()
    assert "Erika kann leider doch nicht kommen" in inbox.of(sabine)[-1].text
    async with app.sessions() as session:
        request = (await session.exec(select(HelpRequest))).one()
    assert request.status == RequestStatus.OPEN
    # Karl missed out only because Erika was quicker: he is asked again.
    assert len(inbox.of(karl)) == 2
    answer = await press_on(karl, inbox.of(karl)[-1], "✅ Ich kann helfen")
    assert "🤝 Danke! Sie helfen Helga." in answer


async def test_withdrawing_a_matched_request_tells_the_volunteer(
    app: App, chat: Callable[..., Chat]
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika")
    sabine = await request_for_mother(chat("sabine"))
    inbox = Inbox(app)
    await inbox.run()
    await press_on(erika, inbox.of(erika)[0], "✅ Ich kann helfen")
    await sabine.press("📋 Meine Anfragen")
    await sabine.press(sabine.last.labels[0])
    await sabine.press("✖ Anfrage zurückziehen")
    await sabine.press("Ja, zurückziehen")
    await inbox.run()
    assert "Die Anfrage wurde zurückgezogen" in inbox.of(erika)[-1].text
    async with app.sessions() as session:
        reminders = (
            await session.exec(select(Delivery).where(Delivery.kind == "reminder_evening"))
        ).all()
    assert reminders  # planned, but they will find the match cancelled and say nothing
    before = len(inbox.of(erika))
    await inbox.run()
    assert len(inbox.of(erika)) == before


async def test_new_opportunities_reach_fitting_volunteers_in_the_weekly_digest(
    app: App, chat: Callable[..., Chat], clock: FrozenClock
) -> None:
    erika = await volunteer_profile(chat("erika"), "Erika", rhythm="🗓 Einmal pro Woche")
    owner = await onboard(chat("tafel"), "organisation")
    async with app.sessions() as session, session.begin():
        owner_user = (await session.exec(select(User).where(User.key == owner.user_key))).one()
        assert owner_user.id is not None
        club = Organisation(
            owner_id=owner_user.id,
            name="Bingener Tafel",
            kind="club",
            municipality="bingen",
            contact_name="Anna Schmidt",
            status=OrganisationStatus.APPROVED,
            created_at=clock.now,
        )
        session.add(club)
        await session.flush()
        assert club.id is not None
        for title, districts in (("Einkaufsbegleitung", ["buedesheim"]), ("Fahrer", ["gaulsheim"])):
            session.add(
                Opportunity(
                    organisation_id=club.id,
                    title=title,
                    category="shopping",
                    description="Jeden Dienstag Lebensmittel ausgeben.",
                    districts=districts,
                    schedule="weekly",
                    volunteers_needed=2,
                    created_at=clock.now,
                    updated_at=clock.now,
                )
            )
    inbox = Inbox(app)
    report = await inbox.run()
    assert report.plan.announcements == 1  # Gaulsheim is not among Erika's districts
    assert inbox.of(erika) == []  # it waits for her weekly digest: Monday 18:00

    clock.now = clock.now.replace(hour=17)
    await inbox.run()
    [digest] = inbox.of(erika)
    assert "Einkaufsbegleitung (Bingener Tafel)" in digest.text
    assert "Fahrer" not in digest.text
    answer = await press_on(erika, digest, digest.labels[0])
    assert "Bingener Tafel" in answer
    await inbox.run()
    [news] = inbox.of(owner)
    assert "Erika" in news.text and "Einkaufsbegleitung" in news.text

    mallory = await onboard(chat("mallory"), "volunteer")
    interested = digest.buttons[0][0][1]
    assert "Diese Taste gilt nicht mehr" in await mallory.press_payload(interested)
    async with app.sessions() as session:
        assert len((await session.exec(select(Interest))).all()) == 1


# --- push workers side by side ---------------------------------------------------------------

WORKERS = Audience(key_prefix="test:")


async def people_with_passed_requests(app: App, count: int, now: datetime) -> list[str]:
    """`count` people whose requests' day passed a week ago: the next run tells each of them."""
    keys = [f"test:asker{number}" for number in range(count)]
    async with app.sessions() as session, session.begin():
        connection = await session.connection()
        person = {"language": "de", "role": "seeker", "municipality": "bingen"}
        consent = {"consent_version": "2026-11", "consent_at": now, "created_at": now}
        await connection.execute(insert(User), [{"key": key, **person, **consent} for key in keys])
        ids = (await session.exec(select(User.id).where(col(User.key).in_(keys)))).all()
        request = {
            "category": "shopping",
            "municipality": "bingen",
            "district": "buedesheim",
            "day": (now - timedelta(days=7)).date(),
            "part_of_day": "morning",
            "languages": ["de"],
            "description": "Wocheneinkauf",
            "status": RequestStatus.OPEN,
            "for_other": False,
            "round": 0,
            "exhausted": False,
            "created_at": now - timedelta(days=10),
            "updated_at": now - timedelta(days=10),
        }
        await connection.execute(insert(HelpRequest), [{"asker_id": i, **request} for i in ids])
    return keys


async def test_a_push_outlasting_its_lease_sends_every_message_once_beside_a_second_worker(
    app: App, clock: FrozenClock
) -> None:
    keys = await people_with_passed_requests(app, 250, clock.now)
    lease = app.pushing.lease
    received: Counter[str] = Counter()
    second: list[asyncio.Task[TickReport]] = []

    class SlowTelegram:
        async def push(self, user: Addressee, reply: Reply) -> bool:
            received[user.key] += 1
            clock.advance(lease / 20)  # Telegram's limits stretch the run over a dozen leases
            if sum(received.values()) == 30:  # a second scheduler, or an operator's push --now
                second.append(asyncio.create_task(tick(app.pushing, self, WORKERS)))
            return True

    first = await tick(app.pushing, SlowTelegram(), WORKERS)
    [other] = await asyncio.gather(*second)

    assert first.plan.expired == 250
    assert set(received) == set(keys)
    assert [key for key, times in received.items() if times > 1] == []
    assert (first.sent + other.sent, first.sent > 0, other.sent > 0) == (250, True, True)
    async with app.sessions() as session:
        unsent = (await session.exec(select(Delivery).where(col(Delivery.sent_at).is_(None)))).all()
    assert unsent == []


@pytest.mark.parametrize(
    "went_out", [True, False], ids=["stalled-send-went-out", "stalled-send-failed"]
)
async def test_a_worker_whose_claims_another_took_sends_marks_and_gives_back_none_of_them(
    app: App,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    went_out: bool,
) -> None:
    monkeypatch.setattr(push.deliver, "PARALLEL_RECIPIENTS", 1)  # one person after the other
    await people_with_passed_requests(app, 5, clock.now)
    lease = app.pushing.lease
    received: list[str] = []
    taken: list[int] = []

    class StallingTelegram:
        async def push(self, user: Addressee, reply: Reply) -> bool:
            received.append(user.key)
            if len(received) == 1:
                # Telegram hangs for two leases; meanwhile another worker claims what is due.
                clock.advance(2 * lease)
                claimed = await claim_due(
                    app.sessions, worker="other", now=clock(), lease=lease, limit=100
                )
                taken.extend(due.id for due, _user in claimed)
                return went_out
            return True

    await tick(app.pushing, StallingTelegram(), WORKERS)

    assert len(taken) == 5  # the stalled person's message among them
    assert len(received) == 1  # the first worker sent nothing it no longer held
    async with app.sessions() as session:
        rows = (await session.exec(select(Delivery))).all()
    # Neither marked sent nor given back by the first worker: the other one answers for all five.
    assert {(row.claimed_by, row.sent_at) for row in rows} == {("other", None)}
    assert ("may arrive twice" in caplog.text) == went_out


async def test_a_push_run_told_to_stop_begins_no_message_and_gives_back_the_rest_at_once(
    app: App, clock: FrozenClock
) -> None:
    keys = await people_with_passed_requests(app, 120, clock.now)
    stop = asyncio.Event()
    received: list[str] = []

    class Telegram:
        async def push(self, user: Addressee, reply: Reply) -> bool:
            received.append(user.key)
            if len(received) == 10:
                stop.set()  # SIGTERM while the run sends
            return True

    stopped = await tick(app.pushing, Telegram(), WORKERS, stop=stop)

    assert stopped.sent == len(received) < 120
    async with app.sessions() as session:
        rows = (await session.exec(select(Delivery))).all()
    unsent = [row for row in rows if row.sent_at is None]
    assert len(unsent) == 120 - stopped.sent
    assert {row.claimed_by for row in unsent} == {None}  # free for the next run, not after a lease

    rest = await tick(app.pushing, Telegram(), WORKERS)  # the next start, at the same moment
    assert rest.sent == len(unsent)
    assert sorted(received) == sorted(keys)


async def test_a_worker_claims_past_the_rows_another_is_claiming_at_that_moment(
    app: App, clock: FrozenClock
) -> None:
    """On PostgreSQL, rows another worker's claim has locked are skipped, not waited for."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer at a time)")
    keys = await people_with_passed_requests(app, 4, clock.now)
    async with app.sessions() as session, session.begin():
        ids = (await session.exec(select(User.id).where(col(User.key).in_(keys)))).all()
        rows = [planned(i, DeliveryKind.EXPIRED, i, clock.now, clock.now) for i in ids]
        await enqueue_many(session, rows)
    async with app.sessions() as session, session.begin():
        first = (
            await session.exec(
                select(Delivery).order_by(col(Delivery.id)).limit(1).with_for_update()
            )
        ).one()  # another worker, mid-claim, holds the first row
        claimed = await asyncio.wait_for(
            claim_due(
                app.sessions, worker="second", now=clock(), lease=timedelta(minutes=5), limit=10
            ),
            timeout=10,
        )
    assert {user.key for _due, user in claimed} == set(keys) - {keys[ids.index(first.user_id)]}


async def test_messages_accepted_together_are_marked_sent_in_one_commit(
    app: App, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = await people_with_passed_requests(app, 60, clock.now)
    commits: list[int] = []
    mark = push.deliver.mark_sent

    async def counted(sessions: Any, ids: list[int], now: datetime, *, worker: str) -> set[int]:
        commits.append(len(ids))
        return await mark(sessions, ids, now, worker=worker)

    monkeypatch.setattr(push.deliver, "mark_sent", counted)
    received: Counter[str] = Counter()

    class Telegram:
        async def push(self, user: Addressee, reply: Reply) -> bool:
            received[user.key] += 1
            await asyncio.sleep(0.01)  # Telegram's answer takes a moment
            return True

    report = await tick(app.pushing, Telegram(), WORKERS)

    assert report.sent == 60 and set(received) == set(keys) and max(received.values()) == 1
    assert sum(commits) == 60 and len(commits) < 20  # many marks per commit, each row once
    async with app.sessions() as session:
        unsent = (await session.exec(select(Delivery).where(col(Delivery.sent_at).is_(None)))).all()
    assert unsent == []
