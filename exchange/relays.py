"""Conversations through the bot: the two sides of a match (the asker, or the relative who asked,
and the volunteer) or of an interest (an organisation and a volunteer) write to each other without
giving out a phone number.

Every message is a row, sealed with its writer's key, and reaches the other side through the
outbox, so it is never lost. A relay opens when a volunteer accepts (or shows interest) and
closes a while after the appointment. The agency reads a relay only when one side reports a
message of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import cases
from exchange.timing import appointment_start
from storage.models import (
    DeliveryKind,
    Donation,
    DonationPair,
    DonationPairState,
    HelpRequest,
    Interest,
    Match,
    MatchState,
    Opportunity,
    Organisation,
    Relay,
    RelayMessage,
    Report,
    RequestStatus,
    User,
    VolunteerProfile,
)
from storage.outbox import enqueue
from storage.sealing import sealer
from town.deployment import Deployment

TEXT_LIMIT = 1000
# What a relay shows of its history when someone opens it.
HISTORY = 5


def _closes_at(deployment: Deployment, request: HelpRequest | None, now: datetime) -> datetime:
    settings = deployment.matching
    if request is not None and request.day is not None:
        start = appointment_start(request.day, request.part_of_day, request.at_time, deployment.tz)
        return max(start + timedelta(hours=settings.relay_hours_after), now)
    return now + timedelta(days=settings.relay_days_without_date)


async def open_for_match(
    session: AsyncSession,
    deployment: Deployment,
    match: Match,
    request: HelpRequest,
    helper_id: int,
    now: datetime,
) -> Relay:
    """The relay of an accepted match, opened once (again, when the volunteer is asked anew)."""
    found = (await session.exec(select(Relay).where(Relay.match_id == match.id))).first()
    relay = found or Relay(
        match_id=match.id, asker_id=request.asker_id, helper_id=helper_id, created_at=now
    )
    relay.asker_id = request.asker_id  # a hand-over may have made a relative the contact
    relay.closes_at = _closes_at(deployment, request, now)
    session.add(relay)
    await session.flush()
    return relay


async def open_for_interest(
    session: AsyncSession,
    deployment: Deployment,
    interest: Interest,
    organisation: Organisation,
    helper_id: int,
    now: datetime,
) -> Relay:
    """The relay between an organisation and a volunteer interested in its opportunity."""
    found = (await session.exec(select(Relay).where(Relay.interest_id == interest.id))).first()
    relay = found or Relay(
        interest_id=interest.id,
        asker_id=organisation.owner_id,
        helper_id=helper_id,
        created_at=now,
    )
    relay.closes_at = _closes_at(deployment, None, now)
    session.add(relay)
    await session.flush()
    return relay


async def open_for_donation(
    session: AsyncSession,
    pair: DonationPair,
    *,
    wisher_id: int,
    giver_id: int,
    closes_at: datetime,
    now: datetime,
) -> Relay:
    """The relay between the giver of a promised item (the helper) and its taker (the asker)."""
    found = (await session.exec(select(Relay).where(Relay.donation_pair_id == pair.id))).first()
    relay = found or Relay(
        donation_pair_id=pair.id, asker_id=wisher_id, helper_id=giver_id, created_at=now
    )
    relay.closes_at = closes_at
    session.add(relay)
    await session.flush()
    return relay


async def close_for_donation(session: AsyncSession, pair_id: int | None, now: datetime) -> None:
    """The promise is off (withdrawn, removed): nothing more can be written in its relay."""
    relay = await of_donation_pair(session, pair_id)
    if relay is not None and (relay.closes_at is None or relay.closes_at > now):
        relay.closes_at = now
        session.add(relay)


async def of_donation_pair(session: AsyncSession, pair_id: int | None) -> Relay | None:
    if pair_id is None:
        return None
    return (await session.exec(select(Relay).where(Relay.donation_pair_id == pair_id))).first()


async def first_name_of(session: AsyncSession, user_id: int) -> str:
    """The person's first name where they gave one (as a volunteer, or asking for themself);
    empty if they never did. Never a surname: nothing else is asked."""
    profile = await session.exec(
        select(VolunteerProfile.first_name).where(VolunteerProfile.user_id == user_id)
    )
    name = profile.first()
    if name:
        return name
    asked = await session.exec(
        select(HelpRequest.person_name)
        .where(HelpRequest.asker_id == user_id, col(HelpRequest.for_other).is_(False))
        .where(col(HelpRequest.person_name).is_not(None))
        .order_by(col(HelpRequest.id).desc())
        .limit(1)
    )
    return asked.first() or ""


async def move_to_contact(session: AsyncSession, request: HelpRequest) -> None:
    """A relative became the contact of a request: its relays now reach them."""
    query = select(Relay).join(Match, col(Match.id) == Relay.match_id)
    for relay in (await session.exec(query.where(Match.request_id == request.id))).all():
        relay.asker_id = request.asker_id
        session.add(relay)


async def close_for_match(session: AsyncSession, match_id: int | None, now: datetime) -> None:
    """The match is off (cancelled, withdrawn): nothing more can be written in its relay."""
    relay = (await session.exec(select(Relay).where(Relay.match_id == match_id))).first()
    if relay is not None and (relay.closes_at is None or relay.closes_at > now):
        relay.closes_at = now
        session.add(relay)


@dataclass(frozen=True)
class Side:
    """A relay as one of its two people sees it: who the other one is, and what it is about."""

    relay: Relay
    partner_id: int
    # The other one's first name (the volunteer's, or the person's helped), or the organisation's.
    partner_name: str
    # What the relay is about: the request (for a match) or the opportunity (for an interest).
    request: HelpRequest | None
    opportunity: Opportunity | None
    # The item given away (for a donation); the partner's name may then be empty (unknown).
    donation: Donation | None = None

    @property
    def relay_id(self) -> int:
        assert self.relay.id is not None
        return self.relay.id

    @property
    def to_a_relative(self) -> bool:
        """The volunteer writes to the relative who asked, not to the person helped."""
        return (
            self.request is not None
            and self.request.for_other
            and (self.relay.helper_id != self.partner_id)
        )


def can_write(side: Side, now: datetime) -> bool:
    """Whether the relay is still open and the help it is about not called off."""
    return (
        side.relay.closes_at is not None
        and side.relay.closes_at > now
        and still_going(side.request)
    )


async def side_of(session: AsyncSession, relay_id: int | None, user_id: int) -> Side | None:
    """The relay, if this person is one of its two sides; None otherwise."""
    if relay_id is None:
        return None
    relay = await session.get(Relay, relay_id)
    if relay is None or user_id not in (relay.asker_id, relay.helper_id):
        return None
    return await _side(session, relay, user_id)


async def _side(session: AsyncSession, relay: Relay, user_id: int) -> Side | None:
    helper_side = user_id == relay.helper_id
    partner_id = relay.asker_id if helper_side else relay.helper_id
    if relay.match_id is not None:
        row = (
            await session.exec(
                select(Match, HelpRequest, VolunteerProfile)
                .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
                .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
                .where(Match.id == relay.match_id)
            )
        ).first()
        if row is None:
            return None
        match, request, profile = row
        if match.state not in (MatchState.ACCEPTED, MatchState.DONE, MatchState.MISSED):
            return None
        name = (request.person_name or "") if helper_side else profile.first_name
        return Side(relay, partner_id, name, request, None)
    if relay.donation_pair_id is not None:
        pair = await session.get(DonationPair, relay.donation_pair_id)
        offer = await session.get(Donation, pair.offer_id) if pair is not None else None
        if pair is None or offer is None or pair.state != DonationPairState.PROMISED:
            return None
        name = await first_name_of(session, partner_id)
        return Side(relay, partner_id, name, None, None, offer)
    row2 = (
        await session.exec(
            select(Interest, Opportunity, Organisation, VolunteerProfile)
            .join(Opportunity, col(Opportunity.id) == Interest.opportunity_id)
            .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
            .join(VolunteerProfile, col(VolunteerProfile.id) == Interest.profile_id)
            .where(Interest.id == relay.interest_id)
        )
    ).first()
    if row2 is None:
        return None
    _interest, opportunity, organisation, profile = row2
    name = organisation.name if helper_side else profile.first_name
    return Side(relay, partner_id, name, None, opportunity)


async def open_sides(session: AsyncSession, user_id: int, now: datetime) -> list[Side]:
    """The person's relays that are still open, the newest first."""
    relays = await session.exec(
        select(Relay)
        .where(or_(col(Relay.asker_id) == user_id, col(Relay.helper_id) == user_id))
        .where(col(Relay.closes_at) > now)
        .order_by(col(Relay.created_at).desc(), col(Relay.id).desc())
    )
    sides = [await _side(session, relay, user_id) for relay in relays.all()]
    return [side for side in sides if side is not None and still_going(side.request)]


