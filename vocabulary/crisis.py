"""How a call for helpers reads: the card volunteers get and the coordinator checks, short
sentences with one fact per line, so that it reads well in plain language too."""

from __future__ import annotations

from engine.i18n import DateText, Raw, Text, TimeText, Written, _, _n, lines
from engine.types import Venue
from storage.models import CrisisCall
from town.deployment import Deployment
from vocabulary.labels import district_names


def when(call: CrisisCall, deployment: Deployment) -> Text:
    at = call.starts_at.astimezone(deployment.tz)
    return _("{day}, {time}", day=DateText(at.date()), time=TimeText(at.time()))


def region(call: CrisisCall, deployment: Deployment) -> Text:
    municipality = deployment.municipality(call.municipality)
    if municipality is None:
        return Raw(call.municipality)
    if not call.districts:
        return _("all of {town}", town=Raw(municipality.name))
    return district_names(municipality, call.districts)


def card(call: CrisisCall, deployment: Deployment) -> Text:
    """What, where, when, how many, what to bring."""
    return lines(
        _("🚨 {what}", what=Written(call.what, call.language)),
        _("📍 Meeting point: {place}", place=Written(call.meeting_point, call.language)),
        _("🕐 When: {when}", when=when(call, deployment)),
        _n("👥 We need {n} person.", "👥 We need {n} people.", call.needed),
        *(
            (_("🎒 Please bring: {things}", things=Written(call.bring, call.language)),)
            if call.bring
            else ()
        ),
    )


def venue(call: CrisisCall) -> Venue | None:
    """The meeting point on the map, where the coordinator gave it."""
    if call.latitude is None or call.longitude is None:
        return None
    return Venue(call.latitude, call.longitude, call.meeting_point[:100], call.what[:200])


def group_text(call: CrisisCall, group: int | None, deployment: Deployment) -> Text:
    """What someone with a place needs to know."""
    return lines(
        _("✅ Thank you! You are coming. Your group: {group}.", group=group or 1),
        _("📍 Meeting point: {place}", place=Written(call.meeting_point, call.language)),
        _("🕐 When: {when}", when=when(call, deployment)),
        *(
            (_("🎒 Please bring: {things}", things=Written(call.bring, call.language)),)
            if call.bring
            else ()
        ),
        _("If you cannot come after all, please tap the button below."),
    )


def online_task(call: CrisisCall) -> tuple[Text, ...]:
    """The task for who came too late for a place, if the coordinator gave one."""
    if not call.online_task:
        return ()
    return (
        _(
            "💻 You can still help from home: {task}",
            task=Written(call.online_task, call.language),
        ),
    )
