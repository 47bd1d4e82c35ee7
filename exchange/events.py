"""Events of the agency and its organisations: a Seniorencafé, a reading, a training, supervision.

A weekly event is one row; each of its days has its own seats (`EventSignup.on_day`). A seat is
taken in one tap; when the day is full, the seat waits, and the first who waits moves up when
someone cancels. Each signup brings a calendar file and a reminder the day before, through the
outbox. Who may see an event depends on its audience and its languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import organisations, staff
from exchange.timing import after_quiet_hours
from storage.models import (
    DeliveryKind,
    Event,
    EventAudience,
    EventKind,
    EventPost,
    EventSignup,
    EventStatus,
    NewsKind,
    NewsOptOut,
    OrganisationStatus,
    Role,
    SignupStatus,
    User,
)
from storage.outbox import enqueue, enqueue_many, planned
from storage.sealing import sealer
from town.deployment import Deployment

# Support for the supporters: only volunteers see these.
FOR_VOLUNTEERS_ONLY = frozenset({EventKind.COACHING, EventKind.SUPERVISION})
# Trainings, coaching and supervision count toward a volunteer's recognition when attended.
LEARNING = frozenset({EventKind.TRAINING, EventKind.COACHING, EventKind.SUPERVISION})
# The reminder comes the evening before.
REMINDER_AT = time(18, 0)
# How far ahead the list looks.
AHEAD = timedelta(days=60)

AUDIENCE_ROLES: dict[EventAudience, frozenset[Role]] = {
    EventAudience.EVERYONE: frozenset(Role),
    EventAudience.VOLUNTEERS: frozenset({Role.VOLUNTEER}),
    EventAudience.SEEKERS: frozenset({Role.SEEKER, Role.RELATIVE}),
    EventAudience.ORGANISATIONS: frozenset({Role.ORGANISATION}),
}


@dataclass(frozen=True)
class Draft:
    """What an organiser says about a new event."""

    kind: EventKind
    title: str
    place: str
    starts_at: datetime
    weekly: bool
    capacity: int
    audience: EventAudience
    languages: tuple[str, ...]
    district: str = ""  # "" for the whole municipality
    minutes: int = 120


def base_language(code: str) -> str:
    """Plain German reads German: `de_simple` -> `de`."""
    return code.split("_", 1)[0]


def is_for(event: Event, user: User) -> bool:
    """Whether the event is meant for this person: its municipality, audience and languages."""
    if user.municipality is not None and event.municipality != user.municipality:
        return False
    if user.role is None or user.role not in AUDIENCE_ROLES[event.audience]:
        return False
    spoken = {base_language(code) for code in event.languages}
    return not spoken or base_language(user.language) in spoken


def start_on(event: Event, day: date, deployment: Deployment) -> datetime:
    """When the event begins on one of its days, in the town's time."""
    local = event.starts_at.astimezone(deployment.tz)
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=deployment.tz)


def next_day(event: Event, deployment: Deployment, now: datetime) -> date | None:
    """The next day of the event that has not begun yet (weekly events repeat until `until`)."""
    first = event.starts_at.astimezone(deployment.tz).date()
    if event.starts_at > now:
        return first
    if not event.weekly:
        return None
    today = now.astimezone(deployment.tz).date()
    day = today + timedelta(days=(first.weekday() - today.weekday()) % 7)
    if start_on(event, day, deployment) <= now:
        day += timedelta(days=7)
    return day if event.until is None or day <= event.until else None


def is_day_of(event: Event, day: date, deployment: Deployment) -> bool:
    """Whether `day` is one of the event's days."""
    first = event.starts_at.astimezone(deployment.tz).date()
    if not event.weekly:
        return day == first
    return (
        day >= first and (day - first).days % 7 == 0 and (event.until is None or day <= event.until)
    )


async def may_organise(session: AsyncSession, deployment: Deployment, user: User) -> bool:
    """Coordinators and sponsors, and people whose organisation is approved."""
    if user.staff and await staff.scope_of(session, deployment, user):
        return True
    organisation = await organisations.of_owner(session, user.id)
    return organisation is not None and organisation.status == OrganisationStatus.APPROVED


