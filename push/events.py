"""Pushed messages about events (a new one that fits, a calendar file, the reminder, a seat freed,
the organiser's message) and the gentle offer of a talk after a difficult help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from engine.i18n import DateText, Raw, Written, _, lines, paragraphs
from engine.types import Button, OutgoingFile, Reply
from exchange import events
from storage.models import (
    DeliveryKind,
    Event,
    EventPost,
    EventSignup,
    EventStatus,
    NewsKind,
    SignupStatus,
    User,
)
from storage.outbox import Addressee, Due
from vocabulary import calendar
from vocabulary.actions import CANCEL_SEAT, OPEN_TALK, SHOW_EVENT, STOP_NEWS
from vocabulary.events import KINDS, card, when

if TYPE_CHECKING:
    from push.compose import Batch


async def _open(batch: Batch, event_id: int | None) -> Event | None:
    event = await batch.session.get(Event, event_id) if event_id is not None else None
    return event if event is not None and event.status == EventStatus.OPEN else None


async def _seat(batch: Batch, delivery: Due) -> tuple[EventSignup, Event] | None:
    """The signup, while it still holds a seat at an open event whose day has not passed."""
    signup = await batch.session.get(EventSignup, delivery.subject_id)
    if signup is None or signup.status != SignupStatus.GOING:
        return None
    event = await _open(batch, signup.event_id)
    if event is None or events.start_on(event, signup.on_day, batch.deployment) <= batch.now:
        return None
    return signup, event


async def _new(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    event = await _open(batch, delivery.subject_id)
    day = events.next_day(event, batch.deployment, batch.now) if event is not None else None
    if event is None or day is None:
        return None
    taken = await events.seats(batch.session, event, day)
    text = paragraphs(
        _("📅 A new event for you:"),
        card(event, day, batch.deployment, taken.free, taken.waiting),
    )
    buttons = (
        (Button(f"{SHOW_EVENT}{event.id}", _("📅 See it and sign up")),),
        (Button(f"{STOP_NEWS}{NewsKind.EVENTS.value}", _("🔕 No more event news")),),
    )
    return Reply(text, user.language, buttons)


def _who(signup: EventSignup) -> Raw | None:
    return Raw(signup.guest_name or "") if signup.for_guest else None


async def _calendar(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    found = await _seat(batch, delivery)
    if found is None:
        return None
    signup, event = found
    file = _seat_file(batch, user, event, signup, cancelled=False)
    caption = _(
        "🗓 {title}: the date for your calendar.",
        title=Raw(event.title),
    )
    return Reply(caption, user.language, file=file)


async def _called_off(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """The event is off: said with a calendar file that takes the date out again (the same
    UID, a higher sequence), for those who had a seat; those waiting are told in words."""
    signup = await batch.session.get(EventSignup, delivery.subject_id)
    event = await batch.session.get(Event, signup.event_id) if signup is not None else None
    if signup is None or event is None or event.status != EventStatus.CANCELLED:
        return None
    text = _(
        "❌ “{title}” on {day} is called off. We are sorry. You do not need to do anything.",
        title=Raw(event.title),
        day=DateText(signup.on_day),
    )
    if signup.status != SignupStatus.GOING:
        return Reply(text, user.language)
    return Reply(text, user.language, file=_seat_file(batch, user, event, signup, cancelled=True))


def _seat_file(
    batch: Batch, user: Addressee, event: Event, signup: EventSignup, *, cancelled: bool
) -> OutgoingFile:
    """A seat as a calendar entry in the reader's language; one entry per seat (the same UID),
    so that calling the event off takes out the very entry it added."""
    start = events.start_on(event, signup.on_day, batch.deployment)
    kind = batch.translator.render(KINDS[event.kind], user.language)
    description = _("Volunteer exchange: {agency}", agency=Raw(batch.deployment.agency.name))
    content = calendar.appointment(
        uid=f"event-{event.id}-{signup.on_day.isoformat()}-{signup.id}@ehrenamtsboerse",
        start=start,
        end=start + timedelta(minutes=event.minutes),
        summary=f"{kind}: {event.title}",
        location=event.place,
        description=batch.translator.render(description, user.language),
        stamp=batch.now,
        sequence=1 if cancelled else 0,
        cancelled=cancelled,
    )
    name = f"event-{event.id}-{signup.on_day.isoformat()}.ics"
    return OutgoingFile(name, content, "text/calendar")


async def _reminder(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    found = await _seat(batch, delivery)
    if found is None:
        return None
    signup, event = found
    today = batch.now.astimezone(batch.deployment.tz).date()
    if today >= signup.on_day:  # the evening before has passed: a late reminder would mislead
        return None
    guest = _who(signup)
    head = (
        _("⏰ Tomorrow with {name}:", name=guest)
        if guest is not None
        else _("⏰ Tomorrow you have a seat at:")
    )
    text = lines(
        head,
        Raw(event.title),
        _("🗓 {when}", when=when(event, signup.on_day, batch.deployment)),
        _("📍 {place}", place=Raw(event.place)),
    )
    buttons = ((Button(f"{CANCEL_SEAT}{signup.id}", _("❌ I cannot come")),),)
    return Reply(text, user.language, buttons)


async def _moved_up(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    found = await _seat(batch, delivery)
    if found is None:
        return None
    signup, event = found
    guest = _who(signup)
    text = (
        _(
            "🎉 A seat became free: {name} now has a seat at “{title}”, {when}.",
            name=guest,
            title=Raw(event.title),
            when=when(event, signup.on_day, batch.deployment),
        )
        if guest is not None
        else _(
            "🎉 A seat became free: you now have a seat at “{title}”, {when}.",
            title=Raw(event.title),
            when=when(event, signup.on_day, batch.deployment),
        )
    )
    buttons = ((Button(f"{CANCEL_SEAT}{signup.id}", _("❌ I cannot come")),),)
    return Reply(text, user.language, buttons)


async def _post(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    post = await batch.session.get(EventPost, delivery.subject_id)
    event = await _open(batch, post.event_id) if post is not None else None
    if post is None or event is None or post.on_day < _today(batch):
        return None
    text = lines(
        _("✉️ The organisers of “{title}” write:", title=Raw(event.title)),
        Written(post.text, post.language),
    )
    return Reply(text, user.language)


def _today(batch: Batch) -> date:
    return batch.now.astimezone(batch.deployment.tz).date()


async def _support(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    person = await batch.session.get(User, user.id)
    if person is None or person.blocked_at is not None:
        return None
    text = _(
        "🤲 Thank you for your help. Some helps are hard. If you would like to talk about it, "
        "we are there for you, in confidence."
    )
    buttons = ((Button(OPEN_TALK, _("💬 I would like to talk about a help")),),)
    return Reply(text, user.language, buttons)


COMPOSERS: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Reply | None]]] = {
    DeliveryKind.EVENT_NEW: _new,
    DeliveryKind.EVENT_CALENDAR: _calendar,
    DeliveryKind.EVENT_REMINDER: _reminder,
    DeliveryKind.EVENT_MOVED_UP: _moved_up,
    DeliveryKind.EVENT_POST: _post,
    DeliveryKind.EVENT_CALLED_OFF: _called_off,
    DeliveryKind.SUPPORT_OFFER: _support,
}
