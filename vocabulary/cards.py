"""How a request and an opportunity are shown, in offers, reminders and answers to buttons alike.

A request is always shown in the reader's language: kind of help, district, day and buttons are
rendered for them; what the asker wrote stays as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Protocol

from engine.i18n import Raw, Text, Written, _, _n, lines, paragraphs
from engine.types import Button
from exchange.relays import Side
from storage.models import HelpRequest, Match, Opportunity, Organisation
from town.deployment import Deployment
from vocabulary.actions import CANCEL_MATCH, WRITE_RELAY
from vocabulary.labels import (
    Joined,
    kind_label,
    language_names,
    requirement_names,
    schedule_text,
    when_text,
)


class Requested(Protocol):
    """What a request card shows: a stored request, or the same facts loaded without the ORM."""

    @property
    def category(self) -> str: ...
    @property
    def municipality(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def day(self) -> date | None: ...
    @property
    def part_of_day(self) -> str | None: ...
    @property
    def at_time(self) -> time | None: ...
    @property
    def languages(self) -> Sequence[str]: ...
    @property
    def description(self) -> str: ...
    @property
    def language(self) -> str: ...


def kind_of(deployment: Deployment, request: Requested) -> Text:
    return kind_label(deployment, request.category)


def district_of(deployment: Deployment, request: Requested) -> Text:
    municipality = deployment.municipality(request.municipality)
    district = municipality.district(request.district) if municipality else None
    return Raw(district.name if district else request.district)


def when_of(request: Requested) -> Text:
    return when_text(request.day, request.part_of_day, request.at_time)


def kind_in_district(deployment: Deployment, request: Requested) -> Text:
    return _(
        "{kind} in {district}",
        kind=kind_of(deployment, request),
        district=district_of(deployment, request),
    )


def request_card(deployment: Deployment, request: Requested) -> Text:
    """What a volunteer sees of a request before accepting it: never the address or phone."""
    return lines(
        kind_in_district(deployment, request),
        _("🗓 {when}", when=when_of(request)),
        _("🗣 {languages}", languages=language_names(request.languages)),
        Written(request.description, request.language),
    )


def for_whom(request: HelpRequest) -> Text:
    return Raw(request.person_name) if request.person_name else _("the person asking")


def door_word(word: str, volunteer: str, request: HelpRequest) -> Text:
    """The safety word as the asker reads it, saying who must hear it: they themself, or the
    person they asked for, who opens the door."""
    if request.for_other and request.person_name:
        return _(
            "🔑 Safety word: {word}. Please tell {name} this word. {volunteer} will say it at "
            "the door; {name} should only open if it matches.",
            word=Raw(word),
            volunteer=Raw(volunteer),
            name=Raw(request.person_name),
        )
    return _(
        "🔑 Safety word: {word}. {volunteer} will say it at your door; only open if it matches.",
        word=Raw(word),
        volunteer=Raw(volunteer),
    )


def spoken_word(word: str, latin: str | None) -> Text:
    """The safety word as the volunteer reads it: in Latin letters too where its script differs."""
    if latin and latin != word:
        return _(
            "🔑 Safety word: {word} (say: {latin}). Say it at the door, so they know it is you.",
            word=Raw(word),
            latin=Raw(latin),
        )
    return _("🔑 Safety word: {word}. Say it at the door, so they know it is you.", word=Raw(word))


def partner_name(request: HelpRequest) -> Text:
    """Whom the volunteer writes to through the bot: the asker, or the contact of the person."""
    if request.for_other and request.person_name:
        return _("the contact of {name}", name=Raw(request.person_name))
    return Raw(request.person_name) if request.person_name else _("the person asking")


def partner(side: Side) -> Text:
    """Whom someone writes to in a relay, as they read it."""
    if side.to_a_relative and side.request is not None:
        return partner_name(side.request)
    if not side.partner_name and side.donation is not None:
        # Someone who never gave a first name: named by their part, without an article, so
        # that it reads in every case ("Gespräch mit Spender·in").
        if side.partner_id == side.relay.helper_id:
            return _("giver")
        return _("taker")
    return Raw(side.partner_name)


def write_button(relay_id: int, to: Text) -> Button:
    return Button(f"{WRITE_RELAY}{relay_id}", _("✉️ Message to {name}", name=to))


def reach(request: HelpRequest, deployment: Deployment) -> Text:
    """Who the volunteer helps, where they meet and how they reach them: always all three."""
    rows: list[Text] = []
    if request.person_name:
        rows.append(_("👤 {name}", name=Raw(request.person_name)))
    if request.address:
        rows.append(_("📍 Address: {address}", address=Raw(request.address)))
    else:
        rows.append(
            _(
                "📍 {district}: please agree the meeting point in the chat.",
                district=district_of(deployment, request),
            )
        )
    if request.person_phone:
        rows.append(_("📞 Phone: {phone}", phone=Raw(request.person_phone)))
    rows.append(_("✉️ You can write through the bot: the button below."))
    return lines(*rows)


def opportunity_card(
    deployment: Deployment, opportunity: Opportunity, organisation: Organisation
) -> Text:
    """An organisation's opportunity as a volunteer sees it."""
    municipality = deployment.municipality(organisation.municipality)
    districts = (
        [Raw(d.name) for d in municipality.districts if d.id in opportunity.districts]
        if municipality
        else []
    )
    rows: list[Text] = [
        _(
            "📢 {title} ({organisation})",
            title=Raw(opportunity.title),
            organisation=Raw(organisation.name),
        ),
        _(
            "{kind} in {district}",
            kind=kind_label(deployment, opportunity.category),
            district=Joined(districts),
        ),
        _("🗓 {when}", when=schedule_text(opportunity.day, opportunity.schedule)),
        _n("👥 {n} volunteer needed", "👥 {n} volunteers needed", opportunity.volunteers_needed),
    ]
    if opportunity.requirements:
        rows.append(_("✔️ {requirements}", requirements=requirement_names(opportunity.requirements)))
    rows.append(Written(opportunity.description, opportunity.language))
    return lines(*rows)


def confirmation(
    deployment: Deployment,
    request: HelpRequest,
    match: Match,
    relay_id: int | None,
    head: Text,
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """What the volunteer who helps reads: the request, whom they help, where and how to reach
    them, the safety word; a button to write through the bot and one to cancel."""
    parts: list[Text] = [head, request_card(deployment, request), reach(request, deployment)]
    if match.safety_word:
        parts.append(spoken_word(match.safety_word, match.safety_latin))
    parts.append(_("We will remind you the evening before and two hours before."))
    rows: list[tuple[Button, ...]] = []
    if relay_id is not None:
        rows.append((write_button(relay_id, partner_name(request)),))
    rows.append((Button(f"{CANCEL_MATCH}{match.id}", _("I cannot come after all")),))
    return paragraphs(*parts), tuple(rows)
