"""New opportunities of organisations reach fitting volunteers, once, in their weekly digest."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange.opportunities import POLICE_CERTIFICATE
from exchange.timing import after_quiet_hours, next_at
from matching.rules import Need
from matching.select import candidate_ids
from storage.models import (
    DeliveryKind,
    Opportunity,
    OpportunityStatus,
    Organisation,
    User,
    VolunteerProfile,
)
from storage.outbox import enqueue_many, planned
from town.deployment import Deployment

ANNOUNCE_TO_AT_MOST = 500
# Regular opportunities go to those who help regularly, one-off ones to those who help now and then.
REGULAR_SCHEDULES = ("weekly", "monthly")


async def announce_opportunities(
    session: AsyncSession, deployment: Deployment, now: datetime
) -> int:
    """Queue every new open opportunity for the volunteers it fits; returns how many were told."""
    settings = deployment.matching
    new = await session.exec(
        select(Opportunity, Organisation)
        .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
        .where(
            Opportunity.status == OpportunityStatus.OPEN, col(Opportunity.announced_at).is_(None)
        )
    )
    told = 0
    for opportunity, organisation in new.all():
        opportunity.announced_at = now
        session.add(opportunity)
        municipality = deployment.municipality(organisation.municipality)
        if municipality is None or opportunity.id is None:
            continue
        kind = deployment.categories_by_id.get(opportunity.category)
        need = Need(
            category=opportunity.category,
            district="",
            slot=None,
            languages=frozenset(opportunity.languages) or frozenset({"de"}),
            adults_only="adults" in opportunity.requirements,
            # Work with children, or a police certificate asked for: vetted volunteers only.
            needs_verification=bool(kind and kind.needs_verification)
            or POLICE_CERTIFICATE in opportunity.requirements,
        )
        regular = opportunity.day is None and opportunity.schedule in REGULAR_SCHEDULES
        ids = await candidate_ids(
            session,
            need,
            municipality.id,
            opportunity.districts,
            ANNOUNCE_TO_AT_MOST,
            commitments=("regular", "both") if regular else ("one_off", "both"),
        )
        if not ids:
            continue
        people = await session.exec(
            select(User)
            .join(VolunteerProfile, col(VolunteerProfile.user_id) == User.id)
            .where(col(VolunteerProfile.id).in_(ids))
        )
        digest = next_at(
            now.astimezone(deployment.tz), settings.digest_time, settings.weekly_digest_day
        )
        announced = []
        for user in people.all():
            assert user.id is not None
            due = after_quiet_hours(digest, user.quiet_from, user.quiet_until)
            announced.append(planned(user.id, DeliveryKind.OPPORTUNITY, opportunity.id, due, now))
        await enqueue_many(session, announced)
        told += len(announced)
    return told