async def create(
    session: AsyncSession, deployment: Deployment, organiser: User, draft: Draft, now: datetime
) -> Event:
    """A new event of the organiser's municipality (or organisation), announced to everyone it is
    for who wants event news."""
    assert organiser.id is not None
    organisation = await organisations.of_owner(session, organiser.id)
    municipality = organiser.municipality or deployment.municipalities[0].id
    audience = EventAudience.VOLUNTEERS if draft.kind in FOR_VOLUNTEERS_ONLY else draft.audience
    event = Event(
        organiser_id=organiser.id,
        organisation_id=organisation.id if organisation is not None else None,
        municipality=municipality,
        district=draft.district,
        kind=draft.kind,
        title=draft.title,
        place=draft.place,
        online=draft.place.startswith(("http://", "https://")),
        starts_at=draft.starts_at,
        minutes=draft.minutes,
        weekly=draft.weekly,
        capacity=draft.capacity,
        audience=audience,
        languages=list(draft.languages),
        language=organiser.language,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    await session.flush()
    await _announce(session, deployment, event, organiser, now)
    return event


async def _announce(
    session: AsyncSession, deployment: Deployment, event: Event, organiser: User, now: datetime
) -> None:
    opted_out = select(NewsOptOut.user_id).where(NewsOptOut.kind == NewsKind.EVENTS)
    people = await session.exec(
        select(User).where(
            col(User.blocked_at).is_(None),
            col(User.unreachable_at).is_(None),
            col(User.id).not_in(opted_out),
            User.id != organiser.id,
        )
    )
    local = now.astimezone(deployment.tz)
    rows = [
        planned(
            person.id,
            DeliveryKind.EVENT_NEW,
            event.id,
            after_quiet_hours(local, person.quiet_from, person.quiet_until),
            now,
        )
        for person in people.all()
        if person.id is not None and is_for(event, person)
    ]
    await enqueue_many(session, rows)


async def upcoming(
    session: AsyncSession, deployment: Deployment, user: User, now: datetime, *, everything: bool
) -> list[tuple[Event, date]]:
    """Open events with a day still ahead, soonest first: those meant for the person, or (for
    the agency's staff) every event of their municipalities."""
    query = select(Event).where(Event.status == EventStatus.OPEN)
    if user.municipality is not None and not everything:
        query = query.where(Event.municipality == user.municipality)
    found: list[tuple[Event, date]] = []
    for event in (await session.exec(query)).all():
        if not everything and not is_for(event, user) and event.organiser_id != user.id:
            continue
        day = next_day(event, deployment, now)
        if day is not None and start_on(event, day, deployment) <= now + AHEAD:
            found.append((event, day))
    return sorted(found, key=lambda item: (start_on(item[0], item[1], deployment), item[0].id))


@dataclass(frozen=True)
class Seats:
    going: int
    waiting: int
    capacity: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.going)


async def seats(session: AsyncSession, event: Event, day: date) -> Seats:
    rows = await session.exec(
        select(EventSignup.status, func.count())
        .where(EventSignup.event_id == event.id, EventSignup.on_day == day)
        .group_by(col(EventSignup.status))
    )
    counts = dict(rows.all())
    return Seats(
        counts.get(SignupStatus.GOING, 0), counts.get(SignupStatus.WAITING, 0), event.capacity
    )


async def signups_of(
    session: AsyncSession, event: Event, day: date, user_id: int
) -> Sequence[EventSignup]:
    """The person's own seats on that day (for themself and a relative), not cancelled."""
    rows = await session.exec(
        select(EventSignup).where(
            EventSignup.event_id == event.id,
            EventSignup.on_day == day,
            EventSignup.user_id == user_id,
            EventSignup.status != SignupStatus.CANCELLED,
        )
    )
    return rows.all()


