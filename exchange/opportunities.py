"""Opportunities: an approved organisation posts what it needs volunteers for and manages its posts;
volunteers who heard of one say they are interested."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import audit, cases, relays
from exchange.audit import Via
from storage.models import (
    CaseKind,
    Delivery,
    DeliveryKind,
    Interest,
    Opportunity,
    OpportunityStatus,
    Organisation,
    User,
    VolunteerProfile,
)
from storage.outbox import enqueue
from town.deployment import Deployment

# The requirement that makes a position wait for a coordinator's approval.
POLICE_CERTIFICATE = "police_clearance"

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


def needs_approval(deployment: Deployment, values: OpportunityValues) -> bool:
    """A position that asks for a police certificate, or whose kind of help is offered only to
    vetted volunteers (work with children), waits for a coordinator's approval."""
    kind = deployment.categories_by_id.get(values.category)
    return POLICE_CERTIFICATE in values.requirements or bool(kind and kind.needs_verification)


async def publish(
    session: AsyncSession,
    deployment: Deployment,
    organisation: Organisation,
    owner: User,
    values: OpportunityValues,
    now: datetime,
) -> Opportunity:
    """Post an opportunity; fitting volunteers hear of it in their next weekly digest. One that
    needs approval waits in the agency's queue until a coordinator approves it."""
    assert organisation.id is not None
    waits = needs_approval(deployment, values)
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
        status=OpportunityStatus.PENDING if waits else OpportunityStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(opportunity)
    if waits:
        await session.flush()
        await cases.open_case(
            session,
            deployment,
            kind=CaseKind.POSITION,
            person=owner,
            municipality=organisation.municipality,
            subject_id=opportunity.id,
            now=now,
        )
    return opportunity


async def decide(
    session: AsyncSession,
    opportunity: Opportunity,
    *,
    approve: bool,
    by: User | None,
    via: Via,
    now: datetime,
) -> bool:
    """Approve a waiting position (it opens and is announced) or reject it (it is closed); its
    organisation is told. False if it was not waiting."""
    if opportunity.status != OpportunityStatus.PENDING:
        return False
    verdict = "approved" if approve else "rejected"
    set_status(
        session, opportunity, OpportunityStatus.OPEN if approve else OpportunityStatus.CLOSED, now
    )
    organisation = await session.get(Organisation, opportunity.organisation_id)
    owner = await session.get(User, organisation.owner_id) if organisation else None
    if owner is not None:
        await cases.tell(session, owner, f"position_{verdict}", now, text=opportunity.title)
    audit.record(
        session,
        actor=by,
        via=via,
        action=f"position {verdict}",
        subject=f"opportunity:{opportunity.id}",
        now=now,
    )
    await cases.close_for(
        session, CaseKind.POSITION, opportunity.id, verdict, by=by, via=via, now=now
    )
    return True


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


async def open_of_organisation(
    session: AsyncSession, organisation: Organisation, limit: int
) -> list[Opportunity]:
    """The organisation's open posts, the newest first: what its flyer's link shows."""
    query = (
        select(Opportunity)
        .where(
            Opportunity.organisation_id == organisation.id,
            Opportunity.status == OpportunityStatus.OPEN,
        )
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
    deployment: Deployment,
    user_id: int,
    profile: VolunteerProfile | None,
    opportunity_id: int,
    now: datetime,
    *,
    listed: bool = False,
) -> Interested:
    """A volunteer is interested in an opportunity they were told of (or found in the list of
    what fits them, `listed`): its organisation is told, and the two can write through the bot."""
    told = (
        listed
        or (
            await session.exec(
                select(Delivery.id).where(
                    Delivery.user_id == user_id,
                    Delivery.kind == DeliveryKind.OPPORTUNITY,
                    Delivery.subject_id == opportunity_id,
                )
            )
        ).first()
    )
    found = (
        await session.exec(
            select(Opportunity, Organisation)
            .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
            .where(Opportunity.id == opportunity_id)
        )
    ).first()
    if not told or profile is None or profile.id is None or found is None:
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
        await relays.open_for_interest(session, deployment, existing, organisation, user_id, now)
        await enqueue(
            session,
            user_id=organisation.owner_id,
            kind=DeliveryKind.INTEREST,
            subject_id=existing.id,
            due_at=now,
            now=now,
        )
    return Interested(organisation, still_open=True)
