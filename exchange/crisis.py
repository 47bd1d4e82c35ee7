"""Calls for helpers in a crisis ("Hilfeaufruf"): who is called, and what an answer does.

A call names how many people are needed. The first who say yes get a place, in groups of
`group_size`; who says yes when the call is full waits, in the order of answering, and moves up
when someone with a place cancels or the coordinator needs more. Every answer takes the call's
row lock first (`FOR UPDATE` on PostgreSQL; SQLite writes one transaction at a time anyway), so
however many answer at once, exactly `needed` have a place and nobody has two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from exchange.timing import after_quiet_hours
from storage.models import (
    CrisisAnswer,
    CrisisAnswerState,
    CrisisCall,
    CrisisCallStatus,
    CrisisGroup,
    CrisisPost,
    Delivery,
    DeliveryKind,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
)
from storage.outbox import delivery_key, enqueue_many, planned
from storage.sealing import sealer
from town.deployment import Deployment

Q = TypeVar("Q", bound=Any)


class Outcome(StrEnum):
    CONFIRMED = "confirmed"  # a place, in a group
    WAITING = "waiting"  # the call is full: on the waiting list
    DECLINED = "declined"
    CANCELLED = "cancelled"  # gave up the place (or the place on the waiting list)
    CLOSED = "closed"  # the call is over: the answer changed nothing
    UNKNOWN = "unknown"  # no such call


@dataclass(frozen=True)
class Answered:
    outcome: Outcome
    call: CrisisCall | None = None
    answer: CrisisAnswer | None = None
    # Who moved up from the waiting list because of this answer (they are told).
    moved_up: tuple[CrisisAnswer, ...] = ()


def _fits(call: CrisisCall) -> list[ColumnElement[bool]]:
    """The conditions on a volunteer profile (and its user) for this call."""
    profile, user = VolunteerProfile, User
    conditions: list[ColumnElement[bool]] = [
        col(profile.crisis_calls).is_(True),
        col(profile.paused).is_(False),
        col(user.unreachable_at).is_(None),
        col(user.blocked_at).is_(None),
    ]
    if call.adults_only:
        conditions.append(col(profile.age_group) == "adult")
    if call.vetted_only:
        conditions.append(col(profile.verified).is_(True))
    place = [
        col(VolunteerDistrict.profile_id) == profile.id,
        col(VolunteerDistrict.municipality) == call.municipality,
    ]
    if call.districts:
        place.append(col(VolunteerDistrict.district).in_(call.districts))
    conditions.append(exists().where(*place))
    if call.categories:
        conditions.append(
            exists().where(
                col(VolunteerCategory.profile_id) == profile.id,
                col(VolunteerCategory.category).in_(call.categories),
            )
        )
    if call.languages:
        conditions.append(
            exists().where(
                col(VolunteerLanguage.profile_id) == profile.id,
                col(VolunteerLanguage.language).in_(call.languages),
            )
        )
    return conditions


def _fitting_only(call: CrisisCall, query: Q) -> Q:
    """`query` (over users) narrowed to the volunteers the call goes to."""
    joined = query.join(VolunteerProfile, col(VolunteerProfile.user_id) == User.id)
    return joined.where(*_fits(call))  # type: ignore[no-any-return]


def fitting(call: CrisisCall) -> SelectOfScalar[int | None]:
    """The ids of the users the call goes to, in one statement."""
    return _fitting_only(call, select(col(User.id))).order_by(col(User.id))


async def count_fitting(session: AsyncSession, call: CrisisCall) -> int:
    query = _fitting_only(call, select(func.count()).select_from(User))
    return int((await session.exec(query)).one())


async def _locked(session: AsyncSession, call_id: int) -> CrisisCall | None:
    """The call, its row locked until the transaction ends, read afresh."""
    query = (
        select(CrisisCall)
        .where(CrisisCall.id == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def _answer_of(session: AsyncSession, call_id: int, user_id: int) -> CrisisAnswer | None:
    query = select(CrisisAnswer).where(
        CrisisAnswer.call_id == call_id, CrisisAnswer.user_id == user_id
    )
    return (await session.exec(query)).first()


async def _group_sizes(session: AsyncSession, call: CrisisCall) -> dict[int, int]:
    """How many have a place in each group, by group number."""
    query = (
        select(col(CrisisAnswer.group_number), func.count())
        .where(
            CrisisAnswer.call_id == call.id,
            CrisisAnswer.state == CrisisAnswerState.CONFIRMED,
        )
        .group_by(col(CrisisAnswer.group_number))
    )
    return {
        group: int(size) for group, size in (await session.exec(query)).all() if group is not None
    }


async def _free_group(session: AsyncSession, call: CrisisCall) -> int:
    """The first group with room: groups fill one after the other, and a place given up is
    taken again in its own group."""
    sizes = await _group_sizes(session, call)
    group = 1
    while sizes.get(group, 0) >= call.group_size:
        group += 1
    return group


def _count(call: CrisisCall, state: CrisisAnswerState, change: int) -> None:
    """Keep the call's counts in step with a change of an answer (cancelled is not counted)."""
    if state == CrisisAnswerState.CONFIRMED:
        call.confirmed += change
    elif state == CrisisAnswerState.WAITING:
        call.waiting += change
    elif state == CrisisAnswerState.DECLINED:
        call.declined += change


