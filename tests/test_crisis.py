"""Calls for helpers: who is called, and what answers do (first come first, groups, a waiting
list that moves up), also when many answer at the same moment."""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tomli_w
from sqlmodel import select

from bot.app import App, running_app
from bot.config import Settings
from exchange import crisis, staff
from exchange.crisis import Outcome
from storage.models import (
    CrisisAnswer,
    CrisisAnswerState,
    CrisisCall,
    DeliveryKind,
    Rhythm,
    StaffKind,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
)
from storage.outbox import claim_due, enqueue_many, planned
from tests.chat import Chat, Inbox, Shown, press_on
from tests.conftest import FrozenClock
from tests.test_agency import coordinator, queue_button
from town.deployment import DEFAULT_DEPLOYMENT

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def volunteer(
    app: App,
    name: str,
    *,
    key: str | None = None,
    language: str = "de",
    municipality: str = "bingen",
    district: str = "buedesheim",
    kinds: tuple[str, ...] = ("garden",),
    languages: tuple[str, ...] = ("de",),
    age_group: str = "adult",
    verified: bool = False,
    paused: bool = False,
    crisis_calls: bool = True,
    unreachable: bool = False,
    blocked: bool = False,
) -> int:
    """A volunteer written straight into the database; their user id."""
    async with app.sessions() as session, session.begin():
        user = User(
            key=key or f"test:{name}",
            language=language,
            role="volunteer",
            municipality=municipality,
            consent_version=app.deployment.agency.privacy_version,
            consent_at=NOW,
            created_at=NOW,
            unreachable_at=NOW if unreachable else None,
            blocked_at=NOW if blocked else None,
        )
        session.add(user)
        await session.flush()
        assert user.id is not None
        profile = VolunteerProfile(
            user_id=user.id,
            commitment="both",
            rhythm=Rhythm.WEEKLY,
            age_group=age_group,
            verified=verified,
            paused=paused,
            crisis_calls=crisis_calls,
            first_name=name,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(profile)
        await session.flush()
        assert profile.id is not None
        session.add(
            VolunteerDistrict(profile_id=profile.id, municipality=municipality, district=district)
        )
        for kind in kinds:
            session.add(VolunteerCategory(profile_id=profile.id, category=kind))
        for language in languages:
            session.add(VolunteerLanguage(profile_id=profile.id, language=language))
        return user.id


async def new_call(app: App, **fields: object) -> int:
    values: dict[str, object] = {
        "municipality": "bingen",
        "what": "Sandsäcke füllen am Rheinufer",
        "meeting_point": "Parkplatz am Hindenburgplatz",
        "latitude": 49.9669,
        "longitude": 7.8992,
        "starts_at": NOW + timedelta(hours=2),
        "needed": 3,
        "group_size": 2,
        "bring": "Arbeitshandschuhe, Gummistiefel",
        "created_at": NOW,
        **fields,
    }
    async with app.sessions() as session, session.begin():
        call = CrisisCall(**values)  # type: ignore[arg-type]
        session.add(call)
        await session.flush()
        assert call.id is not None
        return call.id


async def answer(
    app: App, call_id: int, user_id: int, yes: bool, at: datetime = NOW
) -> crisis.Answered:
    async with app.sessions() as session, session.begin():
        return await crisis.answer(session, call_id, user_id, yes=yes, now=at)


async def stored_call(app: App, call_id: int) -> CrisisCall:
    async with app.sessions() as session:
        call = await session.get(CrisisCall, call_id)
        assert call is not None
        return call


async def states(app: App, call_id: int) -> dict[int, tuple[str, int | None]]:
    async with app.sessions() as session:
        rows = await session.exec(select(CrisisAnswer).where(CrisisAnswer.call_id == call_id))
        return {a.user_id: (a.state.value, a.group_number) for a in rows.all()}


async def test_a_call_reaches_the_volunteers_who_fit_it(app: App) -> None:
    fits = [await volunteer(app, "anna"), await volunteer(app, "berat", district="kempten")]
    await volunteer(app, "opted-out", crisis_calls=False)
    await volunteer(app, "off-duty", paused=True)
    await volunteer(app, "minor", age_group="minor")
    await volunteer(app, "gone", unreachable=True)
    await volunteer(app, "blocked", blocked=True)
    await volunteer(app, "elsewhere", municipality="ingelheim", district="frei-weinheim")
    vetted = await volunteer(app, "vetted", verified=True, kinds=("shopping",), languages=("ar",))
    call_id = await new_call(app)
    async with app.sessions() as session:
        call = await session.get(CrisisCall, call_id)
        assert call is not None
        assert list((await session.exec(crisis.fitting(call))).all()) == [*fits, vetted]
        assert await crisis.count_fitting(session, call) == 3
        narrower = [
            {"districts": ["kempten"]},
            {"vetted_only": True},
            {"categories": ["shopping"]},
            {"languages": ["ar", "uk"]},
        ]
        found = []
        for narrowed in narrower:
            other = CrisisCall(**{**call.model_dump(), **narrowed})
            found.append(list((await session.exec(crisis.fitting(other))).all()))
    assert found == [[fits[1]], [vetted], [vetted], [vetted]]


async def test_the_first_who_say_yes_get_places_in_groups_and_the_rest_wait(app: App) -> None:
    people = [await volunteer(app, f"v{n}") for n in range(6)]
    call_id = await new_call(app, needed=3, group_size=2)
    outcomes = [
        (await answer(app, call_id, person, True, NOW + timedelta(seconds=n))).outcome
        for n, person in enumerate(people[:5])
    ]
    assert outcomes == [Outcome.CONFIRMED] * 3 + [Outcome.WAITING] * 2
    assert (await answer(app, call_id, people[5], False)).outcome == Outcome.DECLINED
    assert await states(app, call_id) == {
        people[0]: ("confirmed", 1),
        people[1]: ("confirmed", 1),
        people[2]: ("confirmed", 2),
        people[3]: ("waiting", None),
        people[4]: ("waiting", None),
        people[5]: ("declined", None),
    }
    # A second tap changes nothing.
    again = await answer(app, call_id, people[0], True)
    assert (again.outcome, again.answer and again.answer.group_number) == (Outcome.CONFIRMED, 1)
    call = await stored_call(app, call_id)
    assert (call.confirmed, call.waiting, call.declined) == (3, 2, 1)

    # Someone in group 1 cannot come after all: the first who waits takes the place, in group 1.
    cancelled = await answer(app, call_id, people[1], False)
    assert cancelled.outcome == Outcome.CANCELLED
    assert [a.user_id for a in cancelled.moved_up] == [people[3]]
    assert (await states(app, call_id))[people[3]] == ("confirmed", 1)

    # The coordinator needs two more: the last who waits moves up; one place stays free.
    async with app.sessions() as session, session.begin():
        _call, moved = await crisis.need(session, call_id, 5, NOW)
    assert [a.user_id for a in moved] == [people[4]]
    assert (await states(app, call_id))[people[4]] == ("confirmed", 2)
    # Who said no may still come: the free place is theirs.
    assert (await answer(app, call_id, people[5], True)).outcome == Outcome.CONFIRMED
    call = await stored_call(app, call_id)
    assert (call.confirmed, call.waiting, call.declined) == (5, 0, 0)
    assert Counter(group for _s, group in (await states(app, call_id)).values() if group) == {
        1: 2,
        2: 2,
        3: 1,
    }

    async with app.sessions() as session, session.begin():
        await crisis.close(session, call_id, NOW)
    late = await answer(app, call_id, people[1], True)
    assert late.outcome == Outcome.CLOSED
    assert (await states(app, call_id))[people[1]] == ("cancelled", None)


async def test_many_answering_at_once_fill_exactly_the_places_needed(app: App) -> None:
    people = [await volunteer(app, f"v{n}") for n in range(40)]
    call_id = await new_call(app, needed=15, group_size=4)

    async def say_yes(person: int, n: int) -> Outcome:
        # Each answer in a transaction of its own, as each tap is.
        return (await answer(app, call_id, person, True, NOW + timedelta(milliseconds=n))).outcome

    outcomes = await asyncio.gather(*(say_yes(p, n) for n, p in enumerate(people)))
    assert Counter(outcomes) == {Outcome.CONFIRMED: 15, Outcome.WAITING: 25}
    found = await states(app, call_id)
    assert len(found) == 40
    groups = Counter(group for state, group in found.values() if state == "confirmed")
    assert sorted(groups.values()) == [3, 4, 4, 4]
    call = await stored_call(app, call_id)
    assert (call.confirmed, call.waiting) == (15, 25)
    async with app.sessions() as session:
        waiting = await crisis.answers(session, call_id, CrisisAnswerState.WAITING)
        order = [a.answered_at for a in waiting]
    assert order == sorted(order)


# --- the whole call, as people see it -----------------------------------------------------------


def card_with(person: Chat, label: str) -> Shown:
    """The last message in the person's chat with this button."""
    return next(shown for shown in reversed(person.history) if label in shown.labels)


async def write_a_call_in_english(kim: Chat) -> str:
    await kim.press(queue_button(kim))
    answer = await kim.press("🚨 Call for helpers")
    assert "No call for helpers is open." in answer
    answer = await kim.press("➕ New call for helpers")
    assert "What is to be done?" in answer
    await kim.send("Fill sandbags at the Rhine bank")
    answer = await kim.send("Car park at the town hall")
    assert "Share the exact place on the map" in answer
    await kim.share_location(49.9669, 7.8992)
    answer = await kim.press("In two hours")
    assert "How many people do you need?" in answer
    answer = await kim.send("many")
    assert "Please type a number from 1 to 10,000." in answer
    await kim.send("2")
    await kim.send("Gloves and boots")
    answer = await kim.press("➡️ Continue")  # no district chosen: the whole town
    assert "✓ Only adults (18 or older)" in kim.last.labels
    assert "✓ 🚨 Urgent: also at night" in kim.last.labels
    await kim.press("➡️ Continue")
    return await kim.send("Call older neighbours from the list")


async def test_a_call_for_helpers_from_writing_to_closing_in_english(
    app: App, chat: Callable[..., Chat]
) -> None:
    kim = await coordinator(app, chat("kim", "en"))
    people = {name: chat(name, "en") for name in ("anna", "berat", "chris", "dora")}
    for name in people:
        await volunteer(app, name, language="en")
    await volunteer(app, "quiet", language="en", crisis_calls=False)
    summary = await write_a_call_in_english(kim)
    assert "🚨 “Fill sandbags at the Rhine bank”" in summary
    assert "📍 Meeting point: “Car park at the town hall”" in summary
    assert "👥 We need 2 people." in summary
    assert "🎒 Please bring: “Gloves and boots”" in summary
    assert "🗺 Where: all of Bingen am Rhein" in summary
    assert "💻 You can still help from home: “Call older neighbours from the list”" in summary
    assert "It reaches 4 volunteers now." in summary

    answer = await kim.press("🚨 Send the call")
    assert "🚨 The call is on its way to 4 volunteers." in answer
    assert "📨 Sent: 0 of 4" in answer
    assert "✅ Coming: 0 of 2" in answer

    inbox = Inbox(app)
    await inbox.run()
    for person in people.values():
        [call] = inbox.of(person)
        assert "🚨 Call for helpers from Ehrenamtsbörse Bingen" in call.text
        assert call.labels == ["✅ I'm coming", "❌ Not this time", "🔕 No more calls like this"]
        assert call.venue is None  # the place comes with the answer
    assert not inbox.of(chat("quiet", "en"))
    calls = {name: inbox.of(person)[0] for name, person in people.items()}

    answer = await press_on(people["anna"], calls["anna"], "✅ I'm coming")
    assert "✅ Thank you! You are coming. Your group: 1." in answer
    assert card_with(people["anna"], "❌ I cannot come after all").venue is not None
    answer = await press_on(people["anna"], calls["anna"], "✅ I'm coming")  # a second tap
    assert "Your group: 1." in answer
    answer = await press_on(people["berat"], calls["berat"], "❌ Not this time")
    assert "Thank you for your answer. Maybe next time!" in answer
    assert "💻 You can still help from home" in answer
    await press_on(people["chris"], calls["chris"], "✅ I'm coming")  # the call is full now

    await inbox.run()
    [full] = inbox.of(people["dora"])[1:]
    assert "🙏 Thank you! Enough people have come forward for this call:" in full.text
    assert "💻 You can still help from home: “Call older neighbours from the list”" in full.text
    answer = await press_on(people["dora"], calls["dora"], "✅ I'm coming")
    assert "You are number 1 on the waiting list." in answer

    cancel = card_with(people["anna"], "❌ I cannot come after all")
    answer = await press_on(people["anna"], cancel, "❌ I cannot come after all")
    assert "Your place goes to the next person." in answer
    await inbox.run()
    moved = inbox.of(people["dora"])[-1]
    assert "🎉 A place became free for you:" in moved.text
    assert "Your group: 1." in moved.text
    assert moved.venue is not None

    answer = await kim.press("🔄 Refresh")
    assert kim.last_turn is not None and kim.last_turn.replace  # edited in place
    assert "📨 Sent: 4 of 4" in answer
    assert "✅ Coming: 2 of 2" in answer
    assert "⏳ Waiting list: 0" in answer
    assert "❌ Not this time: 2" in answer
    assert "💬 No answer yet: 0" in answer
    assert "✅ Full: everyone needed is coming." in answer

    await kim.press("📣 Write to everyone coming")
    answer = await kim.send("Please use the north entrance.")
    assert "📣 Sent to 2 people." in answer
    await inbox.run()
    for name in ("chris", "dora"):
        post = inbox.of(people[name])[-1].text
        assert "📣 About the call “Fill sandbags at the Rhine bank”:" in post
        assert "“Please use the north entrance.”" in post
    assert "north entrance" not in inbox.of(people["anna"])[-1].text

    await kim.press("➕ Need more people")
    answer = await kim.send("3")
    assert "👥 People needed now: 3. Moved up from the waiting list: 0." in answer
    answer = await press_on(people["berat"], calls["berat"], "✅ I'm coming")  # changed his mind
    assert "Your group: 1." in answer  # groups of ten

    await kim.press("🛑 Close the call")
    answer = await kim.press("🛑 Yes, close it")
    assert "🛑 The call is closed. Thank you!" in answer
    answer = await press_on(people["anna"], calls["anna"], "✅ I'm coming")
    assert "This call is closed. Thank you all the same!" in answer


async def test_forged_answers_and_turning_calls_off(app: App, chat: Callable[..., Chat]) -> None:
    kim = await coordinator(app, chat("kim", "en"))
    anna = chat("anna", "en")
    await volunteer(app, "anna", language="en")
    await volunteer(app, "eve", language="en", district="kempten")
    await write_a_call_in_english(kim)
    await kim.press("🚨 Send the call")
    inbox = Inbox(app)
    await inbox.run()
    [call] = inbox.of(anna)
    call_id = int(call.buttons[0][0][1].rsplit(":", 1)[1])

    eve = chat("eve", "en")  # she got the call too, but tampers with the data
    for forged in (f"act:crisis:yes:{call_id + 1}", "act:crisis:maybe:1", "act:crisis:yes:x"):
        assert "This button is no longer valid." in await eve.press_payload(forged)
    stranger = chat("stranger", "en")
    assert "This button is no longer valid." in await stranger.press_payload(
        f"act:crisis:yes:{call_id}"
    )

    answer = await press_on(anna, call, "🔕 No more calls like this")
    assert "🔕 You get no more calls for helpers." in answer
    async with app.sessions() as session:
        profile = (
            await session.exec(select(VolunteerProfile).join(User).where(User.key == "test:anna"))
        ).one()
        assert profile.crisis_calls is False
    # The profile turns them on again.
    await volunteer_card(app, anna)
    assert "🔕 Calls for helpers: off" in anna.last.labels
    await anna.press("🔕 Calls for helpers: off")
    assert "🚨 Calls for helpers: on" in anna.last.labels


async def volunteer_card(app: App, person: Chat) -> None:
    await person.send("/menu")
    await person.press("👤 My volunteer profile")


async def test_erasing_someone_with_a_place_moves_up_who_waits(
    app: App, chat: Callable[..., Chat]
) -> None:
    anna, dora = chat("anna", "en"), chat("dora", "en")
    for name in ("anna", "dora"):
        await volunteer(app, name, language="en")
    call_id = await new_call(app, needed=1, starts_at=app.core.clock() + timedelta(hours=2))
    async with app.sessions() as session, session.begin():
        call = await session.get(CrisisCall, call_id)
        assert call is not None
        await crisis.send(session, app.deployment, call, app.core.clock())
    inbox = Inbox(app)
    await inbox.run()
    await press_on(anna, inbox.of(anna)[0], "✅ I'm coming")
    await press_on(dora, inbox.of(dora)[0], "✅ I'm coming")

    await dora.send("/mydata")
    assert dora.last_turn is not None and dora.last_turn.replies[0].file is not None
    exported = json.loads(dora.last_turn.replies[0].file.content)["calls_for_helpers"]
    assert [a["state"] for a in exported["answers"]] == ["waiting"]

    await anna.send("/delete")
    await anna.press(anna.last.labels[0])  # yes, delete everything
    await inbox.run()
    assert "🎉 A place became free for you:" in inbox.of(dora)[-1].text
    found = await states(app, call_id)
    assert list(found.values()) == [("confirmed", 1)]


async def test_ein_hilfeaufruf_auf_deutsch_und_in_leichter_sprache(
    app: App, chat: Callable[..., Chat]
) -> None:
    karin = await coordinator(app, chat("karin", "de"), "de")
    helga, ali = chat("helga", "de"), chat("ali", "de")
    await volunteer(app, "helga", language="de_simple")
    await volunteer(app, "ali", language="de")
    await karin.press(queue_button(karin))
    await karin.press("🚨 Hilfeaufruf")
    await karin.press("➕ Neuer Hilfeaufruf")
    await karin.send("Sandsäcke füllen am Rheinufer")
    await karin.send("Parkplatz am Rathaus")
    await karin.press("Überspringen")
    answer = await karin.send("14:30")
    assert "Wie viele Leute brauchen Sie?" in answer
    await karin.press("10")
    await karin.press("Nichts Besonderes")
    await karin.press("Büdesheim")
    await karin.press("➡️ Weiter")
    await karin.press("➡️ Weiter")
    summary = await karin.press("Überspringen")
    assert "🕐 Wann: Montag, 23. November, 14:30" in summary
    assert "👥 Wir brauchen 10 Leute." in summary
    assert "🗺 Wo: Büdesheim" in summary
    assert "Der Hilfeaufruf erreicht im Moment 2 Ehrenamtliche." in summary
    answer = await karin.press("🚨 Hilfeaufruf senden")
    assert "🚨 Der Hilfeaufruf geht jetzt an 2 Ehrenamtliche." in answer

    inbox = Inbox(app)
    await inbox.run()
    [plain] = inbox.of(helga)
    assert plain.text.splitlines()[:3] == [
        "🚨 Hilfe·aufruf von Ehrenamtsbörse Bingen",
        "",
        "🚨 „Sandsäcke füllen am Rheinufer“",
    ]
    assert "Können Sie kommen?\nBitte drücken Sie auf einen Knopf." in plain.text
    assert plain.labels[:2] == ["✅ Ich komme", "❌ Diesmal nicht"]
    answer = await press_on(helga, plain, "✅ Ich komme")
    assert "✅ Danke!\nSie haben einen Platz.\nIhre Gruppe: 1." in answer
    [standard] = inbox.of(ali)
    assert "🚨 Hilfeaufruf von Ehrenamtsbörse Bingen" in standard.text
    answer = await press_on(ali, standard, "❌ Diesmal nicht")
    assert "Danke für Ihre Antwort. Vielleicht beim nächsten Mal!" in answer

    answer = await karin.press("🔄 Aktualisieren")
    assert "✅ Kommen: 1 von 10" in answer
    assert "❌ Diesmal nicht: 1" in answer


async def test_a_call_goes_out_before_everything_else_that_is_due(app: App) -> None:
    first, second = await volunteer(app, "first"), await volunteer(app, "second")
    async with app.sessions() as session, session.begin():
        await enqueue_many(
            session,
            [
                # A digest due long ago for one, the call due just now for the other.
                planned(first, DeliveryKind.NEWSLETTER, 1, NOW - timedelta(hours=5), NOW),
                planned(second, DeliveryKind.CRISIS_CALL, 1, NOW, NOW),
            ],
        )
    claimed = await claim_due(
        app.sessions, worker="w", now=NOW, lease=timedelta(minutes=1), limit=1
    )
    assert [(due.user_id, due.kind) for due, _user in claimed] == [
        (second, DeliveryKind.CRISIS_CALL)
    ]


async def test_a_scout_leads_a_group_writes_to_it_and_reports_its_arrival(
    app: App, chat: Callable[..., Chat]
) -> None:
    kim = await coordinator(app, chat("kim", "en"))
    anna, berat = chat("anna", "en"), chat("berat", "en")
    await volunteer(app, "anna", language="en", verified=True)
    await volunteer(app, "berat", language="en")
    await write_a_call_in_english(kim)
    await kim.press("🚨 Send the call")
    inbox = Inbox(app)
    await inbox.run()
    for person in (anna, berat):
        await press_on(person, inbox.of(person)[0], "✅ I'm coming")

    answer = await kim.press("🧭 Groups and scouts")
    assert "Group 1: 2 people, scout: none yet" in answer
    await kim.press("🧭 Scout for group 1")
    assert kim.last.labels[:1] == ["anna"]  # only the vetted may lead
    answer = await kim.press("anna")
    assert "🧭 The scout of group 1 is told." in answer
    assert "Group 1: 2 people, scout: anna" in answer

    await inbox.run()
    scouting = inbox.of(anna)[-1]
    assert "🧭 You are the scout of group 1 for the call" in scouting.text
    group_id = int(scouting.buttons[1][0][1].rsplit(":", 1)[1])
    assert "This button is no longer valid." in await berat.press_payload(
        f"act:crisis:arrived:{group_id}"
    )
    answer = await press_on(anna, scouting, "📣 Write to my group")
    assert "What do you want to tell your group 1?" in answer
    answer = await anna.send("We meet at the north gate.")
    assert "📣 Sent to 1 person." in answer
    await inbox.run()
    told = inbox.of(berat)[-1].text
    assert "🧭 Your scout writes to group 1:" in told and "north gate" in told

    answer = await press_on(anna, scouting, "✅ My group has arrived")
    assert "We have told the coordinator that your group has arrived." in answer
    answer = await press_on(anna, scouting, "✅ My group has arrived")
    assert "We know already that your group has arrived." in answer
    await inbox.run()
    assert "🧭 Group 1 has arrived at the meeting point" in inbox.of(kim)[-1].text
    answer = await kim.press("↩️ Back")
    answer = await kim.press("🧭 Groups and scouts")
    assert "Group 1: 2 people, scout: anna, ✅ arrived" in answer


async def test_a_coordinator_of_two_towns_chooses_the_town_of_the_call(
    tmp_path: Path, database_url: str, clock: FrozenClock
) -> None:
    deployment = tomllib.loads(DEFAULT_DEPLOYMENT.read_text(encoding="utf-8"))
    deployment["municipalities"].append(
        {
            "id": "ingelheim",
            "name": "Ingelheim am Rhein",
            "districts": [
                {
                    "id": "frei-weinheim",
                    "name": "Frei-Weinheim",
                    "latitude": 49.98,
                    "longitude": 8.06,
                },
                {"id": "sporkenheim", "name": "Sporkenheim", "latitude": 49.97, "longitude": 8.02},
            ],
        }
    )
    path = tmp_path / "two-towns.toml"
    path.write_text(tomli_w.dumps(deployment), encoding="utf-8")
    settings = Settings(database_url=database_url, deployment_file=path, _env_file=None)  # type: ignore[call-arg]
    async with running_app(settings, clock=clock) as app:
        await volunteer(app, "kim", language="en")  # already onboarded, in Bingen
        kim = Chat(app, "kim", "en", key="test:kim")
        async with app.sessions() as session, session.begin():
            user = (await session.exec(select(User).where(User.key == kim.user_key))).one()
            for town in ("bingen", "ingelheim"):
                await staff.grant(
                    session,
                    app.deployment,
                    user,
                    StaffKind.COORDINATOR,
                    town,
                    (),
                    by=None,
                    via="cli",
                    now=app.core.clock(),
                )
        await kim.send("/menu")
        await volunteer(app, "ina", language="en", municipality="ingelheim", district="sporkenheim")
        await volunteer(app, "bert", language="en")  # in Bingen

        await kim.press(queue_button(kim))
        await kim.press("🚨 Call for helpers")
        answer = await kim.press("➕ New call for helpers")
        assert "For which town is the call?" in answer
        assert kim.last.labels[:2] == ["Bingen am Rhein", "Ingelheim am Rhein"]
        forged = await kim.press_payload("place:mainz")
        assert "This button is no longer valid." in forged  # a town not offered
        answer = await kim.press("Ingelheim am Rhein")
        assert "What is to be done?" in answer
        await kim.send("Clear the cellar of the youth centre")
        await kim.send("Youth centre")
        await kim.press("Skip")
        await kim.press("In two hours")
        await kim.send("1")
        answer = await kim.send("Buckets")
        assert {"Frei-Weinheim", "Sporkenheim"} <= set(kim.last.labels)
        assert "Büdesheim" not in kim.last.labels
        await kim.press("Sporkenheim")
        await kim.press("➡️ Continue")
        await kim.press("➡️ Continue")
        summary = await kim.press("Skip")
        assert "It reaches 1 volunteer now." in summary
        answer = await kim.press("🚨 Send the call")
        assert "🚨 The call is on its way to 1 volunteer." in answer
        inbox = Inbox(app)
        await inbox.run()
        assert len(inbox.of(Chat(app, "ina", "en", key="test:ina"))) == 1
        assert inbox.of(Chat(app, "bert", "en", key="test:bert")) == []
        async with app.sessions() as session:
            call = (await session.exec(select(CrisisCall))).one()
        assert (call.municipality, call.districts) == ("ingelheim", ["sporkenheim"])
