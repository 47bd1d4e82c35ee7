"""Events: the list of what fits the person, signing up in one tap (or for a relative), and for
organisers a new event, the participants, a message to all of them and attendance afterwards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from engine.i18n import DateText, Raw, Text, _, _n, lines, paragraphs
from engine.steps import (
    Action,
    Ctx,
    Flow,
    Goto,
    Outcome,
    Prompt,
    Retry,
    Return,
    Say,
    Step,
    Target,
)
from engine.types import Button
from engine.when import MAX_DAYS_AHEAD, parse_date, parse_time, quick_days, today
from engine.widgets import (
    CONTINUE,
    PICK,
    after,
    free_text,
    multi_select,
    rows,
    single_choice,
    summary,
    too_long,
)
from exchange import events, requests, volunteers
from exchange.events import Draft
from handlers.targets import EVENTS_FLOW
from storage.models import Event, EventAudience, EventKind, EventSignup, EventStatus, SignupStatus
from vocabulary import actions
from vocabulary.events import AUDIENCES, KINDS, card, heading
from vocabulary.labels import district_options, language_options

OPEN = "event:"
NEW = "events:new"
BACK = "events:back"
JOIN = "join:me"
JOIN_GUEST = "join:guest"
LEAVE = "leave:me"
LEAVE_GUEST = "leave:guest"
PEOPLE = "people"
WRITE = "write"
ATTENDANCE = "attendance"
CALL_OFF = "call_off"
CALLED_OFF = "call_off:yes"
SHOWN = 8
TITLE_LIMIT = 80
PLACE_LIMIT = 200
POST_LIMIT = 1000
NAME_LIMIT = 40
CAPACITIES = (10, 20, 50, 100)
TIMES = ("10:00", "15:00", "18:00")

EVENT_CARD = Target(EVENTS_FLOW, "event")


# --- the list --------------------------------------------------------------------------------


async def _ask_list(ctx: Ctx) -> Prompt:
    assert ctx.user is not None
    organiser = await events.may_organise(ctx.session, ctx.deployment, ctx.user)
    found = await events.upcoming(ctx.session, ctx.deployment, ctx.user, ctx.now, everything=False)
    buttons = [
        (Button(f"{OPEN}{event.id}:{day.isoformat()}", heading(event, day, ctx.deployment)),)
        for event, day in found[:SHOWN]
    ]
    if organiser:
        buttons.append((Button(NEW, _("➕ New event")),))
    buttons.append((Button(BACK, _("↩️ Back")),))
    text = (
        _n(
            "📅 {n} event for you. Choose one to see it and to sign up.",
            "📅 {n} events for you. Choose one to see it and to sign up.",
            len(found),
        )
        if found
        else _("📅 There is no event for you at the moment. We will tell you about new ones.")
    )
    return Prompt(text, tuple(buttons))


def _list_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == BACK:
        return Return()
    if payload == NEW:
        return Goto("title", data={})
    event_id, _sep, day = payload.removeprefix(OPEN).partition(":")
    return Goto("event", data={"event": int(event_id), "day": day})


# --- one event -------------------------------------------------------------------------------


async def _event(ctx: Ctx) -> tuple[Event, date] | None:
    """The event and day of the draft, if it is still open and the person may see it."""
    event_id, day = ctx.data.get("event"), ctx.data.get("day")
    if not isinstance(event_id, int) or not isinstance(day, str) or ctx.user is None:
        return None
    event = await ctx.session.get(Event, event_id)
    if event is None or event.status != EventStatus.OPEN:
        return None
    try:
        on = date.fromisoformat(day)
    except ValueError:
        return None
    if not events.is_day_of(event, on, ctx.deployment):
        return None
    if not (
        events.is_for(event, ctx.user)
        or await events.organised(ctx.session, event, ctx.user, ctx.deployment)
    ):
        return None
    return event, on


def _gone() -> Goto:
    return Goto("list", notes=(_("This event is no longer open."),))


async def _ask_event(ctx: Ctx) -> Prompt:
    found = await _event(ctx)
    assert ctx.user is not None and ctx.user.id is not None
    if found is None:
        return Prompt(_("This event is no longer open."), ((Button(BACK, _("↩️ Back")),),))
    event, day = found
    taken = await events.seats(ctx.session, event, day)
    mine = {s.for_guest: s for s in await events.signups_of(ctx.session, event, day, ctx.user.id)}
    text: list[Text] = [card(event, day, ctx.deployment, taken.free, taken.waiting)]
    buttons: list[tuple[Button, ...]] = []
    for guest, seat in sorted(mine.items()):
        text.append(_seat_text(seat))
        buttons.append((Button(LEAVE_GUEST if guest else LEAVE, _leave_label(seat)),))
    join = _("✅ Sign up") if taken.free else _("⏳ Put me on the waiting list")
    if False not in mine:
        buttons.insert(0, (Button(JOIN, join),))
    if True not in mine:
        buttons.append((Button(JOIN_GUEST, _("👪 Sign up a relative")),))
    if await events.organised(ctx.session, event, ctx.user, ctx.deployment):
        buttons.append(
            (
                Button(PEOPLE, _("👥 Participants ({n})", n=taken.going)),
                Button(WRITE, _("✉️ Write to all")),
            )
        )
        buttons.append(
            (
                Button(ATTENDANCE, _("✔️ Who came")),
                Button(CALL_OFF, _("🗑 Call off the event")),
            )
        )
    buttons.append((Button(BACK, _("↩️ Back")),))
    return Prompt(paragraphs(*text), tuple(buttons))


def _seat_text(seat: EventSignup) -> Text:
    if seat.status == SignupStatus.WAITING:
        if seat.for_guest:
            return _("⏳ {name} is on the waiting list.", name=Raw(seat.guest_name or ""))
        return _("⏳ You are on the waiting list. We tell you when a seat becomes free.")
    if seat.for_guest:
        return _("✅ {name} has a seat.", name=Raw(seat.guest_name or ""))
    return _("✅ You have a seat.")


def _leave_label(seat: EventSignup) -> Text:
    if seat.for_guest:
        return _("❌ Cancel the seat of {name}", name=Raw(seat.guest_name or ""))
    return _("❌ Cancel my seat")


async def _event_chosen(ctx: Ctx, payload: str) -> Outcome:
    if payload == BACK:
        return Goto("list")
    found = await _event(ctx)
    if found is None or ctx.user is None:
        return _gone()
    event, day = found
    if payload == JOIN:
        name = await _known_name(ctx)
        if name is None:
            return Goto("name")
        return await _join(ctx, event, day, name, guest=False)
    if payload == JOIN_GUEST:
        return Goto("guest")
    if payload in (LEAVE, LEAVE_GUEST):
        return await _leave(ctx, event, day, guest=payload == LEAVE_GUEST)
    if not await events.organised(ctx.session, event, ctx.user, ctx.deployment):
        return Retry(_("This is only for the organisers of the event."))
    return Goto(
        {PEOPLE: "people", WRITE: "write", ATTENDANCE: "attendance", CALL_OFF: "call_off"}[payload]
    )


async def _known_name(ctx: Ctx) -> str | None:
    assert ctx.user is not None
    profile = await volunteers.profile_of(ctx.session, ctx.user.id)
    if profile is not None and profile.first_name:
        return profile.first_name
    stored = ctx.data.get("name")
    if isinstance(stored, str) and stored:
        return stored
    return await requests.own_first_name(ctx.session, ctx.user.id or 0)


async def _join(ctx: Ctx, event: Event, day: date, name: str, *, guest: bool) -> Outcome:
    assert ctx.user is not None
    seat = await events.sign_up(
        ctx.session, ctx.deployment, event, day, ctx.user, name=name, for_guest=guest, now=ctx.now
    )
    if seat.status == SignupStatus.WAITING:
        note = _(
            "⏳ The event is full. You are on the waiting list; we tell you when a seat is free."
        )
    elif guest:
        note = _(
            "✅ {name} has a seat. A calendar file follows; we remind you the evening before.",
            name=Raw(name),
        )
    else:
        note = _("✅ You have a seat. A calendar file follows; we remind you the evening before.")
    return Goto("event", notes=(note,))


async def _leave(ctx: Ctx, event: Event, day: date, *, guest: bool) -> Outcome:
    assert ctx.user is not None and ctx.user.id is not None
    for seat in await events.signups_of(ctx.session, event, day, ctx.user.id):
        if seat.for_guest == guest:
            await events.cancel(ctx.session, ctx.deployment, seat, ctx.now)
            return Goto("event", notes=(_("Your seat is cancelled. Thank you for telling us."),))
    return Goto("event")


async def _name_typed(ctx: Ctx, text: str) -> Outcome:
    found = await _event(ctx)
    if found is None:
        return _gone()
    ctx.data["name"] = text
    return await _join(ctx, *found, text, guest=False)


async def _guest_typed(ctx: Ctx, text: str) -> Outcome:
    found = await _event(ctx)
    if found is None:
        return _gone()
    return await _join(ctx, *found, text, guest=True)


def _name_step(question: Text, typed: Callable[[Ctx, str], Awaitable[Outcome]]) -> Step:
    """A first name, on one line, then `typed` signs that name up."""

    async def on_text(ctx: Ctx, text: str) -> Outcome:
        name = " ".join(text.split())
        if not name or len(name) > NAME_LIMIT:
            return Retry(
                _("Please write a first name of at most {limit} characters.", limit=NAME_LIMIT)
            )
        return await typed(ctx, name)

    return Step(
        ask=lambda ctx: Prompt(question), on_text=on_text, next=("event", "list"), back="event"
    )


# --- for organisers: participants, a message to all, attendance -----------------------------


async def _ask_people(ctx: Ctx) -> Prompt:
    found = await _event(ctx)
    back = ((Button(BACK, _("↩️ Back")),),)
    if found is None:
        return Prompt(_("This event is no longer open."), back)
    event, day = found
    seated = await events.participants(ctx.session, event, day)
    going = [s for s in seated if s.status == SignupStatus.GOING]
    waiting = [s for s in seated if s.status == SignupStatus.WAITING]
    parts: list[Text] = [
        _(
            "👥 {title}, {day}: {going} of {capacity} seats taken.",
            title=Raw(event.title),
            day=DateText(day),
            going=len(going),
            capacity=event.capacity,
        )
    ]
    if going:
        parts.append(lines(*(Raw(f"• {s.guest_name or '?'}") for s in going)))
    if waiting:
        parts.append(
            lines(
                _("⏳ Waiting list:"),
                *(Raw(f"{n}. {s.guest_name or '?'}") for n, s in enumerate(waiting, 1)),
            )
        )
    return Prompt(paragraphs(*parts), back)


def _to_event(ctx: Ctx, payload: str) -> Outcome:
    return Goto("event")


async def _post_typed(ctx: Ctx, text: str) -> Outcome:
    found = await _event(ctx)
    if found is None or ctx.user is None:
        return _gone()
    if (refused := too_long(text, POST_LIMIT)) is not None:
        return refused
    event, day = found
    if not await events.organised(ctx.session, event, ctx.user, ctx.deployment):
        return Goto("event")
    reached = await events.write_to_all(
        ctx.session, ctx.deployment, event, day, ctx.user, text.strip(), ctx.now
    )
    return Goto("event", notes=(_n("✉️ Sent to {n} person.", "✉️ Sent to {n} people.", reached),))


async def _ask_attendance(ctx: Ctx) -> Prompt:
    found = await _event(ctx)
    back = ((Button(BACK, _("↩️ Back")),),)
    if found is None:
        return Prompt(_("This event is no longer open."), back)
    event, day = found
    seated = [
        s
        for s in await events.participants(ctx.session, event, day)
        if s.status == SignupStatus.GOING
    ]
    buttons = [
        Button(f"{PICK}{s.id}", Raw(f"{'✓ ' if s.attended else ''}{s.guest_name or '?'}"))
        for s in seated
    ]
    question = _("✔️ Who came on {day}? Tap each person who was there.", day=DateText(day))
    return Prompt(question, (*rows(buttons, 2), (Button(CONTINUE, _("✅ Done")),)))


async def _attendance_chosen(ctx: Ctx, payload: str) -> Outcome:
    found = await _event(ctx)
    if found is None or ctx.user is None:
        return _gone()
    event, day = found
    if payload in (CONTINUE, BACK):
        return Goto("event", notes=(_("✅ Attendance saved."),))
    for seat in await events.participants(ctx.session, event, day):
        if f"{PICK}{seat.id}" == payload and seat.status == SignupStatus.GOING:
            events.set_attended(ctx.session, seat, not seat.attended, ctx.now)
    return Goto("attendance")


async def _ask_call_off(ctx: Ctx) -> Prompt:
    found = await _event(ctx)
    if found is None:
        return Prompt(_("This event is no longer open."), ((Button(BACK, _("↩️ Back")),),))
    event, _day = found
    return Prompt(
        _(
            "🗑 Call off “{title}”, every day of it? Everyone signed up is told, and the event "
            "leaves the list.",
            title=Raw(event.title),
        ),
        ((Button(CALLED_OFF, _("✅ Yes, call it off")),),),
    )


async def _call_off_chosen(ctx: Ctx, payload: str) -> Outcome:
    found = await _event(ctx)
    if found is None or ctx.user is None or payload != CALLED_OFF:
        return _gone()
    event, _day = found
    if not await events.organised(ctx.session, event, ctx.user, ctx.deployment):
        return Goto("event")
    told = await events.call_off(ctx.session, ctx.deployment, event, ctx.now)
    return Goto(
        "list",
        notes=(
            _n("🗑 Called off. {n} person is told.", "🗑 Called off. {n} people are told.", told),
        ),
    )


# --- a new event -----------------------------------------------------------------------------


def _kind_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(kind.value, label) for kind, label in KINDS.items()]


def _ask_day(ctx: Ctx) -> Prompt:
    days = [Button(PICK + d.isoformat(), DateText(d, short=True)) for d in quick_days(ctx)]
    return Prompt(
        _(
            "On which day is it (the first day, if it repeats)? Choose one, or type a date like 24.12."
        ),
        rows(days, 3),
    )


def _day_chosen(ctx: Ctx, payload: str) -> Outcome:
    ctx.data["day"] = payload.removeprefix(PICK)
    return after(ctx, "time")


def _day_typed(ctx: Ctx, text: str) -> Outcome:
    day = parse_date(text, today(ctx))
    if day is None or day < today(ctx) or (day - today(ctx)).days > MAX_DAYS_AHEAD:
        return Retry(_("Please choose a date from today on, within a year, like 24.12."))
    ctx.data["day"] = day.isoformat()
    return after(ctx, "time")


def _ask_time(ctx: Ctx) -> Prompt:
    buttons = [Button(PICK + at, Raw(at)) for at in TIMES]
    return Prompt(
        _("At what time does it begin? Choose one, or type it like 14:30."), (tuple(buttons),)
    )


def _time_set(ctx: Ctx, text: str) -> Outcome:
    at = parse_time(text.removeprefix(PICK))
    if at is None:
        return Retry(_("Please type a time like 14:30."))
    starts = datetime.combine(date.fromisoformat(ctx.data["day"]), at, tzinfo=ctx.deployment.tz)
    if starts <= ctx.now:
        return Retry(_("That time has passed. Please choose a later one."))
    ctx.data["time"] = at.strftime("%H:%M")
    return after(ctx, "weekly")


def _weekly_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [("once", _("Once")), ("weekly", _("Every week at this time"))]


WHOLE_TOWN = "all"


def _district_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(WHOLE_TOWN, _("🏙 The whole town")), *district_options(ctx.municipality)]


def _ask_capacity(ctx: Ctx) -> Prompt:
    buttons = [Button(PICK + str(n), Raw(str(n))) for n in CAPACITIES]
    return Prompt(_("How many people can come? Choose, or type a number."), (tuple(buttons),))


def _capacity_set(ctx: Ctx, text: str) -> Outcome:
    value = text.removeprefix(PICK).strip()
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        return Retry(_("Please type a number from 1 to 1000."))
    ctx.data["capacity"] = int(value)
    return after(ctx, "languages" if _for_volunteers_only(ctx) else "audience")


def _audience_options(ctx: Ctx) -> list[tuple[str, Text]]:
    return [(audience.value, label) for audience, label in AUDIENCES.items()]


def _for_volunteers_only(ctx: Ctx) -> bool:
    return EventKind(ctx.data.get("kind", EventKind.CAFE)) in events.FOR_VOLUNTEERS_ONLY


def _draft(ctx: Ctx) -> Draft:
    data = ctx.data
    day, at = date.fromisoformat(data["day"]), datetime.strptime(data["time"], "%H:%M").time()
    kind = EventKind(data["kind"])
    return Draft(
        kind=kind,
        title=data["title"],
        place=data["place"],
        starts_at=datetime.combine(day, at, tzinfo=ctx.deployment.tz),
        weekly=data.get("weekly") == "weekly",
        capacity=int(data["capacity"]),
        audience=EventAudience.VOLUNTEERS
        if kind in events.FOR_VOLUNTEERS_ONLY
        else EventAudience(data.get("audience", EventAudience.EVERYONE)),
        languages=tuple(data.get("languages", [])),
        district="" if data.get("district", WHOLE_TOWN) == WHOLE_TOWN else data["district"],
    )


def _summary_text(ctx: Ctx) -> Text:
    draft = _draft(ctx)
    event = Event(
        organiser_id=0,
        municipality=ctx.municipality.id,
        district=draft.district,
        kind=draft.kind,
        title=draft.title,
        place=draft.place,
        online=draft.place.startswith(("http://", "https://")),
        starts_at=draft.starts_at,
        weekly=draft.weekly,
        capacity=draft.capacity,
        audience=draft.audience,
        languages=list(draft.languages),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    day = draft.starts_at.date()
    return lines(
        card(event, day, ctx.deployment, draft.capacity, 0),
        _("👥 For: {audience}", audience=AUDIENCES[draft.audience]),
        *(() if draft.languages else (_("🗣 In any language"),)),
    )


async def _create(ctx: Ctx) -> Outcome:
    assert ctx.user is not None
    if not await events.may_organise(ctx.session, ctx.deployment, ctx.user):
        return Goto(
            "list", notes=(_("Only coordinators and approved organisations create events."),)
        )
    event = await events.create(ctx.session, ctx.deployment, ctx.user, _draft(ctx), ctx.now)
    day = event.starts_at.astimezone(ctx.deployment.tz).date()
    note = _("✅ The event is published. Everyone it is for can find it and sign up.")
    return Goto("event", notes=(note,), data={"event": event.id, "day": day.isoformat()})


def _ask_new(ctx: Ctx) -> Text:
    return _("➕ New event. What is its title? For example: Seniors' café in the Stift.")


# --- buttons on pushed messages --------------------------------------------------------------


async def show_event(ctx: Ctx, payload: str) -> Outcome:
    """📅 on an announcement: open the event's card."""
    event_id = actions.number(actions.last_field(payload))
    event = await ctx.session.get(Event, event_id) if event_id is not None else None
    if event is None or ctx.user is None:
        return Say(_("This event is no longer open."))
    day = events.next_day(event, ctx.deployment, ctx.now)
    if day is None or event.status != EventStatus.OPEN:
        return Say(_("This event is no longer open."))
    return Goto(EVENT_CARD, data={"event": event.id, "day": day.isoformat()})


