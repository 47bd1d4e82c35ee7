"""A person's rights: everything stored about them (GDPR Art. 15 and 20), and erasure (Art. 17).

What statistics need (kinds of help, districts, dates, hours) stays, without anyone's name,
contact, address or words; personal details of finished requests are erased after a while, and
the dialogue state of people who never consented soon after they stopped writing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import crisis, documents, donations, events, newsletters, relays
from exchange.requests import withdraw
from exchange.safeguarding import withdraw_offers
from exchange.volunteers import PROFILE_SETS
from storage import mentions, replies
from storage.models import (
    AgencyNote,
    Case,
    CaseStatus,
    Certificate,
    Conversation,
    Delivery,
    DeliveryKind,
    Donation,
    DonationStatus,
    EventSignup,
    HelpRequest,
    Interest,
    Match,
    MatchState,
    Opportunity,
    Organisation,
    Report,
    RequestStatus,
    StaffRole,
    User,
    VolunteerProfile,
)
from storage.sealing import keyring_of
from town.deployment import Deployment

# Offers an asker never learns of: whom their request was offered to, or who said no.
UNSEEN = (MatchState.OFFERED, MatchState.DECLINED, MatchState.TAKEN, MatchState.WITHDRAWN)
FINISHED = (RequestStatus.DONE, RequestStatus.CANCELLED, RequestStatus.EXPIRED)
DONATIONS_FINISHED = (
    DonationStatus.GIVEN,
    DonationStatus.EXPIRED,
    DonationStatus.WITHDRAWN,
    DonationStatus.REMOVED,
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _row(model: SQLModel) -> dict[str, Any]:
    return {key: _plain(value) for key, value in model.model_dump().items()}


async def export(session: AsyncSession, key: str) -> dict[str, Any]:
    """Everything stored about the person with this key, as plain JSON-ready values."""
    data: dict[str, Any] = {}
    conversation = await session.get(Conversation, key)
    if conversation is not None:
        data["conversation"] = _row(conversation)
    user = (await session.exec(select(User).where(User.key == key))).first()
    if user is None:
        return data
    data["user"] = _row(user)
    profile = (
        await session.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    ).first()
    if profile is not None:
        data["volunteer_profile"] = _row(profile)
        for model in PROFILE_SETS:
            rows = await session.exec(select(model).where(col(model.profile_id) == profile.id))
            data[str(model.__tablename__)] = [_row(r) for r in rows.all()]
        matches = await session.exec(select(Match).where(Match.profile_id == profile.id))
        data["offers_received"] = [_row(m) for m in matches.all()]
        interests = await session.exec(select(Interest).where(Interest.profile_id == profile.id))
        data["interests"] = [_row(i) for i in interests.all()]
    requests = (
        await session.exec(select(HelpRequest).where(HelpRequest.asker_id == user.id))
    ).all()
    data["help_requests"] = [_row(r) for r in requests]
    # Who was asked to help with one's requests, and what came of it (the volunteer's first
    # name, as the asker was told it, and nothing else of theirs).
    helped = await session.exec(
        select(Match, VolunteerProfile.first_name)
        .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
        .where(col(Match.request_id).in_([r.id for r in requests]))
        .where(col(Match.state).not_in(UNSEEN))
    )
    data["matches_of_my_requests"] = [
        {"volunteer_first_name": name, **_row(m)} for m, name in helped.all()
    ]
    filed = await session.exec(select(Report).where(Report.reporter_id == user.id))
    data["reports_filed"] = [_row(r) for r in filed.all()]
    about = await session.exec(select(Report).where(Report.reported_id == user.id))
    data["reports_about_me"] = [_row(r) for r in about.all()]
    organisations = (
        await session.exec(select(Organisation).where(Organisation.owner_id == user.id))
    ).all()
    data["organisations"] = [_row(o) for o in organisations]
    if organisations:
        ids = [o.id for o in organisations]
        posted = await session.exec(
            select(Opportunity).where(col(Opportunity.organisation_id).in_(ids))
        )
        data["opportunities"] = [_row(o) for o in posted.all()]
    deliveries = await session.exec(select(Delivery).where(Delivery.user_id == user.id))
    data["messages_planned_or_sent"] = [_row(d) for d in deliveries.all()]
    cases = await session.exec(select(Case).where(Case.person_id == user.id))
    data["agency_cases_about_me"] = [_row(c) for c in cases.all()]
    notes = await session.exec(select(AgencyNote).where(AgencyNote.user_id == user.id))
    data["messages_from_the_agency"] = [_row(n) for n in notes.all()]
    roles = await session.exec(select(StaffRole).where(StaffRole.user_id == user.id))
    data["agency_roles"] = [_row(r) for r in roles.all()]
    data["messages_written_through_the_bot"] = [
        _row(m) for m in await relays.written_by(session, user.id or 0)
    ]
    data["event_seats"] = await events.exported(session, user.id or 0)
    data["news"] = await newsletters.exported(session, user.id or 0)
    data["documents_fetched"] = await documents.exported(session, user.id or 0)
    data["donations"] = await donations.exported(session, user.id or 0)
    issued = await session.exec(select(Certificate).where(Certificate.user_id == user.id))
    data["certificates"] = [_row(c) for c in issued.all()]
    data["calls_for_helpers"] = await crisis.exported(session, user.id or 0)
    return data


async def erase(session: AsyncSession, deployment: Deployment, user: User, now: datetime) -> None:
    """Erase a person's personal data; tell those who counted on them; keep anonymous counts."""
    assert user.id is not None
    requests = (
        await session.exec(select(HelpRequest).where(HelpRequest.asker_id == user.id))
    ).all()
    for request in requests:
        await withdraw(session, request, now)
        request.person_name = request.person_phone = request.address = None
        request.description = ""
        request.updated_at = now
        session.add(request)
    profile = (
        await session.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))
    ).first()
    if profile is not None:
        await withdraw_offers(session, profile, now)
        for model in PROFILE_SETS:
            await session.exec(delete(model).where(col(model.profile_id) == profile.id))
        await session.exec(delete(Interest).where(col(Interest.profile_id) == profile.id))
        profile.first_name, profile.note, profile.paused = "", None, True
        session.add(profile)
    await session.exec(delete(Organisation).where(col(Organisation.owner_id) == user.id))
    await session.exec(delete(StaffRole).where(col(StaffRole.user_id) == user.id))
    user.staff = False
    # What they wrote or said to the agency, and what it wrote to them.
    await session.exec(delete(Case).where(col(Case.person_id) == user.id))
    await session.exec(delete(AgencyNote).where(col(AgencyNote.user_id) == user.id))
    # Their items in the Spendenbörse (a promised counterpart is open again).
    await donations.forget(session, user.id, now)
    # Their conversations through the bot, with what both sides wrote.
    await relays.forget(session, user.id)
    # Their seats at events (the waiting list moves up), and what they chose about news.
    await events.forget(session, deployment, user.id, now)
    await newsletters.forget(session, user.id)
    await documents.forget(session, user.id)
    # Their places in calls for helpers (the waiting list moves up), and what they wrote there.
    await crisis.forget(session, deployment, user.id, now)
    # Certificates stay checkable by their code, but no longer lead to the person.
    await session.exec(
        update(Certificate).where(col(Certificate.user_id) == user.id).values(user_id=None)
    )
    await session.exec(delete(Delivery).where(col(Delivery.user_id) == user.id))
    await _cancel_messages_about(session, user.id)
    await mentions.redact(session, user.id, user.key, now)
    await replies.forget_person(session, user.key)
    # Whatever copies of their sealed fields the database still keeps become unreadable.
    await keyring_of(session).destroy(session, user.key)
    # The row stays for the anonymous counts, under a key that no longer names anyone.
    user.key = f"deleted:{uuid.uuid4().hex}"
    user.role = None
    user.district = None
    user.consent_version = ""
    user.unreachable_at = now
    session.add(user)