def _move(
    session: AsyncSession,
    call: CrisisCall,
    answer: CrisisAnswer,
    state: CrisisAnswerState,
    now: datetime,
    group: int | None = None,
) -> None:
    _count(call, answer.state, -1)
    _count(call, state, +1)
    answer.state, answer.group_number, answer.updated_at = state, group, now
    session.add(answer)


async def _move_up(session: AsyncSession, call: CrisisCall, now: datetime) -> list[CrisisAnswer]:
    """Fill free places from the waiting list, first come first."""
    moved: list[CrisisAnswer] = []
    while call.confirmed < call.needed and call.waiting > 0:
        await session.flush()
        query = (
            select(CrisisAnswer)
            .where(
                CrisisAnswer.call_id == call.id,
                CrisisAnswer.state == CrisisAnswerState.WAITING,
            )
            .order_by(col(CrisisAnswer.answered_at), col(CrisisAnswer.id))
            .limit(1)
        )
        first = (await session.exec(query)).first()
        if first is None:
            break
        group = await _free_group(session, call)
        _move(session, call, first, CrisisAnswerState.CONFIRMED, now, group)
        moved.append(first)
    session.add(call)
    await session.flush()
    return moved


async def answer(
    session: AsyncSession, call_id: int, user_id: int, *, yes: bool, now: datetime
) -> Answered:
    """A volunteer's "✅ I'm coming" or "❌ Not this time", or a change of mind."""
    call = await _locked(session, call_id)
    if call is None:
        return Answered(Outcome.UNKNOWN)
    existing = await _answer_of(session, call_id, user_id)
    if call.status == CrisisCallStatus.CLOSED:
        return Answered(Outcome.CLOSED, call, existing)
    said_yes = existing is not None and existing.state in (
        CrisisAnswerState.CONFIRMED,
        CrisisAnswerState.WAITING,
    )
    if existing is not None and said_yes == yes:  # a second tap: nothing changes
        return Answered(Outcome(existing.state), call, existing)
    if existing is not None and not yes:
        return await _give_up(session, call, existing, now)
    if yes and call.confirmed < call.needed:
        state, group = CrisisAnswerState.CONFIRMED, await _free_group(session, call)
    else:
        state, group = (CrisisAnswerState.WAITING if yes else CrisisAnswerState.DECLINED), None
    if existing is None:
        existing = CrisisAnswer(
            call_id=call_id, user_id=user_id, state=state, answered_at=now, updated_at=now
        )
        _count(call, state, +1)
    else:  # yes after a no: waits from now on
        _count(call, existing.state, -1)
        _count(call, state, +1)
        existing.state, existing.answered_at, existing.updated_at = state, now, now
    existing.group_number = group
    session.add(existing)
    session.add(call)
    await session.flush()
    return Answered(Outcome(state), call, existing)


async def _give_up(
    session: AsyncSession, call: CrisisCall, answer: CrisisAnswer, now: datetime
) -> Answered:
    """A yes taken back: the place (or the place on the waiting list) goes to the next."""
    had_place = answer.state == CrisisAnswerState.CONFIRMED
    _move(session, call, answer, CrisisAnswerState.CANCELLED, now)
    moved = await _move_up(session, call, now) if had_place else []
    session.add(call)
    await session.flush()
    return Answered(Outcome.CANCELLED, call, answer, tuple(moved))


