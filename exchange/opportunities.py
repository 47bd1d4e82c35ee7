"""Opportunities: an approved organisation posts what it needs volunteers for and manages its posts;
volunteers who heard of one say they are interested."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Delivery,
    DeliveryKind,
    Interest,
    Opportunity,
    OpportunityStatus,
    Organisation,
    VolunteerProfile,
)
from storage.outbox import enqueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpportunityValues:
    title: str
    category: str
    description: str
    districts: Sequence[str]
    day: date | None  # a one-off date, or None for a regular schedule
    schedule: str | None
    volunteers_needed: int
    requirements: Sequence[str]
    languages: Sequence[str]
    language: str  # of the title and description


def publish(
    session: AsyncSession, organisation: Organisation, values: OpportunityValues, now: datetime
) -> Opportunity:
    """Post an opportunity; fitting volunteers hear of it in their next weekly digest."""
    assert organisation.id is not None
    opportunity = Opportunity(
        organisation_id=organisation.id,
        title=values.title,
        category=values.category,
        description=values.description,
        districts=list(values.districts),
        day=values.day,
        schedule=None if values.day else values.schedule,
        volunteers_needed=values.volunteers_needed,
        requirements=list(values.requirements),
        languages=list(values.languages),
        language=values.language,
        status=OpportunityStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(opportunity)
    return opportunity


async def of_organisation(
    session: AsyncSession, organisation: Organisation, limit: int
) -> list[Opportunity]:
    """The organisation's posts, the newest first."""
    query = (
        select(Opportunity)
        .where(Opportunity.organisation_id == organisation.id)
        .order_by(col(Opportunity.created_at).desc(), col(Opportunity.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def own(
    session: AsyncSession, organisation: Organisation, opportunity_id: object
) -> Opportunity | None:
    """The opportunity with this id, only if it is one of this organisation's."""
    if not isinstance(opportunity_id, int):
        return None
    opportunity = await session.get(Opportunity, opportunity_id)
    if opportunity is None or opportunity.organisation_id != organisation.id:
        return None
    return opportunity


def set_status(
    session: AsyncSession, opportunity: Opportunity, status: OpportunityStatus, now: datetime
) -> None:
    """Pause, reopen or close a post; only open ones reach volunteers."""
    opportunity.status, opportunity.updated_at = status, now
    session.add(opportunity)


@dataclass(frozen=True)
class Interested:
    """What became of "I'm interested": refused (not shown to this person), closed meanwhile, or
    noted (the organisation is told, once)."""

    organisation: Organisation | None
    still_open: bool = False


async def show_interest(
    session: AsyncSession,
    user_id: int,
    profile: VolunteerProfile | None,
    opportunity_id: int,
    now: datetime,
) -> Interested:
    """A volunteer is interested in an opportunity they were told of: its organisation is told."""
    told = (
        await session.exec(
            select(Delivery.id).where(
                Delivery.user_id == user_id,
                Delivery.kind == DeliveryKind.OPPORTUNITY,
                Delivery.subject_id == opportunity_id,
            )
        )
    ).first()
    found = (
        await session.exec(
            select(Opportunity, Organisation)
            .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
            .where(Opportunity.id == opportunity_id)
        )
    ).first()
    if told is None or profile is None or profile.id is None or found is None:
        log.warning("refused interest in an opportunity the user was not shown")
        return Interested(None)
    opportunity, organisation = found
    if opportunity.status != OpportunityStatus.OPEN:
        return Interested(organisation)
    existing = (
        await session.exec(
            select(Interest).where(
                Interest.opportunity_id == opportunity_id, Interest.profile_id == profile.id
            )
        )
    ).first()
    if existing is None:
        existing = Interest(opportunity_id=opportunity_id, profile_id=profile.id, created_at=now)
        session.add(existing)
        await session.flush()
        await enqueue(
            session,
            user_id=organisation.owner_id,
            kind=DeliveryKind.INTEREST,
            subject_id=existing.id,
            due_at=now,
            now=now,
        )
    return Interested(organisation, still_open=True)
