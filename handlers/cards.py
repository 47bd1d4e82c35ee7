"""The texts of pushes and of the answers to their buttons, rendered for each reader.

A request is always shown in the reader's language: kind of help, district, day and buttons are
rendered for them; what the asker wrote stays as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Protocol

from handlers.i18n import Raw, Text, Written, _, _n, lines, paragraphs
from handlers.opportunity import REQUIREMENTS
from handlers.opportunity import when_text as opportunity_when
from handlers.request import when_text
from handlers.types import Button
from handlers.vocabulary import CategoryLabel, Joined, category, language_names
from storage.models import HelpRequest, Opportunity, Organisation, VolunteerProfile
from town.deployment import Deployment

# Buttons on pushed messages: "act:<action>:..." (see handlers.offers.ACTIONS).
ACCEPT = "act:offer:yes:"
DECLINE = "act:offer:no:"
CANCEL_MATCH = "act:match:cancel:"
DONE = "act:hours:"
FEEDBACK = "act:feedback:"
OFFER_SETTINGS = "act:settings"
HOURS = (1, 2, 3, 4)


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
    kind = category(deployment, request.category)
    return CategoryLabel(kind) if kind else Raw(request.category)


def district_of(deployment: Deployment, request: Requested) -> Text:
    municipality = deployment.municipality(request.municipality)
    district = municipality.district(request.district) if municipality else None
    return Raw(district.name if district else request.district)


def when_of(request: Requested) -> Text:
    return when_text(
        request.day.isoformat() if request.day else None,
        request.part_of_day,
        request.at_time.strftime("%H:%M") if request.at_time else None,
    )


def request_card(deployment: Deployment, request: Requested) -> Text:
    """What a volunteer sees of a request before accepting it: never the address or phone."""
    return lines(
        _(
            "{kind} in {district}",
            kind=kind_of(deployment, request),
            district=district_of(deployment, request),
        ),
        _("🗓 {when}", when=when_of(request)),
        _("🗣 {languages}", languages=language_names(request.languages)),
        Written(request.description, request.language),
    )


def offer(card: Text, match_id: int) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """One request offered to a volunteer; `card` is its `request_card`."""
    text = paragraphs(_("🔔 Can you help?"), card)
    buttons = (
        (
            Button(f"{ACCEPT}{match_id}", _("✅ I can help")),
            Button(f"{DECLINE}{match_id}", _("✖ Not this time")),
        ),
        (Button(OFFER_SETTINGS, _("⚙️ How often I get requests")),),
    )
    return text, buttons


def digest(offers: list[tuple[Text, int]]) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """Several offers (request card, match id) in one message, numbered, with a pair of buttons
    per offer."""
    title = _n("🔔 {n} request that fits you:", "🔔 {n} requests that fit you:", len(offers))
    cards: list[Text] = [title]
    rows: list[tuple[Button, ...]] = []
    for number, (card, match_id) in enumerate(offers, start=1):
        cards.append(paragraphs(Raw(f"{number}."), card))
        rows.append(
            (
                Button(f"{ACCEPT}{match_id}", _("✅ {number}: I can help", number=number)),
                Button(f"{DECLINE}{match_id}", _("✖ {number}: not this time", number=number)),
            )
        )
    rows.append((Button(OFFER_SETTINGS, _("⚙️ How often I get requests")),))
    return paragraphs(*cards), tuple(rows)


def for_whom(request: HelpRequest) -> Text:
    return (
        Raw(request.person_name)
        if request.for_other and request.person_name
        else _("the person asking")
    )


def accepted(
    deployment: Deployment, request: HelpRequest, match_id: int, safety_word: str | None
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """The volunteer's confirmation, now with the meeting address and phone number."""
    parts: list[Text] = [
        _("🤝 Thank you! You help {whom}.", whom=for_whom(request)),
        request_card(deployment, request),
    ]
    details: list[Text] = []
    if request.address:
        details.append(_("📍 Address: {address}", address=Raw(request.address)))
    if request.person_phone:
        details.append(_("📞 Phone: {phone}", phone=Raw(request.person_phone)))
    if details:
        parts.append(lines(*details))
    if safety_word:
        parts.append(
            _(
                "🔑 Safety word: {word}. Say it at the door, so they know it is you.",
                word=Raw(safety_word),
            )
        )
    parts.append(_("We will remind you the evening before and two hours before."))
    buttons = ((Button(f"{CANCEL_MATCH}{match_id}", _("I cannot come after all")),),)
    return paragraphs(*parts), buttons


def taken() -> Text:
    return _("Thank you! Someone else was quicker this time; the request is taken.")