async def need(
    session: AsyncSession, call_id: int, needed: int, now: datetime
) -> tuple[CrisisCall | None, list[CrisisAnswer]]:
    """The coordinator raises (or lowers) how many are needed; who waits moves up. Lowering
    takes no place away from anyone who has one."""
    call = await _locked(session, call_id)
    if call is None or call.status == CrisisCallStatus.CLOSED:
        return call, []
    call.needed = needed
    session.add(call)
    await session.flush()
    return call, await _move_up(session, call, now)


async def close(session: AsyncSession, call_id: int, now: datetime) -> CrisisCall | None:
    """No more answers, and nobody moves up from the waiting list any more."""
    call = await _locked(session, call_id)
    if call is None or call.status == CrisisCallStatus.CLOSED:
        return call
    call.status, call.closed_at = CrisisCallStatus.CLOSED, now
    session.add(call)
    await session.flush()
    return call


async def answers(
    session: AsyncSession, call_id: int, state: CrisisAnswerState
) -> Sequence[CrisisAnswer]:
    query = (
        select(CrisisAnswer)
        .where(CrisisAnswer.call_id == call_id, CrisisAnswer.state == state)
        .order_by(
            col(CrisisAnswer.group_number), col(CrisisAnswer.answered_at), col(CrisisAnswer.id)
        )
    )
    return (await session.exec(query)).all()


# Deliveries are planned in slices of this many rows, so a call to a whole Land stays in memory.
SLICE = 5_000


def _due(call: CrisisCall, now: datetime, quiet: tuple[time, time], tz: ZoneInfo) -> datetime:
    """Urgent calls go at once, day and night; others wait for the end of the quiet hours."""
    if call.urgent:
        return now
    return after_quiet_hours(now.astimezone(tz), *quiet).astimezone(UTC)


async def publish(
    session: AsyncSession, deployment: Deployment, call: CrisisCall, now: datetime
) -> int:
    """Store a new call and plan it for every volunteer it fits; returns how many."""
    session.add(call)
    await session.flush()
    return await send(session, deployment, call, now)


async def send(
    session: AsyncSession, deployment: Deployment, call: CrisisCall, now: datetime
) -> int:
    """Plan the call for every volunteer it fits; returns how many. Planning it again adds no
    second message to anyone."""
    assert call.id is not None
    columns = select(col(User.id), col(User.quiet_from), col(User.quiet_until))
    query = _fitting_only(call, columns).order_by(col(User.id))
    rows = (await session.exec(query)).all()
    for start in range(0, len(rows), SLICE):
        await enqueue_many(
            session,
            [
                planned(
                    user_id or 0,
                    DeliveryKind.CRISIS_CALL,
                    call.id,
                    _due(call, now, (quiet_from, quiet_until), deployment.tz),
                    now,
                )
                for user_id, quiet_from, quiet_until in rows[start : start + SLICE]
            ],
        )
    call.called = len(rows)
    session.add(call)
    await session.flush()
    return len(rows)


async def was_called(session: AsyncSession, call_id: int, user_id: int) -> bool:
    """Whether the call went to this person (a button on it is theirs to press)."""
    key = delivery_key(user_id, DeliveryKind.CRISIS_CALL, call_id)
    return (await session.exec(select(Delivery.id).where(Delivery.key == key))).first() is not None


async def tell_moved_up(
    session: AsyncSession,
    deployment: Deployment,
    call: CrisisCall,
    moved: Sequence[CrisisAnswer],
    now: datetime,
) -> None:
    """Who moved up from the waiting list learns it has a place."""
    await _tell(
        session,
        deployment,
        call,
        [(a.user_id, a.id) for a in moved],
        DeliveryKind.CRISIS_MOVED_UP,
        now,
    )


async def tell_full(
    session: AsyncSession, deployment: Deployment, call: CrisisCall, now: datetime
) -> int:
    """The call has all the people it needs: who got it and has not answered is told at once,
    kindly (a call not yet sent says so itself). Returns how many are told."""
    answered = select(CrisisAnswer.user_id).where(CrisisAnswer.call_id == call.id)
    query = select(col(Delivery.user_id)).where(
        Delivery.kind == DeliveryKind.CRISIS_CALL,
        Delivery.subject_id == call.id,
        col(Delivery.sent_at).is_not(None),
        col(Delivery.user_id).not_in(answered),
    )
    users = (await session.exec(query)).all()
    await _tell(
        session, deployment, call, [(u, call.id) for u in users], DeliveryKind.CRISIS_FULL, now
    )
    return len(users)