async def count_open(session: AsyncSession, user_id: int, now: datetime) -> int:
    """How many open relays the person has (for the menu; cheap, without checking matches)."""
    counted = await session.exec(
        select(func.count())
        .select_from(Relay)
        .where(or_(col(Relay.asker_id) == user_id, col(Relay.helper_id) == user_id))
        .where(col(Relay.closes_at) > now)
    )
    return counted.one()


async def send(
    session: AsyncSession,
    side: Side,
    writer: User,
    *,
    text: str | None = None,
    photo: str | None = None,
    voice: str | None = None,
    now: datetime,
) -> RelayMessage:
    """Keep a message, sealed with its writer's key, and have it delivered to the other side."""
    assert writer.id is not None
    seal = await sealer(session, writer.key)
    message = RelayMessage(
        relay_id=side.relay_id,
        sender_id=writer.id,
        text=seal(text),
        photo=seal(photo),
        voice=seal(voice),
        language=writer.language,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    await enqueue(
        session,
        user_id=side.partner_id,
        kind=DeliveryKind.RELAY,
        subject_id=message.id,
        due_at=now,
        now=now,
    )
    return message


async def history(session: AsyncSession, relay_id: int, last: int = HISTORY) -> list[RelayMessage]:
    """The relay's last messages, oldest first."""
    rows = await session.exec(
        select(RelayMessage)
        .where(RelayMessage.relay_id == relay_id)
        .order_by(col(RelayMessage.id).desc())
        .limit(last)
    )
    return list(reversed(rows.all()))


async def message_to(
    session: AsyncSession, message_id: int | None, user_id: int
) -> tuple[RelayMessage, Side] | None:
    """A relayed message, if it was written to this person."""
    if message_id is None:
        return None
    message = await session.get(RelayMessage, message_id)
    if message is None or message.sender_id == user_id:
        return None
    side = await side_of(session, message.relay_id, user_id)
    return None if side is None else (message, side)


async def report(
    session: AsyncSession,
    deployment: Deployment,
    message: RelayMessage,
    side: Side,
    reporter: User,
    now: datetime,
) -> Report:
    """Someone reports a message they were sent: the agency's queue gets it, with the relay."""
    if side.request is not None:
        municipality, district = side.request.municipality, side.request.district
    elif side.donation is not None:
        municipality, district = side.donation.municipality, side.donation.district
    else:
        municipality, district = (await _organisation_of(session, side)).municipality, ""
    return await cases.file_report(
        session,
        deployment,
        reporter=reporter,
        reported_id=message.sender_id,
        municipality=municipality,
        district=district,
        match_id=side.relay.match_id,
        relay_id=side.relay_id,
        now=now,
    )


async def _organisation_of(session: AsyncSession, side: Side) -> Organisation:
    assert side.opportunity is not None
    organisation = await session.get(Organisation, side.opportunity.organisation_id)
    assert organisation is not None
    return organisation


def still_going(request: HelpRequest | None) -> bool:
    """Whether the help a relay is about has not been called off."""
    return request is None or request.status in (RequestStatus.MATCHED, RequestStatus.DONE)


async def of_match(session: AsyncSession, match_id: int | None) -> Relay | None:
    if match_id is None:
        return None
    return (await session.exec(select(Relay).where(Relay.match_id == match_id))).first()


async def of_interest(session: AsyncSession, interest_id: int | None) -> Relay | None:
    if interest_id is None:
        return None
    return (await session.exec(select(Relay).where(Relay.interest_id == interest_id))).first()


async def written_by(session: AsyncSession, user_id: int) -> list[RelayMessage]:
    """Every message the person wrote through the bot (for their data export)."""
    rows = await session.exec(
        select(RelayMessage).where(RelayMessage.sender_id == user_id).order_by(col(RelayMessage.id))
    )
    return list(rows.all())


async def forget(session: AsyncSession, user_id: int) -> None:
    """The person erases their data: their conversations go, both sides' messages with them."""
    await session.exec(
        delete(Relay).where(or_(col(Relay.asker_id) == user_id, col(Relay.helper_id) == user_id))
    )


async def purge_closed(session: AsyncSession, before: datetime) -> None:
    """Messages of conversations closed before `before` are kept no longer."""
    closed = select(Relay.id).where(col(Relay.closes_at) < before)
    await session.exec(delete(RelayMessage).where(col(RelayMessage.relay_id).in_(closed)))