async def sign_up(
    session: AsyncSession,
    deployment: Deployment,
    event: Event,
    day: date,
    user: User,
    *,
    name: str,
    for_guest: bool,
    now: datetime,
) -> EventSignup:
    """A seat on `day` for the person (or a relative they bring), or a place on the waiting
    list when the day is full. Signing up again for the same seat changes nothing."""
    assert user.id is not None
    existing = (
        await session.exec(
            select(EventSignup).where(
                EventSignup.event_id == event.id,
                EventSignup.on_day == day,
                EventSignup.user_id == user.id,
                EventSignup.for_guest == for_guest,
            )
        )
    ).first()
    if existing is not None and existing.status != SignupStatus.CANCELLED:
        return existing
    free = (await seats(session, event, day)).free
    status = SignupStatus.GOING if free > 0 else SignupStatus.WAITING
    seal = await sealer(session, user.key)
    signup = existing or EventSignup(
        event_id=event.id or 0,
        on_day=day,
        user_id=user.id,
        for_guest=for_guest,
        status=status,
        created_at=now,
        updated_at=now,
    )
    signup.status, signup.guest_name, signup.updated_at = status, seal(name), now
    if existing is not None:
        signup.created_at = now  # back at the end of the waiting list
    session.add(signup)
    await session.flush()
    if status == SignupStatus.GOING:
        await _seated(session, deployment, event, signup, user, now)
    return signup


async def _seated(
    session: AsyncSession,
    deployment: Deployment,
    event: Event,
    signup: EventSignup,
    user: User,
    now: datetime,
) -> None:
    """A calendar file now, and a reminder the evening before (never in quiet hours)."""
    extra = f":{signup.updated_at.timestamp():.0f}"
    await enqueue(
        session,
        user_id=user.id or 0,
        kind=DeliveryKind.EVENT_CALENDAR,
        subject_id=signup.id,
        due_at=now,
        now=now,
        extra=extra,
    )
    evening = datetime.combine(signup.on_day - timedelta(days=1), REMINDER_AT, tzinfo=deployment.tz)
    await enqueue(
        session,
        user_id=user.id or 0,
        kind=DeliveryKind.EVENT_REMINDER,
        subject_id=signup.id,
        due_at=after_quiet_hours(
            max(evening, now.astimezone(deployment.tz)), user.quiet_from, user.quiet_until
        ),
        now=now,
        extra=extra,
    )


async def cancel(
    session: AsyncSession, deployment: Deployment, signup: EventSignup, now: datetime
) -> EventSignup | None:
    """Give up a seat (or a place on the waiting list); the first who waits moves up, and is
    returned."""
    was_going = signup.status == SignupStatus.GOING
    signup.status, signup.updated_at = SignupStatus.CANCELLED, now
    session.add(signup)
    await session.flush()
    if not was_going:
        return None
    event = await session.get(Event, signup.event_id)
    first = (
        await session.exec(
            select(EventSignup)
            .where(
                EventSignup.event_id == signup.event_id,
                EventSignup.on_day == signup.on_day,
                EventSignup.status == SignupStatus.WAITING,
            )
            .order_by(col(EventSignup.created_at), col(EventSignup.id))
            .limit(1)
        )
    ).first()
    if first is None or event is None:
        return None
    first.status, first.updated_at = SignupStatus.GOING, now
    session.add(first)
    await session.flush()
    waiting = await session.get(User, first.user_id)
    if waiting is not None:
        await _seated(session, deployment, event, first, waiting, now)
        await enqueue(
            session,
            user_id=first.user_id,
            kind=DeliveryKind.EVENT_MOVED_UP,
            subject_id=first.id,
            due_at=after_quiet_hours(
                now.astimezone(deployment.tz), waiting.quiet_from, waiting.quiet_until
            ),
            now=now,
        )
    return first


async def call_off(
    session: AsyncSession, deployment: Deployment, event: Event, now: datetime
) -> int:
    """The organiser calls the event off (every day of it): everyone with a seat or waiting for
    one on a day still to come is told, with a calendar file that takes it out; how many."""
    event.status, event.updated_at = EventStatus.CANCELLED, now
    session.add(event)
    today = now.astimezone(deployment.tz).date()
    rows = await session.exec(
        select(EventSignup, User)
        .join(User, col(User.id) == EventSignup.user_id)
        .where(
            EventSignup.event_id == event.id,
            EventSignup.status != SignupStatus.CANCELLED,
            col(EventSignup.on_day) >= today,
        )
    )
    local = now.astimezone(deployment.tz)
    told = [
        planned(
            person.id or 0,
            DeliveryKind.EVENT_CALLED_OFF,
            signup.id,
            after_quiet_hours(local, person.quiet_from, person.quiet_until),
            now,
        )
        for signup, person in rows.all()
    ]
    await enqueue_many(session, told)
    return len(told)