async def cancel_seat(ctx: Ctx, payload: str) -> Outcome:
    """❌ on a reminder: give the seat up, and the waiting list moves up."""
    signup_id = actions.number(actions.last_field(payload))
    seat = await ctx.session.get(EventSignup, signup_id) if signup_id is not None else None
    if seat is None or ctx.user is None or seat.user_id != ctx.user.id:
        return Say(_("This button is no longer valid."))
    if seat.status == SignupStatus.CANCELLED:
        return Say(_("This seat is already cancelled."))
    await events.cancel(ctx.session, ctx.deployment, seat, ctx.now)
    return Say(_("Your seat is cancelled. Thank you for telling us."))


async def event_button(ctx: Ctx, payload: str) -> Outcome:
    verb, _field = actions.fields(payload)
    if verb == "show":
        return await show_event(ctx, payload)
    if verb == "cancel":
        return await cancel_seat(ctx, payload)
    return Say(_("This button is no longer valid."))


ACTIONS: dict[str, Action] = {actions.EVENT: event_button}


FLOW = Flow(
    EVENTS_FLOW,
    start="list",
    steps={
        "list": Step(ask=_ask_list, on_choice=_list_chosen, next=("event", "title"), cancel=False),
        "event": Step(
            ask=_ask_event,
            on_choice=_event_chosen,
            next=("list", "name", "guest", "people", "write", "attendance", "call_off"),
            cancel=False,
        ),
        "name": _name_step(
            _("Which first name should the organisers see on the list?"), _name_typed
        ),
        "guest": _name_step(_("What is the first name of your relative?"), _guest_typed),
        "people": Step(ask=_ask_people, on_choice=_to_event, next=("event",), back="event"),
        "write": Step(
            ask=lambda ctx: Prompt(
                _("What would you like to write to everyone signed up? They read it in the chat.")
            ),
            on_text=_post_typed,
            next=("event", "list"),
            back="event",
        ),
        "attendance": Step(
            ask=_ask_attendance, on_choice=_attendance_chosen, next=("event", "list"), back="event"
        ),
        "call_off": Step(
            ask=_ask_call_off, on_choice=_call_off_chosen, next=("list",), back="event"
        ),
        "title": free_text(
            "title", _ask_new, next="kind", max_length=TITLE_LIMIT, one_line=True, back="list"
        ),
        "kind": single_choice(
            "kind",
            lambda ctx: _("What kind of event is it?"),
            _kind_options,
            next="day",
            back="title",
        ),
        "day": Step(
            ask=_ask_day, on_choice=_day_chosen, on_text=_day_typed, next=("time",), back="kind"
        ),
        "time": Step(
            ask=_ask_time, on_choice=_time_set, on_text=_time_set, next=("weekly",), back="day"
        ),
        "weekly": single_choice(
            "weekly",
            lambda ctx: _("Is it once, or every week at this time?"),
            _weekly_options,
            next="place",
            back="time",
        ),
        "place": free_text(
            "place",
            lambda ctx: _("Where is it? Write the address, or a link for an online event."),
            next="district",
            max_length=PLACE_LIMIT,
            one_line=True,
            back="weekly",
        ),
        "district": single_choice(
            "district",
            lambda ctx: _("In which district is it?"),
            _district_options,
            next="capacity",
            back="place",
            columns=2,
        ),
        "capacity": Step(
            ask=_ask_capacity,
            on_choice=_capacity_set,
            on_text=_capacity_set,
            next=("audience", "languages"),
            back="district",
        ),
        "audience": single_choice(
            "audience",
            lambda ctx: _("Who is it for?"),
            _audience_options,
            next="languages",
            back="capacity",
            skip=_for_volunteers_only,
        ),
        "languages": multi_select(
            "languages",
            lambda ctx: _(
                "In which languages is it held? Choose none if language does not matter."
            ),
            lambda ctx: language_options(),
            next="summary",
            back="audience",
        ),
        **summary(
            _summary_text,
            fields={
                "title": _("Title"),
                "kind": _("Kind"),
                "day": _("Day"),
                "time": _("Time"),
                "weekly": _("Repeats"),
                "place": _("Place"),
                "district": _("District"),
                "capacity": _("Seats"),
                "audience": _("For whom"),
                "languages": _("Languages"),
            },
            submit=Button("publish", _("📅 Publish")),
            on_submit=_create,
            next=("event", "list"),
        ),
    },
)