async def post(
    session: AsyncSession,
    deployment: Deployment,
    call: CrisisCall,
    author: User,
    text: str,
    now: datetime,
    *,
    group: int | None = None,
) -> int:
    """The coordinator's message to everyone with a place, or a scout's to their `group`;
    returns how many get it (the author not among them)."""
    assert author.id is not None and call.id is not None
    seal = await sealer(session, author.key)
    written = CrisisPost(
        call_id=call.id,
        group_number=group,
        author_id=author.id,
        text=seal(text) or "",
        language=author.language,
        created_at=now,
    )
    session.add(written)
    await session.flush()
    readers = [
        a.user_id
        for a in await answers(session, call.id, CrisisAnswerState.CONFIRMED)
        if (group is None or a.group_number == group) and a.user_id != author.id
    ]
    await _tell(
        session,
        deployment,
        call,
        [(reader, written.id) for reader in readers],
        DeliveryKind.CRISIS_POST,
        now,
    )
    return len(readers)


async def groups(
    session: AsyncSession, call: CrisisCall
) -> list[tuple[int, int, CrisisGroup | None]]:
    """Each group with people in it: its number, how many, and its scout and arrival if any."""
    sizes = await _group_sizes(session, call)
    known = {
        g.number: g
        for g in (
            await session.exec(select(CrisisGroup).where(CrisisGroup.call_id == call.id))
        ).all()
    }
    return [(number, sizes[number], known.get(number)) for number in sorted(sizes)]


async def scout_candidates(
    session: AsyncSession, call: CrisisCall, group: int
) -> list[tuple[int, str]]:
    """The vetted volunteers with a place in the group (user id, first name)."""
    rows = await session.exec(
        select(CrisisAnswer.user_id, VolunteerProfile.first_name)
        .join(VolunteerProfile, col(VolunteerProfile.user_id) == CrisisAnswer.user_id)
        .where(
            CrisisAnswer.call_id == call.id,
            CrisisAnswer.state == CrisisAnswerState.CONFIRMED,
            CrisisAnswer.group_number == group,
            col(VolunteerProfile.verified).is_(True),
        )
        .order_by(col(CrisisAnswer.answered_at))
    )
    return [(user_id, name) for user_id, name in rows.all()]


async def name_scout(
    session: AsyncSession,
    deployment: Deployment,
    call: CrisisCall,
    group: int,
    scout_id: int,
    now: datetime,
) -> CrisisGroup | None:
    """Make a vetted volunteer of the group its scout (they are told); None if they are not one."""
    if scout_id not in {uid for uid, _name in await scout_candidates(session, call, group)}:
        return None
    assert call.id is not None
    found = (
        await session.exec(
            select(CrisisGroup).where(CrisisGroup.call_id == call.id, CrisisGroup.number == group)
        )
    ).first()
    found = found or CrisisGroup(call_id=call.id, number=group)
    found.scout_id = scout_id
    session.add(found)
    await session.flush()
    await _tell(session, deployment, call, [(scout_id, found.id)], DeliveryKind.CRISIS_SCOUT, now)
    return found


async def scouting(
    session: AsyncSession, group_id: int | None, user_id: int
) -> tuple[CrisisGroup, CrisisCall] | None:
    """The group this person scouts, with its call, while the call is open."""
    found = await session.get(CrisisGroup, group_id) if group_id is not None else None
    if found is None or found.scout_id != user_id:
        return None
    call = await session.get(CrisisCall, found.call_id)
    if call is None or call.status != CrisisCallStatus.OPEN:
        return None
    return found, call


async def arrived(
    session: AsyncSession,
    deployment: Deployment,
    group: CrisisGroup,
    call: CrisisCall,
    now: datetime,
) -> bool:
    """The scout reports the group at the meeting point: the coordinator is told (once)."""
    if group.arrived_at is not None:
        return False
    group.arrived_at = now
    session.add(group)
    await session.flush()
    if call.created_by is not None:
        await _tell(
            session,
            deployment,
            call,
            [(call.created_by, group.id)],
            DeliveryKind.CRISIS_ARRIVED,
            now,
        )
    return True