def declined() -> Text:
    return _("All right, thank you for letting us know.")


def found(
    deployment: Deployment,
    request: HelpRequest,
    profile: VolunteerProfile,
    languages: list[str],
    safety_word: str | None,
) -> Text:
    """The asker learns the volunteer's first name and languages, and the safety word."""
    if request.for_other and request.person_name:
        head = _(
            "🎉 Good news: {volunteer} will help {name}.",
            volunteer=Raw(profile.first_name),
            name=Raw(request.person_name),
        )
    else:
        head = _("🎉 Good news: {volunteer} will help you.", volunteer=Raw(profile.first_name))
    return paragraphs(
        head,
        lines(
            _(
                "{kind} in {district}",
                kind=kind_of(deployment, request),
                district=district_of(deployment, request),
            ),
            _("🗓 {when}", when=when_of(request)),
            _(
                "🗣 {volunteer} speaks {languages}.",
                volunteer=Raw(profile.first_name),
                languages=language_names(languages),
            ),
        ),
        *((_door_word(safety_word, profile.first_name),) if safety_word else ()),
    )


def _door_word(word: str, volunteer: str) -> Text:
    return _(
        "🔑 Safety word: {word}. {volunteer} will say it at the door; only open if it matches.",
        word=Raw(word),
        volunteer=Raw(volunteer),
    )


def reminder(
    deployment: Deployment,
    request: HelpRequest,
    soon: bool,
    for_volunteer: bool,
    volunteer_name: str,
    safety_word: str | None = None,
) -> Text:
    head = _("⏰ In two hours:") if soon else _("⏰ Tomorrow:")
    if for_volunteer:
        body = lines(
            _("You help {whom}.", whom=for_whom(request)),
            _(
                "{kind} in {district}",
                kind=kind_of(deployment, request),
                district=district_of(deployment, request),
            ),
            _("🗓 {when}", when=when_of(request)),
            *(
                (_("📍 Address: {address}", address=Raw(request.address)),)
                if request.address
                else ()
            ),
            *((_("🔑 Safety word: {word}", word=Raw(safety_word)),) if safety_word else ()),
        )
    else:
        body = lines(
            _("{volunteer} comes to help.", volunteer=Raw(volunteer_name)),
            _("{kind} · {when}", kind=kind_of(deployment, request), when=when_of(request)),
            *((_door_word(safety_word, volunteer_name),) if safety_word else ()),
        )
    return paragraphs(head, body)


