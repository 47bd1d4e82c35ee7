"""Matches: a volunteer answers an offer, drops out, reports how it went; the asker gives feedback.

The buttons behind these live on pushed messages, so a person may press them late, twice or on a
forged message: every function starts from a `Found` that names the person's own match and checks
that the match is still in the state the button was made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import appointments, audit, cases, relays, safety_words
from exchange.audit import Via
from exchange.followthrough import plan_follow_through
from storage.models import (
    CaseKind,
    DeliveryKind,
    Feedback,
    HelpRequest,
    Match,
    MatchState,
    RequestStatus,
    User,
    VolunteerProfile,
)
from storage.outbox import enqueue
from town.deployment import Deployment

# A volunteer reports 1, 2, 3 or "4 or more" hours of help.
HOURS = (1, 2, 3, 4)


class DeclineReason(StrEnum):
    """Why a volunteer said "not this time": it shapes their later offers (see
    `exchange.rounds`) and the agency's figures."""

    NO_TIME = "no_time"
    TOO_FAR = "too_far"
    NOT_MY_KIND = "not_my_kind"
    BOOKED = "booked"  # not said by the volunteer: it overlapped another of their helps


# What a volunteer may say themself.
SAID_REASONS = (DeclineReason.NO_TIME, DeclineReason.TOO_FAR, DeclineReason.NOT_MY_KIND)


def _draw_safety_word(match: Match, asker: User) -> None:
    """A word in the language of whoever opens the door (the asker's), and in Latin letters."""
    word = safety_words.draw(asker.language)
    match.safety_word, match.safety_latin = word.word, word.latin


@dataclass(frozen=True)
class Found:
    """A match with its request and volunteer, as one of the two sides may act on it."""

    match: Match
    request: HelpRequest
    profile: VolunteerProfile

    @property
    def match_id(self) -> int:
        assert self.match.id is not None
        return self.match.id

    @property
    def still_planned(self) -> bool:
        """Accepted and not cancelled or withdrawn since: reminders and questions still apply."""
        return self.match.state == MatchState.ACCEPTED and self.request.status in (
            RequestStatus.MATCHED,
            RequestStatus.DONE,
        )


async def offered_to(session: AsyncSession, match_id: int, user_id: int) -> Found | None:
    """The match, if its volunteer is this person."""
    return await _found(session, match_id, col(VolunteerProfile.user_id) == user_id)


async def asked_by(session: AsyncSession, match_id: int, user_id: int) -> Found | None:
    """The match, if its request was asked by this person."""
    return await _found(session, match_id, col(HelpRequest.asker_id) == user_id)


async def by_id(session: AsyncSession, match_id: int) -> Found | None:
    return await _found(session, match_id, None)


async def _found(
    session: AsyncSession, match_id: int, whose: ColumnElement[bool] | None
) -> Found | None:
    query = (
        select(Match, HelpRequest, VolunteerProfile)
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
        .where(Match.id == match_id)
    )
    if whose is not None:
        query = query.where(whose)
    row = (await session.exec(query)).first()
    return None if row is None else Found(*row)


class Answer(StrEnum):
    ACCEPTED = "accepted"  # the volunteer has it; both sides are told and reminded
    ALREADY_ACCEPTED = "already_accepted"
    TAKEN = "taken"  # someone else was quicker, or the request is no longer open
    DECLINED = "declined"
    BOOKED = "booked"  # it overlaps another help of theirs, or their day is full


async def answer_offer(
    session: AsyncSession,
    deployment: Deployment,
    found: Found,
    volunteer: User,
    *,
    accept: bool,
    now: datetime,
) -> Answer:
    """Accept or decline an offer; the first acceptance wins, atomically."""
    match, request, profile = found.match, found.request, found.profile
    if match.state == MatchState.ACCEPTED:
        return Answer.ALREADY_ACCEPTED
    if match.state != MatchState.OFFERED or request.status != RequestStatus.OPEN:
        return Answer.TAKEN if accept else Answer.DECLINED
    if not accept:
        match.state, match.answered_at = MatchState.DECLINED, now
        session.add(match)
        await _next_round_if_all_declined(session, request, now)
        return Answer.DECLINED
    if await appointments.is_booked(session, profile, request):
        match.state, match.answered_at = MatchState.DECLINED, now
        match.decline_reason = DeclineReason.BOOKED
        session.add(match)
        await _next_round_if_all_declined(session, request, now)
        return Answer.BOOKED
    # The request row is the first thing written, so two volunteers accepting at once queue on
    # it (and the second finds it taken) instead of each locking their own match first.
    won = await session.exec(
        update(HelpRequest)
        .where(col(HelpRequest.id) == request.id, col(HelpRequest.status) == RequestStatus.OPEN)
        .values(status=RequestStatus.MATCHED, updated_at=now)
    )
    match.answered_at = now
    if won.rowcount != 1:
        match.state = MatchState.TAKEN
        session.add(match)
        return Answer.TAKEN
    request.status = RequestStatus.MATCHED
    match.state, match.accepted_at = MatchState.ACCEPTED, now
    asker = await session.get(User, request.asker_id)
    assert asker is not None and volunteer.id is not None
    _draw_safety_word(match, asker)
    profile.offers_accepted += 1
    session.add_all([match, profile])
    await session.exec(
        update(Match)
        .where(
            col(Match.request_id) == match.request_id,
            col(Match.state) == MatchState.OFFERED,
            col(Match.id) != match.id,
        )
        .values(state=MatchState.TAKEN)
    )
    await relays.open_for_match(session, deployment, match, request, volunteer.id, now)
    await plan_follow_through(session, deployment, now, request, match, volunteer, asker)
    return Answer.ACCEPTED