# What others are still to be told that would show the erased person's details.
_SPEAKING_OF_THE_OTHER_SIDE = (
    DeliveryKind.FOUND,
    DeliveryKind.REMINDER_EVENING,
    DeliveryKind.REMINDER_SOON,
    DeliveryKind.FOLLOWUP_VOLUNTEER,
    DeliveryKind.FOLLOWUP_ASKER,
)


async def _cancel_messages_about(session: AsyncSession, user_id: int) -> None:
    """Unsent messages to others about the person's matches are not sent any more."""
    theirs = (
        select(Match.id)
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
        .where(or_(col(HelpRequest.asker_id) == user_id, col(VolunteerProfile.user_id) == user_id))
    )
    await session.exec(
        delete(Delivery).where(
            col(Delivery.sent_at).is_(None),
            col(Delivery.kind).in_(_SPEAKING_OF_THE_OTHER_SIDE),
            col(Delivery.subject_id).in_(theirs),
        )
    )


async def purge_finished(session: AsyncSession, retention_days: int, now: datetime) -> None:
    """Erase the personal details of requests finished longer ago than the retention period;
    what the statistics need (kind, district, day, hours) stays."""
    before = now - timedelta(days=retention_days)
    await session.exec(
        update(HelpRequest)
        .where(
            col(HelpRequest.status).in_(FINISHED),
            col(HelpRequest.updated_at) < before,
            or_(col(HelpRequest.description) != "", col(HelpRequest.address).is_not(None)),
        )
        .values(description="", address=None, person_name=None, person_phone=None)
    )
    # What people wrote or said to the agency, once the case is long closed; and its messages.
    await session.exec(
        update(Case)
        .where(
            col(Case.status) == CaseStatus.CLOSED,
            col(Case.updated_at) < before,
            or_(
                col(Case.note).is_not(None),
                col(Case.voice).is_not(None),
                col(Case.phone).is_not(None),
            ),
        )
        .values(note=None, voice=None, phone=None)
    )
    await session.exec(delete(AgencyNote).where(col(AgencyNote.created_at) < before))
    # Conversations through the bot, once closed that long.
    await relays.purge_closed(session, before)
    # Items of the Spendenbörse given, expired, withdrawn or removed that long ago.
    await session.exec(
        update(Donation)
        .where(
            col(Donation.status).in_(DONATIONS_FINISHED),
            col(Donation.updated_at) < before,
            or_(col(Donation.what) != "", col(Donation.photo).is_not(None)),
        )
        .values(what="", photo=None)
    )
    # Seats at events long past keep no names.
    await session.exec(
        update(EventSignup)
        .where(col(EventSignup.on_day) < before.date(), col(EventSignup.guest_name).is_not(None))
        .values(guest_name=None)
    )


async def forget_unconsented(session: AsyncSession, hours: float, now: datetime) -> int:
    """Delete the dialogue state of people who never consented once it has not changed for
    `hours`; return how many.

    Before consent a `conversations` row (the user key, the language, a deep-link code, the step)
    is all that is stored about a person, and a person who stops before consenting would leave
    it forever. Every message a person writes renews the row, so this takes only those who
    stopped writing.
    """
    before = now - timedelta(hours=hours)
    consented = exists().where(col(User.key) == col(Conversation.key))
    deleted = await session.exec(
        delete(Conversation)
        .where(col(Conversation.updated_at) < before, ~consented)
        .returning(col(Conversation.key))
    )
    forgotten: list[str] = list(deleted.scalars().all())
    keyring = keyring_of(session)
    for key in forgotten:  # the key that sealed their draft goes with it
        await keyring.destroy(session, key)
    return len(forgotten)
