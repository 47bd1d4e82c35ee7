"""After someone accepted: calendars, reminders to both sides and the questions afterwards, planned
as rows; and the evening before, volunteers who did not confirm go to the agency's queue."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import cases
from exchange.timing import after_quiet_hours, appointment_start
from storage.models import (
    Case,
    CaseKind,
    Delivery,
    DeliveryKind,
    HelpRequest,
    Match,
    MatchState,
    RequestStatus,
    User,
    VolunteerProfile,
)
from storage.outbox import enqueue
from town.deployment import Deployment

EVENING_BEFORE = time(18, 0)
FOLLOW_UP_AFTER = timedelta(hours=3)
FLEXIBLE_FOLLOW_UP = timedelta(days=7)


async def plan_follow_through(
    session: AsyncSession,
    deployment: Deployment,
    now: datetime,
    request: HelpRequest,
    match: Match,
    volunteer: User,
    asker: User,
) -> None:
    """Tell the asker who helps; plan the reminders and the follow-up questions for both sides."""
    assert match.id is not None and volunteer.id is not None and asker.id is not None
    await enqueue(
        session, user_id=asker.id, kind=DeliveryKind.FOUND, subject_id=match.id, due_at=now, now=now
    )
    tz = deployment.tz
    if request.day is None:
        follow_up = now + FLEXIBLE_FOLLOW_UP
    else:
        start = appointment_start(request.day, request.part_of_day, request.at_time, tz)
        for person in (volunteer, asker):  # the appointment for their calendars
            assert person.id is not None
            await enqueue(
                session,
                user_id=person.id,
                kind=DeliveryKind.CALENDAR,
                subject_id=match.id,
                due_at=now,
                now=now,
            )
        evening = datetime.combine(request.day - timedelta(days=1), EVENING_BEFORE, tzinfo=tz)
        for kind, moment in (
            (DeliveryKind.REMINDER_EVENING, evening),
            (DeliveryKind.REMINDER_SOON, start - timedelta(hours=2)),
        ):
            if moment <= now:
                continue
            for person in (volunteer, asker):
                assert person.id is not None
                due = after_quiet_hours(
                    moment.astimezone(tz), person.quiet_from, person.quiet_until
                )
                await enqueue(
                    session, user_id=person.id, kind=kind, subject_id=match.id, due_at=due, now=now
                )
        follow_up = start + FOLLOW_UP_AFTER
    for person, kind in (
        (volunteer, DeliveryKind.FOLLOWUP_VOLUNTEER),
        (asker, DeliveryKind.FOLLOWUP_ASKER),
    ):
        assert person.id is not None
        due = after_quiet_hours(follow_up.astimezone(tz), person.quiet_from, person.quiet_until)
        await enqueue(
            session, user_id=person.id, kind=kind, subject_id=match.id, due_at=due, now=now
        )


async def alert_unconfirmed(session: AsyncSession, deployment: Deployment, now: datetime) -> int:
    """Volunteers asked the evening before who have not confirmed by `confirm_by`: each such
    appointment goes into the agency's queue once, so that someone calls."""
    tz = deployment.tz
    local = now.astimezone(tz)
    if local.time() < deployment.matching.confirm_by:
        return 0
    tomorrow = local.date() + timedelta(days=1)
    asked = select(Delivery.subject_id).where(
        Delivery.kind == DeliveryKind.REMINDER_EVENING, col(Delivery.sent_at).is_not(None)
    )
    alerted = select(Case.subject_id).where(Case.kind == CaseKind.UNCONFIRMED)
    rows = await session.exec(
        select(Match, HelpRequest, User)
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .join(VolunteerProfile, col(VolunteerProfile.id) == Match.profile_id)
        .join(User, col(User.id) == VolunteerProfile.user_id)
        .where(
            Match.state == MatchState.ACCEPTED,
            col(Match.confirmed_at).is_(None),
            HelpRequest.status == RequestStatus.MATCHED,
            HelpRequest.day == tomorrow,
            col(Match.id).in_(asked),
            col(Match.id).not_in(alerted),
        )
    )
    found = rows.all()
    for match, request, volunteer in found:
        await cases.open_case(
            session,
            deployment,
            kind=CaseKind.UNCONFIRMED,
            person=volunteer,
            municipality=request.municipality,
            district=request.district,
            subject_id=match.id,
            urgent=True,
            now=now,
        )
    return len(found)