async def _next_round_if_all_declined(
    session: AsyncSession, request: HelpRequest, now: datetime
) -> None:
    """When nobody asked can still accept, the next round need not wait for the round's end."""
    if request.status != RequestStatus.OPEN or request.exhausted:
        return
    await session.flush()
    waiting = await session.exec(
        select(Match.id).where(Match.request_id == request.id, Match.state == MatchState.OFFERED)
    )
    if waiting.first() is None:
        request.round_ends_at = now
        session.add(request)


async def give_reason(found: Found, session: AsyncSession, reason: str) -> bool:
    """Why the volunteer declined, in one tap; False if they did not decline this offer."""
    if found.match.state != MatchState.DECLINED or reason not in SAID_REASONS:
        return False
    found.match.decline_reason = reason
    session.add(found.match)
    return True


async def send_back_to_matching(
    session: AsyncSession, match: Match, request: HelpRequest, now: datetime
) -> None:
    """A volunteer who had accepted drops out: the request is matched anew from the first round
    (those who missed out before are asked again) and the asker is told."""
    match.state, match.answered_at = MatchState.CANCELLED, now
    session.add(match)
    if request.status != RequestStatus.MATCHED:
        await relays.close_for_match(session, match.id, now)
        return
    await _call_off(session, match, request, now)
    request.status, request.round, request.round_ends_at = RequestStatus.OPEN, 0, now
    request.exhausted, request.updated_at = False, now
    session.add(request)
    await enqueue(
        session,
        user_id=request.asker_id,
        kind=DeliveryKind.MATCH_CANCELLED,
        subject_id=match.id,
        due_at=now,
        now=now,
    )


async def cancel_by_volunteer(session: AsyncSession, found: Found, now: datetime) -> bool:
    """The volunteer cannot come after all; False when nothing was planned any more."""
    if found.match.state != MatchState.ACCEPTED:
        return False
    await send_back_to_matching(session, found.match, found.request, now)
    return True


async def release_volunteer(session: AsyncSession, request: HelpRequest, now: datetime) -> None:
    """The request will not take place: its accepted volunteer learns that they need not come."""
    accepted = (
        await session.exec(
            select(Match, VolunteerProfile)
            .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
            .where(Match.request_id == request.id, Match.state == MatchState.ACCEPTED)
        )
    ).first()
    if accepted is None:
        return
    match, helper = accepted
    match.state = MatchState.CANCELLED
    session.add(match)
    await enqueue(
        session,
        user_id=helper.user_id,
        kind=DeliveryKind.REQUEST_WITHDRAWN,
        subject_id=match.id,
        due_at=now,
        now=now,
    )
    await _call_off(session, match, request, now)


async def _call_off(
    session: AsyncSession, match: Match, request: HelpRequest, now: datetime
) -> None:
    """An appointment is off: its relay closes, and both calendars get a cancelling entry."""
    await relays.close_for_match(session, match.id, now)
    if request.day is None:
        return
    helper = await session.get(VolunteerProfile, match.profile_id)
    people = [helper.user_id] if helper is not None else []
    for user_id in [*people, request.asker_id]:
        await enqueue(
            session,
            user_id=user_id,
            kind=DeliveryKind.CALENDAR_CANCELLED,
            subject_id=match.id,
            due_at=now,
            now=now,
        )


class Confirmed(StrEnum):
    COMING = "coming"
    CANCELLED = "cancelled"
    NOT_PLANNED = "not_planned"  # cancelled or done meanwhile