async def _tell(
    session: AsyncSession,
    deployment: Deployment,
    call: CrisisCall,
    whom: Sequence[tuple[int, int | None]],
    kind: DeliveryKind,
    now: datetime,
) -> None:
    """Plan one message of `kind` per (user, subject), at once for an urgent call."""
    if not whom:
        return
    quiet = {
        user_id: (quiet_from, quiet_until)
        for user_id, quiet_from, quiet_until in (
            await session.exec(
                select(col(User.id), col(User.quiet_from), col(User.quiet_until)).where(
                    col(User.id).in_([user for user, _subject in whom])
                )
            )
        ).all()
        if user_id is not None
    }
    rows = [
        planned(user, kind, subject, _due(call, now, quiet[user], deployment.tz), now)
        for user, subject in whom
        if user in quiet
    ]
    for start in range(0, len(rows), SLICE):
        await enqueue_many(session, rows[start : start + SLICE])


@dataclass(frozen=True)
class Tally:
    """What the coordinator's live view shows."""

    called: int
    sent: int
    unreachable: int
    confirmed: int
    waiting: int
    declined: int
    cancelled: int

    @property
    def unanswered(self) -> int:
        answered = self.confirmed + self.waiting + self.declined + self.cancelled
        return max(0, self.sent - self.unreachable - answered)


async def tally(session: AsyncSession, call: CrisisCall) -> Tally:
    deliveries = (
        select(func.count(), func.count(col(User.unreachable_at)))
        .select_from(Delivery)
        .join(User, col(User.id) == Delivery.user_id)
        .where(
            Delivery.kind == DeliveryKind.CRISIS_CALL,
            Delivery.subject_id == call.id,
            col(Delivery.sent_at).is_not(None),
        )
    )
    sent, unreachable = (await session.exec(deliveries)).one()
    cancelled = (
        await session.exec(
            select(func.count()).where(
                CrisisAnswer.call_id == call.id,
                CrisisAnswer.state == CrisisAnswerState.CANCELLED,
            )
        )
    ).one()
    return Tally(
        call.called,
        int(sent),
        int(unreachable),
        call.confirmed,
        call.waiting,
        call.declined,
        int(cancelled),
    )


async def open_calls(session: AsyncSession, municipalities: frozenset[str]) -> Sequence[CrisisCall]:
    query = (
        select(CrisisCall)
        .where(
            CrisisCall.status == CrisisCallStatus.OPEN,
            col(CrisisCall.municipality).in_(municipalities),
        )
        .order_by(col(CrisisCall.created_at).desc())
    )
    return (await session.exec(query)).all()


async def waiting_place(session: AsyncSession, answer: CrisisAnswer) -> int:
    """Where someone waiting stands on the list (1: next to move up)."""
    ahead = await session.exec(
        select(func.count()).where(
            CrisisAnswer.call_id == answer.call_id,
            CrisisAnswer.state == CrisisAnswerState.WAITING,
            col(CrisisAnswer.answered_at) < answer.answered_at,
        )
    )
    return int(ahead.one()) + 1


async def exported(session: AsyncSession, user_id: int) -> dict[str, list[dict[str, object]]]:
    """A person's answers to calls, and what they wrote to those coming (for /mydata)."""
    given = await session.exec(select(CrisisAnswer).where(CrisisAnswer.user_id == user_id))
    written = await session.exec(select(CrisisPost).where(CrisisPost.author_id == user_id))
    return {
        "answers": [a.model_dump(mode="json") for a in given.all()],
        "messages_to_those_coming": [p.model_dump(mode="json") for p in written.all()],
    }


async def forget(
    session: AsyncSession, deployment: Deployment, user_id: int, now: datetime
) -> None:
    """A person erased: their places are given up (who waits moves up and is told), then their
    answers and what they wrote are deleted."""
    held = await session.exec(
        select(CrisisAnswer).where(
            CrisisAnswer.user_id == user_id,
            col(CrisisAnswer.state).in_([CrisisAnswerState.CONFIRMED, CrisisAnswerState.WAITING]),
        )
    )
    for given in held.all():
        answered = await answer(session, given.call_id, user_id, yes=False, now=now)
        if answered.call is not None and answered.moved_up:
            await tell_moved_up(session, deployment, answered.call, answered.moved_up, now)
    await session.exec(delete(CrisisAnswer).where(col(CrisisAnswer.user_id) == user_id))
    await session.exec(delete(CrisisPost).where(col(CrisisPost.author_id) == user_id))
    scouted = await session.exec(select(CrisisGroup).where(CrisisGroup.scout_id == user_id))
    for group in scouted.all():
        group.scout_id = None
        session.add(group)
