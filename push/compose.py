"""Composing due pushes: each delivery, in its reader's language, by one function per kind.

Offers due together for one volunteer become one digest, and so do announced opportunities; every
other kind is one message. A delivery whose subject changed meanwhile (an offer taken, a match
cancelled) composes to None: it is marked sent without a message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.i18n import Raw, Text, Translator, _, lines
from engine.types import Button, OutgoingFile, Reply
from exchange import appointments, matches, relays, staff, vetting, volunteers
from push import cards, crisis, documents, donations, events, news
from storage.models import (
    AgencyNote,
    Case,
    CaseKind,
    CaseStatus,
    DeliveryKind,
    HelpRequest,
    Interest,
    Match,
    MatchState,
    Opportunity,
    OpportunityStatus,
    Organisation,
    RelayMessage,
    Report,
    RequestStatus,
    VolunteerProfile,
    table_of,
)
from storage.outbox import Addressee, Due
from town.deployment import Deployment
from vocabulary import calendar
from vocabulary.cards import district_of, kind_of, request_card

log = logging.getLogger(__name__)

# A reply (None: nothing left to say) and the deliveries it answers.
Message = tuple[Reply | None, list[int]]
Recipient = tuple[Addressee, list[Due]]
Rendered = tuple[Text | None, tuple[tuple[Button, ...], ...]]


@dataclass(slots=True)
class OfferedRequest:
    """What an offer shows of its request (never the address or phone)."""

    id: int
    category: str
    municipality: str
    district: str
    day: date | None
    part_of_day: str | None
    at_time: time | None
    languages: tuple[str, ...]
    description: str
    language: str
    updated_at: datetime


@dataclass
class Cards:
    """What offers show of their requests, loaded and built once per version of each request."""

    deployment: Deployment
    requests: dict[int, OfferedRequest] = field(default_factory=dict)
    built: dict[tuple[int, datetime], Text] = field(default_factory=dict)

    def card(self, request: OfferedRequest) -> Text:
        key = (request.id, request.updated_at)
        found = self.built.get(key)
        if found is None:
            found = self.built[key] = request_card(self.deployment, request)
        return found

    async def load(self, session: AsyncSession, versions: dict[int, datetime]) -> None:
        """Have these requests (id -> when last changed) at hand, in that version."""
        stale = [
            request_id
            for request_id, updated_at in versions.items()
            if (known := self.requests.get(request_id)) is None or known.updated_at != updated_at
        ]
        r = table_of(HelpRequest).c
        connection = await session.connection()
        for start in range(0, len(stale), 1_000):
            rows = await connection.execute(
                sa.select(
                    r.id,
                    r.category,
                    r.municipality,
                    r.district,
                    r.day,
                    r.part_of_day,
                    r.at_time,
                    r.languages,
                    r.description,
                    r.language,
                    r.updated_at,
                ).where(r.id.in_(stale[start : start + 1_000]))
            )
            for row in rows.all():
                facts = list(row)
                facts[7] = tuple(facts[7] or ())
                self.requests[row[0]] = OfferedRequest(*facts)


@dataclass
class Batch:
    """What the deliveries of a batch speak of, loaded together, and the session to load more."""

    session: AsyncSession
    deployment: Deployment
    offers: dict[int, OfferedRequest]  # match id -> its request, for offers still open
    opportunities: dict[int, tuple[Opportunity, Organisation]]
    cards: Cards
    now: datetime

    @property
    def translator(self) -> Translator:
        """For what is rendered before a channel sees it: the texts inside files."""
        return _translator()


async def compose_all(
    session: AsyncSession,
    deployment: Deployment,
    recipients: Sequence[Recipient],
    built: Cards | None = None,
    *,
    now: datetime | None = None,
) -> list[list[Message]]:
    """Each recipient's due deliveries as messages in their language.

    What offers and announcements speak of is loaded for all recipients at once; `built` carries
    request cards from batch to batch."""
    due = [d for _user, deliveries in recipients for d in deliveries if d.subject_id is not None]
    known = built or Cards(deployment)
    batch = Batch(
        session,
        deployment,
        await _open_offers(
            session, known, [d.subject_id for d in due if d.kind == DeliveryKind.OFFER]
        ),
        await _open_opportunities(
            session, [d.subject_id for d in due if d.kind == DeliveryKind.OPPORTUNITY]
        ),
        known,
        now or datetime.now(UTC),
    )
    return [await _compose(batch, user, deliveries) for user, deliveries in recipients]


async def _open_offers(
    session: AsyncSession, known: Cards, match_ids: list[int | None]
) -> dict[int, OfferedRequest]:
    """The offers among these matches still open (match id -> its request)."""
    m, r = table_of(Match).c, table_of(HelpRequest).c
    connection = await session.connection()
    open_offers: dict[int, int] = {}
    versions: dict[int, datetime] = {}
    for start in range(0, len(match_ids), 1_000):
        rows = await connection.execute(
            sa.select(m.id, r.id, r.updated_at)
            .join_from(table_of(Match), table_of(HelpRequest), r.id == m.request_id)
            .where(m.id.in_(match_ids[start : start + 1_000]))
            .where(m.state == MatchState.OFFERED, r.status == RequestStatus.OPEN)
        )
        for match_id, request_id, updated_at in rows.all():
            open_offers[match_id] = request_id
            versions[request_id] = updated_at
    await known.load(session, versions)
    return {match_id: known.requests[request_id] for match_id, request_id in open_offers.items()}


async def _open_opportunities(
    session: AsyncSession, ids: list[int | None]
) -> dict[int, tuple[Opportunity, Organisation]]:
    if not ids:
        return {}
    rows = await session.exec(
        select(Opportunity, Organisation)
        .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
        .where(
            col(Opportunity.id).in_(sorted({i for i in ids if i is not None})),
            Opportunity.status == OpportunityStatus.OPEN,
        )
    )
    return {o.id: (o, org) for o, org in rows.all() if o.id is not None}


async def _compose(batch: Batch, user: Addressee, deliveries: Sequence[Due]) -> list[Message]:
    messages: list[Message] = []
    for kind, together in GROUPED.items():
        of_kind = [d for d in deliveries if d.kind == kind]
        if of_kind:
            messages.append(together(batch, user.language, of_kind))
    for delivery in deliveries:
        if delivery.kind in GROUPED:
            continue
        whole = WHOLE.get(delivery.kind)
        if whole is not None:
            messages.append((await whole(batch, user, delivery), [delivery.id]))
            continue
        compose = SINGLE.get(delivery.kind)
        if compose is None:
            log.warning("no way to compose a delivery of kind %s", delivery.kind)
            messages.append((None, [delivery.id]))
            continue
        text, buttons = await compose(batch, user, delivery)
        if text is None:
            messages.append((None, [delivery.id]))
            continue
        about = await _about(batch, user, delivery)
        messages.append((Reply(text, user.language, buttons, about=about), [delivery.id]))
    return messages


# Kinds whose message shows the other side of a match (a name, an address, a safety word).
MENTIONING_THE_OTHER_SIDE = frozenset(
    {
        DeliveryKind.FOUND,
        DeliveryKind.ASSIGNED,
        DeliveryKind.REMINDER_EVENING,
        DeliveryKind.REMINDER_SOON,
        DeliveryKind.FOLLOWUP_VOLUNTEER,
        DeliveryKind.FOLLOWUP_ASKER,
        DeliveryKind.MATCH_CANCELLED,
        DeliveryKind.CONFIRMED,
        DeliveryKind.HELP_DONE,
    }
)


async def _about(batch: Batch, user: Addressee, delivery: Due) -> tuple[int, ...]:
    """The people other than the reader whose details the message shows."""
    if delivery.kind in MENTIONING_THE_OTHER_SIDE:
        found = await _match(batch, delivery)
        if found is None:
            return ()
        sides = {found.request.asker_id, found.profile.user_id}
    elif delivery.kind == DeliveryKind.RELAY:
        message = await batch.session.get(RelayMessage, delivery.subject_id)
        sides = {message.sender_id} if message is not None else set()
    elif delivery.kind == DeliveryKind.INTEREST:
        interested = await batch.session.exec(
            select(VolunteerProfile.user_id)
            .join(Interest, col(Interest.profile_id) == VolunteerProfile.id)
            .where(Interest.id == delivery.subject_id)
        )
        sides = set(interested.all())
    else:
        return ()
    return tuple(sorted(sides - {user.id}))


# --- offers and announcements, grouped per recipient -------------------------------------------


def _offers(batch: Batch, language: str, deliveries: Sequence[Due]) -> Message:
    ids = [d.id for d in deliveries]
    live = sorted(
        (
            (request, match_id)
            for match_id in {d.subject_id for d in deliveries}
            if match_id is not None and (request := batch.offers.get(match_id)) is not None
        ),
        key=lambda item: (item[0].day is None, item[0].day, item[1]),
    )
    if not live:
        return None, ids
    if len(live) == 1:
        request, match_id = live[0]
        text, buttons = cards.offer(batch.cards.card(request), match_id)
    else:
        text, buttons = cards.digest(
            [(batch.cards.card(request), match_id) for request, match_id in live]
        )
    return Reply(text, language, buttons), ids


def _opportunities(batch: Batch, language: str, deliveries: Sequence[Due]) -> Message:
    ids = [d.id for d in deliveries]
    items = [
        batch.opportunities[subject]
        for subject in sorted({d.subject_id for d in deliveries if d.subject_id is not None})
        if subject in batch.opportunities
    ]
    if not items:
        return None, ids
    text, buttons = cards.opportunities(batch.deployment, items)
    return Reply(text, language, buttons), ids


GROUPED: dict[DeliveryKind, Callable[[Batch, str, Sequence[Due]], Message]] = {
    DeliveryKind.OFFER: _offers,
    DeliveryKind.OPPORTUNITY: _opportunities,
}


# --- one message per delivery -------------------------------------------------------------------


async def _request(batch: Batch, delivery: Due) -> HelpRequest | None:
    return await batch.session.get(HelpRequest, delivery.subject_id)


async def _expired(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    request = await _request(batch, delivery)
    return (cards.expired(batch.deployment, request) if request else None), ()


async def _unmatched(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    request = await _request(batch, delivery)
    if request is None or request.status != RequestStatus.OPEN:
        return None, ()
    alerted = await staff.staff_of(
        batch.session, batch.deployment, request.municipality, request.district
    )
    return cards.unmatched(batch.deployment, request, coordinated=bool(alerted)), ()


async def _coordinator_alert(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    request = await _request(batch, delivery)
    still_open = request is not None and request.status == RequestStatus.OPEN
    alert = cards.coordinator_alert(batch.deployment, request) if request and still_open else None
    return alert, ()


async def _report(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    session = batch.session
    entry = await session.get(Report, delivery.subject_id)
    match = await session.get(Match, entry.match_id) if entry and entry.match_id else None
    request = await session.get(HelpRequest, match.request_id) if match else None
    return (cards.reported(batch.deployment, request) if request else None), ()


async def _organisation_decided(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    organisation = await batch.session.get(Organisation, delivery.subject_id)
    decided = cards.organisation_decided(batch.deployment, organisation) if organisation else None
    return decided, ()


async def _interest(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = (
        await batch.session.exec(
            select(Interest, Opportunity, VolunteerProfile)
            .join(Opportunity, col(Opportunity.id) == Interest.opportunity_id)
            .join(VolunteerProfile, col(VolunteerProfile.id) == Interest.profile_id)
            .where(Interest.id == delivery.subject_id)
        )
    ).first()
    if found is None:
        return None, ()
    interest, opportunity, profile = found
    languages = await volunteers.languages_of(batch.session, profile.id)
    relay = await relays.of_interest(batch.session, interest.id)
    return cards.interest(opportunity, profile, languages, relay.id if relay else None)


async def _match(batch: Batch, delivery: Due) -> matches.Found | None:
    if delivery.subject_id is None:
        return None
    return await matches.by_id(batch.session, delivery.subject_id)


async def _match_cancelled(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _match(batch, delivery)
    if found is None:
        return None, ()
    return cards.match_cancelled(batch.deployment, found.request, found.profile.first_name), ()


async def _request_withdrawn(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _match(batch, delivery)
    return (cards.request_withdrawn(batch.deployment, found.request) if found else None), ()


async def _planned(batch: Batch, delivery: Due) -> matches.Found | None:
    """The match, if its help is still planned (not cancelled or withdrawn meanwhile)."""
    found = await _match(batch, delivery)
    return found if found is not None and found.still_planned else None


async def _found(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _planned(batch, delivery)
    if found is None:
        return None, ()
    languages = await volunteers.languages_of(batch.session, found.profile.id)
    word = found.match.safety_word
    relay = await relays.of_match(batch.session, found.match_id)
    relay_id = relay.id if relay is not None else None
    return cards.found(batch.deployment, found.request, found.profile, languages, word, relay_id)


def _still_true(batch: Batch, request: HelpRequest, soon: bool) -> bool:
    """Whether a reminder still says the truth: "tomorrow" before the day, "in two hours"
    before the start. One that waited past that (the bot was down) is dropped, not sent late."""
    if request.day is None:
        return False
    tz = batch.deployment.tz
    if not soon:
        return batch.now.astimezone(tz).date() < request.day
    start, _end = appointments.window(request.day, request.part_of_day, request.at_time, tz)
    return batch.now < start


async def _reminder(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _planned(batch, delivery)
    soon = delivery.kind == DeliveryKind.REMINDER_SOON
    if found is None or not _still_true(batch, found.request, soon):
        return None, ()
    relay = await relays.of_match(batch.session, found.match_id)
    return cards.reminder(
        batch.deployment,
        found.request,
        found.match,
        soon=soon,
        for_volunteer=found.profile.user_id == user.id,
        volunteer_name=found.profile.first_name,
        relay_id=relay.id if relay is not None else None,
    )


async def _confirmed(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _planned(batch, delivery)
    if found is None:
        return None, ()
    return cards.confirmed(found.request, found.profile.first_name, batch.deployment), ()


async def _help_done(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _match(batch, delivery)
    if found is None or found.match.state != MatchState.DONE:
        return None, ()
    return cards.help_done(found.request, found.profile.first_name, batch.deployment), ()


async def _follow_up_volunteer(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _planned(batch, delivery)
    if found is None:
        return None, ()
    return cards.follow_up_volunteer(batch.deployment, found.request, found.match_id)


async def _follow_up_asker(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _planned(batch, delivery)
    if found is None:
        return None, ()
    name = found.profile.first_name
    return cards.follow_up_asker(batch.deployment, found.request, found.match_id, name)


async def _case(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    case = await batch.session.get(Case, delivery.subject_id)
    if case is None or case.status == CaseStatus.CLOSED:
        return None, ()
    request: HelpRequest | None = None
    if case.kind == CaseKind.UNMATCHED and case.subject_id is not None:
        request = await batch.session.get(HelpRequest, case.subject_id)
    elif case.kind == CaseKind.REPORT and case.subject_id is not None:
        entry = await batch.session.get(Report, case.subject_id)
        match = await batch.session.get(Match, entry.match_id) if entry and entry.match_id else None
        request = await batch.session.get(HelpRequest, match.request_id) if match else None
    return cards.case_alert(batch.deployment, case, request)


async def _assigned(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    found = await _planned(batch, delivery)
    if found is None:
        return None, ()
    relay = await relays.of_match(batch.session, found.match_id)
    relay_id = relay.id if relay is not None else None
    return cards.assigned(batch.deployment, found.request, found.match, relay_id)


async def _agency_note(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    note = await batch.session.get(AgencyNote, delivery.subject_id)
    return cards.agency_note(batch.deployment, note) if note is not None else (None, ())


async def _certificate_expiring(batch: Batch, user: Addressee, delivery: Due) -> Rendered:
    profile = await batch.session.get(VolunteerProfile, delivery.subject_id)
    if profile is None or profile.certificate_issued_on is None or not profile.verified:
        return None, ()
    until = vetting.valid_until(batch.deployment, profile.certificate_issued_on)
    mine = profile.user_id == user.id
    return cards.certificate_expiring(batch.deployment, profile, until, mine), ()


# --- messages with a file, a photo or a voice message --------------------------------------------


async def _relayed(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """A message written through the bot, passed on as it was written (text, photo or voice)."""
    found = await relays.message_to(batch.session, delivery.subject_id, user.id)
    if found is None:
        return None
    message, side = found
    media = "photo" if message.photo else "voice" if message.voice else ""
    assert message.id is not None
    text, buttons = cards.relayed(side, message.text, message.language, message.id, media=media)
    return Reply(
        text,
        user.language,
        buttons,
        photo=message.photo,
        voice=message.voice,
        about=(message.sender_id,),
    )


@cache
def _translator() -> Translator:
    """For what is rendered before a channel sees it: the texts inside calendar files."""
    return Translator()


async def _calendar(batch: Batch, user: Addressee, delivery: Due) -> Reply | None:
    """The appointment as a calendar file in the reader's language, or its cancellation. It
    names no one and no address (a file sent cannot be edited when someone erases their data):
    the kind of help, the district, the agency and the safety word."""
    found = await _match(batch, delivery)
    cancelled = delivery.kind == DeliveryKind.CALENDAR_CANCELLED
    if found is None or found.request.day is None:
        return None
    if not cancelled and not found.still_planned:
        return None
    request, match, day = found.request, found.match, found.request.day
    tr, language = _translator(), user.language
    word = match.safety_word or ""
    if found.profile.user_id == user.id and match.safety_latin and match.safety_latin != word:
        word = f"{word} ({match.safety_latin})"
    description = lines(
        _("Volunteer exchange: {agency}", agency=Raw(batch.deployment.agency.name)),
        *((_("Safety word: {word}", word=Raw(word)),) if word else ()),
    )
    start, end = appointments.window(day, request.part_of_day, request.at_time, batch.deployment.tz)
    content = calendar.appointment(
        uid=f"match-{match.id}@ehrenamtsboerse",
        start=start,
        end=end,
        summary=tr.render(kind_of(batch.deployment, request), language),
        location=tr.render(district_of(batch.deployment, request), language),
        description=tr.render(description, language),
        stamp=batch.now,
        sequence=1 if cancelled else 0,
        cancelled=cancelled,
    )
    caption = cards.calendar_caption(request, batch.deployment, cancelled)
    file = OutgoingFile(f"appointment-{match.id}.ics", content, "text/calendar")
    return Reply(caption, language, file=file)


WHOLE: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Reply | None]]] = {
    DeliveryKind.RELAY: _relayed,
    DeliveryKind.CALENDAR: _calendar,
    DeliveryKind.CALENDAR_CANCELLED: _calendar,
}


SINGLE: dict[DeliveryKind, Callable[[Batch, Addressee, Due], Awaitable[Rendered]]] = {
    DeliveryKind.FOUND: _found,
    DeliveryKind.REMINDER_EVENING: _reminder,
    DeliveryKind.REMINDER_SOON: _reminder,
    DeliveryKind.FOLLOWUP_VOLUNTEER: _follow_up_volunteer,
    DeliveryKind.FOLLOWUP_ASKER: _follow_up_asker,
    DeliveryKind.MATCH_CANCELLED: _match_cancelled,
    DeliveryKind.REQUEST_WITHDRAWN: _request_withdrawn,
    DeliveryKind.EXPIRED: _expired,
    DeliveryKind.UNMATCHED: _unmatched,
    DeliveryKind.COORDINATOR_ALERT: _coordinator_alert,
    DeliveryKind.REPORT: _report,
    DeliveryKind.INTEREST: _interest,
    DeliveryKind.ORGANISATION_DECIDED: _organisation_decided,
    DeliveryKind.CASE: _case,
    DeliveryKind.ASSIGNED: _assigned,
    DeliveryKind.AGENCY_NOTE: _agency_note,
    DeliveryKind.CERTIFICATE_EXPIRING: _certificate_expiring,
    DeliveryKind.CONFIRMED: _confirmed,
    DeliveryKind.HELP_DONE: _help_done,
}

# The agency's community life, each part composed in its own module.
WHOLE.update(crisis.COMPOSERS)
WHOLE.update(documents.COMPOSERS)
WHOLE.update(donations.COMPOSERS)
WHOLE.update(events.COMPOSERS)
WHOLE.update(news.COMPOSERS)

if set(SINGLE) | set(GROUPED) | set(WHOLE) != set(DeliveryKind):  # a new kind needs its composer
    raise ImportError(
        f"no composer for {set(DeliveryKind) - set(SINGLE) - set(GROUPED) - set(WHOLE)}"
    )
