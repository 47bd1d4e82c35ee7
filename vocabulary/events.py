"""How an event reads: its kind, when and where it is, and how many seats are left."""

from __future__ import annotations

from datetime import date

from engine.i18n import DateText, Msg, Raw, Text, TimeText, WeekdayName, _, _n, lines
from storage.models import Event, EventAudience, EventKind
from town.deployment import Deployment
from vocabulary.labels import language_names

KINDS: dict[EventKind, Msg] = {
    EventKind.CAFE: _("☕ Seniors' café"),
    EventKind.READING: _("📖 Reading"),
    EventKind.INFO: _("ℹ️ Information evening"),
    EventKind.OFFICE_HOURS: _("🗣 Office hours"),
    EventKind.TRAINING: _("🎓 Training"),
    EventKind.CONFERENCE: _("🏛️ Club conference"),
    EventKind.COACHING: _("🧭 Coaching for volunteers"),
    EventKind.SUPERVISION: _("🤲 Supervision for volunteers"),
}

AUDIENCES: dict[EventAudience, Msg] = {
    EventAudience.EVERYONE: _("Everyone"),
    EventAudience.VOLUNTEERS: _("Volunteers"),
    EventAudience.SEEKERS: _("People who look for help"),
    EventAudience.ORGANISATIONS: _("Organisations"),
}


def when(event: Event, day: date, deployment: Deployment) -> Text:
    """ "Wednesday, 2 December, 15:00", and for a weekly event "every Wednesday" before it."""
    at = TimeText(event.starts_at.astimezone(deployment.tz).time())
    on = _("{day}, {time}", day=DateText(day), time=at)
    if not event.weekly:
        return on
    return _("every {weekday}; next: {day}", weekday=WeekdayName(day.weekday(), "wide"), day=on)


def heading(event: Event, day: date, deployment: Deployment) -> Text:
    """One line for a list or a button: the day, the time and the title."""
    at = TimeText(event.starts_at.astimezone(deployment.tz).time())
    return _(
        "{day}, {time} · {title}",
        day=DateText(day, short=True),
        time=at,
        title=Raw(event.title),
    )


def seats_text(free: int, waiting: int) -> Text:
    if free > 0:
        return _n("🪑 {n} seat free", "🪑 {n} seats free", free)
    return _n(
        "🪑 Full: {n} person on the waiting list",
        "🪑 Full: {n} people on the waiting list",
        waiting,
    )


def card(event: Event, day: date, deployment: Deployment, free: int, waiting: int) -> Text:
    """The event as people see it before they sign up."""
    municipality = deployment.municipality(event.municipality)
    district = municipality.district(event.district) if municipality and event.district else None
    if event.online:
        where: Text = _("💻 Online: {link}", link=Raw(event.place))
    elif district is not None:
        where = _("📍 {place} ({district})", place=Raw(event.place), district=Raw(district.name))
    else:
        where = _("📍 {place}", place=Raw(event.place))
    rows: list[Text] = [
        _("{kind}: {title}", kind=KINDS[event.kind], title=Raw(event.title)),
        _("🗓 {when}", when=when(event, day, deployment)),
        where,
        seats_text(free, waiting),
    ]
    if event.languages:
        rows.append(_("🗣 In {languages}", languages=language_names(event.languages)))
    return lines(*rows)
