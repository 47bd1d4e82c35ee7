"""Opportunities of organisations reach the volunteers they fit: new ones once, in their weekly
digest; a volunteer who joins later hears of those still open in their next digest, and finds
them in their list (`open_positions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange.opportunities import POLICE_CERTIFICATE
from exchange.timing import after_quiet_hours, next_at
from matching.fit import fits
from matching.rules import Need, Volunteer
from matching.select import candidate_ids
from storage.models import (
    DeliveryKind,
    Opportunity,
    OpportunityStatus,
    Organisation,
    OrganisationStatus,
    User,
    VolunteerCategory,
    VolunteerDistrict,
    VolunteerLanguage,
    VolunteerProfile,
    VolunteerSlot,
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
        need = position_need(deployment, opportunity)
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


@dataclass(frozen=True)
class Filter:
    """What the volunteer narrowed the list to: one of their kinds of help, one district."""

    kind: str | None = None
    district: str | None = None


EVERYTHING = Filter()


async def as_matching_sees(
    session: AsyncSession, profile: VolunteerProfile
) -> tuple[Volunteer, dict[str, set[str]]]:
    """The volunteer as matching sees them (active: they are looking themself), and their
    districts per municipality."""
    pid = profile.id
    assert pid is not None
    places: dict[str, set[str]] = {}
    districts = await session.exec(
        select(VolunteerDistrict.municipality, VolunteerDistrict.district).where(
            VolunteerDistrict.profile_id == pid
        )
    )
    for municipality, district in districts.all():
        places.setdefault(municipality, set()).add(district)
    kinds = await session.exec(
        select(VolunteerCategory.category).where(VolunteerCategory.profile_id == pid)
    )
    spoken = await session.exec(
        select(VolunteerLanguage.language).where(VolunteerLanguage.profile_id == pid)
    )
    slots = await session.exec(
        select(VolunteerSlot.weekday, VolunteerSlot.part).where(VolunteerSlot.profile_id == pid)
    )
    volunteer = Volunteer(
        profile_id=pid,
        categories=frozenset(kinds.all()),
        districts=frozenset(d for ds in places.values() for d in ds),
        slots=frozenset(slots.all()),
        languages=frozenset(spoken.all()),
        minor=profile.age_group == "minor",
        verified=profile.verified,
    )
    return volunteer, places


async def open_positions(
    session: AsyncSession,
    deployment: Deployment,
    profile: VolunteerProfile,
    chosen: Filter = EVERYTHING,
) -> list[tuple[Opportunity, Organisation]]:
    """Open positions and projects of approved organisations that fit the volunteer: their kinds
    of help, one of their districts (or the whole municipality), age and vetting."""
    volunteer, places = await as_matching_sees(session, profile)
    kinds = {chosen.kind} & volunteer.categories if chosen.kind else volunteer.categories
    if not kinds or not places:
        return []
    rows = await session.exec(
        select(Opportunity, Organisation)
        .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
        .where(
            Opportunity.status == OpportunityStatus.OPEN,
            Organisation.status == OrganisationStatus.APPROVED,
            col(Opportunity.category).in_(sorted(kinds)),
            col(Organisation.municipality).in_(sorted(places)),
        )
        .order_by(col(Opportunity.day).is_(None), col(Opportunity.day), col(Opportunity.id))
    )
    fitting = []
    for opportunity, organisation in rows.all():
        mine = places.get(organisation.municipality, set())
        where = set(opportunity.districts) or mine
        if chosen.district:
            where &= {chosen.district}
        if not where & mine:
            continue
        if fits(volunteer, position_need(deployment, opportunity), frozenset(mine)):
            fitting.append((opportunity, organisation))
    return fitting


def position_need(deployment: Deployment, opportunity: Opportunity) -> Need:
    """A position as matching sees it: no time of its own, its languages, its requirements."""
    kind = deployment.categories_by_id.get(opportunity.category)
    return Need(
        category=opportunity.category,
        district="",
        slot=None,
        languages=frozenset(opportunity.languages) or frozenset({"de"}),
        adults_only="adults" in opportunity.requirements,
        # Work with children, or a police certificate asked for: vetted volunteers only.
        needs_verification=bool(kind and kind.needs_verification)
        or POLICE_CERTIFICATE in opportunity.requirements,
    )


async def announce_to_newcomer(
    session: AsyncSession,
    deployment: Deployment,
    profile: VolunteerProfile,
    user: User,
    now: datetime,
) -> int:
    """A volunteer who just joined hears in their next digest of the open positions they fit."""
    assert user.id is not None
    settings = deployment.matching
    digest = next_at(
        now.astimezone(deployment.tz), settings.digest_time, settings.weekly_digest_day
    )
    due = after_quiet_hours(digest, user.quiet_from, user.quiet_until)
    rows = [
        planned(user.id, DeliveryKind.OPPORTUNITY, opportunity.id, due, now)
        for opportunity, _organisation in await open_positions(session, deployment, profile)
    ]
    await enqueue_many(session, rows)
    return len(rows)
