"""After someone accepted: reminders to both sides and the questions afterwards, planned as rows."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from exchange.timing import after_quiet_hours, appointment_start
from storage.models import DeliveryKind, HelpRequest, Match, User
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
