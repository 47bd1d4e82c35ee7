"""The texts of pushed messages, one per kind of delivery, rendered for each reader."""

from __future__ import annotations

from datetime import date
from functools import cache

from engine.i18n import DateText, Msg, Raw, Text, Written, _, _n, lines, paragraphs
from engine.types import Button
from exchange.matches import HOURS
from exchange.relays import Side
from storage.models import (
    AgencyNote,
    Case,
    CaseKind,
    Feedback,
    HelpRequest,
    Match,
    Opportunity,
    Organisation,
    OrganisationStatus,
    VolunteerProfile,
)
from town.deployment import Deployment
from vocabulary.actions import (
    ACCEPT,
    ANSWER_AGENCY,
    CONFIRM_COMING,
    DECLINE,
    DID_NOT_HAPPEN,
    GIVE_FEEDBACK,
    INTERESTED,
    NO,
    OFFER_SETTINGS,
    OPEN_CASE,
    REPORT_HOURS,
    REPORT_RELAYED,
    YES,
)
from vocabulary.cards import (
    confirmation,
    district_of,
    door_word,
    for_whom,
    kind_in_district,
    kind_of,
    opportunity_card,
    partner,
    partner_name,
    reach,
    spoken_word,
    when_of,
    write_button,
)
from vocabulary.labels import category, language_names
from vocabulary.offices import where_to_go

# Built once: a digest is composed for tens of thousands of volunteers at the same hour.
SETTINGS_BUTTON = Button(OFFER_SETTINGS, _("⚙️ How often I get requests"))


def offer(card: Text, match_id: int) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """One request offered to a volunteer; `card` is its `request_card`."""
    text = paragraphs(_("🔔 Can you help?"), card)
    buttons = (
        (
            Button(f"{ACCEPT}{match_id}", _("✅ I can help")),
            Button(f"{DECLINE}{match_id}", _("✖ Not this time")),
        ),
        (SETTINGS_BUTTON,),
    )
    return text, buttons


@cache
def _numbered(number: int) -> tuple[Text, Text, Text]:
    """The number of an offer in a digest, and the labels of its two buttons."""
    return (
        Raw(f"{number}."),
        _("✅ {number}: I can help", number=number),
        _("✖ {number}: not this time", number=number),
    )


@cache
def _digest_title(count: int) -> Text:
    return _n("🔔 {n} request that fits you:", "🔔 {n} requests that fit you:", count)


def digest(offers: list[tuple[Text, int]]) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """Several offers (request card, match id) in one message, numbered, with a pair of buttons
    per offer."""
    cards: list[Text] = [_digest_title(len(offers))]
    rows: list[tuple[Button, ...]] = []
    for number, (card, match_id) in enumerate(offers, start=1):
        heading, yes, no = _numbered(number)
        cards.append(paragraphs(heading, card))
        rows.append((Button(f"{ACCEPT}{match_id}", yes), Button(f"{DECLINE}{match_id}", no)))
    rows.append((SETTINGS_BUTTON,))
    return paragraphs(*cards), tuple(rows)


