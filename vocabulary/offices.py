"""The agency's offices in words: where, which phone, when open, and when someone calls back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from engine.i18n import DateText, Raw, Text, TimeText, WeekdayName, _, lines
from town.deployment import Deployment, Office
from vocabulary.labels import Joined


def hours_text(office: Office) -> Text:
    """ "Mo, Tu, We, Th 09:00–12:00; Tu 14:00–17:00" in the reader's language."""
    spans = [
        _(
            "{days} {opens}–{closes}",
            days=Joined([WeekdayName(day) for day in span.weekdays]),
            opens=TimeText(span.opens),
            closes=TimeText(span.closes),
        )
        for span in office.hours
    ]
    return Joined(spans, separator="; ")


def office_text(office: Office) -> Text:
    """The office's name, address, phone and hours, one per line."""
    parts: list[Text] = [Raw(office.name)]
    if office.address:
        parts.append(_("📍 {address}", address=Raw(office.address)))
    if office.phone:
        parts.append(_("📞 {phone}", phone=Raw(office.phone)))
    if office.hours:
        parts.append(_("🕘 {hours}", hours=hours_text(office)))
    return lines(*parts)


def where_to_go(deployment: Deployment) -> Text:
    """Every office people can go to: the main office first, then the partner offices."""
    agency = deployment.agency
    offices = [o for o in (agency.main_office, *agency.partner_offices) if o is not None]
    if not offices:
        return Raw(agency.contact)
    return Joined([office_text(o) for o in offices], separator="\n\n")


def next_opening(office: Office, now: datetime, deployment: Deployment) -> tuple[date, time] | None:
    """When the office is next open from `now` on (now, if it is open): a day and a time."""
    local = now.astimezone(deployment.tz)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        starts = sorted(
            max(span.opens, local.time()) if ahead == 0 else span.opens
            for span in office.hours
            if day.weekday() in span.weekdays and (ahead > 0 or local.time() < span.closes)
        )
        if starts:
            return day, starts[0].replace(second=0, microsecond=0)
    return None


def call_back_promise(deployment: Deployment, now: datetime) -> Text:
    """Who calls back, and when: the main office's next opening hours, said truthfully."""
    office = deployment.agency.main_office
    opening = next_opening(office, now, deployment) if office is not None else None
    if office is None or opening is None:
        return _(
            "A coordinator of {agency} will get back to you as soon as possible.",
            agency=Raw(deployment.agency.name),
        )
    day, at = opening
    if day == now.astimezone(deployment.tz).date():
        return _(
            "Someone from {office} will call you back today, from {time} on.",
            office=Raw(office.name),
            time=TimeText(at),
        )
    return _(
        "Someone from {office} will call you back on {day}, from {time} on.",
        office=Raw(office.name),
        day=DateText(day),
        time=TimeText(at),
    )
