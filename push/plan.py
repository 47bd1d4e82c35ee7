"""Planning what to push: offer rounds for open requests, closing requests whose date passed.

Everything durable is a row: the round a request is in and when it ends, one match per offer,
one delivery per message. Planning twice, or in two processes, adds nothing (unique keys), so
the scheduler can run it as often as it likes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, insert, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from exchange.timing import after_quiet_hours, appointment_start, next_at, offer_due
from handlers.vocabulary import category
from matching.rules import (
    Need,
    Volunteer,
    best_first,
    districts_within,
    needs_shared_language,
    slot_of,
)
from matching.select import Candidates, Walk, candidate_ids
from storage.models import (
    HelpRequest,
    Match,
    Opportunity,
    Organisation,
    User,
    VolunteerProfile,
    table_of,
)
from storage.outbox import enqueue_many, planned
from town.deployment import Deployment, Municipality

log = logging.getLogger(__name__)

# A volunteer gets at most this many new offers from one planning run, to spread the load.
MAX_OFFERS_PER_VOLUNTEER_PER_RUN = 2
# Ranking picks from the least asked volunteers who fit: at least this many, and this many per
# offer a round makes. A window several times a round lets nearness, a shared language and
# reliability decide, while offers still spread evenly.
RANK_WINDOW = 16
RANK_WINDOW_PER_OFFER = 4
# How many volunteers a pool walks past at a time while it looks for the next ones who fit.
WALK_STEP = 256
# How many of those free at a time a lane of fitting volunteers looks at at a time.
SCAN_STEP = 64


@dataclass
class PlanReport:
    offers: int = 0
    exhausted: int = 0
    expired: int = 0
    rounds_started: int = 0
    announcements: int = 0


@dataclass(frozen=True, slots=True)
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


Slot = tuple[int, str] | None
# A lane's key: the time of week, and the requirements of its requests (shared languages, adults
# only, verified only); requests with the same key fit exactly the same volunteers of a pool.
LaneKey = tuple[Slot, frozenset[str] | None, bool, bool]


@dataclass
class _Lane:
    """Volunteers of a pool, least asked first: all of them, those free at one time of week, or,
    drawn from those, the ones who fit one kind of request there."""

    volunteers: list[Volunteer] = field(default_factory=list)
    start: int = 0  # everyone before this has had all the offers one run hands out
    source: _Lane | None = None  # the lane of the same time of week a fitting lane draws from
    keep: Callable[[Volunteer], bool] | None = None
    scanned: int = 0  # how far down its source a fitting lane has looked


@dataclass
class _Pool:
    """The volunteers of one kind of help in some districts, least asked first, as far as the
    run has needed to look; shared by every request for that help there."""

    walk: Walk
    times: dict[Slot, _Lane] = field(default_factory=lambda: {None: _Lane()})
    fitting: dict[LaneKey, _Lane] = field(default_factory=dict)
    drained: bool = False
    # How a volunteer joins the lane of each time of week they are free (walked: every one).
    adders: dict[Slot, Callable[[Volunteer], None]] = field(default_factory=dict)

    def lane(self, need: Need, used_up: Callable[[int], bool]) -> _Lane:
        """The lane of those who fit `need`, drawn from those free at its time (leaving out
        those who have had all the offers of this run already: they stay out of it)."""
        languages = need.languages if needs_shared_language(need) else None
        key = (need.slot, languages, need.adults_only, need.needs_verification)
        lane = self.fitting.get(key)
        if lane is None:
            source = self.times.get(need.slot)
            if source is None:
                everyone = self.times[None].volunteers
                source = self.times[need.slot] = _Lane(
                    [v for v in everyone if need.slot in v.slots]
                )
                self.adders[need.slot] = source.volunteers.append
            lane = self.fitting[key] = _Lane(
                source=source, keep=_keeps(need, used_up), scanned=source.start
            )
        return lane

    async def more(self, lane: _Lane, used_up: Callable[[int], bool]) -> bool:
        """Make `lane` longer; False when the pool has nobody more for it."""
        source = lane.source
        while True:
            if source is None:
                length = len(lane.volunteers)
                if not await self._extend(used_up):
                    return False
                if len(lane.volunteers) > length:
                    return True
                continue
            if lane.scanned == len(source.volunteers) and not await self.more(source, used_up):
                return False
            # Those at the head of the source who have had all their offers stay out of every
            # lane drawn from it from now on.
            everyone = source.volunteers
            while source.start < len(everyone) and used_up(everyone[source.start].profile_id):
                source.start += 1
            lane.scanned = max(lane.scanned, source.start)
            fresh = everyone[lane.scanned : lane.scanned + SCAN_STEP]
            lane.scanned += len(fresh)
            length = len(lane.volunteers)
            lane.volunteers.extend(filter(lane.keep, fresh))
            if len(lane.volunteers) > length:
                return True

    async def _extend(self, used_up: Callable[[int], bool]) -> bool:
        """Walk further down the list; False when there is nobody more."""
        more = [] if self.drained else await self.walk.take(WALK_STEP, used_up)
        if not more:
            self.drained = True
            return False
        self.times[None].volunteers.extend(more)
        adders = self.adders
        for volunteer in more:
            for slot in volunteer.slots:
                add = adders.get(slot)
                if add is None:
                    lane = self.times[slot] = _Lane()
                    add = adders[slot] = lane.volunteers.append
                add(volunteer)
        return True


def _keeps(need: Need, used_up: Callable[[int], bool]) -> Callable[[Volunteer], bool]:
    """Who of a pool's volunteers free at the need's time fits it and may still be offered it.

    The rest of `fits` holds for everyone there already: the pool has the kind of help and the
    districts, the time lane the time. `rank` checks `fits` in full on those it is given.
    """
    languages = need.languages if needs_shared_language(need) else None
    adults_only, verified_only = need.adults_only, need.needs_verification
    if languages is None and not adults_only and not verified_only:
        return lambda v: not used_up(v.profile_id)
    return lambda v: (
        not used_up(v.profile_id)
        and (languages is None or not languages.isdisjoint(v.languages))
        and not (adults_only and v.minor)
        and not (verified_only and not v.verified)
    )


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
    report: PlanReport = field(default_factory=PlanReport)
    per_volunteer: dict[int, int] = field(default_factory=dict)
    used_up: set[int] = field(default_factory=set)  # who has had all the offers one run hands out
    pools: dict[tuple[str, str, frozenset[str]], _Pool] = field(default_factory=dict)
    offers: list[_Offer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    coordinators: dict[str, list[int]] = field(default_factory=dict)
    due_at: dict[tuple[Any, ...], datetime] = field(default_factory=dict)
    circles: dict[tuple[str, str, float], frozenset[str]] = field(default_factory=dict)

    def districts_within(
        self, municipality: Municipality, district: str, radius_km: float
    ) -> frozenset[str]:
        key = (municipality.id, district, radius_km)
        found = self.circles.get(key)
        if found is None:
            found = self.circles[key] = districts_within(municipality, district, radius_km)
        return found


def need_of(request: HelpRequest | DueRequest, deployment: Deployment) -> Need:
    kind = category(deployment, request.category)
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


async def plan(session: AsyncSession, deployment: Deployment, now: datetime) -> PlanReport:
    """Close what has passed, then start the offer rounds that are due."""
    run = _Run(deployment, now, Candidates(session))
    await _expire(session, run)
    await _purge(session, run)
    due = await _due(session, now)
    earlier = await _earlier_matches(session, [r.id for r in due])
    for request in due:
        await _next_round(session, run, request, earlier.get(request.id, {}))
    await _write(session, run)
    await _announce_opportunities(session, run)
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
        .where(r.status == "open", r.exhausted.is_(False))
        .where(or_(r.round == 0, r.round_ends_at <= now))
        .order_by(r.created_at, r.id)
    )
    return [DueRequest(*row[:8], tuple(row[8] or ()), row[9]) for row in rows.all()]


async def _earlier_matches(
    session: AsyncSession, request_ids: list[int]
) -> dict[int, dict[int, tuple[int, str]]]:
    """Who was offered these requests already (match id and state): in an earlier round, or
    before the request came back into matching."""
    found: dict[int, dict[int, tuple[int, str]]] = {}
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
        run.deliveries.append(planned(request.asker_id, "expired", request.id, run.now, run.now))
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


async def _next_round(
    session: AsyncSession,
    run: _Run,
    request: DueRequest,
    earlier: dict[int, tuple[int, str]],
) -> None:
    """Offer the request to the next, wider circle of volunteers; widen at once while nobody fits."""
    settings = run.deployment.matching
    municipality = run.deployment.municipality(request.municipality)
    if municipality is None:
        log.warning("request %s names an unknown municipality", request.id)
        return
    # Everyone asked before, except those who only missed out because someone else was quicker
    # (the request may come back into matching when that person cancels).
    already = {pid for pid, (_match, state) in earlier.items() if state != "taken"}
    need = need_of(request, run.deployment)
    number = request.round
    while number < settings.rounds:
        number += 1
        run.report.rounds_started += 1
        index = number - 1
        chosen = await _choose(
            run,
            request,
            need,
            municipality,
            settings.radius_km_per_round[index],
            settings.offers_per_round[index],
            already,
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


async def _choose(
    run: _Run,
    request: DueRequest,
    need: Need,
    municipality: Municipality,
    radius_km: float,
    count: int,
    already: set[int],
) -> list[Volunteer]:
    """The best `count` among the least asked volunteers who fit the request."""
    districts = run.districts_within(municipality, request.district, radius_km)
    key = (municipality.id, need.category, districts)
    pool = run.pools.get(key)
    if pool is None:
        walk = await run.candidates.walk(municipality.id, need.category, districts)
        pool = run.pools[key] = _Pool(walk)
    used_up = run.used_up.__contains__
    # Those who fit the request are a lane of their own: nobody else needs to be looked at.
    lane = pool.lane(need, used_up)
    window = max(RANK_WINDOW, RANK_WINDOW_PER_OFFER * count)
    fitting: list[Volunteer] = []
    position = lane.start
    skipped = 0
    while len(fitting) < window:
        if position == len(lane.volunteers) and not await pool.more(lane, used_up):
            break
        volunteer = lane.volunteers[position]
        position += 1
        if used_up(volunteer.profile_id):
            if position == lane.start + 1:
                lane.start = position  # nobody later in this run needs to look at them again
            else:
                skipped += 1
            continue
        if volunteer.profile_id not in already:
            fitting.append(volunteer)
    if skipped > window:
        # Those who have had their offers stay in the lane behind others; drop them, so the
        # next requests of this lane do not walk past them again.
        rest = lane.volunteers[lane.start :]
        lane.volunteers[lane.start :] = [v for v in rest if not used_up(v.profile_id)]
    # The lane holds only those who fit (see `_keeps`); `tests/test_planning.py` checks every offer.
    return best_first(fitting, need, municipality, run.now)[:count]


def _offer(
    run: _Run,
    request: DueRequest,
    number: int,
    chosen: list[Volunteer],
    earlier: dict[int, tuple[int, str]],
    urgent: bool,
) -> None:
    for volunteer in chosen:
        pid = volunteer.profile_id
        offered = run.per_volunteer[pid] = run.per_volunteer.get(pid, 0) + 1
        if offered >= MAX_OFFERS_PER_VOLUNTEER_PER_RUN:
            run.used_up.add(pid)
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
    matches = table_of(Match)
    new = [offer for offer in run.offers if offer.earlier_match is None]
    new_ids: dict[tuple[int, int], int] = {}
    if new:
        inserted = await connection.execute(
            insert(matches).returning(matches.c.request_id, matches.c.profile_id, matches.c.id),
            [
                {
                    "request_id": o.request.id,
                    "profile_id": o.volunteer.profile_id,
                    "round": o.round,
                    "state": "offered",
                    "offered_at": now,
                }
                for o in new
            ],
        )
        new_ids = {(request, profile): match for request, profile, match in inserted.all()}
    again = [offer for offer in run.offers if offer.earlier_match is not None]
    if again:
        await connection.execute(
            update(matches)
            .where(matches.c.id == bindparam("match"))
            .values(state="offered", round=bindparam("number"), offered_at=now),
            [{"match": o.earlier_match, "number": o.round} for o in again],
        )
    for offer in run.offers:
        match_id = offer.earlier_match
        if match_id is None:
            match_id = new_ids[(offer.request.id, offer.volunteer.profile_id)]
        reach = run.candidates.reach(offer.volunteer.profile_id)
        # One delivery per time the match is offered: a volunteer asked again gets a new message.
        run.deliveries.append(
            planned(
                reach.user_id,
                "offer",
                match_id,
                _due_at(run, offer),
                now,
                extra=f"#{offer.number}",
            )
        )
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
    for start in range(0, len(run.deliveries), 5_000):
        await enqueue_many(session, run.deliveries[start : start + 5_000])


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
    run.deliveries.append(planned(request.asker_id, "unmatched", request.id, run.now, run.now))
    coordinators = run.coordinators.get(municipality.id)
    if coordinators is None:
        coordinators = run.coordinators[municipality.id] = (
            [
                uid
                for uid in (
                    await session.exec(
                        select(col(User.id)).where(col(User.key).in_(municipality.coordinators))
                    )
                ).all()
                if uid is not None
            ]
            if municipality.coordinators
            else []
        )
    for coordinator in coordinators:
        run.deliveries.append(
            planned(coordinator, "coordinator_alert", request.id, run.now, run.now)
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
        announced = []
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
            announced.append(planned(user.id, "opportunity", opportunity.id, due, run.now))
        await enqueue_many(session, announced)
        run.report.announcements += len(announced)
