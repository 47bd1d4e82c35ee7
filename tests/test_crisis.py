"""Calls for helpers: who is called, and what answers do (first come first, groups, a waiting
list that moves up), also when many answer at the same moment."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.app import App
from exchange import crisis
from exchange.crisis import Outcome
from storage.models import (
    CrisisAnswer,
    CrisisAnswerState,
    CrisisCall,
    Rhythm,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def volunteer(
    app: App,
    name: str,
    *,
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
            key=f"test:{name}",
            language="de",
            role="volunteer",
            municipality=municipality,
            consent_version="1",
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
