"""Offer rounds: each open request is offered to the best few volunteers who fit, then to more,
further away, until someone accepts or every round went unanswered.

Everything durable is a row: the round a request is in and when it ends, one match per offer, one
delivery per message. What a run decides is written in bulk at its end; planning twice, or in two
processes, adds nothing (unique delivery keys).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, insert, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange import appointments, cases
from exchange.appointments import Bookings
from exchange.timing import appointment_start, offer_due
from matching.lanes import Pools
from matching.rules import Need, Volunteer, slot_of
from matching.select import Candidates
from storage.db import after_bulk_write
from storage.models import (
    CaseKind,
    DeliveryKind,
    HelpRequest,
    Match,
    MatchState,
    RequestStatus,
    User,
    VolunteerProfile,
    table_of,
)
from storage.outbox import enqueue_many, planned
from town.deployment import Deployment, Municipality

log = logging.getLogger(__name__)

# A volunteer gets at most this many new offers from one planning run, to spread the load.
MAX_OFFERS_PER_VOLUNTEER_PER_RUN = 2
# Offers are written this many at a time (their matches, then their deliveries).
WRITE_CHUNK = 10_000
# How long a reason given for declining shapes a volunteer's offers.
DECLINES_REMEMBERED = timedelta(days=30)


@dataclass
class Declines:
    """What volunteers said lately when they declined: "not my kind of help" keeps that kind
    from them; "too far" keeps them to their own districts (the first round)."""

    not_my_kind: dict[str, set[int]] = field(default_factory=dict)  # category -> profiles
    too_far: set[int] = field(default_factory=set)


async def _recent_declines(session: AsyncSession, now: datetime) -> Declines:
    rows = await session.exec(
        select(col(Match.profile_id), col(HelpRequest.category), col(Match.decline_reason))
        .join(HelpRequest, col(HelpRequest.id) == Match.request_id)
        .where(
            col(Match.decline_reason).in_(("not_my_kind", "too_far")),
            col(Match.answered_at) >= now - DECLINES_REMEMBERED,
        )
    )
    declines = Declines()
    for profile_id, category, reason in rows.all():
        if reason == "too_far":
            declines.too_far.add(profile_id)
        else:
            declines.not_my_kind.setdefault(category, set()).add(profile_id)
    return declines


@dataclass
class RoundsReport:
    offers: int = 0
    exhausted: int = 0
    rounds_started: int = 0


@dataclass(slots=True)
class DueRequest:
    """An open request whose next offer round is due, with what planning needs of it."""

    id: int
    asker_id: int
    category: str
    municipality: str
    district: str
    day: date | None
    part_of_day: str | None
    at_time: time | None
    languages: tuple[str, ...]
    round: int


@dataclass
class _Offer:
    request: DueRequest
    volunteer: Volunteer
    round: int
    number: int  # the volunteer's offers received, this one included
    earlier_match: int | None  # the match of an earlier round, offered again
    urgent: bool  # the request is due soon: it goes out at once


@dataclass
class _Run:
    """What one planning run has decided so far; it is written in bulk at the end."""

    deployment: Deployment
    now: datetime
    candidates: Candidates
    pools: Pools
    bookings: Bookings = field(default_factory=lambda: Bookings(()))
    declines: Declines = field(default_factory=Declines)
    report: RoundsReport = field(default_factory=RoundsReport)
    per_volunteer: dict[int, int] = field(default_factory=dict)
    offers: list[_Offer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    due_at: dict[tuple[Any, ...], datetime] = field(default_factory=dict)


def need_of(request: HelpRequest | DueRequest, deployment: Deployment) -> Need:
    """A request as matching sees it."""
    kind = deployment.categories_by_id.get(request.category)
    return Need(
        category=request.category,
        district=request.district,
        slot=slot_of(request.day, request.part_of_day, request.at_time),
        languages=frozenset(request.languages),
        adults_only=kind.adults_only if kind else False,
        needs_verification=kind.needs_verification if kind else False,
    )


def is_urgent(request: HelpRequest | DueRequest, deployment: Deployment, now: datetime) -> bool:
    """A request due within the urgent window (48 hours by default) goes out at once."""
    if request.day is None:
        return False
    start = appointment_start(request.day, request.part_of_day, request.at_time, deployment.tz)
    return start - now <= timedelta(hours=deployment.matching.urgent_within_hours)


async def plan_rounds(session: AsyncSession, deployment: Deployment, now: datetime) -> RoundsReport:
    """Start the offer rounds that are due: offers for new requests, wider ones for unanswered."""
    candidates = Candidates(session)
    run = _Run(deployment, now, candidates, Pools(candidates))
    due = await _due(session, now)
    run.bookings = await appointments.bookings_on(session, [r.day for r in due if r.day])
    run.declines = await _recent_declines(session, now)
    earlier = await _earlier_matches(session, [r.id for r in due])
    for request in due:
        await _next_round(session, run, request, earlier.get(request.id, {}))
    await _write(session, run)
    return run.report


async def _due(session: AsyncSession, now: datetime) -> list[DueRequest]:
    await session.flush()
    connection = await session.connection()
    r = table_of(HelpRequest).c
    rows = await connection.execute(
        sa.select(
            r.id,
            r.asker_id,
            r.category,
            r.municipality,
            r.district,
            r.day,
            r.part_of_day,
            r.at_time,
            r.languages,
            r.round,
        )
        .where(r.status == RequestStatus.OPEN, r.exhausted.is_(False))
        .where(or_(r.round == 0, r.round_ends_at <= now))
        .order_by(r.created_at, r.id)
    )
    return [DueRequest(*row[:8], tuple(row[8] or ()), row[9]) for row in rows.all()]


async def _earlier_matches(
    session: AsyncSession, request_ids: list[int]
) -> dict[int, dict[int, tuple[int, MatchState]]]:
    """Who was offered these requests already (match id and state): in an earlier round, or
    before the request came back into matching."""
    found: dict[int, dict[int, tuple[int, MatchState]]] = {}
    for start in range(0, len(request_ids), 1_000):
        rows = await session.exec(
            select(
                col(Match.request_id), col(Match.profile_id), col(Match.id), col(Match.state)
            ).where(col(Match.request_id).in_(request_ids[start : start + 1_000]))
        )
        for request_id, profile_id, match_id, state in rows.all():
            assert match_id is not None
            found.setdefault(request_id, {})[profile_id] = (match_id, state)
    return found


async def _next_round(
    session: AsyncSession,
    run: _Run,
    request: DueRequest,
    earlier: dict[int, tuple[int, MatchState]],
) -> None:
    """Offer the request to the next, wider circle of volunteers; widen at once while nobody fits."""
    settings = run.deployment.matching
    municipality = run.deployment.municipality(request.municipality)
    if municipality is None:
        log.warning("request %s names an unknown municipality", request.id)
        return
    # Everyone asked before, except those who only missed out because someone else was quicker
    # (the request may come back into matching when that person cancels).
    already = {pid for pid, (_match, state) in earlier.items() if state != MatchState.TAKEN}
    # Nobody is offered what overlaps a help they accepted, nor what they said is not theirs.
    already |= run.bookings.busy(
        request.day, request.part_of_day, request.at_time, request_id=request.id
    )
    already |= run.declines.not_my_kind.get(request.category, set())
    need = need_of(request, run.deployment)
    number = request.round
    while number < settings.rounds:
        number += 1
        run.report.rounds_started += 1
        index = number - 1
        chosen = await run.pools.choose(
            need,
            municipality,
            settings.radius_km_per_round[index],
            settings.offers_per_round[index],
            already | run.declines.too_far if index > 0 else already,
            run.now,
        )
        if chosen:
            urgent = is_urgent(request, run.deployment, run.now)
            _offer(run, request, number, chosen, earlier, urgent)
            hours = settings.urgent_round_hours if urgent else settings.round_hours
            run.requests.append(
                {
                    "request": request.id,
                    "new_round": number,
                    "ends": run.now + timedelta(hours=hours),
                    "given_up": False,
                }
            )
            return
    await _exhaust(session, run, request, municipality)


def _offer(
    run: _Run,
    request: DueRequest,
    number: int,
    chosen: list[Volunteer],
    earlier: dict[int, tuple[int, MatchState]],
    urgent: bool,
) -> None:
    for volunteer in chosen:
        pid = volunteer.profile_id
        offered = run.per_volunteer[pid] = run.per_volunteer.get(pid, 0) + 1
        if offered >= MAX_OFFERS_PER_VOLUNTEER_PER_RUN:
            run.pools.used_up.add(pid)
        previous = earlier.get(pid)
        run.offers.append(
            _Offer(
                request,
                volunteer,
                number,
                volunteer.offers_received + run.per_volunteer[pid],
                previous[0] if previous else None,
                urgent,
            )
        )
        run.report.offers += 1


def _due_at(run: _Run, offer: _Offer) -> datetime:
    """When the offer reaches its volunteer (the same for everyone alike, so computed once)."""
    reach = run.candidates.reach(offer.volunteer.profile_id)
    urgent = offer.urgent
    same_day = offer.request.day == run.now.astimezone(run.deployment.tz).date()
    key = (reach.rhythm, reach.quiet_from, reach.quiet_until, urgent, same_day, reach.urgent_ok)
    due = run.due_at.get(key)
    if due is None:
        settings = run.deployment.matching
        due = run.due_at[key] = offer_due(
            run.now,
            run.deployment.tz,
            rhythm=reach.rhythm,
            digest_at=settings.digest_time,
            weekly_digest_day=settings.weekly_digest_day,
            quiet_from=reach.quiet_from,
            quiet_until=reach.quiet_until,
            urgent=urgent,
            same_day=same_day,
            urgent_ok=reach.urgent_ok,
        )
    return due


async def _write(session: AsyncSession, run: _Run) -> None:
    """Write what the run decided: matches, offer counts, rounds and deliveries, in bulk."""
    await session.flush()
    connection = await session.connection()
    now = run.now
    for start in range(0, len(run.deliveries), WRITE_CHUNK):  # the askers told nobody fits
        await enqueue_many(session, run.deliveries[start : start + WRITE_CHUNK])
    # The offers a chunk at a time: a run at the scale of a Land makes hundreds of thousands, and
    # their rows would otherwise all sit in memory at once.
    for start in range(0, len(run.offers), WRITE_CHUNK):
        await _write_offers(session, run, run.offers[start : start + WRITE_CHUNK])
    # What the run planned is claimed and composed next: in bulk, by the statistics of now.
    await after_bulk_write(session, ("matches", "deliveries"), len(run.offers))
    if run.per_volunteer:
        profiles = table_of(VolunteerProfile)
        await connection.execute(
            update(profiles)
            .where(profiles.c.id == bindparam("profile"))
            .values(
                offers_received=profiles.c.offers_received + bindparam("more"),
                last_offered_at=now,
            ),
            [{"profile": pid, "more": more} for pid, more in run.per_volunteer.items()],
        )
    if run.requests:
        requests = table_of(HelpRequest)
        await connection.execute(
            update(requests)
            .where(requests.c.id == bindparam("request"))
            .values(
                round=bindparam("new_round"),
                round_ends_at=bindparam("ends"),
                exhausted=bindparam("given_up"),
                updated_at=now,
            ),
            run.requests,
        )


async def _write_offers(session: AsyncSession, run: _Run, offers: list[_Offer]) -> None:
    """Matches and offer deliveries for some of the run's offers."""
    connection = await session.connection()
    now = run.now
    matches = table_of(Match)
    new = [offer for offer in offers if offer.earlier_match is None]
    new_ids: dict[tuple[int, int], int] = {}
    if new:
        inserted = await connection.execute(
            insert(matches).returning(matches.c.request_id, matches.c.profile_id, matches.c.id),
            [
                {
                    "request_id": o.request.id,
                    "profile_id": o.volunteer.profile_id,
                    "round": o.round,
                    "state": MatchState.OFFERED,
                    "offered_at": now,
                }
                for o in new
            ],
        )
        new_ids = {(request, profile): match for request, profile, match in inserted.all()}
    again = [offer for offer in offers if offer.earlier_match is not None]
    if again:
        await connection.execute(
            update(matches)
            .where(matches.c.id == bindparam("match"))
            .values(state=MatchState.OFFERED, round=bindparam("number"), offered_at=now),
            [{"match": o.earlier_match, "number": o.round} for o in again],
        )
    deliveries = []
    for offer in offers:
        match_id = offer.earlier_match
        if match_id is None:
            match_id = new_ids[(offer.request.id, offer.volunteer.profile_id)]
        reach = run.candidates.reach(offer.volunteer.profile_id)
        # One delivery per time the match is offered: a volunteer asked again gets a new message.
        deliveries.append(
            planned(
                reach.user_id,
                DeliveryKind.OFFER,
                match_id,
                _due_at(run, offer),
                now,
                extra=f"#{offer.number}",
            )
        )
    await enqueue_many(session, deliveries)


async def _exhaust(
    session: AsyncSession, run: _Run, request: DueRequest, municipality: Municipality
) -> None:
    """Nobody accepted in any round: tell the asker honestly and alert the coordinators."""
    settings = run.deployment.matching
    run.requests.append(
        {
            "request": request.id,
            "new_round": max(request.round, settings.rounds),
            "ends": None,
            "given_up": True,
        }
    )
    run.report.exhausted += 1
    run.deliveries.append(
        planned(request.asker_id, DeliveryKind.UNMATCHED, request.id, run.now, run.now)
    )
    asker = await session.get(User, request.asker_id)
    assert asker is not None
    await cases.open_case(
        session,
        run.deployment,
        kind=CaseKind.UNMATCHED,
        person=asker,
        municipality=municipality.id,
        district=request.district,
        subject_id=request.id,
        urgent=is_urgent(request, run.deployment, run.now),
        now=run.now,
    )