def follow_up_volunteer(
    deployment: Deployment, request: HelpRequest, match_id: int
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    text = _(
        "Did the help take place? {kind}, {when}. If so, how long did it take?",
        kind=kind_of(deployment, request),
        when=when_of(request),
    )
    hours = tuple(
        Button(
            f"{DONE}{match_id}:{h}",
            _n("✅ {n} hour", "✅ {n} hours", h) if h < 4 else _("✅ 4 hours or more"),
        )
        for h in HOURS
    )
    return text, (
        hours[:2],
        hours[2:],
        (Button(f"{DONE}{match_id}:no", _("❌ It did not take place")),),
    )


def follow_up_asker(
    deployment: Deployment, request: HelpRequest, match_id: int, volunteer_name: str
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    text = _(
        "Did everything go well with {volunteer}'s help? {kind}, {when}.",
        volunteer=Raw(volunteer_name),
        kind=kind_of(deployment, request),
        when=when_of(request),
    )
    buttons = (
        (
            Button(f"{FEEDBACK}{match_id}:good", _("👍 Yes, thank you")),
            Button(f"{FEEDBACK}{match_id}:problem", _("👎 There was a problem")),
        ),
    )
    return text, buttons


def unmatched(deployment: Deployment, request: HelpRequest) -> Text:
    parts: list[Text] = [
        _(
            "We are sorry: nobody has been able to accept your request yet ({kind}, {when}). "
            "A coordinator of {agency} knows about it and will try to find someone personally.",
            kind=kind_of(deployment, request),
            when=when_of(request),
            agency=deployment.agency.name,
        )
    ]
    kind = category(deployment, request.category)
    if kind is not None and kind.referrals:
        services = [
            Raw(" · ".join(p for p in (r.name, r.phone, r.url) if p)) for r in kind.referrals
        ]
        parts.append(paragraphs(_("These services can also help:"), lines(*services)))
    return paragraphs(*parts)


def reported(deployment: Deployment, request: HelpRequest) -> Text:
    return _(
        "⚠️ A problem was reported after the help for request {number} ({kind} in {district}, {when}). "
        "Please get in touch with both sides.",
        number=request.id or 0,
        kind=kind_of(deployment, request),
        district=district_of(deployment, request),
        when=when_of(request),
    )


def coordinator_alert(deployment: Deployment, request: HelpRequest) -> Text:
    return _(
        "⚠️ Nobody accepted request {number}: {kind} in {district}, {when}. Please look for someone personally.",
        number=request.id or 0,
        kind=kind_of(deployment, request),
        district=district_of(deployment, request),
        when=when_of(request),
    )


def expired(deployment: Deployment, request: HelpRequest) -> Text:
    return _(
        "Your request ({kind}, {when}) has closed: its time has passed and nobody could help. "
        "We are sorry. You can ask again at any time from the menu.",
        kind=kind_of(deployment, request),
        when=when_of(request),
    )


def match_cancelled(deployment: Deployment, request: HelpRequest, volunteer_name: str) -> Text:
    return _(
        "{volunteer} cannot come after all ({kind}, {when}). We are looking for someone else and will write to you.",
        volunteer=Raw(volunteer_name),
        kind=kind_of(deployment, request),
        when=when_of(request),
    )


def request_withdrawn(deployment: Deployment, request: HelpRequest) -> Text:
    return _(
        "The request was withdrawn ({kind}, {when}). You do not need to go. Thank you for your readiness!",
        kind=kind_of(deployment, request),
        when=when_of(request),
    )


INTERESTED = "act:interest:"


def opportunity_card(
    deployment: Deployment, opportunity: Opportunity, organisation: Organisation
) -> Text:
    """An organisation's opportunity as a volunteer sees it in the weekly digest."""
    municipality = deployment.municipality(organisation.municipality)
    districts = (
        [Raw(d.name) for d in municipality.districts if d.id in opportunity.districts]
        if municipality
        else []
    )
    kind = category(deployment, opportunity.category)
    rows: list[Text] = [
        _(
            "📢 {title} ({organisation})",
            title=Raw(opportunity.title),
            organisation=Raw(organisation.name),
        ),
        _(
            "{kind} in {district}",
            kind=CategoryLabel(kind) if kind else Raw(opportunity.category),
            district=Joined(districts),
        ),
        _("🗓 {when}", when=opportunity_when(opportunity.day, opportunity.schedule)),
        _n("👥 {n} volunteer needed", "👥 {n} volunteers needed", opportunity.volunteers_needed),
    ]
    if opportunity.requirements:
        rows.append(
            _(
                "✔️ {requirements}",
                requirements=Joined(
                    [REQUIREMENTS[r] for r in opportunity.requirements if r in REQUIREMENTS]
                ),
            )
        )
    rows.append(Written(opportunity.description, opportunity.language))
    return lines(*rows)


def opportunities(
    deployment: Deployment, items: list[tuple[Opportunity, Organisation]]
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    title = _n(
        "📢 {n} new opportunity of an organisation near you:",
        "📢 {n} new opportunities of organisations near you:",
        len(items),
    )
    parts: list[Text] = [title]
    buttons: list[tuple[Button, ...]] = []
    for number, (opportunity, organisation) in enumerate(items, start=1):
        parts.append(
            paragraphs(Raw(f"{number}."), opportunity_card(deployment, opportunity, organisation))
        )
        buttons.append(
            (
                Button(
                    f"{INTERESTED}{opportunity.id}", _("🙋 {number}: I'm interested", number=number)
                ),
            )
        )
    buttons.append((Button(OFFER_SETTINGS, _("⚙️ How often I get requests")),))
    return paragraphs(*parts), tuple(buttons)


def interest(
    opportunity: Opportunity,
    profile: VolunteerProfile,
    languages: list[str],
    deployment: Deployment,
) -> Text:
    """The organisation learns who is interested; the coordinators put them in touch."""
    return _(
        "🙋 {volunteer} is interested in “{title}” and speaks {languages}. "
        "The coordinators of {agency} will put you in touch.",
        volunteer=Raw(profile.first_name),
        title=Raw(opportunity.title),
        languages=language_names(languages),
        agency=deployment.agency.name,
    )


def organisation_decided(deployment: Deployment, organisation: Organisation) -> Text:
    if organisation.status == "approved":
        return _(
            "✅ {name} has been approved. You can now post opportunities for volunteers in the "
            "menu under 🏛️ Our organisation.",
            name=Raw(organisation.name),
        )
    return _(
        "We could not approve the registration of {name}. Please get in touch with us: {contact}",
        name=Raw(organisation.name),
        contact=deployment.agency.contact,
    )