async def participants(session: AsyncSession, event: Event, day: date) -> Sequence[EventSignup]:
    """Everyone with a seat or waiting on that day, in the order they signed up."""
    rows = await session.exec(
        select(EventSignup)
        .where(
            EventSignup.event_id == event.id,
            EventSignup.on_day == day,
            EventSignup.status != SignupStatus.CANCELLED,
        )
        .order_by(col(EventSignup.created_at), col(EventSignup.id))
    )
    return rows.all()


def set_attended(session: AsyncSession, signup: EventSignup, attended: bool, now: datetime) -> None:
    signup.attended, signup.updated_at = attended, now
    session.add(signup)


async def write_to_all(
    session: AsyncSession,
    deployment: Deployment,
    event: Event,
    day: date,
    author: User,
    text: str,
    now: datetime,
) -> int:
    """The organiser's message to everyone with a seat or waiting on that day; how many."""
    assert author.id is not None
    seal = await sealer(session, author.key)
    post = EventPost(
        event_id=event.id or 0,
        on_day=day,
        author_id=author.id,
        text=seal(text) or "",
        language=author.language,
        created_at=now,
    )
    session.add(post)
    await session.flush()
    readers = {s.user_id for s in await participants(session, event, day)} - {author.id}
    await enqueue_many(
        session,
        [planned(reader, DeliveryKind.EVENT_POST, post.id, now, now) for reader in sorted(readers)],
    )
    return len(readers)


async def organised(
    session: AsyncSession, event: Event, user: User, deployment: Deployment
) -> bool:
    """Whether the person runs this event: its organiser, or a coordinator of its municipality."""
    if event.organiser_id == user.id:
        return True
    if not user.staff:
        return False
    return (await staff.scope_of(session, deployment, user)).covers(event.municipality)


async def attended_learning(
    session: AsyncSession, user_id: int, between: tuple[date, date] | None = None
) -> int:
    """How many trainings, coachings and supervisions the person attended (for recognition),
    ever or on the days `between` (both included)."""
    query = (
        select(func.count())
        .select_from(EventSignup)
        .join(Event, col(Event.id) == EventSignup.event_id)
        .where(
            EventSignup.user_id == user_id,
            col(EventSignup.for_guest).is_(False),
            col(EventSignup.attended).is_(True),
            col(Event.kind).in_(sorted(LEARNING)),
        )
    )
    if between is not None:
        query = query.where(
            col(EventSignup.on_day) >= between[0], col(EventSignup.on_day) <= between[1]
        )
    return int((await session.exec(query)).one())


async def exported(session: AsyncSession, user_id: int) -> list[dict[str, object]]:
    """The person's seats at events, for their data export."""
    rows = await session.exec(
        select(EventSignup, Event)
        .join(Event, col(Event.id) == EventSignup.event_id)
        .where(EventSignup.user_id == user_id)
    )
    return [
        {
            "event": event.title,
            "day": signup.on_day.isoformat(),
            "name": signup.guest_name,
            "for_a_relative": signup.for_guest,
            "status": str(signup.status),
            "attended": signup.attended,
        }
        for signup, event in rows.all()
    ]


async def forget(
    session: AsyncSession, deployment: Deployment, user_id: int, now: datetime
) -> None:
    """A person erased: their seats are given up (the waiting list moves up) and deleted with
    the names they gave, their messages to participants deleted, and the events they organise
    called off."""
    seats = await session.exec(
        select(EventSignup).where(
            EventSignup.user_id == user_id, EventSignup.status != SignupStatus.CANCELLED
        )
    )
    for seat in seats.all():
        await cancel(session, deployment, seat, now)
    await session.exec(delete(EventSignup).where(col(EventSignup.user_id) == user_id))
    await session.exec(delete(EventPost).where(col(EventPost.author_id) == user_id))
    await session.exec(
        update(Event)
        .where(col(Event.organiser_id) == user_id, col(Event.status) == EventStatus.OPEN)
        .values(status=EventStatus.CANCELLED, updated_at=now)
    )
