"""Planning what to push: offer rounds for open requests, closing requests whose date passed.

Everything durable is a row: the round a request is in and when it ends, one match per offer,
one delivery per message. Planning twice, or in two processes, adds nothing (unique keys), so
the scheduler can run it as often as it likes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.deployment import Deployment, Municipality
from handlers.vocabulary import category
from matching.rules import Need, Volunteer, districts_within, rank, slot_of
from matching.select import candidate_ids, load_volunteers
from push.outbox import enqueue
from push.timing import after_quiet_hours, appointment_start, next_at, offer_due
from storage.models import (
    HelpRequest,
    Match,
    Opportunity,
    Organisation,
    User,
    VolunteerProfile,
)

log = logging.getLogger(__name__)

# A volunteer gets at most this many new offers from one planning run, to spread the load.
MAX_OFFERS_PER_VOLUNTEER_PER_RUN = 2
CANDIDATE_POOL = 60


@dataclass
class PlanReport:
    offers: int = 0
    exhausted: int = 0
    expired: int = 0
    rounds_started: int = 0
    announcements: int = 0


@dataclass
class _Run:
    """What one planning run has handed out so far, and the ranked pools it already looked up."""

    deployment: Deployment
    now: datetime
    report: PlanReport = field(default_factory=PlanReport)
    per_volunteer: dict[int, int] = field(default_factory=dict)
    pools: dict[tuple[Need, str, frozenset[str]], list[Volunteer]] = field(default_factory=dict)


def need_of(request: HelpRequest, deployment: Deployment) -> Need:
    kind = category(deployment, request.category)
    return Need(
        category=request.category,
        district=request.district,
        slot=slot_of(request.day, request.part_of_day, request.at_time),
        languages=frozenset(request.languages),
        adults_only=kind.adults_only if kind else False,
        needs_verification=kind.needs_verification if kind else False,
    )


def is_urgent(request: HelpRequest, deployment: Deployment, now: datetime) -> bool:
    """A request due within the urgent window (48 hours by default) goes out at once."""
    if request.day is None:
        return False
    start = appointment_start(request.day, request.part_of_day, request.at_time, deployment.tz)
    return start - now <= timedelta(hours=deployment.matching.urgent_within_hours)


async def plan(session: AsyncSession, deployment: Deployment, now: datetime) -> PlanReport:
    """Close what has passed, then start the offer rounds that are due."""
    run = _Run(deployment, now)
    await _expire(session, run)
    await _purge(session, run)
    due = await session.exec(
        select(HelpRequest)
        .where(HelpRequest.status == "open", col(HelpRequest.exhausted).is_(False))
        .where(or_(col(HelpRequest.round) == 0, col(HelpRequest.round_ends_at) <= now))
        .order_by(col(HelpRequest.created_at), col(HelpRequest.id))
    )
    for request in due.all():
        await _next_round(session, run, request)
    await _announce_opportunities(session, run)
    return run.report


async def _expire(session: AsyncSession, run: _Run) -> None:
    today = run.now.astimezone(run.deployment.tz).date()
    stale = run.now - timedelta(days=run.deployment.matching.flexible_days)
    passed = await session.exec(
        select(HelpRequest).where(
            HelpRequest.status == "open",
            or_(
                col(HelpRequest.day) < today,
                col(HelpRequest.day).is_(None) & (col(HelpRequest.created_at) < stale),
            ),
        )
    )
    for request in passed.all():
        request.status, request.updated_at = "expired", run.now
        session.add(request)
        await enqueue(
            session,
            user_id=request.asker_id,
            kind="expired",
            subject_id=request.id,
            due_at=run.now,
            now=run.now,
        )
        run.report.expired += 1


async def _purge(session: AsyncSession, run: _Run) -> None:
    """Erase the personal details of requests finished longer ago than the retention period;
    what the statistics need (kind, district, day, hours) stays."""
    before = run.now - timedelta(days=run.deployment.agency.retention_days)
    await session.exec(
        update(HelpRequest)
        .where(
            col(HelpRequest.status).in_(("done", "cancelled", "expired")),
            col(HelpRequest.updated_at) < before,
            or_(col(HelpRequest.description) != "", col(HelpRequest.address).is_not(None)),
        )
        .values(description="", address=None, person_name=None, person_phone=None)
    )


async def _next_round(session: AsyncSession, run: _Run, request: HelpRequest) -> None:
    """Offer the request to the next, wider circle of volunteers; widen at once while nobody fits."""
    settings = run.deployment.matching
    municipality = run.deployment.municipality(request.municipality)
    if municipality is None:
        log.warning("request %s names an unknown municipality", request.id)
        return
    # Everyone asked before, except those who only missed out because someone else was quicker
    # (the request may come back into matching when that person cancels).
    already = set(
        (
            await session.exec(
                select(Match.profile_id).where(
                    Match.request_id == request.id, Match.state != "taken"
                )
            )
        ).all()
    )
    while request.round < settings.rounds:
        request.round += 1
        run.report.rounds_started += 1
        index = request.round - 1
        chosen = await _choose(
            session,
            run,
            request,
            municipality,
            settings.radius_km_per_round[index],
            settings.offers_per_round[index],
            already,
        )
        if chosen:
            await _offer(session, run, request, chosen)
            hours = (
                settings.urgent_round_hours
                if is_urgent(request, run.deployment, run.now)
                else settings.round_hours
            )
            request.round_ends_at = run.now + timedelta(hours=hours)
            request.updated_at = run.now
            session.add(request)
            return
    await _exhaust(session, run, request, municipality)


async def _choose(
    session: AsyncSession,
    run: _Run,
    request: HelpRequest,
    municipality: Municipality,
    radius_km: float,
    count: int,
    already: set[int],
) -> list[Volunteer]:
    need = need_of(request, run.deployment)
    districts = districts_within(municipality, request.district, radius_km)
    key = (need, municipality.id, districts)
    pool = run.pools.get(key)
    if pool is None:
        ids = await candidate_ids(session, need, municipality.id, districts, CANDIDATE_POOL)
        pool = rank(await load_volunteers(session, ids), need, districts, municipality, run.now)
        run.pools[key] = pool
    chosen = []
    for volunteer in pool:
        if volunteer.profile_id in already:
            continue
        if run.per_volunteer.get(volunteer.profile_id, 0) >= MAX_OFFERS_PER_VOLUNTEER_PER_RUN:
            continue
        chosen.append(volunteer)
        if len(chosen) == count:
            break
    return chosen


async def _offer(
    session: AsyncSession, run: _Run, request: HelpRequest, chosen: list[Volunteer]
) -> None:
    assert request.id is not None
    settings = run.deployment.matching
    urgent = is_urgent(request, run.deployment, run.now)
    same_day = request.day == run.now.astimezone(run.deployment.tz).date()
    ids = [v.profile_id for v in chosen]
    rows = await session.exec(
        select(VolunteerProfile, User)
        .join(User, col(User.id) == VolunteerProfile.user_id)
        .where(col(VolunteerProfile.id).in_(ids))
    )
    earlier = {
        m.profile_id: m
        for m in (
            await session.exec(
                select(Match).where(Match.request_id == request.id, col(Match.profile_id).in_(ids))
            )
        ).all()
    }
    for profile, user in rows.all():
        assert profile.id is not None and user.id is not None
        match = earlier.get(profile.id) or Match(
            request_id=request.id, profile_id=profile.id, round=request.round, offered_at=run.now
        )
        match.state, match.round, match.offered_at = "offered", request.round, run.now
        session.add(match)
        await session.flush()
        profile.offers_received += 1
        profile.last_offered_at = run.now
        session.add(profile)
        due = offer_due(
            run.now,
            run.deployment.tz,
            rhythm=profile.rhythm,
            digest_at=settings.digest_time,
            weekly_digest_day=settings.weekly_digest_day,
            quiet_from=user.quiet_from,
            quiet_until=user.quiet_until,
            urgent=urgent,
            same_day=same_day,
            urgent_ok=profile.urgent_ok,
        )
        # One delivery per time the match is offered: a volunteer asked again gets a new message.
        await enqueue(
            session,
            user_id=user.id,
            kind="offer",
            subject_id=match.id,
            due_at=due,
            now=run.now,
            extra=f"#{profile.offers_received}",
        )
        run.per_volunteer[profile.id] = run.per_volunteer.get(profile.id, 0) + 1
        run.report.offers += 1


async def _exhaust(
    session: AsyncSession, run: _Run, request: HelpRequest, municipality: Municipality
) -> None:
    """Nobody accepted in any round: tell the asker honestly and alert the coordinators."""
    request.exhausted, request.updated_at = True, run.now
    session.add(request)
    run.report.exhausted += 1
    await enqueue(
        session,
        user_id=request.asker_id,
        kind="unmatched",
        subject_id=request.id,
        due_at=run.now,
        now=run.now,
    )
    if not municipality.coordinators:
        return
    coordinators = await session.exec(
        select(User).where(col(User.key).in_(municipality.coordinators))
    )
    for coordinator in coordinators.all():
        assert coordinator.id is not None
        await enqueue(
            session,
            user_id=coordinator.id,
            kind="coordinator_alert",
            subject_id=request.id,
            due_at=run.now,
            now=run.now,
        )


ANNOUNCE_TO_AT_MOST = 500


async def _announce_opportunities(session: AsyncSession, run: _Run) -> None:
    """New opportunities of organisations go to fitting volunteers in their weekly digest."""
    settings = run.deployment.matching
    new = await session.exec(
        select(Opportunity, Organisation)
        .join(Organisation, col(Organisation.id) == Opportunity.organisation_id)
        .where(Opportunity.status == "open", col(Opportunity.announced_at).is_(None))
    )
    for opportunity, organisation in new.all():
        opportunity.announced_at = run.now
        session.add(opportunity)
        municipality = run.deployment.municipality(organisation.municipality)
        if municipality is None or opportunity.id is None:
            continue
        need = Need(
            category=opportunity.category,
            district="",
            slot=None,
            languages=frozenset(opportunity.languages) or frozenset({"de"}),
            adults_only="adults" in opportunity.requirements,
        )
        regular = opportunity.day is None and opportunity.schedule in ("weekly", "monthly")
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
        for user in people.all():
            assert user.id is not None
            due = after_quiet_hours(
                next_at(
                    run.now.astimezone(run.deployment.tz),
                    settings.digest_time,
                    settings.weekly_digest_day,
                ),
                user.quiet_from,
                user.quiet_until,
            )
            await enqueue(
                session,
                user_id=user.id,
                kind="opportunity",
                subject_id=opportunity.id,
                due_at=due,
                now=run.now,
            )
            run.report.announcements += 1