def found(
    deployment: Deployment,
    request: HelpRequest,
    profile: VolunteerProfile,
    languages: list[str],
    safety_word: str | None,
    relay_id: int | None,
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """The asker learns the volunteer's first name and languages, and the safety word; they can
    write to the volunteer through the bot."""
    if request.for_other and request.person_name:
        head = _(
            "🎉 Good news: {volunteer} will help {name}.",
            volunteer=Raw(profile.first_name),
            name=Raw(request.person_name),
        )
    else:
        head = _("🎉 Good news: {volunteer} will help you.", volunteer=Raw(profile.first_name))
    text = paragraphs(
        head,
        lines(
            kind_in_district(deployment, request),
            _("🗓 {when}", when=when_of(request)),
            _(
                "🗣 {volunteer} speaks {languages}.",
                volunteer=Raw(profile.first_name),
                languages=language_names(languages),
            ),
        ),
        *((door_word(safety_word, profile.first_name, request),) if safety_word else ()),
    )
    buttons = ((write_button(relay_id, Raw(profile.first_name)),),) if relay_id is not None else ()
    return text, buttons


def reminder(
    deployment: Deployment,
    request: HelpRequest,
    match: Match,
    *,
    soon: bool,
    for_volunteer: bool,
    volunteer_name: str,
    relay_id: int | None,
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """A reminder to either side; the volunteer's the evening before asks them to confirm."""
    head = _("⏰ In two hours:") if soon else _("⏰ Tomorrow:")
    rows: list[tuple[Button, ...]] = []
    word = match.safety_word
    if for_volunteer:
        parts: list[Text] = [
            head,
            lines(
                _("You help {whom}.", whom=for_whom(request)),
                kind_in_district(deployment, request),
                _("🗓 {when}", when=when_of(request)),
            ),
            reach(request, deployment),
            *((spoken_word(word, match.safety_latin),) if word else ()),
        ]
        if not soon and match.confirmed_at is None:
            parts.append(_("Please confirm that you come."))
            rows.append(
                (
                    Button(f"{CONFIRM_COMING}{match.id}:{YES}", _("✅ I am coming")),
                    Button(f"{CONFIRM_COMING}{match.id}:{NO}", _("❌ I cannot after all")),
                )
            )
        to = partner_name(request)
    else:
        parts = [
            head,
            lines(
                _("{volunteer} comes to help.", volunteer=Raw(volunteer_name)),
                _("{kind} · {when}", kind=kind_of(deployment, request), when=when_of(request)),
            ),
            *((door_word(word, volunteer_name, request),) if word else ()),
        ]
        to = Raw(volunteer_name)
    if relay_id is not None:
        rows.append((write_button(relay_id, to),))
    return paragraphs(*parts), tuple(rows)


def confirmed(request: HelpRequest, volunteer_name: str, deployment: Deployment) -> Text:
    """The asker learns that the volunteer confirmed the day before."""
    return _(
        "✅ {volunteer} has confirmed: they come as agreed ({kind}, {when}).",
        volunteer=Raw(volunteer_name),
        kind=kind_of(deployment, request),
        when=when_of(request),
    )


def help_done(request: HelpRequest, volunteer_name: str, deployment: Deployment) -> Text:
    """The asker learns that the volunteer reported the help as done."""
    return _(
        "✔ {volunteer} reports that the help took place ({kind}, {when}). Thank you for using "
        "the volunteer exchange!",
        volunteer=Raw(volunteer_name),
        kind=kind_of(deployment, request),
        when=when_of(request),
    )


def relayed(
    side: Side, text: str | None, language: str, message_id: int, *, media: str
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """A message written through the bot, with a button to answer and one to report it.
    `media` is "photo", "voice" or "" for text."""
    name = Raw(side.partner_name) if side.to_a_relative else partner(side)
    if side.to_a_relative:
        heads = {
            "photo": _("📷 The contact of {name} sends a photo.", name=name),
            "voice": _("🎤 The contact of {name} sends a voice message.", name=name),
            "": _("✉️ The contact of {name} writes:", name=name),
        }
    else:
        heads = {
            "photo": _("📷 {name} sends a photo.", name=name),
            "voice": _("🎤 {name} sends a voice message.", name=name),
            "": _("✉️ {name} writes:", name=name),
        }
    head = heads[media]
    body = lines(head, Written(text, language)) if text else head
    buttons = (
        (
            write_button(side.relay_id, partner(side)),
            Button(f"{REPORT_RELAYED}{message_id}", _("⚠️ Report")),
        ),
    )
    return body, buttons


def calendar_caption(request: HelpRequest, deployment: Deployment, cancelled: bool) -> Text:
    if cancelled:
        return _(
            "📅 Cancelled: {kind}, {when}. Open the file to remove it from your calendar.",
            kind=kind_of(deployment, request),
            when=when_of(request),
        )
    return _(
        "📅 For your calendar: {kind}, {when}. Open the file to add it.",
        kind=kind_of(deployment, request),
        when=when_of(request),
    )


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
            f"{REPORT_HOURS}{match_id}:{h}",
            _n("✅ {n} hour", "✅ {n} hours", h) if h < 4 else _("✅ 4 hours or more"),
        )
        for h in HOURS
    )
    return text, (
        hours[:2],
        hours[2:],
        (Button(f"{REPORT_HOURS}{match_id}:{DID_NOT_HAPPEN}", _("❌ It did not take place")),),
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
            Button(f"{GIVE_FEEDBACK}{match_id}:{Feedback.GOOD}", _("👍 Yes, thank you")),
            Button(f"{GIVE_FEEDBACK}{match_id}:{Feedback.PROBLEM}", _("👎 There was a problem")),
        ),
    )
    return text, buttons