async def confirm(session: AsyncSession, found: Found, *, coming: bool, now: datetime) -> Confirmed:
    """The volunteer answers the evening before: they come (the asker is told), or they cannot
    after all (the request is matched anew at once and the asker is told)."""
    if not found.still_planned or found.request.status != RequestStatus.MATCHED:
        return Confirmed.NOT_PLANNED
    if not coming:
        await send_back_to_matching(session, found.match, found.request, now)
        return Confirmed.CANCELLED
    if found.match.confirmed_at is None:
        found.match.confirmed_at = now
        session.add(found.match)
        await enqueue(
            session,
            user_id=found.request.asker_id,
            kind=DeliveryKind.CONFIRMED,
            subject_id=found.match_id,
            due_at=now,
            now=now,
        )
    return Confirmed.COMING


class Recorded(StrEnum):
    NOTED = "noted"
    ALREADY_NOTED = "already_noted"
    INVALID = "invalid"


async def record_hours(
    session: AsyncSession, found: Found, hours: int | None, now: datetime
) -> Recorded:
    """The volunteer says whether the help took place (`hours`) or not (None)."""
    match, request, profile = found.match, found.request, found.profile
    if match.state != MatchState.ACCEPTED:
        return Recorded.ALREADY_NOTED
    if hours is None:
        match.state = MatchState.MISSED
    elif hours in HOURS:
        match.state, match.hours = MatchState.DONE, float(hours)
        profile.helps_done += 1
        request.status = RequestStatus.DONE
        await enqueue(
            session,
            user_id=request.asker_id,
            kind=DeliveryKind.HELP_DONE,
            subject_id=match.id,
            due_at=now,
            now=now,
        )
    else:
        return Recorded.INVALID
    request.updated_at = match.answered_at = now
    session.add_all([match, profile, request])
    return Recorded.NOTED


async def give_feedback(
    session: AsyncSession,
    deployment: Deployment,
    found: Found,
    asker: User,
    verdict: Feedback,
    now: datetime,
) -> None:
    """The asker says whether all went well; a first problem is reported to the coordinators."""
    match = found.match
    first_time = match.seeker_feedback is None
    match.seeker_feedback = verdict
    session.add(match)
    if verdict == Feedback.PROBLEM and first_time:
        assert asker.id is not None
        await cases.file_report(
            session,
            deployment,
            reporter=asker,
            reported_id=found.profile.user_id,
            municipality=found.request.municipality,
            district=found.request.district,
            match_id=match.id,
            now=now,
        )


async def assign(
    session: AsyncSession,
    deployment: Deployment,
    request: HelpRequest,
    profile: VolunteerProfile,
    *,
    by: User | None,
    via: Via,
    now: datetime,
) -> Match | None:
    """A person of the agency arranged the help with this volunteer by hand: the request is
    theirs at once, the volunteer gets the details and the asker is told who helps. None if the
    request is no longer open."""
    won = await session.exec(
        update(HelpRequest)
        .where(col(HelpRequest.id) == request.id, col(HelpRequest.status) == RequestStatus.OPEN)
        .values(status=RequestStatus.MATCHED, exhausted=False, round_ends_at=None, updated_at=now)
    )
    if won.rowcount != 1:
        return None
    request.status = RequestStatus.MATCHED
    assert request.id is not None and profile.id is not None
    query = select(Match).where(Match.request_id == request.id, Match.profile_id == profile.id)
    match = (await session.exec(query)).first() or Match(
        request_id=request.id, profile_id=profile.id, round=request.round, offered_at=now
    )
    match.state, match.answered_at, match.accepted_at = MatchState.ACCEPTED, now, now
    asker = await session.get(User, request.asker_id)
    assert asker is not None
    _draw_safety_word(match, asker)
    profile.offers_accepted += 1
    session.add_all([match, profile])
    await session.flush()
    await session.exec(
        update(Match)
        .where(
            col(Match.request_id) == request.id,
            col(Match.state) == MatchState.OFFERED,
            col(Match.id) != match.id,
        )
        .values(state=MatchState.TAKEN)
    )
    volunteer = await session.get(User, profile.user_id)
    assert volunteer is not None and volunteer.id is not None
    await relays.open_for_match(session, deployment, match, request, volunteer.id, now)
    await enqueue(
        session,
        user_id=volunteer.id,
        kind=DeliveryKind.ASSIGNED,
        subject_id=match.id,
        due_at=now,
        now=now,
    )
    await plan_follow_through(session, deployment, now, request, match, volunteer, asker)
    audit.record(
        session,
        actor=by,
        via=via,
        action="assign",
        subject=f"request:{request.id}",
        now=now,
        volunteer=f"profile:{profile.id}",
    )
    await cases.close_for(
        session, CaseKind.UNMATCHED, request.id, "assigned", by=by, via=via, now=now
    )
    return match