def unmatched(deployment: Deployment, request: HelpRequest, *, coordinated: bool) -> Text:
    """Nobody accepted; `coordinated`: a coordinator of the municipality was alerted (without
    one, the asker is sent to the agency instead of being promised a call nobody will make)."""
    if coordinated:
        sorry = _(
            "We are sorry: nobody has been able to accept your request yet ({kind}, {when}). "
            "A coordinator of {agency} knows about it and will try to find someone personally.",
            kind=kind_of(deployment, request),
            when=when_of(request),
            agency=deployment.agency.name,
        )
    else:
        sorry = _(
            "We are sorry: nobody has been able to accept your request yet ({kind}, {when}). "
            "Please contact {agency} directly: {contact}.",
            kind=kind_of(deployment, request),
            when=when_of(request),
            agency=deployment.agency.name,
            contact=Raw(deployment.agency.contact),
        )
    parts: list[Text] = [sorry]
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
    buttons.append((SETTINGS_BUTTON,))
    return paragraphs(*parts), tuple(buttons)


def interest(
    opportunity: Opportunity,
    profile: VolunteerProfile,
    languages: list[str],
    relay_id: int | None,
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """The organisation learns who is interested, and can write to them through the bot."""
    text = _(
        "🙋 {volunteer} is interested in “{title}” and speaks {languages}. You can write to "
        "them here through the bot.",
        volunteer=Raw(profile.first_name),
        title=Raw(opportunity.title),
        languages=language_names(languages),
    )
    buttons = ((write_button(relay_id, Raw(profile.first_name)),),) if relay_id is not None else ()
    return text, buttons


def organisation_decided(deployment: Deployment, organisation: Organisation) -> Text:
    if organisation.status == OrganisationStatus.APPROVED:
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


CASE_KINDS: dict[CaseKind, Msg] = {
    CaseKind.UNMATCHED: _("🗂 Nobody accepted a request: {kind} in {district}, {when}."),
    CaseKind.CALLBACK: _("🗂 Someone asks to be called back."),
    CaseKind.TALK: _("🤲 A volunteer would like to talk about a help. Confidential."),
    CaseKind.REPORT: _("🗂 A problem was reported: {kind} in {district}, {when}."),
    CaseKind.ORGANISATION: _("🗂 A new organisation waits for approval."),
    CaseKind.POSITION: _("🗂 An opportunity waits for approval."),
    CaseKind.VETTING: _("🗂 A volunteer waits to be vetted."),
    CaseKind.UNCONFIRMED: _("🗂 A volunteer has not confirmed tomorrow's help."),
}


def case_alert(
    deployment: Deployment, case: Case, request: HelpRequest | None
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """Something new in the agency's queue, with a button that opens its card."""
    template = CASE_KINDS[case.kind]
    if request is not None:
        head: Text = Msg(
            template.msgid,
            {
                "kind": kind_of(deployment, request),
                "district": district_of(deployment, request),
                "when": when_of(request),
            },
        )
    elif case.kind in (CaseKind.UNMATCHED, CaseKind.REPORT):
        head = _("🗂 Something new waits in the agency queue.")
    else:
        head = template
    text = paragraphs(head, _("Urgent.")) if case.urgent else head
    return text, ((Button(f"{OPEN_CASE}{case.id}", _("📂 Open")),),)


def assigned(
    deployment: Deployment, request: HelpRequest, match: Match, relay_id: int | None
) -> tuple[Text, tuple[tuple[Button, ...], ...]]:
    """A coordinator arranged the help with the volunteer: the details, as after accepting."""
    head = _("🤝 As agreed with the agency: you help {whom}. Thank you!", whom=for_whom(request))
    return confirmation(deployment, request, match, relay_id, head)


# What the agency tells a person about their case (`exchange.cases.tell`), by kind of note.
AGENCY_NOTES: dict[str, Msg] = {
    "taken_over": _(
        "🙋 A coordinator of {agency} looks after your request personally. "
        "They will get in touch with you."
    ),
    "forwarded": _(
        "👉 A sponsor of your district looks after your request now. "
        "They will get in touch with you."
    ),
    "search_widened": _(
        "🔍 We look for a volunteer again, further away this time. We write to you when someone "
        "is found."
    ),
    "closed_solved": _("✔ {agency}: your request is settled. Thank you!"),
    "closed_not_needed": _("✔ {agency}: we have closed your request. It is no longer needed."),
    "closed_no_volunteer": _(
        "We are sorry: we could not find a volunteer for your request. Please contact us: {contact}"
    ),
    "warned": _(
        "⚠️ {agency}: we have had a complaint about a help. Please be friendly and reliable, "
        "and keep to what was agreed. Questions: {contact}"
    ),
    "paused": _(
        "⏸ {agency}: we have paused your volunteer profile for now. "
        "A coordinator will get in touch with you."
    ),
    "unblocked": _("✅ {agency}: you can use the volunteer exchange again."),
    "vetted": _(
        "✅ {agency}: you are vetted. You now also get requests that need a police certificate."
    ),
    "position_approved": _(
        "✅ Your opportunity “{title}” is approved and now open for volunteers."
    ),
    "position_rejected": _(
        "Your opportunity “{title}” was not approved. Please contact us: {contact}"
    ),
    "certificate_signed": _(
        "🏅 {agency}: a coordinator has checked your hours and signed your certificate (code "
        "{code}). Please collect it from us: {contact}"
    ),
}


def agency_note(
    deployment: Deployment, note: AgencyNote
) -> tuple[Text | None, tuple[tuple[Button, ...], ...]]:
    """A message from the agency; a typed one can be answered."""
    agency, contact = Raw(deployment.agency.name), Raw(deployment.agency.contact)
    if note.kind == "message":
        text = _("✉️ Message from {agency}:\n{text}", agency=agency, text=Raw(note.text or ""))
        return text, ((Button(ANSWER_AGENCY, _("✉️ Answer")),),)
    template = AGENCY_NOTES.get(note.kind)
    if template is None:
        return None, ()
    typed = Raw(note.text or "")
    params = {"agency": agency, "contact": contact, "title": typed, "code": typed}
    used = {key: value for key, value in params.items() if "{" + key + "}" in template.msgid}
    return Msg(template.msgid, used), ()


def certificate_expiring(
    deployment: Deployment, profile: VolunteerProfile, until: date, for_volunteer: bool
) -> Text:
    if for_volunteer:
        return paragraphs(
            _(
                "📄 Your police certificate counts until {day}. Please get a new one and show it "
                "to us, so you keep getting requests that need it.",
                day=DateText(until),
            ),
            where_to_go(deployment),
        )
    return _(
        "📄 The police certificate of {name} counts until {day}.",
        name=Raw(profile.first_name),
        day=DateText(until),
    )
